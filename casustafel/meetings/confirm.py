"""The steps on an agenda item shared by the item page and the chair's screen: notes, actions,
and a decision with its confirmation page. Each view passes how to show its own page again
(`render(meeting, item, **forms)`) and where to go after saving.

A posted decision form first shows what will happen (the decision, the signal's status change,
the rationale as typed) with the input in hidden fields; only the confirmation page's button
(bevestigen=ja) records it. "Terug" shows the form again with the input kept.
"""

from flask import flash, redirect, render_template, request
from flask_login import current_user

from casustafel.extensions import db
from casustafel.meetings import services
from casustafel.meetings.chair_forms import CONFIRM, CONFIRM_FIELD
from casustafel.meetings.common import CONFLICT, active_departments, parse_uuid
from casustafel.meetings.forms import ActionForm, DecisionForm, NotesForm
from casustafel.models import DECISIONS, STATUSES, MeetingStatus
from casustafel.models.meeting import HANDOVER_DECISIONS
from casustafel.signals.workflow import CLOSED, TransitionError
from casustafel.web.locking import commit_or_conflict, conflict_message

REFUSED = (services.MeetingError, TransitionError)
BACK_FIELD = "terug"


def decision_effect(item, decision: str) -> str:
    """What the decision does to the item's signal, in a sentence."""
    reference = item.signal.reference
    outcome, _ = services.DECISION_OUTCOMES.get(decision, (None, None))
    if outcome == CLOSED:
        return f"De melding {reference} wordt afgesloten (besproken, geen actie)."
    if outcome is not None:
        return f"De melding {reference} krijgt de status ‘{STATUSES[outcome].lower()}’."
    if decision in HANDOVER_DECISIONS:
        return (f"De melding {reference} krijgt de status ‘besproken’. Daarna legt u de overdracht vast; "
                "na het versturen (met privacytoets 2B) is de melding doorgezet.")
    if decision == services.CARRY_OVER:
        return (f"De melding {reference} krijgt de status ‘besproken’ en gaat bij het sluiten van dit overleg "
                "naar het volgende overleg.")
    return f"De melding {reference} krijgt de status ‘besproken’."


def decision_step(meeting, item, *, action_url: str, render_form, done_url: str):
    """Handle a posted decision form. `render_form(form)` shows the page with the form (errors,
    or the input kept after "Terug"); after recording, redirect to `done_url`."""
    form = DecisionForm(prefix="decision")
    if not form.validate_on_submit() or BACK_FIELD in request.form:
        return render_form(form)
    # What cannot be recorded (not published, closed, decided already) needs no confirmation:
    # the service below refuses it with its message.
    confirmable = meeting.status == MeetingStatus.GEPUBLICEERD and item.decision is None
    if confirmable and request.form.get(CONFIRM_FIELD) != CONFIRM:
        return render_template(
            "meetings/confirm_decision.html", meeting=meeting, item=item, form=form, action_url=action_url,
            decision_label=DECISIONS.get(form.decision.data, form.decision.data),
            effect=decision_effect(item, form.decision.data),
        )
    try:
        services.record_decision(current_user, item, form.decision.data, form.rationale.data)
    except REFUSED as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return render_form(form)
    if not commit_or_conflict():
        form.form_errors.append(conflict_message("dit"))
        return render_form(form)
    then = (" Leg nu de overdracht vast; na het versturen is de melding doorgezet."
            if item.decision in HANDOVER_DECISIONS else "")
    flash(f"Het besluit is vastgelegd. Melding {item.signal.reference} heeft nu de status "
          f"‘{item.signal.status_label.lower()}’.{then}", "success")
    return redirect(done_url)


def notes_step(meeting, item, *, render, done_url: str, reload):
    """Save the posted notes; on a conflict keep what was typed and show theirs (`reload()`
    gives the meeting and item as now stored), so the next save wins."""
    form = NotesForm(prefix="notes")
    if not form.validate_on_submit():
        return render(meeting, item, notes_form=form)
    if form.version.data == str(item.version):
        try:
            services.record_notes(current_user, item, form.notes.data)
        except services.MeetingError as error:
            db.session.rollback()
            form.notes.errors = [*form.notes.errors, str(error)]
            return render(meeting, item, notes_form=form)
        if commit_or_conflict():
            flash("De aantekeningen zijn opgeslagen.", "success")
            return redirect(done_url)
        meeting, item = reload()
    form.version.data = str(item.version)
    return render(meeting, item, notes_form=form, conflict=CONFLICT, status=409)


def action_step(meeting, item, *, render, done_url: str):
    """Create the posted action for an invited member or a department."""
    form = ActionForm(prefix="action")
    form.fill(meeting.invitees, active_departments())
    if form.validate_on_submit():
        try:
            services.add_action(
                current_user, item, type=form.type.data, deadline=form.deadline.data,
                owner_id=parse_uuid(form.owner_id.data) if form.owner_id.data else None,
                owner_department_id=int(form.owner_department_id.data) if form.owner_department_id.data else None,
                description=form.description.data,
            )
        except services.MeetingError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash("De actie is vastgelegd. De eigenaar krijgt een bericht zonder inhoud.", "success")
            return redirect(done_url)
    return render(meeting, item, action_form=form)
