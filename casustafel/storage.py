"""Attachments: the encrypted file store and the upload type allowlist.

docs/security.md, "Field encryption" (Attachments) and "Input, output, headers" (Uploads):
- every file gets a random key, wrapped by the `file` key; the content is encrypted in
  64 KiB segments (see `crypto`, "Attachments"), stored under a UUID name outside `static/`;
- uploads are spooled through `casustafel.spool.EncryptedSpool` (installed by `init_app`),
  encrypted under a throw-away key, so Werkzeug never writes the plaintext to a temp file;
- `detect_type` admits only a small allowlist, by extension and content; never HTML, SVG
  or executables.
"""

import contextlib
import errno
import hashlib
import hmac
import os
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from casustafel import crypto
from casustafel.spool import DIR_MODE, UPLOAD_PREFIX, EncryptingRequest

TEMP_PREFIX = ".tmp-"
STALE_AFTER_SECONDS = 3600
_FILE_MODE = 0o600


def _as_uuid(file_id) -> uuid.UUID:
    """Accept a UUID or its text; anything else (a path, say) is a ValueError."""
    if isinstance(file_id, uuid.UUID):
        return file_id
    return uuid.UUID(str(file_id))


def _sweep(paths, older_than_seconds) -> int:
    cutoff = time.time() - older_than_seconds
    removed = 0
    for path in paths:
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def sweep_uploads(folder, older_than_seconds: float = STALE_AFTER_SECONDS) -> int:
    """Remove upload spools (`.upload-*`) left by a crashed worker; return the count.

    They hold ciphertext under a key that died with the worker, so this is tidiness.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    return _sweep(folder.glob(f"{UPLOAD_PREFIX}*"), older_than_seconds)


# --- the attachment store ----------------------------------------------------------------


@dataclass(frozen=True)
class StoredFile:
    size: int  # plaintext bytes
    wrapped_key: bytes  # store in the attachment row
    digest: str  # hex SHA-256 of the ciphertext file


class AttachmentStore:
    """Encrypted files under `root / id.hex[:2] / id.hex`; the database holds the wrapped key."""

    def __init__(self, root):
        self.root = Path(root)

    def path(self, file_id) -> Path:
        hex_id = _as_uuid(file_id).hex
        return self.root / hex_id[:2] / hex_id

    def _open_temp(self, path: Path) -> BinaryIO:
        """Create the temp file exclusively, mode 0600 (a seam for the disk-full tests)."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
        return os.fdopen(fd, "wb")

    def save(self, file_id, source: BinaryIO, keyring) -> StoredFile:
        """Encrypt `source` into the store; all or nothing.

        Written to `.tmp-<uuid>` in the target folder and renamed into place; on any error
        (disk full too) the temp file is removed and the error re-raised.
        """
        file_id = _as_uuid(file_id)
        final = self.path(file_id)
        if final.exists():
            raise FileExistsError(errno.EEXIST, "Bijlage bestaat al", str(final.name))
        file_key = crypto.new_file_key()
        wrapped = crypto.wrap_file_key(keyring, file_key, file_id)
        final.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        temp = final.parent / f"{TEMP_PREFIX}{uuid.uuid4().hex}"
        digest = hashlib.sha256()
        encryptor = crypto.StreamEncryptor(file_key, file_id)
        try:
            with self._open_temp(temp) as handle:
                while chunk := source.read(crypto.SEGMENT_SIZE):
                    out = encryptor.write(chunk)
                    if out:
                        digest.update(out)
                        handle.write(out)
                out = encryptor.finish()
                digest.update(out)
                handle.write(out)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            raise
        self._fsync_dir(final.parent)
        return StoredFile(size=encryptor.plaintext_size, wrapped_key=wrapped, digest=digest.hexdigest())

    @staticmethod
    def _fsync_dir(folder: Path) -> None:
        with contextlib.suppress(OSError):
            fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def open(self, file_id, wrapped_key: bytes, keyring) -> Iterator[bytes]:
        """Return an iterator of plaintext chunks (one per 64 KiB segment).

        The key is unwrapped and the file looked up now: DecryptionError (wrong key,
        wrapped key of another file), KeyringError (key id absent) or FileNotFoundError
        come from this call. Tampering with the content raises DecryptionError while
        iterating, possibly after earlier chunks: abort the response, never keep them.
        """
        file_id = _as_uuid(file_id)
        file_key = crypto.unwrap_file_key(keyring, wrapped_key, file_id)
        path = self.path(file_id)
        if not path.is_file():
            raise FileNotFoundError(errno.ENOENT, "Bijlage niet gevonden", path.name)
        return self._plaintext(path, file_key, file_id)

    @staticmethod
    def _plaintext(path, file_key, file_id) -> Iterator[bytes]:
        with open(path, "rb") as handle:
            yield from crypto.decrypt_stream(file_key, file_id, handle)

    def verify(self, file_id, digest: str) -> bool:
        """Compare the ciphertext file with the digest recorded at save time."""
        hasher = hashlib.sha256()
        try:
            with open(self.path(file_id), "rb") as handle:
                while chunk := handle.read(crypto.CIPHERTEXT_SEGMENT_SIZE):
                    hasher.update(chunk)
        except FileNotFoundError:
            return False
        return hmac.compare_digest(hasher.hexdigest(), digest)

    def delete(self, file_id) -> None:
        """Remove the stored file; nothing happens when it is already gone."""
        self.path(file_id).unlink(missing_ok=True)

    def sweep_temp(self, older_than_seconds: float = STALE_AFTER_SECONDS) -> int:
        """Remove `.tmp-*` files older than the limit (left by a crash); return the count."""
        if not self.root.is_dir():
            return 0
        return _sweep(self.root.glob(f"*/{TEMP_PREFIX}*"), older_than_seconds)


# --- type allowlist ------------------------------------------------------------------------

SNIFF_SIZE = 1024

ALLOWED_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".txt": "text/plain",
    ".eml": "message/rfc822",
    ".msg": "application/vnd.ms-outlook",
}

_MAGIC = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".msg": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
}

# Executables and scripts: refused whatever the extension (PE, ELF, shebang, Mach-O).
_EXECUTABLE_MAGIC = (
    b"MZ",
    b"\x7fELF",
    b"#!",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)

# Text that a browser could sniff as HTML/XML/SVG: refused at the start of any text upload.
_MARKUP_ALWAYS = (b"<!doctype", b"<html", b"<script", b"<svg", b"<?xml")
# WHATWG MIME sniffing's other HTML patterns, when followed by a tag-terminating byte.
_MARKUP_TAGS = (
    b"<head", b"<iframe", b"<h1", b"<div", b"<font", b"<table", b"<a", b"<style",
    b"<title", b"<b", b"<body", b"<br", b"<p", b"<!--",
)  # fmt: skip
_TAG_END = (b"", b" ", b">", b"/", b"\t", b"\n", b"\r", b"\x0c")
_WHITESPACE = b" \t\n\r\x0c"
_UTF8_BOM = b"\xef\xbb\xbf"
_MAIL_START = re.compile(rb"(?:From |[\x21-\x39\x3b-\x7e]+:)")


def base_name(filename: str | None, fallback: str = "bijlage") -> str:
    """The last part of an uploaded file's name, without folders, control characters or
    leading dots: what is stored and what a download offers (`../../x.pdf` → `x.pdf`)."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip().lstrip(".").strip()
    return name[:200] or fallback


def _extension(filename: str) -> str:
    return os.path.splitext(base_name(filename, ""))[1].lower()


def _looks_like_markup(head: bytes) -> bool:
    text = head[:SNIFF_SIZE].removeprefix(_UTF8_BOM).lstrip(_WHITESPACE).lower()
    if text.startswith(_MARKUP_ALWAYS):
        return True
    return any(text.startswith(tag) and text[len(tag) : len(tag) + 1] in _TAG_END for tag in _MARKUP_TAGS)


def _is_utf8_prefix(head: bytes) -> bool:
    """Valid UTF-8, allowing a character cut off at the end of the sniffed head."""
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        return exc.reason == "unexpected end of data" and exc.end == len(head)


def detect_type(filename: str, head: bytes) -> str | None:
    """Return the canonical MIME type when extension and content agree, else None.

    `head` is the start of the file (SNIFF_SIZE bytes is enough).
    """
    ext = _extension(filename)
    if ext not in ALLOWED_TYPES or not head or head.startswith(_EXECUTABLE_MAGIC):
        return None
    if ext in _MAGIC:
        return ALLOWED_TYPES[ext] if head.startswith(_MAGIC[ext]) else None
    if b"\x00" in head or _looks_like_markup(head):
        return None
    if ext == ".txt":
        return ALLOWED_TYPES[ext] if _is_utf8_prefix(head) else None
    if ext == ".eml":
        text = head.removeprefix(_UTF8_BOM).lstrip(b"\r\n")
        return ALLOWED_TYPES[ext] if _MAIL_START.match(text) else None
    return None


def detect_upload(upload) -> str | None:
    """detect_type for a Werkzeug FileStorage; leaves its stream at the start."""
    head = upload.stream.read(SNIFF_SIZE)
    upload.stream.seek(0)
    return detect_type(upload.filename or "", head)


def init_app(app) -> None:
    """Use EncryptingRequest, create the folders, sweep stale temp files, register the store.

    UPLOAD_TMP_DIR and ATTACHMENT_DIR default to folders in the instance path; values
    already in app.config are kept.
    """
    app.request_class = EncryptingRequest
    app.config.setdefault("UPLOAD_TMP_DIR", os.path.join(app.instance_path, "uploads-tmp"))
    app.config.setdefault("ATTACHMENT_DIR", os.path.join(app.instance_path, "attachments"))
    for key in ("UPLOAD_TMP_DIR", "ATTACHMENT_DIR"):
        os.makedirs(app.config[key], mode=DIR_MODE, exist_ok=True)
    store = AttachmentStore(app.config["ATTACHMENT_DIR"])
    sweep_uploads(app.config["UPLOAD_TMP_DIR"])
    store.sweep_temp()
    app.extensions["casustafel_store"] = store
