"""Login, second factor, sessions, throttling and the password policy (docs/security.md: accounts)."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import argon2
import pyotp
import pytest
from argon2 import PasswordHasher, profiles
from flask.testing import FlaskClient
from freezegun import freeze_time
from sqlalchemy import select

from casustafel.admin.services import set_active, set_roles
from casustafel.auth import passwords, totp
from casustafel.extensions import db
from casustafel.models import AuditEvent, Notification, User
from config import ProductionConfig
from tests.conftest import PASSWORD, login, post_form

LOGIN_FAILED = "E-mailadres of wachtwoord is onjuist."
NEW_PASSWORD = "paars konijn eet zeven wolken"
COOKIE = "casustafel"
T0 = "2025-03-03 09:00:10"  # 10 s into a 30 s TOTP step


@pytest.fixture
def require_totp(app, monkeypatch):
    monkeypatch.setitem(app.config, "REQUIRE_TOTP", True)


@pytest.fixture
def totp_user(make_user):
    return make_user("reporter", totp_secret=pyotp.random_base32(), totp_enabled=True)


def reload(user) -> User:
    """The user as the database has it now (requests run in their own sessions)."""
    db.session.expire_all()
    return db.session.get(User, user.id)


def cookie(client) -> str:
    return client.get_cookie(COOKIE).value


def session_data(app, client) -> dict:
    return app.session_interface.get_signing_serializer(app).loads(cookie(client))


def copy_of(app, client) -> FlaskClient:
    other = app.test_client()
    other.set_cookie(COOKIE, cookie(client))
    return other


def is_logged_in(client) -> bool:
    response = client.get("/")
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/inloggen")
        return False
    assert response.status_code == 200
    return True


def audit(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
    return db.session.scalars(query).all()


def submit_code(client, code, url="/inloggen/code"):
    return post_form(client, url, {"code": code}, from_url=url)


# --- password login ----------------------------------------------------------------------


def test_login_lands_on_start_page_and_is_logged(client, make_user):
    user = make_user("reporter")
    response = login(client, user.email)
    assert response.status_code == 200
    assert response.request.path == "/"
    assert f"Welkom, {user.display_name}" in response.get_data(as_text=True)
    assert [e.actor_id for e in audit("auth.login")] == [user.id]


def _anonymised(response, email) -> str:
    body = response.get_data(as_text=True).replace(email, "EMAIL")
    return re.sub(r'value="[^"]+"', 'value="X"', body)


def test_wrong_password_and_unknown_email_get_the_same_answer(client, make_user):
    user = make_user("reporter")
    wrong = login(client, user.email, "not the right password")
    unknown = login(client, "niemand@gemeente.test", "not the right password")
    assert wrong.status_code == unknown.status_code == 200
    assert LOGIN_FAILED in wrong.get_data(as_text=True)
    assert _anonymised(wrong, user.email) == _anonymised(unknown, "niemand@gemeente.test")
    failed = audit("auth.login_failed")
    assert [(e.object_id, e.result) for e in failed] == [(str(user.id), "failed"), (None, "failed")]
    assert audit("auth.login") == []


def test_failed_login_keeps_the_typed_email(client, make_user):
    user = make_user("reporter")
    response = login(client, user.email, "not the right password")
    assert f'value="{user.email}"' in response.get_data(as_text=True)
    assert 'value="not the right password"' not in response.get_data(as_text=True)


def test_deactivated_user_cannot_log_in(client, make_user):
    user = make_user("reporter", active=False)
    response = login(client, user.email)
    assert response.request.path == "/inloggen"
    assert LOGIN_FAILED in response.get_data(as_text=True)
    assert not is_logged_in(client)
    assert [e.result for e in audit("auth.login_failed")] == ["failed"]


def test_unknown_user_still_runs_argon2(monkeypatch):
    calls = []
    original = PasswordHasher.verify

    def counting(self, hash, password):
        calls.append(hash)
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    assert passwords.verify_password(None, PASSWORD) is False
    assert len(calls) == 1 and calls[0].startswith("$argon2id$")
    assert passwords.verify_password(passwords.hash_password(PASSWORD), PASSWORD) is True
    assert len(calls) == 2


# --- throttling --------------------------------------------------------------------------


def client_at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_sixth_failed_login_from_one_address_is_throttled_for_that_account_only(app, make_user):
    target, other = make_user("reporter"), make_user("reporter")
    client = client_at(app, "10.0.0.66")
    for _ in range(5):
        assert login(client, target.email, "wrong password!!").status_code == 200
    response = login(client, target.email, "wrong password!!")
    assert response.status_code == 429
    assert "Te veel pogingen" in response.get_data(as_text=True)
    assert login(client, target.email.upper()).status_code == 429  # this address waits for this account
    response = login(client, other.email)
    assert response.status_code == 200 and response.request.path == "/"


def test_failing_logins_in_someones_name_does_not_lock_them_out(app, make_user):
    """Finding 4: the per-account throttle refused even the right password to its holder."""
    holder = make_user("coordinator")
    attacker = client_at(app, "10.0.0.66")
    for _ in range(8):
        login(attacker, holder.email, "wrong password!!")
    assert login(attacker, holder.email, "wrong password!!").status_code == 429

    response = login(client_at(app, "10.0.0.5"), holder.email)  # the holder, at their own desk

    assert response.status_code == 200 and response.request.path == "/"


def test_distributed_guessing_stops_at_the_account_wide_limit_but_not_at_the_holders_own_desk(app, make_user):
    holder = make_user("coordinator")
    assert login(client_at(app, "10.0.0.5"), holder.email).request.path == "/"  # the holder's desk is known
    for n in range(50):  # one failure each from fifty addresses
        assert login(client_at(app, f"10.1.{n // 200}.{n % 200}"), holder.email, "wrong password!!").status_code == 200

    assert login(client_at(app, "10.9.9.9"), holder.email).status_code == 429  # a new address waits
    assert login(client_at(app, "10.0.0.5"), holder.email).request.path == "/"  # the holder does not


def test_the_holder_is_told_once_after_many_failures_without_any_detail(app, make_user):
    holder = make_user("reporter")
    for n in range(12):
        login(client_at(app, f"10.2.0.{n}"), holder.email, "wrong password!!")

    mails = db.session.scalars(select(Notification).where(Notification.recipient_id == holder.id)).all()
    assert len(mails) == 1
    assert "10.2.0" not in mails[0].subject + mails[0].body and "12" not in mails[0].body


# --- session rotation and revocation -------------------------------------------------------


def test_login_rotates_the_session(app, client, make_user):
    user = make_user("reporter")
    client.get("/inloggen")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    before = cookie(client)
    login(client, user.email)
    after = cookie(client)
    assert after != before
    assert "planted" not in session_data(app, client)
    first_token = session_data(app, client)["_user_id"]
    post_form(client, "/uitloggen")
    login(client, user.email)
    assert session_data(app, client)["_user_id"] != first_token


def test_second_factor_rotates_the_session_again(app, client, totp_user):
    with freeze_time(T0):
        login(client, totp_user.email, follow=False)
        assert "_user_id" not in session_data(app, client)
        with client.session_transaction() as sess:
            sess["planted"] = "between password and code"
        pending = cookie(client)
        submit_code(client, pyotp.TOTP(totp_user.totp_secret).now())
        assert cookie(client) != pending
        assert set(session_data(app, client)).isdisjoint({"planted", "pending_login"})
        assert is_logged_in(client)


def test_session_cookie_is_httponly_lax_and_not_remembered(client, make_user):
    login(client, make_user("reporter").email)
    session_cookie = client.get_cookie(COOKIE)
    assert session_cookie.http_only and session_cookie.same_site == "Lax"
    assert session_cookie.expires is None  # ends with the browser
    assert client.get_cookie("remember_token") is None
    assert ProductionConfig.SESSION_COOKIE_SECURE is True


@pytest.fixture
def stolen(app, client, make_user):
    """A logged-in client, its user, and a second client holding a copy of its cookie."""
    user = make_user("reporter")
    login(client, user.email)
    copy = copy_of(app, client)
    assert is_logged_in(copy)
    return client, user, copy


def test_logout_ends_a_copied_session(stolen):
    client, _, copy = stolen
    response = post_form(client, "/uitloggen")
    assert response.status_code == 302 and response.headers["Location"] == "/inloggen"
    assert not is_logged_in(copy)
    assert not is_logged_in(client)


def test_deactivation_ends_a_copied_session(stolen):
    _, user, copy = stolen
    set_active(None, reload(user), False)
    db.session.commit()
    assert not is_logged_in(copy)
    set_active(None, reload(user), True)  # reactivating must not revive the old session
    db.session.commit()
    assert not is_logged_in(copy)


def test_password_change_ends_a_copied_session(stolen):
    client, user, copy = stolen
    data = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD}
    response = post_form(client, "/account/wachtwoord", data, from_url="/account/wachtwoord")
    assert response.status_code == 302 and response.headers["Location"] == "/inloggen"
    assert not is_logged_in(copy)
    assert login(client, user.email).request.path == "/inloggen"
    assert login(client, user.email, NEW_PASSWORD).request.path == "/"


def test_role_change_ends_a_copied_session(stolen):
    _, user, copy = stolen
    assert set_roles(None, reload(user), ["member"])
    db.session.commit()
    assert not is_logged_in(copy)


def test_session_ends_after_30_minutes_idle(client, make_user):
    user = make_user("reporter")
    with freeze_time(T0) as frozen:
        login(client, user.email)
        frozen.tick(timedelta(minutes=29))
        assert is_logged_in(client)
        frozen.tick(timedelta(minutes=31))
        assert not is_logged_in(client)


def test_session_ends_after_12_hours_even_when_active(app, client, make_user, monkeypatch):
    # Flask also refuses a session cookie signed > 12 h ago; lift that to test our own limit.
    monkeypatch.setitem(app.config, "PERMANENT_SESSION_LIFETIME", timedelta(days=2))
    user = make_user("reporter")
    with freeze_time(T0) as frozen:
        login(client, user.email)
        for _ in range(36):  # 36 × 20 min = exactly 12 h
            frozen.tick(timedelta(minutes=20))
            assert is_logged_in(client)
        frozen.tick(timedelta(minutes=1))
        assert not is_logged_in(client)


# --- second factor -----------------------------------------------------------------------


def test_user_without_totp_must_link_an_app_when_required(client, make_user, require_totp):
    user = make_user("reporter")
    response = login(client, user.email, follow=False)
    assert response.headers["Location"] == "/inloggen/koppelen"
    assert not is_logged_in(client)
    page = client.get("/inloggen/koppelen").get_data(as_text=True)
    secret = reload(user).totp_secret
    assert "<svg" in page
    assert totp.format_secret(secret) in page
    response = submit_code(client, pyotp.TOTP(secret).now(), url="/inloggen/koppelen")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert is_logged_in(client)
    assert reload(user).totp_enabled


def test_user_with_totp_is_asked_for_a_code(client, totp_user):
    response = login(client, totp_user.email, follow=False)
    assert response.headers["Location"] == "/inloggen/code"
    assert not is_logged_in(client)
    submit_code(client, pyotp.TOTP(totp_user.totp_secret).now())
    assert is_logged_in(client)


def test_wrong_code_gives_a_field_error_and_no_login(client, totp_user):
    login(client, totp_user.email, follow=False)
    code = pyotp.TOTP(totp_user.totp_secret).now()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = submit_code(client, wrong)
    assert response.status_code == 200
    assert "Deze code klopt niet" in response.get_data(as_text=True)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert not is_logged_in(client)
    assert [e.result for e in audit("auth.second_factor_failed")] == ["failed"]


def test_a_code_cannot_be_used_twice(client, totp_user):
    with freeze_time(T0):
        code = pyotp.TOTP(totp_user.totp_secret).now()
        login(client, totp_user.email, follow=False)
        submit_code(client, code)
        assert is_logged_in(client)
        post_form(client, "/uitloggen")
        login(client, totp_user.email, follow=False)
        response = submit_code(client, code)
        assert "Deze code klopt niet of is al gebruikt" in response.get_data(as_text=True)
        assert not is_logged_in(client)


def test_a_code_from_the_previous_step_is_accepted_once(client, totp_user):
    with freeze_time(T0) as frozen:
        previous = pyotp.TOTP(totp_user.totp_secret).at(frozen().timestamp() - 30)
        login(client, totp_user.email, follow=False)
        submit_code(client, previous)
        assert is_logged_in(client)
        post_form(client, "/uitloggen")
        login(client, totp_user.email, follow=False)
        submit_code(client, previous)
        assert not is_logged_in(client)


def test_accept_code_window_and_single_use():
    secret, now = pyotp.random_base32(), 1_741_000_015.0
    otp, step = pyotp.TOTP(secret), int(now // 30)
    assert totp.accept_code(secret, otp.at(now), None, now=now) == step
    assert totp.accept_code(secret, otp.at(now - 30), None, now=now) == step - 1
    assert totp.accept_code(secret, otp.at(now + 30), None, now=now) == step + 1
    assert totp.accept_code(secret, otp.at(now - 60), None, now=now) is None
    assert totp.accept_code(secret, otp.at(now + 60), None, now=now) is None
    assert totp.accept_code(secret, otp.at(now), step, now=now) is None
    assert totp.accept_code(secret, otp.at(now), step - 1, now=now) == step
    code = otp.at(now)
    assert totp.accept_code(secret, f"{code[:3]} {code[3:]}", None, now=now) == step
    assert totp.accept_code(secret, "12345a", None, now=now) is None
    assert totp.accept_code(secret, code + "0", None, now=now) is None


def test_totp_secret_is_encrypted_at_rest(totp_user):
    secret = totp_user.totp_secret
    column = User.__table__.c
    raw = bytes(db.session.execute(
        select(column.totp_secret_enc).where(column.id == totp_user.id)
    ).scalar_one())
    assert secret.encode() not in raw
    assert reload(totp_user).totp_secret == secret


def test_code_page_without_password_step_redirects_to_login(client):
    response = client.get("/inloggen/code")
    assert response.status_code == 302 and response.headers["Location"] == "/inloggen"


def test_pending_login_expires_after_five_minutes(client, totp_user):
    with freeze_time(T0) as frozen:
        login(client, totp_user.email, follow=False)
        assert client.get("/inloggen/code").status_code == 200
        frozen.tick(timedelta(minutes=6))
        response = client.get("/inloggen/code")
        assert response.status_code == 302 and response.headers["Location"] == "/inloggen"


# --- must change password ----------------------------------------------------------------


@pytest.mark.parametrize("page", ["/", "/account", "/beheer/gebruikers", "/logboek/"])
def test_must_change_password_redirects_every_page(client, make_user, page):
    user = make_user("admin", "reporter", must_change_password=True)
    login(client, user.email)
    response = client.get(page)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/wachtwoord"


def test_must_change_password_ends_after_the_change(client, make_user):
    user = make_user("reporter", must_change_password=True)
    assert login(client, user.email).request.path == "/account/wachtwoord"
    data = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD}
    post_form(client, "/account/wachtwoord", data, from_url="/account/wachtwoord")
    assert login(client, user.email, NEW_PASSWORD).request.path == "/"


# --- password policy ---------------------------------------------------------------------


def test_policy_refuses_short_passwords():
    assert passwords.policy_problem("elf tekens!") == "Kies een wachtwoord van minstens 12 tekens."
    assert passwords.policy_problem("twaalf teken") is None


def test_policy_refuses_common_passwords():
    assert "wachtwoord123" in passwords.common_passwords()
    assert "makkelijk te raden" in passwords.policy_problem("Wachtwoord123")


def test_policy_refuses_too_long_passwords_without_hashing(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("argon2 must not see an over-long password")

    monkeypatch.setattr(PasswordHasher, "hash", refuse)
    monkeypatch.setattr(PasswordHasher, "verify", refuse)
    too_long = "é" * 513  # 1026 bytes, 513 characters
    assert passwords.policy_problem(too_long) == "Dit wachtwoord is te lang."
    assert passwords.verify_password("$argon2id$whatever", too_long) is False
    assert passwords.verify_password(None, too_long) is False


def test_policy_refuses_the_email_local_part():
    problem = passwords.policy_problem("ik ben Jan.Jansen op kantoor", "jan.jansen@gemeente.test")
    assert problem == "Gebruik uw e-mailadres niet in uw wachtwoord."


def test_policy_accepts_a_good_passphrase():
    assert passwords.policy_problem(NEW_PASSWORD, "jan.jansen@gemeente.test") is None


def test_refused_new_password_gives_a_field_message_and_keeps_the_old_one(client, make_user):
    user = make_user("reporter")
    login(client, user.email)
    data = {"current_password": PASSWORD, "new_password": "wachtwoord123", "repeat_password": "wachtwoord123"}
    response = post_form(client, "/account/wachtwoord", data, from_url="/account/wachtwoord")
    assert response.status_code == 200
    assert "Dit wachtwoord is te makkelijk te raden" in response.get_data(as_text=True)
    assert is_logged_in(client)
    post_form(client, "/uitloggen")
    assert login(client, user.email).request.path == "/"


# --- argon2 ------------------------------------------------------------------------------


def test_production_hashes_with_argon2id_low_memory():
    assert ProductionConfig.ARGON2_PROFILE == "RFC_9106_LOW_MEMORY"
    hasher = passwords._hasher(ProductionConfig.ARGON2_PROFILE)
    assert hasher.memory_cost >= 65536
    assert hasher.type is argon2.Type.ID
    assert getattr(profiles, ProductionConfig.ARGON2_PROFILE).memory_cost == hasher.memory_cost


def test_weak_hash_is_upgraded_at_login(app, client, make_user, monkeypatch):
    user = make_user("reporter")
    assert argon2.extract_parameters(user.password_hash).memory_cost < 65536
    monkeypatch.setitem(app.config, "ARGON2_PROFILE", "RFC_9106_LOW_MEMORY")
    assert login(client, user.email).request.path == "/"
    upgraded = reload(user).password_hash
    assert upgraded.startswith("$argon2id$")
    assert argon2.extract_parameters(upgraded).memory_cost == 65536
    post_form(client, "/uitloggen")
    assert login(client, user.email).request.path == "/"


# --- fresh login -------------------------------------------------------------------------


def test_admin_page_asks_for_the_password_again_after_ten_minutes(client, make_user):
    admin = make_user("admin")
    with freeze_time(T0) as frozen:
        login(client, admin.email)
        assert client.get("/beheer/gebruikers/nieuw").status_code == 200
        frozen.tick(timedelta(minutes=11))
        response = client.get("/beheer/gebruikers/nieuw")
        assert response.status_code == 302
        target = response.headers["Location"]
        parts = urlsplit(target)
        assert parts.path == "/inloggen/bevestigen"
        assert parse_qs(parts.query)["next"][0].startswith("/beheer/gebruikers/nieuw")
        response = post_form(client, target, {"password": PASSWORD}, from_url=target)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/beheer/gebruikers/nieuw")
        assert client.get("/beheer/gebruikers/nieuw").status_code == 200


def test_wrong_password_on_reauthentication_gives_a_field_error(client, make_user):
    admin = make_user("admin")
    with freeze_time(T0) as frozen:
        login(client, admin.email)
        frozen.tick(timedelta(minutes=11))
        target = client.get("/beheer/gebruikers/nieuw").headers["Location"]
        response = post_form(client, target, {"password": "not the right password"}, from_url=target)
        assert response.status_code == 200
        assert "Dit wachtwoord klopt niet." in response.get_data(as_text=True)
        assert client.get("/beheer/gebruikers/nieuw").status_code == 302


# --- redirects and logout ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("next_", "landing"),
    [("//evil.example", "/"), ("https://evil.example", "/"), ("/account", "/account")],
)
def test_login_follows_next_only_within_the_site(client, make_user, next_, landing):
    user = make_user("reporter")
    url = f"/inloggen?next={next_}"
    data = {"email": user.email, "password": PASSWORD}
    response = post_form(client, url, data, from_url=url)
    assert response.status_code == 302
    assert response.headers["Location"] == landing


def test_login_next_with_backslash_stays_on_the_site(client, make_user):
    user = make_user("reporter")
    url = "/inloggen?next=/%5Cevil.example"  # browsers read "/\\" as "//"
    response = post_form(client, url, {"email": user.email, "password": PASSWORD}, from_url=url)
    location = response.headers["Location"]
    assert not urlsplit(location).netloc
    assert not location.startswith(("//", "/\\"))


def test_logout_is_post_only(client, make_user):
    login(client, make_user("reporter").email)
    assert client.get("/uitloggen").status_code == 405
    assert is_logged_in(client)


def test_logout_requires_csrf_token(client, make_user):
    login(client, make_user("reporter").email)
    assert client.post("/uitloggen").status_code == 400
    assert is_logged_in(client)



def test_a_forged_pending_login_cookie_does_not_skip_the_password(app, client, make_user):
    """The signed cookie names no user: only a server-side row made at the password step counts."""
    user = make_user("coordinator")
    with client.session_transaction() as cookie:
        cookie["pending_login"] = {"uid": str(user.id), "token": "made-up", "at": 1e12}
    assert "/inloggen" in client.get("/inloggen/koppelen").headers["Location"]
    assert "/inloggen" in client.get("/inloggen/code").headers["Location"]
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret is None


def test_a_pending_login_row_is_not_a_session(app, client, make_user):
    """Between password and second factor the user is not logged in, whatever the cookie says."""
    user = make_user("coordinator", totp_secret="JBSWY3DPEHPK3PXP", totp_enabled=True)
    first = login(client, user.email, follow=False)
    assert first.headers["Location"].endswith("/inloggen/code")
    token = client.get_cookie("casustafel")
    assert token is not None
    assert "/inloggen" in client.get("/").headers["Location"]
