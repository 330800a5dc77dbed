"""Counters behind the anomaly page: the log counted once, per category, user and UTC hour.

The anomaly page used to scan every event of the period on each view; with millions of events
that grows with the log. Here each event is counted once: a view first catches up on the
events after the high-water mark (`audit_anomaly_state.last_seq`), adds them to the hour
buckets and moves the mark, in its own transaction and under the mark row's lock, so two views
at the same time never count an event twice (the second waits and finds the mark moved). The
page then reads only the buckets of its period, so its cost depends on the period, not on the
size of the log. Thresholds and office hours are applied when reading, so a changed setting
applies at once.

The counters are a cache derived from the log, never the record itself: the log stays
append-only and hash-chained, and nothing here writes to it. They are rebuilt from the log when
their state row is missing (a fresh database, `flask audit anomalies-rebuild`) or when the log
was replaced by one that is shorter (a restore); when log retention removed events, the hours
that held them are counted again from what is left.

Buckets (category, actor, hour):
- "read": content reads (views, downloads, exports; not the log itself, not logins, not the
  shielded act of reporting) by a known user;
- "toewijzing": denials of a member for meetings, agenda items, actions or signals;
- "geweigerd": every other denial (actor "anoniem" when there was no user).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, exists, func, literal, not_, or_, select, update

from casustafel import dates
from casustafel.audit.queries import visible
from casustafel.extensions import db
from casustafel.models import AuditAnomalyCount, AuditAnomalyState, AuditEvent, AuditHead, AuditPruned
from casustafel.models.roles import Role

READ = "read"
CATEGORIES = (READ, "toewijzing", "geweigerd")
ANONYMOUS = "anoniem"
ASSIGNMENT_OBJECTS = ("meeting", "agenda_item", "action", "signal")
CHUNK = 250_000  # sequence numbers counted per statement when catching up on many events
HOUR = timedelta(hours=1)
NO_SECURITY = -1  # audit_anomaly_state.pruned_count while no counter holds a security event

COUNTS = AuditAnomalyCount.__table__
STATE = AuditAnomalyState.__table__


@dataclass
class Bucket:
    category: str
    actor: str
    hour: datetime
    count: int
    first_at: datetime
    last_at: datetime
    min_seq: int
    max_seq: int
    security_count: int = 0
    # None: one hour, counted from the log. Read from the counters: "bulk" (one hour above the
    # threshold), "buiten_uren" (a user's reads outside office hours on one Dutch day, `hour`
    # its first hour), "denials" (one kind of denial of a user on one UTC day).
    grouped: str | None = None

    @property
    def local(self) -> datetime:
        return dates.to_local(self.hour)


def content_read():
    """Reading content: views, downloads, exports (not the log itself, not logins, and not a
    reporter's own views in Mijn meldingen: the act of reporting stays shielded)."""
    action = AuditEvent.action
    return (or_(action.like("%viewed"), action.like("%downloaded"), action.like("%exported"))
            & not_(action.startswith("audit.")) & not_(action.startswith("auth.")) & visible())


def denial_kind():
    """A member's denial for meetings and actions not theirs is "toewijzing"; others "geweigerd"."""
    return case((and_(AuditEvent.actor_role == Role.MEMBER.value, AuditEvent.object_type.in_(ASSIGNMENT_OBJECTS)),
                 "toewijzing"), else_="geweigerd")


def _postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def _hour():
    if _postgres():
        return func.date_trunc("hour", AuditEvent.occurred_at)
    return func.strftime("%Y-%m-%d %H:00:00", AuditEvent.occurred_at)


def _as_datetime(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def from_log(*where) -> list[Bucket]:
    """The buckets of the events matching `where`, counted from the log itself."""
    hour = _hour()
    aggregates = (func.count(), func.min(AuditEvent.occurred_at), func.max(AuditEvent.occurred_at),
                  func.min(AuditEvent.seq), func.max(AuditEvent.seq))
    reads = (select(literal(READ), AuditEvent.actor_id, hour, *aggregates, literal(0))
             .where(content_read(), AuditEvent.actor_id.is_not(None), *where)
             .group_by(AuditEvent.actor_id, hour))
    kind = denial_kind()
    security = func.sum(case((AuditEvent.action.startswith("auth."), 1), else_=0))
    denials = (select(kind, AuditEvent.actor_id, hour, *aggregates, security)
               .where(AuditEvent.result == "denied", visible(), *where)
               .group_by(kind, AuditEvent.actor_id, hour))
    found = []
    for stmt in (reads, denials):
        for category, actor, at, count, first, last, low, high, auth in db.session.execute(stmt):
            found.append(Bucket(category, str(actor) if actor else ANONYMOUS, _as_datetime(at), count,
                                _as_datetime(first), _as_datetime(last), low, high, int(auth or 0)))
    return found


def _merge(buckets: list[Bucket]) -> bool:
    """Add buckets to the stored counters (insert, or add to the bucket already there); True
    when one of them holds a security event."""
    if not buckets:
        return False
    if _postgres():
        from sqlalchemy.dialects.postgresql import insert

        lowest, highest = func.least, func.greatest
    else:
        from sqlalchemy.dialects.sqlite import insert

        lowest, highest = func.min, func.max
    stmt = insert(COUNTS)
    new = stmt.excluded
    stmt = stmt.on_conflict_do_update(index_elements=["category", "actor", "hour"], set_={
        "count": COUNTS.c.count + new.count,
        "first_at": lowest(COUNTS.c.first_at, new.first_at),
        "last_at": highest(COUNTS.c.last_at, new.last_at),
        "min_seq": lowest(COUNTS.c.min_seq, new.min_seq),
        "max_seq": highest(COUNTS.c.max_seq, new.max_seq),
        "security_count": COUNTS.c.security_count + new.security_count,
    })
    rows = []
    for b in buckets:
        local = b.local
        rows.append({
            "category": b.category, "actor": b.actor, "hour": b.hour, "local_day": local.date(),
            "local_hour": local.hour, "local_weekday": local.weekday(), "count": b.count, "first_at": b.first_at,
            "last_at": b.last_at, "min_seq": b.min_seq, "max_seq": b.max_seq, "security_count": b.security_count,
        })
    for start in range(0, len(rows), 1000):
        db.session.execute(stmt, rows[start:start + 1000])
    return any(b.security_count for b in buckets)


def _lock_state() -> tuple[int, int, int] | None:
    """Lock the mark row first, as appends lock audit_head; None when it is missing."""
    locked = db.session.execute(update(STATE).where(STATE.c.id == 1).values(last_seq=STATE.c.last_seq))
    if not locked.rowcount:
        return None
    return tuple(db.session.execute(
        select(STATE.c.last_seq, STATE.c.base_seq, STATE.c.pruned_count).where(STATE.c.id == 1)).one())


def _start_again() -> tuple[int, int, int]:
    """No state (a new database, or the cache was dropped): count the whole log anew."""
    db.session.execute(delete(COUNTS))
    if _postgres():
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(STATE).values(id=1, last_seq=0, base_seq=0, pruned_count=NO_SECURITY)
                       .on_conflict_do_nothing(index_elements=["id"]))
    return _lock_state()  # another view may have started at the same time: its mark counts


def _hour_ranges(hours: Iterable[datetime]) -> list[tuple[datetime, datetime]]:
    ranges = []
    for hour in sorted(set(hours)):
        if ranges and ranges[-1][1] == hour:
            ranges[-1] = (ranges[-1][0], hour + HOUR)
        else:
            ranges.append((hour, hour + HOUR))
    return ranges


def _recount_hours(hours: Iterable[datetime], upto: int) -> bool:
    """Count these hours again from what the log still holds (after retention removed events)."""
    security = False
    for start, end in _hour_ranges(hours):
        db.session.execute(delete(COUNTS).where(COUNTS.c.hour >= start, COUNTS.c.hour < end))
        security |= _merge(from_log(AuditEvent.occurred_at >= start, AuditEvent.occurred_at < end,
                                    AuditEvent.seq <= upto))
    return security


def _stubs() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditPruned))


def catch_up() -> int:
    """Count the events logged since the last call; return how many sequence numbers were read.

    Joins the caller's transaction (the view commits) and holds the mark row's lock until then.
    Lock order: the mark row, then (when the view logs itself) audit_head; appends and log
    retention lock only audit_head, so no two of them wait for each other in a circle."""
    db.session.flush()  # this transaction's own events are counted too
    state = _lock_state() or _start_again()
    last, base, pruned = state
    head = db.session.execute(select(AuditHead.last_seq, AuditHead.base_seq).where(AuditHead.id == 1)).first()
    head_last, head_base = (head.last_seq, head.base_seq) if head else (0, 0)
    security = False  # whether counters were added that hold security events
    if last > head_last:  # the log was replaced by a shorter one (a restore): count it anew
        db.session.execute(delete(COUNTS))
        last, base, pruned = 0, 0, NO_SECURITY
    if head_base > base:  # retention removed the oldest events
        db.session.execute(delete(COUNTS).where(COUNTS.c.max_seq <= head_base))
        partly = db.session.scalars(select(COUNTS.c.hour).where(COUNTS.c.min_seq <= head_base).distinct()).all()
        security |= _recount_hours(partly, last)
        base = head_base
    if pruned != NO_SECURITY:  # counters hold security events: did retention replace some by stubs?
        stubs = _stubs()
        if stubs != pruned:
            _recount_hours(db.session.scalars(
                select(COUNTS.c.hour).where(COUNTS.c.security_count > 0).distinct()).all(), last)
        held = db.session.scalar(select(exists().where(COUNTS.c.security_count > 0)))
        pruned = stubs if held else NO_SECURITY
    start = low = max(last, base)
    while low < head_last:
        high = min(low + CHUNK, head_last)
        security |= _merge(from_log(AuditEvent.seq > low, AuditEvent.seq <= high))
        low = high
    if security and pruned == NO_SECURITY:
        pruned = _stubs()
    db.session.execute(update(STATE).where(STATE.c.id == 1)
                       .values(last_seq=max(head_last, start), base_seq=base, pruned_count=pruned))
    return max(head_last - start, 0)


def rebuild() -> int:
    """Drop the counters and count the whole log again (`flask audit anomalies-rebuild`)."""
    db.session.execute(delete(STATE))
    return catch_up()


def stored(start: datetime, end: datetime, limit: int, office_start: int, office_end: int) -> list[Bucket]:
    """The stored counters of whole hours in [start, end) that make an anomaly, as few rows as
    there are anomalies: hours with more reads than `limit` ("bulk"), reads outside office hours
    summed per user and Dutch day ("buiten_uren"), denials summed per kind, user and UTC day."""
    c = COUNTS.c
    period = (c.hour >= start, c.hour < end)  # with the category: the (category, hour) index
    sums = (func.min(c.hour), func.sum(c.count), func.min(c.first_at), func.max(c.last_at), func.min(c.min_seq),
            func.max(c.max_seq))
    off = or_(c.local_weekday >= 5, c.local_hour < office_start, c.local_hour >= office_end)
    day = func.date_trunc("day", c.hour) if _postgres() else func.date(c.hour)
    statements = (
        ("bulk", select(c.category, c.actor, c.hour, c.count, c.first_at, c.last_at, c.min_seq, c.max_seq,
                        c.security_count)
         .where(c.category == READ, *period, c.count > limit)),
        ("buiten_uren", select(c.category, c.actor, *sums, literal(0))
         .where(c.category == READ, *period, off).group_by(c.category, c.actor, c.local_day)),
        ("denials", select(c.category, c.actor, *sums, func.sum(c.security_count))
         .where(c.category.in_(CATEGORIES[1:]), *period).group_by(c.category, c.actor, day)),
    )
    found = []
    for grouped, stmt in statements:
        found += [Bucket(*row, grouped=grouped) for row in db.session.execute(stmt)]
    return found


def buckets(start: datetime, end: datetime, limit: int, office_start: int, office_end: int) -> list[Bucket]:
    """The buckets of [start, end): whole hours from the counters (after catching up), the
    parts of an hour at either edge counted from the log (a period always starts and ends on
    a whole hour on the page; other callers may ask for any moment)."""
    catch_up()
    first_hour = start.replace(minute=0, second=0, microsecond=0)
    if first_hour < start:
        first_hour += HOUR
    last_hour = end.replace(minute=0, second=0, microsecond=0)
    if first_hour >= last_hour:
        return from_log(AuditEvent.occurred_at >= start, AuditEvent.occurred_at < end)
    found = stored(first_hour, last_hour, limit, office_start, office_end)
    if start < first_hour:
        found += from_log(AuditEvent.occurred_at >= start, AuditEvent.occurred_at < first_hour)
    if last_hour < end:
        found += from_log(AuditEvent.occurred_at >= last_hour, AuditEvent.occurred_at < end)
    return found
