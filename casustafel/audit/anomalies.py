"""Anomalies in the access log, computed from the events of a period (README “The privacy officer”).

The list reads counters per user and hour (casustafel.audit.anomaly_counts), kept up to date
from the log, so its cost does not grow with the log; `detect_by_scan` is the same computation
straight from the events (the baseline the counters are tested and benchmarked against), and
one anomaly's page (`find`) still recounts that anomaly from its events.

Kinds: many content reads by one user in one hour (bulk), content reads outside office
hours, denials, denials of a member for meetings and actions not theirs (outside their
assignment), and every break-glass grant. Each anomaly has a stable key, so the privacy
officer's sign-off (AnomalyReview) stays attached to it. Thresholds are settings.
"""

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from casustafel import dates
from casustafel.audit.anomaly_counts import ANONYMOUS, ASSIGNMENT_OBJECTS, READ, buckets, content_read
from casustafel.audit.queries import visible
from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.forms import INT64_MAX
from casustafel.models import AnomalyReview, AuditEvent
from casustafel.models.roles import Role
from casustafel.settings import get_setting

KINDS = {
    "bulk": "Veel inzagen in één uur",
    "buiten_uren": "Inzage buiten kantoortijd",
    "toewijzing": "Toegang buiten eigen overleggen of acties",
    "geweigerd": "Geweigerde toegang",
    "break_glass": "Noodtoegang (break-glass)",
    "rollen": "Rol met toegang tot meldingen aangevraagd of beoordeeld",
}
# Four eyes on content roles: every request, approval and refusal is looked at.
ROLE_ACTIONS = ("user.role_requested", "user.role_approved", "user.role_refused",
                "user.second_factor_reset_requested")
OUTCOMES = {
    "verklaard": "Verklaard, geen actie nodig",
    "onderzoek": "Nader onderzoek nodig",
    "melding_datalek": "Gemeld als (mogelijk) datalek",
}
MASKED = "melder"  # actor part of keys made before reporters were named outside the act of reporting
KEY_RE = re.compile(
    r"^(?P<kind>bulk|buiten_uren|toewijzing|geweigerd):(?P<actor>[0-9a-f-]{36}|melder|anoniem)"
    r":(?P<when>\d{4}-\d{2}-\d{2}(T\d{2})?)$|^(?P<single>break_glass|rollen):(?P<seq>\d{1,19})$"
)


@dataclass
class Anomaly:
    key: str
    kind: str
    actor_id: uuid.UUID | None
    masked: bool
    first_at: datetime
    last_at: datetime
    count: int
    object_id: str | None = None
    review: AnomalyReview | None = None

    @property
    def label(self) -> str:
        return KINDS[self.kind]


def _actor_part(actor_id, role) -> str:
    return str(actor_id) if actor_id else ANONYMOUS


def _uuid(part: str) -> uuid.UUID | None:
    return uuid.UUID(part) if part not in (MASKED, ANONYMOUS) else None


def thresholds() -> tuple[int, int, int]:
    return (int(get_setting("audit_bulk_reads_per_hour")), int(get_setting("audit_office_hours_start")),
            int(get_setting("audit_office_hours_end")))


def off_hours(at_utc: datetime, start: int, end: int) -> bool:
    local = dates.to_local(at_utc)
    return local.weekday() >= 5 or not (start <= local.hour < end)


def _bulk(start, end, limit, actor_id=None) -> list[Anomaly]:
    if db.engine.dialect.name == "postgresql":
        hour = func.date_trunc("hour", AuditEvent.occurred_at)
    else:
        hour = func.strftime("%Y-%m-%d %H:00:00", AuditEvent.occurred_at)
    stmt = (
        select(AuditEvent.actor_id, hour, func.count(), func.min(AuditEvent.occurred_at),
               func.max(AuditEvent.occurred_at))
        .where(AuditEvent.occurred_at >= start, AuditEvent.occurred_at < end, content_read(),
               AuditEvent.actor_id.is_not(None))
        .group_by(AuditEvent.actor_id, hour)
        .having(func.count() > limit)
    )
    if actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    found = []
    for actor, _, count, first, last in db.session.execute(stmt):
        found.append(Anomaly(f"bulk:{actor}:{first:%Y-%m-%dT%H}", "bulk", actor, False, first, last, count))
    return found


def _per_day(rows, kind_of, day_of) -> list[Anomaly]:
    groups = {}
    for actor_id, role, at, object_type in rows:
        kind = kind_of(role, object_type)
        if kind is None:
            continue
        key = f"{kind}:{_actor_part(actor_id, role)}:{day_of(at):%Y-%m-%d}"
        if key not in groups:
            groups[key] = Anomaly(key, kind, actor_id, False, at, at, 0)
        item = groups[key]
        item.count += 1
        item.first_at, item.last_at = min(item.first_at, at), max(item.last_at, at)
    return list(groups.values())


def _off_hours(start, end, office_start, office_end, actor_id=None) -> list[Anomaly]:
    stmt = (
        select(AuditEvent.actor_id, AuditEvent.actor_role, AuditEvent.occurred_at, AuditEvent.object_type)
        .where(AuditEvent.occurred_at >= start, AuditEvent.occurred_at < end, content_read(),
               AuditEvent.actor_id.is_not(None))
    )
    if actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    rows = (r for r in db.session.execute(stmt.execution_options(yield_per=10_000))
            if off_hours(r[2], office_start, office_end))
    return _per_day(rows, lambda role, _: "buiten_uren",
                    lambda at: dates.to_local(at).date())


def _denials(start, end) -> list[Anomaly]:
    stmt = (
        select(AuditEvent.actor_id, AuditEvent.actor_role, AuditEvent.occurred_at, AuditEvent.object_type)
        .where(AuditEvent.occurred_at >= start, AuditEvent.occurred_at < end, AuditEvent.result == "denied",
               visible())
    )

    def kind_of(role, object_type):
        member = role == Role.MEMBER.value
        return "toewijzing" if member and object_type in ASSIGNMENT_OBJECTS else "geweigerd"

    return _per_day(db.session.execute(stmt.execution_options(yield_per=10_000)), kind_of, lambda at: at.date())


def _break_glass(start, end) -> list[Anomaly]:
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.occurred_at >= start, AuditEvent.occurred_at < end,
                                 AuditEvent.action == "break_glass.granted")
    )
    return [Anomaly(f"break_glass:{e.seq}", "break_glass", e.actor_id, False, e.occurred_at, e.occurred_at, 1,
                    e.object_id) for e in events]


def _roles(start, end) -> list[Anomaly]:
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.occurred_at >= start, AuditEvent.occurred_at < end,
                                 AuditEvent.action.in_(ROLE_ACTIONS))
    )
    return [Anomaly(f"rollen:{e.seq}", "rollen", e.actor_id, False, e.occurred_at, e.occurred_at, 1, e.object_id)
            for e in events]


def detect(start: datetime, end: datetime) -> list[Anomaly]:
    """Every anomaly with events in [start, end) (UTC), newest first, with its review.

    From the counters (after counting what was logged since the last view); the same result
    as detect_by_scan. Joins the caller's transaction, which commits."""
    limit, office_start, office_end = thresholds()
    found = _from_buckets(buckets(start, end, limit, office_start, office_end), limit, office_start, office_end)
    found += _break_glass(start, end) + _roles(start, end)
    attach_reviews(found)
    return sorted(found, key=lambda a: (a.last_at, a.key), reverse=True)


def detect_by_scan(start: datetime, end: datetime) -> list[Anomaly]:
    """detect() straight from every event of the period: the baseline for tests and bench/."""
    limit, office_start, office_end = thresholds()
    found = (_bulk(start, end, limit) + _off_hours(start, end, office_start, office_end)
             + _denials(start, end) + _break_glass(start, end) + _roles(start, end))
    attach_reviews(found)
    return sorted(found, key=lambda a: (a.last_at, a.key), reverse=True)


def _from_buckets(found_buckets, limit: int, office_start: int, office_end: int) -> list[Anomaly]:
    """Bulk per user and hour; off hours per user and Dutch day; denials per user and UTC day
    (as _bulk, _off_hours and _denials count them from the events)."""
    found, groups = [], {}

    def add(key, kind, actor, b):
        if key not in groups:
            groups[key] = Anomaly(key, kind, _uuid(actor), False, b.first_at, b.last_at, 0)
        item = groups[key]
        item.count += b.count
        item.first_at, item.last_at = min(item.first_at, b.first_at), max(item.last_at, b.last_at)

    for b in found_buckets:
        if b.category != READ:
            add(f"{b.category}:{b.actor}:{b.hour:%Y-%m-%d}", b.category, b.actor, b)
            continue
        if b.grouped != "buiten_uren" and b.count > limit:
            found.append(Anomaly(f"bulk:{b.actor}:{b.hour:%Y-%m-%dT%H}", "bulk", _uuid(b.actor), False,
                                 b.first_at, b.last_at, b.count))
        local = b.local
        if b.grouped == "buiten_uren" or (b.grouped is None and (
                local.weekday() >= 5 or not (office_start <= local.hour < office_end))):
            add(f"buiten_uren:{b.actor}:{local:%Y-%m-%d}", "buiten_uren", b.actor, b)
    return found + list(groups.values())


def attach_reviews(anomalies) -> None:
    keys = [a.key for a in anomalies]
    reviews = {}
    for chunk in range(0, len(keys), 500):
        reviews.update({r.anomaly_key: r for r in db.session.scalars(
            select(AnomalyReview).where(AnomalyReview.anomaly_key.in_(keys[chunk:chunk + 500])))})
    for a in anomalies:
        a.review = reviews.get(a.key)


def find(key: str) -> Anomaly | None:
    """Recompute the one anomaly named by `key`; None when it does not exist (any more)."""
    match = KEY_RE.match(key or "")
    if match is None:
        return None
    if match["seq"]:
        seq = int(match["seq"])
        event = db.session.get(AuditEvent, seq) if seq <= INT64_MAX else None
        wanted = ("break_glass.granted",) if match["single"] == "break_glass" else ROLE_ACTIONS
        if event is None or event.action not in wanted:
            return None
        finder = _break_glass if match["single"] == "break_glass" else _roles
        found = finder(event.occurred_at, event.occurred_at + timedelta(microseconds=1))
    else:
        kind, actor = match["kind"], match["actor"]
        try:
            actor_id = _uuid(actor)
            when = datetime.fromisoformat(match["when"] + (":00" if "T" in match["when"] else ""))
        except ValueError:
            return None
        if not dates.in_range(when.date()):
            return None
        limit, office_start, office_end = thresholds()
        if kind == "bulk":
            found = _bulk(when, when + timedelta(hours=1), limit, actor_id) if actor_id else []
        elif kind == "buiten_uren":
            start, end = dates.day_window(when.date(), when.date())
            found = _off_hours(start, end, office_start, office_end, actor_id) if actor_id else []
        else:
            found = _denials(when, when + timedelta(days=1))
    found = [a for a in found if a.key == key]
    attach_reviews(found)
    return found[0] if found else None


def review(actor, anomaly: Anomaly, outcome: str, comment: str | None) -> AnomalyReview:
    """Sign an anomaly off (who, when, outcome, comment); logged. The caller commits."""
    item = AnomalyReview(id=uuid.uuid4(), anomaly_key=anomaly.key, kind=anomaly.kind,
                         reviewed_by_id=actor.id, outcome=outcome)
    item.comment = comment or None
    db.session.add(item)
    record(actor, "audit.anomaly_reviewed", object_type="anomaly", object_id=anomaly.key,
           purpose="toezicht", reason_code=outcome)
    return item


def period_days(date_from: date | None, date_until: date | None, default_days: int = 7) -> tuple[date, date]:
    """The Dutch calendar days of a period (until inclusive); default the last week."""
    until = date_until or dates.today()
    return date_from or until - timedelta(days=default_days - 1), until


def counts_by_kind(anomalies) -> dict:
    counts = defaultdict(int)
    for a in anomalies:
        counts[a.kind] += 1
    return counts
