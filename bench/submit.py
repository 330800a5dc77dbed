"""Meldpunt submissions per second and p50/p95 with many signals already stored.

Usage:
    .venv/bin/python bench/submit.py                      # SQLite (temp file)
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/casustafel_bench \\
        .venv/bin/python bench/submit.py --signals 100000
The PostgreSQL database is emptied first. Each submission goes through the real view
(login session, form validation, encryption, blind indexes, access log, outbox) via the
Flask test client, without an attachment.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import database_url_from_env, make_app, seed_signals, summary
from casustafel.admin.services import create_user
from casustafel.extensions import db

PASSWORD = "bench password 2026"


def form(n: int) -> dict:
    return {
        "phenomenon_id": "2",
        "description": f"Veel mensen in en uit het pand, ramen afgeplakt ({n}).",
        "observed_from": "2026-10-01",
        "subjects-0-kind": "persoon",
        "subjects-0-role": "vermoedelijk_betrokkene",
        "subjects-0-name": f"Piet Bakker {n}",
        "subjects-0-birth_date": "1975-04-03",
        "subjects-1-kind": "organisatie",
        "subjects-1-role": "huurder",
        "subjects-1-name": "Bakker Handel B.V.",
        "subjects-1-kvk_number": "12345678",
        "locations-0-postcode": "1234 AB",
        "locations-0-house_number": "12",
        "locations-0-city": "Ergens",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signals", type=int, default=100_000)
    parser.add_argument("--submissions", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(database_url_from_env(), Path(tmp))
        with app.app_context():
            dialect = db.engine.dialect.name
            seeded = seed_signals(args.signals)
            create_user(None, "melder@bench.test", "Bench Melder", ["reporter"], PASSWORD, must_change_password=False)
            create_user(None, "regie@bench.test", "Bench Regie", ["coordinator"], PASSWORD, must_change_password=False)
            db.session.commit()
        print(f"database: {dialect}; seeded {args.signals} signals in {seeded:.1f} s")
        client = app.test_client()
        client.post("/inloggen", data={"email": "melder@bench.test", "password": PASSWORD})
        for n in range(5):  # warm up
            assert client.post("/meldpunt", data=form(n)).status_code == 302
        timings = []
        for n in range(args.submissions):
            started = time.perf_counter()
            response = client.post("/meldpunt", data=form(n))
            timings.append(time.perf_counter() - started)
            assert response.status_code == 302, response.status_code
        print(summary("submission (no attachment)", timings))


if __name__ == "__main__":
    main()
