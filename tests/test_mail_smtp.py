"""`flask mail send` against a real SMTP server started by the test (aiosmtpd).

The server demands STARTTLS and AUTH, as production's mail server does, and presents a
certificate of a throwaway CA that the app trusts only through MAIL_CA_FILE. README “The meldpunt”: the
e-mail says only that there is news, never what. Delivery is at-least-once and per message
(casustafel/notifications.py); outages leave the outbox alone, refusals are counted per
message and given up after MAIL_MAX_ATTEMPTS.

No sleeps: the server's DATA handler records a message before it answers 250, and the client
returns only after that answer.
"""

import datetime as dt
import email
import io
import ipaddress
import re
import smtplib
import socket
import ssl
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email import policy
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import Indicator, Notification, Phenomenon, Signal
from casustafel.notifications import notify
from tests.conftest import csrf_from

MAIL_USER = "casustafel-smtp"
MAIL_PASSWORD = "juist-wachtwoord-7Hq"
WRONG_PASSWORD = "fout-wachtwoord-3Zp"
SENDER = "casustafel@gemeente.test"
PUBLIC_URL = "https://casustafel.gemeente.test/"
SUBJECT = "Nieuws in casustafel"
BODY = "Er is nieuws voor u in casustafel. Log in om het te bekijken."


# A throwaway CA and a server certificate it signed ------------------------------------------


def _certificate(subject, issuer, public_key, signing_key, extensions):
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signing_key, hashes.SHA256())


def _key_usage(**flags):
    names = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
             "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")
    return x509.KeyUsage(**{name: flags.get(name, False) for name in names})


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """PEM files: `ca` (what MAIL_CA_FILE names), `cert` and `key` (the server's, for 127.0.0.1)."""
    folder = tmp_path_factory.mktemp("smtp-tls")
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("casustafel test-CA", "casustafel test-CA", ca_key.public_key(), ca_key, [
        (x509.BasicConstraints(ca=True, path_length=0), True),
        (_key_usage(key_cert_sign=True, crl_sign=True), True),
        (x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False),
    ])
    server = _certificate("mail.test", "casustafel test-CA", server_key.public_key(), ca_key, [
        (x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False),
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (_key_usage(digital_signature=True), True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        (x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False),
    ])
    files = SimpleNamespace(ca=folder / "ca.pem", cert=folder / "server.pem", key=folder / "server.key")
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return files


# The SMTP server ---------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    over_tls: bool
    authenticated: bool

    @property
    def parsed(self):
        return email.message_from_bytes(self.raw, policy=policy.default)


class Mailbox:
    """The aiosmtpd handler and authenticator: what the server accepted, and what it refuses.

    `rcpt_refusals` maps an address (or "*" for any) to the reply for RCPT TO; `data_refusal`
    is the reply for DATA. A refusal reply may quote the address, as real servers do.
    """

    def __init__(self):
        self.received: list[Received] = []
        self.logins: list[tuple[str, bytes]] = []
        self.rcpt_refusals: dict[str, str] = {}
        self.data_refusal: str | None = None
        self.port = 0

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((mechanism, auth_data.login))
        accepted = (auth_data.login, auth_data.password) == (MAIL_USER.encode(), MAIL_PASSWORD.encode())
        return AuthResult(success=accepted, handled=False)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd hook
        refusal = self.rcpt_refusals.get(address) or self.rcpt_refusals.get("*")
        if refusal:
            return refusal.format(address=address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        if self.data_refusal:
            return self.data_refusal.format(address=envelope.rcpt_tos[0])
        self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.original_content,
                                      session.ssl is not None, bool(session.authenticated)))
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        return [m.parsed["Message-ID"] for m in self.received]


class EphemeralController(Controller):
    """A Controller on a port the OS picks. aiosmtpd 1.4.6 checks that the server is up by
    connecting to `self.port`, which is 0 here (aio-libs/aiosmtpd#388): read the bound port first."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def smtp_server(app, certificates, monkeypatch):
    """Start a server that requires STARTTLS and AUTH; point the app's mail settings at it."""
    controllers = []

    def start(*, starttls=True, exclude_mechanism=(), smtputf8=True) -> Mailbox:
        mailbox = Mailbox()
        tls_context = None
        if starttls:
            tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            tls_context.load_cert_chain(certificates.cert, certificates.key)
        controller = EphemeralController(
            mailbox, hostname="127.0.0.1", port=0, server_hostname="mail.test", ready_timeout=60,
            tls_context=tls_context, require_starttls=starttls,
            auth_required=True, auth_require_tls=starttls, authenticator=mailbox.authenticate,
            auth_exclude_mechanism=list(exclude_mechanism), enable_SMTPUTF8=smtputf8,
        )
        controller.start()
        controllers.append(controller)
        mailbox.port = controller.port
        point_app_at(mailbox.port)
        return mailbox

    def point_app_at(port: int) -> None:
        for key, value in {
            "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_STARTTLS": True, "MAIL_USERNAME": MAIL_USER,
            "MAIL_PASSWORD": MAIL_PASSWORD, "MAIL_FROM": SENDER, "MAIL_CA_FILE": str(certificates.ca),
            "PUBLIC_URL": PUBLIC_URL,
        }.items():
            monkeypatch.setitem(app.config, key, value)

    start.point_app_at = point_app_at
    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def closed_port():
    """A port that is bound but not listening: connecting is refused at once, and no other
    process can start listening on it during the test."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


# Helpers -----------------------------------------------------------------------------------


def mail_send(app, *args):
    return app.test_cli_runner().invoke(args=["mail", "send", *args])


def outbox() -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification)))


def queue_for(users) -> None:
    for user in users:
        notify(user, SUBJECT, BODY)
    db.session.commit()


def assert_nothing_personal(output: str, users) -> None:
    for user in users:
        assert user.email not in output
        assert user.display_name not in output
    for secret in (MAIL_PASSWORD, WRONG_PASSWORD):
        assert secret not in output


HEX_NEIGHBOUR = "[0-9A-Fa-f]"


def marker_pattern(marker: str) -> re.Pattern:
    """Match a marker; an all-digit marker only where no hex digit touches it, so a random
    UUID in a Message-ID cannot fake a leak (a leaked "Straat 48173" still matches)."""
    if marker.isdigit():
        return re.compile(rf"(?<!{HEX_NEIGHBOUR}){marker}(?!{HEX_NEIGHBOUR})".encode())
    return re.compile(re.escape(marker.encode()), re.IGNORECASE)


# The whole round: a signal through the meldpunt, a message over STARTTLS and AUTH ------------

PDF = b"%PDF-1.4\n% bijlage-inhoud-Vnqzrwk\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

MARKERS = {
    "description": "Waarneming-Kqvtzlm bij de loods",
    "indicator_explanation": "Toelichting-Wjxpfrn over de indicatoren",
    "reporter_phone": "06 31415926",
    "observed_from": "2025-09-14",
    "observed_until": "2025-10-27",
    "person_name": "Hendrika Zwartvlieg-Oosterbrink",
    "person_birth_date": "1957-03-14",
    "person_street": "Klaproosvlietstraat",
    "person_house_number": "48173",
    "person_addition": "ZQXWKV",
    "person_postcode": "7391 KW",
    "person_city": "Bovenvriesland",
    "organisation_name": "Pannekoekenhuis Vlinderdroom B.V.",
    "organisation_kvk": "73915862",
    "organisation_street": "Havenkwartierweg",
    "organisation_house_number": "29031",
    "organisation_postcode": "8842 RT",
    "organisation_city": "Oudemirdumerzijl",
    "location_street": "Loodsbergerkade",
    "location_house_number": "51377",
    "location_postcode": "6631 ZL",
    "location_city": "Heerewaardenburg",
    "attachment_name": "proces-verbaal-Bxqmtw.pdf",
    "attachment_content": "bijlage-inhoud-Vnqzrwk",
    "reporter_name": "Melder Quirijntje Vosselmans",
    "reporter_email": "melder.vosselmans",
}


def meldpunt_post(markers: dict) -> dict:
    phenomenon = db.session.scalar(select(Phenomenon).where(Phenomenon.name == "Hennepteelt"))
    local = db.session.scalar(select(Indicator).where(Indicator.group == "lokale_verankering",
                                                      Indicator.active.is_(True)).limit(1))
    flagged = db.session.scalar(select(Indicator).where(Indicator.group == "signalering",
                                                        Indicator.active.is_(True)).limit(1))
    post = {
        "phenomenon_id": str(phenomenon.id),
        "indicators_local": [str(local.id)] if local else [],
        "indicators_signal": [str(flagged.id)] if flagged else [],
        "urgent": "y",
    }
    for name in ("description", "indicator_explanation", "reporter_phone", "observed_from", "observed_until"):
        post[name] = markers[name]
    for index, prefix, extra in ((0, "person", {"kind": "persoon", "role": "vermoedelijk_betrokkene",
                                                  "birth_date": markers["person_birth_date"],
                                                  "house_number_addition": markers["person_addition"]}),
                                 (1, "organisation", {"kind": "organisatie", "role": "eigenaar",
                                                      "kvk_number": markers["organisation_kvk"]})):
        fields = {"name": markers[f"{prefix}_name"], "street": markers[f"{prefix}_street"],
                  "house_number": markers[f"{prefix}_house_number"], "postcode": markers[f"{prefix}_postcode"],
                  "city": markers[f"{prefix}_city"], **extra}
        post.update({f"subjects-{index}-{key}": value for key, value in fields.items()})
    post.update({f"locations-0-{key}": markers[f"location_{key}"]
                 for key in ("street", "house_number", "postcode", "city")})
    return post


def content_words(signal: Signal, markers: dict) -> list[str]:
    """Everything about the signal that must never reach an e-mail. Its id only in the link to
    its page (issue 19: a notification links to what it is about): checked by the caller."""
    words = [value for value in markers.values() if value]
    words += [markers["person_postcode"].replace(" ", ""), markers["organisation_postcode"].replace(" ", ""),
              markers["location_postcode"].replace(" ", ""), markers["reporter_phone"].replace(" ", ""),
              "14-03-1957", "Zwartvlieg", "Vlinderdroom", "Kqvtzlm", "Wjxpfrn"]
    words += [signal.reference, signal.id.hex, signal.phenomenon.name]
    words += [indicator.label for indicator in signal.indicators]
    return words


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_a_new_signal_reaches_each_coordinator_over_starttls_and_auth_without_its_content(
        app, client, make_user, login_as, smtp_server, mechanism):
    mailbox = smtp_server(exclude_mechanism=[m for m in ("PLAIN", "LOGIN") if m != mechanism])
    first, second = make_user("coordinator"), make_user("coordinator", "member")
    make_user("coordinator", active=False)
    reporter = make_user("reporter", name=MARKERS["reporter_name"], email=f"{MARKERS['reporter_email']}@example.test")
    login_as(reporter)
    post = meldpunt_post(MARKERS)
    post["csrf_token"] = csrf_from(client.get("/meldpunt"))
    post["attachments"] = [(io.BytesIO(PDF), MARKERS["attachment_name"])]
    response = client.post("/meldpunt", data=post, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    signal = db.session.scalar(select(Signal))
    assert signal.description == MARKERS["description"] and len(signal.subjects) == 2 and signal.attachments
    assert len(outbox()) == 2

    result = mail_send(app)

    assert result.exit_code == 0, result.output
    assert result.output == "2 berichten verstuurd.\n"
    assert sorted(m.rcpt_tos for m in mailbox.received) == sorted([(first.email,), (second.email,)])
    assert {mech for mech, _ in mailbox.logins} == {mechanism}
    words = content_words(signal, MARKERS)
    for message in mailbox.received:
        parsed = message.parsed
        assert message.over_tls and message.authenticated
        # The envelope keeps MAIL_FROM; the header adds a display name (tests/test_organisation.py).
        assert message.mail_from == SENDER and parsed["From"].addresses[0].addr_spec == SENDER
        assert parsed["To"] == message.rcpt_tos[0]
        assert parsed["Subject"] == "Nieuwe melding in casustafel"
        assert parsed["Auto-Submitted"] == "auto-generated"
        text = parsed.get_body(("plain",)).get_content()
        assert PUBLIC_URL in text
        # The id once, as the link to the signal's page, and nowhere else in the message; after
        # the link only the signature (who sends it), never anything of the signal.
        news, signature = text.replace("\r\n", "\n").split("\n-- \n")
        assert news.strip().endswith(f"{PUBLIC_URL.rstrip('/')}/meldingen/{signal.id}")
        assert signature.strip() == "casustafel"
        decoded = "\n".join(f"{name}: {value}" for name, value in parsed.items()) + "\n" + text
        assert decoded.count(str(signal.id)) == 1
        for word in words:
            assert not marker_pattern(word).search(message.raw), f"{word!r} in the raw message"
            assert not marker_pattern(word).search(decoded.encode()), f"{word!r} in the decoded message"
    assert all(n.sent_at is not None and n.attempts == 0 for n in outbox())

    again = mail_send(app)
    assert again.exit_code == 0 and again.output == "0 berichten verstuurd.\n"
    assert len(mailbox.received) == 2


# The server refuses, or cannot be reached ----------------------------------------------------


def test_a_wrong_password_leaves_every_message_queued_and_the_next_run_delivers_them_once(
        app, make_user, smtp_server, monkeypatch):
    mailbox = smtp_server()
    users = [make_user("coordinator"), make_user("member")]
    queue_for(users)
    monkeypatch.setitem(app.config, "MAIL_PASSWORD", WRONG_PASSWORD)

    result = mail_send(app)

    assert result.exit_code == 1
    assert "0 berichten verstuurd." in result.output
    assert "Gestopt: de mailserver weigerde de aanmelding (535); controleer MAIL_USERNAME en MAIL_PASSWORD." \
        in result.output
    assert "2 berichten blijven in de wachtrij voor de volgende run." in result.output
    assert_nothing_personal(result.output, users)
    assert mailbox.logins and mailbox.received == []
    assert all(n.sent_at is None and n.failed_at is None and n.attempts == 0 for n in outbox())  # not their fault

    monkeypatch.setitem(app.config, "MAIL_PASSWORD", MAIL_PASSWORD)
    assert mail_send(app).output == "2 berichten verstuurd.\n"
    assert mail_send(app).output == "0 berichten verstuurd.\n"
    assert sorted(m.rcpt_tos for m in mailbox.received) == sorted((u.email,) for u in users)


@pytest.mark.parametrize(("stage", "reply", "reason"), [
    ("RCPT", "550 5.1.1 <{address}>: Recipient address rejected", "ontvanger geweigerd (550)"),
    ("RCPT", "451 4.7.1 <{address}>: greylisted, try again later", "ontvanger geweigerd (451)"),
    ("DATA", "554 5.7.1 Message for <{address}> rejected as spam", "bericht geweigerd (554)"),
], ids=["rcpt-550", "rcpt-451", "data-554"])
def test_a_refused_message_stays_queued_with_its_attempt_counted_and_is_delivered_once_later(
        app, make_user, smtp_server, stage, reply, reason):
    mailbox = smtp_server()
    users = [make_user("coordinator"), make_user("coordinator")]
    queue_for(users)
    if stage == "RCPT":
        mailbox.rcpt_refusals["*"] = reply
    else:
        mailbox.data_refusal = reply

    result = mail_send(app)

    assert result.exit_code == 1
    assert "0 berichten verstuurd." in result.output
    assert f"2 berichten geweigerd: {reason}." in result.output
    assert "2 berichten blijven in de wachtrij voor de volgende run." in result.output
    assert_nothing_personal(result.output, users)
    assert mailbox.received == []
    for message in outbox():
        assert (message.sent_at, message.failed_at, message.attempts) == (None, None, 1)
        assert message.last_error == reason and message.last_attempt_at is not None

    mailbox.rcpt_refusals.clear()
    mailbox.data_refusal = None
    assert mail_send(app).output == "2 berichten verstuurd.\n"
    assert mail_send(app).output == "0 berichten verstuurd.\n"
    assert sorted(m.rcpt_tos for m in mailbox.received) == sorted((u.email,) for u in users)


def test_an_unreachable_server_leaves_the_outbox_alone_and_the_next_run_delivers_once(
        app, make_user, smtp_server, closed_port):
    users = [make_user("coordinator"), make_user("privacy_officer")]
    queue_for(users)
    smtp_server.point_app_at(closed_port)

    result = mail_send(app)

    assert result.exit_code == 1
    assert "Gestopt: de mailserver is niet bereikbaar (verbinding geweigerd)." in result.output
    assert "2 berichten blijven in de wachtrij voor de volgende run." in result.output
    assert_nothing_personal(result.output, users)
    assert all(n.sent_at is None and n.attempts == 0 for n in outbox())

    mailbox = smtp_server()
    assert mail_send(app).output == "2 berichten verstuurd.\n"
    assert mail_send(app).output == "0 berichten verstuurd.\n"
    assert sorted(m.rcpt_tos for m in mailbox.received) == sorted((u.email,) for u in users)


def test_one_refused_recipient_does_not_hold_up_the_others(app, make_user, smtp_server):
    mailbox = smtp_server()
    users = [make_user("coordinator") for _ in range(3)]
    queue_for(users)
    mailbox.rcpt_refusals[users[1].email] = "550 5.1.1 <{address}>: no such user"

    result = mail_send(app)

    assert result.exit_code == 1
    assert "2 berichten verstuurd." in result.output
    assert "1 bericht geweigerd: ontvanger geweigerd (550)." in result.output
    assert "1 bericht blijft in de wachtrij" in result.output
    assert sorted(m.rcpt_tos for m in mailbox.received) == sorted([(users[0].email,), (users[2].email,)])

    mailbox.rcpt_refusals.clear()
    assert mail_send(app).output == "1 bericht verstuurd.\n"
    assert sorted(m.rcpt_tos for m in mailbox.received) == sorted((u.email,) for u in users)


def test_an_address_the_server_cannot_take_is_refused_for_that_message_alone(app, make_user, smtp_server):
    mailbox = smtp_server(smtputf8=False)
    plain, accented = make_user("coordinator"), make_user("coordinator", email="coördinator@gemeente.test")
    queue_for([plain, accented])

    result = mail_send(app)

    assert result.exit_code == 1
    assert "1 bericht verstuurd." in result.output
    assert "1 bericht geweigerd: het adres vraagt SMTPUTF8, dat de mailserver niet biedt." in result.output
    assert_nothing_personal(result.output, [plain, accented])
    assert [m.rcpt_tos for m in mailbox.received] == [(plain.email,)]
    assert [n.attempts for n in outbox() if n.recipient_id == accented.id] == [1]

    capable = smtp_server()
    assert mail_send(app).output == "1 bericht verstuurd.\n"
    assert [m.rcpt_tos for m in capable.received] == [(accented.email,)]


def test_a_message_refused_on_every_run_is_given_up_kept_visible_and_can_be_retried(
        app, make_user, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    mailbox = smtp_server()
    user = make_user("coordinator")
    queue_for([user])
    mailbox.rcpt_refusals["*"] = "550 5.1.1 <{address}>: no such user"

    first = mail_send(app)
    assert first.exit_code == 1 and "1 bericht blijft in de wachtrij" in first.output
    second = mail_send(app)
    assert second.exit_code == 1
    assert "1 bericht opgegeven na 2 pogingen." in second.output
    assert "1 opgegeven bericht wacht op `flask mail retry`." in second.output
    assert "wachtrij voor de volgende run" not in second.output
    (message,) = outbox()
    assert message.attempts == 2 and message.failed_at is not None and message.sent_at is None

    mailbox.rcpt_refusals.clear()  # the address is fixed: still no automatic retry, but visible
    third = mail_send(app)
    assert third.exit_code == 0
    assert third.output == "0 berichten verstuurd.\n1 opgegeven bericht wacht op `flask mail retry`.\n"
    assert mailbox.received == []

    retry = app.test_cli_runner().invoke(args=["mail", "retry"])
    assert retry.exit_code == 0 and retry.output == "1 opgegeven bericht terug in de wachtrij.\n"
    assert mail_send(app).output == "1 bericht verstuurd.\n"
    assert mail_send(app).output == "0 berichten verstuurd.\n"
    assert [m.rcpt_tos for m in mailbox.received] == [(user.email,)]


def test_a_crash_mid_run_loses_nothing_and_repeats_only_the_message_in_flight(
        app, make_user, smtp_server, monkeypatch):
    """At-least-once: the crash comes after the server accepted the second message and before
    it was marked sent. The first stays sent, the second goes again with the same Message-ID."""
    mailbox = smtp_server()
    users = [make_user("coordinator") for _ in range(3)]
    queue_for(users)
    real_send = smtplib.SMTP.send_message
    calls = []

    def send_then_crash(self, message, *args, **kwargs):
        answer = real_send(self, message, *args, **kwargs)
        calls.append(message["Message-ID"])
        if len(calls) == 2:
            raise RuntimeError("process killed")
        return answer

    monkeypatch.setattr(smtplib.SMTP, "send_message", send_then_crash)
    crashed = mail_send(app)
    assert isinstance(crashed.exception, RuntimeError)
    db.session.rollback()
    assert len(mailbox.received) == 2
    assert sum(n.sent_at is not None for n in outbox()) == 1

    monkeypatch.setattr(smtplib.SMTP, "send_message", real_send)
    assert mail_send(app).output == "2 berichten verstuurd.\n"
    ids = mailbox.message_ids()
    assert len(ids) == 4 and ids.count(calls[0]) == 1 and ids.count(calls[1]) == 2
    assert sorted(set(ids)) == sorted(f"<{n.id}@gemeente.test>" for n in outbox())
    assert all(n.sent_at is not None for n in outbox())


def test_a_message_another_run_is_sending_is_skipped(app, make_user, smtp_server):
    """PostgreSQL: each message is claimed with FOR UPDATE SKIP LOCKED, so two runs at once
    never send the same message. (SQLite has one writer at a time and no row locks.)"""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL only")
    mailbox = smtp_server()
    users = [make_user("coordinator"), make_user("coordinator")]
    queue_for(users)
    held = outbox()[0]
    table = Notification.__table__
    with db.engine.connect() as other_run, ThreadPoolExecutor(max_workers=1) as pool:
        other_run.execute(select(table.c.id).where(table.c.id == held.id).with_for_update())
        running = pool.submit(mail_send, app)  # a thread: its own app context and session, like a second run
        try:
            result = running.result(timeout=120)  # only a regression waits here: a claim must skip, not block
        finally:
            other_run.rollback()
    assert result.exit_code == 0, result.output
    assert result.output == "1 bericht verstuurd.\n1 bericht blijft in de wachtrij voor de volgende run.\n"
    assert [m.rcpt_tos for m in mailbox.received] == [(u.email,) for u in users if u.id != held.recipient_id]
    assert mail_send(app).output == "1 bericht verstuurd.\n"
    assert sorted(m.rcpt_tos for m in mailbox.received) == sorted((u.email,) for u in users)


# TLS is verified and never skipped ----------------------------------------------------------


def test_the_server_certificate_is_verified_and_an_untrusted_one_gets_no_password(
        app, make_user, smtp_server, monkeypatch):
    mailbox = smtp_server()
    user = make_user("coordinator")
    queue_for([user])
    monkeypatch.setitem(app.config, "MAIL_CA_FILE", None)  # the system store does not know the test CA

    result = mail_send(app)

    assert result.exit_code == 1
    assert "Gestopt: het certificaat van de mailserver is niet te vertrouwen (zie MAIL_CA_FILE)." in result.output
    assert mailbox.logins == [] and mailbox.received == []
    assert outbox()[0].sent_at is None

    smtp_server.point_app_at(mailbox.port)
    assert mail_send(app).output == "1 bericht verstuurd.\n"
    assert [m.rcpt_tos for m in mailbox.received] == [(user.email,)]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize(("app_starttls", "reason"), [
    (True, "de mailserver biedt geen STARTTLS of AUTH aan; er is niets verstuurd"),
    (False, "MAIL_USERNAME zonder MAIL_STARTTLS: het wachtwoord gaat nooit onversleuteld weg"),
], ids=["server-without-starttls", "starttls-switched-off"])
def test_without_starttls_no_password_and_no_message_leave_the_app(
        app, make_user, smtp_server, monkeypatch, app_starttls, reason):
    mailbox = smtp_server(starttls=False)  # this server would even take AUTH in plain text
    monkeypatch.setitem(app.config, "MAIL_STARTTLS", app_starttls)
    queue_for([make_user("coordinator")])

    result = mail_send(app)

    assert result.exit_code == 1
    assert f"Gestopt: {reason}." in result.output
    assert mailbox.logins == [] and mailbox.received == []
    assert outbox()[0].sent_at is None


def test_without_a_mail_server_the_command_says_messages_were_only_logged(app, make_user):
    assert not app.config.get("MAIL_SERVER")
    queue_for([make_user("coordinator")])
    result = mail_send(app)
    assert result.exit_code == 0
    assert result.output == "1 bericht niet verstuurd maar gelogd: MAIL_SERVER is niet ingesteld.\n"
