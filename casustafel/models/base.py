"""Shared model helpers: UUID keys, timestamps and encrypted attributes."""

import uuid
from enum import StrEnum

from flask import current_app

from casustafel import crypto


def new_uuid() -> uuid.UUID:
    return uuid.uuid4()


def keyring() -> crypto.Keyring:
    return current_app.extensions["casustafel_keyring"]


class Encrypted:
    """Expose a `<name>_enc` bytes column as plaintext; bind each value to its row and column.

    The row UUID is assigned before the first encryption so the associated data is known
    before insert. A value that fails to decrypt raises DecryptionError for that record only.
    """

    def __init__(self, column: str | None = None):
        self.column = column

    def __set_name__(self, owner, name):
        self.name = name
        self.column = self.column or f"{name}_enc"

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        blob = getattr(obj, self.column)
        if blob is None:
            return None
        cache = obj.__dict__.setdefault("_plaintext_cache", {})
        hit = cache.get(self.name)
        if hit is not None and hit[0] is blob:
            return hit[1]
        value = crypto.decrypt_field(keyring(), owner.__tablename__, self.name, obj.id, blob)
        cache[self.name] = (blob, value)
        return value

    def __set__(self, obj, value):
        if value is None or value == "":
            setattr(obj, self.column, None)
            return
        if obj.id is None:
            obj.id = new_uuid()
        blob = crypto.encrypt_field(keyring(), type(obj).__tablename__, self.name, obj.id, value)
        setattr(obj, self.column, blob)


class Vocabulary(StrEnum):
    """A closed list of codes with their Dutch labels: the code is stored, the label shown.

    Members are strings, so `signal.status == SignalStatus.AFGESLOTEN` holds for a status read
    from the database, in Python and in templates (every vocabulary is a template global).
    """

    def __new__(cls, code: str, label: str):
        member = str.__new__(cls, code)
        member._value_ = code
        member.label = label
        return member

    @classmethod
    def labels(cls) -> dict[str, str]:
        """Code → label, in the order of the list (for choices and lookups)."""
        return {member.value: member.label for member in cls}
