"""Inbox page, inbox search (a person by name and date of birth, 21 hits) and signal workspace
(with 20 linked signals): p50/p95 at the chosen blind-index width, and the ratio to the same
query and page without decryption, policy checks and access logging.

The width is chosen from --expected-values (default: the number of signals, CipherSweet's rule,
docs/security.md "Blind-index width") or set with --bits; the run prints it with the expected
candidates per lookup (C = values / 2^bits).

Usage:
    .venv/bin/python bench/workspace.py --signals 100000
    .venv/bin/python bench/workspace.py --signals 1000000 --bits 12   # the former fixed width
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/casustafel_bench \\
        .venv/bin/python bench/workspace.py --signals 100000

The baseline ("plaintext") run serves the same pages with field values read from memory
instead of decrypted (as if the columns were plaintext), policies answering yes and the
access log switched off. full / baseline is what encryption, policy and logging cost.
"""

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import database_url_from_env, make_app, seed_signals, summary
from casustafel import audit_log as audit_services
from casustafel import crypto, linking
from casustafel.admin.services import create_user
from casustafel.extensions import db
from casustafel.models import Location, Signal, Subject
from casustafel.signals.services import next_reference

PASSWORD = "bench password 2026"


def linked_cluster(size: int) -> Signal:
    """One signal plus `size` others about the same person on the same address."""
    first = None
    for n in range(size + 1):
        signal = Signal(reference=next_reference(), channel="meldpunt", status="intake")
        signal.description = f"Signaal {n} over dezelfde persoon"
        subject = Subject(kind="persoon", role="vermoedelijk_betrokkene", position=0)
        signal.subjects.append(subject)
        subject.name = "Müller" if n % 2 else "MULLER"
        subject.birth_date = "1970-01-01"
        subject.postcode, subject.house_number = "1234 ab" if n % 2 else "1234AB", "12"
        linking.index_subject(subject)
        location = Location(position=0)
        signal.locations.append(location)
        location.postcode, location.house_number = "1234 AB", "12"
        linking.index_location(location)
        db.session.add(signal)
        first = first or signal
    db.session.commit()
    return first


@contextmanager
def plaintext_baseline():
    """Serve pages as if columns were plaintext, policies open and the log off."""
    cache = {}
    original_decrypt = crypto.decrypt_field

    def cached_decrypt(keyring, table, column, row_id, blob):
        key = (table, column, row_id, bytes(blob))
        if key not in cache:
            cache[key] = original_decrypt(keyring, table, column, row_id, blob)
        return cache[key]

    patched = []

    def patch(module, name, value):
        patched.append((module, name, getattr(module, name)))
        setattr(module, name, value)

    patch(crypto, "decrypt_field", cached_decrypt)
    for name, module in list(sys.modules.items()):
        if not name.startswith("casustafel") or module is None:
            continue
        if getattr(module, "record", None) is audit_services.record:
            patch(module, "record", lambda *a, **k: None)
        for policy in ("can_view_signal_content", "privacy_check_open_for"):
            if callable(getattr(module, policy, None)):
                patch(module, policy, lambda *a, **k: True)
    try:
        yield cache
    finally:
        for module, name, value in reversed(patched):
            setattr(module, name, value)


SEARCH = {"naam": "muller", "geboortedatum": "1970-01-01"}  # the cluster's person: 21 signals


def measure(client, url: str, rounds: int, data: dict | None = None) -> list[float]:
    """GET `url`, or POST `data` to it (the search), `rounds` times after 5 warm-up requests."""
    def request():
        return client.post(url, data=data) if data is not None else client.get(url)

    for _ in range(5):
        assert request().status_code == 200
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = request()
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signals", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--expected-values", type=int, default=None,
                        help="values per blind index the width is chosen for (default: --signals)")
    parser.add_argument("--bits", type=int, default=None, help="blind-index width outright")
    args = parser.parse_args()
    expected = args.expected_values or max(args.signals, crypto.planning.MIN_EXPECTED_VALUES)
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(database_url_from_env(), Path(tmp), blind_index_expected_values=expected,
                       blind_index_bits=args.bits, rate_limits=True)
        with app.app_context():
            dialect = db.engine.dialect.name
            bits = linking.current_width()
            seed_signals(args.signals)
            target = linked_cluster(20)
            create_user(None, "regie@bench.test", "Bench Regie", ["coordinator"], PASSWORD, must_change_password=False)
            db.session.commit()
            target_url = f"/meldingen/{target.id}"
        client = app.test_client()
        client.post("/inloggen", data={"email": "regie@bench.test", "password": PASSWORD})
        page = client.get(target_url).get_data(as_text=True)
        assert "20 andere meldingen" in page, "the workspace should show 20 linked signals"
        found = client.post("/meldingen/zoeken", data=SEARCH).get_data(as_text=True)
        assert f'href="{target_url}"' in found, "the search should find the cluster"
        print(f"database: {dialect}; {args.signals} signals + a cluster of 21 linked signals")
        print(f"blind-index width: {bits} bits for {expected} expected values "
              f"(C ≈ {crypto.coincidences(args.signals, bits):.1f} candidates per lookup at {args.signals} values)")
        results = {}
        for label, url, data in (("inbox page", "/meldingen", None),
                                 ("inbox search (person, 21 hits)", "/meldingen/zoeken", SEARCH),
                                 ("workspace (20 linked)", target_url, None)):
            full = measure(client, url, args.rounds, data)
            with plaintext_baseline():
                base = measure(client, url, args.rounds, data)
            results[label] = (full, base)
            print(summary(f"{label}, encrypted + policy + log", full))
            print(summary(f"{label}, plaintext baseline      ", base))
            p95 = sorted(full)[int(len(full) * 0.95) - 1]
            p95_base = sorted(base)[int(len(base) * 0.95) - 1]
            print(f"{label}: p95 ratio {p95 / p95_base:.2f}")
        print(f"summary at {bits} bits: " + "; ".join(
            f"{label} p50 {statistics.median(full) * 1000:.1f} ms "
            f"p95 {sorted(full)[int(len(full) * 0.95) - 1] * 1000:.1f} ms"
            for label, (full, _) in results.items()))
        with app.app_context():
            status = audit_services.verify_chain(app.extensions["casustafel_keyring"])
            print(f"access log after the run: {status.message}")


if __name__ == "__main__":
    main()
