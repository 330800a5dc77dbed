"""Recording, changing and reading the Bibob records of a signal. Services take the actor and
never commit; every read and change writes its log event (never a value).

A record is checked as a whole: an advice received needs a request before it, an outcome needs
the date it came, no date lies in the future. A refused record changes nothing.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from casustafel import dates
from casustafel.audit_log import record
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.forms import FieldError
from casustafel.models import BibobAdvice, BibobBody, BibobDecision, BibobRecord
from casustafel.processing import refuse_if_restricted

PURPOSE = "bibob"
MAX_NOTES = 5000
MAX_ZAAKNUMMER = 64

NEED_BODY = "Kies het bestuursorgaan dat het besluit neemt."
NEED_DECISION = "Kies waarvoor het Bibob-onderzoek is."
NEED_REQUESTED_ON = "Vul de datum in waarop het advies is gevraagd."
REQUESTED_ON_WITHOUT_REQUEST = "Een datum van de adviesaanvraag hoort bij ‘advies gevraagd: ja’."
RECEIVED_WITHOUT_REQUEST = "Een advies kan pas binnenkomen als het is gevraagd: kies ‘advies gevraagd: ja’."
NEED_OUTCOME = "Kies de conclusie van het advies."
NEED_RECEIVED_ON = "Vul de datum in waarop het advies is ontvangen."
RECEIVED_BEFORE_REQUEST = "Het advies kan niet eerder zijn ontvangen dan het is gevraagd."
IN_FUTURE = "Deze datum ligt in de toekomst. Vul een datum van vandaag of eerder in."


class BibobError(FieldError):
    """A refused Bibob record: `field` names the form field the message belongs next to."""


@dataclass
class BibobInput:
    body: str
    decision_kind: str
    investigated_on: date | None = None
    advice_requested: bool = False
    advice_requested_on: date | None = None
    advice_received_on: date | None = None
    advice_outcome: str | None = None
    notes: str | None = None
    zaaknummer: str | None = None


def check(data: BibobInput) -> None:
    """Raise BibobError (with the field) unless the record holds together."""
    if data.body not in BibobBody.labels():
        raise BibobError(NEED_BODY, "body")
    if data.decision_kind not in BibobDecision.labels():
        raise BibobError(NEED_DECISION, "decision_kind")
    today = dates.today()
    for name in ("investigated_on", "advice_requested_on", "advice_received_on"):
        value = getattr(data, name)
        if value is not None and value > today:
            raise BibobError(IN_FUTURE, name)
    if data.advice_requested and data.advice_requested_on is None:
        raise BibobError(NEED_REQUESTED_ON, "advice_requested_on")
    if not data.advice_requested and data.advice_requested_on is not None:
        raise BibobError(REQUESTED_ON_WITHOUT_REQUEST, "advice_requested_on")
    received = data.advice_received_on is not None or data.advice_outcome
    if received and not data.advice_requested:
        raise BibobError(RECEIVED_WITHOUT_REQUEST, "advice_received_on")
    if data.advice_outcome and data.advice_outcome not in BibobAdvice.labels():
        raise BibobError(NEED_OUTCOME, "advice_outcome")
    if data.advice_received_on is not None and not data.advice_outcome:
        raise BibobError(NEED_OUTCOME, "advice_outcome")
    if data.advice_outcome and data.advice_received_on is None:
        raise BibobError(NEED_RECEIVED_ON, "advice_received_on")
    if (data.advice_received_on is not None and data.advice_requested_on is not None
            and data.advice_received_on < data.advice_requested_on):
        raise BibobError(RECEIVED_BEFORE_REQUEST, "advice_received_on")
    if data.notes and len(data.notes) > MAX_NOTES:
        raise BibobError(f"Gebruik hooguit {MAX_NOTES} tekens.", "notes")
    if data.zaaknummer and len(data.zaaknummer) > MAX_ZAAKNUMMER:
        raise BibobError(f"Een zaaknummer is hooguit {MAX_ZAAKNUMMER} tekens.", "zaaknummer")


def _fill(row: BibobRecord, data: BibobInput) -> None:
    row.body, row.decision_kind = data.body, data.decision_kind
    row.investigated_on = data.investigated_on
    row.advice_requested = data.advice_requested
    row.advice_requested_on = data.advice_requested_on
    row.advice_received_on = data.advice_received_on
    row.advice_outcome = data.advice_outcome or None
    row.notes = (data.notes or "").strip() or None
    row.zaaknummer = (data.zaaknummer or "").strip() or None


def record_bibob(actor, signal, data: BibobInput) -> BibobRecord:
    """A new Bibob record on the signal."""
    refuse_if_restricted(signal, BibobError)
    check(data)
    row = BibobRecord(signal_id=signal.id, created_by_id=getattr(actor, "id", None), created_at=utcnow())
    _fill(row, data)
    db.session.add(row)
    db.session.flush()
    record(actor, "bibob_record.recorded", row, purpose=PURPOSE)
    return row


def update_bibob(actor, row: BibobRecord, data: BibobInput) -> BibobRecord:
    """Change a record (e.g. when the advice comes in). The caller commits; a concurrent change
    is caught by the row's version."""
    refuse_if_restricted(row.signal, BibobError)
    check(data)
    _fill(row, data)
    row.updated_by_id, row.updated_at = getattr(actor, "id", None), utcnow()
    record(actor, "bibob_record.updated", row, purpose=PURPOSE)
    return row


def bibob_records_of(signal) -> list[BibobRecord]:
    return list(db.session.scalars(
        select(BibobRecord).where(BibobRecord.signal_id == signal.id).order_by(BibobRecord.created_at)
    ))


def record_viewed(actor, rows) -> None:
    """One `bibob_record.viewed` per record shown."""
    for row in rows:
        record(actor, "bibob_record.viewed", row, purpose=PURPOSE)


def count_of(signal) -> int:
    """How many Bibob records the signal has (the workspace shows the number, never content)."""
    return len(db.session.scalars(select(BibobRecord.id).where(BibobRecord.signal_id == signal.id)).all())
