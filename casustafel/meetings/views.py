"""The coordinator's meetings: the list, planning, invitations and publishing.

The agenda items live in agenda.py, chairing, presence and closing in chair.py, the members'
view in member.py, the PDFs in pdf.py.
"""

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from casustafel import dates
from casustafel.audit_log import record, record_denial
from casustafel.extensions import db
from casustafel.meetings import agenda, chair, groups, member, pdf, preparation, prepare, scheduling, services
from casustafel.meetings.common import (
    CONFLICT,
    active_departments,
    get_meeting_or_404,
    parse_uuid,
    render_detail,
)
from casustafel.meetings.forms import InviteForm, MeetingForm
from casustafel.models import Meeting, MeetingStatus, User
from casustafel.models.roles import Role
from casustafel.models.user import active_with_role
from casustafel.permissions import role_required
from casustafel.web import render_logged
from casustafel.web.locking import commit_or_conflict
from casustafel.web.routes import register_routes
from casustafel.wording import counted

bp = Blueprint("meetings", __name__, url_prefix="/overleggen")
register_routes(bp, agenda, chair, member, pdf, scheduling, groups, prepare)

# --- the list and planning ---------------------------------------------------------------


@bp.route("/")
@role_required(Role.COORDINATOR)
def index():
    meetings = db.session.scalars(select(Meeting).order_by(Meeting.held_at.desc())).all()
    record(current_user, "meeting.listed", object_type="meeting", purpose=services.PURPOSE)
    current = [m for m in meetings if m.status not in (MeetingStatus.GESLOTEN, MeetingStatus.AFGEZEGD)][::-1]
    closed = [m for m in meetings if m.status in (MeetingStatus.GESLOTEN, MeetingStatus.AFGEZEGD)]
    return render_logged("meetings/index.html", current=current, closed=closed)


def _meeting_values(form: MeetingForm) -> dict:
    return {
        "held_at": dates.from_local(datetime.combine(form.held_on.data, form.held_time.data)),
        "kind": form.kind.data,
        "chair_id": parse_uuid(form.chair_id.data),
        "agenda_cutoff": form.agenda_cutoff.data,
        "location": form.location.data,
        "online_link": form.online_link.data,
    }


@bp.route("/nieuw", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def new():
    form = MeetingForm()
    form.fill(active_with_role(Role.COORDINATOR))
    if form.validate_on_submit():
        meeting = services.create_meeting(current_user, **_meeting_values(form))
        db.session.commit()
        carried = len(meeting.items)
        carried_text = counted(carried, "open agendapunt is", "open agendapunten zijn")
        flash("Het overleg is aangemaakt." + (f" {carried_text} overgebracht." if carried else ""), "success")
        return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    if not form.is_submitted():
        form.chair_id.data = str(current_user.id)
    return render_template("meetings/form.html", form=form, meeting=None)


@bp.route("/<uuid:meeting_id>/wijzigen", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def edit(meeting_id):
    meeting = get_meeting_or_404(meeting_id)
    try:
        services.ensure_open(meeting)
    except services.MeetingError as error:
        flash(str(error), "error")
        return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    form = MeetingForm(obj=meeting)
    form.fill(active_with_role(Role.COORDINATOR))
    if not form.is_submitted():
        local = dates.to_local(meeting.held_at)
        form.held_on.data, form.held_time.data = local.date(), local.time().replace(tzinfo=None)
        form.chair_id.data = str(meeting.chair_id) if meeting.chair_id else ""
        form.version.data = str(meeting.version)
    elif form.validate_on_submit():
        if form.version.data == str(meeting.version):
            services.update_meeting(current_user, meeting, **_meeting_values(form))
            if commit_or_conflict():
                flash("De gegevens van het overleg zijn opgeslagen.", "success")
                return redirect(url_for("meetings.detail", meeting_id=meeting.id))
            meeting = get_meeting_or_404(meeting_id)
        form.version.data = str(meeting.version)
        return render_template("meetings/form.html", form=form, meeting=meeting, conflict=CONFLICT), 409
    return render_template("meetings/form.html", form=form, meeting=meeting)


@bp.route("/<uuid:meeting_id>")
@role_required(Role.COORDINATOR)
def detail(meeting_id):
    return render_detail(get_meeting_or_404(meeting_id))


# --- invitations ------------------------------------------------------------------------


@bp.route("/<uuid:meeting_id>/deelnemers", methods=["POST"])
@role_required(Role.COORDINATOR)
def invite(meeting_id):
    meeting = get_meeting_or_404(meeting_id)
    form = InviteForm(prefix="invite")
    form.fill(active_with_role(Role.MEMBER), active_departments())
    if form.validate_on_submit():
        user = db.session.get(User, parse_uuid(form.user_id.data))
        department_id = int(form.department_id.data) if form.department_id.data else None
        before = preparation.open_2a_ids(meeting)
        try:
            services.invite(current_user, meeting, user, department_id)
        except services.MeetingError as error:
            db.session.rollback()
            form.user_id.errors = [*form.user_id.errors, str(error)]
        else:
            note = prepare.late_2a_note(meeting, before)
            db.session.commit()
            flash(f"{user.display_name} is uitgenodigd.{note}", "success")
            return redirect(url_for("meetings.detail", meeting_id=meeting.id, _anchor="deelnemers"))
    return render_detail(meeting, invite_form=form)


@bp.route("/<uuid:meeting_id>/deelnemers/<uuid:user_id>/verwijderen", methods=["POST"])
@role_required(Role.COORDINATOR)
def uninvite(meeting_id, user_id):
    meeting = get_meeting_or_404(meeting_id)
    invitee = next((i for i in meeting.invitees if i.user_id == user_id), None)
    if invitee is None:
        record_denial(current_user, "meeting_invitee", user_id)
        abort(404)
    try:
        services.uninvite(current_user, meeting, invitee)
    except services.MeetingError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("De uitnodiging is ingetrokken.", "success")
    return redirect(url_for("meetings.detail", meeting_id=meeting.id, _anchor="deelnemers"))


# --- publishing (closing is in chair.py) ------------------------------------------------


@bp.route("/<uuid:meeting_id>/publiceren", methods=["POST"])
@role_required(Role.COORDINATOR)
def publish(meeting_id):
    meeting = get_meeting_or_404(meeting_id)
    try:
        services.publish(current_user, meeting)
    except services.MeetingError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("De agenda is gepubliceerd. De deelnemers krijgen een uitnodiging voor hun agenda.", "success")
    return redirect(url_for("meetings.detail", meeting_id=meeting_id))
