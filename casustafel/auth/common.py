"""What the password login and the single sign-on share: where to go after the login, and
the start of a new session once every step is done."""

from urllib.parse import urlsplit

from flask import redirect, session, url_for
from flask_login import login_user

from casustafel.audit_log import record
from casustafel.auth import sessions
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import User

PENDING_KEY = "pending_login"
PENDING_MAX_AGE = 300  # seconds between password (or the provider) and second factor


def safe_next(target: str | None) -> str:
    """Follow `next` only to a path on this site."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
        ):
            return target
    return url_for("main.home")


def complete_login(user: User, *, sso_id_token: str | None = None, log_login: bool = True,
                   target: str | None = None):
    """Start a new session (rotating the cookie) and log the user in. A login through single
    sign-on carries the provider's ID token (directly, or on the pending row of the second factor)."""
    pending = session.get(PENDING_KEY) or {}
    target = target or pending.get("next")
    sso_id_token = sso_id_token or sessions.pending_sso_id_token(pending.get("token"))
    sessions.revoke_session(pending.get("token"))
    session.clear()
    sessions.start_session(user, sso_id_token)
    login_user(user)
    user.last_login_at = utcnow()
    if log_login:  # the SSO callback logged auth.sso_login already
        record(user, "auth.login", user)
    db.session.commit()
    return redirect(safe_next(target))
