"""Access helpers every feature shares: the policy gate (403), loaders that answer 404 and the
fresh-login gate. Each refusal leaves a denial in the access log."""

from functools import wraps

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from casustafel.audit_log import record_denial
from casustafel.auth import sessions
from casustafel.extensions import db


def require(policy) -> None:
    """403 (and a denial in the log) unless `policy(current_user)` allows the page."""
    if not policy(current_user):
        record_denial(current_user, "endpoint", request.endpoint)
        abort(403)


def fresh_login_required(view=None, *, methods=None):
    """Ask for the password again when the login is older than FRESH_LOGIN_WINDOW (for every
    request, or only for the given methods)."""
    if view is None:
        return lambda inner: fresh_login_required(inner, methods=methods)

    @wraps(view)
    def wrapped(*args, **kwargs):
        if (methods is None or request.method in methods) and not sessions.is_fresh(current_user):
            flash("Bevestig eerst uw wachtwoord om verder te gaan.", "info")
            target = request.full_path if request.method == "GET" else request.path
            return redirect(url_for("auth.reauthenticate", next=target))
        return view(*args, **kwargs)

    return wrapped


def load_or_404(model, object_id, policy=None, *, object_type: str | None = None):
    """The row with this id, or 404 with a denial in the log: when there is none, or when
    `policy(current_user, row)` says the user may not have it (the same answer either way)."""
    row = db.session.get(model, object_id)
    if row is None or (policy is not None and not policy(current_user, row)):
        record_denial(current_user, object_type or model.__tablename__, object_id)
        abort(404)
    return row
