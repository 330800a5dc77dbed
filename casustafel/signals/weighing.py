"""Weighings and source checks (CCV weging 1–4, bronnenonderzoek). Services: they take the
actor and never commit."""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from casustafel import dates
from casustafel.audit_log import record
from casustafel.dates import local_time, short_date
from casustafel.extensions import db
from casustafel.models import (
    SHAREABLE_FIELDS,
    STATUSES,
    AgendaItem,
    Assessment,
    CasePlan,
    CheckStatus,
    Department,
    MonitoringPeriod,
    Power,
    PrivacyCheck,
    Referral,
    SignalEvent,
    SourceQuery,
    User,
    answered_criteria,
)
from casustafel.models.meeting import HANDOVER_DECISIONS
from casustafel.models.registers import register_labels
from casustafel.privacy.services import latest_decision
from casustafel.processing import refuse_if_restricted
from casustafel.signals.assessment_forms import (
    KIND_LABELS,
    NEED_DATE,
    NEED_POWER,
    NEED_REFERRED_TO,
    NO_BLOCKS,
    NO_DATE,
    OUTCOMES,
    WEIGHING_STATUSES,
    no_blocks_message,
    outcome_label,
)
from casustafel.signals.workflow import CLOSED, TransitionError, transition


class SourceQueryError(ValueError):
    """A refused source check, with a Dutch message for the user."""


def record_assessment(actor, signal, kind: str, *, answers: dict[str, bool], outcome: str,
                      rationale: str, closing_reason: str | None = None, power: Power | None = None,
                      referred_to: str | None = None) -> Assessment:
    """Record a weighing and move the signal on. A 'no' at intake or weging 4 leaves only closing.

    Weging 2 names the municipal task or power the signal concerns (`power`, and so the
    competent body), or, for a signal outside the municipality's tasks, to whom it was referred.
    """
    refuse_if_restricted(signal, TransitionError)
    step = OUTCOMES[kind][outcome]
    if kind in NO_BLOCKS and step.to_status != CLOSED and not all(answers.values()):
        raise TransitionError(no_blocks_message(kind))
    if kind == "intake" and outcome == "verder_naar_weging" and (power is None or not power.active):
        raise TransitionError(NEED_POWER)
    if outcome == "doorverwijzen" and not (referred_to or "").strip():
        raise TransitionError(NEED_REFERRED_TO)
    if signal.status not in WEIGHING_STATUSES[kind]:
        raise TransitionError(f"Een {KIND_LABELS[kind].lower()} past niet bij de status ‘{signal.status_label}’.")
    if signal.status == "ingediend":
        transition(actor, signal, "intake")
    assessment = Assessment(signal_id=signal.id, kind=kind, answers=answers, outcome=outcome,
                            assessed_by_id=actor.id, power_id=power.id if kind == "intake" and power else None)
    assessment.rationale = rationale.strip()
    assessment.referred_to = (referred_to or "").strip() or None if outcome == "doorverwijzen" else None
    db.session.add(assessment)
    db.session.flush()
    if step.to_status != signal.status:  # weging 4 towards the casustafel keeps the status
        transition(actor, signal, step.to_status,
                   reason_code=(step.reason_code or closing_reason) if step.to_status == CLOSED else None)
    record(actor, "assessment.recorded", assessment, purpose="casustafel", reason_code=outcome)
    return assessment


# The weighing whose outcome may hand over a signal in each status.
HANDOVER_WEIGHINGS = {"weging": "weging", "bronnenonderzoek": "vervolgstap"}


def decided_handover(signal) -> str | None:
    """The handover the latest decision on the signal chose (the referral form's kind: riec,
    intern, politie, zvh), while the signal waits for it; else None. In weging or
    bronnenonderzoek: weging 3 or 4; when besproken: the casustafel's decision."""
    if signal.status in HANDOVER_WEIGHINGS:
        latest = db.session.scalar(select(Assessment).where(Assessment.signal_id == signal.id)
                                   .order_by(Assessment.assessed_at.desc()).limit(1))
        if latest is None or latest.kind != HANDOVER_WEIGHINGS[signal.status]:
            return None
        outcome = OUTCOMES[latest.kind].get(latest.outcome)
        return outcome.handover if outcome else None
    if signal.status == "besproken":
        item = db.session.scalar(select(AgendaItem).where(AgendaItem.signal_id == signal.id,
                                                          AgendaItem.decided_at.is_not(None))
                                 .order_by(AgendaItem.decided_at.desc()).limit(1))
        return HANDOVER_DECISIONS.get(item.decision) if item is not None else None
    return None


def approved_check_1(signal) -> PrivacyCheck | None:
    """The latest decided privacy check 1, if it approved consulting sources."""
    check = latest_decision(signal, "1")
    return check if check is not None and check.approved else None


def record_source_query(actor, signal, *, register: str, hit: bool, summary: str | None,
                        information_date: date | None = None) -> SourceQuery:
    """Log a hit / no hit in a register privacy check 1 allowed; content only where it allowed
    content; a hit says of when the information found is."""
    refuse_if_restricted(signal, SourceQueryError)
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


# --- the weighing record (wegingsverslag) ----------------------------------------------------


@dataclass
class Step:
    """One step of the record: a weighing, a privacy check, a source check, a decision of the
    casustafel or a referral; `recorded` is False for a weighing the signal passed without one."""

    at: datetime | None
    title: str
    outcome: str
    who: str | None = None
    reasons: str | None = None
    details: list[tuple[str, str]] = field(default_factory=list)
    recorded: bool = True


# The weighing each status needs behind it, and the label of that weighing.
PASSED_WITH = {"weging": "intake", "bronnenonderzoek": "weging", "geagendeerd": "vervolgstap"}


def _name(user: User | None) -> str | None:
    return user.display_name if user is not None else None


def _labels(codes, names: dict) -> str:
    return ", ".join(names.get(code, code) for code in codes or []) or "geen"


def weging_2_details(assessment: Assessment) -> list[tuple[str, str]]:
    """What weging 2 recorded: the task or power and its competent body, or to whom the signal
    was referred; intake weighings from before migration 0017 have neither."""
    if assessment.kind != "intake":
        return []
    if assessment.outcome == "doorverwijzen":
        return [("Doorverwezen naar", assessment.referred_to or "niet vastgelegd")]
    if assessment.power is not None:
        return [("Bevoegd orgaan", assessment.power.body_label),
                ("Taak of bevoegdheid", f"{assessment.power.label} ({assessment.power.legal_basis})")]
    if assessment.outcome == "verder_naar_weging":
        return [("Taak of bevoegdheid", "niet vastgelegd")]
    return []


def _register_details(check: PrivacyCheck, registers: dict) -> list[tuple[str, str]]:
    """A, B and C of privacy check 1 per allowed register; 'niet vastgelegd' for a check decided
    before they were asked."""
    details = []
    for code in check.allowed_registers or []:
        label = registers.get(code, code)
        assessment = check.assessment_for(code)
        if assessment is None:
            details.append((label, "A/B/C niet vastgelegd"))
            continue
        details += [(f"{label}: A. grondslag van de verzameling", assessment.legal_basis),
                    (f"{label}: B. verenigbaarheid", assessment.compatibility),
                    (f"{label}: C. noodzaak, proportionaliteit, subsidiariteit", assessment.necessity)]
    return details


def _check_step(check: PrivacyCheck, departments: dict) -> Step:
    details = [("Aangevraagd", local_time(check.requested_at) + (f" door {check.requested_by.display_name}"
                                                                  if check.requested_by else ""))]
    if check.status == CheckStatus.OPEN:
        return Step(check.requested_at, check.kind_label, "Wacht op besluit", details=details)
    if check.kind == "1":
        registers = register_labels()
        details += [("Bronnen", _labels(check.allowed_registers, registers)),
                    ("Met inhoud", _labels(check.content_registers, registers))]
        details += _register_details(check, registers)
    elif check.kind == "2A":
        details += [(f"Zichtbaar voor {departments.get(int(d), 'afdeling ' + d)}", _labels(codes, SHAREABLE_FIELDS))
                    for d, codes in (check.field_rules or {}).items()]
    else:
        details += [("Gegevens", _labels(check.allowed_fields, SHAREABLE_FIELDS)),
                    ("Bevoegdheden (weging 5)", check.power_labels)]
    who = _name(check.decided_by)
    if who and check.decided_by_coordinator:
        who += " (regisseur, volgens de instelling)"
    outcome = ("Goedgekeurd" if check.approved else "Afgewezen")
    if check.status == CheckStatus.HEROPEND:
        outcome += "; heropend door de privacyfunctionaris, geldt niet meer"
    return Step(check.decided_at, check.kind_label, outcome, who=who, reasons=check.rationale, details=details)


COORDINATOR_ONLY = "alleen zichtbaar voor de regisseur"


def _step_4(signal, case_content: bool) -> list[Step]:
    """Model protocol step 4: every version of the plan of approach and every end date of the
    monitoring (the start and each extension with its reason). Goal, interventions and reasons
    are the case itself: without `case_content` (the privacy officer) only that they exist."""
    steps = []
    for plan in db.session.scalars(select(CasePlan).where(CasePlan.signal_id == signal.id)):
        title = "Plan van aanpak" if plan.number == 1 else f"Plan van aanpak herzien (versie {plan.number})"
        steps.append(Step(plan.recorded_at, title, "Vastgelegd", who=_name(plan.recorded_by), details=[
            ("Doel", (plan.goal or "—") if case_content else COORDINATOR_ONLY),
            ("Interventies", (plan.interventions or "—") if case_content else COORDINATOR_ONLY),
            ("Casusregisseur", _name(plan.director) or "—"), ("Evaluatiedatum", f"{plan.review_on:%d-%m-%Y}")]))
    for period in db.session.scalars(select(MonitoringPeriod).where(MonitoringPeriod.signal_id == signal.id)):
        steps.append(Step(period.set_at, "Monitoring verlengd" if period.is_extension else "Monitoring gestart",
                          f"Monitoring tot en met {period.ends_on:%d-%m-%Y}", who=_name(period.set_by),
                          reasons=period.reason if case_content else None))
    return steps


def weighing_record(signal, *, case_content: bool = True) -> list[Step]:
    """Every weighing, privacy check, source check, decision, referral, plan of approach and
    monitoring period of the signal in the order they happened, with who, when, outcome and
    reasons; a weighing the signal passed without one is listed as not recorded (signals from
    before it existed)."""
    steps = []
    kinds = set()
    for a in db.session.scalars(select(Assessment).where(Assessment.signal_id == signal.id)):
        kinds.add(a.kind)
        details = [(question, "Ja" if answer else "Nee") for question, answer in answered_criteria(a)
                   if answer is not None]
        details += weging_2_details(a)
        steps.append(Step(a.assessed_at, KIND_LABELS.get(a.kind, a.kind), outcome_label(a.kind, a.outcome),
                          who=_name(a.assessed_by), reasons=a.rationale, details=details))
    departments = dict(db.session.execute(select(Department.id, Department.name)).all())
    for check in db.session.scalars(select(PrivacyCheck).where(PrivacyCheck.signal_id == signal.id)):
        steps.append(_check_step(check, departments))
    for q in db.session.scalars(select(SourceQuery).where(SourceQuery.signal_id == signal.id)):
        found = f"informatie van {q.information_date:%d-%m-%Y}" if q.information_date else "datum niet vastgelegd"
        steps.append(Step(q.queried_at, f"Bronnenonderzoek: {q.register_label}",
                          f"Hit ({found})" if q.hit else "No hit", who=_name(db.session.get(User, q.queried_by_id))
                          if q.queried_by_id else None))
    for item in db.session.scalars(select(AgendaItem).where(AgendaItem.signal_id == signal.id,
                                                             AgendaItem.decision.is_not(None))):
        chair, held = item.meeting.chair, short_date(item.meeting.held_at)
        steps.append(Step(item.decided_at, f"Besluit van de casustafel ({held})",
                          item.decision_label, who=f"voorzitter {chair.display_name}" if chair else None,
                          reasons=item.decision_rationale))
    for r in db.session.scalars(select(Referral).where(Referral.signal_id == signal.id, Referral.sent_on.is_not(None))):
        steps.append(Step(datetime.combine(r.sent_on, datetime.min.time()), f"Verstrekking aan {r.partner.name}",
                          "Verstuurd", who=_name(r.created_by), reasons=r.purpose,
                          details=[("Grondslag", r.legal_ground_label), ("Verstrekt", r.disclosed_label)]))
    steps += _step_4(signal, case_content)
    for event in db.session.scalars(select(SignalEvent).where(SignalEvent.signal_id == signal.id)
                                    .order_by(SignalEvent.occurred_at)):
        kind = PASSED_WITH.get(event.to_status)
        if kind and kind not in kinds:
            kinds.add(kind)  # listed once
            steps.append(Step(event.occurred_at, KIND_LABELS[kind], "Niet vastgelegd", recorded=False,
                              details=[("Status daarna", STATUSES.get(event.to_status, event.to_status))]))
    return sorted(steps, key=lambda s: (s.at is None, s.at or datetime.min))
