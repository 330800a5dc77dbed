"""The meldpunt mailbox as a channel: `flask mail fetch` turns every e-mail in the mailbox into a
concept (MailConcept) for the coordinator, and moves the e-mail to the processed folder.

No mail lost, none made twice:
- the concept (and its encrypted file) is committed before the e-mail is moved; a run that
  dies between the commit and the move leaves the e-mail in the mailbox, and the next run finds
  its concept by `message_key` and only moves it;
- `message_key` is a keyed hash of the Message-ID (or, without one, of the mail's SHA-256): an
  e-mail with the Message-ID of an earlier one counts as the same e-mail ("al bekend") and is
  moved to the processed folder without a second concept; it stays there in the mailbox;
- one e-mail that fails (the store, the database) is rolled back alone, stays in the mailbox,
  counts as failed, and the run goes on; the next run tries it again;
- an e-mail bigger than MAIL_FETCH_MAX_BYTES is not downloaded: its concept is marked too large
  and holds the headers' subject, sender and date only; the e-mail itself stays in the processed
  folder of the mailbox, where the coordinator opens it;
- the mailbox is read over TLS only (IMAP4_SSL, the certificate and host name verified against
  MAIL_FETCH_CA_FILE or the system store); there is no plaintext fallback.

Nothing of a mail (subject, sender, address) goes into a message, the log or the access log.
"""

import contextlib
import hashlib
import imaplib
import io
import logging
import re
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from casustafel import crypto
from casustafel.audit_log import record
from casustafel.dates import add_months, utcnow
from casustafel.extensions import db
from casustafel.models import MailConcept
from casustafel.models.base import keyring as current_keyring
from casustafel.models.base import new_uuid
from casustafel.models.roles import Role
from casustafel.models.user import active_with_role
from casustafel.notifications import app_link, notify
from casustafel.settings import get_setting
from casustafel.signals.mail_intake import header_8bit, mail_date, parsed_header, raw_header

log = logging.getLogger(__name__)

IMAP_TIMEOUT = 60  # seconds per IMAP command
KEY_CONTEXT = "mail-message"
# A Date header ahead of the clock by more than this, or before 2000, is not the moment of receipt.
_CLOCK_SKEW = timedelta(minutes=10)
_EARLIEST = datetime(2000, 1, 1)
HEADER_LIMIT = 1000  # characters kept of a subject or sender
NOTIFY_SUBJECT = "Nieuwe e-mail van het meldpunt in casustafel"
NOTIFY_BODY = ("Er is nieuwe e-mail van het meldpunt binnengekomen in casustafel. "
               "Log in om deze te bekijken en als melding te registreren.")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class MailboxError(Exception):
    """The mailbox cannot be used at all (settings, password file, TLS, login, folder): a Dutch
    reason that never holds the password or the server's reply text."""


@dataclass(frozen=True)
class MailboxSettings:
    host: str
    port: int
    user: str
    password_file: str
    ca_file: str | None
    folder: str
    processed_folder: str
    max_bytes: int

    @classmethod
    def from_config(cls, config) -> "MailboxSettings":
        missing = [name for name in ("MAIL_FETCH_HOST", "MAIL_FETCH_USER", "MAIL_FETCH_PASSWORD_FILE")
                   if not config.get(name)]
        if missing:
            raise MailboxError(f"De mailbox van het meldpunt is niet ingesteld: {', '.join(missing)} ontbreekt.")
        return cls(
            host=config["MAIL_FETCH_HOST"],
            port=int(config.get("MAIL_FETCH_PORT") or 993),
            user=config["MAIL_FETCH_USER"],
            password_file=config["MAIL_FETCH_PASSWORD_FILE"],
            ca_file=config.get("MAIL_FETCH_CA_FILE") or None,
            folder=config.get("MAIL_FETCH_FOLDER") or "INBOX",
            processed_folder=config.get("MAIL_FETCH_PROCESSED_FOLDER") or "Verwerkt",
            max_bytes=int(config.get("MAIL_FETCH_MAX_BYTES") or 25 * 1024 * 1024),
        )


@dataclass
class FetchResult:
    new: int = 0
    already_known: int = 0
    moved: int = 0
    failed: int = 0
    too_large: int = 0  # of `new`: concepts without the mail itself
    reasons: list[str] = field(default_factory=list)  # Dutch, without anything of a mail

    @property
    def ok(self) -> bool:
        return not self.failed

    def fail(self, reason: str) -> None:
        self.failed += 1
        if reason not in self.reasons:
            self.reasons.append(reason)


def read_password(path: str) -> str:
    """The password from its file, without the line end; refuse a missing, unreadable or empty file."""
    try:
        password = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except FileNotFoundError:
        raise MailboxError(f"Het wachtwoordbestand van de mailbox bestaat niet: {path} "
                           "(MAIL_FETCH_PASSWORD_FILE).") from None
    except (OSError, UnicodeDecodeError):
        raise MailboxError(f"Het wachtwoordbestand van de mailbox is niet te lezen: {path} "
                           "(MAIL_FETCH_PASSWORD_FILE).") from None
    if not password:
        raise MailboxError(f"Het wachtwoordbestand van de mailbox is leeg: {path} (MAIL_FETCH_PASSWORD_FILE).")
    return password


def open_mailbox(settings: MailboxSettings) -> imaplib.IMAP4:
    """Log in over TLS (verified certificate and host name); MailboxError with a Dutch reason."""
    password = read_password(settings.password_file)
    try:
        context = ssl.create_default_context(cafile=settings.ca_file)
    except (OSError, ssl.SSLError):
        raise MailboxError("MAIL_FETCH_CA_FILE is niet te lezen of bevat geen certificaat.") from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    where = f"{settings.host}:{settings.port}"
    try:
        conn = imaplib.IMAP4_SSL(settings.host, settings.port, ssl_context=context, timeout=IMAP_TIMEOUT)
    except ssl.SSLCertVerificationError:
        raise MailboxError(f"Het certificaat van de mailserver {where} is niet te vertrouwen "
                           "(controleer MAIL_FETCH_HOST en MAIL_FETCH_CA_FILE); er is niets opgehaald.") from None
    except ssl.SSLError:
        raise MailboxError(f"Geen beveiligde verbinding (TLS) met de mailserver {where}; "
                           "er is niets opgehaald.") from None
    except (OSError, imaplib.IMAP4.error):
        raise MailboxError(f"De mailserver {where} is niet bereikbaar; er is niets opgehaald.") from None
    try:
        conn.login(settings.user, password)
    except (imaplib.IMAP4.error, OSError):
        _close(conn)
        raise MailboxError(f"De mailserver {where} weigerde de aanmelding van {settings.user}; controleer "
                           "MAIL_FETCH_USER en het wachtwoordbestand. Er is niets opgehaald.") from None
    return conn


def _close(conn) -> None:
    with contextlib.suppress(imaplib.IMAP4.error, OSError):
        conn.logout()


def _quote(name: str) -> str:
    """A mailbox name as an IMAP quoted string (imaplib does not quote arguments)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _capabilities(conn) -> set[str]:
    """The capabilities after login (imaplib keeps the ones from before)."""
    typ, data = conn.capability()
    if typ != "OK" or not data or not data[0]:
        return set(conn.capabilities)
    return {c.upper() for c in data[0].decode("ascii", "replace").split()}


def _prepare(conn, settings: MailboxSettings) -> None:
    """Make sure the processed folder exists, then select the folder to read."""
    typ, data = conn.list('""', _quote(settings.processed_folder))
    if typ != "OK" or not [d for d in data if d]:
        typ, _ = conn.create(_quote(settings.processed_folder))
        if typ != "OK":
            raise MailboxError(f"De map {settings.processed_folder!r} (MAIL_FETCH_PROCESSED_FOLDER) bestaat niet "
                               "en kon niet worden gemaakt; er is niets opgehaald.")
    typ, _ = conn.select(_quote(settings.folder))
    if typ != "OK":
        raise MailboxError(f"De map {settings.folder!r} (MAIL_FETCH_FOLDER) bestaat niet in de mailbox; "
                           "er is niets opgehaald.")


def _uids(conn) -> list[bytes]:
    typ, data = conn.uid("SEARCH", None, "ALL")
    if typ != "OK":
        raise MailboxError("De mailserver gaf geen lijst van e-mails; er is niets opgehaald.")
    return b" ".join(d for d in data if d).split()


def _literal(data) -> bytes | None:
    """The message bytes in a FETCH response."""
    for part in data:
        if isinstance(part, tuple) and len(part) == 2 and b"BODY[" in part[0].upper():
            return part[1]
    return None


def _size(conn, uid: bytes) -> int | None:
    typ, data = conn.uid("FETCH", uid, "(RFC822.SIZE)")
    if typ != "OK":
        return None
    for part in data:
        head = part[0] if isinstance(part, tuple) else part
        if isinstance(head, bytes) and (match := _SIZE.search(head)):
            return int(match.group(1))
    return None


def _download(conn, uid: bytes, headers_only: bool) -> bytes | None:
    """The whole e-mail, or only its headers; PEEK leaves it unread for the people on the mailbox."""
    typ, data = conn.uid("FETCH", uid, "(BODY.PEEK[HEADER])" if headers_only else "(BODY.PEEK[])")
    return _literal(data) if typ == "OK" else None


def _message_id(headers) -> str | None:
    raw = headers.get("Message-ID")
    if raw is None:
        return None
    value = " ".join(str(raw).split())
    return value or None


def message_keys(message_id: str | None, raw: bytes) -> list[str]:
    """The e-mail's keyed names under every index key (the primary first): of its Message-ID,
    or of its content when it has none."""
    ring = current_keyring()
    parts = ("message-id", message_id) if message_id else ("sha256", hashlib.sha256(raw).hexdigest())
    primary = ring.primary_kid("bidx")
    kids = [primary, *(k for k in ring.kids("bidx") if k != primary)]
    return [crypto.row_key(ring, *parts, kid=kid, context=KEY_CONTEXT) for kid in kids]


def _header_text(headers, raw_headers, name: str) -> str | None:
    """A header as text (encoded words decoded); the raw value when it is too malformed to decode."""
    try:
        value = parsed_header(headers, name)
    except (ValueError, TypeError, IndexError, AttributeError, LookupError, RecursionError):  # comments in comments
        value = raw_headers.get(name)
    if value is None:
        return None
    text = " ".join(header_8bit(headers, name, str(value)).split())
    return text[:HEADER_LIMIT] or None


def _received_at(headers, fetched_at):
    """The Date header as the moment of receipt, which the retention term counts from; the moment
    of fetching when the sender's clock cannot be right (ahead of ours, or before 2000), as the
    registration from a chosen mail does (mail_register.received_at)."""
    value = raw_header(headers, "Date")
    moment = mail_date(" ".join(value.split())) if value is not None else None
    if moment is None:
        return fetched_at
    moment = moment.replace(tzinfo=None)
    if moment > fetched_at + _CLOCK_SKEW or moment < _EARLIEST:
        return fetched_at
    return min(moment, fetched_at)


def _known(keys: list[str]) -> bool:
    return db.session.scalar(select(MailConcept.id).where(MailConcept.message_key.in_(keys)).limit(1)) is not None


def _create(raw: bytes, size: int, too_large: bool, keys: list[str], headers, raw_headers, store) -> MailConcept:
    """Add the concept and store the mail encrypted (not committed)."""
    fetched_at = utcnow()
    concept = MailConcept(id=new_uuid(), message_key=keys[0], fetched_at=fetched_at,
                          received_at=_received_at(raw_headers, fetched_at), size=size, too_large=too_large)
    concept.subject = _header_text(headers, raw_headers, "Subject")
    concept.sender = _header_text(headers, raw_headers, "From")
    if not too_large:
        concept.file_id = concept.id  # the concept's own id names its file in the store
        stored = store.save(concept.file_id, io.BytesIO(raw), current_keyring())
        concept.wrapped_key, concept.digest = stored.wrapped_key, stored.digest
    db.session.add(concept)
    record(None, "mail_concept.created", concept, purpose="melding")
    return concept


def add_concept(raw: bytes, store) -> MailConcept | None:
    """One whole e-mail as a concept, as `flask mail fetch` makes it (not committed): for the demo
    and the tests. None when the same e-mail is known already."""
    headers = BytesHeaderParser(policy=policy.default).parsebytes(raw)
    raw_headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
    keys = message_keys(_message_id(raw_headers), raw)
    return None if _known(keys) else _create(raw, len(raw), False, keys, headers, raw_headers, store)


def move_message(conn, uid: bytes, settings: MailboxSettings, capabilities: set[str]) -> bool:
    """Move one e-mail to the processed folder: UID MOVE, else UID COPY + \\Deleted + expunge."""
    target = _quote(settings.processed_folder)
    if "MOVE" in capabilities:
        typ, _ = conn.uid("MOVE", uid, target)
        return typ == "OK"
    typ, _ = conn.uid("COPY", uid, target)
    if typ != "OK":
        return False
    typ, _ = conn.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
    if typ != "OK":
        return False
    # UID EXPUNGE removes only this e-mail; plain EXPUNGE also what someone else marked deleted.
    typ, _ = conn.uid("EXPUNGE", uid) if "UIDPLUS" in capabilities else conn.expunge()
    return typ == "OK"


def fetch(config, store, *, connect: Callable[[MailboxSettings], imaplib.IMAP4] | None = None,
          move: Callable | None = None, limit: int | None = None) -> FetchResult:
    """Make a concept of every e-mail in the mailbox's folder, commit it, then move the e-mail.

    MailboxError when the mailbox cannot be used at all (nothing fetched). Logs the run as one
    system event with the counts (committed), and notifies the coordinators once when there is
    something new.
    """
    settings = MailboxSettings.from_config(config)
    result = FetchResult()
    connect, move = connect or open_mailbox, move or move_message  # looked up now: tests replace them
    try:
        conn = connect(settings)
    except MailboxError:
        _log_refused()
        raise
    try:
        try:
            _prepare(conn, settings)
        except MailboxError:
            _log_refused()
            raise
        capabilities = _capabilities(conn)
        for uid in _uids(conn)[:limit]:
            _one(conn, uid, settings, store, capabilities, result, move)
    except (imaplib.IMAP4.abort, OSError):
        db.session.rollback()
        result.fail("de verbinding met de mailserver viel weg; de rest blijft voor de volgende run")
    except imaplib.IMAP4.error:  # a BAD answer: the server refused a command of this run
        db.session.rollback()
        result.fail("de mailserver weigerde een opdracht; de rest blijft voor de volgende run")
    finally:
        _close(conn)
    _finish(result)
    return result


def _one(conn, uid, settings, store, capabilities, result: FetchResult, move) -> None:
    size = _size(conn, uid)
    if size is None:
        result.fail("de mailserver gaf de grootte van een e-mail niet")
        return
    too_large = size > settings.max_bytes
    raw = _download(conn, uid, headers_only=too_large)
    if raw is None:
        result.fail("de mailserver gaf een e-mail niet")
        return
    headers = BytesHeaderParser(policy=policy.default).parsebytes(raw)
    raw_headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)  # the values as sent
    keys = message_keys(_message_id(raw_headers), raw)
    if _known(keys):
        result.already_known += 1
    else:
        concept = None
        try:
            concept = _create(raw, size, too_large, keys, headers, raw_headers, store)
            db.session.commit()
        except IntegrityError:  # another run made it at the same moment: it is known now
            db.session.rollback()
            _forget_file(store, concept)
            result.already_known += 1
        except Exception as error:  # this e-mail only: it stays in the mailbox for the next run
            db.session.rollback()
            _forget_file(store, concept)
            log.warning("E-mail uit de mailbox (uid %s) niet opgeslagen: %s", uid.decode(), type(error).__name__)
            result.fail("een e-mail kon niet worden opgeslagen; die blijft in de mailbox")
            return
        else:
            result.new += 1
            result.too_large += too_large
    if move(conn, uid, settings, capabilities):
        result.moved += 1
    else:
        result.fail(f"een e-mail kon niet naar de map {settings.processed_folder!r} worden verplaatst; "
                    "die blijft in de mailbox (de volgende run verplaatst hem)")


def _forget_file(store, concept: MailConcept | None) -> None:
    if concept is not None and concept.file_id is not None:
        store.delete(concept.file_id)


def _log_refused() -> None:
    db.session.rollback()
    record(None, "mail.fetched", object_type="mail", reason_code="mailbox_onbruikbaar", purpose="melding",
           result="failed")
    db.session.commit()


def _finish(result: FetchResult) -> None:
    """Log the run (counts only) and tell the coordinators once that there is new e-mail."""
    counts = f"n{result.new}-b{result.already_known}-v{result.moved}-m{result.failed}"
    record(None, "mail.fetched", object_type="mail", reason_code=counts, purpose="melding",
           result="success" if result.ok else "failed")
    if result.new:
        link = app_link("signals.mail_concepts")
        for coordinator in active_with_role(Role.COORDINATOR):
            notify(coordinator, NOTIFY_SUBJECT, NOTIFY_BODY, link=link)
    db.session.commit()


# --- the coordinator's review -----------------------------------------------------------------


WAITING_BOUND = 99


def waiting_count(bound: int | None = None) -> int:
    """How many e-mails of the meldpunt wait as a concept (a number, no content), at most
    `bound` + 1 ("more than `bound`"): like the inbox, a page never counts a whole table."""
    bound = WAITING_BOUND if bound is None else bound
    stmt = select(MailConcept.id).where(MailConcept.handled_at.is_(None)).limit(bound + 1)
    return len(db.session.scalars(stmt).all())


def concepts_query():
    """The concepts still waiting, the newest e-mail first."""
    return (select(MailConcept).where(MailConcept.handled_at.is_(None))
            .order_by(MailConcept.received_at.desc(), MailConcept.id))


# The inbox says when an e-mail nobody handles is destroyed, this many days ahead.
DESTRUCTION_NOTICE_DAYS = 30
# Its retention term (casustafel/retention: category "e-mail"); the key is named here because
# the retention package imports this one, not the other way round.
TERM_SETTING = "retention_mail_months"


def destruction_moments(concepts, now: datetime | None = None,
                        within_days: int = DESTRUCTION_NOTICE_DAYS) -> dict:
    """{concept id: the moment its retention term runs out} for the waiting concepts whose term
    runs out within `within_days` (or already ran out: the next retention run destroys them)."""
    now = now or utcnow()
    term = int(get_setting(TERM_SETTING))
    horizon = now + timedelta(days=within_days)
    found = {}
    for concept in concepts:
        if concept.handled_at is None and (moment := add_months(concept.received_at, term)) <= horizon:
            found[concept.id] = moment
    return found


def read_raw(concept: MailConcept, store) -> bytes:
    """The e-mail itself, decrypted from the store (a concept that is too large has none)."""
    return b"".join(store.open(concept.file_id, concept.wrapped_key, current_keyring()))


class AlreadyHandledError(Exception):
    """Someone else registered or discarded this e-mail first (two coordinators at once)."""


def _handle(concept: MailConcept) -> uuid.UUID | None:
    """Leave only the marker: the keyed Message-ID and the dates stay, so the same e-mail fetched
    again is still known; sender, subject and the file go. Returns the file to delete after the
    commit (so a failed commit never leaves a concept without its e-mail).

    The concept is claimed with one conditional UPDATE: of two coordinators handling the same
    e-mail at once, the second waits for the first's commit (PostgreSQL's row lock), finds it
    handled and gets AlreadyHandledError, so one e-mail never becomes two signals."""
    file_id = concept.file_id
    handled_at = utcnow()
    claimed = db.session.execute(
        update(MailConcept)
        .where(MailConcept.id == concept.id, MailConcept.handled_at.is_(None))
        .values(handled_at=handled_at)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise AlreadyHandledError
    concept.handled_at = handled_at
    concept.subject = None
    concept.sender = None
    concept.file_id = concept.wrapped_key = concept.digest = None
    return file_id


def discard(actor, concept: MailConcept):
    """Discard a concept: nothing to register (not committed); return the id of its file."""
    record(actor, "mail_concept.discarded", concept, purpose="melding")
    return _handle(concept)


def mark_registered(actor, concept: MailConcept, signal) -> uuid.UUID | None:
    """The coordinator registered `signal` from this concept (not committed); the e-mail is now
    the signal's attachment. Returns the id of the concept's own file, to delete after the commit."""
    concept.signal_id = signal.id
    record(actor, "mail_concept.registered", concept, purpose="melding")
    return _handle(concept)
