"""Agenda items, for the coordinator: adding signals, and per item the notes, the decision and
the actions. Members see items only through member.py."""


from flask import flash, redirect, url_for
from flask_login import current_user

from casustafel import dates
from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.meetings import confirm, prepare_services, services, visibility
from casustafel.meetings.common import (
    active_departments,
    get_item_or_404,
    get_meeting_and_item_or_404,
    get_meeting_or_404,
    parse_uuid,
    render_detail,
)
from casustafel.meetings.forms import ActionForm, AddItemForm, DecisionForm, NotesForm
from casustafel.models import SHAREABLE_FIELDS, Signal
from casustafel.models.meeting import HANDOVER_DECISIONS
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.signals.workflow import TransitionError
from casustafel.web import render_logged
from casustafel.web.routes import Routes
from casustafel.wording import counted

routes = Routes()

REFUSED = (services.MeetingError, TransitionError)
STALE_CHOICE = "Een gekozen melding bestaat niet (meer). Open de pagina opnieuw en kies opnieuw."


@routes.route("/<uuid:meeting_id>/agendapunten", methods=["POST"])
@role_required(Role.COORDINATOR)
def add_item(meeting_id):
    """Put every ticked signal on the agenda, all or nothing."""
    meeting = get_meeting_or_404(meeting_id)
    form = AddItemForm(prefix="item")
    if form.validate_on_submit():
        ids = list(dict.fromkeys(parse_uuid(value) for value in form.signal_id.data))
        signals = [db.session.get(Signal, signal_id) if signal_id else None for signal_id in ids]
        if any(signal is None for signal in signals):
            form.signal_id.errors = [*form.signal_id.errors, STALE_CHOICE]
            return render_detail(meeting, item_form=form)
        try:
            prepare_services.add_items(current_user, meeting, signals, dates.today())
        except services.MeetingError as error:
            db.session.rollback()
            form.signal_id.errors = [*form.signal_id.errors, str(error)]
        else:
            db.session.commit()
            added = (f"Melding {signals[0].reference} staat" if len(signals) == 1
                     else f"{counted(len(signals), 'melding', 'meldingen')} staan")
            flash(f"{added} op de agenda. Privacytoets 2A is aangevraagd.", "success")
            return redirect(url_for("meetings.detail", meeting_id=meeting.id, _anchor="agenda"))
    return render_detail(meeting, item_form=form)


def render_item(meeting, item, *, notes_form=None, decision_form=None, action_form=None, conflict=None,
                status=200):
    """The coordinator's page of one item: the signal as shared, notes, decision, actions."""
    view = visibility.item_view(item, frozenset(SHAREABLE_FIELDS))
    notes_form = notes_form or NotesForm(formdata=None, prefix="notes",
                                         data={"notes": item.notes, "version": str(item.version)})
    decision_form = decision_form or DecisionForm(formdata=None, prefix="decision")
    action_form = action_form or ActionForm(formdata=None, prefix="action")
    action_form.fill(meeting.invitees, active_departments())
    record(current_user, "agenda_item.viewed", item, subjects=view.subject_ids or None, purpose=services.PURPOSE)
    return render_logged(
        "meetings/item.html", meeting=meeting, item=item, view=view, notes_form=notes_form,
        decision_form=decision_form, action_form=action_form, conflict=conflict,
        actions=services.actions_of(item), check=services.privacy_check_2a(item), today=dates.today(),
        shareable=SHAREABLE_FIELDS, handover=HANDOVER_DECISIONS.get(item.decision),
    ), status


@routes.route("/<uuid:meeting_id>/agendapunten/<uuid:item_id>")
@role_required(Role.COORDINATOR)
def item(meeting_id, item_id):
    meeting = get_meeting_or_404(meeting_id)
    return render_item(meeting, get_item_or_404(meeting, item_id))


@routes.route("/<uuid:meeting_id>/agendapunten/<uuid:item_id>/aantekeningen", methods=["POST"])
@role_required(Role.COORDINATOR)
def item_notes(meeting_id, item_id):
    meeting = get_meeting_or_404(meeting_id)
    item = get_item_or_404(meeting, item_id)
    return confirm.notes_step(
        meeting, item, render=render_item, done_url=url_for("meetings.item", meeting_id=meeting.id, item_id=item.id),
        reload=lambda: get_meeting_and_item_or_404(meeting_id, item_id),
    )


@routes.route("/<uuid:meeting_id>/agendapunten/<uuid:item_id>/besluit", methods=["POST"])
@role_required(Role.COORDINATOR)
def item_decision(meeting_id, item_id):
    """The decision form shows a confirmation page first; only its button records the decision."""
    meeting = get_meeting_or_404(meeting_id)
    item = get_item_or_404(meeting, item_id)
    return confirm.decision_step(
        meeting, item, action_url=url_for("meetings.item_decision", meeting_id=meeting.id, item_id=item.id),
        render_form=lambda form: render_item(meeting, item, decision_form=form),
        done_url=url_for("meetings.item", meeting_id=meeting.id, item_id=item.id),
    )


@routes.route("/<uuid:meeting_id>/agendapunten/<uuid:item_id>/acties", methods=["POST"])
@role_required(Role.COORDINATOR)
def item_action(meeting_id, item_id):
    meeting = get_meeting_or_404(meeting_id)
    item = get_item_or_404(meeting, item_id)
    return confirm.action_step(meeting, item, render=render_item, done_url=url_for(
        "meetings.item", meeting_id=meeting.id, item_id=item.id, _anchor="acties"))
