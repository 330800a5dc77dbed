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
