"""Informing the subjects of a signal (art. 14 AVG) or a reasoned deferral (art. 41 UAVG) with a
review date, and the daily reminder when that date has come. The caller commits."""

from datetime import date

from sqlalchemy import or_, select

from casustafel.audit_log import record
from casustafel.dates import day_start_utc, utcnow
from casustafel.extensions import db
from casustafel.forms import checked_text
from casustafel.models import INFORMING_OUTCOMES, InformingDecision, InformingOutcome, Signal, Subject
from casustafel.models.rights import RESTRICTION_GROUNDS
from casustafel.models.roles import Role
from casustafel.models.user import active_with_role
from casustafel.notifications import notify

PURPOSE = "casustafel"
REVIEW_SUBJECT = "Herbeoordeling in casustafel"
REVIEW_BODY = "Er staat een herbeoordeling voor u klaar in casustafel"


class InformingError(ValueError):
    """A refused informing decision, with a Dutch message for the user."""


def record_informing(actor, signal: Signal, *, subject_id, outcome: str | None, informed_on: date | None,
                     ground: str | None, reason: str | None, review_on: date | None,
                     today: date) -> InformingDecision:
    """Record that a subject (or every subject: subject_id None) was informed, or why informing is
    deferred, on which art. 41 UAVG ground and until when it is looked at again."""
    if signal.destroyed_at is not None:
        raise InformingError("De inhoud van deze melding is vernietigd.")
    subject = None
    if subject_id is not None:
        subject = db.session.get(Subject, subject_id)
        if subject is None or subject.signal_id != signal.id:
            raise InformingError("Kies een betrokkene van deze melding.")
    if outcome not in INFORMING_OUTCOMES:
        raise InformingError("Kies of de betrokkene is geïnformeerd of dat informeren wordt uitgesteld.")
    decision = InformingDecision(signal_id=signal.id, subject_id=getattr(subject, "id", None), outcome=outcome,
                                 decided_by_id=getattr(actor, "id", None), decided_at=utcnow())
    if outcome == InformingOutcome.INFORMED:
        if informed_on is None or informed_on > today:
            raise InformingError("Vul de datum in waarop de betrokkene is geïnformeerd (niet in de toekomst).")
        decision.informed_on = informed_on
        decision.reason = checked_text(reason, InformingError)
    else:
        if ground not in RESTRICTION_GROUNDS:
            raise InformingError("Kies de grond voor het uitstel (art. 41 lid 1 UAVG).")
        decision.ground = ground
        decision.reason = checked_text(reason, InformingError,
                                       missing="Licht toe waarom informeren nu de aanpak of anderen zou schaden.")
        if review_on is None or review_on <= today:
            raise InformingError("Kies een herbeoordelingsdatum na vandaag.")
        decision.review_on = review_on
    db.session.add(decision)
    db.session.flush()
    record(actor, "informing.recorded", signal, purpose="casustafel", reason_code=outcome,
           subjects=[str(subject.id)] if subject else [str(s.id) for s in signal.subjects] or None)
    return decision


def informing_of(signal: Signal) -> dict:
    """subject id (None: the whole signal) → the latest decision."""
    latest: dict = {}
    for decision in db.session.scalars(select(InformingDecision).where(InformingDecision.signal_id == signal.id)
                                       .order_by(InformingDecision.decided_at)):
        latest[decision.subject_id] = decision
    return latest


def deferrals_to_review(today: date) -> list[InformingDecision]:
    """Deferrals whose review date has come, still the latest for their subject, not reminded today."""
    rows = db.session.scalars(select(InformingDecision).join(Signal, Signal.id == InformingDecision.signal_id).where(
        InformingDecision.outcome == InformingOutcome.DEFERRED, InformingDecision.review_on <= today,
        Signal.destroyed_at.is_(None),
        or_(InformingDecision.last_reminded_at.is_(None), InformingDecision.last_reminded_at < day_start_utc(today)),
    ).order_by(InformingDecision.review_on))
    due = []
    for decision in rows:
        newer = db.session.scalar(select(InformingDecision.id).where(
            InformingDecision.signal_id == decision.signal_id,
            (InformingDecision.subject_id == decision.subject_id) if decision.subject_id is not None
            else InformingDecision.subject_id.is_(None),
            InformingDecision.decided_at > decision.decided_at).limit(1))
        if newer is None:
            due.append(decision)
    return due


def remind_deferrals(actor, today: date) -> tuple[int, int]:
    """Tell the coordinators (without content) that a deferral's review date has come; return
    (deferrals due, messages queued). At most once a day per deferral."""
    due = deferrals_to_review(today)
    messages = 0
    if due:
        for user in active_with_role(Role.COORDINATOR):
            notify(user, REVIEW_SUBJECT, REVIEW_BODY)
            messages += 1
    for decision in due:
        decision.last_reminded_at = utcnow()
        record(actor, "informing.review_due", object_type="signal", object_id=decision.signal_id,
               purpose="casustafel", reason_code="uitgesteld")
    return len(due), messages
