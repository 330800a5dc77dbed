"""Faults (issue 7; docs/security.md "Proving it"; reference rows R1, R3, R5, R7, R10).

Each test breaks one thing at one point and checks what the user sees, what is stored and
what is logged. Covered elsewhere and not repeated here:
- wrong or missing key at start-up, `keys init` on a populated database (R3/R4):
  tests/test_keys.py;
- a stale workspace form (status, legal hold, question) gets 409 and changes nothing (R5):
  tests/test_workspace.py::test_a_form_from_before_someone_elses_change_changes_nothing;
- the attachment store itself removes its temp file on ENOSPC, and the upload spool removes
  its file (R7): tests/test_storage.py::test_disk_full_leaves_no_file_behind,
  ::test_spool_removes_its_file_when_the_disk_is_full;
- thirty concurrent reference allocations: tests/test_signals.py.
"""

import errno
import logging
import re
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.exc import OperationalError

from casustafel import crypto
from casustafel.extensions import db
from casustafel.models import AuditEvent, Signal
from casustafel.storage import AttachmentStore
from tests.helpers.signals import (
    PDF,
    all_signals,
    assert_nothing_saved,
    field_error,
    page,
    pdf,
    person,
    signal_form,
    stored_files,
    submit,
)
from tests.helpers.signals import logged_in as client_for

# Canaries: personal data and free text that must never reach an error page or a log.
NAME = "Canarius Foutmelder"
DESCRIPTION = "Beschrijving CANARY-R1 achter de schuur"
FILE_CONTENT = PDF + b"BIJLAGE-CANARY-R7"
CANARIES = (NAME, DESCRIPTION, "CANARY-R1", "BIJLAGE-CANARY-R7", "1234 AB")


# Helpers -------------------------------------------------------------------------------------


class DatabaseFault:
    """Raise OperationalError ("server closed the connection") at one chosen point.

    `at` is a regular expression matched against each SQL statement (before it reaches the
    database), or "commit" for the COMMIT itself. Only the `nth` match fails, once.
    """

    def __init__(self, engine):
        self.engine = engine
        self.at = None
        self.nth = 1
        self.seen = 0
        self.fired = 0

    def arm(self, at: str, nth: int = 1) -> None:
        self.at, self.nth, self.seen, self.fired = at, nth, 0, 0

    def disarm(self) -> None:
        self.at = None

    def _down(self, statement, params):
        self.fired += 1
        raise OperationalError(statement, params, ConnectionError("server closed the connection unexpectedly"))

    def before_cursor_execute(self, conn, cursor, statement, parameters, context, executemany):
        if self.at and self.at != "commit" and re.search(self.at, statement, re.IGNORECASE | re.DOTALL):
            self.seen += 1
            if self.seen == self.nth:
                self.at = None
                self._down(statement, parameters)

    def commit(self, conn):
        if self.at == "commit":
            self.seen += 1
            if self.seen == self.nth:
                self.at = None
                self._down("COMMIT", {})


@pytest.fixture
def fault(app):
    injector = DatabaseFault(db.engine)
    event.listen(db.engine, "before_cursor_execute", injector.before_cursor_execute)
    event.listen(db.engine, "commit", injector.commit)
    yield injector
    event.remove(db.engine, "before_cursor_execute", injector.before_cursor_execute)
    event.remove(db.engine, "commit", injector.commit)


@pytest.fixture
def logs(caplog):
    """caplog that also sees the app's loggers (alembic's fileConfig disables existing ones)."""
    names = ("casustafel", "casustafel.errors", "casustafel.audit", "sqlalchemy", "werkzeug")
    loggers = [logging.getLogger(n) for n in names]
    before = [lg.disabled for lg in loggers]
    for lg in loggers:
        lg.disabled = False
    caplog.set_level(logging.DEBUG)
    yield caplog
    for lg, was in zip(loggers, before, strict=True):
        lg.disabled = was


def logged_text(caplog) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


def assert_no_canaries(*texts: str) -> None:
    for content in texts:
        for canary in CANARIES:
            assert canary not in content, f"{canary!r} leaked"


def assert_generic_503(response) -> None:
    assert response.status_code == 503
    body = page(response)
    assert "Tijdelijk niet beschikbaar" in body
    request_id = response.headers["X-Request-ID"]
    assert f"Kenmerk voor de helpdesk: <span class=\"app-reference\">{request_id}</span>" in body
    for internal in ("Traceback", "OperationalError", "INSERT", "SELECT", "sqlalchemy", "server closed"):
        assert internal not in body
    assert_no_canaries(body)


def events(action, **where) -> list[AuditEvent]:
    db.session.expire_all()
    stmt = select(AuditEvent).where(AuditEvent.action == action)
    for key, value in where.items():
        stmt = stmt.where(getattr(AuditEvent, key) == value)
    return list(db.session.scalars(stmt.order_by(AuditEvent.seq)))


def all_events() -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def spool_files(app) -> list:
    from pathlib import Path

    folder = Path(app.config["UPLOAD_TMP_DIR"])
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def reporter(make_user, login_as):
    user = make_user("reporter", name="Mila Melder")
    login_as(user)
    return user


def canary_form() -> dict:
    return signal_form(description=DESCRIPTION, **person(0, name=NAME, postcode="1234 AB"))


def csrf_of(client, url="/meldpunt") -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page(client.get(url))).group(1)


def post_signal(client, data, files=(), token=None):
    """Submit the meldpunt form; take the CSRF token first, so a fault armed before hits the POST."""
    payload = {"csrf_token": token or csrf_of(client), **data}
    if files:
        payload["attachments"] = list(files)
    return client.post("/meldpunt", data=payload, content_type="multipart/form-data")


# R1: the database fails at each step of a submission ----------------------------------------

SUBMISSION_POINTS = {
    "after the signal insert": r"^\s*INSERT INTO signal_event\b",
    "at the subject insert": r"^\s*INSERT INTO subject\b",
    "at the audit head lock": r"^\s*UPDATE audit_head\b",
    "at the audit insert": r"^\s*INSERT INTO audit_event\b",
    "at the attachment insert": r"^\s*INSERT INTO attachment\b",
    "at the second audit event (attachment.uploaded)": r"^\s*INSERT INTO audit_event\b#2",
    "at commit": "commit",
}


@pytest.mark.parametrize("point", SUBMISSION_POINTS)
def test_a_database_error_at_any_step_of_a_submission_saves_nothing_and_the_next_one_works(
    app, client, reporter, store, fault, logs, point
):
    at, _, nth = SUBMISSION_POINTS[point].partition("#")
    token = csrf_of(client)
    fault.arm(at, int(nth or 1))

    response = post_signal(client, canary_form(), files=[pdf("verslag.pdf", FILE_CONTENT)], token=token)

    assert fault.fired == 1, f"the fault point {point!r} was never reached"
    assert_generic_503(response)
    assert_nothing_saved(store)  # no signal, subject, attachment row, event or file
    assert not events("signal.created") and not events("attachment.uploaded")
    assert spool_files(app) == []  # the encrypted upload spool is gone too
    log = logged_text(logs)
    assert "database unavailable" in log or "access log cannot be written" in log
    assert_no_canaries(log)

    # The database is back: the same submission goes through, with its log events.
    response = submit(client, canary_form(), files=[pdf("verslag.pdf", FILE_CONTENT)])
    assert response.status_code == 302
    (signal,) = all_signals()
    assert signal.description == DESCRIPTION
    assert len(signal.attachments) == 1
    assert [e.object_id for e in events("signal.created")] == [str(signal.id)]
    assert len(events("attachment.uploaded")) == 1
    assert len(stored_files(store)) == 1


def test_a_database_error_on_a_refused_submission_logs_nothing_half(app, client, reporter, fault, logs):
    token = csrf_of(client)
    fault.arm("commit")
    response = post_signal(client, signal_form(description=""), token=token)  # refused; its event fails
    assert_generic_503(response)
    assert not events("signal.submit_refused")


# R1: the database fails while a signal is read -----------------------------------------------


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator")


@pytest.fixture
def marked_signal(make_signal, make_user, store):
    reporter = make_user("reporter", name="Rita Melder")
    return make_signal(reporter, description=DESCRIPTION, person=(NAME, "1980-01-02"), address=("1234 AB", "7"),
                       attachment=FILE_CONTENT)


READ_POINTS = {
    "while loading the signal": r"^\s*SELECT .*\sFROM signal\b",
    "during decrypt-and-render (subjects)": r"^\s*SELECT .*\sFROM subject\b",
    "at the audit insert": r"^\s*INSERT INTO audit_event\b",
    "at commit": "commit",
}


@pytest.mark.parametrize("point", READ_POINTS)
def test_a_database_error_while_reading_a_signal_shows_nothing_and_logs_nothing_half(
    app, coordinator, marked_signal, fault, logs, point
):
    client = client_for(app, coordinator)
    url = f"/meldingen/{marked_signal.id}"
    fault.arm(READ_POINTS[point])

    response = client.get(url)

    assert fault.fired == 1, f"the fault point {point!r} was never reached"
    assert_generic_503(response)  # never the content without its log event
    assert not events("signal.viewed")  # nor a log event for a read that did not happen
    assert_no_canaries(logged_text(logs))

    response = client.get(url)
    assert response.status_code == 200
    assert DESCRIPTION in page(response)
    assert len(events("signal.viewed")) == 1


@pytest.mark.parametrize("point", ["at the audit insert", "at commit"])
def test_a_database_error_while_downloading_an_attachment_sends_no_byte(
    app, coordinator, marked_signal, fault, logs, point
):
    client = client_for(app, coordinator)
    (attachment,) = marked_signal.attachments
    url = f"/meldingen/{marked_signal.id}/bijlagen/{attachment.id}"
    fault.arm(READ_POINTS[point])

    response = client.get(url)

    assert fault.fired == 1
    assert_generic_503(response)
    assert b"BIJLAGE-CANARY-R7" not in response.get_data()
    assert not events("attachment.downloaded")
    assert_no_canaries(logged_text(logs))

    response = client.get(url)
    assert response.status_code == 200 and response.get_data() == FILE_CONTENT
    assert len(events("attachment.downloaded")) == 1


@pytest.mark.parametrize("point", ["at the audit insert", "at commit", "while building the page"])
def test_a_database_error_while_a_member_reads_the_agenda_shows_no_item(
    app, make_user, make_signal, fault, logs, point
):
    from tests.helpers.meetings_access import MARKERS, agenda_url, marked_scene

    scene = marked_scene(make_user, make_signal, ["beschrijving", "betrokkenen"])
    client = client_for(app, scene.member)
    at = {"at the audit insert": READ_POINTS["at the audit insert"], "at commit": "commit",
          "while building the page": r"^\s*SELECT .*\sFROM action\b"}[point]
    fault.arm(at)

    response = client.get(agenda_url(scene.meeting))

    assert fault.fired == 1
    assert_generic_503(response)
    body = page(response)
    assert MARKERS["beschrijving"] not in body and MARKERS["betrokkenen"] not in body
    assert events("agenda_item.viewed") == []
    assert MARKERS["beschrijving"] not in logged_text(logs)

    response = client.get(agenda_url(scene.meeting))
    assert response.status_code == 200 and MARKERS["beschrijving"] in page(response)


def test_healthz_reports_the_database_down_and_recovers(client, fault):
    fault.arm(r"SELECT 1")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unavailable"}
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}


# R10: the access log cannot be written (a real refusal by the database) -------------------------


@contextmanager
def audit_log_unwritable():
    """SQLite: a trigger refuses inserts. PostgreSQL: the app's role loses INSERT on audit_event."""
    engine = db.engine
    db.session.remove()
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.execute(text("CREATE TRIGGER h7_audit_readonly BEFORE INSERT ON audit_event "
                              "BEGIN SELECT RAISE(ABORT, 'audit log read-only'); END"))
        try:
            yield
        finally:
            db.session.remove()
            with engine.begin() as conn:
                conn.execute(text("DROP TRIGGER h7_audit_readonly"))
        return
    role = "casustafel_h7_app"
    with engine.begin() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        if not exists:
            conn.execute(text(f"CREATE ROLE {role} NOLOGIN"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"))
        conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"))
        conn.execute(text(f"REVOKE INSERT ON audit_event FROM {role}"))

    def as_app_role(dbapi_connection, record, proxy):
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET ROLE {role}")
        dbapi_connection.commit()

    def back_to_owner(dbapi_connection, record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
        dbapi_connection.commit()

    event.listen(engine.pool, "checkout", as_app_role)
    event.listen(engine.pool, "checkin", back_to_owner)
    try:
        yield
    finally:
        db.session.remove()
        event.remove(engine.pool, "checkout", as_app_role)
        event.remove(engine.pool, "checkin", back_to_owner)
        engine.dispose()


def test_with_the_access_log_unwritable_reads_and_writes_of_signals_fail_closed(
    app, make_user, coordinator, marked_signal, store, logs
):
    reporter = make_user("reporter", name="Mila Melder")
    reporter_client = client_for(app, reporter)
    coordinator_client = client_for(app, coordinator)
    (attachment,) = marked_signal.attachments
    signal_url = f"/meldingen/{marked_signal.id}"
    download_url = f"{signal_url}/bijlagen/{attachment.id}"
    signal_id = marked_signal.id
    before = len(all_events())
    files_before = stored_files(store)
    token = csrf_of(reporter_client)

    with audit_log_unwritable():
        read = coordinator_client.get(signal_url)
        download = coordinator_client.get(download_url)
        write = post_signal(reporter_client, canary_form(), files=[pdf("v.pdf", FILE_CONTENT)], token=token)

    for response in (read, download, write):
        assert_generic_503(response)
    assert b"BIJLAGE-CANARY-R7" not in download.get_data()
    assert [s.id for s in all_signals()] == [signal_id]  # the submission left nothing
    assert stored_files(store) == files_before
    assert len(all_events()) == before
    log = logged_text(logs)
    assert log.count("ALERT access log cannot be written") >= 3  # an alert for each refused request
    assert_no_canaries(log)

    # Writable again: everything works and the chain still verifies.
    assert coordinator_client.get(signal_url).status_code == 200
    from casustafel.audit_log import verify_chain

    assert verify_chain(app.extensions["casustafel_keyring"]).ok


# R3: one signal's ciphertext is corrupted -------------------------------------------------------


def test_a_corrupted_signal_fails_alone_with_a_security_event_and_is_never_written_back(
    app, coordinator, make_signal, logs
):
    broken = make_signal(description=DESCRIPTION, person=(NAME, "1980-01-02"))
    fine = make_signal(description="Een andere melding", person=("Piet Puk", "1970-03-04"))
    blob = bytearray(db.session.scalar(select(Signal.description_enc).where(Signal.id == broken.id)))
    blob[20] ^= 0x01
    db.session.execute(update(Signal.__table__).where(Signal.__table__.c.id == broken.id)
                       .values(description_enc=bytes(blob)))
    db.session.commit()
    client = client_for(app, coordinator)

    response = client.get(f"/meldingen/{broken.id}")

    assert response.status_code == 500
    body = page(response)
    assert "Er ging iets mis" in body and response.headers["X-Request-ID"] in body
    for internal in ("Traceback", "DecryptionError", "description", str(broken.id)):
        assert internal not in body
    assert_no_canaries(body)
    (security,) = events("security.decryption_failed")
    assert (security.object_type, security.object_id, security.reason_code, security.result) == (
        "signal", str(broken.id), "description", "failed")
    assert security.actor_id == coordinator.id
    assert not events("signal.viewed", object_id=str(broken.id))
    log = logged_text(logs)
    assert f"signal.description of record {broken.id}" in log
    assert_no_canaries(log)
    # Other signals are unaffected; the inbox still lists both.
    assert client.get(f"/meldingen/{fine.id}").status_code == 200
    assert client.get("/meldingen").status_code == 200
    # Never written back or "repaired".
    stored = db.session.scalar(select(Signal.description_enc).where(Signal.id == broken.id))
    assert stored == bytes(blob)
    with pytest.raises(crypto.DecryptionError):
        _ = db.session.get(Signal, broken.id).description


# R7: disk full while storing an attachment --------------------------------------------------------

SEGMENT = crypto.SEGMENT_SIZE


class DiskFullAt:
    """Patch the store's writer so the n-th write of ciphertext raises ENOSPC."""

    def __init__(self, nth: int):
        self.nth, self.writes = nth, 0
        self.original = AttachmentStore._open_temp

    def __call__(self, store, path):
        handle = self.original(store, path)
        outer = self

        class Full:
            def write(self, data):
                outer.writes += 1
                if outer.writes == outer.nth:
                    raise OSError(errno.ENOSPC, "No space left on device")
                return handle.write(data)

            def __getattr__(self, name):
                return getattr(handle, name)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                handle.close()
                return False

        return Full()


@pytest.mark.parametrize(("where", "nth"), [("first segment", 1), ("middle segment", 2), ("last segment", 3)])
def test_disk_full_while_storing_an_attachment_says_so_and_leaves_nothing(
    app, client, reporter, store, logs, monkeypatch, where, nth
):
    content = PDF + b"x" * (2 * SEGMENT + 100) + b"BIJLAGE-CANARY-R7"  # three segments
    full = DiskFullAt(nth)
    data = canary_form()

    with monkeypatch.context() as patch:
        patch.setattr(AttachmentStore, "_open_temp", lambda store, path: full(store, path))
        response = submit(client, data, files=[pdf("groot.pdf", content)])

    assert full.writes == nth, f"the {where} was never written"
    assert response.status_code == 503
    body = page(response)
    message = field_error(body, "attachments")
    assert "geen opslagruimte" in message and "nog niet verstuurd" in message
    assert DESCRIPTION in body  # what was typed is kept (shown back to the same user only)
    assert "groot.pdf" in body  # and which file to add again
    assert_nothing_saved(store)  # no row, no event, no partial or temp file
    assert spool_files(app) == []
    log = logged_text(logs)
    assert "ALERT disk full" in log
    assert_no_canaries(log)
    assert "groot.pdf" not in log

    assert client.get("/mijn-meldingen").status_code == 200  # other requests keep working
    response = submit(client, data, files=[pdf("groot.pdf", content)])
    assert response.status_code == 302
    assert len(stored_files(store)) == 1
    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"


def test_disk_full_while_spooling_an_upload_gives_the_503_page_and_an_alert(
    app, client, reporter, store, logs, monkeypatch
):
    import tempfile

    real = tempfile.NamedTemporaryFile

    class FullFile:
        def __init__(self, handle):
            self._handle = handle

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self._handle, name)

    token = csrf_of(client)
    with monkeypatch.context() as patch:
        patch.setattr(tempfile, "NamedTemporaryFile", lambda *a, **k: FullFile(real(*a, **k)))
        response = post_signal(client, canary_form(), files=[pdf("v.pdf", FILE_CONTENT)], token=token)

    assert_generic_503(response)
    assert_nothing_saved(store)
    assert spool_files(app) == []
    assert "ALERT disk full" in logged_text(logs)


# R5: concurrent edits ------------------------------------------------------------------------------

VERSION_RE = re.compile(r'name="version" type="hidden" value="(\d+)"')
CONFLICT_TEXT = "Iemand anders heeft deze verstrekking intussen gewijzigd"


@pytest.fixture
def threaded_app(app, tmp_path, store):
    """PostgreSQL as it is, or an app on a SQLite FILE (the in-memory test database has one connection)."""
    if db.engine.dialect.name == "postgresql":
        yield app
        return
    from flask_migrate import upgrade

    from casustafel import create_app
    from config import TestConfig
    from tests.conftest import FreshContextClient

    config = type("FaultsFileConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'casustafel.sqlite'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "ATTACHMENT_DIR": str(tmp_path / "file-app-attachments"),
        "UPLOAD_TMP_DIR": str(tmp_path / "file-app-spool"),
    })
    file_app = create_app(config)
    file_app.test_client_class = FreshContextClient
    with file_app.app_context():
        upgrade()
    yield file_app
    with file_app.app_context():
        db.engine.dispose()


def run_together(*calls):
    """Run the calls in threads released at the same moment; return their results in order."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    start = threading.Barrier(len(calls))

    def run(call):
        start.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [f.result(timeout=120) for f in [pool.submit(run, c) for c in calls]]


def referral_scene(app, make_user, make_signal):
    from tests.helpers.referrals import make_scene, sent_referral

    scene = make_scene(make_user, make_signal)
    referral = sent_referral(app, scene)
    return scene[0], make_user("coordinator"), referral


def loaded_form(client, url):
    body = page(client.get(url))
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body).group(1), VERSION_RE.search(body).group(1)


def referral_events(action, referral_id):
    return [(e.actor_id, e.result, e.reason_code) for e in events(action, object_id=str(referral_id))]


def test_a_stale_referral_form_gets_a_conflict_keeps_what_was_typed_and_loses_nothing(app, make_user, make_signal):
    first, second, referral = referral_scene(app, make_user, make_signal)
    url = f"/verstrekkingen/{referral.id}"
    a, b = client_for(app, first), client_for(app, second)
    (token_a, version_a), (token_b, version_b) = loaded_form(a, url), loaded_form(b, url)
    assert version_a == version_b  # both opened the same version

    saved = a.post(f"{url}/voortgang", data={"csrf_token": token_a, "version": version_a, "status": "ontvangen",
                                              "recipient_reference": "RIEC-EERSTE-1", "answer": ""})
    late = b.post(f"{url}/voortgang", data={"csrf_token": token_b, "version": version_b, "status": "in_behandeling",
                                             "recipient_reference": "RIEC-TWEEDE-2", "answer": ""})

    assert saved.status_code == 302
    assert late.status_code == 409
    body = page(late)
    assert CONFLICT_TEXT in body
    assert 'value="RIEC-TWEEDE-2"' in body  # kept for another try
    db.session.expire_all()
    assert (referral.status, referral.recipient_reference) == ("ontvangen", "RIEC-EERSTE-1")  # nothing lost
    assert referral_events("referral.updated", referral.id) == [
        (first.id, "success", "ontvangen"), (second.id, "failed", "conflict")]

    # Reloaded, the second coordinator's change goes through on top of the first.
    token_b, version_b = loaded_form(b, url)
    again = b.post(f"{url}/voortgang", data={"csrf_token": token_b, "version": version_b, "status": "in_behandeling",
                                              "recipient_reference": "RIEC-TWEEDE-2", "answer": ""})
    assert again.status_code == 302


def test_a_change_committed_between_read_and_write_gets_the_conflict_page_not_a_500(
    app, make_user, make_signal, monkeypatch
):
    from casustafel.models import Referral
    from casustafel.referrals import services

    first, _, referral = referral_scene(app, make_user, make_signal)
    url = f"/verstrekkingen/{referral.id}"
    client = client_for(app, first)
    token, version = loaded_form(client, url)
    real = services.update_progress

    def racing(actor, target, **kwargs):
        real(actor, target, **kwargs)
        # Someone else's UPDATE lands between our read and our flush (same effect as a commit).
        table = Referral.__table__
        with db.session.no_autoflush:
            db.session.execute(update(table).where(table.c.id == target.id).values(version=table.c.version + 1))

    monkeypatch.setattr(services, "update_progress", racing)
    response = client.post(f"{url}/voortgang", data={"csrf_token": token, "version": version, "status": "ontvangen",
                                                      "recipient_reference": "RIEC-X", "answer": ""})

    assert response.status_code == 409 and CONFLICT_TEXT in page(response)
    db.session.expire_all()
    assert referral.status == "verstuurd" and referral.recipient_reference is None
    assert referral_events("referral.updated", referral.id) == [(first.id, "failed", "conflict")]


@pytest.mark.parametrize("what", ["progress", "send"])
def test_two_coordinators_saving_the_same_referral_at_once_get_one_save_and_one_conflict(
    threaded_app, make_user, make_signal, what
):
    from casustafel.models import Referral
    from casustafel.referrals import services
    from tests.helpers.referrals import create, decide_2b, make_scene

    with threaded_app.app_context():
        first, officer, signal = make_scene(make_user, make_signal)
        second = make_user("coordinator")
        referral = create(threaded_app, first, signal)
        decide_2b(referral, ["beschrijving"], officer=officer)
        if what == "progress":
            services.send_referral(first, referral, store=threaded_app.extensions["casustafel_store"],
                                   keyring=threaded_app.extensions["casustafel_keyring"],
                                   render=lambda r, c: b"%PDF-1.4 testpakket", today=date.today())
            db.session.commit()
        referral_id = referral.id
        url = f"/verstrekkingen/{referral_id}"
        a, b = client_for(threaded_app, first), client_for(threaded_app, second)
        form_url = f"{url}/versturen" if what == "send" else url  # sending: the confirmation page
        forms = [loaded_form(a, form_url), loaded_form(b, form_url)]

    def save(client, form, reference):
        token, version = form
        if what == "send":
            return client.post(f"{url}/versturen", data={"csrf_token": token, "version": version,
                                                          "bevestigen": "ja"}).status_code
        return client.post(f"{url}/voortgang", data={"csrf_token": token, "version": version, "status": "ontvangen",
                                                      "recipient_reference": reference, "answer": ""}).status_code

    codes = run_together(lambda: save(a, forms[0], "RIEC-A"), lambda: save(b, forms[1], "RIEC-B"))

    assert sorted(codes) == [302, 409], codes
    with threaded_app.app_context():
        stored = db.session.get(Referral, referral_id)
        action = "referral.sent" if what == "send" else "referral.updated"
        logged = referral_events(action, referral_id)
        # Both attempts are in the access log: one success, one refused as a conflict.
        assert sorted((r, c) for _, r, c in logged if r == "failed") == [("failed", "conflict")]
        assert len([r for _, r, _ in logged if r == "success"]) == 1
        if what == "progress":
            assert stored.recipient_reference == ("RIEC-A" if codes[0] == 302 else "RIEC-B")  # the winner's, whole
        else:
            # The winner's package is there and intact: the loser removed nothing.
            content = services.read_package(stored, store=threaded_app.extensions["casustafel_store"],
                                            keyring=threaded_app.extensions["casustafel_keyring"])
            assert content.startswith(b"%PDF")
        assert stored.status in ("verstuurd", "ontvangen")


def test_two_coordinators_changing_a_signals_status_at_once_get_one_change_and_one_conflict(
    threaded_app, make_user, make_signal
):
    from casustafel.models import SignalEvent

    with threaded_app.app_context():
        first, second = make_user("coordinator"), make_user("coordinator")
        signal = make_signal(description=DESCRIPTION)
        url = f"/meldingen/{signal.id}"
        a, b = client_for(threaded_app, first), client_for(threaded_app, second)
        forms = []
        for client in (a, b):
            body = page(client.get(url))
            forms.append((re.search(r'name="status-csrf_token"[^>]*value="([^"]+)"', body).group(1),
                          re.search(r'name="status-version" type="hidden" value="(\d+)"', body).group(1)))

    def change(client, form):
        token, version = form
        return client.post(f"{url}/status", data={"status-csrf_token": token, "status-version": version,
                                                  "status-to_status": "intake"}).status_code

    codes = run_together(lambda: change(a, forms[0]), lambda: change(b, forms[1]))

    assert sorted(codes) == [302, 409], codes
    with threaded_app.app_context():
        changes = db.session.scalars(select(SignalEvent).where(SignalEvent.to_status == "intake")).all()
        assert len(changes) == 1  # one change, made once
        assert len(events("signal.status_changed")) == 1
        refused = events("signal.change_refused") + events("change.conflict")
        assert [(e.result, e.reason_code) for e in refused] == [("failed", "conflict")]  # both attempts logged


def test_a_stale_workspace_form_is_logged_as_a_refused_attempt(client, make_user, login_as, make_signal):
    coordinator = make_user("coordinator")
    login_as(coordinator)
    signal = make_signal()
    body = page(client.get(f"/meldingen/{signal.id}"))
    token = re.search(r'name="status-csrf_token"[^>]*value="([^"]+)"', body).group(1)
    response = client.post(f"/meldingen/{signal.id}/status", data={
        "status-csrf_token": token, "status-version": "999", "status-to_status": "intake"})
    assert response.status_code == 409
    (refused,) = events("signal.change_refused")
    assert (refused.actor_id, refused.object_id, refused.result, refused.reason_code) == (
        coordinator.id, str(signal.id), "failed", "conflict")


def test_ten_parallel_submissions_on_one_database_never_answer_database_is_locked(threaded_app, make_user, logs):
    writers = 10
    with threaded_app.app_context():
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        users = [make_user("reporter") for _ in range(writers)]
        clients = [client_for(threaded_app, user) for user in users]
        tokens = [csrf_of(client) for client in clients]
        data = signal_form(description=DESCRIPTION, **person(0, name=NAME))

    def one(index):
        return post_signal(clients[index], data, files=[pdf(f"v{index}.pdf", FILE_CONTENT)],
                           token=tokens[index]).status_code

    codes = run_together(*[(lambda i=i: one(i)) for i in range(writers)])

    assert codes == [302] * writers
    assert "database is locked" not in logged_text(logs)
    with threaded_app.app_context():
        from casustafel.audit_log import verify_chain

        assert len(db.session.scalars(select(Signal)).all()) == writers
        assert len(events("signal.created")) == len(events("attachment.uploaded")) == writers
        assert verify_chain(threaded_app.extensions["casustafel_keyring"]).ok
