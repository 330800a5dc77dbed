"""Retention run over 100,000 due signals: wall time and peak memory.

Usage:
    .venv/bin/python bench/retention.py --signals 100000
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/casustafel_bench_retention \\
        .venv/bin/python bench/retention.py --signals 100000 --attachments 1000

Seeds signals with one person and one address each (bench.common.seed_signals), closes them
all two years ago ("geen_ondermijning", due after 12 months), puts an encrypted attachment
on a sample, then times `run_retention` (a real run, batches of --batch-size, one commit per
batch). Peak memory: tracemalloc's peak of the run (Python allocations; tracemalloc slows
Python, so the time is an upper bound) and ru_maxrss of the process before and after. The
dry run (counts and sample references only) is timed first. Afterwards it checks that every
signal is a tombstone and no subject, location or attachment (row or file) is left.
"""

import argparse
import io
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select, update

from bench.common import database_url_from_env, make_app, seed_signals
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import Attachment, DestructionRecord, Location, Signal, Subject
from casustafel.retention.destruction import run_retention


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def add_attachments(app, count: int) -> None:
    store, ring = app.extensions["casustafel_store"], app.extensions["casustafel_keyring"]
    ids = db.session.scalars(select(Signal.id).order_by(Signal.reference).limit(count)).all()
    rows = []
    for signal_id in ids:
        file_id = uuid.uuid4()
        stored = store.save(file_id, io.BytesIO(b"%PDF-1.4 " + b"x" * 20_000), ring)
        rows.append({"id": file_id, "signal_id": signal_id, "content_type": "application/pdf", "size": stored.size,
                     "wrapped_key": stored.wrapped_key, "digest": stored.digest, "created_at": utcnow()})
    if rows:
        db.session.execute(insert(Attachment.__table__), rows)
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=100_000)
    parser.add_argument("--attachments", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--no-tracemalloc", action="store_true", help="time the run without tracemalloc")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(database_url_from_env(), Path(tmp))
        with app.app_context():
            print(f"Database: {db.engine.dialect.name}")
            seconds = seed_signals(args.signals)
            closed_at = utcnow() - timedelta(days=730)
            db.session.execute(update(Signal).values(status="afgesloten", closing_reason="geen_ondermijning",
                                                     closed_at=closed_at))
            db.session.commit()
            add_attachments(app, args.attachments)
            print(f"Seeded {args.signals} due signals ({args.attachments} with an attachment) in {seconds:.1f} s; "
                  f"ru_maxrss {rss_mb():.0f} MB")

            started = time.perf_counter()
            run_retention(None, utcnow(), dry_run=True, origin="cli", batch_size=args.batch_size)
            print(f"Dry run: {time.perf_counter() - started:.1f} s")

            lines = []
            rss_before = rss_mb()
            if not args.no_tracemalloc:
                tracemalloc.start()
            started = time.perf_counter()
            result = run_retention(None, utcnow(), dry_run=False, origin="cli", batch_size=args.batch_size,
                                   progress=lines.append)
            elapsed = time.perf_counter() - started
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            mode = "off" if args.no_tracemalloc else "on"
            print(f"Run (tracemalloc {mode}): {elapsed:.1f} s = {args.signals / elapsed:.0f} signals/s, "
                  f"{len(lines)} progress lines, batch size {args.batch_size}")
            print(f"Peak Python allocations during the run: {peak / 2**20:.1f} MB (0 without tracemalloc); "
                  f"ru_maxrss before {rss_before:.0f} MB, after {rss_mb():.0f} MB")

            left = {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
                    for model in (Subject, Location, Attachment)}
            alive = db.session.scalar(select(func.count()).where(Signal.destroyed_at.is_(None)))
            records = db.session.scalar(select(func.count()).where(DestructionRecord.run_id == result.run.id))
            files = sum(1 for p in Path(app.config["ATTACHMENT_DIR"]).glob("*/*") if p.is_file())
            print(f"Left: {left}, signals not destroyed {alive}, files {files}; destruction records {records}")
            if any(left.values()) or alive or files or records != args.signals:
                sys.exit("Niet alles is vernietigd.")


if __name__ == "__main__":
    main()
