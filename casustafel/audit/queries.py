"""Reading the access log for the privacy officer: filters, keyset pages, masking.

Pages are keyset-based on (occurred_at, seq), never OFFSET: the log holds millions of rows.
Events recorded in the reporter role never show who acted or from where, and are left out
of a filter by user: who reported a signal is for the coordinator only (DOMAIN.md §3).
"""

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select, tuple_

from casustafel import dates
from casustafel.extensions import db
from casustafel.models import AuditEvent, Location, Signal, Subject, User
from casustafel.permissions import Role

PAGE_SIZE = 50
RESULT_LABELS = {"success": "gelukt", "denied": "geweigerd", "failed": "mislukt"}
REPORTER = Role.REPORTER.value


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


def not_reporter_role():
    return or_(AuditEvent.actor_role.is_(None), AuditEvent.actor_role != REPORTER)


def conditions(f: LogFilter) -> list:
    where = []
    if f.actor_id is not None:
        where += [AuditEvent.actor_id == f.actor_id, not_reporter_role()]
    if f.involving_user is not None:
        where += [or_(AuditEvent.actor_id == f.involving_user, AuditEvent.object_id == str(f.involving_user)),
                  not_reporter_role()]
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
    stmt = select(AuditEvent).where(*conditions(f))
    key = tuple_(AuditEvent.occurred_at, AuditEvent.seq)
    cursor = before if newest_first else after
    if cursor is not None:
        at = db.session.scalar(select(AuditEvent.occurred_at).where(AuditEvent.seq == cursor))
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


def actors_for(events) -> dict:
    """Users named by events, except events in the reporter role (masked)."""
    ids = {e.actor_id for e in events if e.actor_id and e.actor_role != REPORTER}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def actor_label(event, actors) -> str:
    if event.actor_role == REPORTER:
        return "melder (afgeschermd)"
    user = actors.get(event.actor_id)
    return user.display_name if user else "—"


def origin_label(event) -> str:
    return "" if event.actor_role == REPORTER else (event.origin or "")


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
