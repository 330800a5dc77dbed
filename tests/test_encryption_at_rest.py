"""PII canaries: an encrypted field's value never reaches a dump, the log table or the logs.

docs/security.md "Proving it": a unique marker in a personal-data field must not appear in a full
dump of the database (SQLite `.dump` or the file itself, `pg_dump`), the access log or the
application log. The marker is valid base32 so it also works as a real TOTP secret and can
be read back through the second-factor login.
"""

import logging

import pyotp
from flask_migrate import upgrade
from sqlalchemy import select

from casustafel import create_app
from casustafel.extensions import db
from casustafel.models import AuditEvent, User
from config import TestConfig
from tests.conftest import csrf_from, login
from tests.helpers.markers import assert_no_marker, new_marker, postgresql_dump, sqlite_dump

# Only the loggers of this project: keeps the caplog checks from re-enabling third parties.








def user_with_canary(make_user, marker):
    user = make_user("reporter")
    user.totp_secret = marker
    user.totp_enabled = True
    db.session.commit()
    assert user.totp_secret_enc is not None
    return user






def test_canary_is_not_in_a_full_database_dump(app, make_user):
    marker = new_marker()
    user = user_with_canary(make_user, marker)
    email = user.email
    db.session.remove()

    if db.engine.dialect.name == "postgresql":
        dump, where = postgresql_dump(), "pg_dump"
    else:
        dump, where = sqlite_dump(), "SQLite dump"

    assert email in dump  # the dump is real and holds the user's row
    assert_no_marker(dump, marker, where)
    assert db.session.get(User, user.id).totp_secret == marker


def test_canary_is_not_in_the_sqlite_file_or_its_write_ahead_log(app, tmp_path):
    config = type(
        "FileSQLiteTestConfig",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}",
            "SQLALCHEMY_ENGINE_OPTIONS": {},
        },
    )
    file_app = create_app(config)
    marker = new_marker()
    with file_app.app_context():
        upgrade()
        user = User(email="kanarie@gemeente.test", display_name="Kanarie", password_hash="x")
        user.totp_secret = marker
        db.session.add(user)
        db.session.commit()
        files = {p.name: p.read_bytes() for p in tmp_path.glob("db.sqlite*")}  # WAL still open
        db.engine.dispose()
    files["db.sqlite (closed)"] = (tmp_path / "db.sqlite").read_bytes()

    assert any(b"kanarie@gemeente.test" in content for content in files.values())
    for name, content in files.items():
        assert_no_marker(content.decode("latin-1"), marker, name)
        assert marker.encode() not in content


def test_canary_is_not_in_any_log_event(client, make_user):
    marker = new_marker()
    user = user_with_canary(make_user, marker)
    _log_in_with_second_factor(client, user, marker)

    events = db.session.scalars(select(AuditEvent)).all()
    assert "auth.login" in {e.action for e in events}
    for ev in events:
        for column in AuditEvent.__table__.columns:
            assert_no_marker(str(getattr(ev, column.key)), marker, f"audit_event.{column.key}")


def test_canary_is_not_in_the_application_log(app, client, make_user, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")  # statements and parameters
    marker = new_marker()

    user = user_with_canary(make_user, marker)
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret == marker
    responses = _log_in_with_second_factor(client, user, marker)

    assert any(r.name.startswith("sqlalchemy.engine") for r in caplog.records)  # the capture works
    assert_no_marker(caplog.text, marker, "application log")
    for record in caplog.records:
        assert_no_marker(repr(record.args), marker, f"log arguments of {record.name}")
    for response in responses:
        assert_no_marker(response.get_data(as_text=True), marker, f"response to {response.request.path}")


def test_migrations_leave_the_application_loggers_enabled(app):
    for name in ("casustafel.errors", "casustafel.keys"):
        assert not logging.getLogger(name).disabled, name


def _log_in_with_second_factor(client, user, secret):
    """Log in with password and TOTP code: the second factor decrypts the secret."""
    first = login(client, user.email, follow=False)
    assert first.status_code == 302
    assert first.headers["Location"].endswith("/inloggen/code")
    page = client.get("/inloggen/code")
    done = client.post(
        "/inloggen/code",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_from(page)},
        follow_redirects=True,
    )
    assert done.status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_last_step is not None  # the code was accepted
    return [first, page, done]
