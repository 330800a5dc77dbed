"""Mijn acties and an action's page for its owner; the coordinator's overview and new action."""

import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError
from wtforms.fields.choices import SelectChoice

from casustafel import dates
from casustafel.actions import services
from casustafel.actions.forms import ActionFilterForm, NewActionForm, UpdateActionForm
from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.models import Action, Department, User, UserRole
from casustafel.models.action import BIBOB_ACTION_HIDDEN
from casustafel.models.roles import Role
from casustafel.permissions import can_read_action_content, can_update_action, can_view_action, role_required
from casustafel.privacy.decisions import notify_privacy_officers
from casustafel.privacy.services import request_privacy_check
from casustafel.signals.common import get_signal_or_404
from casustafel.signals.visibility import signal_view
from casustafel.web import render_logged
from casustafel.web.access import load_or_404
from casustafel.web.locking import conflict_message
from casustafel.web.paging import paginate

bp = Blueprint("actions", __name__, url_prefix="/acties")

PAGE_SIZE = 50
DONE_SHOWN = 20
CONFLICT_MESSAGE = conflict_message("deze actie")

_LOAD = (selectinload(Action.signal), selectinload(Action.owner), selectinload(Action.owner_department))


def get_action_or_404(action_id: uuid.UUID) -> Action:
    """The action, or 404 with a denial in the log unless the user may see it."""
    return load_or_404(Action, action_id, can_view_action)


@bp.route("/mijn")
@role_required(Role.MEMBER, Role.COORDINATOR)
def mine():
    stmt = services.visible_to(current_user).options(*_LOAD)
    open_actions = db.session.scalars(
        stmt.where(Action.status != "afgerond").order_by(Action.deadline)
    ).all()
    done_actions = db.session.scalars(
        stmt.where(Action.status == "afgerond").order_by(Action.completed_at.desc()).limit(DONE_SHOWN)
    ).all()
    record(current_user, "action.listed", object_type="action", purpose="casustafel")
    return render_logged(
        "actions/mine.html", open_actions=open_actions, done_actions=done_actions, today=dates.today()
    )


def _save(action: Action, form: UpdateActionForm) -> bool | None:
    """Apply the owner's update and commit; False when someone else changed the action first,
    None when the update was refused (the message is on the form)."""
    if form.version.data != str(action.version):
        return False
    try:
        services.update_action(current_user, action, status=form.status.data, result=form.result.data)
        services.notify_owners(current_user, action, created=False)
        db.session.commit()
    except StaleDataError:  # changed between our read and our write
        db.session.rollback()
        return False
    except services.ActionError as error:  # e.g. the signal's processing is restricted (art. 18 AVG)
        db.session.rollback()
        form.form_errors.append(str(error))
        return None
    return True


@bp.route("/<uuid:action_id>", methods=["GET", "POST"])
@role_required(Role.MEMBER, Role.COORDINATOR)
def detail(action_id):
    action = get_action_or_404(action_id)
    form = UpdateActionForm()
    form.set_statuses(services.NEXT_STATUSES[action.status])
    conflict = False
    readable = can_read_action_content(current_user, action)
    if request.method == "POST" and not can_update_action(current_user, action):
        flash("Deze actie is al afgerond en kan niet meer worden gewijzigd." if readable else
              f"{BIBOB_ACTION_HIDDEN}: alleen de regisseur werkt deze actie bij.", "warning")
        return redirect(url_for("actions.detail", action_id=action.id))
    saved = _save(action, form) if form.validate_on_submit() else None
    if saved:
        flash("De actie is bijgewerkt.", "success")
        return redirect(url_for("actions.detail", action_id=action.id))
    if saved is False:
        # Show the new state, keep what was typed, and let a second save go through.
        conflict = True
        form.set_statuses(services.NEXT_STATUSES[action.status])
        form.version.data, form.version.raw_data = str(action.version), None
    elif request.method == "GET":
        form.status.data, form.result.data = action.status, action.result if readable else None
        form.version.data = str(action.version)
    fields = services.released_fields(current_user, action)
    released = "beschrijving" in fields
    view = signal_view(action.signal, fields) if not current_user.has_role(Role.COORDINATOR) else None
    released = released and not (view is not None and view.restricted)  # art. 18 AVG: nothing shared
    shown = (view is not None and view.shows_subjects) or (released and readable and bool(action.description))
    subjects = [str(s.id) for s in action.signal.subjects] if shown else None
    record(current_user, "action.viewed", action, subjects=subjects, purpose="casustafel")
    return render_logged(
        "actions/detail.html",
        action=action,
        form=form,
        conflict=CONFLICT_MESSAGE if conflict else None,
        released=released,
        readable=readable,
        bibob_hidden=BIBOB_ACTION_HIDDEN,
        view=view,
        privacy_status=services.privacy_status(action),
        may_update=can_update_action(current_user, action),
        today=dates.today(),
    ), (409 if conflict else 200)


@bp.route("/")
@role_required(Role.COORDINATOR)
def index():
    form = ActionFilterForm(request.args)
    form.validate()
    status, overdue, type_ = (f.data if not f.errors else "" for f in (form.status, form.overdue, form.type))
    today = dates.today()
    stmt = select(Action)
    stmt = stmt.where(Action.status == status) if status else stmt.where(Action.status != "afgerond")
    if overdue:
        stmt = stmt.where(Action.deadline < today, Action.status != "afgerond")
    if type_:
        stmt = stmt.where(Action.type == type_)
    pages = paginate(stmt.options(*_LOAD).order_by(Action.deadline, Action.created_at), PAGE_SIZE)
    actions = pages.items
    record(current_user, "action.listed", object_type="action", purpose="casustafel")
    filters = {"status": status, "overdue": overdue, "type": type_}
    return render_logged(
        "actions/index.html", form=form, actions=actions, pages=pages,
        filters={k: v for k, v in filters.items() if v}, privacy=services.privacy_statuses(actions), today=today,
    )


def _fill_owner_choices(form: NewActionForm) -> None:
    members = db.session.scalars(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.MEMBER.value, User.active.is_(True))
        .options(selectinload(User.department))
        .order_by(User.display_name)
    ).all()
    form.owner_id.choices = [SelectChoice("", "— geen persoon —")] + [
        SelectChoice(str(u.id), f"{u.display_name} ({u.department.name})" if u.department else u.display_name)
        for u in members
    ]
    departments = db.session.scalars(
        select(Department).where(Department.active.is_(True)).order_by(Department.name)
    ).all()
    form.owner_department_id.choices = [SelectChoice("", "— geen afdeling —")] + [
        SelectChoice(d.id, d.name) for d in departments
    ]


@bp.route("/nieuw/<uuid:signal_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def new(signal_id):
    signal = get_signal_or_404(signal_id)
    form = NewActionForm()
    _fill_owner_choices(form)
    if form.validate_on_submit():
        if signal.status == "afgesloten":
            form.form_errors.append(
                "Deze melding is afgesloten. Heropen de melding eerst om er een actie op te zetten."
            )
        else:
            try:
                action = services.create_action(
                    current_user, signal, type=form.type.data, deadline=form.deadline.data,
                    owner_id=uuid.UUID(form.owner_id.data) if form.owner_id.data else None,
                    owner_department_id=form.owner_department_id.data, description=form.description.data,
                )
            except services.ActionError as error:
                db.session.rollback()
                form.form_errors.append(str(error))
                return render_template("actions/new.html", form=form, signal=signal)
            if services.needs_privacy_check(action):  # data goes to the owner: check 2B first
                request_privacy_check(current_user, signal, "2B", action=action)
                notify_privacy_officers(current_user)
            services.notify_owners(current_user, action, created=True)
            db.session.commit()
            flash("De actie is aangemaakt." + (" Privacytoets 2B is aangevraagd; de afdeling ziet de "
                  "beschrijving pas na goedkeuring." if action.owner_department_id else ""), "success")
            return redirect(url_for("actions.detail", action_id=action.id))
    return render_template("actions/new.html", form=form, signal=signal)
