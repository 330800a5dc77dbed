"""Register a signal from an e-mail: read it, hold it for the coordinator, store it on confirm.

Two steps, and nothing is saved before the second. The coordinator chooses an .eml or .msg;
`read_mail` parses it (signals/mail_intake.py) and runs its attachments through the uploads'
own checks; `prefill_register_form` fills the registration form from it. The coordinator
corrects and confirms; `register_from_mail` then creates the signal (channel `email`, received
at the mail's date) with the mail's attachments and the mail itself in the encrypted store.

Between the two steps the mail waits encrypted, never in plaintext on disk (`stage_mail`):
the ciphertext in UPLOAD_TMP_DIR as `.mail-<token>`, under a fresh random key that is never
written on the server. The key travels in the form's hidden field with the token
(`<token>.<key>`), so neither half alone reveals the mail: a copy of the server's disk or
backups has only ciphertext, the browser only a key. The plaintext names the coordinator and
the time (authenticated with it), so another account cannot use the value and it expires
after MAIL_STAGE_SECONDS; every staging and every use also removes expired files, and a
registered mail's file is removed at once. A key in the (signed, not encrypted) session cookie
would be no more secret than the hidden field and would allow only one mail per browser.
"""

import base64
import binascii
import contextlib
import io
import json
import os
import re
import struct
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from casustafel import crypto
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import Signal, User
from casustafel.signals import services
from casustafel.signals.mail_intake import MailError, ParsedMail, parse_mail
from casustafel.signals.services import SignalInput
from casustafel.signals.uploads import CheckedUpload, check_uploads
from casustafel.spool import DIR_MODE, MAIL_STAGE_SECONDS, STAGE_PREFIX, sweep_staged
from casustafel.storage import base_name

CHANNEL = "email"
DESCRIPTION_MAX = 10000
_VALUE_RE = re.compile(r"^([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$")
# A Date header that is ahead of the server clock by more than this, or before 2000, is not used.
_CLOCK_SKEW = timedelta(minutes=10)
_EARLIEST = datetime(2000, 1, 1)

GONE = ("De e-mail is niet meer beschikbaar: een ingelezen e-mail blijft 2 uur klaarstaan. "
        "Kies het bestand opnieuw om de melding te registreren.")


@dataclass
class MailForForm:
    """What the registration page shows about the mail it came from."""

    parsed: ParsedMail
    reporter: User | None
    received_at: datetime | None
    notices: list[str]

    @property
    def attachment_names(self) -> list[str]:
        return [a.filename for a in self.parsed.attachments]


# --- reading -------------------------------------------------------------------------------


def max_bytes() -> int:
    return int(current_app.config["MAIL_INTAKE_MAX_BYTES"])


def read_upload(upload) -> ParsedMail:
    """Parse an uploaded mail (a Werkzeug FileStorage); MailError for a bad or too big one.
    The size is measured before anything is read into memory."""
    if upload is None or not getattr(upload, "filename", ""):
        raise MailError("Kies een e-mail als .eml-bestand of een Outlook-bericht (.msg).")
    limit = max_bytes()
    size = upload.stream.seek(0, 2)
    upload.stream.seek(0)
    if size > limit:
        raise MailError(f"‘{base_name(upload.filename, 'e-mail')}’ is groter dan {limit // (1024 * 1024)} MB. Een "
                        "e-mail van die omvang kan niet worden overgenomen; registreer de melding met de hand en voeg "
                        "de stukken los toe.")
    return read_mail(upload.stream.read(limit + 1), upload.filename)


def read_mail(data: bytes, filename: str) -> ParsedMail:
    """Parse the mail and check it and every attachment as an upload; MailError naming each
    refused file (the whole mail is refused: nothing is left out silently)."""
    parsed = parse_mail(data, filename, max_bytes=max_bytes())
    _checked(parsed)
    return parsed


def _as_upload(filename: str, data: bytes) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=filename)


def _checked(parsed: ParsedMail) -> list[CheckedUpload]:
    """The mail's attachments and then the mail itself, through `check_uploads`."""
    files = [_as_upload(a.filename, a.data) for a in parsed.attachments]
    files.append(_as_upload(parsed.raw_filename, parsed.raw))
    accepted, problems = check_uploads(files)
    if problems:
        raise MailError("De e-mail kan niet worden overgenomen: een bijlage wordt geweigerd. " + " ".join(problems))
    if len(accepted) != len(files):  # defensive: every part gets a name in mail_intake
        raise MailError("De e-mail kan niet worden overgenomen: een bijlage is leeg of heeft geen naam.")
    return accepted


def received_at(parsed: ParsedMail, now: datetime | None = None) -> datetime | None:
    """The mail's date as a naive UTC timestamp (the form the columns store) when usable:
    not ahead of the clock beyond skew, not before 2000; else None (registration time)."""
    if parsed.sent_at is None:
        return None
    sent = parsed.sent_at.astimezone(UTC).replace(tzinfo=None)
    if sent > (now or utcnow()) + _CLOCK_SKEW or sent < _EARLIEST:
        return None
    return sent


def find_reporter(address: str) -> User | None:
    """The active account whose e-mail address is the sender's, compared case-insensitively."""
    if not address or "@" not in address:
        return None
    return db.session.scalar(
        select(User).where(func.lower(User.email) == address.strip().lower(), User.active.is_(True))
    )


# --- the form ------------------------------------------------------------------------------


def prefill_register_form(form, parsed: ParsedMail) -> MailForForm:
    """Fill the registration form from the mail: channel `email`, the description from the
    body (the sender named on top when no account has their address). Return what the page
    says about the mail. Usable from any view that has a parsed mail (an IMAP concept too)."""
    mail, description = _read_for_form(parsed)
    form.description.data = description
    form.channel.data = CHANNEL
    return mail


def describe(parsed: ParsedMail) -> MailForForm:
    """What the page says about a staged mail, without touching the form (after a refused submit)."""
    return _read_for_form(parsed)[0]


def _read_for_form(parsed: ParsedMail) -> tuple[MailForForm, str]:
    reporter = find_reporter(parsed.sender_address)
    notices, lines = [], []
    if reporter is None and parsed.sender:
        lines.append(f"Afzender: {parsed.sender}")
        notices.append(
            "De afzender is geen gebruiker van casustafel; naam en adres staan bovenaan de omschrijving. "
            "Deelnemers kunnen de omschrijving te zien krijgen: haal ze daar weg als dat niet mag. "
            "De e-mail zelf wordt als bijlage bewaard, en bijlagen ziet alleen de regisseur."
        )
    elif reporter is not None:
        department = f" ({reporter.department.name})" if reporter.department else ""
        notices.append(f"Het adres van de afzender is dat van {reporter.display_name}{department}. Leg deze collega "
                       "hieronder alleen als melder vast als u zeker weet dat de e-mail echt van hen komt: een "
                       "afzender is na te maken.")
    if parsed.subject:
        lines.append(f"Onderwerp: {parsed.subject}")
    text = "\n".join(lines)
    if parsed.body_text:
        text = f"{text}\n\n{parsed.body_text}" if text else parsed.body_text
    if len(text) > DESCRIPTION_MAX:
        text = text[:DESCRIPTION_MAX].rstrip()
        notices.append("De tekst van de e-mail is langer dan 10.000 tekens; alleen het begin is overgenomen. "
                       "De volledige e-mail wordt als bijlage bewaard.")
    if not parsed.body_text:
        notices.append("In de e-mail staat geen tekst die casustafel kan lezen: hij heeft bijvoorbeeld alleen een "
                       "afbeelding, of opgemaakte tekst uit Outlook (RTF). Vul de omschrijving zelf in; de e-mail "
                       "zelf wordt als bijlage bewaard.")
    if parsed.body_cut:
        notices.append("De e-mail is te groot om helemaal als tekst over te nemen; alleen het begin staat in de "
                       "omschrijving. De volledige e-mail wordt als bijlage bewaard.")
    if parsed.left_in_mail:
        names = ", ".join(parsed.left_in_mail)
        notices.append(f"Een agenda-uitnodiging of Outlook-opmaak (winmail.dat) wordt niet als losse bijlage bewaard, "
                       f"maar blijft in de bewaarde e-mail zelf: {names}.")
    if parsed.body_from_html:
        notices.append("De e-mail had alleen opgemaakte tekst (HTML); casustafel heeft daar gewone tekst van gemaakt. "
                       "Controleer de omschrijving.")
    when = received_at(parsed)
    if when is None:
        notices.append("De e-mail heeft geen bruikbare datum; de melding krijgt de datum en tijd van registreren.")
    return MailForForm(parsed=parsed, reporter=reporter, received_at=when, notices=notices), text


# --- registering ---------------------------------------------------------------------------


def register_from_mail(actor: User, data: SignalInput, parsed: ParsedMail, store, files=(),
                       saved=None, submission_key: str | None = None, sender_is_reporter: bool = False) -> Signal:
    """Create the signal from the confirmed form: channel `email`, received at the mail's
    date, the sender's account as reporter when the coordinator said so (an address alone
    proves nothing: a From can be forged), the mail's attachments and the mail itself stored
    encrypted, then `files` the coordinator added. Checks the mail again; MailError when it no
    longer passes. Does not commit; `saved` gets every stored file's id."""
    attachments = _checked(parsed)
    mail_file = attachments.pop()  # the mail itself: stored first, then what it carried
    return services.build_signal(
        actor, data, channel=CHANNEL, store=store, files=[mail_file, *attachments, *files], saved=saved,
        received_at=received_at(parsed),
        reporter=find_reporter(parsed.sender_address) if sender_is_reporter else None,
        submission_key=submission_key,
    )


# --- staging between the two steps ----------------------------------------------------------


def _folder() -> Path:
    folder = Path(current_app.config["UPLOAD_TMP_DIR"])
    folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    return folder


def stage_mail(parsed: ParsedMail, actor: User) -> str:
    """Keep the mail encrypted until the coordinator confirms; return the hidden field's value."""
    folder = _folder()
    sweep_staged(folder)
    token = uuid.uuid4()
    key = crypto.new_file_key()
    header = json.dumps({"user": str(actor.id), "staged": time.time(), "name": parsed.raw_filename}).encode()
    plaintext = struct.pack(">I", len(header)) + header + parsed.raw
    path = folder / f"{STAGE_PREFIX}{token.hex}"
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
        crypto.encrypt_stream(key, token, io.BytesIO(plaintext), handle)
    return f"{token.hex}.{base64.urlsafe_b64encode(key).decode().rstrip('=')}"


def _split(value: str | None) -> tuple[uuid.UUID, bytes]:
    match = _VALUE_RE.match(value or "")
    if not match:
        raise MailError(GONE)
    try:
        return uuid.UUID(match.group(1)), base64.urlsafe_b64decode(match.group(2) + "=")
    except (ValueError, binascii.Error):
        raise MailError(GONE) from None


def load_staged(value: str | None, actor: User) -> ParsedMail:
    """The staged mail, parsed and checked again; MailError (GONE) when the value is unknown,
    altered, expired or another account's."""
    folder = _folder()
    sweep_staged(folder)
    token, key = _split(value)
    path = folder / f"{STAGE_PREFIX}{token.hex}"
    try:
        with open(path, "rb") as handle:
            plaintext = b"".join(crypto.decrypt_stream(key, token, handle))
        (size,) = struct.unpack(">I", plaintext[:4])
        header = json.loads(plaintext[4 : 4 + size])
    except (OSError, ValueError, struct.error, crypto.DecryptionError):
        raise MailError(GONE) from None
    if header.get("user") != str(actor.id) or time.time() - float(header.get("staged", 0)) > MAIL_STAGE_SECONDS:
        raise MailError(GONE)
    return read_mail(plaintext[4 + size :], header["name"])


def discard_staged(value: str | None) -> None:
    """Remove the staged mail (after it is registered); nothing happens when it is gone."""
    with contextlib.suppress(MailError):
        token, _ = _split(value)
        (_folder() / f"{STAGE_PREFIX}{token.hex}").unlink(missing_ok=True)
