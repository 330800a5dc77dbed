"""Revocable server-side sessions behind Flask-Login.

The cookie carries a random token; the database keeps its SHA-256. Logout, deactivation,
password and role changes revoke the rows, so a copied cookie stops working.
"""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from casustafel.dates import utcnow
from casustafel.extensions import db, login_manager
from casustafel.models import User, UserSession

TOUCH_INTERVAL = timedelta(seconds=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User, sso_id_token: str | None = None) -> str:
    """Create a new session row for `user` and return its token (a login through single sign-on
    keeps the provider's ID token, encrypted, for the logout there)."""
    token = secrets.token_urlsafe(32)
    row = UserSession(token_hash=_hash(token), user_id=user.id)
    row.sso_id_token = sso_id_token
    db.session.add(row)
    user.current_session_token = token
    user.current_session = row
    return token


def start_pending(user: User, sso_id_token: str | None = None) -> str:
    """Record that `user` gave the right password and now owes the second factor.

    The cookie gets only the random token; who is logging in is known from the database,
    so a forged cookie cannot skip the password step.
    """
    token = secrets.token_urlsafe(32)
    row = UserSession(token_hash=_hash(token), user_id=user.id, second_factor_pending=True)
    row.sso_id_token = sso_id_token
    db.session.add(row)
    return token


def pending_sso_id_token(token: str | None) -> str | None:
    """The provider's ID token a pending login through single sign-on carries, if any."""
    if not token:
        return None
    row = db.session.scalar(select(UserSession).where(
        UserSession.token_hash == _hash(token), UserSession.second_factor_pending.is_(True)))
    return row.sso_id_token if row is not None else None


def pending_user(token: str | None, max_age: timedelta) -> User | None:
    """The user of a live pending login, or None."""
    if not token:
        return None
    row = db.session.scalar(
        select(UserSession).where(
            UserSession.token_hash == _hash(token), UserSession.second_factor_pending.is_(True)
        )
    )
    if row is None or row.revoked_at is not None or utcnow() - row.created_at > max_age:
        return None
    return row.user if row.user.active else None


def revoke_session(token: str | None) -> None:
    if token:
        db.session.execute(
            update(UserSession)
            .where(UserSession.token_hash == _hash(token), UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


def revoke_all_sessions(user: User) -> None:
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def is_fresh(user: User) -> bool:
    row = user.current_session
    window = current_app.config["FRESH_LOGIN_WINDOW"]
    return row is not None and row.authenticated_at >= utcnow() - window


@login_manager.user_loader
def load_user(token: str) -> User | None:
    """Return the user of a live session; None for revoked, idle or expired sessions."""
    row = db.session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))
    if row is None or row.revoked_at is not None or row.second_factor_pending:
        return None
    now = utcnow()
    config = current_app.config
    if (
        now - row.last_seen_at > config["SESSION_IDLE_TIMEOUT"]
        or now - row.created_at > config["SESSION_ABSOLUTE_TIMEOUT"]
    ):
        row.revoked_at = now
        db.session.commit()
        return None
    user = row.user
    if not user.active:
        return None
    if now - row.last_seen_at > TOUCH_INTERVAL:
        row.last_seen_at = now
        db.session.commit()
    user.current_session_token = token
    user.current_session = row
    return user
