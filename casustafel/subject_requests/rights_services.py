"""The data subject's rights beyond the answer (issue 18): the restriction of processing
(art. 18 AVG), the objection weighed (art. 21), the extension (art. 12 lid 3), the notification
of recipients (art. 19) and informing the subject or a reasoned deferral (art. 14 AVG, art. 41
UAVG) lives with the signal (casustafel.signals.informing_services).

Services take the actor explicitly and never commit; every change writes a log event without
field values. The restriction itself is enforced by casustafel.processing in each processing
service.
"""

from datetime import date

from sqlalchemy import or_, select

from casustafel.audit_log import record
from casustafel.dates import add_months, utcnow
from casustafel.extensions import db
from casustafel.forms import checked_text
from casustafel.models import (
    NOTIFICATION_METHODS,
    OBJECTION_OUTCOMES,
    ObjectionOutcome,
    Partner,
    ProcessingRestriction,
    RecipientNotification,
    Referral,
    Signal,
    SubjectRequest,
    SubjectRequestSignal,
)
from casustafel.processing import active_restriction
from casustafel.subject_requests.services import PURPOSE, SubjectRequestError, due_date

EXTENSION_MONTHS = 2  # art. 12 lid 3 AVG: "met nog eens twee maanden"
# Requests whose carrying out must be told to the recipients (art. 19 AVG).
NOTIFY_TYPES = ("rectificatie", "wissing")


def _ensure_open(request: SubjectRequest) -> None:
    if request.status != "open":
        raise SubjectRequestError("Dit verzoek is afgehandeld; dit kan niet meer worden vastgelegd.")


def linked_signal_ids(request: SubjectRequest) -> set:
    return set(db.session.scalars(
        select(SubjectRequestSignal.signal_id).where(SubjectRequestSignal.request_id == request.id)))


# --- restriction of processing (art. 18 AVG) ---------------------------------------------------


def restrict(actor, request: SubjectRequest, signal: Signal, reason: str | None) -> ProcessingRestriction:
    """Set the restriction flag on a signal found for this request: from now on it is only stored."""
    _ensure_open(request)
    if signal.id not in linked_signal_ids(request):
        raise SubjectRequestError("Deze melding is niet gevonden bij dit verzoek.")
    if signal.destroyed_at is not None:
        raise SubjectRequestError("De inhoud van deze melding is al vernietigd.")
    if active_restriction(signal) is not None:
        raise SubjectRequestError(f"De verwerking van melding {signal.reference} is al beperkt.")
    text = checked_text(reason, SubjectRequestError, missing="Geef de reden van de beperking (art. 18 lid 1 AVG).")
    restriction = ProcessingRestriction(signal_id=signal.id, request_id=request.id,
                                        set_by_id=getattr(actor, "id", None), set_at=utcnow())
    restriction.reason = text
    db.session.add(restriction)
    db.session.flush()
    record(actor, "processing_restriction.set", restriction, purpose=PURPOSE,
           subjects=[str(s.id) for s in signal.subjects] or None)
    return restriction


def lift(actor, request: SubjectRequest, signal: Signal, reason: str | None) -> ProcessingRestriction:
    """Lift the restriction this request set: processing may go on. The subject is told first
    (art. 18 lid 3 AVG). Only from the request it came from; also after that request is handled
    (a restriction outlasts the answer: its file is kept until it is lifted, see retention), not
    from a destroyed file."""
    if request.destroyed_at is not None:
        raise SubjectRequestError("Het dossier van dit verzoek is vernietigd; hier kan niets meer worden vastgelegd.")
    restriction = active_restriction(signal)
    if restriction is None:
        raise SubjectRequestError(f"De verwerking van melding {signal.reference} is niet beperkt.")
    if restriction.request_id != request.id:
        raise SubjectRequestError(f"De beperking van melding {signal.reference} hoort bij een ander verzoek; "
                                  "hef haar op vanuit dat verzoek.")
    text = checked_text(reason, SubjectRequestError,
                        missing="Geef de reden voor het opheffen, en dat de betrokkene vooraf is ingelicht.")
    restriction.lifted_at = utcnow()
    restriction.lifted_by_id = getattr(actor, "id", None)
    restriction.lift_reason = text
    record(actor, "processing_restriction.lifted", restriction, purpose=PURPOSE)
    return restriction


def restrictions_of(request: SubjectRequest) -> dict:
    """signal id → its active restriction, for the signals found for this request."""
    ids = linked_signal_ids(request)
    if not ids:
        return {}
    rows = db.session.scalars(select(ProcessingRestriction).where(
        ProcessingRestriction.signal_id.in_(ids), ProcessingRestriction.lifted_at.is_(None)))
    return {r.signal_id: r for r in rows}


# --- objection weighed (art. 21 AVG) ------------------------------------------------------------


def weigh_objection(actor, request: SubjectRequest, *, outcome: str, reasoning: str | None) -> None:
    """Record the outcome of an objection. Upheld: processing stops, every signal found gets the
    restriction flag. Rejected: only with the compelling legitimate grounds written down."""
    _ensure_open(request)
    if request.type != "bezwaar":
        raise SubjectRequestError("Alleen een bezwaar wordt gewogen.")
    if request.objection_outcome is not None:
        raise SubjectRequestError("Over dit bezwaar is al beslist.")
    if outcome not in OBJECTION_OUTCOMES:
        raise SubjectRequestError("Kies de uitkomst van de weging.")
    if outcome == ObjectionOutcome.REJECTED:
        text = checked_text(reasoning, SubjectRequestError,
                            missing="Beschrijf de dwingende gerechtvaardigde gronden die zwaarder wegen dan de "
                                    "belangen van de betrokkene (art. 21 lid 1 AVG).")
    else:
        text = checked_text(reasoning, SubjectRequestError)
    request.objection_outcome = outcome
    request.objection_reasoning = text
    request.objection_decided_at = utcnow()
    request.objection_decided_by_id = getattr(actor, "id", None)
    record(actor, "subject_request.objection_weighed", request, purpose=PURPOSE, reason_code=outcome)
    if outcome == ObjectionOutcome.UPHELD:
        for signal in db.session.scalars(select(Signal).where(Signal.id.in_(linked_signal_ids(request)))):
            if signal.destroyed_at is None and active_restriction(signal) is None:
                restrict(actor, request, signal, f"Bezwaar gehonoreerd (art. 21 AVG), verzoek {request.number}.")


# --- the extension (art. 12 lid 3 AVG) ----------------------------------------------------------


def extended_due_date(received: date) -> date:
    """Three calendar months after receipt: the month of art. 12 lid 3 plus two; clamped to the
    month's end (received 30 November → 28 or 29 February)."""
    return add_months(received, 1 + EXTENSION_MONTHS)


def extend(actor, request: SubjectRequest, *, reason: str | None, told_on: date | None, today: date) -> None:
    """Extend the deadline once by two months; the requester must have been told within the first month."""
    _ensure_open(request)
    if request.extended_at is not None:
        raise SubjectRequestError("De termijn van dit verzoek is al eens verlengd; dat kan maar één keer.")
    first_month = due_date(request.received_on)
    if today > first_month:
        raise SubjectRequestError(f"Verlengen kan alleen binnen de eerste maand (tot en met {first_month:%d-%m-%Y}).")
    text = checked_text(reason, SubjectRequestError,
                        missing="Geef de reden van de verlenging, zoals de complexiteit of het aantal verzoeken.")
    if told_on is None:
        raise SubjectRequestError("Vul in wanneer de verzoeker over de verlenging is ingelicht.")
    if told_on > today:
        raise SubjectRequestError("Deze datum ligt in de toekomst.")
    if told_on < request.received_on or told_on > first_month:
        raise SubjectRequestError(f"De verzoeker moet binnen de eerste maand worden ingelicht: tussen "
                                  f"{request.received_on:%d-%m-%Y} en {first_month:%d-%m-%Y}.")
    request.extended_at = utcnow()
    request.extended_by_id = getattr(actor, "id", None)
    request.extension_reason = text
    request.extension_told_on = told_on
    request.due_on = extended_due_date(request.received_on)
    record(actor, "subject_request.extended", request, purpose=PURPOSE)


# --- notification of recipients (art. 19 AVG) ---------------------------------------------------


def carried_out(actor, request: SubjectRequest, on: date | None, today: date) -> None:
    """Record that the rectification or erasure was carried out: the recipients must be told."""
    _ensure_open(request)
    if request.type not in NOTIFY_TYPES:
        raise SubjectRequestError("Alleen een rectificatie of wissing wordt als uitgevoerd vastgelegd.")
    if on is None:
        raise SubjectRequestError("Vul de datum in waarop de rectificatie of wissing is uitgevoerd.")
    if on > today or on < request.received_on:
        raise SubjectRequestError("Kies een datum tussen de ontvangst van het verzoek en vandaag.")
    request.carried_out_on = on
    record(actor, "subject_request.carried_out", request, purpose=PURPOSE, reason_code=request.type)


def _concerned_signal_ids(request: SubjectRequest) -> set:
    """The signals whose recipients must hear of this request: all found ones after a
    rectification or erasure, and every signal restricted from this request."""
    ids = set(db.session.scalars(
        select(ProcessingRestriction.signal_id).where(ProcessingRestriction.request_id == request.id)))
    if request.carried_out_on is not None:
        ids |= linked_signal_ids(request)
    return ids


def recipients(request: SubjectRequest) -> list[Partner]:
    """The partners the concerned signals were actually sent to (a concept went nowhere)."""
    ids = _concerned_signal_ids(request)
    if not ids:
        return []
    return list(db.session.scalars(
        select(Partner).where(Partner.id.in_(
            select(Referral.partner_id).where(Referral.signal_id.in_(ids), Referral.sent_on.is_not(None))
        )).order_by(Partner.position, Partner.name)
    ))


def notifications(request: SubjectRequest) -> list[tuple[Partner, RecipientNotification | None]]:
    done = {n.partner_id: n for n in db.session.scalars(
        select(RecipientNotification).where(RecipientNotification.request_id == request.id))}
    return [(partner, done.get(partner.id)) for partner in recipients(request)]


def pending_notifications(request: SubjectRequest) -> int:
    return sum(1 for _partner, done in notifications(request) if done is None)


def record_notification(actor, request: SubjectRequest, *, partner_id: int | None, notified_on: date | None,
                        method: str | None, note: str | None, today: date) -> RecipientNotification:
    """Record that one recipient was told (or why that was impossible or disproportionate)."""
    partner = next((p for p, done in notifications(request) if p.id == partner_id), None)
    if partner is None:
        raise SubjectRequestError("Kies een ontvanger uit de lijst.")
    already = db.session.scalar(select(RecipientNotification).where(
        RecipientNotification.request_id == request.id, RecipientNotification.partner_id == partner.id))
    if already is not None:
        raise SubjectRequestError(f"Voor {partner.name} is de melding al vastgelegd.")
    if method not in NOTIFICATION_METHODS:
        raise SubjectRequestError("Kies hoe de ontvanger is ingelicht.")
    if notified_on is None or notified_on > today or notified_on < request.received_on:
        raise SubjectRequestError("Vul een datum in tussen de ontvangst van het verzoek en vandaag.")
    note = checked_text(note, SubjectRequestError, missing="Licht toe waarom melden onmogelijk is of onevenredig "
                        "veel moeite kost." if method == "onevenredig" else None)
    notification = RecipientNotification(request_id=request.id, partner_id=partner.id, notified_on=notified_on,
                                         method=method, recorded_by_id=getattr(actor, "id", None))
    notification.note = note
    db.session.add(notification)
    db.session.flush()
    record(actor, "recipient_notification.recorded", request, purpose=PURPOSE, reason_code=method)
    return notification


def notification_tasks() -> list[tuple[SubjectRequest, int]]:
    """The privacy officer's open tasks: requests with recipients still to be told (also after closing)."""
    candidates = db.session.scalars(
        select(SubjectRequest).where(or_(
            SubjectRequest.carried_out_on.is_not(None),
            SubjectRequest.id.in_(select(ProcessingRestriction.request_id)),
        )).order_by(SubjectRequest.due_on, SubjectRequest.number)
    )
    return [(r, n) for r in candidates if (n := pending_notifications(r))]
