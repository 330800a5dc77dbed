"""Login with password and TOTP, logout, re-authentication and the own account page (the login
with the municipality's account: sso.py)."""

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user
from markupsafe import Markup
from sqlalchemy import func, select

from casustafel.audit_log import RESULT_FAILED, record
from casustafel.auth import activation, oidc, passwords, sessions, sso, throttle, totp
from casustafel.auth.common import PENDING_KEY, PENDING_MAX_AGE
from casustafel.auth.common import complete_login as _complete_login
from casustafel.auth.common import safe_next as _safe_next
from casustafel.auth.forms import ActivationForm, ChangePasswordForm, CodeForm, LoginForm, ReauthenticateForm
from casustafel.dates import utcnow
from casustafel.extensions import db, limiter
from casustafel.forms import Form
from casustafel.models import User
from casustafel.notifications import notify

bp = Blueprint("auth", __name__)
sso.register(bp)

LOGIN_FAILED = "E-mailadres of wachtwoord is onjuist."
FAILURES_SUBJECT = "Mislukte inlogpogingen op uw account in casustafel"
FAILURES_BODY = ("Er is de afgelopen tijd vaak zonder succes geprobeerd met uw account in te loggen. Was u dat niet, "
                 "meld het dan bij de functioneel beheerder. U kunt zelf gewoon blijven inloggen.")


def _pending_key() -> str:
    user = _pending_user() or (current_user if current_user.is_authenticated else None)
    return f"code:{getattr(user, 'id', None)}"


def _pending_user() -> User | None:
    """The user between password and second factor, known from the server-side row."""
    token = (session.get(PENDING_KEY) or {}).get("token")
    return sessions.pending_user(token, timedelta(seconds=PENDING_MAX_AGE))


@bp.route("/inloggen", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().casefold()
        address = request.remote_addr or ""
        if throttle.refused(email, address):
            abort(429)
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        ok = passwords.verify_password(user.password_hash if user else None, form.password.data)
        if not ok or not user.active:
            record(None, "auth.login_failed", user, result=RESULT_FAILED)
            if throttle.failed(email, address) and user is not None and user.active:
                notify(user, FAILURES_SUBJECT, FAILURES_BODY)
            db.session.commit()
            form.form_errors.append(LOGIN_FAILED)
            return render_template("auth/login.html", form=form), 200
        throttle.succeeded(email, address)
        if user.uses_sso and oidc.enabled() and not current_app.config["OIDC_LOCAL_PASSWORDS"]:
            record(None, "auth.login_failed", user, result=RESULT_FAILED, reason_code="sso_only")
            db.session.commit()
            form.form_errors.append("Log in met uw gemeenteaccount (de knop hieronder).")
            return render_template("auth/login.html", form=form), 200
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash_password(form.password.data)
        next_target = request.args.get("next")
        session.clear()
        session[PENDING_KEY] = {"token": sessions.start_pending(user), "next": next_target}
        if user.totp_enabled:
            db.session.commit()
            return redirect(url_for("auth.second_factor"))
        if current_app.config["REQUIRE_TOTP"]:
            _issue_totp_secret(user)
            db.session.commit()
            return redirect(url_for("auth.enrol_totp"))
        return _complete_login(user)
    return render_template("auth/login.html", form=form)


@bp.route("/inloggen/code", methods=["GET", "POST"])
@limiter.limit("10 per minute;30 per hour", key_func=_pending_key, methods=["POST"])
def second_factor():
    user = _pending_user()
    if user is None or not user.totp_enabled:
        session.pop(PENDING_KEY, None)
        flash("Log opnieuw in.", "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        step = totp.accept_code(user.totp_secret, form.code.data, user.totp_last_step)
        if step is None:
            record(user, "auth.second_factor_failed", user, result=RESULT_FAILED)
            db.session.commit()
            form.code.errors.append("Deze code klopt niet of is al gebruikt. Probeer de volgende code.")
            return render_template("auth/second_factor.html", form=form)
        user.totp_last_step = step
        return _complete_login(user)
    return render_template("auth/second_factor.html", form=form)


def _issue_totp_secret(user: User) -> None:
    """Give the user a secret to link (once); only ever on a POST, so a GET changes nothing."""
    if not user.totp_secret:
        user.totp_secret = totp.new_secret()
        record(user, "auth.second_factor_secret_issued", user)


@bp.route("/inloggen/koppelen", methods=["GET", "POST"])
@limiter.limit("10 per minute;30 per hour", key_func=_pending_key, methods=["POST"])
def enrol_totp():
    """Link an authenticator app: during login (when required) or from the account page."""
    user = current_user if current_user.is_authenticated else _pending_user()
    if user is None:
        flash("Log opnieuw in.", "info")
        return redirect(url_for("auth.login"))
    if user.totp_enabled:
        return redirect(url_for("main.home"))
    if current_user.is_authenticated and not sessions.is_fresh(user):
        flash("Bevestig eerst uw wachtwoord om verder te gaan.", "info")
        return redirect(url_for("auth.reauthenticate", next=request.full_path))
    if not user.totp_secret:
        start = Form()
        if start.validate_on_submit():
            _issue_totp_secret(user)
            db.session.commit()
            return redirect(url_for("auth.enrol_totp"))
        return render_template("auth/enrol_totp.html", start=start)
    form = CodeForm()
    if form.validate_on_submit():
        step = totp.accept_code(user.totp_secret, form.code.data, user.totp_last_step)
        if step is None:
            form.code.errors.append("Deze code klopt niet. Controleer de tijd op uw telefoon en probeer het opnieuw.")
        else:
            user.totp_enabled = True
            user.totp_last_step = step
            record(user, "auth.second_factor_enrolled", user)
            if current_user.is_authenticated:
                db.session.commit()
                flash("Uw authenticator-app is gekoppeld.", "success")
                return redirect(url_for("auth.account"))
            return _complete_login(user)
    secret = user.totp_secret
    return render_template(
        "auth/enrol_totp.html",
        form=form,
        qr=Markup(totp.qr_svg(totp.provisioning_uri(secret, user.email))),  # SVG made by segno  # noqa: S704  # nosec B704
        secret=totp.format_secret(secret),
    )


@bp.route("/uitloggen", methods=["POST"])
def logout():
    user = current_user._get_current_object()
    id_token = user.current_session.sso_id_token if user.current_session is not None else None
    sessions.revoke_session(user.current_session_token)
    record(user, "auth.logout", user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("U bent uitgelogd.", "success")
    # Ended here in any case; a login through single sign-on also ends at the provider when
    # it offers that (RP-initiated logout), which then sends the browser back to the login page.
    at_provider = id_token and oidc.enabled() and oidc.logout_url(id_token, sso.external_url("auth.login"))
    return redirect(at_provider or url_for("auth.login"))


def _current_user_key() -> str:
    return f"reauth:{getattr(current_user, 'id', None)}"


@bp.route("/inloggen/bevestigen", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_current_user_key, methods=["POST"])
def reauthenticate():
    form = ReauthenticateForm()
    if form.validate_on_submit():
        if passwords.verify_password(current_user.password_hash, form.password.data):
            current_user.current_session.authenticated_at = utcnow()
            record(current_user, "auth.reauthenticated", current_user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        record(current_user, "auth.reauthenticate_failed", current_user, result=RESULT_FAILED)
        db.session.commit()
        form.password.errors.append("Dit wachtwoord klopt niet.")
    return render_template("auth/reauthenticate.html", form=form)


@bp.route("/account")
def account():
    return render_template("auth/account.html", user=current_user)


@bp.route("/account/wachtwoord", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"])
def change_password():
    form = ChangePasswordForm()
    form.email_for_policy = current_user.email
    if form.validate_on_submit():
        if not passwords.verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append("Uw huidige wachtwoord klopt niet.")
            return render_template("auth/change_password.html", form=form)
        user = current_user._get_current_object()
        user.password_hash = passwords.hash_password(form.new_password.data)
        user.must_change_password = False
        sessions.revoke_all_sessions(user)
        record(user, "auth.password_changed", user)
        db.session.commit()
        logout_user()
        session.clear()
        flash("Uw wachtwoord is gewijzigd. Log opnieuw in met uw nieuwe wachtwoord.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/activeren/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def activate(token):
    """Choose a password through the single-use link from the e-mail (new account or reset)."""
    link = activation.activation_for(token)
    if link is None:
        return render_template("auth/activate.html", form=None), 404
    form = ActivationForm()
    form.email_for_policy = link.user.email
    if form.validate_on_submit():
        activation.activate(link, form.new_password.data)
        db.session.commit()
        flash("Uw wachtwoord is ingesteld. Log nu in.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/activate.html", form=form)
