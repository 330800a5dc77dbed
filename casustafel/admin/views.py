"""Admin pages for users and departments."""

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask import request as flask_request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from wtforms.fields.choices import SelectChoice

from casustafel.admin import (
    bulk_invite,
    catalogue,
    criteria,
    legal_grounds,
    organisation,
    partners,
    powers,
    registers,
    services,
    settings,
)
from casustafel.admin.forms import DepartmentForm, NewUserForm, UserForm, VersionForm
from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.models import Department, RoleRequest, User
from casustafel.models.roles import ROLE_LABELS, Role
from casustafel.permissions import role_required
from casustafel.web import render_logged
from casustafel.web.access import fresh_login_required, load_or_404
from casustafel.web.locking import conflict_message
from casustafel.web.routes import register_routes

bp = Blueprint("admin", __name__, url_prefix="/beheer")
register_routes(bp, bulk_invite, catalogue, criteria, legal_grounds, organisation, partners, powers, registers,
                settings)


def _department_choices():
    departments = db.session.scalars(
        select(Department).where(Department.active.is_(True)).order_by(Department.name)
    )
    return [SelectChoice(0, "— geen afdeling —")] + [SelectChoice(d.id, d.name) for d in departments]


def _get_user_or_404(user_id: uuid.UUID) -> User:
    return load_or_404(User, user_id)


@bp.route("/gebruikers")
@role_required(Role.ADMIN)
def users():
    rows = db.session.scalars(select(User).order_by(User.display_name)).all()
    record(current_user, "user.listed", object_type="user_account", purpose="beheer")
    return render_logged("admin/users.html", users=rows)


@bp.route("/gebruikers/nieuw", methods=["GET", "POST"])
@role_required(Role.ADMIN)
@fresh_login_required
def user_new():
    form = NewUserForm()
    form.department_id.choices = _department_choices()
    if form.validate_on_submit():
        try:
            user, requested = services.invite_user(
                current_user, form.email.data, form.display_name.data, form.roles.data,
                department_id=form.department_id.data or None,
            )
        except services.UserError as error:
            db.session.rollback()
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Het account van {user.display_name} is aangemaakt. {user.display_name} krijgt een e-mail met een "
                  f"link om binnen 72 uur een wachtwoord te kiezen." + _pending_text(requested), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=None)


def _pending_text(requested) -> str:
    if not requested:
        return ""
    roles = ", ".join(ROLE_LABELS[Role(r.role)].lower() for r in requested)
    return f" De rol {roles} geldt pas als een tweede persoon die goedkeurt (Goedkeuringen)."


@bp.route("/gebruikers/<uuid:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
@fresh_login_required
def user_edit(user_id):
    user = _get_user_or_404(user_id)
    form = UserForm(obj=None if _is_post() else user)
    form.department_id.choices = _department_choices()
    if not _is_post():
        form.department_id.data = user.department_id or 0
        form.roles.data = sorted(r.value for r in user.roles)
        form.version.data = str(user.version)
    if form.validate_on_submit():
        if str(user.version) != form.version.data:
            flash(conflict_message("deze gebruiker"), "warning")
            return redirect(url_for("admin.user_edit", user_id=user.id))
        try:
            user.display_name = form.display_name.data.strip()
            user.department_id = form.department_id.data or None
            changed_roles, requested = services.set_roles(current_user, user, form.roles.data)
            record(current_user, "user.updated", user)
            db.session.commit()
        except services.UserError as error:
            db.session.rollback()
            form.roles.errors.append(str(error))
        except StaleDataError:
            db.session.rollback()
            abort(409)
        else:
            flash("De gebruiker is bijgewerkt." + (" Lopende sessies zijn beëindigd." if changed_roles else "")
                  + _pending_text(requested), "success")
            return redirect(url_for("admin.users"))
    record(current_user, "user.viewed", user)
    return render_logged("admin/user_form.html", form=form, user=user, action_form=VersionForm(),
                         pending=services.open_requests(user))


def _is_post() -> bool:
    from flask import request

    return request.method == "POST"


def _user_action(user_id, action):
    user = _get_user_or_404(user_id)
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        result = action(user)
        db.session.commit()
    except services.UserError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    return user, result


@bp.route("/gebruikers/<uuid:user_id>/deactiveren", methods=["POST"])
@role_required(Role.ADMIN)
@fresh_login_required
def user_deactivate(user_id):
    outcome = _user_action(user_id, lambda u: services.set_active(current_user, u, False))
    if isinstance(outcome, tuple):
        flash("De gebruiker is gedeactiveerd; alle sessies zijn beëindigd.", "success")
        return redirect(url_for("admin.users"))
    return outcome


@bp.route("/gebruikers/<uuid:user_id>/activeren", methods=["POST"])
@role_required(Role.ADMIN)
@fresh_login_required
def user_activate(user_id):
    outcome = _user_action(user_id, lambda u: services.set_active(current_user, u, True))
    if isinstance(outcome, tuple):
        flash("De gebruiker is weer actief.", "success")
        return redirect(url_for("admin.users"))
    return outcome


@bp.route("/gebruikers/<uuid:user_id>/tweede-factor-herstellen", methods=["POST"])
@role_required(Role.ADMIN)
@fresh_login_required
def user_reset_totp(user_id):
    outcome = _user_action(user_id, lambda u: services.reset_second_factor(current_user, u))
    if isinstance(outcome, tuple):
        if outcome[1] is not None:
            flash("Het herstellen van de tweede factor wacht op goedkeuring van een tweede persoon: dit account "
                  "heeft een rol met toegang tot meldingen.", "info")
        else:
            flash("De tweede factor is gewist. De gebruiker koppelt bij de volgende login opnieuw een app.",
                  "success")
        return redirect(url_for("admin.user_edit", user_id=user_id))
    return outcome


@bp.route("/gebruikers/<uuid:user_id>/wachtwoord-herstellen", methods=["POST"])
@role_required(Role.ADMIN)
@fresh_login_required
def user_reset_password(user_id):
    outcome = _user_action(user_id, lambda u: services.reset_password(current_user, u))
    if isinstance(outcome, tuple):
        flash(f"Het wachtwoord van {outcome[0].display_name} werkt niet meer. {outcome[0].display_name} krijgt een "
              "e-mail met een link om binnen 72 uur een nieuw wachtwoord te kiezen.", "success")
        return redirect(url_for("admin.user_edit", user_id=user_id))
    return outcome


@bp.route("/gebruikers/<uuid:user_id>/sso-blokkeren", methods=["POST"])
@role_required(Role.ADMIN)
@fresh_login_required
def user_block_sso(user_id):
    outcome = _user_action(user_id, lambda u: services.set_sso_blocked(current_user, u, True))
    if isinstance(outcome, tuple):
        flash("Inloggen met het gemeenteaccount is voor deze gebruiker geblokkeerd; alle sessies zijn beëindigd.",
              "success")
        return redirect(url_for("admin.user_edit", user_id=user_id))
    return outcome


@bp.route("/gebruikers/<uuid:user_id>/sso-deblokkeren", methods=["POST"])
@role_required(Role.ADMIN)
@fresh_login_required
def user_unblock_sso(user_id):
    outcome = _user_action(user_id, lambda u: services.set_sso_blocked(current_user, u, False))
    if isinstance(outcome, tuple):
        flash("De gebruiker kan weer inloggen met het gemeenteaccount.", "success")
        return redirect(url_for("admin.user_edit", user_id=user_id))
    return outcome


@bp.route("/gebruikers/<uuid:user_id>/sso-koppeling-toestaan", methods=["POST"])
@role_required(Role.ADMIN)
@fresh_login_required
def user_allow_sso_link(user_id):
    outcome = _user_action(user_id, lambda u: services.allow_sso_link(current_user, u))
    if isinstance(outcome, tuple):
        flash(f"De eerstvolgende login met een gemeenteaccount met het e-mailadres {outcome[0].email} wordt binnen "
              f"{services.SSO_LINK_WINDOW_HOURS} uur aan dit account gekoppeld.", "success")
        return redirect(url_for("admin.user_edit", user_id=user_id))
    return outcome


@bp.route("/goedkeuringen")
@role_required(Role.ADMIN, Role.PRIVACY_OFFICER)
def role_requests():
    """Open requests for content roles and second-factor resets, for the admins and the privacy
    officer to see; who may decide is shown per request."""
    requests = services.open_requests()
    decided = db.session.scalars(select(RoleRequest).where(RoleRequest.status != "open")
                                 .order_by(RoleRequest.decided_at.desc()).limit(20)).all()
    record(current_user, "user.role_requests_listed", object_type="role_request", purpose="beheer")
    return render_logged("admin/role_requests.html", requests=requests, decided=decided, form=VersionForm(),
                         may_decide=lambda r: services.may_decide(current_user, r), labels=ROLE_LABELS)


@bp.route("/goedkeuringen/<uuid:request_id>", methods=["POST"])
@role_required(Role.ADMIN, Role.PRIVACY_OFFICER)
@fresh_login_required
def role_request_decide(request_id):
    request_ = load_or_404(RoleRequest, request_id, services.may_decide)
    if not VersionForm().validate_on_submit():
        abort(400)
    approve = flask_request.form.get("besluit") == "goedkeuren"
    try:
        services.decide_request(current_user, request_, approve)
        db.session.commit()
    except services.UserError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(("Goedgekeurd: " if approve else "Afgewezen: ") + f"{request_.kind_label.lower()} voor "
              f"{request_.user.display_name}.", "success")
    return redirect(url_for("admin.role_requests"))


@bp.route("/afdelingen", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def departments():
    form = DepartmentForm()
    if form.validate_on_submit():
        name = form.name.data.strip()
        exists = db.session.scalar(select(Department).where(Department.name == name))
        if exists:
            form.name.errors.append("Deze afdeling bestaat al.")
        else:
            department = Department(name=name)
            db.session.add(department)
            db.session.flush()
            record(current_user, "department.created", department)
            db.session.commit()
            flash(f"Afdeling ‘{name}’ is toegevoegd.", "success")
            return redirect(url_for("admin.departments"))
    rows = db.session.scalars(select(Department).order_by(Department.name)).all()
    return render_template("admin/departments.html", form=form, departments=rows)
