"""The coordinator's search: a signal by its reference, or by a person, organisation, KvK number
or address in it, through the blind indexes.

Every personal criterion goes through linking.find_entities: candidates come by blind index,
are decrypted and compared exactly on the normalised value, so a blind-index collision never
shows an unrelated signal. Several criteria narrow the search (a signal must match each).
Logged as one `signal.searched` with its purpose, the kinds searched and the pseudonyms of the
subjects found (as the privacy officer's subject lookup logs them); never what was typed.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from casustafel import linking
from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.models import Phenomenon, Signal

PURPOSE = "casustafel"
LIMIT = 100  # signals shown; a coordinator with more narrows the search

# What a row of the inbox table needs, loaded for a whole page in a fixed number of queries
# (the list in signals/inbox.py and the search's results show the same table).
ROW_LOAD = (
    joinedload(Signal.phenomenon).joinedload(Phenomenon.parent),
    joinedload(Signal.owner),
    selectinload(Signal.locations),
    selectinload(Signal.subjects),
)

# The kinds as logged in reason_code, in this order.
KINDS = ("kenmerk", "persoon", "organisatie", "kvk", "adres")


@dataclass
class SearchQuery:
    reference: str | None = None
    name: str | None = None
    birth_date: date | None = None
    organisation: str | None = None
    kvk_number: str | None = None
    postcode: str | None = None
    house_number: str | None = None
    addition: str | None = None

    def kinds(self) -> list[str]:
        filled = {
            "kenmerk": self.reference,
            "persoon": self.name,
            "organisatie": self.organisation,
            "kvk": self.kvk_number,
            "adres": self.postcode and self.house_number,
        }
        return [kind for kind in KINDS if filled[kind]]

    def is_empty(self) -> bool:
        return not self.kinds()


@dataclass
class SearchResult:
    signals: list[Signal]
    kinds: list[str]
    more: bool = False  # more than LIMIT signals matched
    subject_ids: list[str] = field(default_factory=list)


def _entities(kind: str, query: SearchQuery) -> list:
    """The subjects (and, for an address, locations) that match one criterion exactly."""
    if kind == "persoon":
        if query.birth_date:
            return linking.find_entities("person", query.name, query.birth_date.isoformat())
        return [e for e in linking.find_entities("name", query.name) if e.kind == "persoon"]
    if kind == "organisatie":
        return linking.find_entities("organisation", query.organisation)
    if kind == "kvk":
        return linking.find_entities("kvk", query.kvk_number)
    return linking.find_entities("address", query.postcode, query.house_number, query.addition)


def search(actor, query: SearchQuery) -> SearchResult:
    """The signals that match every criterion of `query`, newest first, at most LIMIT."""
    kinds = query.kinds()
    signal_ids: set | None = None
    entities = []
    for kind in kinds:
        if kind == "kenmerk":
            found = set(db.session.scalars(select(Signal.id).where(Signal.reference == query.reference)))
        else:
            matched = _entities(kind, query)
            entities += matched
            found = {e.signal_id for e in matched}
        signal_ids = found if signal_ids is None else signal_ids & found
        if not signal_ids:
            break
    signals = []
    if signal_ids:
        signals = db.session.scalars(
            select(Signal).where(Signal.id.in_(signal_ids))
            .options(*ROW_LOAD)
            .order_by(Signal.received_at.desc(), Signal.reference).limit(LIMIT + 1)
        ).unique().all()
    shown = {s.id for s in signals[:LIMIT]}
    subject_ids = sorted({str(e.id) for e in entities if e.signal_id in shown})
    record(actor, "signal.searched", object_type="signal", purpose=PURPOSE, reason_code=",".join(kinds),
           subjects=subject_ids or None)
    return SearchResult(signals=signals[:LIMIT], kinds=kinds, more=len(signals) > LIMIT, subject_ids=subject_ids)
