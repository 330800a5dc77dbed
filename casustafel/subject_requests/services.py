"""Data-subject requests: numbers, due dates, the lookup, decisions, closing, the answer package.

Services take the actor explicitly and never commit. The lookup goes through the blind
indexes (casustafel.linking.find_entities: candidates decrypted and compared exactly, so an
index collision never returns someone else) and is logged without the search values.
Every run of the lookup on an open request stores its signals as SubjectRequestSignal rows:
those signals are on legal hold until the request is closed (the links stay, for the record).
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from casustafel import dates, linking
from casustafel.audit import labels
from casustafel.audit.queries import signal_object_ids
from casustafel.audit_log import record
from casustafel.dates import add_months, utcnow
from casustafel.extensions import db
from casustafel.linking import split_house_number
from casustafel.models import (
    AuditEvent,
    Location,
    Referral,
    Signal,
    Subject,
    SubjectRequest,
    SubjectRequestSignal,
)
from casustafel.models.rights import RESTRICTION_GROUNDS

PURPOSE = "rechten_betrokkene"
LOG_LIMIT = 500  # log entries shown on the page; the package summarises all of them

RESTRICTIONS = {
    "geen": "Geen beperking",
    "gedeeltelijk": "Gedeeltelijke beperking",
    "volledig": "Volledige beperking",
}

# Internal channels are described as the municipality's own observation; every other one
# as an outside report. Neither names who reported, nor whether the police did.
INTERNAL_CHANNELS = ("meldpunt", "eigen_waarneming")
SOURCE_INTERNAL = "een waarneming van een medewerker van de gemeente"
SOURCE_EXTERNAL = "een melding van buiten de gemeentelijke organisatie"

class SubjectRequestError(ValueError):
    """A refused change, with a Dutch message for the user."""


# --- numbers and dates ----------------------------------------------------------------------


def due_date(received: date) -> date:
    """One calendar month later (art. 12 lid 3 AVG); the 31st becomes the month's last day."""
    return add_months(received, 1)


def _next_number(year: int) -> str:
    prefix = f"AVG-{year}-"
    last = db.session.scalar(  # the longest, then highest: AVG-2026-10000 comes after AVG-2026-9999
        select(SubjectRequest.number).where(SubjectRequest.number.like(f"{prefix}%"))
        .order_by(func.length(SubjectRequest.number).desc(), SubjectRequest.number.desc()).limit(1)
    )
    return f"{prefix}{int(last.rsplit('-', 1)[1]) + 1 if last else 1:04d}"


def _number_taken(number: str) -> bool:
    return db.session.scalar(select(SubjectRequest.id).where(SubjectRequest.number == number)) is not None


def create_request(actor, *, type: str, received_on: date, name=None, birth_date=None, kvk_number=None,
                   postcode=None, house_number=None, attempts: int = 20) -> SubjectRequest:
    """Register a request with the next free AVG-YYYY-NNNN (unique index, retried on a clash).

    Two requests registered at the same moment compute the same number; the second insert
    waits for the first on the unique index, fails, and its savepoint retries with the next.
    """
    for _ in range(attempts):
        request = SubjectRequest(number=_next_number(received_on.year), type=type, received_on=received_on,
                                 due_on=due_date(received_on), status="open",
                                 created_by_id=getattr(actor, "id", None))
        request.name = name or None
        request.birth_date = birth_date.isoformat() if birth_date else None
        request.kvk_number = kvk_number or None
        request.postcode = postcode or None
        request.house_number = house_number or None
        try:
            with db.session.begin_nested():
                db.session.add(request)
        except IntegrityError:
            if _number_taken(request.number):
                continue  # someone else took this number first: take the next one
            raise
        record(actor, "subject_request.created", request, purpose=PURPOSE, reason_code=type)
        return request
    raise SubjectRequestError("Er kon geen volgnummer worden toegekend. Probeer het opnieuw.")


# --- the lookup -----------------------------------------------------------------------------


@dataclass
class Match:
    """One subject or location found for the request, in one signal."""

    entity: Subject | Location
    via: set[str] = field(default_factory=set)

    @property
    def role_label(self) -> str:
        if isinstance(self.entity, Location):
            return "Adres of pand in de melding"
        return f"{self.entity.kind_label}, {self.entity.role_label.lower()}"


@dataclass
class Finding:
    """A signal found for the request, with the matches in it."""

    signal: Signal
    matches: list[Match] = field(default_factory=list)
    on_hold: bool = False

    @property
    def role_labels(self) -> str:
        return "; ".join(dict.fromkeys(m.role_label for m in self.matches)) or "—"

    @property
    def subject_ids(self) -> list[str]:
        return [str(m.entity.id) for m in self.matches]


def identifiers(request: SubjectRequest) -> list[tuple[str, tuple]]:
    """The complete identifiers of a request as (kind, values) for find_entities."""
    found = []
    if request.name and request.birth_date:
        found.append(("person", (request.name, request.birth_date)))
    if request.name and not request.birth_date:
        found.append(("organisation", (request.name,)))
    if request.kvk_number:
        found.append(("kvk", (request.kvk_number,)))
    number = split_house_number(request.house_number)
    if request.postcode and number:
        found.append(("address", (request.postcode, number[0], number[1])))
    return found


def _keep(request: SubjectRequest, kinds: set[str], entity) -> bool:
    """An address alone does not make a resident the requester.

    When the request names a person or an organisation, a subject found only by its address
    is kept only if its name is the same (normalised): another person living there is someone
    else. Locations (the address itself) are always kept.
    """
    if kinds != {"address"} or isinstance(entity, Location) or not request.name:
        return True
    return bool(entity.name) and linking.organisation_key(entity.name) == linking.organisation_key(request.name)


def lookup(actor, request: SubjectRequest) -> list[Finding]:
    """Find the subject's signals; while the request is open, store them (legal hold).

    A closed request shows only the signals linked while it was open. Logged as
    "subject_request.searched" with the pseudonyms found, never with the search values.
    """
    by_entity: dict = {}
    for kind, values in identifiers(request):
        for entity in linking.find_entities(kind, *values):
            by_entity.setdefault(entity.id, Match(entity)).via.add(kind)
    linked = set(db.session.scalars(
        select(SubjectRequestSignal.signal_id).where(SubjectRequestSignal.request_id == request.id)
    ))
    findings: dict = {}
    for match in by_entity.values():
        signal = match.entity.signal
        if signal.destroyed_at is not None or not _keep(request, match.via, match.entity):
            continue
        if request.status != "open" and signal.id not in linked:
            continue
        findings.setdefault(signal.id, Finding(signal)).matches.append(match)
    if request.status == "open":
        for signal_id in findings.keys() - linked:
            db.session.add(SubjectRequestSignal(request_id=request.id, signal_id=signal_id))
        db.session.flush()
    held = _held_signal_ids(list(findings))
    result = sorted(findings.values(), key=lambda f: (f.signal.received_at, f.signal.reference))
    for finding in result:
        finding.on_hold = finding.signal.id in held
    record(actor, "subject_request.searched", request, purpose=PURPOSE,
           subjects=[s for f in result for s in f.subject_ids] or None)
    return result


def _held_signal_ids(signal_ids) -> set:
    """Signals on legal hold: the flag, or linked to any open subject request (as retention sees it)."""
    if not signal_ids:
        return set()
    open_request = exists().where(
        SubjectRequestSignal.signal_id == Signal.id,
        SubjectRequestSignal.request_id == SubjectRequest.id,
        SubjectRequest.status == "open",
    )
    return set(db.session.scalars(
        select(Signal.id).where(Signal.id.in_(signal_ids), Signal.legal_hold.is_(True) | open_request)
    ))


def referrals_of(findings: list[Finding]) -> list[Referral]:
    """Referrals that were actually sent (a concept went nowhere), oldest first."""
    ids = [f.signal.id for f in findings]
    if not ids:
        return []
    return list(db.session.scalars(
        select(Referral).where(Referral.signal_id.in_(ids), Referral.sent_on.is_not(None))
        .order_by(Referral.sent_on, Referral.created_at)
    ))


def log_entries(findings: list[Finding], limit: int | None = LOG_LIMIT) -> list[AuditEvent]:
    """Log events about the signals found and everything belonging to them, oldest first."""
    object_ids = signal_object_ids([f.signal.id for f in findings])
    if not object_ids:
        return []
    stmt = select(AuditEvent).where(AuditEvent.object_id.in_(object_ids)).order_by(AuditEvent.seq)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


# Log events the answer letter never counts, by the object they are about or the prefix of their
# action: a Bibob record (art. 28 Wet Bibob, models/bibob.py), restricted received information of
# any source and its exceptions (models/received.py: the subject is not told of it here), and the
# zaaksysteem links (a Bibob-besluit among them is logged viewed on every workspace load).
SECRET_OBJECT_TYPES = frozenset({
    "bibob_record", "received_information", "received_information_exception", "case_system_link",
})


def is_secret_event(event: AuditEvent) -> bool:
    """Whether the answer letter leaves this log event out (SECRET_OBJECT_TYPES)."""
    return (event.object_type in SECRET_OBJECT_TYPES
            or event.action.split(".", 1)[0] in SECRET_OBJECT_TYPES)


def log_summary(findings: list[Finding]) -> list[tuple[date, str, int]]:
    """(date, purpose, number of entries) per day and purpose: what the subject is told.
    Events about a Bibob record, received information or a zaaksysteem link are left out
    (SECRET_OBJECT_TYPES): not even their number tells the subject they exist (the privacy
    officer still sees them in the request's log entries)."""
    counts: dict = {}
    for event in log_entries(findings, limit=None):
        if is_secret_event(event):
            continue
        key = (dates.to_local(event.occurred_at).date(), labels.purpose_label(event.purpose))
        counts[key] = counts.get(key, 0) + 1
    return [(day, purpose, n) for (day, purpose), n in sorted(counts.items())]


def source_text(signal: Signal) -> str:
    """Where the signal came from, in the category the answer letter may name. An e-mail to the
    meldpunt from a colleague's address has that colleague's account as reporter: internal."""
    internal = signal.channel in INTERNAL_CHANNELS or (signal.channel == "email" and signal.reporter_id is not None)
    return SOURCE_INTERNAL if internal else SOURCE_EXTERNAL


# --- decision and closing --------------------------------------------------------------------


def decide(actor, request: SubjectRequest, *, restriction: str, ground: str | None, note: str | None) -> None:
    """Record the restriction decision (art. 41 UAVG); a restriction needs a ground."""
    if request.status != "open":
        raise SubjectRequestError("Dit verzoek is afgehandeld. Het besluit kan niet meer worden gewijzigd.")
    if restriction not in RESTRICTIONS:
        raise SubjectRequestError("Kies of u het recht beperkt.")
    if restriction != "geen" and ground not in RESTRICTION_GROUNDS:
        raise SubjectRequestError("Kies de grond voor de beperking.")
    request.restriction = restriction
    request.restriction_ground = ground if restriction != "geen" else None
    request.restriction_note = note or None
    request.decided_by_id = getattr(actor, "id", None)
    request.decided_at = utcnow()
    record(actor, "subject_request.decided", request, purpose=PURPOSE, reason_code=restriction)


def close(actor, request: SubjectRequest) -> None:
    """Mark the request afgehandeld: its signals leave legal hold; the links stay for the record."""
    if request.status != "open":
        raise SubjectRequestError("Dit verzoek is al afgehandeld.")
    if request.restriction is None:
        raise SubjectRequestError("Leg eerst het besluit over beperking vast.")
    request.status = "afgehandeld"
    request.closed_at = utcnow()
    record(actor, "subject_request.closed", request, purpose=PURPOSE)


def is_overdue(request: SubjectRequest, today: date) -> bool:
    return request.status == "open" and request.due_on < today


def ordered_requests() -> list[SubjectRequest]:
    """Open first, then by due date (oldest first), then by number."""
    is_closed = SubjectRequest.status != "open"
    return list(db.session.scalars(
        select(SubjectRequest).order_by(is_closed, SubjectRequest.due_on, SubjectRequest.number)
    ))
