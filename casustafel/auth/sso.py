"""Logging in with the municipality's own account (OpenID Connect, oidc.py): the button on the
login page starts the flow (a POST, so another site cannot start it), the provider sends the
browser back to the callback. Both answer 404 while SSO is not configured."""

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from casustafel.audit_log import RESULT_FAILED, record
from casustafel.auth import oidc, sessions
from casustafel.auth.common import PENDING_KEY, complete_login, safe_next
from casustafel.auth.forms import LoginForm
from casustafel.dates import utcnow
from casustafel.extensions import db, limiter
from casustafel.forms import Form

FLOW_KEY = "sso_flow"


def external_url(endpoint: str) -> str:
    """An address the provider sends the browser to: from CASUSTAFEL_PUBLIC_URL when set (behind
    a proxy), never from a Host header in production."""
    public = current_app.config.get("PUBLIC_URL")
    if public:
        return public.rstrip("/") + url_for(endpoint)
    return url_for(endpoint, _external=True)


def sso_button():
    return {"sso_button": current_app.config.get("OIDC_BUTTON") if oidc.enabled() else None}


def _refused(refusal: oidc.SsoError):
    db.session.rollback()
    record(refusal.user, "auth.sso_refused", refusal.user, result=RESULT_FAILED, reason_code=refusal.reason)
    db.session.commit()
    current_app.logger.warning("SSO-login geweigerd: %s", refusal.reason)
    return render_template("auth/login.html", form=LoginForm(formdata=None), sso_error=refusal.message), \
        refusal.status


@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"])
def sso_start():
    """To the provider. `bevestigen=1` (from the confirmation page) asks it to log in again."""
    if not oidc.enabled():
        abort(404)
    if not Form().validate_on_submit():
        abort(400)
    reauthenticate = request.args.get("bevestigen") == "1" and current_user.is_authenticated
    if current_user.is_authenticated and not reauthenticate:
        return redirect(url_for("main.home"))
    session[FLOW_KEY] = {"next": request.args.get("next"), "reauthenticate": reauthenticate}
    try:
        return oidc.authorize_redirect(external_url("auth.sso_callback"), reauthenticate=reauthenticate)
    except oidc.SsoError as refusal:
        return _refused(refusal)


@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"])
def sso_callback():
    """Back from the provider: check everything, then log in (or ask the local second factor)."""
    if not oidc.enabled():
        abort(404)
    flow = session.pop(FLOW_KEY, None) or {}
    try:
        claims, id_token = oidc.verify_callback(external_url("auth.sso_callback"))
        identity = oidc.identify(claims)
        if flow.get("reauthenticate") and current_user.is_authenticated and identity.user.id != current_user.id:
            raise oidc.SsoError("reauth_other_account", identity.user)
    except oidc.SsoError as refusal:
        return _refused(refusal)
    user = identity.user
    if flow.get("reauthenticate") and current_user.is_authenticated and not oidc.needs_local_totp(identity):
        current_user.current_session.authenticated_at = utcnow()
        record(user, "auth.reauthenticated", user, reason_code="sso")
        db.session.commit()
        return redirect(safe_next(flow.get("next")))
    if current_user.is_authenticated:  # a new login replaces the one this browser had
        sessions.revoke_session(current_user.current_session_token)
    record(user, "auth.sso_login", user, reason_code="mfa" if identity.mfa else "no_mfa")
    if oidc.needs_local_totp(identity):
        session.clear()
        session[PENDING_KEY] = {"token": sessions.start_pending(user, id_token), "next": flow.get("next")}
        db.session.commit()
        return redirect(url_for("auth.second_factor" if user.totp_enabled else "auth.enrol_totp"))
    return complete_login(user, sso_id_token=id_token, log_login=False, target=flow.get("next"))


def register(bp) -> None:
    """The routes and the login page's button on the auth blueprint (views.py)."""
    bp.add_url_rule("/inloggen/gemeenteaccount", view_func=sso_start, methods=["POST"])
    bp.add_url_rule("/inloggen/gemeenteaccount/terug", view_func=sso_callback)
    bp.app_context_processor(sso_button)
