"""The life of a signal (README “The casustafel workflow”) as one explicit transition table.

Every change is an immutable SignalEvent (who, when, from, to, reason) plus a log event.
Closing needs a reason code; reopening a closed signal needs a written reason.
"""

from blinker import Namespace
from sqlalchemy import func, select

from casustafel.audit_log import record
from casustafel.dates import today, utcnow
from casustafel.extensions import db
from casustafel.models import TO_CASE_MEETING, Assessment, CasePlan, MonitoringPeriod, SignalEvent
from casustafel.models.activity import activity_for_status_change
from casustafel.processing import refuse_if_restricted

# Sent when a signal is closed (sender: the signal; actor=): other features act on it without
# this module knowing them, e.g. referrals deletes police information.
closed = Namespace().signal("melding-afgesloten")

QUESTION = "aanvulling_gevraagd"
CLOSED = "afgesloten"
HANDED_OVER = "doorgezet"

TRANSITIONS: dict[str, frozenset[str]] = {
    "ingediend": frozenset({"intake"}),
    "intake": frozenset({"weging", CLOSED}),
    "weging": frozenset({"bronnenonderzoek", "doorgezet", CLOSED}),
    "bronnenonderzoek": frozenset({"geagendeerd", "doorgezet", CLOSED}),
    "geagendeerd": frozenset({"besproken"}),
    "besproken": frozenset({"in_aanpak", "geagendeerd", "doorgezet", CLOSED}),
    "in_aanpak": frozenset({"monitoring"}),
    "monitoring": frozenset({CLOSED}),
    "doorgezet": frozenset({CLOSED}),
    CLOSED: frozenset({"intake"}),  # reopening, coordinator only, with a reason
}

# Taking a signal off an agenda before the meeting (an item removed, a meeting cancelled) returns
# it to the state it had before: only with this reason code, never by hand on the signal's page.
OFF_AGENDA = "van_agenda"
AGENDA_SOURCES = frozenset({"bronnenonderzoek", "besproken"})

# Reason codes for closing, and the states each may close from.
CLOSING_REASONS: dict[str, tuple[str, frozenset[str]]] = {
    "geen_ondermijning": ("Geen ondermijning", frozenset({"intake"})),
    "geen_gemeentelijke_taak": ("Geen gemeentelijke taak", frozenset({"intake"})),
    "doorverwezen": ("Niet in behandeling genomen — doorverwezen", frozenset({"intake"})),
    "buiten_gemeente": ("Buiten de gemeente", frozenset({"intake"})),
    "geen_vervolg": ("Geen vervolg na weging", frozenset({"weging"})),
    "geen_hit": ("Geen hit in het bronnenonderzoek", frozenset({"bronnenonderzoek"})),
    "besproken_geen_actie": ("Besproken, geen actie", frozenset({"besproken"})),
    "aanpak_afgerond": ("Aanpak en monitoring afgerond", frozenset({"monitoring"})),
    "doorgezet_afgerond": ("Doorgezet; geen eigen rol meer", frozenset({"doorgezet"})),
}

# Closed only by weging 2, which records to whom the signal was referred.
WEIGHING_ONLY_REASONS = frozenset({"doorverwezen"})

OPEN_STATES = frozenset(TRANSITIONS) - {CLOSED} | {QUESTION}


NEEDS_NEXT_STEP = (
    "Leg eerst weging 4 vast met de uitkomst ‘Bespreken in het gemeentelijk casusoverleg’; "
    "daarna kan de melding op de agenda."
)

NEEDS_MONITORING_END = (
    "Vul bij ‘Monitoring tot en met’ in tot wanneer de monitoring loopt (vandaag of later). "
    "Zonder einddatum kan de zaak niet naar monitoring."
)


NEEDS_HANDOVER = (
    "Een melding wordt alleen ‘Doorgezet’ door een verstuurde verstrekking of overdracht (aan een "
    "partner of een afdeling). Leg die vast onder ‘Verstrekkingen’; na privacytoets 2B en het versturen "
    "krijgt de melding deze status vanzelf."
)


class TransitionError(ValueError):
    """A refused status change, with a Dutch message for the user."""


def weighed_for_case_meeting(signal) -> bool:
    """Weging 4 chose the casustafel since the signal last entered bronnenonderzoek: the only
    way from the source checks onto an agenda. Coming back from an agenda (OFF_AGENDA) is no new
    entry: the weighing that put it there still holds."""
    entered = db.session.scalar(
        select(func.max(SignalEvent.occurred_at))
        .where(SignalEvent.signal_id == signal.id, SignalEvent.to_status == "bronnenonderzoek",
               SignalEvent.reason_code.is_(None) | (SignalEvent.reason_code != OFF_AGENDA))
    )
    latest = db.session.scalar(
        select(Assessment).where(Assessment.signal_id == signal.id, Assessment.kind == "vervolgstap")
        .order_by(Assessment.assessed_at.desc()).limit(1)
    )
    return (latest is not None and latest.outcome == TO_CASE_MEETING
            and (entered is None or latest.assessed_at >= entered))


def _sent_handover_of(referral, signal) -> bool:
    return (referral is not None and referral.signal_id == signal.id and referral.hands_over
            and referral.status != "concept")
NEEDS_PLAN = (
    "Leg eerst het plan van aanpak vast (doel, interventies, casusregisseur en evaluatiedatum); "
    "daarna kan de zaak naar monitoring."
)


def _has_plan(signal) -> bool:
    """Model protocol step 4: a case the municipality handles has a plan of approach."""
    return db.session.scalar(select(CasePlan.id).where(CasePlan.signal_id == signal.id).limit(1)) is not None


def monitoring_end_set(signal) -> bool:
    """A monitoring end date of today or later was recorded since the signal last entered
    in_aanpak (model protocol step 4: monitoring has an end)."""
    entered = db.session.scalar(
        select(func.max(SignalEvent.occurred_at))
        .where(SignalEvent.signal_id == signal.id, SignalEvent.to_status == "in_aanpak")
    )
    latest = db.session.scalar(
        select(MonitoringPeriod).where(MonitoringPeriod.signal_id == signal.id)
        .order_by(MonitoringPeriod.number.desc()).limit(1)
    )
    return (latest is not None and latest.ends_on >= today()
            and (entered is None or latest.set_at >= entered))


def next_states(signal) -> list[str]:
    """The states a signal may move to by hand now (the question state excluded; ‘doorgezet’
    only comes from sending a handover, see `transition`)."""
    if signal.status == QUESTION:
        return [signal.status_before_question] if signal.status_before_question else []
    return sorted(TRANSITIONS.get(signal.status, set()) - {HANDED_OVER})


def may_hand_over(signal) -> bool:
    """Sending a handover now moves the signal to ‘doorgezet’."""
    return HANDED_OVER in TRANSITIONS.get(signal.status, ())


def closing_reasons(status: str, *, by_hand: bool = True) -> dict[str, str]:
    """The reasons a signal may close with from `status`; by hand (a form's list) without those
    only a weighing sets."""
    return {code: label for code, (label, states) in CLOSING_REASONS.items()
            if status in states and not (by_hand and code in WEIGHING_ONLY_REASONS)}


def transition(actor, signal, to_status: str, *, reason_code: str | None = None,
               reason: str | None = None, handover=None) -> SignalEvent:
    """Move `signal` to `to_status` if the table allows it; record the event. Caller commits.

    ‘doorgezet’ needs `handover`: the sent referral of this signal that hands the case over
    (to a partner, or to a department: an internal handover). Nothing else reaches it, so the
    register of disclosures counts every case the municipality passed on.
    """
    current = signal.status
    if signal.destroyed_at is not None:
        raise TransitionError("De inhoud van deze melding is vernietigd; de status kan niet meer veranderen.")
    refuse_if_restricted(signal, TransitionError)  # art. 18 AVG: only stored while restricted
    if to_status == QUESTION:
        if current not in OPEN_STATES or current == QUESTION:
            raise TransitionError("Voor deze melding kan nu geen aanvullende vraag worden gesteld.")
        signal.status_before_question = current
    elif current == QUESTION:
        if to_status != signal.status_before_question:
            raise TransitionError("Wacht eerst op het antwoord van de melder of trek de vraag in.")
        signal.status_before_question = None
    elif current == "geagendeerd" and reason_code == OFF_AGENDA:
        if to_status not in AGENDA_SOURCES:
            raise TransitionError("Een melding gaat van de agenda terug naar bronnenonderzoek of besproken.")
    elif to_status not in TRANSITIONS.get(current, ()):
        raise TransitionError(f"Van ‘{current}’ naar ‘{to_status}’ is geen toegestane stap.")
    elif current == "bronnenonderzoek" and to_status == "geagendeerd" and not weighed_for_case_meeting(signal):
        raise TransitionError(NEEDS_NEXT_STEP)
    elif to_status == HANDED_OVER and not _sent_handover_of(handover, signal):
        raise TransitionError(NEEDS_HANDOVER)
    elif current == "in_aanpak" and to_status == "monitoring" and not _has_plan(signal):
        raise TransitionError(NEEDS_PLAN)
    elif current == "in_aanpak" and to_status == "monitoring" and not monitoring_end_set(signal):
        raise TransitionError(NEEDS_MONITORING_END)
    if to_status == CLOSED:
        if reason_code not in closing_reasons(current, by_hand=False):
            raise TransitionError("Kies een reden om de melding af te sluiten.")
        signal.closed_at = utcnow()
        signal.closing_reason = reason_code
    if current == CLOSED:
        if not (reason or "").strip():
            raise TransitionError("Geef aan waarom de melding wordt heropend.")
        signal.closed_at = None
        signal.closing_reason = None
        reason_code = reason_code or "heropend"
    event = SignalEvent(signal=signal, actor_id=getattr(actor, "id", None), from_status=current,
                        to_status=to_status, reason_code=reason_code)
    event.reason = reason
    signal.status = to_status
    db.session.add(event)
    record(actor, "signal.status_changed", signal, reason_code=reason_code or to_status, purpose="casustafel",
           processing_activity=activity_for_status_change(current, to_status))
    if to_status == CLOSED:
        closed.send(signal, actor=actor)  # referrals: police information lives until the case closes
    return event
