"""Password hashing (argon2id) and the password policy."""

import threading
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


@cache
def _hasher(profile: str) -> PasswordHasher:
    return PasswordHasher.from_parameters(getattr(profiles, profile))


def hasher() -> PasswordHasher:
    return _hasher(current_app.config["ARGON2_PROFILE"])


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip())


# argon2id needs 64 MiB and most of a core per hash. Threads of one worker hashing at the same
# time only slow each other down (and multiply memory), so each process hashes one at a time;
# a login storm then queues instead of thrashing (bench/login_storm.py).
_hashing = threading.BoundedSemaphore(1)


def hash_password(password: str) -> str:
    with _hashing:
        return hasher().hash(password)


@cache
def _dummy_hash(profile: str) -> str:
    return _hasher(profile).hash("dummy password for timing")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; for an unknown user verify against a dummy hash to keep timing alike."""
    if len(password.encode("utf-8")) > current_app.config["PASSWORD_MAX_BYTES"]:
        return False
    target = password_hash or _dummy_hash(current_app.config["ARGON2_PROFILE"])
    try:
        with _hashing:
            return hasher().verify(target, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher().check_needs_rehash(password_hash)


def policy_problem(password: str, email: str | None = None) -> str | None:
    """Return the Dutch reason a new password is refused, or None when it is acceptable."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        return f"Kies een wachtwoord van minstens {minimum} tekens."
    if len(password.encode("utf-8")) > current_app.config["PASSWORD_MAX_BYTES"]:
        return "Dit wachtwoord is te lang."
    folded = password.casefold()
    if folded in common_passwords() or len(set(folded)) < 4:
        return "Dit wachtwoord is te makkelijk te raden. Kies een ander wachtwoord."
    if email and email.split("@")[0].casefold() in folded:
        return "Gebruik uw e-mailadres niet in uw wachtwoord."
    return None
