"""Log query for one user over 30 days in a log of 10 million events: p50/p95 of the viewer's
service function (queries.page) and of the whole page /logboek/?gebruiker=…&van=…&tot=….

Usage (PostgreSQL; the target is p95 under 300 ms for the query):
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/casustafel_bench \\
        .venv/bin/python bench/log_query.py --events 10000000

The events are generated in SQL with generate_series over one year, 500 actors (the measured
user has 1 in 500 events, about 1,700 in 30 days). Their MACs are NOT valid chain MACs: this
measures queries, not verification. The audit head and a stored checkpoint are set to the
last generated event, so the page verifies only what the benchmark itself appends after it
(as the viewer does in production after its newest checkpoint).
"""

import argparse
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select, text

from bench.common import database_url_from_env, make_app, summary
from casustafel import dates
from casustafel.admin.services import create_user
from casustafel.audit import anomalies, queries
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import AuditCheckpoint, User

PASSWORD = "bench password 2026"  # nosec B105 - a throwaway account in the bench database
ACTORS = 500
CHUNK = 1_000_000

GENERATE = """
INSERT INTO audit_event (seq, occurred_at, actor_id, actor_role, action, object_type, object_id,
                         subject_pseudonyms, purpose, result, reason_code, request_id, origin, key_id, mac)
SELECT g,
       CAST(:start AS timestamp) + (g * CAST(:span_seconds AS bigint) / :total) * interval '1 second',
       CASE WHEN g % :actors = 0 THEN CAST(:target AS uuid) ELSE CAST(md5((g % :actors)::text) AS uuid) END,
       (ARRAY['coordinator','member','coordinator','privacy_officer','reporter'])[1 + g % 5],
       (ARRAY['signal.viewed','signal.listed','agenda_item.viewed','action.viewed','attachment.downloaded',
              'signal.status_changed','meeting.viewed','auth.login'])[1 + (g / 7) % 8],
       'signal',
       CAST(md5('object' || (g % 200000)::text) AS uuid)::text,
       NULL, 'casustafel', CASE WHEN g % 97 = 0 THEN 'denied' ELSE 'success' END, NULL,
       CAST(md5('request' || g::text) AS uuid)::text, '10.0.0.' || (g % 250)::text, 1,
       md5(g::text) || md5('mac' || g::text)
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g
"""


def generate(total: int, target: uuid.UUID) -> float:
    started = time.perf_counter()
    start = utcnow() - timedelta(days=365)
    for first in range(1, total + 1, CHUNK):
        last = min(first + CHUNK - 1, total)
        db.session.execute(text("SET LOCAL synchronous_commit = off"))
        db.session.execute(text(GENERATE), {
            "start": start, "span_seconds": 365 * 86400, "total": total, "actors": ACTORS, "target": str(target),
            "first": first, "last": last,
        })
        db.session.commit()
        print(f"  {last:,} events ({time.perf_counter() - started:.0f} s)", flush=True)
    last_mac = db.session.scalar(text("SELECT mac FROM audit_event WHERE seq = :s"), {"s": total})
    db.session.execute(text("UPDATE audit_head SET last_seq = :s, last_mac = :m WHERE id = 1"),
                       {"s": total, "m": last_mac})
    db.session.add(AuditCheckpoint(seq=total, mac=last_mac, source="cli"))
    db.session.commit()
    db.session.execute(text("ANALYZE audit_event"))
    db.session.commit()
    return time.perf_counter() - started


def seed(events: int) -> uuid.UUID:
    user = create_user(None, "regie@bench.test", "Bench Regie", ["coordinator"], PASSWORD,
                       must_change_password=False)
    create_user(None, "privacy@bench.test", "Bench Privacy", ["privacy_officer"], PASSWORD,
                must_change_password=False)
    db.session.commit()
    # The accounts' own events (user.created) come first: drop them, the bulk starts at 1.
    db.session.execute(text("SET session_replication_role = replica"))
    db.session.execute(text("DELETE FROM audit_event"))
    db.session.execute(text("SET session_replication_role = origin"))
    db.session.commit()
    seconds = generate(events, user.id)
    print(f"database: postgresql; {events:,} events generated in {seconds:.0f} s")
    return user.id


def open_app(url: str, tmp: Path):
    """The app on an already seeded bench database (no migration, nothing emptied)."""
    from casustafel import create_app
    from casustafel.keys import verify_keyring
    from config import TestConfig

    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        ATTACHMENT_DIR = str(tmp / "attachments")
        UPLOAD_TMP_DIR = str(tmp / "uploads-tmp")
        RATELIMIT_ENABLED = True  # memory storage (TestConfig); login needs the limiter, no page GET is limited
        WTF_CSRF_ENABLED = False

    app = create_app(BenchConfig)
    with app.app_context():
        verify_keyring(app.extensions["casustafel_keyring"])
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="Measure again on the events of an earlier run.")
    args = parser.parse_args()
    url = database_url_from_env()
    if not url or not url.startswith("postgresql"):
        sys.exit("Set BENCH_DATABASE_URL to a PostgreSQL database (it is emptied).")
    with tempfile.TemporaryDirectory() as tmp:
        app = open_app(url, Path(tmp)) if args.reuse else make_app(url, Path(tmp))
        with app.app_context():
            if args.reuse:
                target = db.session.scalar(select(User.id).where(User.email == "regie@bench.test"))
                count = db.session.scalar(text("SELECT last_seq FROM audit_head WHERE id = 1"))
                print(f"database: postgresql; reusing {count:,} events")
            else:
                target = seed(args.events)
            until = date.today()
            period = queries.LogFilter(actor_id=target, date_from=until - timedelta(days=29), date_until=until)
            events, cursor = queries.page(period)
            total = db.session.scalar(text(
                "SELECT count(*) FROM audit_event WHERE actor_id = :a AND occurred_at >= :f"
            ), {"a": target, "f": utcnow() - timedelta(days=30)})
            print(f"the user has {total:,} events in the last 30 days; page size {queries.PAGE_SIZE}")
            timings, later = [], []
            for _ in range(args.rounds):
                started = time.perf_counter()
                events, cursor = queries.page(period)
                queries.actors_for(events)
                timings.append(time.perf_counter() - started)
                db.session.rollback()
            for _ in range(args.rounds):
                started = time.perf_counter()
                queries.page(period, before=cursor)
                later.append(time.perf_counter() - started)
                db.session.rollback()
            print(summary("query, first page (service function)", timings))
            print(summary("query, second page (keyset)", later))
            plan = db.session.execute(text(
                "EXPLAIN ANALYZE SELECT * FROM audit_event WHERE actor_id = :a AND occurred_at >= :f "
                "AND (actor_role IS NULL OR actor_role != 'reporter') ORDER BY occurred_at DESC, seq DESC LIMIT 51"
            ), {"a": target, "f": utcnow() - timedelta(days=30)}).scalars().all()
            print("plan:\n  " + "\n  ".join(plan))
            started = time.perf_counter()
            found = anomalies.detect(*dates.day_window(*anomalies.period_days(None, None)))
            print(f"anomalies of the last 7 days (informative; counts the whole log once): {len(found)} in "
                  f"{(time.perf_counter() - started) * 1000:.0f} ms")
        client = app.test_client()
        client.post("/inloggen", data={"email": "privacy@bench.test", "password": PASSWORD})
        page_url = f"/logboek/?gebruiker={target}&van={until - timedelta(days=29)}&tot={until}"
        for _ in range(3):
            body = client.get(page_url).get_data(as_text=True)
        if "Keten gecontroleerd" not in body:
            sys.exit("the viewer should verify after the stored checkpoint")
        if ("Oudere gebeurtenissen" in body) != (total > queries.PAGE_SIZE):
            sys.exit("the page should offer the next page exactly when there is one")
        pages = []
        for _ in range(max(args.rounds // 2, 20)):
            started = time.perf_counter()
            response = client.get(page_url)
            pages.append(time.perf_counter() - started)
            if response.status_code != 200:
                sys.exit(f"the page answered {response.status_code}")
        print(summary("whole page /logboek/ (filter, verify since checkpoint, log the view)", pages))


if __name__ == "__main__":
    main()
