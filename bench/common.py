"""Shared benchmark helpers: a fresh database, bulk-seeded signals, timing summaries."""

import os
import random
import statistics
import time
import uuid
from datetime import timedelta

from sqlalchemy import insert, text

from casustafel import create_app, crypto, linking
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import Location, ReferenceCounter, Signal, Subject
from casustafel.models.base import keyring
from config import TestConfig

FIRST = ["Jan", "Fatima", "Piet", "Sanne", "Mohamed", "Eva", "Kees", "Lotte", "Ahmed", "Noor"]
LAST = ["Jansen", "de Vries", "Bakker", "Visser", "Smit", "Meijer", "el Amrani", "Mulder", "de Boer", "Bos"]


def make_app(database_url: str | None, tmp, blind_index_expected_values: int | None = None,
             blind_index_bits: int | None = None, rate_limits: bool = False):
    """An app on `database_url` (or a temp-file SQLite) with an empty, migrated schema; the
    blind-index width from the given expected values or bits (else the default setting)."""
    url = database_url or f"sqlite:///{tmp / 'bench.db'}"
    width = {}
    if blind_index_expected_values is not None:
        width["BLIND_INDEX_EXPECTED_VALUES"] = blind_index_expected_values
    if blind_index_bits is not None:
        width["BLIND_INDEX_BITS"] = blind_index_bits

    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        ATTACHMENT_DIR = str(tmp / "attachments")
        UPLOAD_TMP_DIR = str(tmp / "uploads-tmp")
        RATELIMIT_ENABLED = True  # memory storage (TestConfig); login needs the limiter, no page GET is limited
        WTF_CSRF_ENABLED = False

    for name, value in width.items():
        setattr(BenchConfig, name, value)
    # The login throttle needs the limiter: a bench that logs in through the form keeps it on.
    BenchConfig.RATELIMIT_ENABLED = rate_limits
    app = create_app(BenchConfig)
    with app.app_context():
        from flask_migrate import upgrade

        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        from casustafel.keys import verify_keyring

        verify_keyring(app.extensions["casustafel_keyring"])
    return app


def seed_signals(count: int, batch: int = 5000, reporter_id=None) -> float:
    """Insert `count` signals with one person and one address each; return seconds taken."""
    rng = random.Random(42)
    ring = keyring()
    bits = linking.current_width()
    started = time.perf_counter()
    year = utcnow().year
    now = utcnow()
    for start in range(0, count, batch):
        signals, subjects, locations = [], [], []
        for n in range(start, min(start + batch, count)):
            sid, subj, loc = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {n % 5000}"
            dob = f"19{rng.randint(40, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
            postcode, number = f"{rng.randint(1000, 9999)} AB", str(rng.randint(1, 300))
            signals.append({
                "id": sid, "reference": f"SIG-{year - 1}-{n + 1:06d}"[:16], "channel": "meldpunt",
                "urgent": False, "status": rng.choice(["ingediend", "intake", "weging", "afgesloten"]),
                "received_at": now - timedelta(minutes=n), "updated_at": now, "version": 1,
                "reporter_unnamed": False, "reporter_id": reporter_id,
                "description_enc": crypto.encrypt_field(ring, "signal", "description", sid, f"Beschrijving {n}"),
            })
            subjects.append({
                "id": subj, "signal_id": sid, "position": 0, "kind": "persoon", "role": "vermoedelijk_betrokkene",
                "name_enc": crypto.encrypt_field(ring, "subject", "name", subj, name),
                "birth_date_enc": crypto.encrypt_field(ring, "subject", "birth_date", subj, dob),
                "postcode_enc": crypto.encrypt_field(ring, "subject", "postcode", subj, postcode),
                "house_number_enc": crypto.encrypt_field(ring, "subject", "house_number", subj, number),
                "person_bidx": linking.blind_index("person", name, dob, bits=bits),
                "organisation_bidx": linking.blind_index("name", name, bits=bits),  # every subject's name index
                "address_bidx": linking.blind_index("address", postcode, number, bits=bits),
                "bidx_bits": bits,
            })
            locations.append({
                "id": loc, "signal_id": sid, "position": 0,
                "postcode_enc": crypto.encrypt_field(ring, "location", "postcode", loc, postcode),
                "house_number_enc": crypto.encrypt_field(ring, "location", "house_number", loc, number),
                "address_bidx": linking.blind_index("address", postcode, number, bits=bits),
                "bidx_bits": bits,
            })
        db.session.execute(insert(Signal.__table__), signals)
        db.session.execute(insert(Subject.__table__), subjects)
        db.session.execute(insert(Location.__table__), locations)
        db.session.commit()
    db.session.execute(insert(ReferenceCounter.__table__).values(year=year - 1, last_number=count))
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return time.perf_counter() - started


def summary(label: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p50 = statistics.median(ordered) * 1000
    p95 = ordered[max(int(len(ordered) * 0.95) - 1, 0)] * 1000
    rate = len(ordered) / sum(ordered)
    return f"{label}: n={len(ordered)} p50={p50:.1f} ms p95={p95:.1f} ms ({rate:.1f}/s)"


def database_url_from_env() -> str | None:
    return os.environ.get("BENCH_DATABASE_URL")
