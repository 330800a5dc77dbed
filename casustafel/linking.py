"""Blind indexes: find other signals about the same person, organisation, KvK or address
without storing plaintext. Lookups fetch candidates by index, decrypt and compare exactly.

Width: the installation's width lives in `blind_index_width` (models.BlindIndexWidth), and each
indexed row stores the width it was made with (`bidx_bits`). New indexes are made at the
installation's width; a lookup computes the index at every width in use (two while
`flask blind-index rewidth` runs) and compares each with rows of that width only, so no row is
missed and no coincidence across widths is fetched. docs/security.md "Blind-index leakage".
"""

import re
from typing import NamedTuple

from sqlalchemy import and_, event, or_, select
from sqlalchemy.orm import Session

from casustafel import crypto
from casustafel.extensions import db
from casustafel.models import BlindIndexWidth, Location, Subject
from casustafel.models.base import keyring
from casustafel.models.blind_index import WIDTH_ROW

# kind → the entity's blind-index column. "name" is the name of any subject, a person's too
# (so a person is found without a birth date): it shares the organisation column and its key,
# so an organisation's index is the same under both; the kind is checked after decryption.
COLUMNS = {"person": "person_bidx", "name": "organisation_bidx", "organisation": "organisation_bidx",
           "kvk": "kvk_bidx", "address": "address_bidx"}
INDEX_NAMES = {"name": "organisation"}  # kind → the key its index is made with, when not its own
WIDTH_COLUMN = "bidx_bits"  # on every indexed table: the width its row's indexes were made with


class BlindIndexWidthError(RuntimeError):
    """The installation's blind-index width is unknown (database not migrated)."""


class Width(NamedTuple):
    bits: int
    previous_bits: int | None


_CACHE = "casustafel_blind_index_width"


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
@event.listens_for(Session, "after_soft_rollback")
def _forget_width(session, *args) -> None:
    session.info.pop(_CACHE, None)


def width_state() -> Width:
    """The installation's width, read once per transaction (a lookup needs it for every value)."""
    cached = db.session.info.get(_CACHE)
    if cached is None:
        state = db.session.get(BlindIndexWidth, WIDTH_ROW)
        if state is None:
            raise BlindIndexWidthError(
                "De breedte van de blinde indexen staat niet in de database: voer `flask db upgrade` uit"
            )
        cached = db.session.info[_CACHE] = Width(state.bits, state.previous_bits)
    return cached


def current_width() -> int:
    """The width (bits) new blind indexes are made with."""
    return width_state().bits


def widths_in_use() -> list[int]:
    """Every width indexed rows may carry: the current one first, then the previous one while a
    change of width runs."""
    state = width_state()
    return [state.bits] + ([state.previous_bits] if state.previous_bits not in (None, state.bits) else [])


def _index(kind: str, *parts: str, kid: int | None = None, bits: int | None = None) -> int:
    name = INDEX_NAMES.get(kind, kind)
    return crypto.blind_index(keyring(), name, *parts, bits=current_width() if bits is None else bits, kid=kid)


def person_key(name: str | None, birth_date: str | None) -> tuple[str, str] | None:
    if not name or not birth_date:
        return None
    return crypto.normalize_text(name), birth_date


def organisation_key(name: str | None) -> tuple[str] | None:
    return (crypto.normalize_text(name),) if name else None


def kvk_key(kvk: str | None) -> tuple[str] | None:
    return (crypto.normalize_kvk(kvk),) if kvk else None


HOUSE_NUMBER_RE = re.compile(r"^([1-9][0-9]{0,4})\s*-?\s*([A-Za-z0-9]{0,6})$")


def split_house_number(value: str | None) -> tuple[str, str | None] | None:
    """'12', '12A', '12-a', '12 bis' → ('12', 'A'/'a'/'bis'/None); None when not a house number."""
    match = HOUSE_NUMBER_RE.match((value or "").strip())
    if not match:
        return None
    return match.group(1), match.group(2) or None


def address_key(postcode: str | None, number, addition: str | None = None) -> tuple[str, str] | None:
    if not postcode or not number:
        return None
    return crypto.normalize_postcode(postcode), crypto.normalize_housenumber(str(number), addition or "")


KEYS = {
    "person": person_key,
    "name": organisation_key,  # the same normalised name, whatever the subject's kind
    "organisation": organisation_key,
    "kvk": kvk_key,
    "address": address_key,
}


def blind_index(kind: str, *values, kid: int | None = None, bits: int | None = None) -> int | None:
    """Return the blind index of `kind` for raw values, or None when a part is missing.

    Under the primary `bidx` key unless `kid` names another (key rotation), at the
    installation's width unless `bits` names another (a change of width).
    """
    key = KEYS[kind](*values)
    if not key:
        return None
    return _index(kind, *key, kid=kid, bits=bits)


def _with_width(indexes: dict, bits: int | None) -> dict:
    """Add the width column: the width used, or None when the row has no index at all."""
    if all(value is None for value in indexes.values()):
        return {**indexes, WIDTH_COLUMN: None}
    return {**indexes, WIDTH_COLUMN: current_width() if bits is None else bits}


def subject_indexes(subject, kid: int | None = None, bits: int | None = None) -> dict[str, int | None]:
    """The blind-index columns of a subject (and their width), computed from its decrypted fields."""
    person = subject.kind == "persoon"
    bits = current_width() if bits is None else bits
    return _with_width({
        "person_bidx": blind_index("person", subject.name, subject.birth_date, kid=kid, bits=bits)
        if person else None,
        "organisation_bidx": blind_index("name", subject.name, kid=kid, bits=bits),  # every subject's name
        "kvk_bidx": None if person else blind_index("kvk", subject.kvk_number, kid=kid, bits=bits),
        "address_bidx": blind_index(
            "address", subject.postcode, subject.house_number, subject.house_number_addition, kid=kid, bits=bits
        ),
    }, bits)


def location_indexes(location, kid: int | None = None, bits: int | None = None) -> dict[str, int | None]:
    """The blind-index column of a location (and its width), computed from its decrypted address."""
    bits = current_width() if bits is None else bits
    return _with_width({
        "address_bidx": blind_index(
            "address", location.postcode, location.house_number, location.house_number_addition, kid=kid,
            bits=bits,
        ),
    }, bits)


# table → function computing its blind-index columns; key rotation re-indexes exactly these.
INDEXED_TABLES = {"subject": subject_indexes, "location": location_indexes}


def index_subject(subject) -> None:
    """Set every blind-index column of a subject from its decrypted fields (primary key)."""
    for column, value in subject_indexes(subject).items():
        setattr(subject, column, value)


def index_location(location) -> None:
    for column, value in location_indexes(location).items():
        setattr(location, column, value)


def key_indexes(kind: str, key: tuple | None, bits: int | None = None) -> list[int]:
    """Every blind index a normalised value of `kind` may carry at one width (the installation's
    unless `bits`): one per `bidx` key, primary first.

    While a `bidx` rotation runs, rows carry the index under the old or the new key; looking
    up under every key in the keyring finds both. Empty for a missing value.
    """
    if not key:
        return []
    bits = current_width() if bits is None else bits
    ring = keyring()
    primary = ring.primary_kid("bidx")
    indexes: list[int] = []
    for kid in (primary, *(k for k in ring.kids("bidx") if k != primary)):
        index = _index(kind, *key, kid=kid, bits=bits)
        if index not in indexes:
            indexes.append(index)
    return indexes


def key_terms(kind: str, key: tuple | None) -> dict[int, list[int]]:
    """width → the blind indexes a normalised value of `kind` may carry at that width, for every
    width in use (see `widths_in_use`) and every `bidx` key. Empty for a missing value."""
    if not key:
        return {}
    return {bits: key_indexes(kind, key, bits) for bits in widths_in_use()}


def lookup_indexes(kind: str, *values) -> list[int]:
    """Every blind index a stored value of `kind` (raw values) may carry at the installation's
    width, primary key first."""
    return key_indexes(kind, KEYS[kind](*values))


def matches(model, column: str, terms: dict[int, list[int]]):
    """SQL condition: the row's `column` holds one of the indexes of its own width."""
    return or_(*(and_(getattr(model, WIDTH_COLUMN) == bits, getattr(model, column).in_(indexes))
                 for bits, indexes in terms.items()))


def find_entities(kind: str, *values) -> list:
    """Subjects (and, for addresses, locations) whose value of `kind` equals `values` exactly.

    Candidates come by blind index; each is decrypted and compared on the normalised value,
    so a blind-index collision never returns someone else. Used for data-subject requests,
    the privacy officer's log search and the coordinator's search on the inbox; callers log
    the lookup with its purpose.
    """
    wanted = KEYS[kind](*values)
    terms = key_terms(kind, wanted)
    if wanted is None or not terms:
        return []
    column = COLUMNS[kind]
    models = (Subject, Location) if kind == "address" else (Subject,)  # a location has no name
    found = []
    for model in models:
        for entity in db.session.scalars(select(model).where(matches(model, column, terms))):
            if exact_key(kind, entity) == wanted:
                found.append(entity)
    return found


def exact_key(kind: str, entity):
    """The normalised value the blind index of `kind` was made from, or None."""
    if kind == "person":
        return person_key(entity.name, entity.birth_date) if entity.kind == "persoon" else None
    if kind == "name":
        return organisation_key(entity.name)
    if kind == "organisation":
        return organisation_key(entity.name) if entity.kind == "organisatie" else None
    if kind == "kvk":
        return kvk_key(entity.kvk_number) if entity.kind == "organisatie" else None
    return address_key(entity.postcode, entity.house_number, entity.house_number_addition)
