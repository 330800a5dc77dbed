"""Weighings and source checks (CCV weging 1–4, bronnenonderzoek). Services: they take the
actor and never commit."""

from datetime import date

from casustafel import dates
from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.models import Assessment, PrivacyCheck, SourceQuery
from casustafel.privacy.services import latest_decision
from casustafel.signals.assessment_forms import (
    KIND_LABELS,
    NEED_DATE,
    NO_BLOCKS,
    NO_DATE,
    OUTCOMES,
    WEIGHING_STATUSES,
    no_blocks_message,
)
from casustafel.signals.workflow import CLOSED, TransitionError, transition


class SourceQueryError(ValueError):
    """A refused source check, with a Dutch message for the user."""


def record_assessment(actor, signal, kind: str, *, answers: dict[str, bool], outcome: str,
                      rationale: str, closing_reason: str | None = None) -> Assessment:
    """Record a weighing and move the signal on. A 'no' at intake or weging 4 leaves only closing."""
    step = OUTCOMES[kind][outcome]
    if kind in NO_BLOCKS and step.to_status != CLOSED and not all(answers.values()):
        raise TransitionError(no_blocks_message(kind))
    if signal.status not in WEIGHING_STATUSES[kind]:
        raise TransitionError(f"Een {KIND_LABELS[kind].lower()} past niet bij de status ‘{signal.status_label}’.")
    if signal.status == "ingediend":
        transition(actor, signal, "intake")
    assessment = Assessment(signal_id=signal.id, kind=kind, answers=answers, outcome=outcome,
                            assessed_by_id=actor.id)
    assessment.rationale = rationale.strip()
    db.session.add(assessment)
    db.session.flush()
    if step.to_status != signal.status:  # weging 4 towards the casustafel keeps the status
        transition(actor, signal, step.to_status,
                   reason_code=(step.reason_code or closing_reason) if step.to_status == CLOSED else None)
    record(actor, "assessment.recorded", assessment, purpose="casustafel", reason_code=outcome)
    return assessment


def approved_check_1(signal) -> PrivacyCheck | None:
    """The latest decided privacy check 1, if it approved consulting sources."""
    check = latest_decision(signal, "1")
    return check if check is not None and check.approved else None


def record_source_query(actor, signal, *, register: str, hit: bool, summary: str | None,
                        information_date: date | None = None) -> SourceQuery:
    """Log a hit / no hit in a register privacy check 1 allowed; content only where it allowed
    content; a hit says of when the information found is."""
    check = approved_check_1(signal)
    if signal.status != "bronnenonderzoek":
        raise SourceQueryError("Bronnen raadplegen kan alleen als de melding in het bronnenonderzoek is.")
    if check is None:
        raise SourceQueryError("Er is nog geen goedgekeurde privacytoets 1 voor deze melding.")
    if register not in (check.allowed_registers or []):
        raise SourceQueryError("Deze bron is in de privacytoets niet toegestaan.")
    summary = (summary or "").strip() or None
    if summary and register not in (check.content_registers or []):
        raise SourceQueryError("Voor deze bron is alleen hit / no hit toegestaan.")
    if hit and information_date is None:
        raise SourceQueryError(NEED_DATE)
    if not hit and information_date is not None:
        raise SourceQueryError(NO_DATE)
    if information_date is not None and information_date > dates.today():
        raise SourceQueryError("De datum van de gevonden informatie ligt in de toekomst.")
    query = SourceQuery(signal_id=signal.id, privacy_check_id=check.id, register=register, hit=hit,
                        information_date=information_date, queried_by_id=actor.id)
    query.summary = summary
    db.session.add(query)
    db.session.flush()
    record(actor, "source_query.recorded", query, purpose="casustafel", reason_code=register)
    return query
