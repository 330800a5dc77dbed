"""Blind indexes: find other signals about the same person, organisation, KvK or address
without storing plaintext. Lookups fetch candidates by index, decrypt and compare exactly.
"""

import re

from flask import current_app
from sqlalchemy import select

from casustafel import crypto
from casustafel.extensions import db
from casustafel.models import Location, Subject
from casustafel.models.base import keyring

# kind → the entity's blind-index column. "name" is the name of any subject, a person's too
# (so a person is found without a birth date): it shares the organisation column and its key,
# so an organisation's index is the same under both; the kind is checked after decryption.
COLUMNS = {"person": "person_bidx", "name": "organisation_bidx", "organisation": "organisation_bidx",
           "kvk": "kvk_bidx", "address": "address_bidx"}
INDEX_NAMES = {"name": "organisation"}  # kind → the key its index is made with, when not its own


def _index(kind: str, *parts: str, kid: int | None = None) -> int:
    name = INDEX_NAMES.get(kind, kind)
    return crypto.blind_index(keyring(), name, *parts, bits=current_app.config["BLIND_INDEX_BITS"], kid=kid)


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


def blind_index(kind: str, *values, kid: int | None = None) -> int | None:
    """Return the blind index of `kind` for raw values, or None when a part is missing.

    Under the primary `bidx` key unless `kid` names another (key rotation).
    """
    key = KEYS[kind](*values)
    if not key:
        return None
    return _index(kind, *key) if kid is None else _index(kind, *key, kid=kid)


def subject_indexes(subject, kid: int | None = None) -> dict[str, int | None]:
    """The blind-index columns of a subject, computed from its decrypted fields."""
    person = subject.kind == "persoon"
    return {
        "person_bidx": blind_index("person", subject.name, subject.birth_date, kid=kid) if person else None,
        "organisation_bidx": blind_index("name", subject.name, kid=kid),  # every subject's name
        "kvk_bidx": None if person else blind_index("kvk", subject.kvk_number, kid=kid),
        "address_bidx": blind_index(
            "address", subject.postcode, subject.house_number, subject.house_number_addition, kid=kid
        ),
    }


def location_indexes(location, kid: int | None = None) -> dict[str, int | None]:
    """The blind-index column of a location, computed from its decrypted address."""
    return {
        "address_bidx": blind_index(
            "address", location.postcode, location.house_number, location.house_number_addition, kid=kid
        ),
    }


# table → function computing its blind-index columns; key rotation re-indexes exactly these.
INDEXED_TABLES = {"subject": subject_indexes, "location": location_indexes}


def index_subject(subject) -> None:
    """Set every blind-index column of a subject from its decrypted fields (primary key)."""
    for column, value in subject_indexes(subject).items():
        setattr(subject, column, value)


def index_location(location) -> None:
    for column, value in location_indexes(location).items():
        setattr(location, column, value)


def key_indexes(kind: str, key: tuple | None) -> list[int]:
    """Every blind index a normalised value of `kind` may carry: one per `bidx` key, primary first.

    While a `bidx` rotation runs, rows carry the index under the old or the new key; looking
    up under every key in the keyring finds both. Empty for a missing value.
    """
    if not key:
        return []
    ring = keyring()
    primary = ring.primary_kid("bidx")
    indexes: list[int] = []
    for kid in (None, *(k for k in ring.kids("bidx") if k != primary)):  # None: the primary
        index = _index(kind, *key) if kid is None else _index(kind, *key, kid=kid)
        if index not in indexes:
            indexes.append(index)
    return indexes


def lookup_indexes(kind: str, *values) -> list[int]:
    """Every blind index a stored value of `kind` (raw values) may carry, primary key first."""
    return key_indexes(kind, KEYS[kind](*values))


def find_entities(kind: str, *values) -> list:
    """Subjects (and, for addresses, locations) whose value of `kind` equals `values` exactly.

    Candidates come by blind index; each is decrypted and compared on the normalised value,
    so a blind-index collision never returns someone else. Used for data-subject requests,
    the privacy officer's log search and the coordinator's search on the inbox; callers log
    the lookup with its purpose.
    """
    wanted = KEYS[kind](*values)
    indexes = lookup_indexes(kind, *values)
    if wanted is None or not indexes:
        return []
    column = COLUMNS[kind]
    models = (Subject, Location) if kind == "address" else (Subject,)  # a location has no name
    found = []
    for model in models:
        for entity in db.session.scalars(select(model).where(getattr(model, column).in_(indexes))):
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
