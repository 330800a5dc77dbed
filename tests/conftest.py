"""Fixtures: an app on SQLite (or TEST_DATABASE_URL), clean tables per test, users per role."""

import contextvars
import re

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from casustafel import create_app
from casustafel.extensions import db, limiter
from casustafel.keys import verify_keyring
from config import TestConfig

PASSWORD = "correct horse battery staple"
ROLES = ("reporter", "member", "coordinator", "privacy_officer", "admin")
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _reset_database() -> None:
    """Empty every table and reset the audit chain head, on SQLite and PostgreSQL."""
    engine = db.engine
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))  # skip the append-only trigger
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(
            text("INSERT INTO audit_head (id, last_seq, last_mac) VALUES (1, 0, :mac)"),
            {"mac": "0" * 64},
        )


class FreshContextClient(FlaskClient):
    """Run every request in its own app context, as in production.

    The tests keep an app context open for fixtures; without this, requests would share
    its `g` (CSRF token cache, request id) and its database session.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app():
    app = create_app(TestConfig)
    app.test_client_class = FreshContextClient
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        _reset_database()
    yield app


@pytest.fixture(autouse=True)
def _clean(app):
    with app.app_context():
        verify_keyring(app.extensions["casustafel_keyring"])
        limiter.reset()
        yield
        db.session.remove()
        _reset_database()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    """Create a user with the given role(s); the password is PASSWORD."""
    from casustafel.admin.services import create_user

    counter = iter(range(1, 10_000))

    def make(*roles, email=None, name=None, **fields):
        roles = roles or ("reporter",)
        n = next(counter)
        user = create_user(
            None,
            email or f"{'-'.join(roles)}{n}@gemeente.test",
            name or f"Test {roles[0]} {n}",
            roles,
            PASSWORD,
            must_change_password=False,
        )
        for key, value in fields.items():
            setattr(user, key, value)
        db.session.commit()
        return user

    return make


def csrf_from(response) -> str:
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, email, password=PASSWORD, follow=True):
    token = csrf_from(client.get("/inloggen"))
    return client.post(
        "/inloggen",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=follow,
    )


def post_form(client, url, data=None, from_url="/", **kwargs):
    """POST with a CSRF token taken from a page the user can see."""
    payload = {"csrf_token": csrf_from(client.get(from_url))}
    payload.update(data or {})
    return client.post(url, data=payload, **kwargs)


@pytest.fixture
def login_as(client):
    def do(user):
        response = login(client, user.email)
        assert response.status_code == 200
        return client

    return do
