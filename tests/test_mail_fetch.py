"""`flask mail fetch`: the meldpunt mailbox as a channel, against a real IMAP server over TLS.

The server is pymap (a pure-Python IMAP4rev1 server with MOVE and UIDPLUS), started once for
the module with one user and an in-memory store. pymap speaks only STARTTLS, while casustafel
always uses implicit TLS (IMAP4_SSL, port 993): a small TLS terminator in this process, with a
certificate made here for 127.0.0.1, sits in front of it. casustafel verifies that certificate
against MAIL_FETCH_CA_FILE like any other; a second certificate plays the untrusted server.
"""

import asyncio
import contextlib
import datetime as dt
import hashlib
import imaplib
import ipaddress
import os
import signal
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text

from casustafel import crypto
from casustafel.extensions import db
from casustafel.models import AuditEvent, MailConcept, Notification
from casustafel.signals import mailbox
from config import TestConfig
from tests.conftest import csrf_from

USER = "ondermijning@gemeente.test"
PASSWORD = "Vlinder zeven 2026!"  # nosec B105 - the test server's password
SENDER_NAME = "Zoë Çelik-van 't Hoff"
SUBJECT = "Signaal: hennepkwekerij in de loods aan de Kerkstraat — graag snel kijken"
BODY = ("Beste meldpunt,\n\nAchter de loods aan de Kerkstraat 12 in Ölst staat 's nachts een bestelbus; "
        "de ramen zijn afgeplakt en het ruikt er sterk naar hennep.\n\nMet vriendelijke groet,\nZoë\n")
START_TIMEOUT = 30.0
FLASK = str(Path(sys.executable).with_name("flask"))


# --- the server ----------------------------------------------------------------------------------


def _certificate(folder: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        assert process.poll() is None, "pymap stopped while starting"
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        assert time.monotonic() < deadline, f"pymap did not listen on port {port} within {START_TIMEOUT} s"
        time.sleep(0.05)


class TlsTerminator:
    """Implicit TLS in front of pymap's plain port: a thread with its own event loop."""

    def __init__(self, cert: Path, key: Path, backend_port: int):
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.backend_port = backend_port
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> int:
        self.thread.start()
        self.loop.set_exception_handler(lambda loop, context: None)  # failed handshakes are expected
        start = asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.context)
        self.server = asyncio.run_coroutine_threadsafe(start, self.loop).result(START_TIMEOUT)
        return self.server.sockets[0].getsockname()[1]

    async def _handle(self, client_reader, client_writer):
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.backend_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(self._pipe(client_reader, writer), self._pipe(reader, client_writer),
                             return_exceptions=True)

    @staticmethod
    async def _pipe(reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    def stop(self) -> None:
        async def close():
            self.server.close()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(START_TIMEOUT)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(START_TIMEOUT)


class Imap:
    """The test's own view of the mailbox: pymap's plain port, as the mailbox's owner."""

    def __init__(self, folder: Path, plain_port: int, tls_port: int, ca_file: Path, untrusted_ca_file: Path):
        self.folder, self.plain_port, self.tls_port = folder, plain_port, tls_port
        self.ca_file, self.untrusted_ca_file = ca_file, untrusted_ca_file

    @contextlib.contextmanager
    def session(self):
        conn = imaplib.IMAP4("127.0.0.1", self.plain_port, timeout=30)
        conn.login(USER, PASSWORD)
        try:
            yield conn
        finally:
            conn.logout()

    def empty(self) -> None:
        """INBOX empty and no processed folder: every test starts from a fresh mailbox."""
        with self.session() as conn:
            conn.select("INBOX")
            conn.uid("STORE", "1:*", "+FLAGS.SILENT", r"(\Deleted)")
            conn.expunge()
            conn.close()
            if conn.select("Verwerkt")[0] == "OK":
                conn.close()
                assert conn.delete("Verwerkt")[0] == "OK"

    def deliver(self, *messages: bytes) -> None:
        with self.session() as conn:
            for message in messages:
                assert conn.append("INBOX", None, None, message)[0] == "OK"

    def messages(self, folder: str) -> list[bytes]:
        """The messages in a folder (a fresh session, so nothing cached), or [] when it does not exist."""
        with self.session() as conn:
            if conn.select(folder, readonly=True)[0] != "OK":
                return []
            _, data = conn.uid("SEARCH", None, "ALL")
            uids = b" ".join(d for d in data if d).split()
            found = []
            for uid in uids:
                _, data = conn.uid("FETCH", uid, "(BODY.PEEK[])")
                found.append(next(part[1] for part in data if isinstance(part, tuple)))
            return found


@pytest.fixture(scope="module")
def imap(tmp_path_factory):
    folder = tmp_path_factory.mktemp("imap")
    cert, key = _certificate(folder, "server")
    untrusted, _ = _certificate(folder, "someone-else")
    plain_port = _free_port()
    log = (folder / "pymap.log").open("wb")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("pymap")), "--host", "127.0.0.1", "--port", str(plain_port), "--no-tls",
         "dict", "--demo-user", USER, "--demo-password", PASSWORD],
        stdout=log, stderr=subprocess.STDOUT,
    )
    terminator = None
    try:
        _wait_for_port(plain_port, process)
        terminator = TlsTerminator(cert, key, plain_port)
        yield Imap(folder, plain_port, terminator.start(), cert, untrusted)
    finally:
        if terminator is not None:
            terminator.stop()
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def mailbox_config(app, imap, tmp_path, monkeypatch):
    """casustafel pointed at the test server; the mailbox empty."""
    imap.empty()
    password_file = tmp_path / "mail-fetch-password"
    password_file.write_text(PASSWORD + "\n")
    settings = {
        "MAIL_FETCH_HOST": "127.0.0.1",
        "MAIL_FETCH_PORT": imap.tls_port,
        "MAIL_FETCH_USER": USER,
        "MAIL_FETCH_PASSWORD_FILE": str(password_file),
        "MAIL_FETCH_CA_FILE": str(imap.ca_file),
        "MAIL_FETCH_FOLDER": "INBOX",
        "MAIL_FETCH_PROCESSED_FOLDER": "Verwerkt",
        "MAIL_FETCH_MAX_BYTES": 25 * 1024 * 1024,
    }
    for name, value in settings.items():
        monkeypatch.setitem(app.config, name, value)
    return settings


# --- mails ---------------------------------------------------------------------------------------


def mail(subject=SUBJECT, body=BODY, *, sender=(SENDER_NAME, "zoe.celik@example.nl"), message_id=True,
         date=dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))), attachment=None) -> bytes:
    message = EmailMessage()
    message["From"] = f'"{sender[0]}" <{sender[1]}>'
    message["To"] = USER
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    if message_id:
        message["Message-ID"] = message_id if isinstance(message_id, str) else make_msgid(domain="example.nl")
    message.set_content(body)
    if attachment:
        message.add_attachment(attachment, maintype="application", subtype="pdf", filename="foto's van de loods.pdf")
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def fetch_cli(app):
    result = app.test_cli_runner().invoke(args=["mail", "fetch"])
    return result.exit_code, result.output


def concepts() -> list[MailConcept]:
    db.session.expire_all()
    return list(db.session.scalars(select(MailConcept).order_by(MailConcept.received_at)))


def waiting() -> list[MailConcept]:
    """The concepts not yet registered or discarded (a handled one stays as a marker)."""
    return [c for c in concepts() if c.handled_at is None]


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def stored_plaintext(app, concept: MailConcept) -> bytes:
    store, ring = app.extensions["casustafel_store"], app.extensions["casustafel_keyring"]
    return b"".join(store.open(concept.file_id, concept.wrapped_key, ring))


# --- 1. the ordinary run ---------------------------------------------------------------------------


def test_three_mails_become_three_encrypted_concepts_and_move_to_the_processed_folder(
        app, imap, mailbox_config, make_user):
    coordinator = make_user("coordinator")
    pdf = b"%PDF-1.4\n" + "Zoë Çelik foto 1\n".encode() * 2000
    sent = [
        mail(),
        mail("Overlast en drugshandel vanuit woning Dorpsstraat 7 (ook ’s nachts)",
             "Lange tekst. " * 400, date=dt.datetime(2026, 12, 31, 23, 59, tzinfo=dt.UTC)),
        mail("Foto's van de loods", "Zie de bijlage.", attachment=pdf, sender=("Jan de Vries", "jan@example.nl"),
             date=dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC)),
    ]
    assert b"=?utf-8?" in sent[0].lower()  # the subject goes as an encoded word, as mail clients send it
    imap.deliver(*sent)

    code, output = fetch_cli(app)

    assert code == 0, output
    assert "3 nieuwe e-mails opgehaald, 0 al bekend, 3 verplaatst naar Verwerkt, 0 mislukt." in output
    assert imap.messages("INBOX") == []
    assert sorted(imap.messages("Verwerkt")) == sorted(sent)
    found = concepts()
    assert [c.subject for c in found] == ["Foto's van de loods", SUBJECT,
                                          "Overlast en drugshandel vanuit woning Dorpsstraat 7 (ook ’s nachts)"]
    assert found[1].sender == f"{SENDER_NAME} <zoe.celik@example.nl>"
    # The Date header in UTC: 01:30 at +02:00 on 29 March is 23:30 the day before.
    assert found[1].received_at == dt.datetime(2026, 3, 28, 23, 30)
    assert [c.size for c in found] == [len(sent[2]), len(sent[0]), len(sent[1])]
    assert not any(c.too_large for c in found)
    for concept, raw in zip(found, (sent[2], sent[0], sent[1]), strict=True):
        assert stored_plaintext(app, concept) == raw
        assert len(concept.message_key) == 64 and concept.file_id == concept.id

    # At rest: the columns and the stored files hold no plaintext.
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT subject_enc, sender_enc, message_key FROM mail_concept")).all()
    dump = b"".join(bytes(r[0]) + bytes(r[1]) + r[2].encode() for r in rows)
    for plain in ("Zoë", "Çelik", "zoe.celik@example.nl", "hennepkwekerij", "Dorpsstraat", "Foto's"):
        assert plain.encode() not in dump
    for concept in found:
        ciphertext = app.extensions["casustafel_store"].path(concept.file_id).read_bytes()
        for plain in (b"Kerkstraat", b"zoe.celik", b"Lange tekst", b"%PDF-1.4", b"Message-ID"):
            assert plain not in ciphertext

    # The run is logged once with its counts, each concept with its own event; nothing of a mail.
    (run,) = events("mail.fetched")
    assert (run.result, run.reason_code, run.actor_id, run.origin) == ("success", "n3-b0-v3-m0", None, "cli")
    assert sorted(e.object_id for e in events("mail_concept.created")) == sorted(str(c.id) for c in found)
    # One notification per coordinator and run, without any content of the mails.
    (note,) = db.session.scalars(select(Notification).where(Notification.recipient_id == coordinator.id)).all()
    assert "e-mail van het meldpunt" in note.body
    assert not any(word in note.subject + note.body for word in ("Zoë", "Kerkstraat", "loods", "Dorpsstraat"))

    # A rerun finds nothing new and makes nothing twice.
    code, output = fetch_cli(app)
    assert code == 0
    assert "0 nieuwe e-mails opgehaald, 0 al bekend, 0 verplaatst naar Verwerkt, 0 mislukt." in output
    assert len(concepts()) == 3
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1


def test_a_mail_the_store_cannot_take_stays_in_the_mailbox_alone_and_the_next_run_takes_it(
        app, imap, mailbox_config, monkeypatch):
    imap.deliver(mail("Eerste"), mail("Tweede"), mail("Derde"))
    store = app.extensions["casustafel_store"]
    real_save, calls = store.save, []

    def save_fails_once(file_id, source, keyring):
        calls.append(file_id)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_save(file_id, source, keyring)

    monkeypatch.setattr(store, "save", save_fails_once)
    code, output = fetch_cli(app)

    assert code == 1
    assert "2 nieuwe e-mails opgehaald, 0 al bekend, 2 verplaatst naar Verwerkt, 1 mislukt." in output
    assert "een e-mail kon niet worden opgeslagen; die blijft in de mailbox" in output
    assert sorted(c.subject for c in concepts()) == ["Derde", "Eerste"]
    assert [m for m in imap.messages("INBOX") if b"Subject: Tweede" in m]
    assert not store.path(calls[1]).exists()
    assert events("mail.fetched")[-1].result == "failed"

    monkeypatch.setattr(store, "save", real_save)
    code, output = fetch_cli(app)
    assert code == 0
    assert "1 nieuwe e-mail opgehaald, 0 al bekend, 1 verplaatst naar Verwerkt, 0 mislukt." in output
    assert sorted(c.subject for c in concepts()) == ["Derde", "Eerste", "Tweede"]
    assert imap.messages("INBOX") == []


def test_a_mail_over_the_limit_becomes_a_concept_without_its_content_and_stays_in_the_mailbox(
        app, imap, mailbox_config, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FETCH_MAX_BYTES", 50 * 1024)
    big = mail("Grote bijlage", "Zie bijlage.", attachment=b"%PDF-1.4\n" + os.urandom(80 * 1024))
    small = mail("Klein")
    imap.deliver(big, small)

    code, output = fetch_cli(app)

    assert code == 0, output
    assert "2 nieuwe e-mails opgehaald" in output
    assert "1 e-mail is groter dan 50 kB: alleen afzender, onderwerp en datum staan in casustafel" in output
    (large,) = [c for c in concepts() if c.too_large]
    assert (large.subject, large.sender, large.size, large.file_id, large.wrapped_key) == (
        "Grote bijlage", f"{SENDER_NAME} <zoe.celik@example.nl>", len(big), None, None)
    assert big in imap.messages("Verwerkt")  # kept in the mailbox: nothing lost


@pytest.mark.parametrize("capabilities", [{"IMAP4REV1", "UIDPLUS"}, {"IMAP4REV1"}], ids=["uid-expunge", "expunge"])
def test_without_move_the_mail_is_copied_then_deleted_from_the_inbox(app, imap, mailbox_config, monkeypatch,
                                                                     capabilities):
    monkeypatch.setattr(mailbox, "_capabilities", lambda conn: capabilities)
    sent = [mail("Eerste"), mail("Tweede", message_id=False)]
    imap.deliver(*sent)

    code, output = fetch_cli(app)

    assert code == 0, output
    assert "2 nieuwe e-mails opgehaald, 0 al bekend, 2 verplaatst naar Verwerkt, 0 mislukt." in output
    assert imap.messages("INBOX") == []
    assert sorted(imap.messages("Verwerkt")) == sorted(sent)


def test_a_mail_that_cannot_be_moved_keeps_its_one_concept_and_the_next_run_moves_it(app, imap, mailbox_config,
                                                                                      monkeypatch):
    imap.deliver(mail())
    real_move = mailbox.move_message
    monkeypatch.setattr(mailbox, "move_message", lambda *args: False)
    code, output = fetch_cli(app)
    assert code == 1
    assert "1 nieuwe e-mail opgehaald, 0 al bekend, 0 verplaatst naar Verwerkt, 1 mislukt." in output
    assert "kon niet naar de map 'Verwerkt' worden verplaatst" in output
    assert len(imap.messages("INBOX")) == 1 and len(concepts()) == 1

    monkeypatch.setattr(mailbox, "move_message", real_move)
    code, output = fetch_cli(app)
    assert code == 0
    assert "0 nieuwe e-mails opgehaald, 1 al bekend, 1 verplaatst naar Verwerkt, 0 mislukt." in output
    assert len(concepts()) == 1 and imap.messages("INBOX") == []


# --- 2. killed between the commit and the move --------------------------------------------------------

KILLED_RUN = textwrap.dedent("""
    import os, signal
    from casustafel import create_app
    from casustafel.signals import mailbox

    def killed(*args, **kwargs):  # the first move: the concept is committed, the mail not yet moved
        os.kill(os.getpid(), signal.SIGKILL)

    mailbox.move_message = killed
    app = create_app()
    app.test_cli_runner().invoke(args=["mail", "fetch"], catch_exceptions=False)
""")


@pytest.fixture(scope="module")
def file_database(tmp_path_factory):
    """A SQLite file that processes of their own share with this test, with its keyring file."""
    folder = tmp_path_factory.mktemp("mail-fetch-kill")
    keyring_path = folder / "keyring.json"
    keyring_path.write_text(crypto.Keyring.generate().to_json())
    keyring_path.chmod(0o400)
    url = f"sqlite:///{folder / 'db.sqlite'}"
    from casustafel import create_app

    settings = {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {}, "CASUSTAFEL_KEYRING_JSON": None,
                "CASUSTAFEL_KEYRING": str(keyring_path), "ATTACHMENT_DIR": str(folder / "attachments"),
                "UPLOAD_TMP_DIR": str(folder / "uploads")}
    own = create_app(type("MailKillConfig", (TestConfig,), settings))
    with own.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()
    return folder, url, keyring_path


def test_killed_between_commit_and_move_the_rerun_makes_exactly_one_concept_per_mail(imap, mailbox_config,
                                                                                      file_database):
    folder, url, keyring_path = file_database
    sent = [mail("Eerste melding per mail"), mail("Tweede", message_id=False), mail("Derde", attachment=b"%PDF-1.4 x")]
    imap.deliver(*sent)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CASUSTAFEL_", "TEST_DATABASE", "MAIL_"))}
    env.update(CASUSTAFEL_ENV="development", DATABASE_URL=url, CASUSTAFEL_KEYRING=str(keyring_path),
               CASUSTAFEL_INSTANCE=str(folder), CASUSTAFEL_ATTACHMENT_DIR=str(folder / "attachments"),
               CASUSTAFEL_UPLOAD_TMP_DIR=str(folder / "uploads"), PYTHONUNBUFFERED="1",
               **{name: str(value) for name, value in mailbox_config.items() if name != "MAIL_FETCH_MAX_BYTES"})
    engine = create_engine(url)

    def stored() -> list[tuple]:
        with engine.connect() as conn:
            return conn.execute(text("SELECT message_key, file_id FROM mail_concept")).all()

    killed = subprocess.run([sys.executable, "-c", KILLED_RUN], env=env, capture_output=True, timeout=120,
                            cwd=Path(__file__).resolve().parents[1])

    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    assert len(stored()) == 1  # the first concept was committed ...
    assert sorted(imap.messages("INBOX")) == sorted(sent)  # ... and its mail is still in the inbox
    assert imap.messages("Verwerkt") == []

    rerun = subprocess.run([FLASK, "--app", "casustafel", "mail", "fetch"], env=env, capture_output=True, timeout=120,
                           cwd=Path(__file__).resolve().parents[1], text=True)

    assert rerun.returncode == 0, rerun.stderr
    assert "2 nieuwe e-mails opgehaald, 1 al bekend, 3 verplaatst naar Verwerkt, 0 mislukt." in rerun.stdout
    rows = stored()
    assert len(rows) == 3 and len({key for key, _ in rows}) == 3
    assert imap.messages("INBOX") == []
    assert sorted(imap.messages("Verwerkt")) == sorted(sent)
    engine.dispose()


# --- 3. the mailbox cannot be used -------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["wrong password", "missing file", "empty file", "untrusted certificate"])
def test_a_mailbox_that_cannot_be_used_gives_a_dutch_reason_and_changes_nothing(app, imap, mailbox_config,
                                                                                   monkeypatch, tmp_path, case):
    imap.deliver(mail())
    expected = {
        "wrong password": "weigerde de aanmelding van ondermijning@gemeente.test",
        "missing file": "Het wachtwoordbestand van de mailbox bestaat niet",
        "empty file": "Het wachtwoordbestand van de mailbox is leeg",
        "untrusted certificate": "Het certificaat van de mailserver 127.0.0.1",
    }[case]
    wrong = "Vlinder zeven 2025!"
    if case == "wrong password":
        Path(mailbox_config["MAIL_FETCH_PASSWORD_FILE"]).write_text(wrong + "\n")
    elif case == "missing file":
        monkeypatch.setitem(app.config, "MAIL_FETCH_PASSWORD_FILE", str(tmp_path / "bestaat-niet"))
    elif case == "empty file":
        Path(mailbox_config["MAIL_FETCH_PASSWORD_FILE"]).write_text("\n")
    else:
        monkeypatch.setitem(app.config, "MAIL_FETCH_CA_FILE", str(imap.untrusted_ca_file))

    code, output = fetch_cli(app)

    assert code == 1
    assert expected in output
    assert "Traceback" not in output and PASSWORD not in output and wrong not in output
    assert concepts() == []
    assert len(imap.messages("INBOX")) == 1
    (run,) = events("mail.fetched")
    assert (run.result, run.reason_code) == ("failed", "mailbox_onbruikbaar")


def test_without_settings_the_command_names_what_is_missing(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FETCH_HOST", None)
    code, output = fetch_cli(app)
    assert code == 1
    assert "De mailbox van het meldpunt is niet ingesteld: MAIL_FETCH_HOST" in output


# --- 4. what counts as the same mail ------------------------------------------------------------------------


def test_a_mail_without_message_id_is_known_by_its_content_and_a_reused_message_id_is_the_same_mail(
        app, imap, mailbox_config):
    anonymous = mail("Zonder Message-ID", message_id=False)
    assert b"\r\nMessage-ID:" not in anonymous
    first = mail("Met Message-ID", message_id="<melding-1@example.nl>")
    imap.deliver(anonymous, first)
    assert fetch_cli(app)[0] == 0
    assert len(concepts()) == 2

    # The same bytes again (a copy put back in the inbox): known by their content.
    # Other content without a Message-ID: a new mail.
    # Other content under a Message-ID already seen: the same mail by decision (mailbox.py);
    # it is moved to Verwerkt like the others and stays in the mailbox.
    other = mail("Zonder Message-ID, andere tekst", message_id=False)
    reused = mail("Andere tekst, zelfde Message-ID", "Iets anders.", message_id="<melding-1@example.nl>")
    imap.deliver(anonymous, other, reused)
    code, output = fetch_cli(app)

    assert code == 0
    assert "1 nieuwe e-mail opgehaald, 2 al bekend, 3 verplaatst naar Verwerkt, 0 mislukt." in output
    assert sorted(c.subject for c in concepts()) == ["Met Message-ID", "Zonder Message-ID",
                                                     "Zonder Message-ID, andere tekst"]
    assert imap.messages("INBOX") == []
    assert reused in imap.messages("Verwerkt")


def test_the_message_key_is_keyed_and_separate_from_the_import_key(app):
    keys = mailbox.message_keys("<melding-1@example.nl>", b"")
    ring = app.extensions["casustafel_keyring"]
    assert keys == [crypto.row_key(ring, "message-id", "<melding-1@example.nl>", context="mail-message")]
    assert keys[0] != crypto.row_key(ring, "message-id", "<melding-1@example.nl>")
    assert keys[0] != hashlib.sha256(b"<melding-1@example.nl>").hexdigest()
    assert mailbox.message_keys(None, b"abc") != mailbox.message_keys(None, b"abd")


# --- 5. the coordinator's list -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["reporter", "member", "privacy_officer", "admin"])
def test_only_the_coordinator_sees_or_discards_the_mails(app, imap, mailbox_config, client, make_user, login_as,
                                                         role):
    imap.deliver(mail())
    assert fetch_cli(app)[0] == 0
    (concept,) = concepts()
    login_as(make_user(role))
    page = client.get("/meldingen/e-mail")
    assert page.status_code == 403
    assert "Zoë".encode() not in page.data
    token = csrf_from(client.get("/", follow_redirects=True))
    assert client.post(f"/meldingen/e-mail/{concept.id}/verwijderen", data={"csrf_token": token}).status_code == 403
    assert len(concepts()) == 1
    assert events("mail_concept.listed") == [] and events("mail_concept.discarded") == []


def test_the_coordinator_sees_the_mails_logged_and_discards_one_with_its_file(app, imap, mailbox_config, client,
                                                                              make_user, login_as):
    imap.deliver(mail(), mail("Tweede e-mail", sender=("Jan de Vries", "jan@example.nl")))
    assert fetch_cli(app)[0] == 0
    coordinator = make_user("coordinator")
    login_as(coordinator)

    inbox = client.get("/meldingen").get_data(as_text=True)
    assert "2 e-mails wachten op beoordeling" in inbox

    page = client.get("/meldingen/e-mail")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Zoë Çelik-van &#39;t Hoff &lt;zoe.celik@example.nl&gt;" in html and "Tweede e-mail" in html
    assert "29-03-2026 00:30" in html  # 23:30 UTC on the 28th, before summer time starts that night
    (listed,) = events("mail_concept.listed")
    assert (listed.actor_id, listed.result) == (coordinator.id, "success")

    concept = next(c for c in concepts() if c.subject == SUBJECT)
    concept_id, path = concept.id, app.extensions["casustafel_store"].path(concept.file_id)
    assert path.exists()
    # Without the CSRF token nothing happens.
    assert client.post(f"/meldingen/e-mail/{concept_id}/verwijderen").status_code == 400
    assert len(concepts()) == 2
    token = csrf_from(page)
    response = client.post(f"/meldingen/e-mail/{concept_id}/verwijderen", data={"csrf_token": token},
                           follow_redirects=True)

    assert response.status_code == 200
    assert "De e-mail is verwijderd uit casustafel" in response.get_data(as_text=True)
    assert [c.subject for c in waiting()] == ["Tweede e-mail"]
    assert not path.exists()
    (discarded,) = events("mail_concept.discarded")
    assert (discarded.actor_id, discarded.object_id) == (coordinator.id, str(concept_id))
    # Discarded again: explained, nothing more happens.
    again = client.post(f"/meldingen/e-mail/{concept_id}/verwijderen", data={"csrf_token": token})
    assert again.status_code == 302 and len(events("mail_concept.discarded")) == 1
    # An unknown concept: 404, logged as a denial.
    unknown = uuid.uuid4()
    assert client.post(f"/meldingen/e-mail/{unknown}/verwijderen", data={"csrf_token": token}).status_code == 404
    assert [e.object_id for e in events("access.denied")] == [str(unknown)]
