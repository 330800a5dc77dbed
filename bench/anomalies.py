"""The anomaly page /logboek/afwijkingen over a large log: p50/p95 of the page as the privacy
officer, before (every view scans the events of the period: anomalies.detect_by_scan) and after
(counters per user and hour, brought up to date on each view: anomalies.detect), in one run.

Usage (the target is p95 under 300 ms at 10 million events on PostgreSQL):
    .venv/bin/python bench/anomalies.py --events 100000
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/casustafel_bench \\
        .venv/bin/python bench/anomalies.py --events 1000000

The events are inserted straight into audit_event (the point is the page's cost, not the
append's): spread over --days days ending today (one year by default, as bench/log_query.py,
so a week holds more events the larger the log), --actors users, 95% of them in office hours,
about 60% content reads, 1% denials, 5% shielded acts of reporting, now and then a break-glass
grant or a role request. Their MACs are NOT valid chain MACs (the page does not verify the
chain). Between two views --per-view real events are appended through the access log, so
every "after" view also counts what arrived since the one before, as in production.

The first "after" view counts the whole log once (reported apart: a one-off, or done ahead
with `flask audit anomalies-rebuild`); every later view reads only the new events and the
counters of the period, at most actors × hours of the period rows whatever the log's size.
"""

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select, text

from bench.common import database_url_from_env, make_app, summary
from casustafel import dates
from casustafel.admin.services import create_user
from casustafel.audit import anomalies
from casustafel.audit_log import record
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import AuditAnomalyCount, AuditEvent, AuditHead

PASSWORD = "bench password 2026"  # nosec B105 - a throwaway account in the bench database
URL = "/logboek/afwijkingen"
BATCH = 20_000
ACTIONS = [  # (action, object type, share)
    ("signal.viewed", "signal", 35), ("attachment.downloaded", "attachment", 8), ("meeting.viewed", "meeting", 10),
    ("agenda_item.viewed", "agenda_item", 5), ("signal.exported", "signal", 2), ("signal.listed", "signal", 20),
    ("signal.status_changed", "signal", 10), ("auth.login", "user_account", 10),
]


def seed(events: int, days: int, actors: int) -> tuple[float, int]:
    """Insert `events` log events after the accounts' own; return (seconds, last seq)."""
    rng = random.Random(19)
    people = [(uuid.uuid4(), rng.choice(["coordinator", "coordinator", "member", "member", "privacy_officer"]))
              for _ in range(actors)]
    weights = [share for _, _, share in ACTIONS]
    first = db.session.scalar(select(AuditHead.last_seq)) + 1
    today = dates.today()
    started = time.perf_counter()
    rows = []
    for n in range(events):
        day = today - timedelta(days=days - 1 - (n * days) // events)
        if rng.random() < 0.95:  # office hours on a weekday (Dutch time)
            while day.weekday() >= 5:
                day -= timedelta(days=1)
            local = datetime.combine(day, datetime.min.time()) + timedelta(
                hours=rng.randrange(8, 18), minutes=rng.randrange(60), seconds=rng.randrange(60))
        else:
            local = datetime.combine(day, datetime.min.time()) + timedelta(seconds=rng.randrange(86400))
        at = local.replace(tzinfo=dates.LOCAL_ZONE).astimezone(UTC).replace(tzinfo=None)
        at = min(at, utcnow() - timedelta(seconds=1))
        actor, role = rng.choice(people)
        action, object_type = rng.choices(ACTIONS, weights)[0][:2]
        purpose, result = "casustafel", "success"
        roll = rng.random()
        if roll < 0.05:
            action, object_type, role, purpose = "signal.status_viewed", "signal", "reporter", "melding"
        elif roll < 0.06:
            action, result = "access.denied", "denied"
        elif roll < 0.06005:
            action, object_type = "break_glass.granted", "signal"
        elif roll < 0.06007:
            action, object_type = "user.role_requested", "user_account"
        seq = first + n
        rows.append({
            "seq": seq, "occurred_at": at, "actor_id": actor, "actor_role": role, "action": action,
            "object_type": object_type, "object_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "subject_pseudonyms": None, "purpose": purpose, "processing_activity": None, "result": result,
            "reason_code": None, "request_id": None, "origin": "10.0.0.1", "key_id": 1, "mac": f"{seq:064x}",
        })
        if len(rows) == BATCH:
            db.session.execute(insert(AuditEvent.__table__), rows)
            db.session.commit()
            rows = []
            if (n + 1) % 1_000_000 == 0:
                print(f"  {n + 1:,} events ({time.perf_counter() - started:.0f} s)", flush=True)
    if rows:
        db.session.execute(insert(AuditEvent.__table__), rows)
    last = first + events - 1
    db.session.execute(AuditHead.__table__.update().where(AuditHead.id == 1)
                       .values(last_seq=last, last_mac=f"{last:064x}"))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return time.perf_counter() - started, last


def append(app, actor_id, count: int) -> None:
    """New events through the access log (real chain), as between two views in production."""
    with app.app_context():
        from casustafel.models import User

        actor = db.session.get(User, actor_id)
        for n in range(count):
            record(actor, "signal.viewed" if n % 3 else "signal.listed", object_type="signal",
                   object_id=str(uuid.uuid4()), role="coordinator")
        db.session.commit()


def measure(app, client, rounds: int, per_view: int, actor_id) -> list[float]:
    timings = []
    for _ in range(rounds):
        append(app, actor_id, per_view)
        started = time.perf_counter()
        response = client.get(URL)
        timings.append(time.perf_counter() - started)
        if response.status_code != 200:
            sys.exit(f"the page answered {response.status_code}")
    return timings


def ratio(before: list[float], after: list[float]) -> str:
    b, a = sorted(before), sorted(after)
    p95 = lambda s: s[max(int(len(s) * 0.95) - 1, 0)]  # noqa: E731 - as summary() computes it
    return f"p95 before / after: {p95(b) / p95(a):.1f}×"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365, help="The log's events span this many days up to today.")
    parser.add_argument("--actors", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--per-view", type=int, default=20, help="Events appended between two views.")
    args = parser.parse_args()
    url = database_url_from_env()
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(url, Path(tmp))
        with app.app_context():
            dialect = db.engine.dialect.name
            officer = create_user(None, "privacy@bench.test", "Bench Privacy", ["privacy_officer"], PASSWORD,
                                  must_change_password=False)
            reader = create_user(None, "regie@bench.test", "Bench Regie", ["coordinator"], PASSWORD,
                                 must_change_password=False)
            db.session.commit()
            reader_id = reader.id
            seconds, _ = seed(args.events, args.days, args.actors)
            start, end = dates.day_window(*anomalies.period_days(None, None))
            in_week = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.occurred_at >= start, AuditEvent.occurred_at < end))
            print(f"database: {dialect}; {args.events:,} events over {args.days} days ({args.actors} users) "
                  f"inserted in {seconds:.0f} s; {in_week:,} in the page's week (the last 7 days)")
            del officer
        client = app.test_client()
        client.post("/inloggen", data={"email": "privacy@bench.test", "password": PASSWORD})

        # Before: every view scans the period's events (the page as it was).
        counted = anomalies.detect
        anomalies.detect = anomalies.detect_by_scan
        try:
            if "Afwijkingen" not in client.get(URL).get_data(as_text=True):
                sys.exit("the privacy officer should see the anomaly page")
            before = measure(app, client, args.rounds, args.per_view, reader_id)
        finally:
            anomalies.detect = counted

        # After: the first view counts the whole log once, later views only what is new.
        started = time.perf_counter()
        assert client.get(URL).status_code == 200
        first_view = time.perf_counter() - started
        after = measure(app, client, args.rounds, args.per_view, reader_id)

        with app.app_context():
            same = ([a.key for a in anomalies.detect(start, end)]
                    == [a.key for a in anomalies.detect_by_scan(start, end)])
            found = len(anomalies.detect_by_scan(start, end))
            buckets = db.session.scalar(select(func.count()).select_from(AuditAnomalyCount))
            week_buckets = db.session.scalar(select(func.count()).select_from(AuditAnomalyCount).where(
                AuditAnomalyCount.hour >= start, AuditAnomalyCount.hour < end))
            db.session.rollback()
        print(f"anomalies in the week: {found}; counters equal to a full scan: {'yes' if same else 'NO'}")
        print(f"counters: {buckets:,} (user × hour) rows in all, {week_buckets:,} in the week")
        print(f"first view after the change (counts all {args.events:,} events once): {first_view * 1000:.0f} ms")
        print(summary(f"page {URL}, before: scan of the period ({args.per_view} new events between views)",
                      before))
        print(summary(f"page {URL}, after: counters ({args.per_view} new events between views)", after))
        print(ratio(before, after))
        if not same:
            sys.exit("the counters should give the same anomalies as a full scan")


if __name__ == "__main__":
    main()
