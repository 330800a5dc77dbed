"""A minimal Outlook .msg for the tests, written with extract-msg's own compound-file writer.

extract-msg reads .msg files; it cannot compose a message, but its `OleWriter` writes any
compound file (CFB). A .msg is such a file with MAPI properties as streams
([MS-OXMSG]): `__substg1.0_<id><type>` for strings and binaries (type 001F is UTF-16LE,
0102 binary), and `__properties_version1.0` for the fixed-size ones (the send time here).
"""

import io
import struct
from datetime import UTC, datetime

import compressed_rtf
from extract_msg import OleWriter

PT_SYSTIME = 0x0040
PT_LONG = 0x0003
PR_CLIENT_SUBMIT_TIME = 0x0039
PR_MESSAGE_FLAGS = 0x0E07
PR_ATTACH_METHOD = 0x3705
ATTACH_BY_VALUE = 1
_EPOCH_AS_FILETIME = 116444736000000000


def _string(value: str) -> bytes:
    return value.encode("utf-16-le")


def _filetime(moment: datetime) -> int:
    return _EPOCH_AS_FILETIME + int(moment.astimezone(UTC).timestamp() * 10_000_000)


def _fixed(tag_id: int, tag_type: int, value: int) -> bytes:
    """One 16-byte entry of a properties stream: tag, flags (readable, writable), value."""
    return struct.pack("<IIQ", (tag_id << 16) | tag_type, 0x6, value)


def make_msg(*, subject: str, body: str | None, sender_name: str = "", sender_address: str = "",
             sent_at: datetime | None = None, html_body: bytes | None = None, rtf_body: bytes | None = None,
             attachments: list[tuple[str, bytes]] = ()) -> bytes:
    """The bytes of an Outlook message with these fields and attachments (by value); `body=None`
    leaves the plain text out, as a message Outlook keeps only as RTF (`rtf_body`, compressed here)."""
    writer = OleWriter()
    streams = {
        "__substg1.0_001A001F": _string("IPM.Note"),
        "__substg1.0_0037001F": _string(subject),
    }
    if body is not None:
        streams["__substg1.0_1000001F"] = _string(body)
    if rtf_body is not None:
        streams["__substg1.0_10090102"] = compressed_rtf.compress(rtf_body)
    if html_body is not None:
        streams["__substg1.0_10130102"] = html_body
    if sender_name:
        streams["__substg1.0_0C1A001F"] = _string(sender_name)
    if sender_address:
        streams["__substg1.0_0C1F001F"] = _string(sender_address)
        streams["__substg1.0_0C1E001F"] = _string("SMTP")
    for name, data in streams.items():
        writer.addEntry(name, data)
    # The named-property mapping: required by extract-msg, empty here.
    writer.addEntry("__nameid_version1.0", storage=True)
    for stream in ("00020102", "00030102", "00040102"):
        writer.addEntry(f"__nameid_version1.0/__substg1.0_{stream}", b"")
    fixed = [_fixed(PR_MESSAGE_FLAGS, PT_LONG, 0x1)]  # read, not unsent
    if sent_at is not None:
        fixed.append(_fixed(PR_CLIENT_SUBMIT_TIME, PT_SYSTIME, _filetime(sent_at)))
    # Top-level header: 8 reserved, next recipient id, next attachment id, recipient count,
    # attachment count, 8 reserved.
    header = struct.pack("<8xIIII8x", 0, len(attachments), 0, len(attachments))
    writer.addEntry("__properties_version1.0", header + b"".join(fixed))
    for index, (filename, data) in enumerate(attachments):
        storage = f"__attach_version1.0_#{index:08X}"
        writer.addEntry(storage, storage=True)
        writer.addEntry(f"{storage}/__substg1.0_3707001F", _string(filename))
        writer.addEntry(f"{storage}/__substg1.0_3704001F", _string(filename[:8]))
        writer.addEntry(f"{storage}/__substg1.0_37010102", data)
        writer.addEntry(f"{storage}/__properties_version1.0",
                        struct.pack("<8x") + _fixed(PR_ATTACH_METHOD, PT_LONG, ATTACH_BY_VALUE))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
