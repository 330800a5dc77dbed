"""Single sign-on against a real OpenID Connect provider on this machine: oidc-provider-mock,
served over HTTP in a thread. The app discovers it, is sent there, exchanges the code with its
token endpoint and checks the ID token with its published keys. Bad tokens are made by the
provider itself: a hook on its token endpoint rewrites the ID token it hands out (signed with
its own key, or not at all), as a compromised or confused provider, or someone in between,
would."""

import base64
import json
import os
import threading
import time
from urllib.parse import parse_qs, urlsplit

import flask
import oidc_provider_mock
import pyotp
import pytest
import requests
import werkzeug.serving
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from sqlalchemy import select

from casustafel.admin import services as admin
from casustafel.auth import oidc
from casustafel.extensions import db
from casustafel.models import AuditEvent, RoleRequest, User, UserSession
from casustafel.models.roles import Role
from tests.conftest import csrf_from, login

# The provider speaks plain HTTP on localhost; Authlib's server side refuses that unless told.
os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")

CLIENT_ID = "casustafel-gemeente-test"
SECRET = "clientgeheim-alleen-voor-tests"  # nosec B105 - a test value


class Provider:
    def __init__(self):
        self.app = oidc_provider_mock.app(require_nonce=True)
        self.rewrite = None  # claims, header -> new id_token (str)
        self.app.after_request(self._rewrite_token)
        with self.app.test_request_context("/"):
            self.app.preprocess_request()
            self.key = RSAKey.import_key(flask.g.oidc_provider_mock_storage.jwk.as_dict(is_private=True))
        self.server = werkzeug.serving.make_server("localhost", 0, self.app, threaded=True)
        self.url = f"http://localhost:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def _rewrite_token(self, response):
        if self.rewrite is not None and flask.request.path == "/oauth2/token" and response.status_code == 200:
            body = response.get_json()
            header, claims = _unverified(body["id_token"])
            body["id_token"] = self.rewrite(claims, header)
            response.set_data(json.dumps(body))
        return response

    def sign(self, claims, header=None, key=None):
        return jwt.encode(header or {"alg": "RS256", "kid": self.key.kid}, claims, key or self.key)

    def set_user(self, sub, **claims):
        requests.put(f"{self.url}/users/{sub}", json=claims, timeout=5).raise_for_status()


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _unverified(token: str):
    head, payload, _ = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return json.loads(base64.urlsafe_b64decode(pad(head))), json.loads(base64.urlsafe_b64decode(pad(payload)))


@pytest.fixture(scope="module")
def provider():
    running = Provider()
    yield running
    running.server.shutdown()


@pytest.fixture
def sso(app, provider, tmp_path):
    secret = tmp_path / "oidc-secret"
    secret.write_text(SECRET + "\n")
    saved = {k: app.config.get(k) for k in app.config if k.startswith("OIDC_")}
    app.config.update(OIDC_ISSUER=provider.url, OIDC_CLIENT_ID=CLIENT_ID, OIDC_CLIENT_SECRET_FILE=str(secret),
                      OIDC_GROUP_ROLE_MAP="", OIDC_MFA_AMR="mfa", OIDC_MFA_ACR="", OIDC_LOCAL_PASSWORDS=True)
    provider.rewrite = None
    yield provider
    provider.rewrite = None
    app.config.update(saved)
    app.extensions.pop("casustafel_oidc", None)


def start(client, next_path=None):
    """Press the button on the login page; the redirect to the provider."""
    page = client.get("/inloggen")
    assert "Inloggen met uw gemeenteaccount" in page.get_data(as_text=True)
    url = "/inloggen/gemeenteaccount" + (f"?next={next_path}" if next_path else "")
    response = client.post(url, data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def at_provider(authorize_url, sub):
    """The person picks their account on the provider's own login page."""
    response = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    back = urlsplit(response.headers["Location"])
    return f"{back.path}?{back.query}"


def sso_login(client, provider, sub, **claims):
    if claims:
        provider.set_user(sub, **claims)
    return client.get(at_provider(start(client), sub))


def events(action):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def logged_in(client) -> bool:
    return client.get("/").status_code == 200


def by_sub(sub):
    return db.session.scalar(select(User).where(User.oidc_subject == sub))


# --- the happy path -------------------------------------------------------------------------


def test_unknown_colleague_gets_an_account_with_only_the_reporter_role(client, sso):
    authorize = start(client, next_path="/meldpunt")
    query = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(f"{sso.url}/oauth2/authorize")
    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    sso.set_user("8f2c-zoë", email="Zoë.Ëlbers@Gemeente.test", name="Zoë Ëlbers-van ’t Hoff",
                 groups=["casustafel-regie"], amr=["pwd"])
    response = client.get(at_provider(authorize, "8f2c-zoë"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/meldpunt")
    assert logged_in(client)
    user = by_sub("8f2c-zoë")
    assert user.roles == {Role.REPORTER}  # groups ignored: no mapping configured
    assert user.email == "zoë.ëlbers@gemeente.test" and user.display_name == "Zoë Ëlbers-van ’t Hoff"
    assert user.oidc_issuer == sso.url and not user.totp_enabled
    assert db.session.scalars(select(RoleRequest)).all() == []
    assert [e.reason_code for e in events("user.sso_provisioned")] == ["reporter"]
    assert [e.reason_code for e in events("auth.sso_login")] == ["no_mfa"]
    assert client.get("/meldpunt", follow_redirects=True).status_code == 200


def test_the_account_is_found_by_subject_not_by_e_mail(client, app, sso):
    sso_login(client, sso, "sub-1", email="piet@gemeente.test", name="Piet")
    first = by_sub("sub-1")
    other = app.test_client()
    # The provider now says another address: still the same account, nothing new made.
    assert sso_login(other, sso, "sub-1", email="p.jansen@gemeente.test", name="Piet").status_code == 302
    assert db.session.scalars(select(User)).all() == [first]
    # Another subject with the first address is not this account.
    third = app.test_client()
    response = sso_login(third, sso, "sub-2", email="piet@gemeente.test", name="Iemand anders")
    _refused(third, response, "email_linked_elsewhere", status=403)


# --- tokens the app must refuse ---------------------------------------------------------------


def _refused(client, response, reason, status=400):
    """Refused with a message on the login page, logged with its reason, and no session."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert oidc.MESSAGES[reason] in response.get_data(as_text=True).replace("&#39;", "'")
    assert not logged_in(client)
    assert events("auth.sso_refused")[-1].reason_code == reason


def no_live_session():
    return db.session.scalar(select(UserSession).where(UserSession.revoked_at.is_(None))) is None


@pytest.mark.parametrize("change, reason", [
    (lambda c: {**c, "iss": "https://login.microsoftonline.com/andere-tenant/v2.0"}, "issuer"),
    (lambda c: {**c, "aud": "een-andere-applicatie"}, "audience"),
    # Authlib checks the audience only when asked: a token for another app that names us as
    # authorised party would otherwise pass.
    (lambda c: {**c, "aud": ["een-andere-applicatie"], "azp": CLIENT_ID}, "audience"),
    (lambda c: {**c, "exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "expired"),
    (lambda c: {**c, "nonce": "een-nonce-van-een-andere-login"}, "nonce"),
    (lambda c: {k: v for k, v in c.items() if k != "nonce"}, "nonce"),
])
def test_a_signed_token_with_wrong_claims_is_refused(client, sso, change, reason):
    sso.rewrite = lambda claims, header: sso.sign(change(claims))
    response = sso_login(client, sso, "sub-claims", email="claims@gemeente.test")
    _refused(client, response, reason)
    assert by_sub("sub-claims") is None and no_live_session()


def test_an_unsigned_token_is_refused(client, sso):
    sso.rewrite = lambda claims, header: f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    _refused(client, sso_login(client, sso, "sub-none", email="none@gemeente.test"), "signature")
    assert by_sub("sub-none") is None


def test_a_token_signed_with_the_client_secret_or_another_key_is_refused(client, app, sso):
    sso.rewrite = lambda claims, header: sso.sign(claims, {"alg": "HS256"}, OctKey.import_key(SECRET.encode() * 2))
    _refused(client, sso_login(client, sso, "sub-hs", email="hs@gemeente.test"), "signature")
    forged = RSAKey.generate_key(2048, parameters={"kid": sso.key.kid})
    sso.rewrite = lambda claims, header: sso.sign(claims, key=forged)
    other = app.test_client()
    _refused(other, sso_login(other, sso, "sub-hs", email="hs@gemeente.test"), "signature")
    assert by_sub("sub-hs") is None


def test_a_replayed_callback_is_refused(client, app, sso):
    sso.set_user("sub-replay", email="replay@gemeente.test")
    back = at_provider(start(client), "sub-replay")
    cookie = client.get_cookie("casustafel").value  # the browser as it was before coming back
    assert client.get(back).status_code == 302 and logged_in(client)
    # The same browser again: its state was used up.
    _refused_again = client.get(back)
    assert _refused_again.status_code == 400 and events("auth.sso_refused")[-1].reason_code == "state"
    # A copy of the cookie from before: the state is there, the code is spent at the provider.
    thief = app.test_client()
    thief.set_cookie("casustafel", cookie, domain="localhost")
    _refused(thief, thief.get(back), "provider_error", status=400)
    # A browser that never started a login.
    stranger = app.test_client()
    assert stranger.get(back).status_code == 400 and not logged_in(stranger)
    assert events("auth.sso_refused")[-1].reason_code == "state"


# --- who may log in ---------------------------------------------------------------------------


def test_a_deactivated_account_is_refused(client, app, sso):
    sso_login(client, sso, "sub-weg", email="weg@gemeente.test")
    admin.set_active(None, by_sub("sub-weg"), False)
    db.session.commit()
    assert not logged_in(client)  # the running session ended with the deactivation
    again = app.test_client()
    _refused(again, sso_login(again, sso, "sub-weg"), "deactivated", status=403)


def test_an_admin_blocks_an_sso_account_through_the_admin_page(client, app, sso, make_user):
    sso_login(client, sso, "sub-blok", email="blok@gemeente.test", name="Bram Blok")
    user = by_sub("sub-blok")
    beheerder = make_user("admin")
    admin_client = app.test_client()
    login(admin_client, beheerder.email)
    page = admin_client.get(f"/beheer/gebruikers/{user.id}")
    assert "Inloggen met gemeenteaccount blokkeren" in page.get_data(as_text=True)
    response = admin_client.post(f"/beheer/gebruikers/{user.id}/sso-blokkeren",
                                 data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert not logged_in(client)
    again = app.test_client()
    _refused(again, sso_login(again, sso, "sub-blok"), "blocked", status=403)
    assert [e.action for e in events("user.sso_blocked")] == ["user.sso_blocked"]
    page = admin_client.get(f"/beheer/gebruikers/{user.id}")
    admin_client.post(f"/beheer/gebruikers/{user.id}/sso-deblokkeren", data={"csrf_token": csrf_from(page)})
    third = app.test_client()
    assert sso_login(third, sso, "sub-blok").status_code == 302 and logged_in(third)


def test_an_existing_local_account_with_the_same_e_mail_is_not_taken_over(client, app, sso, make_user):
    regisseur = make_user("coordinator", email="regisseur@gemeente.test")
    response = sso_login(client, sso, "aanvaller", email="Regisseur@Gemeente.test", name="Niet de regisseur",
                         amr=["pwd", "mfa"])
    _refused(client, response, "email_exists", status=403)
    assert no_live_session()
    db.session.refresh(regisseur)
    assert regisseur.oidc_subject is None and len(db.session.scalars(select(User)).all()) == 1
    # The admin allows the link: the coordinator has no second factor yet, so still refused.
    admin.allow_sso_link(make_user("admin"), regisseur)
    db.session.commit()
    other = app.test_client()
    _refused(other, sso_login(other, sso, "aanvaller"), "link_needs_totp", status=403)
    # With a second factor: the link asks it, whatever MFA the provider claims.
    secret = pyotp.random_base32()
    regisseur.totp_secret, regisseur.totp_enabled = secret, True
    db.session.commit()
    third = app.test_client()
    response = sso_login(third, sso, "regisseur-sub", email="regisseur@gemeente.test", amr=["pwd", "mfa"])
    assert response.headers["Location"].endswith("/inloggen/code") and not logged_in(third)
    db.session.refresh(regisseur)
    assert regisseur.oidc_subject == "regisseur-sub"
    page = third.get("/inloggen/code")
    third.post("/inloggen/code", data={"csrf_token": csrf_from(page), "code": pyotp.TOTP(secret).now()})
    assert logged_in(third)


# --- roles from groups --------------------------------------------------------------------------


def test_a_mapped_content_role_waits_for_approval_the_first_time(client, app, sso, make_user):
    app.config["OIDC_GROUP_ROLE_MAP"] = "GG-Casustafel-Regie=coordinator,GG-Beheer=admin,GG-Alle-Medewerkers=reporter"
    sso_login(client, sso, "sub-regie", email="regie@gemeente.test", name="Renée Regie",
              groups=["GG-Casustafel-Regie", "GG-Alle-Medewerkers"], amr=["pwd", "mfa"])
    user = by_sub("sub-regie")
    assert user.roles == {Role.REPORTER}
    assert client.get("/inbox").status_code in (403, 404)
    (request_,) = db.session.scalars(select(RoleRequest)).all()
    assert (request_.role, request_.status, request_.requested_by_id) == ("coordinator", "open", None)
    # Logging in again asks nothing twice.
    sso_login(app.test_client(), sso, "sub-regie")
    assert len(db.session.scalars(select(RoleRequest)).all()) == 1
    # The holder of the group cannot approve it; another admin can.
    admin.decide_request(make_user("admin"), request_, True)
    db.session.commit()
    assert by_sub("sub-regie").roles == {Role.REPORTER, Role.COORDINATOR}
    # Out of the group at the provider: the role goes at the next login.
    sso.set_user("sub-regie", email="regie@gemeente.test", name="Renée Regie", groups=["GG-Alle-Medewerkers"],
                 amr=["pwd", "mfa"])
    sso_login(app.test_client(), sso, "sub-regie")
    db.session.expire_all()
    assert by_sub("sub-regie").roles == {Role.REPORTER}
    # Back in the group: approved before, so restored without a new request.
    sso.set_user("sub-regie", email="regie@gemeente.test", name="Renée Regie",
                 groups=["GG-Casustafel-Regie"], amr=["pwd", "mfa"])
    sso_login(app.test_client(), sso, "sub-regie")
    db.session.expire_all()
    assert by_sub("sub-regie").roles == {Role.REPORTER, Role.COORDINATOR}
    assert len(db.session.scalars(select(RoleRequest)).all()) == 1


def test_a_mapped_admin_role_is_not_granted_by_the_group_alone(client, app, sso):
    app.config["OIDC_GROUP_ROLE_MAP"] = json.dumps({"CN=Beheer,OU=Groepen,DC=gemeente,DC=nl": "admin"})
    sso_login(client, sso, "sub-beheer", email="beheer@gemeente.test",
              groups=["CN=Beheer,OU=Groepen,DC=gemeente,DC=nl"])
    assert by_sub("sub-beheer").roles == {Role.REPORTER}
    assert [r.role for r in db.session.scalars(select(RoleRequest))] == ["admin"]


# --- multi-factor ----------------------------------------------------------------------------


def _coordinator(app, sso, make_user, sub):
    """An SSO account that holds the coordinator role (approved)."""
    sso_login(app.test_client(), sso, sub, email=f"{sub}@gemeente.test", amr=["pwd", "mfa"])
    user = by_sub(sub)
    admin.request_role(make_user("admin"), user, Role.COORDINATOR)
    admin.decide_request(make_user("admin"), db.session.scalars(select(RoleRequest)).one(), True)
    db.session.commit()
    return user


def test_content_role_with_mfa_at_the_provider_asks_no_local_code(client, app, sso, make_user):
    _coordinator(app, sso, make_user, "sub-mfa")
    response = sso_login(client, sso, "sub-mfa", email="sub-mfa@gemeente.test", amr=["pwd", "mfa"])
    assert response.status_code == 302 and logged_in(client)
    assert events("auth.sso_login")[-1].reason_code == "mfa"


def test_content_role_without_mfa_at_the_provider_asks_the_local_totp(client, app, sso, make_user):
    user = _coordinator(app, sso, make_user, "sub-pwd")
    response = sso_login(client, sso, "sub-pwd", email="sub-pwd@gemeente.test", amr=["pwd"])
    assert response.headers["Location"].endswith("/inloggen/koppelen") and not logged_in(client)
    # Linking the app finishes the login.
    page = client.get("/inloggen/koppelen")
    client.post("/inloggen/koppelen", data={"csrf_token": csrf_from(page)})
    db.session.expire_all()
    secret = db.session.get(User, user.id).totp_secret
    page = client.get("/inloggen/koppelen")
    client.post("/inloggen/koppelen", data={"csrf_token": csrf_from(page), "code": pyotp.TOTP(secret).now()})
    assert logged_in(client)
    # An acr the municipality names as MFA counts too.
    app.config["OIDC_MFA_ACR"] = "urn:gemeente:loa:substantieel"
    other = app.test_client()
    sso_login(other, sso, "sub-pwd", email="sub-pwd@gemeente.test", amr=["pwd"], acr="urn:gemeente:loa:substantieel")
    assert logged_in(other)


def test_a_reporter_without_mfa_logs_in_without_a_code(client, sso):
    sso_login(client, sso, "sub-melder", email="melder2@gemeente.test", amr=["pwd"])
    assert logged_in(client)


# --- logout, settings ----------------------------------------------------------------------------


def test_logout_ends_the_session_here_and_at_the_provider(client, sso):
    sso_login(client, sso, "sub-uit", email="uit@gemeente.test")
    page = client.get("/account")
    response = client.post("/uitloggen", data={"csrf_token": csrf_from(page)})
    target = urlsplit(response.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{sso.url}/oauth2/end_session"
    query = parse_qs(target.query)
    assert query["post_logout_redirect_uri"] == ["http://localhost/inloggen"]
    _header, claims = _unverified(query["id_token_hint"][0])
    assert claims["sub"] == "sub-uit" and claims["aud"] in (CLIENT_ID, [CLIENT_ID])
    assert not logged_in(client)
    assert db.session.scalar(select(UserSession).where(UserSession.revoked_at.is_(None))) is None


def test_local_passwords_can_be_switched_off_for_linked_staff(client, app, sso, make_user):
    user = make_user("reporter", email="lokaal@gemeente.test", oidc_issuer=sso.url, oidc_subject="sub-lokaal")
    app.config["OIDC_LOCAL_PASSWORDS"] = False
    response = login(client, user.email)
    assert "Log in met uw gemeenteaccount" in response.get_data(as_text=True) and not logged_in(client)
    partner = make_user("reporter", email="partner@politie.test")
    assert login(app.test_client(), partner.email).status_code == 200
    other = app.test_client()
    login(other, partner.email)
    assert logged_in(other)  # accounts without a municipal identity keep their password


def test_without_configuration_there_is_no_button_and_no_route(client):
    page = client.get("/inloggen")
    assert "gemeenteaccount" not in page.get_data(as_text=True)
    assert client.post("/inloggen/gemeenteaccount", data={"csrf_token": csrf_from(page)}).status_code == 404
    assert client.get("/inloggen/gemeenteaccount/terug?code=x&state=y").status_code == 404


def test_the_login_and_logout_forms_may_end_at_the_provider_and_nowhere_else(client, sso):
    """CSP form-action: a browser follows the login button's redirect to the provider only when
    its origin is allowed (found by the browser journey; the test client ignores CSP)."""
    policy = client.get("/inloggen").headers["Content-Security-Policy"]
    form_action = next(d for d in policy.split(";") if d.strip().startswith("form-action")).split()
    assert form_action == ["form-action", "'self'", sso.url]
