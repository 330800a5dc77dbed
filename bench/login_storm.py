"""Login storm: 20 users log in at the same moment (password + TOTP) against gunicorn.

Usage:
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/casustafel_bench_login \\
        .venv/bin/python bench/login_storm.py --users 20 --rounds 3
Production configuration under docs/deploy/gunicorn.conf.py (4 workers), PostgreSQL (the
database named is dropped and created again) and Redis database 13 (flushed). Each login is
the whole journey a browser makes: the login page, the password (argon2id), the code page,
the TOTP code, the start page. Each user comes from its own address (X-Forwarded-For), as
20 colleagues would. Target: p95 under 2 s.
"""

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.server import Client, ProductionServer, drop_database, log_in, seed

PASSWORD = "bench storm password 2026"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/casustafel_bench_login"


def storm(server, users, rounds) -> tuple[list[float], list[str]]:
    times, errors, lock = [], [], threading.Lock()
    for _ in range(rounds):
        barrier = threading.Barrier(len(users))

        def one(n, account, barrier=barrier):
            client = Client(server.port, client_ip=f"10.20.{n}.9")
            barrier.wait()
            started = time.perf_counter()
            try:
                log_in(client, account["email"], PASSWORD, account["totp"])
            except Exception as error:  # every failure counts
                with lock:
                    errors.append(repr(error))
                return
            finally:
                client.close()
            with lock:
                times.append(time.perf_counter() - started)

        threads = [threading.Thread(target=one, args=(n, a)) for n, a in enumerate(users)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    return times, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="storms one after the other")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgresql"):
        sys.exit("BENCH_DATABASE_URL must name a PostgreSQL database (it is dropped and created again).")
    with tempfile.TemporaryDirectory() as tmp:
        server = ProductionServer(Path(tmp), url, args.redis, workers=args.workers, threads=args.threads)
        server.install()
        users = seed(server, PASSWORD, coordinators=args.users)["users"]
        server.start()
        try:
            times, errors = storm(server, users, args.rounds)
        finally:
            server.stop()
            drop_database(url)
    ordered = sorted(times)
    p95 = ordered[max(round(len(ordered) * 0.95) - 1, 0)] if ordered else float("nan")
    print(f"{args.rounds} storm(s) of {args.users} simultaneous logins (password + TOTP), "
          f"{args.workers} workers × {args.threads} threads")
    if ordered:
        print(f"logins: n={len(ordered)} p50={statistics.median(ordered) * 1000:.0f} ms "
              f"p95={p95 * 1000:.0f} ms max={ordered[-1] * 1000:.0f} ms; errors: {len(errors)}")
    for error in errors[:5]:
        print(f"  error: {error}")
    verdict = not errors and len(ordered) == args.users * args.rounds and p95 < 2.0
    print(f"RESULT: {'PASS' if verdict else 'FAIL'} (no errors, p95 < 2 s)")
    if not verdict:
        sys.exit(1)


if __name__ == "__main__":
    main()
