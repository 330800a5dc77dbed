"""The access log: hash chain, tamper detection, append-only, transactions, concurrency.

docs/security.md "Access log": one event per action in the same transaction as the change, an
HMAC chain with serialised appends, a PostgreSQL trigger refusing UPDATE and DELETE, and a
`verify` command that names the first broken entry. The attacker in these tests has direct
database access (on PostgreSQL as superuser, switching the trigger off for a transaction).
"""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from flask_migrate import upgrade
from sqlalchemy import delete, event, func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from casustafel import create_app
from casustafel.admin.services import create_user
from casustafel.audit_log import GENESIS_MAC, record, verify_chain
from casustafel.extensions import db
from casustafel.models import AuditEvent, AuditHead, User
from casustafel.models.base import keyring
from config import TestConfig
from tests.conftest import PASSWORD, login
from tests.helpers.audit import EVENTS, HEAD, as_attacker

# Made-up actions belong to no processing activity: the tests name one (record() refuses none).
TEST_ACTIVITY = "beveiliging_verantwoording"

ON_POSTGRESQL = make_url(TestConfig.SQLALCHEMY_DATABASE_URI).get_backend_name() == "postgresql"



def append(count, action="test.event"):
    """Record `count` events, one commit each; return their (seq, mac) pairs."""
    chain = []
    for n in range(count):
        ev = record(None, action, object_type="test", object_id=str(n), processing_activity=TEST_ACTIVITY)
        db.session.commit()
        chain.append((ev.seq, ev.mac))
    return chain




def event_count():
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def file_sqlite_config(tmp_path):
    return type(
        "FileSQLiteTestConfig",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}",
            "SQLALCHEMY_ENGINE_OPTIONS": {},
        },
    )


# The chain -------------------------------------------------------------------------------


def test_events_get_consecutive_sequence_numbers_from_1_and_the_chain_verifies(app):
    chain = append(5)

    assert [seq for seq, _ in chain] == [1, 2, 3, 4, 5]
    assert db.session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)).all() == [1, 2, 3, 4, 5]
    head = db.session.get(AuditHead, 1)
    assert (head.last_seq, head.last_mac) == chain[-1]
    status = verify_chain(keyring())
    assert status.ok
    assert status.count == 5
    assert status.first_broken_seq is None
    assert status.message == "Logboek intact: 5 regels"


def test_verify_reads_the_log_in_pages_and_still_names_a_change_in_a_later_page(app):
    append(10)
    assert verify_chain(keyring(), batch_size=3).ok
    assert verify_chain(keyring(), batch_size=3).count == 10
    as_attacker(update(EVENTS).where(EVENTS.c.seq == 8).values(action="x"))
    status = verify_chain(keyring(), batch_size=3)
    assert (status.ok, status.first_broken_seq) == (False, 8)


def test_events_recorded_in_one_transaction_are_chained_in_order(app):
    for n in range(3):
        record(None, f"test.batch{n}", processing_activity=TEST_ACTIVITY)
    db.session.commit()

    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    assert actions == ["test.batch0", "test.batch1", "test.batch2"]
    assert verify_chain(keyring()).ok


def test_an_empty_log_verifies(app):
    status = verify_chain(keyring())
    assert status.ok
    assert status.count == 0


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "x"),
        ("actor_id", uuid.UUID("00000000-0000-4000-8000-00000000abcd")),
        ("actor_role", "admin"),
        ("object_type", "signal"),
        ("object_id", "999"),
        ("subject_pseudonyms", "P-1"),
        ("purpose", "nieuwsgierigheid"),
        ("result", "denied"),
        ("reason_code", "break-glass"),
        ("request_id", "00000000-0000-4000-8000-000000000000"),
        ("origin", "10.0.0.1"),
        ("occurred_at", datetime(2000, 1, 1, 12, 0, 0)),
        ("mac", "f" * 64),
        ("key_id", 2),  # a key id that is not in the keyring
        ("mac", "not hex"),
    ],
)
def test_changing_one_field_of_one_entry_names_that_entry(app, column, value):
    append(5)

    as_attacker(update(EVENTS).where(EVENTS.c.seq == 3).values({column: value}))

    status = verify_chain(keyring())
    assert not status.ok
    assert status.first_broken_seq == 3
    assert status.message == "Regel 3 is gewijzigd"


def test_a_rewritten_entry_with_a_recomputed_mac_still_breaks_the_next_entry(app):
    """Without the audit key the attacker cannot fix the chain; with a stolen MAC neither."""
    chain = append(4)

    # Copy entry 2's MAC onto entry 3: plausible-looking but wrong for entry 3 and for 4.
    as_attacker(update(EVENTS).where(EVENTS.c.seq == 3).values(mac=chain[1][1]))

    status = verify_chain(keyring())
    assert (status.ok, status.first_broken_seq) == (False, 3)


def test_deleting_the_newest_entry_is_detected_by_the_head(app):
    append(5)

    as_attacker(delete(EVENTS).where(EVENTS.c.seq == 5))

    status = verify_chain(keyring())
    assert not status.ok
    assert status.first_broken_seq == 5
    assert status.message == "Regels na 4 zijn verwijderd"


def test_deleting_a_middle_entry_names_the_missing_entry(app):
    append(5)

    as_attacker(delete(EVENTS).where(EVENTS.c.seq == 3))

    status = verify_chain(keyring())
    assert not status.ok
    assert status.first_broken_seq == 3
    assert status.message == "Regel 3 ontbreekt in het logboek"


def test_a_checkpoint_detects_truncation_even_when_the_head_is_rewritten(app):
    chain = append(5)
    checkpoint = chain[-1]

    # Cut the last two entries and make the head agree with what is left.
    as_attacker(
        delete(EVENTS).where(EVENTS.c.seq > 3),
        update(HEAD).where(HEAD.c.id == 1).values(last_seq=3, last_mac=chain[2][1]),
    )

    assert verify_chain(keyring()).ok  # without the checkpoint the truncation is invisible
    status = verify_chain(keyring(), checkpoint=checkpoint)
    assert not status.ok
    assert status.first_broken_seq == 4
    assert "controlepunt 5" in status.message


def test_a_checkpoint_detects_wiping_the_whole_log_and_resetting_the_head(app):
    checkpoint = append(3)[-1]

    as_attacker(
        delete(EVENTS),
        update(HEAD).where(HEAD.c.id == 1).values(last_seq=0, last_mac=GENESIS_MAC),
    )

    assert verify_chain(keyring()).ok
    status = verify_chain(keyring(), checkpoint=checkpoint)
    assert (status.ok, status.first_broken_seq) == (False, 1)


def test_a_checkpoint_that_no_longer_matches_its_entry_is_named(app):
    chain = append(3)

    status = verify_chain(keyring(), checkpoint=(2, chain[0][1]))

    assert not status.ok
    assert status.first_broken_seq == 2
    assert status.message == "Regel 2 wijkt af van het controlepunt"


def test_a_matching_checkpoint_verifies(app):
    chain = append(3)
    append(2)

    status = verify_chain(keyring(), checkpoint=chain[-1])
    assert status.ok
    assert status.count == 5


# Append-only on PostgreSQL ---------------------------------------------------------------


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the append-only trigger exists on PostgreSQL only")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_event SET action = 'x'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
    ],
)
def test_postgresql_refuses_to_change_or_delete_log_entries(app, sql):
    from psycopg.errors import InsufficientPrivilege

    append(3)

    with pytest.raises(DBAPIError) as excinfo:
        db.session.execute(text(sql))
    db.session.rollback()

    assert isinstance(excinfo.value.orig, InsufficientPrivilege)
    assert "append-only" in str(excinfo.value.orig)
    assert event_count() == 3
    assert verify_chain(keyring()).ok


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the append-only trigger exists on PostgreSQL only")
def test_postgresql_refuses_an_orm_change_to_a_log_entry(app):
    append(1)
    ev = db.session.get(AuditEvent, 1)
    ev.action = "x"

    with pytest.raises(DBAPIError, match="append-only"):
        db.session.commit()
    db.session.rollback()

    assert db.session.get(AuditEvent, 1).action == "test.event"


# Transactions ----------------------------------------------------------------------------


def test_a_rolled_back_transaction_leaves_no_event_and_no_gap(app):
    record(None, "test.rolled_back", processing_activity=TEST_ACTIVITY)
    db.session.flush()  # the chain and the head are written...
    db.session.rollback()  # ...and undone with the rest

    assert event_count() == 0
    head = db.session.get(AuditHead, 1)
    assert (head.last_seq, head.last_mac) == (0, GENESIS_MAC)

    ev = record(None, "test.after", processing_activity=TEST_ACTIVITY)
    db.session.commit()
    assert ev.seq == 1
    assert verify_chain(keyring()).ok


def test_a_change_and_its_event_commit_together(app):
    user = create_user(None, "samen@gemeente.test", "Samen", ["reporter"], PASSWORD)
    db.session.commit()
    user_id = user.id
    db.session.remove()

    assert db.session.get(User, user_id) is not None
    events = db.session.scalars(select(AuditEvent)).all()
    assert [(e.action, e.object_type, e.object_id) for e in events] == [
        ("user.created", "user_account", str(user_id))
    ]


def test_a_rolled_back_change_leaves_neither_the_change_nor_its_event(app):
    create_user(None, "teruggedraaid@gemeente.test", "Terug", ["reporter"], PASSWORD)
    db.session.rollback()

    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert event_count() == 0


def test_when_the_log_write_fails_the_change_is_not_saved(app):
    def refuse(mapper, connection, target):
        raise RuntimeError("log write failed")

    event.listen(AuditEvent, "before_insert", refuse)
    try:
        create_user(None, "zonderlog@gemeente.test", "Zonder log", ["reporter"], PASSWORD)
        with pytest.raises(RuntimeError, match="log write failed"):
            db.session.commit()
        db.session.rollback()
    finally:
        event.remove(AuditEvent, "before_insert", refuse)

    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert event_count() == 0
    assert db.session.get(AuditHead, 1).last_seq == 0


# Concurrency -----------------------------------------------------------------------------


@pytest.fixture
def chain_app(app, tmp_path):
    """An app whose threads get their own connections: PostgreSQL, or a SQLite file.

    The session's in-memory SQLite shares one connection between threads, so it cannot
    show whether appends are serialised.
    """
    if ON_POSTGRESQL:
        yield app
        return
    file_app = create_app(file_sqlite_config(tmp_path))
    with file_app.app_context():
        upgrade()
    yield file_app
    with file_app.app_context():
        db.engine.dispose()


def test_concurrent_appends_form_one_unbroken_chain(chain_app):
    threads, per_thread = 4, 25
    start = threading.Barrier(threads)

    def append_from_thread(number):
        start.wait(timeout=30)
        with chain_app.app_context():
            for n in range(per_thread):
                record(None, "test.concurrent", object_type="thread", object_id=f"{number}-{n}",
                       processing_activity=TEST_ACTIVITY)
                db.session.commit()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        for future in [pool.submit(append_from_thread, t) for t in range(threads)]:
            future.result(timeout=120)

    with chain_app.app_context():
        total = threads * per_thread
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        assert [e.seq for e in events] == list(range(1, total + 1))
        assert {e.object_id for e in events} == {
            f"{t}-{n}" for t in range(threads) for n in range(per_thread)
        }
        assert db.session.get(AuditHead, 1).last_seq == total
        status = verify_chain(keyring())
        assert (status.ok, status.count) == (True, total)


# No field values in the log --------------------------------------------------------------


def test_log_events_hold_no_password_email_or_name(client, make_user, login_as):
    user = make_user("reporter", email="pietje.puk@gemeente.test", name="Pietje Puk")
    login_as(user)
    client.get("/")
    # A failed login with an unknown address and a wrong password for a known one.
    login(client.application.test_client(), "onbekend.adres@elders.test", "geheim-wachtwoord-123")
    login(client.application.test_client(), user.email, "fout-wachtwoord-456")

    secrets = [PASSWORD, user.email, "pietje", "puk", "onbekend.adres", "geheim-wachtwoord", "fout-wachtwoord"]
    events = db.session.scalars(select(AuditEvent)).all()
    actions = {e.action for e in events}
    assert {"user.created", "auth.login", "auth.login_failed"} <= actions
    for ev in events:
        for column in EVENTS.columns:
            value = str(getattr(ev, column.key)).casefold()
            for secret in secrets:
                assert secret.casefold() not in value, (ev.seq, column.key)


# The verify command ----------------------------------------------------------------------


def test_cli_audit_verify_reports_an_intact_log(app):
    append(3)
    db.session.remove()

    result = app.test_cli_runner().invoke(args=["audit", "verify"])

    assert result.exit_code == 0, result.output
    assert "Logboek intact: 3 regels" in result.output


def test_cli_audit_verify_exits_1_and_names_the_changed_entry(app):
    append(3)
    as_attacker(update(EVENTS).where(EVENTS.c.seq == 2).values(result="denied"))

    result = app.test_cli_runner().invoke(args=["audit", "verify"])

    assert result.exit_code == 1
    assert "Regel 2 is gewijzigd" in result.output


def test_cli_audit_verify_exits_1_and_names_a_deleted_entry(app):
    append(3)
    as_attacker(delete(EVENTS).where(EVENTS.c.seq == 2))

    result = app.test_cli_runner().invoke(args=["audit", "verify"])

    assert result.exit_code == 1
    assert "Regel 2 ontbreekt" in result.output


# The privacy officer's page --------------------------------------------------------------


def test_privacy_officer_sees_the_events_and_an_intact_chain(client, make_user, login_as):
    officer = make_user("privacy_officer", name="Fenna Functionaris")
    login_as(officer)

    response = client.get("/logboek/")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Keten gecontroleerd: het logboek is intact." in page
    assert "Het logboek is niet intact" not in page
    assert "user.created" in page
    assert "auth.login" in page
    assert "Fenna Functionaris" in page  # the actor of the login
    # Viewing the log is itself logged.
    newest = db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.seq.desc()).limit(1))
    assert newest == "audit.viewed"


def test_privacy_officer_page_warns_when_the_chain_is_broken(client, make_user, login_as):
    officer = make_user("privacy_officer")
    login_as(officer)
    as_attacker(update(EVENTS).where(EVENTS.c.seq == 1).values(action="x"))

    response = client.get("/logboek/")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Het logboek is niet intact: Regel 1 is gewijzigd" in page
    assert "Meld dit bij de CISO" in page
    assert "Keten gecontroleerd" not in page


@pytest.mark.parametrize("role", ["reporter", "member", "coordinator", "admin"])
def test_other_roles_cannot_open_the_log(client, make_user, login_as, role):
    login_as(make_user(role))

    response = client.get("/logboek/")

    assert response.status_code == 403
    assert "user.created" not in response.get_data(as_text=True)
    denied = db.session.scalars(select(AuditEvent).where(AuditEvent.result == "denied")).all()
    assert [(e.action, e.object_id) for e in denied] == [("access.denied", "audit.log")]


def test_the_log_page_does_not_reveal_who_reported_a_signal(app, client, make_user, make_signal, login_as):
    reporter = make_user("reporter", name="Geheime Melder")
    signal = make_signal(reporter)
    record(reporter, "signal.created", signal, role="reporter", purpose="melding")
    db.session.commit()
    login_as(make_user("privacy_officer"))
    body = client.get("/logboek/").get_data(as_text=True)
    events = body.split("<table", 1)[1]
    assert "signal.created" not in events and "Melding gedaan" not in events  # counted apart, never in the stream
    assert "afgeschermde" in body
    # The reporter's name shows only as the account the administrator created, never near the signal.
    rows = [r for r in events.split("<tr")[1:] if "Geheime Melder" in r]
    assert rows and all("Gebruiker aangemaakt" in r and signal.reference not in r for r in rows)
