"""Other signals about the same person, organisation, KvK number or address (README “Security design”).

Candidates are fetched by blind index, one query per index kind, then decrypted and compared
on the normalised value, so a blind-index collision never links two different people.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from casustafel import linking
from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.models import Location, Signal, Subject

# kind → (column on the entity, wording after "N andere meldingen").
KINDS = {
    "person": (linking.COLUMNS["person"], "over deze persoon"),
    "organisation": (linking.COLUMNS["organisation"], "over deze organisatie"),
    "kvk": (linking.COLUMNS["kvk"], "met dit KvK-nummer"),
    "address": (linking.COLUMNS["address"], "op dit adres"),
}


@dataclass
class Link:
    """The other signals sharing one kind of value with one subject or location."""

    kind: str
    signals: list[Signal] = field(default_factory=list)
    subject_ids: dict = field(default_factory=lambda: defaultdict(list))  # signal id → matched subject ids

    @property
    def wording(self) -> str:
        return KINDS[self.kind][1]

    @property
    def summary(self) -> str:
        count = len(self.signals)
        return f"{count} {'andere melding' if count == 1 else 'andere meldingen'} {self.wording}"


def _kinds_of(entity) -> tuple[str, ...]:
    return tuple(KINDS) if isinstance(entity, Subject) else ("address",)


def _candidates(model, column: str, terms: set[tuple[int, int]], signal_id) -> list:
    """Rows of `model` other than the signal's own whose (width, index) is one of `terms`."""
    if not terms:
        return []
    by_width: dict[int, list[int]] = defaultdict(list)
    for bits, index in sorted(terms):
        by_width[bits].append(index)
    return db.session.scalars(
        select(model)
        .options(joinedload(model.signal))
        .where(linking.matches(model, column, by_width), model.signal_id != signal_id)
    ).all()


def find_linked(signal: Signal) -> dict:
    """Map each subject and location id of `signal` to its Links (only kinds with matches)."""
    entities = [*signal.subjects, *signal.locations]
    # kind → (width, bidx) → [(entity, key)]
    wanted: dict[str, dict] = {kind: defaultdict(list) for kind in KINDS}
    for entity in entities:
        for kind in _kinds_of(entity):
            key = linking.exact_key(kind, entity)
            # Every index the value may carry (one per bidx key and width in use), not the
            # entity's own stored one: during a bidx rotation or a change of width two rows with
            # the same value may carry different indexes.
            for bits, indexes in linking.key_terms(kind, key).items():
                for bidx in indexes:
                    wanted[kind][(bits, bidx)].append((entity, key))

    links: dict = defaultdict(dict)  # entity id → kind → Link
    for kind, by_index in wanted.items():
        column = KINDS[kind][0]
        candidates = _candidates(Subject, column, set(by_index), signal.id)
        if kind == "address":
            candidates += _candidates(Location, column, set(by_index), signal.id)
        for candidate in candidates:
            key = linking.exact_key(kind, candidate)
            for entity, wanted_key in by_index[(candidate.bidx_bits, getattr(candidate, column))]:
                if key != wanted_key:
                    continue  # a blind-index collision: a different value
                link = links[entity.id].setdefault(kind, Link(kind))
                if candidate.signal not in link.signals:
                    link.signals.append(candidate.signal)
                if isinstance(candidate, Subject):
                    link.subject_ids[candidate.signal.id].append(candidate.id)
    for by_kind in links.values():
        for link in by_kind.values():
            link.signals.sort(key=lambda s: s.received_at, reverse=True)
    return {entity_id: list(by_kind.values()) for entity_id, by_kind in links.items()}


def record_linked_viewed(actor, linked: dict) -> None:
    """Log one `signal.linked_viewed` per other signal shown, with its matched subjects."""
    shown: dict = {}
    subjects: dict = defaultdict(set)
    for link in (link for links in linked.values() for link in links):
        for other in link.signals:
            shown[other.id] = other
            subjects[other.id].update(str(i) for i in link.subject_ids.get(other.id, ()))
    for other_id, other in shown.items():
        record(actor, "signal.linked_viewed", other, subjects=sorted(subjects[other_id]) or None,
               purpose="casustafel")
