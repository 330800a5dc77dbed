"""Blind indexes: find other signals about the same person, organisation, KvK or address
without storing plaintext. Lookups fetch candidates by index, decrypt and compare exactly.
"""

from flask import current_app

from casustafel import crypto
from casustafel.models.base import keyring


def _index(name: str, *parts: str) -> int:
    return crypto.blind_index(keyring(), name, *parts, bits=current_app.config["BLIND_INDEX_BITS"])


def person_key(name: str | None, birth_date: str | None) -> tuple[str, str] | None:
    if not name or not birth_date:
        return None
    return crypto.normalize_text(name), birth_date


def organisation_key(name: str | None) -> tuple[str] | None:
    return (crypto.normalize_text(name),) if name else None


def kvk_key(kvk: str | None) -> tuple[str] | None:
    return (crypto.normalize_kvk(kvk),) if kvk else None


def address_key(postcode: str | None, number, addition: str | None = None) -> tuple[str, str] | None:
    if not postcode or not number:
        return None
    return crypto.normalize_postcode(postcode), crypto.normalize_housenumber(str(number), addition or "")


KEYS = {
    "person": person_key,
    "organisation": organisation_key,
    "kvk": kvk_key,
    "address": address_key,
}


def blind_index(kind: str, *values) -> int | None:
    """Return the blind index of `kind` for raw values, or None when a part is missing."""
    key = KEYS[kind](*values)
    return _index(kind, *key) if key else None


def index_subject(subject) -> None:
    """Set every blind-index column of a subject from its decrypted fields."""
    if subject.kind == "persoon":
        subject.person_bidx = blind_index("person", subject.name, subject.birth_date)
        subject.organisation_bidx = None
        subject.kvk_bidx = None
    else:
        subject.person_bidx = None
        subject.organisation_bidx = blind_index("organisation", subject.name)
        subject.kvk_bidx = blind_index("kvk", subject.kvk_number)
    subject.address_bidx = blind_index(
        "address", subject.postcode, subject.house_number, subject.house_number_addition
    )


def index_location(location) -> None:
    location.address_bidx = blind_index(
        "address", location.postcode, location.house_number, location.house_number_addition
    )


def lookup_indexes(kind: str, *values) -> list[int]:
    """Every blind index a stored value of `kind` may carry (one per key in use).

    Key rotation extends this to the old and the new `bidx` key while re-indexing runs.
    """
    index = blind_index(kind, *values)
    return [index] if index is not None else []


def find_entities(kind: str, *values) -> list:
    """Subjects (and, for addresses, locations) whose value of `kind` equals `values` exactly.

    Candidates come by blind index; each is decrypted and compared on the normalised value,
    so a blind-index collision never returns someone else. Used for data-subject requests
    and the privacy officer's log search; callers log the lookup with its purpose.
    """
    from sqlalchemy import select

    from casustafel.extensions import db
    from casustafel.models import Location, Subject
    from casustafel.signals.linked import KINDS, exact_key

    wanted = KEYS[kind](*values)
    indexes = lookup_indexes(kind, *values)
    if wanted is None or not indexes:
        return []
    column = KINDS[kind][0]
    models = (Subject, Location) if kind == "address" else (Subject,)
    found = []
    for model in models:
        for entity in db.session.scalars(select(model).where(getattr(model, column).in_(indexes))):
            if exact_key(kind, entity) == wanted:
                found.append(entity)
    return found
