"""Helpers shared by the tests, moved from tests/test_rotation.py."""

import hashlib

import pytest
from sqlalchemy import select

from casustafel import crypto, linking, rotation
from casustafel.extensions import db
from casustafel.signals.linked import find_linked


def field_fingerprints(keyring) -> dict:
    """(table, attribute, id) → SHA-256 of the plaintext of every encrypted value."""
    prints = {}
    for cls, fields in rotation.encrypted_fields():
        table = cls.__table__
        columns = [table.c[column] for _, column in fields]
        for row in db.session.execute(select(table.c.id, *columns)):
            for (attr, _), blob in zip(fields, row[1:], strict=True):
                if blob is not None:
                    plain = crypto.decrypt_field(keyring, table.name, attr, row[0], blob)
                    prints[(table.name, attr, str(row[0]))] = hashlib.sha256(plain.encode()).hexdigest()
    return prints


def file_fingerprints(keyring, store) -> dict:
    """(table, id) → SHA-256 of the decrypted content of every stored file."""
    prints = {}
    for cls, column in rotation.wrapped_key_columns():
        col = cls.__table__.c[column]
        for row_id, wrapped in db.session.execute(select(cls.__table__.c.id, col).where(col.isnot(None))):
            content = b"".join(store.open(row_id, wrapped, keyring))
            prints[(cls.__tablename__, str(row_id))] = hashlib.sha256(content).hexdigest()
    return prints


def search_results(queries, signals: int | None = None) -> dict:
    """find_entities for each query and find_linked for (the first `signals`) signals, as ids:
    must not change during a rotation."""
    from casustafel.models import Signal

    results = {}
    for kind, *values in queries:
        results[(kind, *values)] = sorted(str(e.id) for e in linking.find_entities(kind, *values))
    for signal in db.session.scalars(select(Signal).order_by(Signal.reference).limit(signals)):
        linked = find_linked(signal)
        results[signal.reference] = sorted(
            (str(entity_id), link.kind, sorted(s.reference for s in link.signals))
            for entity_id, links in linked.items() for link in links
        )
    return results


PEOPLE = [("Jan Jansen", "1980-01-02"), ("Müller", "1970-01-01"), ("Piet Pietersen", "1990-03-04")]


ADDRESSES = [("1234 AB", "1"), ("5678 CD", "12"), ("1234 AB", "2")]


QUERIES = [("person", "Jan Jansen", "1980-01-02"), ("person", "MULLER", "1970-01-01"),
           ("person", "Niemand", "2000-01-01"), ("address", "1234ab", "1"), ("address", "5678 CD", "12")]


@pytest.fixture
def signals(make_signal):
    made = []
    for i in range(9):
        made.append(make_signal(None, description=f"Melding {i}", person=PEOPLE[i % 3],
                                address=ADDRESSES[(i // 3) % 3], attachment=f"inhoud {i}".encode()))
    return made
