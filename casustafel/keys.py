"""Load the keyring at start-up and refuse to start with a missing or wrong key."""

import logging

from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from casustafel import crypto
from casustafel.extensions import db

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
        from pathlib import Path

        if not Path(path).exists():
            return None
        raise


def key_checks_in_use() -> list:
    from casustafel.models import KeyCheck

    if not inspect(db.engine).has_table(KeyCheck.__tablename__):
        return []
    return list(db.session.scalars(select(KeyCheck)))


def verify_keyring(keyring: crypto.Keyring | None) -> None:
    """Compare the keyring with the commitments in the database; register new keys.

    Raise KeyringError naming purpose and key id for a missing or a wrong key.
    """
    from casustafel.models import KeyCheck

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


def init_app(app) -> None:
    keyring = load_keyring(app.config)
    app.extensions["casustafel_keyring"] = keyring
    with app.app_context():
        verify_keyring(keyring)
        db.session.remove()
