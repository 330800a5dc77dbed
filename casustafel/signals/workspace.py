"""The coordinator's workspace for one signal: its content, linked signals and history, and
the actions on it: status changes, legal hold, a question to the reporter, feedback, its
owner (regisseur) and internal notes.

Every change form carries the signal's version: a form from before someone else's change
gets a conflict message and changes nothing.
"""


from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from casustafel import dates
from casustafel.audit_log import record
from casustafel.bibob.services import count_of as bibob_count_of
from casustafel.extensions import db
from casustafel.forms import show_error
from casustafel.models import (
    LEGAL_HOLD_REASONS,
    STATUSES,
    Action,
    AgendaItem,
    CheckStatus,
    Meeting,
    MeetingStatus,
    PrivacyCheck,
    Signal,
    SignalEvent,
)
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.settings import reporter_summary_required
from casustafel.signals import assignment_services as assignment
from casustafel.signals import services
from casustafel.signals.case_link_forms import CaseLinkForm
from casustafel.signals.case_link_services import case_links_of, record_links_viewed
from casustafel.signals.common import get_signal_or_404, waiting_since, waits_too_long
from casustafel.signals.linked import find_linked, record_linked_viewed
from casustafel.signals.plan_services import start_monitoring
from casustafel.signals.workflow import (
    CLOSED,
    CLOSING_REASONS,
    OFF_AGENDA,
    QUESTION,
    TransitionError,
    transition,
)
from casustafel.signals.workspace_forms import (
    FeedbackForm,
    LegalHoldForm,
    NoteForm,
    OwnerForm,
    QuestionForm,
    StatusForm,
    SummaryForm,
)
from casustafel.web import locking
from casustafel.web.routes import Routes

routes = Routes()

REASON_LABELS = {
    **{code: label for code, (label, _) in CLOSING_REASONS.items()},
    "heropend": "Heropend",
    "migratie": "Overgenomen uit het bestaande register",
    "aanvullende_vraag": "Aanvullende vraag aan de melder",
    "aanvulling_ontvangen": "Antwoord van de melder ontvangen",
    "vraag_ingetrokken": "Vraag aan de melder ingetrokken",
    OFF_AGENDA: "Van de agenda gehaald",
}
CONFLICT = locking.conflict_message("deze melding")


# Views -----------------------------------------------------------------------------------------


def meeting_of(signal: Signal) -> Meeting | None:
    """The meeting the signal is on that is not closed yet (the soonest), else the last closed
    one it was discussed at, else None."""
    on_agenda = select(Meeting).join(AgendaItem, AgendaItem.meeting_id == Meeting.id).where(
        AgendaItem.signal_id == signal.id)
    coming = db.session.scalars(
        on_agenda.where(Meeting.status != MeetingStatus.GESLOTEN).order_by(Meeting.held_at).limit(1))
    return coming.first() or db.session.scalars(on_agenda.order_by(Meeting.held_at.desc()).limit(1)).first()


def open_checks_of(signal: Signal) -> list[PrivacyCheck]:
    return list(db.session.scalars(
        select(PrivacyCheck).where(PrivacyCheck.signal_id == signal.id, PrivacyCheck.status == CheckStatus.OPEN)
        .order_by(PrivacyCheck.requested_at)
    ))


def render_workspace(signal: Signal, code: int = 200, conflict: str | None = None, **forms):
    """Show the workspace (logging the read of the signal and its linked signals) and commit.

    A form passed in was sent by the coordinator (with errors, or refused on a conflict): its
    section opens, so what they typed is in view; every other form waits behind its summary."""
    opened = set(forms)
    forms = {
        "status_form": StatusForm(signal, formdata=None),
        "hold_form": LegalHoldForm(signal, formdata=None),
        "question_form": QuestionForm(signal, formdata=None),
        "feedback_form": FeedbackForm(signal, formdata=None),
        "summary_form": SummaryForm(signal, formdata=None),
        "owner_form": OwnerForm(signal, assignment.coordinators(), formdata=None),
        "note_form": NoteForm(formdata=None),
        **forms,
    }
    events = db.session.scalars(
        select(SignalEvent).options(joinedload(SignalEvent.actor))
        .where(SignalEvent.signal_id == signal.id).order_by(SignalEvent.occurred_at)
    ).all()
    linked = find_linked(signal)
    actions = db.session.scalars(
        select(Action).options(joinedload(Action.owner), joinedload(Action.owner_department))
        .where(Action.signal_id == signal.id).order_by(Action.deadline)
    ).all()
    case_links = case_links_of(signal)
    page = render_template(
        "signals/detail.html", signal=signal, events=events, linked=linked, conflict=conflict, actions=actions,
        today=dates.today(), case_links=case_links, link_form=CaseLinkForm(formdata=None),
        bibob_count=bibob_count_of(signal), notes=assignment.notes_of(signal),
        reason_labels=REASON_LABELS, legal_hold_reasons=LEGAL_HOLD_REASONS, statuses=STATUSES,
        waits_too_long=waits_too_long(signal, waiting_since()), reporter_summary_required=reporter_summary_required(),
        opened=opened, meeting=meeting_of(signal), open_checks=open_checks_of(signal),
        **forms,
    )
    # Logged after rendering (nothing is reloaded after the commit); the page leaves only
    # once the events are stored.
    record(current_user, "signal.viewed", signal, subjects=[str(s.id) for s in signal.subjects],
           purpose="casustafel")
    record_linked_viewed(current_user, linked)
    record_links_viewed(current_user, case_links)
    db.session.commit()
    return page, code


def _conflict(signal: Signal, **forms):
    # The refused attempt is logged too (R5: both attempts are audited); it changed nothing.
    record(current_user, "signal.change_refused", signal, result="failed", reason_code="conflict",
           purpose="casustafel")
    return render_workspace(signal, 409, conflict=CONFLICT, **forms)


@routes.route("/meldingen/<uuid:signal_id>")
@role_required(Role.COORDINATOR)
def detail(signal_id):
    return render_workspace(get_signal_or_404(signal_id))


@routes.route("/meldingen/<uuid:signal_id>/status", methods=["POST"])
@role_required(Role.COORDINATOR)
def change_status(signal_id):
    signal = get_signal_or_404(signal_id)
    form = StatusForm(signal)
    if form.is_stale(signal):
        return _conflict(signal, status_form=StatusForm(signal, formdata=None))
    if form.validate_on_submit():
        to_status = form.to_status.data
        reason_code = None
        if to_status == CLOSED:
            reason_code = form.closing_reason.data
        elif signal.status == QUESTION:
            reason_code = "vraag_ingetrokken"
        try:
            if to_status == "monitoring" and signal.status == "in_aanpak":  # step 4: monitoring has an end
                start_monitoring(current_user, signal, form.monitoring_until.data, reason=form.reason.data or None)
            else:
                transition(current_user, signal, to_status, reason_code=reason_code, reason=form.reason.data or None)
        except TransitionError as error:
            db.session.rollback()
            form.to_status.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"De status is gewijzigd in ‘{STATUSES[to_status]}’.", "success")
            return redirect(url_for("signals.detail", signal_id=signal.id))
    return render_workspace(signal, status_form=form)


@routes.route("/meldingen/<uuid:signal_id>/legal-hold", methods=["POST"])
@role_required(Role.COORDINATOR)
def legal_hold(signal_id):
    signal = get_signal_or_404(signal_id)
    form = LegalHoldForm(signal)
    if form.is_stale(signal):
        return _conflict(signal)
    if not form.validate_on_submit():
        return render_workspace(signal, hold_form=form)
    if signal.legal_hold:
        services.release_legal_hold(current_user, signal)
        message = "De legal hold is opgeheven; de bewaartermijnen lopen weer."
    else:
        services.set_legal_hold(current_user, signal, form.reason.data)
        message = "Legal hold ingesteld: de bewaartermijnen van deze melding staan stil."
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("signals.detail", signal_id=signal.id))


@routes.route("/meldingen/<uuid:signal_id>/vraag", methods=["POST"])
@role_required(Role.COORDINATOR)
def ask(signal_id):
    signal = get_signal_or_404(signal_id)
    form = QuestionForm(signal)
    if form.is_stale(signal):
        return _conflict(signal, question_form=QuestionForm(signal, formdata=None, question=form.question.data))
    if form.validate_on_submit():
        try:
            services.ask_question(current_user, signal, form.question.data)
        except TransitionError as error:
            db.session.rollback()
            form.question.errors.append(str(error))
        else:
            db.session.commit()
            flash("Uw vraag is naar de melder gestuurd. De melding wacht op het antwoord.", "success")
            return redirect(url_for("signals.detail", signal_id=signal.id))
    return render_workspace(signal, question_form=form)


@routes.route("/meldingen/<uuid:signal_id>/samenvatting", methods=["POST"])
@role_required(Role.COORDINATOR)
def summary(signal_id):
    signal = get_signal_or_404(signal_id)
    form = SummaryForm(signal)
    if form.is_stale(signal):
        return _conflict(signal, summary_form=SummaryForm(signal, formdata=None, summary=form.summary.data))
    if not form.validate_on_submit():
        return render_workspace(signal, summary_form=form)
    try:
        services.record_summary(current_user, signal, form.summary.data)
    except services.SummaryError as error:
        db.session.rollback()
        form.summary.errors = [*form.summary.errors, str(error)]
        return render_workspace(signal, summary_form=form)
    db.session.commit()
    flash("De geanonimiseerde samenvatting is opgeslagen. Deelnemers en verstrekkingen krijgen deze tekst.", "success")
    return redirect(url_for("signals.detail", signal_id=signal.id) + "#samenvatting")


@routes.route("/meldingen/<uuid:signal_id>/terugkoppeling", methods=["POST"])
@role_required(Role.COORDINATOR)
def feedback(signal_id):
    signal = get_signal_or_404(signal_id)
    form = FeedbackForm(signal)
    if not form.validate_on_submit():
        return render_workspace(signal, feedback_form=form)
    services.send_feedback(current_user, signal, form.code.data)
    db.session.commit()
    flash("Het bericht is naar de melder gestuurd.", "success")
    return redirect(url_for("signals.detail", signal_id=signal.id))


@routes.route("/meldingen/<uuid:signal_id>/regisseur", methods=["POST"])
@role_required(Role.COORDINATOR)
def owner(signal_id):
    signal = get_signal_or_404(signal_id)
    form = OwnerForm(signal, assignment.coordinators())
    if form.is_stale(signal):
        return _conflict(signal, owner_form=OwnerForm(signal, assignment.coordinators(), formdata=None,
                                                      owner=form.owner.data))
    if not form.validate_on_submit():
        return render_workspace(signal, owner_form=form)
    try:
        changed = assignment.set_owner(current_user, signal, form.owner.data or None)
    except assignment.AssignmentError as error:
        db.session.rollback()
        show_error(form, error)
        return render_workspace(signal, owner_form=form)
    if not locking.commit_or_conflict():  # someone else saved the signal in the same moment
        return _conflict(signal, owner_form=OwnerForm(signal, assignment.coordinators(), formdata=None,
                                                      owner=form.owner.data))
    if changed:
        flash(f"{signal.owner.display_name} is nu regisseur van deze melding." if signal.owner
              else "Deze melding heeft nu geen regisseur.", "success")
    return redirect(url_for("signals.detail", signal_id=signal.id) + "#regisseur")


@routes.route("/meldingen/<uuid:signal_id>/notities", methods=["POST"])
@role_required(Role.COORDINATOR)
def add_note(signal_id):
    signal = get_signal_or_404(signal_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return render_workspace(signal, note_form=form)
    try:
        assignment.add_note(current_user, signal, form.text.data)
    except assignment.NoteError as error:
        db.session.rollback()
        show_error(form, error)
        return render_workspace(signal, note_form=form)
    db.session.commit()
    flash("De notitie is toegevoegd.", "success")
    return redirect(url_for("signals.detail", signal_id=signal.id) + "#notities")
