"""Management information page over 100,000 signals: p50/p95 of GET /cijfers/.

Usage:
    .venv/bin/python bench/reports.py --signals 100000
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/casustafel_bench \\
        .venv/bin/python bench/reports.py --signals 100000

Seeds signals with bench.common.seed_signals, then spreads phenomena, channels, reporter
departments and closures (with closing reasons and lead times of 1–10 days) over them with
bulk UPDATEs keyed on the last digits of the reference, and adds referrals and actions.
The target (DOMAIN.md §12 / issue): p95 under 300 ms on PostgreSQL.
"""

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select, text, update

from bench.common import database_url_from_env, make_app, seed_signals, summary
from casustafel.admin.services import create_user
from casustafel.extensions import db
from casustafel.models import CHANNELS, Action, Department, Phenomenon, Signal
from casustafel.models.referral import Partner, Referral
from casustafel.signals.workflow import CLOSING_REASONS

PASSWORD = "bench password 2026"


def spread(column, values: list, position: int) -> None:
    """Give each signal one of `values`, chosen by the digit at `position` from the end."""
    digit = func.substr(Signal.reference, func.length(Signal.reference) - position, 1)
    for d in range(10):
        db.session.execute(update(Signal).where(digit == str(d)).values({column: values[d % len(values)]}))


def add_variety() -> None:
    departments = [Department(name=f"Afdeling {n}") for n in range(6)]
    db.session.add_all(departments)
    db.session.flush()
    phenomena = db.session.scalars(select(Phenomenon.id).order_by(Phenomenon.id)).all()
    spread("phenomenon_id", phenomena or [None], 0)
    spread("channel", list(CHANNELS), 1)
    spread("reporter_department_id", [d.id for d in departments] + [None], 2)
    reasons = list(CLOSING_REASONS)
    dialect = db.engine.dialect.name
    for d in range(10):
        later = (text(f"received_at + interval '{d + 1} days'") if dialect == "postgresql"
                 else func.datetime(Signal.received_at, f"+{d + 1} days"))
        digit = func.substr(Signal.reference, func.length(Signal.reference), 1)
        db.session.execute(update(Signal).where(Signal.status == "afgesloten", digit == str(d))
                           .values(closed_at=later, closing_reason=reasons[d % len(reasons)]))
    db.session.commit()


def add_referrals_and_actions(count: int) -> None:
    rng = random.Random(7)
    partners = db.session.scalars(select(Partner.id)).all()
    signal_ids = db.session.scalars(select(Signal.id).limit(count)).all()
    today = date.today()
    db.session.execute(insert(Referral.__table__), [
        {"id": uuid.uuid4(), "signal_id": sid, "partner_id": rng.choice(partners), "status": "verstuurd",
         "legal_ground": "avg_6_1_c", "legal_ground_text": "art. 6 lid 1 sub c AVG", "data_categories": [],
         "sent_categories": [], "version": 1,
         "sent_on": today - timedelta(days=rng.randint(0, 700))} for sid in signal_ids])
    db.session.execute(insert(Action.__table__), [
        {"id": uuid.uuid4(), "signal_id": sid, "type": "bibob", "version": 1,
         "status": rng.choice(["open", "in_uitvoering", "afgerond"]),
         "deadline": today + timedelta(days=rng.randint(-60, 60))} for sid in signal_ids])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # the bulk UPDATEs left dead rows: as autovacuum would
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signals", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(database_url_from_env(), Path(tmp))
        with app.app_context():
            dialect = db.engine.dialect.name
            seeded = seed_signals(args.signals)
            add_variety()
            add_referrals_and_actions(min(args.signals // 20, 5000))
            create_user(None, "regie@bench.test", "Bench Regie", ["coordinator"], PASSWORD, must_change_password=False)
            db.session.commit()
            closed = db.session.scalar(select(func.count()).where(Signal.closed_at.is_not(None)))
        client = app.test_client()
        client.post("/inloggen", data={"email": "regie@bench.test", "password": PASSWORD})
        # The default period is the current year; the seeded signals span the last
        # `signals` minutes, so a period from two years back covers every one of them.
        start = (date.today() - timedelta(days=730)).isoformat()
        url = f"/cijfers/?start={start}&end={date.today().isoformat()}"
        page = client.get(url).get_data(as_text=True)
        assert f"{args.signals} meldingen van" in page, "the page should count every seeded signal"
        for _ in range(5):
            assert client.get(url).status_code == 200
        timings = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200
        print(f"database: {dialect}; {args.signals} signals ({closed} closed) seeded in {seeded:.0f} s")
        print(summary("GET /cijfers/ (all breakdowns, 2 years)", timings))


if __name__ == "__main__":
    main()
