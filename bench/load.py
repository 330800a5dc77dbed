"""Load test L1: 50 concurrent users against gunicorn (4 workers) on PostgreSQL and Redis.

Usage:
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/casustafel_bench_load \\
        .venv/bin/python bench/load.py --duration 300
The database named is dropped and created again; Redis database 12 is flushed. Production
configuration (TOTP, Secure cookies, ProxyFix, Redis rate limits) under
docs/deploy/gunicorn.conf.py, exactly as deployed; the client plays the nginx hop.

Users: coordinators read the inbox (plain and filtered), open workspaces (the content, the
history and the linked-signal search over the blind indexes) and toggle a legal hold (an
edit with optimistic locking); reporters read Mijn meldingen and submit meldpunt forms, half
with a 100 KB attachment. Each user waits a random think time between actions.

Afterwards: errors, p50/p95/max per kind; for every request the access-log events written
under its request id are compared with the events the action must write (exactly one of
each, nothing else), and `flask audit verify` checks the chain.
Targets: zero errors, p95 under 500 ms, events equal to actions, chain verifies.
"""

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text

from bench.server import Client, ProductionServer, drop_database, form_fields, log_in, seed

PASSWORD = "bench load password 2026"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/casustafel_bench_load"
LEGAL_HOLD_REASON = "overig"

# The access-log events each kind of request must write, exactly once each; `ALSO` may come
# in any number (one per linked signal shown).
EXPECTED = {
    "inbox": {"signal.listed": 1},
    "inbox_filtered": {"signal.listed": 1},
    "workspace": {"signal.viewed": 1},
    "linked": {"signal.viewed": 1},
    "edit": None,  # one of the two legal-hold events, checked below
    "mine": {"signal.own_listed": 1},
    "meldpunt_form": {},
    "submit": {"signal.created": 1},
    "submit_attachment": {"signal.created": 1, "attachment.uploaded": 1},
}
ALSO = {"workspace": {"signal.linked_viewed"}, "linked": {"signal.linked_viewed"}}
OK_STATUS = {"submit": 302, "submit_attachment": 302, "edit": 302}


def signal_form(fields: dict, n: int, address: int) -> dict:
    fields = dict(fields)
    fields.update({
        "phenomenon_id": "2",
        "description": f"Veel bezoek 's nachts, ramen afgeplakt (belasting {n}).",
        "observed_from": "2026-10-01",
        "subjects-0-kind": "persoon",
        "subjects-0-role": "vermoedelijk_betrokkene",
        "subjects-0-name": f"Belasting Persoon {n}",
        "subjects-0-birth_date": "1980-02-03",
        # 200 addresses shared by all submissions: the linked-signal search finds matches.
        "locations-0-postcode": f"{1000 + address % 200} ZZ",
        "locations-0-house_number": "1",
        "locations-0-city": "Ergens",
    })
    return fields


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: list[tuple[str, str]] = []
        self.requests: list[tuple[str, str | None]] = []  # (kind, request id)

    def timed(self, kind: str, client: Client, call):
        started = time.perf_counter()
        try:
            status, response, body = call()
        except Exception as error:  # every failure counts as an error
            with self.lock:
                self.errors.append((kind, repr(error)))
            return None
        elapsed = time.perf_counter() - started
        with self.lock:
            self.samples[kind].append(elapsed)
            self.requests.append((kind, client.last_request_id))
            if status != OK_STATUS.get(kind, 200):
                self.errors.append((kind, f"HTTP {status}"))
        return status, response, body


class User(threading.Thread):
    def __init__(self, n, account, server, recorder, stop, think, own_signals, all_signals, submitted):
        super().__init__(daemon=True)
        self.submitted = submitted
        self.n, self.account, self.server, self.recorder = n, account, server, recorder
        self.stop, self.think, self.own_signals, self.all_signals = stop, think, own_signals, all_signals
        self.rng = random.Random(n)
        self.client = Client(server.port, client_ip=f"10.{n // 250}.{n % 250}.7")
        self.counter = 0

    def run(self):
        while not self.stop.is_set():
            self.act()
            self.stop.wait(self.rng.uniform(0.3, 1.7) * self.think)

    def get(self, kind, path):
        return self.recorder.timed(kind, self.client, lambda: self.client.get(path))

    def act(self):
        rng, c = self.rng, self.client
        if self.account["role"] == "coordinator":
            roll = rng.random()
            if roll < 0.3:
                self.get("inbox", "/meldingen")
            elif roll < 0.4:
                self.get("inbox_filtered", f"/meldingen?status={rng.choice(['intake', 'weging', 'ingediend'])}")
            elif roll < 0.6:
                self.get("workspace", f"/meldingen/{rng.choice(self.all_signals)}")
            elif roll < 0.85 and self.submitted:
                # A signal sent during the load, on an address other signals share.
                self.get("linked", f"/meldingen/{rng.choice(self.submitted[-200:])}")
            else:
                signal_id = rng.choice(self.own_signals)
                got = self.get("workspace", f"/meldingen/{signal_id}")
                if got and got[0] == 200:
                    fields = form_fields(got[2], "/legal-hold")
                    if "Legal hold opheffen" not in got[2]:
                        fields["legal-hold-reason"] = LEGAL_HOLD_REASON
                    self.recorder.timed("edit", c, lambda: c.post(f"/meldingen/{signal_id}/legal-hold", fields))
        else:
            if rng.random() < 0.5:
                self.get("mine", "/mijn-meldingen")
                return
            got = self.get("meldpunt_form", "/meldpunt")
            if not got or got[0] != 200:
                return
            self.counter += 1
            fields = signal_form(form_fields(got[2], ""), self.n * 100_000 + self.counter, self.n * 37 + self.counter)
            if rng.random() < 0.5:
                sent = self.recorder.timed("submit", c, lambda: c.post_multipart("/meldpunt", fields, []))
            else:
                content = (b"Verslag van de waarneming.\n" * 4000)[:100_000]
                files = [("attachments", "waarneming.txt", content, "text/plain")]
                sent = self.recorder.timed("submit_attachment", c, lambda: c.post_multipart("/meldpunt", fields, files))
            if sent and sent[0] == 302:  # → /mijn-meldingen/<id>/bevestiging
                self.submitted.append(sent[1].getheader("Location").rstrip("/").split("/")[-2])


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(round(len(ordered) * fraction) - 1, 0))]


def check_events(server, recorder, first_seq) -> tuple[bool, list[str]]:
    """Compare the access log with the requests made, request id by request id."""
    engine = create_engine(server.database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT request_id, action FROM audit_event WHERE seq > :s"), {"s": first_seq}).all()
    engine.dispose()
    by_request = defaultdict(Counter)
    for request_id, action in rows:
        by_request[request_id][action] += 1
    problems, per_kind = [], defaultdict(Counter)
    ours = set()
    for kind, request_id in recorder.requests:
        ours.add(request_id)
        got = by_request.get(request_id, Counter())
        per_kind[kind].update(got)
        expected = EXPECTED[kind]
        if expected is None:  # edit: exactly one legal-hold event
            expected = {a: 1 for a in got if a.startswith("signal.legal_hold_")} or {"signal.legal_hold_set": 1}
            if len(expected) != 1:
                problems.append(f"{kind} {request_id}: {dict(got)}")
                continue
        extra = {a: k for a, k in got.items() if a not in expected and a not in ALSO.get(kind, set())}
        if any(got.get(a, 0) != k for a, k in expected.items()) or extra:
            problems.append(f"{kind} {request_id}: expected {expected}, got {dict(got)}")
    strangers = {r: dict(c) for r, c in by_request.items() if r not in ours}
    if strangers:
        problems.append(f"events under request ids the load did not make: {list(strangers.items())[:5]}")
    print("\naccess-log events per kind of request:")
    for kind in EXPECTED:
        made = sum(1 for k, _ in recorder.requests if k == kind)
        print(f"  {kind:<18} requests={made:<6} events={dict(per_kind[kind])}")
    print(f"  total events in the load window: {len(rows)}")
    return not problems, problems


def main() -> None:
    import os

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=300)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--coordinators", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--think", type=float, default=3.0, help="mean think time between actions (s)")
    parser.add_argument("--signals", type=int, default=5000, help="signals in the database beforehand")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgresql"):
        sys.exit("BENCH_DATABASE_URL must name a PostgreSQL database (it is dropped and created again).")

    with tempfile.TemporaryDirectory() as tmp:
        server = ProductionServer(Path(tmp), url, args.redis, workers=args.workers, threads=args.threads)
        print(f"installing (flask db upgrade, keys init) in {tmp} …")
        server.install()
        data = seed(server, PASSWORD, coordinators=args.coordinators, reporters=args.users - args.coordinators,
                    signals=args.signals)
        server.start()
        print(f"gunicorn: {args.workers} workers × {args.threads} threads, pids {server.worker_pids()}")
        try:
            run(server, args, data)
        finally:
            server.stop()
            drop_database(url)


def run(server, args, data) -> None:
    recorder, stop, submitted = Recorder(), threading.Event(), []
    signals = data["signals"]
    users = []
    for n, account in enumerate(data["users"]):
        own = signals[n * 10:(n + 1) * 10]  # each coordinator edits only its own signals: no 409s
        users.append(User(n, account, server, recorder, stop, args.think, own, signals, submitted))
    print(f"logging in {len(users)} users …")
    for user in users:
        log_in(user.client, user.account["email"], PASSWORD, user.account["totp"])
    engine = create_engine(server.database_url)
    with engine.connect() as conn:
        first_seq = conn.execute(text("SELECT coalesce(max(seq), 0) FROM audit_event")).scalar()
    engine.dispose()
    print(f"running {args.users} users for {args.duration:.0f} s (think time ≈ {args.think} s) …")
    started = time.monotonic()
    for user in users:
        user.start()
        time.sleep(0.05)
    time.sleep(args.duration)
    stop.set()
    for user in users:
        user.join(120)
    elapsed = time.monotonic() - started
    hung = [u.n for u in users if u.is_alive()]

    everything = [s for values in recorder.samples.values() for s in values]
    print(f"\n{len(everything)} requests in {elapsed:.0f} s ({len(everything) / elapsed:.1f}/s), "
          f"errors: {len(recorder.errors)}, hung users: {len(hung)}")
    print(f"{'kind':<18} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for kind in EXPECTED:
        values = recorder.samples.get(kind)
        if values:
            print(f"{kind:<18} {len(values):>6} {statistics.median(values) * 1000:>8.0f} "
                  f"{percentile(values, 0.95) * 1000:>8.0f} {max(values) * 1000:>8.0f}")
    p95 = percentile(everything, 0.95) * 1000 if everything else float("nan")
    print(f"{'all':<18} {len(everything):>6} {statistics.median(everything) * 1000:>8.0f} {p95:>8.0f} "
          f"{max(everything) * 1000:>8.0f}")
    for kind, error in recorder.errors[:10]:
        print(f"  error: {kind}: {error}")
    events_ok, problems = check_events(server, recorder, first_seq)
    for problem in problems[:10]:
        print(f"  event mismatch: {problem}")
    verify = server.flask("audit", "verify", check=False)
    print(f"flask audit verify: exit {verify.returncode}: {verify.stdout.strip()}")
    verdict = (not recorder.errors and not hung and p95 < 500 and events_ok and verify.returncode == 0)
    print(f"\nRESULT: {'PASS' if verdict else 'FAIL'} (zero errors, p95 < 500 ms, events = actions, chain verifies)")
    if not verdict:
        sys.exit(1)


if __name__ == "__main__":
    main()
