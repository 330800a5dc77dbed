"""Headers, health check, error pages and configuration guards."""

import pytest
from flask import request
from sqlalchemy.exc import OperationalError

from casustafel import create_app
from casustafel.extensions import db
from config import ProductionConfig, TestConfig
from tests.conftest import post_form


def test_every_response_carries_the_security_headers(client):
    response = client.get("/inloggen")
    csp = response.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'",
                      "frame-ancestors 'none'", "form-action 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_authenticated_pages_are_not_cached_and_static_files_may_be(client, make_user, login_as):
    login_as(make_user("reporter"))
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")


def test_session_cookie_is_httponly_and_samesite_lax(client):
    cookie = client.get("/inloggen").headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_cookies_are_secure_and_hsts_is_on():
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.HSTS is True
    assert ProductionConfig.REQUIRE_TOTP is True


def test_healthz_reports_only_the_database_status(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_down(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("down"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unavailable"}


def test_not_found_page_is_dutch_and_shows_no_internals(client, make_user, login_as):
    login_as(make_user("reporter"))
    response = client.get("/bestaat/niet")
    body = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Pagina niet gevonden" in body
    assert "Traceback" not in body and "werkzeug" not in body.lower()


def test_unexpected_error_gives_a_dutch_500_page_with_request_id_and_no_traceback():
    class Rendering(TestConfig):
        RENDER_500_IN_TESTS = True
        PROPAGATE_EXCEPTIONS = False

    broken = create_app(Rendering)

    def explode():
        if request.path == "/kapot":
            raise RuntimeError("SELECT secret FROM signal")

    broken.before_request_funcs.setdefault(None, []).append(explode)
    response = broken.test_client().get("/kapot")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Er ging iets mis" in body
    assert response.headers["X-Request-ID"] in body
    assert "SELECT" not in body and "Traceback" not in body


def test_state_changing_requests_need_a_csrf_token(client, make_user, login_as):
    login_as(make_user("admin"))
    response = client.post("/beheer/afdelingen", data={"name": "Zonder token"})
    assert response.status_code == 400
    assert "Het formulier is verlopen" in response.get_data(as_text=True)
    ok = post_form(client, "/beheer/afdelingen", {"name": "Met token"}, from_url="/beheer/afdelingen")
    assert ok.status_code == 302


def test_production_config_refuses_to_start_without_secrets(monkeypatch):
    for name in ("SECRET_KEY", "DATABASE_URL", "CASUSTAFEL_KEYRING"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY ontbreekt"):
        create_app(ProductionConfig)


def test_production_config_refuses_keys_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    monkeypatch.setenv("CASUSTAFEL_KEYRING", str(tmp_path / "keyring.json"))

    class Leaky(ProductionConfig):
        CASUSTAFEL_KEYRING_JSON = TestConfig.CASUSTAFEL_KEYRING_JSON

    with pytest.raises(RuntimeError, match="omgevingsvariabele"):
        create_app(Leaky)


def test_production_config_refuses_debug(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    monkeypatch.setenv("CASUSTAFEL_KEYRING", str(tmp_path / "keyring.json"))

    class Debugging(ProductionConfig):
        DEBUG = True

    with pytest.raises(RuntimeError, match="debug staat aan"):
        create_app(Debugging)


def test_without_a_keyring_every_page_answers_503(tmp_path):
    class Keyless(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'k.db'}"
        SQLALCHEMY_ENGINE_OPTIONS = {}
        CASUSTAFEL_KEYRING_JSON = None
        CASUSTAFEL_KEYRING = str(tmp_path / "ontbreekt.json")

    keyless = create_app(Keyless)
    client = keyless.test_client()
    assert client.get("/inloggen").status_code == 503
    assert client.get("/healthz").status_code in (200, 503)


def test_production_config_requires_a_public_url_and_shared_rate_limits(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    monkeypatch.setenv("CASUSTAFEL_KEYRING", str(tmp_path / "keyring.json"))
    with pytest.raises(RuntimeError) as refused:
        create_app(ProductionConfig)
    assert "CASUSTAFEL_PUBLIC_URL" in str(refused.value)
    assert "RATELIMIT_STORAGE_URI" in str(refused.value)


def test_notification_links_use_the_public_url_not_the_host_header(app, make_user):
    from casustafel.notifications import notify

    coordinator = make_user("coordinator")
    app.config["PUBLIC_URL"] = "https://casustafel.gemeente.test/"
    try:
        with app.test_request_context("/meldpunt", headers={"Host": "evil.example"}):
            message = notify(coordinator, "Nieuwe melding in casustafel", "Er is nieuws.")
    finally:
        app.config["PUBLIC_URL"] = None
    assert "https://casustafel.gemeente.test/" in message.body
    assert "evil.example" not in message.body
