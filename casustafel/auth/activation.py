"""Single-use activation links: a new account, or a password reset, chooses its password
through a link sent by e-mail. Only the link's SHA-256 is kept, so nobody, the admin included,
ever sees a usable credential of another account."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import select

from casustafel import dates
from casustafel.audit_log import record
from casustafel.auth.passwords import hash_password
from casustafel.auth.sessions import revoke_all_sessions
from casustafel.extensions import db
from casustafel.models import ActivationToken, User
from casustafel.notifications import notify

ACTIVATION_HOURS = 72
ACTIVATION_SUBJECT = "Uw account in casustafel"
ACTIVATION_BODY = ("Er is een account in casustafel voor u klaargezet, of uw wachtwoord is hersteld. Kies met de link "
                   "hieronder binnen 72 uur een wachtwoord. De link werkt één keer.")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_activation(actor, user: User, purpose: str) -> None:
    """E-mail the user a single-use link to choose a password; earlier links stop working."""
    for old in db.session.scalars(select(ActivationToken).where(ActivationToken.user_id == user.id,
                                                                ActivationToken.used_at.is_(None))):
        old.used_at = dates.utcnow()
    token = secrets.token_urlsafe(32)
    db.session.add(ActivationToken(user_id=user.id, token_hash=_token_hash(token), purpose=purpose,
                                   expires_at=dates.utcnow() + timedelta(hours=ACTIVATION_HOURS)))
    public = current_app.config.get("PUBLIC_URL")
    link = f"{public.rstrip('/')}/activeren/{token}" if public else url_for("auth.activate", token=token,
                                                                             _external=True)
    notify(user, ACTIVATION_SUBJECT, ACTIVATION_BODY, link=link)
    record(actor, "user.activation_sent", user, reason_code=purpose, purpose="beheer")


def activation_for(token: str) -> ActivationToken | None:
    """The unused, unexpired link with this token, or None."""
    if not token or len(token) > 100:
        return None
    found = db.session.scalar(select(ActivationToken).where(ActivationToken.token_hash == _token_hash(token)))
    if found is None or found.used_at is not None or found.expires_at < dates.utcnow():
        return None
    return found


def activate(activation: ActivationToken, password: str) -> User:
    user = activation.user
    activation.used_at = dates.utcnow()
    user.password_hash = hash_password(password)
    user.must_change_password = False
    revoke_all_sessions(user)
    record(user, "user.password_set", user, reason_code=activation.purpose)
    return user
