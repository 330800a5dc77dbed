"""Shared model helpers: UUID keys, timestamps and encrypted attributes."""

import uuid
from calendar import monthrange
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app

from casustafel import crypto

LOCAL_ZONE = ZoneInfo("Europe/Amsterdam")  # what users see; everything is stored in UTC


def local_time(moment, fmt: str = "%d-%m-%Y %H:%M") -> str:
    """A stored UTC timestamp (naive) as Dutch local time, for display only."""
    if moment is None:
        return ""
    return moment.replace(tzinfo=UTC).astimezone(LOCAL_ZONE).strftime(fmt)


def add_months(moment, count: int):
    """The same date (or moment) `count` calendar months later or earlier; a day that month
    lacks becomes its last day (31 January + 1 → 28/29 February)."""
    index = moment.year * 12 + moment.month - 1 + count
    year, month = index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def start_of_day_utc(day) -> datetime:
    """Local midnight of `day` as a naive UTC timestamp, to compare with stored times."""
    return datetime.combine(day, time.min).astimezone(UTC).replace(tzinfo=None)


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
