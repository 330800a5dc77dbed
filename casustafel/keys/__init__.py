"""Load the keyring at start-up and refuse to start with a missing or wrong key; settle the
blind-index width from the configuration and refuse one outside the safe range."""

import contextlib
import logging
import os
import secrets
from pathlib import Path

from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from casustafel import crypto
from casustafel.extensions import db
from casustafel.models import BlindIndexWidth, KeyCheck
from casustafel.models.blind_index import WIDTH_ROW

log = logging.getLogger(__name__)


def load_keyring(config) -> crypto.Keyring | None:
    """Return the configured keyring, or None when no keyring file exists yet."""
    if config.get("CASUSTAFEL_KEYRING_JSON"):
        return crypto.Keyring.from_json(config["CASUSTAFEL_KEYRING_JSON"])
    path = config.get("CASUSTAFEL_KEYRING")
    if not path:
        return None
    try:
        return crypto.Keyring.load(path)
    except crypto.KeyringError:
        if not Path(path).exists():
            return None
        raise


def write_keyring_file(path, keyring: crypto.Keyring) -> None:
    """Replace the keyring file atomically: a new file (mode 0400) in the same folder, renamed.

    A reader sees the old or the new file, never half of one; a crash leaves at most a
    `.keyring-*.tmp` file, which holds keys and must be removed by the operator.
    """
    target = Path(path)
    temp = target.parent / f".keyring-{secrets.token_hex(8)}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(keyring.to_json())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    with contextlib.suppress(OSError):
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def key_checks_in_use() -> list:
    if not inspect(db.engine).has_table(KeyCheck.__tablename__):
        return []
    return list(db.session.scalars(select(KeyCheck)))


def verify_keyring(keyring: crypto.Keyring | None) -> None:
    """Compare the keyring with the commitments in the database; register new keys.

    Raise KeyringError naming purpose and key id for a missing or a wrong key.
    """
    checks = key_checks_in_use()
    if keyring is None:
        if checks:
            first = checks[0]
            raise crypto.KeyringError(
                f"Sleutelbestand ontbreekt terwijl de database sleutels gebruikt "
                f"(doel '{first.purpose}', sleutel-id {first.kid})"
            )
        return
    known = set()
    for check in checks:
        known.add((check.purpose, check.kid))
        actual = keyring.check_value(check.purpose, check.kid)  # KeyringError when missing
        if not crypto.constant_time_equal(actual, check.check_value):
            raise crypto.KeyringError(
                f"Verkeerde sleutel: doel '{check.purpose}', sleutel-id {check.kid}"
            )
    if not inspect(db.engine).has_table(KeyCheck.__tablename__):
        return
    added = False
    for purpose in crypto.PURPOSES:
        for kid in keyring.kids(purpose):
            if (purpose, kid) not in known:
                db.session.add(
                    KeyCheck(purpose=purpose, kid=kid, check_value=keyring.check_value(purpose, kid))
                )
                added = True
    if added:
        try:
            db.session.commit()
        except IntegrityError:  # another worker registered them first
            db.session.rollback()
            verify_keyring(keyring)


class ConfigurationError(RuntimeError):
    """A setting the application cannot start with; the message names the setting."""


def _whole_number(config, name: str, env: str):
    value = config.get(name)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    text = str(value).strip()
    if not text.isascii() or not text.isdigit():
        raise ConfigurationError(f"{env} moet een geheel getal zijn, niet {value!r}")
    return int(text)


def configure_blind_index_width(config) -> int:
    """Settle BLIND_INDEX_BITS: the configured width, checked against the safe range for
    BLIND_INDEX_EXPECTED_VALUES, or (unset) the widest safe width for that number.

    ConfigurationError, naming the setting and the safe range, for anything else.
    """
    expected = _whole_number(config, "BLIND_INDEX_EXPECTED_VALUES", "CASUSTAFEL_BLIND_INDEX_EXPECTED_VALUES")
    bits = _whole_number(config, "BLIND_INDEX_BITS", "CASUSTAFEL_BLIND_INDEX_BITS")
    try:
        bits = crypto.choose_bits(expected) if bits is None else crypto.check_bits(bits, expected)
    except crypto.BlindIndexPlanError as error:
        raise ConfigurationError(
            f"{error}. Zie docs/security.md, \"Blind-index leakage\" (CASUSTAFEL_BLIND_INDEX_EXPECTED_VALUES, "
            "CASUSTAFEL_BLIND_INDEX_BITS)."
        ) from None
    config["BLIND_INDEX_EXPECTED_VALUES"], config["BLIND_INDEX_BITS"] = expected, bits
    return bits


def check_blind_index_width(config) -> None:
    """Warn when the database's blind indexes have another width than the configuration asks.

    Not an error: the database's width decides how indexes are made and looked up, so nothing
    is missed; `flask blind-index rewidth` brings them to the configured width.
    """
    if not inspect(db.engine).has_table(BlindIndexWidth.__tablename__):
        return
    state = db.session.get(BlindIndexWidth, WIDTH_ROW)
    if state is None:
        return
    if state.previous_bits is not None:
        log.warning("Blinde indexen: omzetting van %s naar %s bits nog niet klaar; draai `flask blind-index "
                    "rewidth` opnieuw", state.previous_bits, state.bits)
    elif state.bits != config["BLIND_INDEX_BITS"]:
        log.warning("Blinde indexen: de database gebruikt %s bits, de configuratie vraagt %s bits; draai "
                    "`flask blind-index rewidth`", state.bits, config["BLIND_INDEX_BITS"])


def init_app(app) -> None:
    configure_blind_index_width(app.config)
    keyring = load_keyring(app.config)
    app.extensions["casustafel_keyring"] = keyring
    with app.app_context():
        verify_keyring(keyring)
        check_blind_index_width(app.config)
        db.session.remove()
