"""Reading the access log for the privacy officer: filters, keyset pages, shielding.

Pages are keyset-based on (occurred_at, seq), never OFFSET: the log holds millions of rows.

Only the act of reporting is shielded: the events recorded with the purpose `melding` (a
submission and its uploads, answers to the coordinator's questions, the reporter's own views in
Mijn meldingen). They never appear in the stream of events, a timeline or a user's history;
they are counted per day and per signal, without who, without the time of day and without a
place in the sequence, so neither their time, their position nor their neighbours (the
reporter's login) tie a signal to its reporter. Every other event shows its user. Sequence
numbers are never shown and page cursors are opaque, so gaps cannot be counted either.
"""

import base64
import uuid
from dataclasses import dataclass
from datetime import date

from flask import g
from sqlalchemy import func, or_, select, tuple_

from casustafel import crypto, dates
from casustafel.audit import labels
from casustafel.extensions import db
from casustafel.models import AuditEvent, Location, ProcessingActivity, Signal, Subject, User
from casustafel.models.base import keyring

PAGE_SIZE = 50
SHIELDED_PURPOSE = "melding"  # the act of reporting
_CURSOR_ROW = uuid.UUID(int=0)  # the associated data of a cursor names no row


@dataclass
class LogFilter:
    """What the privacy officer asked for. Empty fields filter nothing."""

    actor_id: uuid.UUID | None = None
    object_ids: list[str] | None = None  # a signal's or a data subject's objects
    action: str | None = None  # exact, or a prefix when it ends with "."
    result: str | None = None
    date_from: date | None = None
    date_until: date | None = None  # inclusive
    involving_user: uuid.UUID | None = None  # the user's timeline: by them or about their account


def visible():
    """Every event but the shielded acts of reporting."""
    return or_(AuditEvent.purpose.is_(None), AuditEvent.purpose != SHIELDED_PURPOSE)


def shielded():
    return AuditEvent.purpose == SHIELDED_PURPOSE


def encode_cursor(seq: int | None) -> str | None:
    """An opaque page cursor: the privacy officer can follow it, not read or forge it, so no
    sequence number (and no gap left by a shielded event) is ever visible."""
    if seq is None:
        return None
    blob = crypto.encrypt_field(keyring(), "audit_event", "cursor", _CURSOR_ROW, str(seq))
    return base64.urlsafe_b64encode(blob).decode().rstrip("=")


def decode_cursor(token: str | None) -> int | None:
    if not token or len(token) > 200:
        return None
    try:
        blob = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        return int(crypto.decrypt_field(keyring(), "audit_event", "cursor", _CURSOR_ROW, blob))
    except (ValueError, crypto.DecryptionError, crypto.KeyringError):
        return None


def conditions(f: LogFilter, *, include_actor: bool = True) -> list:
    where = []
    if f.actor_id is not None and include_actor:
        where.append(AuditEvent.actor_id == f.actor_id)
    if f.involving_user is not None and include_actor:
        where.append(or_(AuditEvent.actor_id == f.involving_user, AuditEvent.object_id == str(f.involving_user)))
    if f.object_ids is not None:
        where.append(AuditEvent.object_id.in_(f.object_ids or ["-"]))
    if f.action:
        if f.action.endswith("."):
            where.append(AuditEvent.action.startswith(f.action, autoescape=True))
        else:
            where.append(AuditEvent.action == f.action)
    if f.result:
        where.append(AuditEvent.result == f.result)
    if f.date_from:
        where.append(AuditEvent.occurred_at >= dates.day_start_utc(f.date_from))
    if f.date_until:
        where.append(AuditEvent.occurred_at < dates.day_window(f.date_until, f.date_until)[1])
    return where


def page(f: LogFilter, *, before: int | None = None, after: int | None = None,
         newest_first: bool = True, size: int = PAGE_SIZE) -> tuple[list[AuditEvent], int | None]:
    """One page of events and the cursor (a seq) for the next page, or None at the end."""
    stmt = select(AuditEvent).where(*conditions(f), visible())
    key = tuple_(AuditEvent.occurred_at, AuditEvent.seq)
    cursor = before if newest_first else after
    if cursor is not None:
        at = db.session.scalar(select(AuditEvent.occurred_at).where(AuditEvent.seq == cursor, visible()))
        if at is not None:
            stmt = stmt.where(key < tuple_(at, cursor) if newest_first else key > tuple_(at, cursor))
    if newest_first:
        stmt = stmt.order_by(AuditEvent.occurred_at.desc(), AuditEvent.seq.desc())
    else:
        stmt = stmt.order_by(AuditEvent.occurred_at, AuditEvent.seq)
    events = db.session.scalars(stmt.limit(size + 1)).all()
    more = len(events) > size
    events = events[:size]
    return events, (events[-1].seq if more else None)


def batches(f: LogFilter, size: int = 5000, limit: int | None = None):
    """Every matching event, newest first, in keyset batches (for the export)."""
    before, seen = None, 0
    while True:
        events, before = page(f, before=before, size=size)
        for ev in events:
            yield ev
            seen += 1
            if limit is not None and seen >= limit:
                return
        db.session.expunge_all()
        if before is None:
            return


def shielded_counts(f: LogFilter) -> list[tuple[date, str, str | None, int]]:
    """The shielded acts of reporting the filter covers, as (Dutch day, action, object id,
    count), ordered by day, action and object: never by time or sequence. A filter by user
    finds none of them."""
    if f.actor_id is not None or f.involving_user is not None:
        return []
    counts: dict[tuple, int] = {}
    rows = db.session.execute(select(AuditEvent.occurred_at, AuditEvent.action, AuditEvent.object_id)
                              .where(*conditions(f), shielded()).execution_options(yield_per=5000))
    for at, action, object_id in rows:
        key = (dates.to_local(at).date(), action, object_id)
        counts[key] = counts.get(key, 0) + 1
    return sorted(((day, action, object_id, n) for (day, action, object_id), n in counts.items()),
                  key=lambda r: (r[0], r[1], r[2] or ""), reverse=True)


def shielded_total(f: LogFilter) -> int:
    if f.actor_id is not None or f.involving_user is not None:
        return 0
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions(f), shielded())) or 0


def shielded_label(action: str) -> str:
    return labels.action_label(action)


def activity_label(code: str | None) -> str:
    """The register's name for an event's processing activity ("—" on events from before 0019)."""
    if code is None:
        return "—"
    if "activity_names" not in g:
        g.activity_names = dict(db.session.execute(select(ProcessingActivity.code, ProcessingActivity.name)).all())
    return g.activity_names.get(code, code)


def actors_for(events) -> dict:
    """The users the events name (shielded events never reach here)."""
    ids = {e.actor_id for e in events if e.actor_id}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def _uuids(values) -> set[uuid.UUID]:
    found = set()
    for value in values:
        try:
            found.add(uuid.UUID(value))
        except (ValueError, TypeError, AttributeError):
            continue
    return found


def references_for(events) -> dict[str, str]:
    """The signal reference (not personal data) for every object on the page that is a signal
    or belongs to one (a subject, an attachment, a weighing, a referral, ...), by object id.
    One query per kind of object on the page, never per event."""
    by_type: dict[str, set[str]] = {}
    for e in events:
        if e.object_id and e.object_type:
            by_type.setdefault(e.object_type, set()).add(e.object_id)
    signal_of: dict[str, uuid.UUID] = {str(i): i for i in _uuids(by_type.pop("signal", ()))}
    tables = {t.name: t for t in signal_tables()}
    for object_type, ids in by_type.items():
        table = tables.get(object_type)
        wanted = _uuids(ids)
        if table is None or not wanted:
            continue
        for object_id, signal_id in db.session.execute(
                select(table.c.id, table.c.signal_id).where(table.c.id.in_(wanted))):
            if signal_id is not None:
                signal_of[str(object_id)] = signal_id
    if not signal_of:
        return {}
    references = dict(db.session.execute(
        select(Signal.id, Signal.reference).where(Signal.id.in_(set(signal_of.values())))).all())
    return {object_id: references[s] for object_id, s in signal_of.items() if s in references}


def users_for(events) -> dict[str, User]:
    """The user accounts the page's events are about (object type user_account), by object id."""
    ids = _uuids(e.object_id for e in events if e.object_type == User.__tablename__)
    if not ids:
        return {}
    return {str(u.id): u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def actor_label(event, actors) -> str:
    user = actors.get(event.actor_id)
    return user.display_name if user else "—"


def signal_tables():
    """Tables whose rows belong to one signal (they have an id and a signal_id column)."""
    for table in db.metadata.sorted_tables:
        if "signal_id" in table.c and "id" in table.c and table.name != "signal":
            yield table


def signal_object_ids(signal_ids) -> list[str]:
    """The signals' ids and the ids of everything belonging to them (subjects, attachments,
    weighings, checks, actions, referrals, agenda items, ...): what log events name."""
    signal_ids = list(signal_ids)
    if not signal_ids:
        return []
    ids = {str(s) for s in signal_ids}
    for table in signal_tables():
        ids.update(str(v) for v in db.session.scalars(
            select(table.c.id).where(table.c.signal_id.in_(signal_ids))
        ))
    return sorted(ids)


def signal_by_reference(reference: str) -> Signal | None:
    return db.session.scalar(select(Signal).where(Signal.reference == reference.strip().upper()))


def subject_object_ids(entity_ids: list[str]) -> tuple[list[str], list[Signal]]:
    """Object ids about data subjects (Subject or Location ids) and the signals they are in."""
    uuids = []
    for value in entity_ids:
        try:
            uuids.append(uuid.UUID(value))
        except (ValueError, TypeError):
            continue
    if not uuids:
        return [], []
    signal_ids = set(db.session.scalars(select(Subject.signal_id).where(Subject.id.in_(uuids))))
    signal_ids |= set(db.session.scalars(select(Location.signal_id).where(Location.id.in_(uuids))))
    signals = db.session.scalars(
        select(Signal).where(Signal.id.in_(signal_ids)).order_by(Signal.reference)
    ).all() if signal_ids else []
    return sorted({str(u) for u in uuids} | set(signal_object_ids(signal_ids))), signals
