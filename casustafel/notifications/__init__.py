"""E-mail notifications that say only that there is news, never what.

Messages go to the outbox table in the same transaction as the news; `flask mail send`
delivers them by SMTP when MAIL_SERVER is set (STARTTLS with a verified certificate, then
AUTH), or only logs them.

Delivery is at-least-once. Each message is marked sent and committed right after the server
accepted it, one message at a time, so a run that stops anywhere keeps what it delivered. A
crash between the server's acceptance and that commit sends that one message again on the next
run, with the same Message-ID. At-most-once would turn the same crash into a lost message, and
a coordinator missing "there is a new signal" costs more than reading it twice.
"""

import re
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

from flask import current_app, url_for
from sqlalchemy import func, select

from casustafel import organisation
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import Notification

SMTP_TIMEOUT = 30  # seconds per SMTP command
CALENDAR_METHOD = re.compile(r"^METHOD:([A-Z-]+)\r?$", re.MULTILINE)
PENDING = (Notification.sent_at.is_(None), Notification.failed_at.is_(None))
GIVEN_UP = (Notification.sent_at.is_(None), Notification.failed_at.is_not(None))


def notify(recipient, subject: str, body: str, link: str | None = None, *,
           calendar: str | None = None) -> Notification:
    """Queue an e-mail that says there is news, never what; the link leads to the app (or, for
    an activation, to the single-use link). `calendar` is an iCalendar document (a meeting
    invitation: date, time, place, organiser) sent along as text/calendar."""
    if link is not None:
        message = Notification(recipient_id=recipient.id, subject=subject, body=f"{body}\n\n{link}",
                               calendar=calendar)
        db.session.add(message)
        return message
    link = current_app.config.get("PUBLIC_URL")
    if not link and current_app.config.get("ENV_NAME") != "production":
        try:  # development only: production requires PUBLIC_URL, never trusting the Host header
            link = url_for("main.home", _external=True)
        except RuntimeError:  # outside a request (CLI)
            link = ""
    message = Notification(recipient_id=recipient.id, subject=subject, body=f"{body}\n\n{link}".strip(),
                           calendar=calendar)
    db.session.add(message)
    return message


def app_link(endpoint: str, **values) -> str | None:
    """The address of one page of the app for a notification: the path carries ids only (a
    signal's or a meeting's uuid, a status code), never a reference, a name or other content.
    None when no base address is known: then notify() links to the start page."""
    public = current_app.config.get("PUBLIC_URL")
    if public:
        # Built from the app's own routes, never from a request: the CLI's reminders too.
        return public.rstrip("/") + current_app.url_map.bind("localhost").build(endpoint, values)
    if current_app.config.get("ENV_NAME") == "production":
        return None
    try:  # development only, as notify(): the Host header of the request
        return url_for(endpoint, _external=True, **values)
    except RuntimeError:  # outside a request (CLI)
        return None


class MailServerUnusableError(Exception):
    """The server or the settings stand in the way of every message: stop this run."""


class MessageRefusedError(Exception):
    """The server refused this one message (RCPT or DATA); the next one may still go."""


@dataclass
class DeliveryReport:
    """What one run did. Reasons are our own Dutch words and SMTP codes, never server text."""

    sent: int = 0
    logged: int = 0  # without MAIL_SERVER: written to the application log instead
    refused: int = 0  # refused by the server in this run, given up or not
    given_up: int = 0  # refused for the last allowed time in this run
    stopped: str | None = None  # why the run stopped before its last message
    reasons: list[str] = field(default_factory=list)
    left: int = 0  # still queued for the next run
    given_up_total: int = 0  # given up, waiting for `flask mail retry`

    @property
    def ok(self) -> bool:
        return not (self.stopped or self.refused)

    def refusal(self, reason: str) -> None:
        self.refused += 1
        if reason not in self.reasons:
            self.reasons.append(reason)


def deliver_pending(limit: int = 100) -> DeliveryReport:
    """Send up to `limit` queued notifications, committing after each one.

    The one service that commits: a run may stop at any message (an outage, a refusal, a
    kill), and whatever was delivered before that must stay marked as delivered.
    """
    config = current_app.config
    organisation.forget()  # the organisation as it is now, also for mail queued before a change
    report = DeliveryReport()
    queued = db.session.scalars(
        select(Notification.id).where(*PENDING).order_by(Notification.created_at, Notification.id).limit(limit)
    ).all()
    connection = SmtpConnection(config) if config.get("MAIL_SERVER") else None
    try:
        for message_id in queued:
            message = _claim(message_id)
            if message is None:
                continue
            if connection is None:
                current_app.logger.info("notification for %s: %s", message.recipient_id, message.subject)
                message.sent_at = utcnow()
                report.logged += 1
                db.session.commit()
                continue
            try:
                connection.send(_email(message, config))
            except MailServerUnusableError as problem:
                db.session.rollback()
                report.stopped = str(problem)
                break
            except MessageRefusedError as refusal:
                _count_refusal(message, str(refusal), config["MAIL_MAX_ATTEMPTS"], report)
            else:
                message.sent_at = utcnow()
                report.sent += 1
            db.session.commit()
    finally:
        if connection is not None:
            connection.close()
    report.left = db.session.scalar(select(func.count()).select_from(Notification).where(*PENDING))
    report.given_up_total = db.session.scalar(select(func.count()).select_from(Notification).where(*GIVEN_UP))
    db.session.commit()
    return report


def requeue_given_up() -> int:
    """Put every given-up message back in the queue with a fresh count. The caller commits."""
    messages = db.session.scalars(select(Notification).where(*GIVEN_UP)).all()
    for message in messages:
        message.failed_at = None
        message.attempts = 0
    return len(messages)


def _claim(message_id) -> Notification | None:
    """Lock one message that is still queued; None when it was sent meanwhile or another run
    holds it (PostgreSQL: SKIP LOCKED, so two runs never send the same message)."""
    return db.session.scalar(
        select(Notification).where(Notification.id == message_id, *PENDING).with_for_update(skip_locked=True)
    )


def _count_refusal(message: Notification, reason: str, max_attempts: int, report: DeliveryReport) -> None:
    message.attempts += 1
    message.last_attempt_at = utcnow()
    message.last_error = reason[:200]
    report.refusal(reason)
    if message.attempts >= max_attempts:
        message.failed_at = message.last_attempt_at
        report.given_up += 1


def _email(message: Notification, config) -> EmailMessage:
    sender = config["MAIL_FROM"]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "casustafel.invalid"
    sender_of = organisation.current()
    email = EmailMessage()
    email["From"] = _from_header(sender, sender_of)
    email["To"] = message.recipient.email
    email["Subject"] = message.subject
    email["Date"] = format_datetime(datetime.now(UTC))
    email["Message-ID"] = f"<{message.id}@{domain}>"  # the same on a repeat, so it can be recognised
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    email.set_content(f"{message.body}\n\n{_signature(sender_of)}\n")
    if message.calendar:
        _attach_calendar(email, message.calendar)
    return email


def _from_header(sender: str, sender_of: organisation.Organisation) -> str:
    """MAIL_FROM with "<organisation> – casustafel" as its display name, unless it has one of
    its own. Built at send time, like the signature: a changed name applies to queued mail."""
    name, address = parseaddr(sender)
    if name or not address:
        return sender
    own = " ".join((sender_of.name or "").split())  # one line, whatever was stored
    return formataddr((f"{own} – casustafel" if own else "casustafel", address))


def _signature(sender_of: organisation.Organisation) -> str:
    """Who sends the message and whom to ask: nothing about the news itself."""
    lines = [sender_of.display_name, sender_of.department]
    if sender_of.contact_line:
        lines.append(f"Vragen? {sender_of.contact_line}")
    return "\n".join(["-- ", *(" ".join(line.split()) for line in lines if line)])  # one line each


def _attach_calendar(email: EmailMessage, calendar: str) -> None:
    """An invitation as mail clients expect it (iMIP, RFC 6047): the document as a text/calendar
    alternative with its METHOD, so Outlook shows it as an invitation, and as invitation.ics for
    any other client."""
    found = CALENDAR_METHOD.search(calendar)
    method = found.group(1) if found else "PUBLISH"
    email.add_alternative(calendar, subtype="calendar", params={"method": method})
    email.add_attachment(calendar.encode(), maintype="application", subtype="ics", filename="invitation.ics")


class SmtpConnection:
    """One SMTP session for a whole run, opened at the first message.

    Turns smtplib's and ssl's errors into MailServerUnusableError or MessageRefusedError with a Dutch
    reason. The server's own reply text is left out: it may quote the recipient's address.
    """

    def __init__(self, config):
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def send(self, email: EmailMessage) -> None:
        if self.smtp is None:
            try:
                self.smtp = self._open()
            except OSError as error:  # smtplib's and ssl's exceptions are OSErrors too
                raise MailServerUnusableError(_server_reason(error)) from error
        try:
            self.smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            code = min(reply[0] for reply in error.recipients.values())
            self._refused(f"ontvanger geweigerd ({code})", code)
        except smtplib.SMTPDataError as error:
            self._refused(f"bericht geweigerd ({error.smtp_code})", error.smtp_code)
        except smtplib.SMTPNotSupportedError as error:  # only this address needs it
            raise MessageRefusedError("het adres vraagt SMTPUTF8, dat de mailserver niet biedt") from error
        except OSError as error:
            self.close()
            raise MailServerUnusableError(_server_reason(error)) from error

    def close(self) -> None:
        if self.smtp is None:
            return
        try:
            self.smtp.quit()
        except OSError:
            self.smtp.close()
        self.smtp = None

    def _refused(self, reason: str, code: int) -> None:
        if code == 421:  # the server is closing the session: its problem, not this message's
            self.close()
            raise MailServerUnusableError(f"de mailserver sluit de verbinding ({code})")
        raise MessageRefusedError(reason)

    def _open(self) -> smtplib.SMTP:
        config = self.config
        username = config.get("MAIL_USERNAME")
        starttls = config.get("MAIL_STARTTLS", True)
        if username and not starttls:
            raise MailServerUnusableError(
                "MAIL_USERNAME zonder MAIL_STARTTLS: het wachtwoord gaat nooit onversleuteld weg")
        try:
            context = ssl.create_default_context(cafile=config.get("MAIL_CA_FILE") or None)
        except (OSError, ssl.SSLError) as error:
            raise MailServerUnusableError("MAIL_CA_FILE is niet te lezen of bevat geen certificaat") from error
        smtp = smtplib.SMTP(config["MAIL_SERVER"], config.get("MAIL_PORT", 587), timeout=SMTP_TIMEOUT)
        try:
            if starttls:
                smtp.starttls(context=context)  # verifies the certificate and the host name
            if username:
                smtp.login(username, config.get("MAIL_PASSWORD") or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


def _server_reason(error: OSError) -> str:
    """Say in Dutch why the server cannot be used, without its reply text."""
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"de mailserver weigerde de aanmelding ({error.smtp_code}); controleer MAIL_USERNAME en MAIL_PASSWORD"
    if isinstance(error, smtplib.SMTPSenderRefused):
        return f"de mailserver weigerde de afzender MAIL_FROM ({error.smtp_code})"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"de mailserver antwoordde met een fout ({error.smtp_code})"
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return "de mailserver biedt geen STARTTLS of AUTH aan; er is niets verstuurd"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "de mailserver verbrak de verbinding"
    if isinstance(error, smtplib.SMTPException):
        return "de mailserver gaf een onverwacht antwoord"
    if isinstance(error, ssl.SSLCertVerificationError):
        return "het certificaat van de mailserver is niet te vertrouwen (zie MAIL_CA_FILE)"
    if isinstance(error, ssl.SSLError):
        return "de TLS-verbinding met de mailserver mislukte"
    if isinstance(error, socket.gaierror):
        return "de naam in MAIL_SERVER is onbekend"
    if isinstance(error, TimeoutError):
        return "de mailserver antwoordde niet op tijd"
    if isinstance(error, ConnectionRefusedError):
        return "de mailserver is niet bereikbaar (verbinding geweigerd)"
    return "de mailserver is niet bereikbaar (netwerkfout)"
