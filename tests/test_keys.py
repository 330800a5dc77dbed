"""Keys at start-up, `keys init`, and records whose ciphertext fails to decrypt.

docs/security.md "Field encryption": with a wrong or missing key the app refuses to start and
names the purpose and key id, never the key; an explicit CLI creates the keyring and
nothing generates keys at runtime; a value that fails to decrypt raises a clear error for
that record only and is never treated as empty or written back.
"""

import base64
import gc
import json
import logging
import os
import stat

import pyotp
import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select, update

from casustafel import create_app, errors
from casustafel.crypto import PURPOSES, DecryptionError, Keyring, KeyringError
from casustafel.extensions import db
from casustafel.models import KeyCheck, User
from config import TestConfig

USERS = User.__table__


def file_config(tmp_path, keyring_json=None, keyring_path=None):
    """TestConfig on a SQLite file in tmp_path, with the given keyring (or none)."""
    return type(
        "FileSQLiteTestConfig",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}",
            "SQLALCHEMY_ENGINE_OPTIONS": {},
            "CASUSTAFEL_KEYRING_JSON": keyring_json,
            "CASUSTAFEL_KEYRING": str(keyring_path) if keyring_path else None,
        },
    )


def start(tmp_path, **keyring):
    return create_app(file_config(tmp_path, **keyring))


def stop(app):
    with app.app_context():
        db.engine.dispose()


def refused_start(tmp_path, **keyring) -> str:
    """Start the app, expect KeyringError, return its message; the half-made app is freed."""
    try:
        start(tmp_path, **keyring)
    except KeyringError as exc:
        message = str(exc)
        assert repr(exc.args) == repr((message,))
    else:
        pytest.fail("the app started")
    gc.collect()  # close the refused app's database connections
    return message


def keyring_doc(keyring):
    return json.loads(keyring.to_json())


def replace_key(keyring, purpose, kid):
    """The same keyring, except that `purpose` key `kid` has other bytes."""
    doc = keyring_doc(keyring)
    doc["purposes"][purpose]["keys"][str(kid)] = base64.b64encode(os.urandom(32)).decode()
    return json.dumps(doc)


def key_spellings(*keyrings):
    """Every key of the keyrings in base64, url-safe base64 and hex (both cases)."""
    spellings = []
    for keyring in keyrings:
        for entry in keyring_doc(keyring)["purposes"].values():
            for encoded in entry["keys"].values():
                raw = base64.b64decode(encoded)
                spellings += [encoded, encoded.rstrip("="), base64.urlsafe_b64encode(raw).decode()]
                spellings += [raw.hex(), raw.hex().upper()]
    return spellings


def database_files(tmp_path):
    """The SQLite file and, if any, the unmerged write-ahead log."""
    main = (tmp_path / "db.sqlite").read_bytes()
    wal = tmp_path / "db.sqlite-wal"
    return main, wal.read_bytes() if wal.exists() else b""


@pytest.fixture
def populated(tmp_path):
    """A SQLite file in use: migrated, keys registered, one user with a TOTP secret."""
    keyring = Keyring.generate()
    first = start(tmp_path, keyring_json=keyring.to_json())
    with first.app_context():
        upgrade()
    stop(first)
    second = start(tmp_path, keyring_json=keyring.to_json())  # registers the key checks
    with second.app_context():
        user = User(email="a@gemeente.test", display_name="A", password_hash="x")
        user.totp_secret = pyotp.random_base32()
        db.session.add(user)
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(KeyCheck)) == len(PURPOSES)
    stop(second)
    assert not (tmp_path / "db.sqlite-wal").exists() or database_files(tmp_path)[1] == b""
    return keyring


# Refusing to start -----------------------------------------------------------------------


def test_the_right_keyring_starts(tmp_path, populated):
    app = start(tmp_path, keyring_json=populated.to_json())
    with app.app_context():
        user = db.session.scalar(select(User))
        assert len(user.totp_secret) == 32
    stop(app)


@pytest.mark.parametrize("purpose", PURPOSES)
def test_a_wrong_key_refuses_start_naming_purpose_and_key_id_but_no_key(tmp_path, populated, purpose):
    before = database_files(tmp_path)
    wrong = replace_key(populated, purpose, 1)

    message = refused_start(tmp_path, keyring_json=wrong)

    assert message == f"Verkeerde sleutel: doel '{purpose}', sleutel-id 1"
    for spelling in key_spellings(populated, Keyring.from_json(wrong)):
        assert spelling not in message
    assert database_files(tmp_path) == before


def test_a_keyring_without_a_key_the_database_uses_refuses_start(tmp_path, populated):
    # enc rotated to key 2 and key 1 dropped, while the database still has data under key 1.
    doc = keyring_doc(populated)
    doc["purposes"]["enc"] = {"primary": 2, "keys": {"2": base64.b64encode(os.urandom(32)).decode()}}
    before = database_files(tmp_path)

    message = refused_start(tmp_path, keyring_json=json.dumps(doc))

    assert "doel 'enc'" in message
    assert "sleutel-id 1" in message
    assert database_files(tmp_path) == before


def test_a_missing_later_key_id_is_named(tmp_path, populated):
    doc = keyring_doc(populated)
    doc["purposes"]["bidx"]["keys"]["2"] = base64.b64encode(os.urandom(32)).decode()
    app = start(tmp_path, keyring_json=json.dumps(doc))  # registers bidx key 2
    stop(app)
    before = database_files(tmp_path)

    message = refused_start(tmp_path, keyring_json=populated.to_json())

    assert message == "Sleutel ontbreekt: doel 'bidx', sleutel-id 2"
    assert database_files(tmp_path) == before


def test_no_keyring_at_all_on_a_database_in_use_refuses_start(tmp_path, populated):
    before = database_files(tmp_path)
    missing = tmp_path / "geen-sleutelbestand.json"

    message = refused_start(tmp_path, keyring_path=missing)

    assert "Sleutelbestand ontbreekt" in message
    assert "doel '" in message
    assert "sleutel-id 1" in message
    assert not missing.exists()  # nothing generates keys at runtime
    assert database_files(tmp_path) == before


def test_an_unreadable_key_file_refuses_start(tmp_path, populated):
    broken = tmp_path / "keyring.json"
    broken.write_text("{not json")
    before = database_files(tmp_path)

    message = refused_start(tmp_path, keyring_path=broken)

    assert "geen geldige JSON" in message
    assert database_files(tmp_path) == before


# keys init -------------------------------------------------------------------------------


@pytest.fixture
def keyless_app(tmp_path):
    """A migrated, empty database and no key file yet.

    Its app context is pushed for the test: the CLI runner reuses whatever app context is
    current, and the autouse `_clean` fixture has pushed the session app's.
    """
    app = start(tmp_path, keyring_path=tmp_path / "keyring.json")
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
    stop(app)


def test_keys_init_writes_a_read_only_key_file_that_loads(tmp_path, keyless_app):
    path = tmp_path / "keys" / "keyring.json"
    assert not (tmp_path / "keyring.json").exists()  # starting without keys made none

    result = keyless_app.test_cli_runner().invoke(args=["keys", "init", "--path", str(path)])

    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o400
    keyring = Keyring.load(path)
    assert {p: keyring.kids(p) for p in PURPOSES} == {p: [1] for p in PURPOSES}
    for spelling in key_spellings(keyring):
        assert spelling not in result.output

    # The next start registers the new keys.
    db.session.remove()
    app = start(tmp_path, keyring_path=path)
    with app.app_context():
        checks = db.session.scalars(select(KeyCheck)).all()
        assert sorted((c.purpose, c.kid) for c in checks) == sorted((p, 1) for p in PURPOSES)
        assert app.extensions["casustafel_keyring"].to_json() == keyring.to_json()
    stop(app)


def test_keys_init_refuses_to_overwrite_a_key_file(tmp_path, keyless_app):
    path = tmp_path / "keyring.json"
    runner = keyless_app.test_cli_runner()
    assert runner.invoke(args=["keys", "init", "--path", str(path)]).exit_code == 0
    original = path.read_bytes()

    result = runner.invoke(args=["keys", "init", "--path", str(path)])

    assert result.exit_code == 1
    assert "Er staat al een sleutelbestand" in result.output
    assert path.read_bytes() == original


def test_keys_init_refuses_when_the_database_already_uses_keys(app, tmp_path):
    path = tmp_path / "keyring.json"

    result = app.test_cli_runner().invoke(args=["keys", "init", "--path", str(path)])

    assert result.exit_code == 1
    assert "De database gebruikt al sleutels" in result.output
    assert not path.exists()


# Records that fail to decrypt ------------------------------------------------------------


@pytest.fixture
def two_users(make_user):
    a, b = make_user("reporter"), make_user("reporter")
    a.totp_secret, b.totp_secret = pyotp.random_base32(), pyotp.random_base32()
    db.session.commit()
    return a, b


def stored_blob(user_id):
    return db.session.scalar(select(User.totp_secret_enc).where(User.id == user_id))


def overwrite_blob(user_id, blob):
    db.session.execute(update(USERS).where(USERS.c.id == user_id).values(totp_secret_enc=blob))
    db.session.commit()
    db.session.expire_all()


def test_a_ciphertext_moved_to_another_row_fails_for_that_row_only(two_users):
    a, b = two_users
    secret_a, secret_b = a.totp_secret, b.totp_secret
    blob_a = stored_blob(a.id)

    overwrite_blob(b.id, blob_a)

    with pytest.raises(DecryptionError) as excinfo:
        _ = b.totp_secret
    assert (excinfo.value.table, excinfo.value.column, excinfo.value.row_id) == (
        "user_account",
        "totp_secret",
        b.id,
    )
    assert str(b.id) in str(excinfo.value)
    assert secret_a not in str(excinfo.value)
    assert secret_b not in str(excinfo.value)
    assert a.totp_secret == secret_a
    assert b.email  # the rest of the record still reads
    # Never treated as empty, never written back.
    db.session.commit()
    assert stored_blob(b.id) == blob_a
    with pytest.raises(DecryptionError):
        _ = db.session.get(User, b.id).totp_secret


@pytest.mark.parametrize(
    ("position", "part"),
    [(0, "version"), (5, "nonce"), (17, "ciphertext"), (-1, "tag")],
)
def test_a_flipped_bit_in_a_stored_ciphertext_fails_for_that_row_only(two_users, position, part):
    a, b = two_users
    secret_a = a.totp_secret
    blob = bytearray(stored_blob(b.id))
    blob[position] ^= 0x01

    overwrite_blob(b.id, bytes(blob))

    with pytest.raises(DecryptionError) as excinfo:
        _ = b.totp_secret
    assert excinfo.value.row_id == b.id
    assert a.totp_secret == secret_a
    assert stored_blob(b.id) == bytes(blob)


def test_a_flipped_bit_in_the_key_id_names_purpose_and_key_id(two_users):
    """Documented in crypto.decrypt_field: an unknown key id is a KeyringError."""
    a, b = two_users
    blob = bytearray(stored_blob(b.id))
    blob[1] ^= 0x01  # key id 1 becomes 16777217

    overwrite_blob(b.id, bytes(blob))

    with pytest.raises(KeyringError, match=r"doel 'enc', sleutel-id 16777217"):
        _ = b.totp_secret
    assert a.totp_secret


def test_decryption_errors_get_the_dutch_500_page_without_internals(app, two_users, caplog):
    _, b = two_users
    assert app.error_handler_spec[None][None][DecryptionError] is errors.handle_decryption_error
    logger = logging.getLogger("casustafel.errors")
    was_disabled, logger.disabled = logger.disabled, False  # see test_encryption_at_rest
    caplog.set_level(logging.DEBUG)
    try:
        with app.test_request_context("/"):
            b.display_name = "Half bewerkt"  # a pending change must be rolled back
            body, status = errors.handle_decryption_error(
                DecryptionError("user_account", "totp_secret", b.id)
            )
    finally:
        logger.disabled = was_disabled

    assert status == 500
    assert "Er ging iets mis" in body
    for internal in ("Traceback", "DecryptionError", "ontsleutelen", "totp_secret", str(b.id)):
        assert internal not in body
    assert db.session.get(User, b.id).display_name != "Half bewerkt"
    logged = [r.getMessage() for r in caplog.records if r.name == "casustafel.errors"]
    assert len(logged) == 1
    assert f"user_account.totp_secret of record {b.id}" in logged[0]
