"""`flask import signals` over a generated register of N rows (default 10,000): rows per second.

Usage:
    .venv/bin/python bench/import_signals.py --rows 10000
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/casustafel_bench_import \\
        .venv/bin/python bench/import_signals.py --rows 10000

The database is BENCH_DATABASE_URL, else TEST_DATABASE_URL, else a temporary SQLite file; its
schema is dropped and migrated afresh (never point it at a database you keep). Writes a workbook
(--format xlsx, default) or a CSV with the rows of docs/examples/import-mapping.toml (one person,
every fifth row an organisation, an address; a quarter closed), then times, through the real
command: the dry run (read and check, the baseline: no writing), the import (one transaction)
and a second run (finds every row imported, creates nothing).
"""

import argparse
import csv
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from bench.common import FIRST, LAST, database_url_from_env, make_app
from casustafel.admin.services import create_user
from casustafel.extensions import db
from casustafel.models import Signal

MAPPING = Path(__file__).resolve().parents[1] / "docs" / "examples" / "import-mapping.toml"
HEADERS = ["Nummer", "Datum melding", "Datum afgesloten", "Status", "Fenomeen", "Omschrijving", "Binnengekomen via",
           "Melder", "Bron", "Naam betrokkene", "Geboortedatum", "Bedrijf", "KvK-nummer", "Straat", "Huisnummer",
           "Postcode", "Plaats"]
COORDINATOR = "regisseur@gemeente.test"


def row(n: int) -> list:
    received = date(2018, 1, 1) + timedelta(days=n % 2500)
    closed = n % 4 == 0
    return [
        f"R-{n:06d}", received.strftime("%d-%m-%Y"),
        (received + timedelta(days=30)).strftime("%d-%m-%Y") if closed else "",
        "Afgesloten - geen vervolg" if closed else ("In behandeling" if n % 4 == 1 else "Nieuw"),
        ["hennep", "adresfraude", "Overig", "Drugs — Drugshandel"][n % 4],
        f"Melding {n}: veel verkeer bij het pand, ’s nachts bezoek; de buren maken zich zorgen.",
        ["tel", "Meld Misdaad Anoniem", "collega", ""][n % 4], "Buurtbewoner" if n % 3 == 0 else "", "Wijkagent",
        f"{FIRST[n % len(FIRST)]} {LAST[(n // 10) % len(LAST)]} {n}",
        (date(1950, 1, 1) + timedelta(days=n % 20000)).strftime("%d-%m-%Y"),
        f"Bedrijf {n} B.V." if n % 5 == 0 else "", f"{10_000_000 + n}" if n % 5 == 0 else "",
        "Dorpsstraat", str(n % 300 + 1), f"{1000 + n % 8999} AB", "Ons Dorp",
    ]


def write(path: Path, rows: int, fmt: str) -> Path:
    if fmt == "csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(HEADERS)
            writer.writerows(row(n) for n in range(1, rows + 1))
        return path
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Register")
    sheet.append(HEADERS)
    for n in range(1, rows + 1):
        sheet.append([value or None for value in row(n)])
    book.save(path)
    return path


def timed(app, source: Path, *options) -> float:
    started = time.perf_counter()
    result = app.test_cli_runner().invoke(args=["import", "signals", str(source), "--mapping", str(MAPPING),
                                                "--as", COORDINATOR, "--progress-every", "2000", *options])
    elapsed = time.perf_counter() - started
    if result.exit_code != 0:
        sys.exit(f"Import mislukt ({result.exit_code}):\n{result.output[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        app = make_app(database_url_from_env() or os.environ.get("TEST_DATABASE_URL"), tmp)
        with app.app_context():
            print(f"Database: {db.engine.dialect.name}")
            create_user(None, COORDINATOR, "Regisseur", ("coordinator",), "correct horse battery staple",
                        must_change_password=False)
            db.session.commit()
        started = time.perf_counter()
        source = write(tmp / f"register.{args.format}", args.rows, args.format)
        print(f"Generated {args.rows} rows ({args.format}, {source.stat().st_size / 2**20:.1f} MB) "
              f"in {time.perf_counter() - started:.1f} s")

        dry = timed(app, source, "--dry-run")
        print(f"Dry run (read and check, baseline): {dry:.1f} s = {args.rows / dry:.0f} rows/s")
        real = timed(app, source)
        print(f"Import (one transaction):           {real:.1f} s = {args.rows / real:.0f} rows/s "
              f"({(real - dry) / args.rows * 1000:.1f} ms per signal above the dry run)")
        again = timed(app, source)
        print(f"Second run (nothing to do):         {again:.1f} s = {args.rows / again:.0f} rows/s")
        with app.app_context():
            created = db.session.scalar(select(func.count()).select_from(Signal))
        print(f"Signals: {created}")
        if created != args.rows:
            sys.exit(f"Verwacht {args.rows} meldingen, gevonden {created}.")


if __name__ == "__main__":
    main()
