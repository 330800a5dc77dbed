"""Single sign-on with the municipality's own account: OpenID Connect, and what a verified
identity may do here. The caller commits.

The login is the authorisation code flow with PKCE (S256), state and nonce, through Authlib's
Flask client. The ID token is checked here, not only by Authlib's defaults: the signature with
the provider's published keys and only with an asymmetric algorithm (never `none`, never a
shared secret), the issuer is the configured one, the audience holds our client id (Authlib
checks it only when asked), it has not expired, and its nonce is the one this browser's login
sent. An account is found by issuer + subject, never by e-mail address alone
(docs/security.md "Single sign-on").
"""

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import current_app
from joserfc import errors as jose_errors
from sqlalchemy import exists, func, select
from sqlalchemy.orm.attributes import flag_modified

from casustafel.audit_log import record
from casustafel.auth import passwords, sessions
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import RoleRequest, User, UserRole
from casustafel.models.roles import CONTENT_ROLES, Role

PROVIDER = "gemeente"
# Signature algorithms accepted for an ID token: asymmetric only. `none` and HS256 (signed
# with the client secret, so by anyone who has it) are refused whatever the provider lists.
SAFE_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
# Roles that without the provider's multi-factor authentication still need the local TOTP.
SECOND_FACTOR_ROLES = CONTENT_ROLES | {Role.ADMIN}
LINK_WINDOW = timedelta(hours=72)

ASK_ADMIN = "Neem contact op met de functioneel beheerder."
MESSAGES = {
    "state": "Deze inlogpoging is verlopen of al gebruikt. Begin opnieuw.",
    "provider_denied": "Het inloggen bij uw gemeenteaccount is afgebroken.",
    "provider_error": "Uw gemeenteaccount gaf een fout terug. Probeer het opnieuw.",
    "provider_unreachable": "Uw gemeenteaccount is nu niet bereikbaar. Probeer het later opnieuw.",
    "malformed": "Het bewijs van uw gemeenteaccount is niet geldig. Begin opnieuw.",
    "issuer": "Het bewijs van uw gemeenteaccount is niet geldig. Begin opnieuw.",
    "audience": "Het bewijs van uw gemeenteaccount is niet geldig. Begin opnieuw.",
    "expired": "Het bewijs van uw gemeenteaccount is verlopen. Begin opnieuw.",
    "nonce": "Het bewijs van uw gemeenteaccount hoort niet bij deze inlogpoging. Begin opnieuw.",
    "signature": "Het bewijs van uw gemeenteaccount is niet goed ondertekend. Begin opnieuw.",
    "no_email": "Uw gemeenteaccount geeft geen e-mailadres door. " + ASK_ADMIN,
    "email_exists": ("Er bestaat hier al een account met uw e-mailadres. Dat koppelen we niet vanzelf aan uw "
                     "gemeenteaccount. Vraag de functioneel beheerder de koppeling toe te staan, of log in met "
                     "uw wachtwoord."),
    "email_linked_elsewhere": "Uw e-mailadres hoort hier bij een ander gemeenteaccount. " + ASK_ADMIN,
    "link_needs_totp": ("Dit account heeft toegang tot meldingen maar nog geen tweede factor: log eerst één keer "
                        "in met uw wachtwoord en koppel een authenticator-app, en probeer het dan opnieuw."),
    "deactivated": "Uw account is gedeactiveerd. " + ASK_ADMIN,
    "blocked": "Inloggen met uw gemeenteaccount is voor dit account geblokkeerd. " + ASK_ADMIN,
    "reauth_other_account": "U bevestigde met een ander gemeenteaccount dan waarmee u bent ingelogd.",
}


class SsoError(Exception):
    """A refused SSO login: a reason code for the access log, a Dutch message for the person."""

    def __init__(self, reason: str, user: User | None = None, status: int = 403):
        super().__init__(reason)
        self.reason = reason
        self.user = user
        self.status = status

    @property
    def message(self) -> str:
        return MESSAGES[self.reason]


@dataclass
class Identity:
    user: User
    mfa: bool
    linked_now: bool = False


# --- configuration ---------------------------------------------------------------------------


def enabled() -> bool:
    return bool(current_app.config.get("OIDC_ISSUER"))


def _values(setting: str) -> set[str]:
    return {v.strip() for v in (current_app.config.get(setting) or "").split(",") if v.strip()}


def group_role_map(text: str | None = None) -> dict[str, Role]:
    """OIDC_GROUP_ROLE_MAP as group → role: "group=role,group=role" or a JSON object."""
    text = (current_app.config.get("OIDC_GROUP_ROLE_MAP") if text is None else text) or ""
    text = text.strip()
    if not text:
        return {}
    if text.startswith("{"):
        pairs = json.loads(text).items()
    else:
        pairs = [part.rsplit("=", 1) for part in text.split(",") if part.strip()]
    mapping = {}
    for pair in pairs:
        if len(pair) != 2 or not str(pair[0]).strip():
            raise RuntimeError(f"OIDC_GROUP_ROLE_MAP: ongeldig paar {pair!r} (verwacht groep=rol)")
        group, role = str(pair[0]).strip(), str(pair[1]).strip()
        try:
            mapping[group] = Role(role)
        except ValueError:
            raise RuntimeError(f"OIDC_GROUP_ROLE_MAP: onbekende rol {role!r} "
                               f"(kies uit {', '.join(r.value for r in Role)})") from None
    return mapping


def _client_secret() -> str | None:
    path = current_app.config.get("OIDC_CLIENT_SECRET_FILE")
    return Path(path).read_text(encoding="utf-8").strip() if path else None


def client():
    """Authlib's client for the configured provider, made once per configuration."""
    config = current_app.config
    key = tuple(config.get(name) for name in (
        "OIDC_ISSUER", "OIDC_DISCOVERY_URL", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET_FILE", "OIDC_SCOPES"))
    cached = current_app.extensions.get("casustafel_oidc")
    if cached is not None and cached[0] == key:
        return cached[1]
    group_role_map()  # a wrong mapping stops here, not at someone's login
    issuer = config["OIDC_ISSUER"].rstrip("/")
    secret = _client_secret()
    remote = OAuth(current_app._get_current_object()).register(
        PROVIDER,
        client_id=config["OIDC_CLIENT_ID"],
        client_secret=secret,
        server_metadata_url=config.get("OIDC_DISCOVERY_URL") or f"{issuer}/.well-known/openid-configuration",
        client_kwargs={
            "scope": config["OIDC_SCOPES"],
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_basic" if secret else "none",
            "default_timeout": 10,
        },
    )
    current_app.extensions["casustafel_oidc"] = (key, remote)
    return remote


def metadata() -> dict:
    """The provider's discovery document, checked: it names the configured issuer, and only
    asymmetric signature algorithms are kept for the ID token."""
    remote = client()
    try:
        data = remote.load_server_metadata()
    except requests.RequestException:
        raise SsoError("provider_unreachable", status=502) from None
    if data.get("issuer") != current_app.config["OIDC_ISSUER"]:
        current_app.logger.error("OIDC: the discovery document names issuer %r, configured is %r",
                                 data.get("issuer"), current_app.config["OIDC_ISSUER"])
        raise SsoError("issuer", status=502)
    offered = data.get("id_token_signing_alg_values_supported") or ["RS256"]
    data["id_token_signing_alg_values_supported"] = [a for a in offered if a in SAFE_ALGORITHMS] or ["RS256"]
    return data


def claims_options() -> dict:
    config = current_app.config
    return {
        "iss": {"essential": True, "values": [config["OIDC_ISSUER"]]},
        "aud": {"essential": True, "values": [config["OIDC_CLIENT_ID"]]},
        "sub": {"essential": True},
        "exp": {"essential": True},
        "nonce": {"essential": True},
    }


# --- the flow --------------------------------------------------------------------------------


def authorize_redirect(redirect_uri: str, *, reauthenticate: bool = False):
    """The redirect to the provider; Authlib keeps state, nonce and the PKCE verifier in the
    signed session cookie, for this browser only."""
    metadata()
    extra = {"prompt": "login"} if reauthenticate else {}
    return client().authorize_redirect(redirect_uri, **extra)


def _reason(error: Exception) -> str:
    if isinstance(error, jose_errors.ExpiredTokenError):
        return "expired"
    if isinstance(error, jose_errors.InvalidClaimError | jose_errors.MissingClaimError):
        claim = getattr(error, "claim", "")
        return {"iss": "issuer", "aud": "audience", "azp": "audience", "nonce": "nonce", "exp": "expired"}.get(
            claim, "malformed")
    if isinstance(error, jose_errors.BadSignatureError | jose_errors.UnsupportedAlgorithmError
                  | jose_errors.UnsupportedKeyAlgorithmError | jose_errors.MissingAlgorithmError):
        return "signature"
    return "malformed"


def verify_callback(redirect_uri: str) -> tuple[dict, str]:
    """Exchange the code (with the PKCE verifier) and check the ID token; its claims and the
    token itself (kept encrypted for the logout at the provider)."""
    metadata()
    try:
        token = client().authorize_access_token(claims_options=claims_options(), leeway=60)
    except MismatchingStateError:
        raise SsoError("state", status=400) from None
    except OAuthError as error:
        raise SsoError("provider_denied" if error.error == "access_denied" else "provider_error",
                         status=400) from None
    except requests.RequestException:
        raise SsoError("provider_unreachable", status=502) from None
    except jose_errors.JoseError as error:
        raise SsoError(_reason(error), status=400) from None
    except ValueError:  # a token that is no JWT at all
        raise SsoError("malformed", status=400) from None
    claims = token.get("userinfo")
    if not claims or not token.get("id_token"):
        raise SsoError("malformed", status=400)
    return dict(claims), token["id_token"]


def has_mfa(claims: dict) -> bool:
    amr = claims.get("amr") or []
    amr = [amr] if isinstance(amr, str) else amr
    acr = claims.get("acr")
    return bool({str(v) for v in amr} & _values("OIDC_MFA_AMR")) or (
        acr is not None and str(acr) in _values("OIDC_MFA_ACR"))


def needs_local_totp(identity: Identity) -> bool:
    """Content roles (and the admin) without the provider's MFA still give the local TOTP, as
    does the first login that links an existing account (it proves the holder of that account)."""
    if identity.linked_now and identity.user.totp_enabled:
        return True
    return not identity.mfa and bool(identity.user.roles & SECOND_FACTOR_ROLES)


def _text_claim(claims: dict, name: str) -> str | None:
    value = claims.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def identify(claims: dict) -> Identity:
    """The account of this verified identity: found by issuer + subject, linked (once, when an
    admin allowed it) or made with the reporter role. Refused when deactivated or blocked."""
    config = current_app.config
    issuer, subject = claims["iss"], str(claims["sub"])
    user = db.session.scalar(select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject))
    linked_now = False
    if user is None:
        email = _text_claim(claims, config["OIDC_EMAIL_CLAIM"])
        if email is None or "@" not in email or len(email) > 254:
            raise SsoError("no_email")
        email = email.casefold()
        existing = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if existing is not None:
            user = _link(existing, issuer, subject)
            linked_now = True
        else:
            name = _text_claim(claims, config["OIDC_NAME_CLAIM"]) or email
            user = _provision(issuer, subject, email, name)
    if not user.active:
        raise SsoError("deactivated", user)
    if user.sso_blocked:
        raise SsoError("blocked", user)
    _apply_group_roles(user, claims)
    return Identity(user=user, mfa=has_mfa(claims), linked_now=linked_now)


def _link(user: User, issuer: str, subject: str) -> User:
    """An existing account with this e-mail address: linked only when an admin allowed it, for
    a short time, and never one already tied to another identity."""
    if user.oidc_subject is not None:
        raise SsoError("email_linked_elsewhere", user)
    if user.sso_link_until is None or user.sso_link_until < utcnow():
        raise SsoError("email_exists", user)
    if user.roles & SECOND_FACTOR_ROLES and not user.totp_enabled:
        raise SsoError("link_needs_totp", user)
    if not user.active:
        raise SsoError("deactivated", user)
    user.oidc_issuer, user.oidc_subject, user.sso_link_until = issuer, subject, None
    record(user, "user.sso_linked", user, purpose="beheer")
    return user


def _provision(issuer: str, subject: str, email: str, name: str) -> User:
    user = User(
        email=email,
        display_name=name[:120],
        password_hash=passwords.hash_password(secrets.token_urlsafe(32)),  # nobody knows it
        must_change_password=False,
        oidc_issuer=issuer,
        oidc_subject=subject,
    )
    user.roles = {Role.REPORTER}
    db.session.add(user)
    db.session.flush()
    record(None, "user.sso_provisioned", user, reason_code=Role.REPORTER.value, purpose="beheer")
    return user


def _approved_before(user: User, role: Role) -> bool:
    return bool(db.session.scalar(select(exists().where(
        RoleRequest.user_id == user.id, RoleRequest.kind == "role", RoleRequest.role == role.value,
        RoleRequest.status == "approved"))))


def _request(user: User, role: Role) -> None:
    """A request for a second person, made by the provider's group (no requester here)."""
    if db.session.scalar(select(exists().where(
            RoleRequest.user_id == user.id, RoleRequest.kind == "role", RoleRequest.role == role.value,
            RoleRequest.status == "open"))):
        return
    db.session.add(RoleRequest(user_id=user.id, kind="role", role=role.value, requested_by_id=None))
    db.session.flush()
    record(None, "user.role_requested", user, reason_code=role.value, purpose="beheer")


def _last_active_admin(user: User) -> bool:
    others = db.session.scalar(select(func.count()).select_from(User).join(UserRole).where(
        User.active.is_(True), UserRole.role == Role.ADMIN.value, User.id != user.id))
    return not others


def _apply_group_roles(user: User, claims: dict) -> None:
    """Only when OIDC_GROUP_ROLE_MAP is set. A mapped reporter role is granted at once; any
    other mapped role the first time only as a request a second person approves (later logins
    restore a role approved before). A mapped role whose group is gone is taken away."""
    mapping = group_role_map()
    if not mapping:
        return
    groups = claims.get(current_app.config["OIDC_GROUPS_CLAIM"]) or []
    groups = [groups] if isinstance(groups, str) else groups
    wanted = {mapping[g] for g in groups if isinstance(g, str) and g in mapping}
    current = user.roles
    roles = set(current) - ((set(mapping.values()) - wanted) - {Role.REPORTER})
    if Role.ADMIN in current and Role.ADMIN not in roles and _last_active_admin(user):
        roles.add(Role.ADMIN)
    for role in sorted(wanted - current):
        combined = roles | {role}
        mixes = Role.ADMIN in combined and bool(combined & CONTENT_ROLES)
        if role == Role.REPORTER or (_approved_before(user, role) and not mixes):
            roles.add(role)
        elif not mixes:
            _request(user, role)
    if roles != current:
        user.roles = roles
        flag_modified(user, "display_name")  # a new version of the user row, as set_roles does
        sessions.revoke_all_sessions(user)
        record(None, "user.roles_changed", user, reason_code="sso_groups", purpose="beheer")


def logout_url(id_token: str, post_logout_redirect_uri: str) -> str | None:
    """RP-initiated logout at the provider, when its metadata offers it."""
    try:
        data = metadata()
    except SsoError:
        return None
    if not data.get("end_session_endpoint"):
        return None
    return client().create_logout_url(
        post_logout_redirect_uri=post_logout_redirect_uri, id_token_hint=id_token,
        client_id=current_app.config["OIDC_CLIENT_ID"])["url"]
