"""Recording a decision, with its confirmation page: shared by the item page and the chair's screen.

A posted decision form first shows what will happen (the decision, the signal's status change,
the rationale as typed) with the input in hidden fields; only the confirmation page's button
(bevestigen=ja) records it. "Terug" shows the form again with the input kept.
"""

from flask import flash, redirect, render_template, request
from flask_login import current_user

from casustafel.extensions import db
from casustafel.meetings import services
from casustafel.meetings.chair_forms import CONFIRM, CONFIRM_FIELD
from casustafel.meetings.forms import DecisionForm
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
