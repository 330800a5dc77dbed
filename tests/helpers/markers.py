"""Helpers shared by the tests, moved from tests/test_encryption_at_rest.py."""

import base64
import os
import subprocess

import pyotp
from sqlalchemy.engine import make_url

from casustafel.extensions import db
from config import TestConfig


def new_marker() -> str:
    return "CANARY" + pyotp.random_base32()[:26]


def spellings(marker: str) -> list[str]:
    """The marker as text, hex and base64, and its base32-decoded bytes in hex (lower case)."""
    raw = marker.encode()
    return [
        s.lower()
        for s in (
            marker,
            raw.hex(),
            base64.b64encode(raw).decode(),
            base64.b32decode(marker).hex(),
        )
    ]


def assert_no_marker(text: str, marker: str, where: str) -> None:
    haystack = text.lower()
    for spelling in spellings(marker):
        assert spelling not in haystack, f"marker found in {where}"


def sqlite_dump() -> str:
    raw = db.engine.raw_connection()
    try:
        return "\n".join(raw.driver_connection.iterdump())
    finally:
        raw.close()


def postgresql_dump() -> str:
    url = make_url(TestConfig.SQLALCHEMY_DATABASE_URI)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    command = [
        "pg_dump",
        "--data-only",
        "-h", url.host or "127.0.0.1",
        "-p", str(url.port or 5432),
        "-U", url.username or "postgres",
        url.database,
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=True)
    return done.stdout
