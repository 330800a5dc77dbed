"""Chairing a meeting from one screen: the agenda on the left, the current item on the right
(the signal as shared, notes, decision, actions, all recorded in place), previous/next item,
presence at the start, and closing the meeting after a confirmation.

Every form here posts to this module's own endpoints, which lead back to the chair's screen
for the same item: no address is taken from the request.
"""

from flask import flash, redirect, request, url_for
from flask_login import current_user

from casustafel import dates
from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.meetings import confirm, services, visibility
from casustafel.meetings.chair_forms import CONFIRM, CONFIRM_FIELD, CloseForm, field_name, presence_form
from casustafel.meetings.common import (
    active_departments,
    get_item_or_404,
    get_meeting_and_item_or_404,
    get_meeting_or_404,
)
from casustafel.meetings.forms import ActionForm, DecisionForm, NotesForm
from casustafel.models import SHAREABLE_FIELDS, MeetingStatus
from casustafel.models.meeting import HANDOVER_DECISIONS
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.web import render_logged
from casustafel.web.routes import Routes
from casustafel.wording import counted

routes = Routes()


def _to_detail(meeting, message: str):
    flash(message, "error")
    return redirect(url_for("meetings.detail", meeting_id=meeting.id))


def _chair_url(meeting, item, anchor: str | None = None) -> str:
    return url_for("meetings.chair_item", meeting_id=meeting.id, item_id=item.id, _anchor=anchor)


# --- the chair's screen -----------------------------------------------------------------


@routes.route("/<uuid:meeting_id>/voorzitten")
@role_required(Role.COORDINATOR)
def chair(meeting_id):
    """Start at the first item without a decision (or the first item)."""
    meeting = get_meeting_or_404(meeting_id)
    if not meeting.items:
        return _to_detail(meeting, "Er staan nog geen meldingen op de agenda.")
    item = next((i for i in meeting.items if i.decision is None), meeting.items[0])
    return redirect(_chair_url(meeting, item))


def render_chair(meeting, item, *, notes_form=None, decision_form=None, action_form=None, conflict=None,
                 status=200):
    view = visibility.item_view(item, frozenset(SHAREABLE_FIELDS))
    notes_form = notes_form or NotesForm(formdata=None, prefix="notes",
                                         data={"notes": item.notes, "version": str(item.version)})
    decision_form = decision_form or DecisionForm(formdata=None, prefix="decision")
    action_form = action_form or ActionForm(formdata=None, prefix="action")
    action_form.fill(meeting.invitees, active_departments())
    position = meeting.items.index(item)
    previous = meeting.items[position - 1] if position > 0 else None
    following = meeting.items[position + 1] if position + 1 < len(meeting.items) else None
    record(current_user, "agenda_item.viewed", item, subjects=view.subject_ids or None, purpose=services.PURPOSE)
    return render_logged(
        "meetings/chair.html", meeting=meeting, item=item, view=view, position=position + 1,
        previous=previous, following=following, notes_form=notes_form, decision_form=decision_form,
        action_form=action_form, conflict=conflict, actions=services.actions_of(item), today=dates.today(),
        handover=HANDOVER_DECISIONS.get(item.decision),
    ), status


@routes.route("/<uuid:meeting_id>/voorzitten/<uuid:item_id>")
@role_required(Role.COORDINATOR)
def chair_item(meeting_id, item_id):
    meeting = get_meeting_or_404(meeting_id)
    return render_chair(meeting, get_item_or_404(meeting, item_id))


@routes.route("/<uuid:meeting_id>/voorzitten/<uuid:item_id>/aantekeningen", methods=["POST"])
@role_required(Role.COORDINATOR)
def chair_notes(meeting_id, item_id):
    meeting = get_meeting_or_404(meeting_id)
    item = get_item_or_404(meeting, item_id)
    return confirm.notes_step(meeting, item, render=render_chair, done_url=_chair_url(meeting, item, "aantekeningen"),
                              reload=lambda: get_meeting_and_item_or_404(meeting_id, item_id))


@routes.route("/<uuid:meeting_id>/voorzitten/<uuid:item_id>/besluit", methods=["POST"])
@role_required(Role.COORDINATOR)
def chair_decision(meeting_id, item_id):
    """As on the item page: a confirmation page first, then back to this item on the chair's screen."""
    meeting = get_meeting_or_404(meeting_id)
    item = get_item_or_404(meeting, item_id)
    return confirm.decision_step(
        meeting, item, action_url=url_for("meetings.chair_decision", meeting_id=meeting.id, item_id=item.id),
        render_form=lambda form: render_chair(meeting, item, decision_form=form),
        done_url=_chair_url(meeting, item, "besluit"),
    )


@routes.route("/<uuid:meeting_id>/voorzitten/<uuid:item_id>/acties", methods=["POST"])
@role_required(Role.COORDINATOR)
def chair_action(meeting_id, item_id):
    meeting = get_meeting_or_404(meeting_id)
    item = get_item_or_404(meeting, item_id)
    return confirm.action_step(meeting, item, render=render_chair, done_url=_chair_url(meeting, item, "acties"))


# --- presence ---------------------------------------------------------------------------


@routes.route("/<uuid:meeting_id>/aanwezigheid", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def presence(meeting_id):
    """Who is present, with apologies or absent: every invitee in one form."""
    meeting = get_meeting_or_404(meeting_id)
    if meeting.status != MeetingStatus.GEPUBLICEERD:
        return _to_detail(meeting, "Aanwezigheid legt u vast nadat de agenda is gepubliceerd en voordat het "
                                   "overleg is gesloten.")
    invitees = sorted(meeting.invitees, key=lambda i: i.user.display_name)
    form = presence_form(invitees)
    if form.validate_on_submit():
        try:
            services.record_attendance(current_user, meeting, {i.user_id: form[field_name(i)].data for i in invitees})
        except services.MeetingError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash("De aanwezigheid is vastgelegd.", "success")
            return redirect(url_for("meetings.chair", meeting_id=meeting.id))
    record(current_user, "meeting.viewed", meeting, purpose=services.PURPOSE)
    return render_logged("meetings/presence.html", meeting=meeting, form=form,
                         fields=[form[field_name(i)] for i in invitees])


# --- closing, after a confirmation ------------------------------------------------------


def carried_items(meeting) -> list:
    """The items that go to the next meeting when this one closes."""
    return [i for i in meeting.items if i.decision is None or i.decision == services.CARRY_OVER]


@routes.route("/<uuid:meeting_id>/sluiten", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def close(meeting_id):
    """GET says what closing does; only the page's confirm button closes. Before the meeting's
    date only with the override ticked and a reason."""
    meeting = get_meeting_or_404(meeting_id)
    if meeting.status != MeetingStatus.GEPUBLICEERD:
        return _to_detail(meeting, "Alleen een overleg met een gepubliceerde agenda kan worden gesloten.")
    today = dates.today()
    form = CloseForm()
    if request.form.get(CONFIRM_FIELD) == CONFIRM and form.validate_on_submit():
        reason = form.override_reason.data if form.override.data else None
        try:
            moved = services.close(current_user, meeting, today=today, override_reason=reason)
        except services.MeetingError as error:
            db.session.rollback()
            form.override.errors = [*form.override.errors, str(error)]
        else:
            db.session.commit()
            moved_text = counted(moved, "open agendapunt staat", "open agendapunten staan")
            flash("Het overleg is gesloten. Deelnemers zien de agenda niet meer."
                  + (f" {moved_text} op het volgende overleg." if moved else ""), "success")
            return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    record(current_user, "meeting.viewed", meeting, purpose=services.PURPOSE)
    return render_logged(
        "meetings/close.html", meeting=meeting, form=form, early=services.close_too_early(meeting, today),
        carried=carried_items(meeting), next_meeting=services.next_concept_meeting(exclude=meeting),
    )
