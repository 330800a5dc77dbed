"""Helpers shared by the tests, moved from tests/test_signals_privacy.py."""

import os
import subprocess

from casustafel.extensions import db


def database_dump() -> tuple[str, str]:
    """A full data dump: SQLite's iterdump, or pg_dump of the test database."""
    url = db.engine.url
    if db.engine.dialect.name == "postgresql":
        env = dict(os.environ)
        if url.password:
            env["PGPASSWORD"] = url.password
        command = ["pg_dump", "--data-only", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
                   "-U", url.username or "postgres", url.database]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=True)
        return done.stdout, "pg_dump"
    assert db.engine.dialect.name == "sqlite", db.engine.dialect.name
    raw = db.engine.raw_connection()
    try:
        return "\n".join(raw.driver_connection.iterdump()), "SQLite dump"
    finally:
        raw.close()
