"""Read an e-mail (.eml or Outlook .msg) for the coordinator's registration form.

Pure: bytes in, plain data out, no Flask, nothing stored. `parse_mail` raises `MailError`
with a Dutch message for anything it cannot read (not a mail, malformed, too deep, too big);
the type and content checks of the attachments are the uploads' own (signals/uploads.py),
done by the caller. HTML is never rendered: an HTML-only body is turned into plain text
with BeautifulSoup's stdlib parser (scripts and styles dropped) and flagged, so the page
can ask the coordinator to check it.
"""

import email
import io
import logging
import mimetypes
import re
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from typing import NamedTuple

from casustafel.storage import base_name

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAIL_EXTENSIONS = (".eml", ".msg")
# A forwarded mail inside a forwarded mail inside ...: deeper than this is refused.
MAX_DEPTH = 8
MAX_ATTACHMENTS = 50
# Lines that may open a MIME part ("--boundary"): far more than any real mail has. The standard
# library takes minutes for the 200,000 empty parts that fit under the size limit.
MAX_PART_LINES = 5000
# Decoding a header takes time with the square of its length (a minute for 1 MB of encoded words):
# a header is read from its first characters only, far more than a real subject or sender has.
MAX_HEADER_CHARS = 20_000
# A part's Content-* header with its folded lines: the parser reads it again at every look at the
# part (its type, charset, name), minutes for a header of many parameters. None is this long.
_CONTENT_HEADER = re.compile(rb"^content-[a-z-]*:[^\n]*(?:\n[ \t][^\n]*)*", re.IGNORECASE | re.MULTILINE)
_PARAGRAPHS = ["p", "table", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6"]
_LINES = ["div", "li", "tr"]
_LEFT_OUT = {"script", "style", "head", "title", "template"}
# HTML beyond this is not turned into text (seconds and hundreds of MB per megabyte): far more
# than the description holds; the page says that only the start was read.
MAX_HTML_CHARS = 1_000_000
# extract-msg and the RTF decoder it uses log what they meet in a message (stream names, parts
# of headers); none of it may reach the application's log.
for _name in ("extract_msg", "RTFDE"):
    logging.getLogger(_name).propagate = False
    logging.getLogger(_name).addHandler(logging.NullHandler())
_LATIN_1 = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "windows-1252", "cp1252"}
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


class MailError(ValueError):
    """A mail that cannot be taken over; `message_nl` is shown next to the file field."""

    def __init__(self, message_nl: str):
        super().__init__(message_nl)
        self.message_nl = message_nl


class MailAttachment(NamedTuple):
    filename: str
    content_type: str
    data: bytes


class ParsedMail(NamedTuple):
    subject: str
    sender_name: str
    sender_address: str
    sent_at: datetime | None  # aware (UTC) or None when the mail has no usable date
    body_text: str
    body_from_html: bool
    attachments: list[MailAttachment]
    raw: bytes
    raw_filename: str
    body_cut: bool = False  # an HTML part too long to read whole: only its start is in body_text
    left_in_mail: tuple[str, ...] = ()  # parts kept only inside the mail itself (KEPT_IN_MAIL)

    @property
    def sender(self) -> str:
        """`Naam <adres>`, or whichever of the two the mail has."""
        if self.sender_name and self.sender_address:
            return f"{self.sender_name} <{self.sender_address}>"
        return self.sender_name or self.sender_address


def parse_mail(data: bytes, filename: str, max_bytes: int | None = None) -> ParsedMail:
    """Parse an .eml (stdlib `email`, policy.default) or an Outlook .msg (extract-msg)."""
    name = base_name(filename, "e-mail")
    if max_bytes is not None and len(data) > max_bytes:
        raise MailError(f"‘{name}’ is groter dan {max_bytes // (1024 * 1024)} MB. Een e-mail van die omvang kan "
                        "niet worden overgenomen; registreer de melding met de hand en voeg de stukken los toe.")
    if not data:
        raise MailError(f"‘{name}’ is leeg.")
    extension = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if f".{extension}" not in MAIL_EXTENSIONS:
        raise MailError(f"‘{name}’ is geen e-mail. Kies een e-mail als .eml-bestand of een Outlook-bericht (.msg).")
    if extension == "msg":
        return _parse_msg(data, name)
    return _parse_eml(data, name)


# --- .eml ----------------------------------------------------------------------------------


def _parse_eml(data: bytes, name: str) -> ParsedMail:
    if data.startswith(OLE_MAGIC) or b"\x00" in data[:4096]:
        raise MailError(f"‘{name}’ is geen leesbare e-mail (.eml). Is het misschien een Outlook-bericht (.msg)?")
    if data.count(b"\n--") > MAX_PART_LINES:
        raise MailError(f"‘{name}’ heeft te veel delen om over te nemen. Registreer de melding met de hand en voeg de "
                        "stukken los toe.")
    if any(len(header) > MAX_HEADER_CHARS for header in _CONTENT_HEADER.findall(data)):
        raise MailError(f"‘{name}’ heeft een kopregel die te lang is om te lezen. Registreer de melding met de hand en "
                        "voeg de stukken los toe.")
    try:
        message = email.message_from_bytes(data, policy=policy.default)
        if not isinstance(message, EmailMessage) or not _has_mail_headers(message):
            raise MailError(f"‘{name}’ is geen leesbare e-mail: de kopregels (afzender, datum, onderwerp) "
                            "ontbreken.")
        collected = _Collected()
        body, from_html = _eml_message(message, collected, depth=0)
        sender_name, sender_address = _sender(message)
        return ParsedMail(
            subject=_header(message, "Subject"),
            sender_name=sender_name,
            sender_address=sender_address,
            sent_at=_date(message),
            body_text=_join(body, collected.forwarded),
            body_from_html=from_html,
            attachments=collected.attachments,
            raw=data,
            raw_filename=name,
            body_cut=collected.cut,
            left_in_mail=tuple(collected.left_in_mail),
        )
    except MailError:
        raise
    except Exception as error:  # malformed MIME in any of a hundred ways: one clear message
        logging.getLogger(__name__).info("unreadable .eml: %s", type(error).__name__)
        raise MailError(f"‘{name}’ is geen leesbare e-mail: de opbouw van het bericht klopt niet.") from None


def _has_mail_headers(message: EmailMessage) -> bool:
    return any(h in message for h in ("From", "Date", "Subject", "Message-ID"))


# Parts a mailer adds that are no document of the signal: a meeting invitation (text/calendar)
# and Outlook's own packaging (winmail.dat, TNEF). Not stored as attachments (they are no allowed
# upload type), never a reason to refuse the mail: they stay inside the mail, which is kept.
KEPT_IN_MAIL_TYPES = frozenset({"text/calendar", "application/ics", "application/ms-tnef", "application/vnd.ms-tnef"})
KEPT_IN_MAIL_NAMES = (".ics", ".vcs", "winmail.dat")


class _Collected:
    def __init__(self):
        self.attachments: list[MailAttachment] = []
        self.left_in_mail: list[str] = []
        self.texts: list[str] = []  # text parts after the body (multipart/mixed), in order
        self.forwarded: list[str] = []
        self.cut = False

    def html_text(self, html: str) -> str:
        """The text of an HTML part, of its first MAX_HTML_CHARS characters."""
        self.cut = self.cut or len(html) > MAX_HTML_CHARS
        return html_to_text(html[:MAX_HTML_CHARS])

    def add(self, filename: str, content_type: str, data: bytes) -> None:
        if content_type.lower() in KEPT_IN_MAIL_TYPES or filename.lower().endswith(KEPT_IN_MAIL_NAMES):
            self.left_in_mail.append(filename)
            return
        if len(self.attachments) >= MAX_ATTACHMENTS:
            raise MailError(f"De e-mail heeft meer dan {MAX_ATTACHMENTS} bijlagen; neem die los over.")
        self.attachments.append(MailAttachment(filename, content_type, data))


def _eml_message(message: EmailMessage, collected: _Collected, depth: int) -> tuple[str, bool]:
    """The message's body text (and whether it came from HTML); its attachments and
    forwarded mails (message/rfc822, at any depth of multipart) into `collected`."""
    if depth > MAX_DEPTH:
        raise MailError("De e-mail bevat te veel doorgestuurde berichten in elkaar.")
    body_part = message.get_body(preferencelist=("plain", "html"))
    if body_part is not None and body_part.get_content_type() == "text/plain" and not _text_content(body_part).strip():
        body_part = message.get_body(preferencelist=("html",)) or body_part  # an empty text part beside the HTML
    text, from_html = "", False
    if body_part is not None:
        text = _text_content(body_part)
        if body_part.get_content_type() == "text/html":
            text, from_html = collected.html_text(text), True
    texts = collected.texts
    collected.texts = []
    _eml_parts(message, body_part, collected, depth)
    text, collected.texts = "\n\n".join([text, *collected.texts]), texts
    return text, from_html


def _eml_parts(part: EmailMessage, body_part, collected: _Collected, depth: int, alternative: bool = False) -> None:
    """Walk the parts; `alternative`: inside a multipart/alternative, where a text part is
    another form of the body rather than more text."""
    if depth > MAX_DEPTH:
        raise MailError("De e-mail bevat te veel delen in elkaar.")
    if part is body_part:
        return
    content_type = part.get_content_type()
    if content_type == "message/rfc822":
        inner = part.get_payload(0)
        inner_text, _ = _eml_message(inner, collected, depth + 1)
        collected.forwarded.append(_forwarded(_header(inner, "From"), _header(inner, "Subject"), inner_text))
        return
    if part.is_multipart():
        subs = list(part.iter_parts())
        if content_type == "multipart/signed":
            subs = subs[:1]  # the signed content; the signature (smime.p7s) stays in the kept mail
        for sub in subs:
            _eml_parts(sub, body_part, collected, depth + 1, alternative or content_type == "multipart/alternative")
        return
    filename = part.get_filename()
    disposition = part.get_content_disposition()
    if not filename and disposition != "attachment" and content_type in ("text/plain", "text/html"):
        if not alternative:  # more text after the body (multipart/mixed), not another form of it
            text = _text_content(part)
            collected.texts.append(collected.html_text(text) if content_type == "text/html" else text.strip())
        return
    data = part.get_payload(decode=True) or b""
    collected.add(_attachment_name(filename, content_type, len(collected.attachments)), content_type, data)


def _forwarded(sender: str, subject: str, text: str) -> str:
    """A forwarded mail's text as it is added below the body."""
    header = ["--- Doorgestuurd bericht ---", f"Van: {sender}" if sender else "",
              f"Onderwerp: {' '.join(subject.split())}" if subject else ""]
    return "\n".join([*(line for line in header if line), "", text.strip()])


def _attachment_name(filename: str | None, content_type: str, index: int) -> str:
    if filename:
        return base_name(filename)
    extension = mimetypes.guess_extension(content_type) or ""
    return f"bijlage-{index + 1}{extension}"


def _text_content(part: EmailMessage) -> str:
    """The decoded text of a text part: in its charset when the text is valid in it, else as
    UTF-8, else as Windows-1252 (Outlook's 8-bit text often has no charset, or a wrong one).
    ISO-8859-1 is read as Windows-1252, its superset (€ and curly quotes), as browsers do."""
    data = part.get_payload(decode=True) or b""
    charset = part.get_content_charset()
    charset = "cp1252" if charset in _LATIN_1 else charset
    for candidate in (charset, "utf-8"):
        if candidate:
            try:
                return data.decode(candidate)
            except (LookupError, UnicodeError):
                continue
    return data.decode("cp1252", errors="replace")


def _header(message: EmailMessage, name: str) -> str:
    """A header as decoded text (=?utf-8?...?= included), or "" when absent or unreadable."""
    try:
        value = parsed_header(message, name)
    except Exception:  # a defective header is left out rather than failing the mail
        return ""
    return " ".join(header_8bit(message, name, str(value)).split()) if value is not None else ""


def parsed_header(message, name: str):
    """The header as `message.get(name)` gives it, parsed from its first MAX_HEADER_CHARS
    characters only; None when absent."""
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return message.policy.header_fetch_parse(key, value[:MAX_HEADER_CHARS] if isinstance(value, str) else value)
    return None


def header_8bit(message, name: str, text: str) -> str:
    """A header's text, with raw 8-bit bytes (sent without encoded words) that are not UTF-8 read
    as Windows-1252, as the body is: the email package has made them U+FFFD in `text`."""
    if "\ufffd" not in text:
        return text
    raw = raw_header(message, name)
    if raw is None or "=?" in raw:
        return text
    return _unescaped(raw)


def _sender(message: EmailMessage) -> tuple[str, str]:
    try:
        addresses = getattr(parsed_header(message, "From"), "addresses", None) or ()
    except Exception:  # a defective From header: read it as plain text below
        addresses = ()
    if addresses:
        return _unescaped(addresses[0].display_name).strip(), _unescaped(addresses[0].addr_spec).strip()
    raw = _header(message, "From")
    pairs = getaddresses([raw]) if raw else []
    return (pairs[0][0].strip(), pairs[0][1].strip()) if pairs else ("", "")


def _unescaped(text: str) -> str:
    """The email package keeps raw 8-bit bytes of a header (UTF-8 sent without encoded words, as
    many mailers do) as surrogates in an address's display name; they cannot be shown or stored.
    Read those bytes as UTF-8, else as Windows-1252."""
    if not any("\udc80" <= char <= "\udcff" for char in text):
        return text
    data = text.encode("utf-8", errors="surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


# Zone names a European mailer may write instead of an offset; the standard library knows only
# the American ones and reads the rest as UTC (an hour or two off).
_ZONE_NAMES = {"CET": 1, "MET": 1, "MEZ": 1, "CEST": 2, "MEST": 2, "MESZ": 2, "WET": 0, "WEST": 1, "BST": 1,
               "EET": 2, "EEST": 3}


def mail_date(text: str) -> datetime | None:
    """A Date header as an aware moment in UTC; None when it cannot be read. Without a zone
    ("-0000") the time is UTC (RFC 5322); a European zone name counts as its offset."""
    text = text[:MAX_HEADER_CHARS]
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if value.tzinfo is None:
        words = text.split()
        hours = _ZONE_NAMES.get(words[-1].strip("()").upper()) if words else None
        value = value.replace(tzinfo=UTC if hours is None else timezone(timedelta(hours=hours)))
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return None


def raw_header(message, name: str) -> str | None:
    """The header's value as sent (the parsed Date header has lost its zone name)."""
    value = next((value for key, value in message.raw_items() if key.lower() == name.lower()), None)
    return str(value) if value is not None else None


def _date(message: EmailMessage) -> datetime | None:
    value = raw_header(message, "Date")
    return mail_date(" ".join(value.split())) if value is not None else None


def _aware(value) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:  # "-0000": the time is UTC, the zone unknown (RFC 5322)
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _join(body: str, forwarded: list[str]) -> str:
    text = "\n\n".join(part for part in [body.strip(), *forwarded] if part.strip())
    return _BLANK_LINES.sub("\n\n", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def html_to_text(html: str) -> str:
    """Plain text of an HTML body: tags dropped, scripts and styles left out, never rendered.
    One walk over the parsed tree, which is not changed: inserting the line breaks into the
    tree costs a walk down each block, minutes for deeply nested HTML that anyone can mail."""
    from bs4 import BeautifulSoup, CData, NavigableString

    parts, stack = [], [BeautifulSoup(html, "html.parser")]
    while stack:
        node = stack.pop()
        if isinstance(node, str):  # text (not a comment or doctype), or the line break after a block
            if type(node) in (str, NavigableString, CData):
                parts.append(str(node))
        elif node.name == "br":
            parts.append("\n")
        elif node.name not in _LEFT_OUT:
            stack.append("\n\n" if node.name in _PARAGRAPHS else "\n" if node.name in _LINES else "")
            stack.extend(reversed(node.contents))
    lines = [" ".join(line.split()) for line in "".join(parts).splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


# --- .msg ----------------------------------------------------------------------------------


def _parse_msg(data: bytes, name: str) -> ParsedMail:
    if not data.startswith(OLE_MAGIC):
        raise MailError(f"‘{name}’ is geen Outlook-bericht: het bestand is geen .msg. Bewaar de e-mail opnieuw "
                        "vanuit Outlook, of kies het .eml-bestand.")
    try:
        import extract_msg

        # Always a stream: olefile reads a short `bytes` as a file name. RTF that extract-msg's RTF
        # reader cannot parse gives no text (the page says so) rather than refusing the message.
        message = extract_msg.openMsg(io.BytesIO(data), strict=True,
                                      errorBehavior=extract_msg.enums.ErrorBehavior.RTFDE)
    except Exception as error:
        logging.getLogger(__name__).info("unreadable .msg: %s", type(error).__name__)
        raise MailError(f"‘{name}’ is geen leesbaar Outlook-bericht.") from None
    try:
        collected = _Collected()
        body, from_html = _msg_message(message, collected, depth=0)
        sender_name, sender_address = _msg_sender(message)
        return ParsedMail(
            subject=" ".join((message.subject or "").split()),
            sender_name=sender_name,
            sender_address=sender_address,
            sent_at=_aware(message.date) if hasattr(message, "date") else None,
            body_text=_join(body, collected.forwarded),
            body_from_html=from_html,
            attachments=collected.attachments,
            raw=data,
            raw_filename=name,
            body_cut=collected.cut,
            left_in_mail=tuple(collected.left_in_mail),
        )
    except MailError:
        raise
    except Exception as error:
        logging.getLogger(__name__).info("unreadable .msg: %s", type(error).__name__)
        raise MailError(f"‘{name}’ is geen leesbaar Outlook-bericht.") from None
    finally:
        message.close()


def _msg_message(message, collected: _Collected, depth: int) -> tuple[str, bool]:
    if depth > MAX_DEPTH:
        raise MailError("De e-mail bevat te veel doorgestuurde berichten in elkaar.")
    body = getattr(message, "body", None) or ""
    from_html = False
    if not body.strip():
        html = getattr(message, "htmlBody", None)
        if html:
            body = collected.html_text(html.decode("utf-8", errors="replace") if isinstance(html, bytes) else html)
            from_html = True
    for attachment in getattr(message, "attachments", []):
        content = attachment.data
        filename = attachment.longFilename or attachment.shortFilename or attachment.displayName or ""
        if isinstance(content, bytes | bytearray):
            content_type = attachment.mimetype or mimetypes.guess_type(filename)[0] or "application/octet-stream"
            collected.add(_attachment_name(filename, content_type, len(collected.attachments)), content_type,
                          bytes(content))
        elif content is not None and hasattr(content, "attachments"):  # an Outlook item inside the message
            inner_text, _ = _msg_message(content, collected, depth + 1)
            collected.forwarded.append(_forwarded(getattr(content, "sender", None) or "",
                                                  getattr(content, "subject", None) or "", inner_text))
        else:
            raise MailError(f"De bijlage ‘{base_name(filename)}’ van het Outlook-bericht kan niet worden gelezen.")
    return body, from_html


def _msg_sender(message) -> tuple[str, str]:
    name = message.getStringStream("__substg1.0_0C1A") or message.getStringStream("__substg1.0_0042") or ""
    address = ""
    for stream in ("__substg1.0_5D01", "__substg1.0_0C1F", "__substg1.0_0065"):
        value = message.getStringStream(stream) or ""
        if "@" in value:  # an Exchange-internal sender has an X.500 name here, not an address
            address = value
            break
    if not address and getattr(message, "headerInit", False):
        header_name, header_address = parseaddr(message.header.get("from") or "")
        name, address = name or header_name, header_address
    return " ".join(name.split()), address.strip()
