"""Reference R8: the backup and restore drill of docs/deployment.md, automated.

A populated installation (signals with subjects, addresses and attachments, a workspace read,
a status change, all logged) is backed up the way the guide says: PostgreSQL with
`pg_dump -Fc` (SQLite with `VACUUM INTO`) plus a copy of the attachment store, the keyring
kept apart. The backup is restored into a clean database and folder and started with the
escrowed keyring: every encrypted field decrypts, every attachment verifies and decrypts,
the access log's chain verifies and the row counts match. Started without the keyring, the
restored installation refuses to start: the backup alone leaks nothing.

Runs on the suite's dialect (TEST_DATABASE_URL or SQLite).
"""

import os
import shutil
import subprocess  # nosec B404 - pg_dump / pg_restore of a scratch database
from pathlib import Path

import pytest
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bench.server import drop_database, recreate_database
from casustafel import create_app, crypto
from casustafel.audit_log import verify_chain
from casustafel.extensions import db
from casustafel.models import Attachment, Signal
from casustafel.models.base import Encrypted, keyring
from config import TestConfig

TEST_URL = os.environ.get("TEST_DATABASE_URL", "sqlite://")
PASSWORD = "backup drill password 2026"


def _config(database_url: str, keyring_path: Path, files: Path):
    class DrillConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        CASUSTAFEL_KEYRING = str(keyring_path)
        CASUSTAFEL_KEYRING_JSON = None  # keys from the file, as in production
        ATTACHMENT_DIR = str(files / "attachments")
        UPLOAD_TMP_DIR = str(files / "uploads-tmp")
        WTF_CSRF_ENABLED = False
        RATELIMIT_ENABLED = False

    return DrillConfig


def _dispose(app):
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _form(n: int) -> dict:
    return {
        "phenomenon_id": "2",
        "description": f"Ramen afgeplakt, veel bezoek 's nachts ({n}).",
        "observed_from": "2026-10-01",
        "subjects-0-kind": "persoon",
        "subjects-0-role": "vermoedelijk_betrokkene",
        "subjects-0-name": f"Piet Bakker {n}",
        "subjects-0-birth_date": "1975-04-03",
        "locations-0-postcode": "1234 AB",
        "locations-0-house_number": str(10 + n),
        "locations-0-city": "Ergens",
    }


def _populate(app) -> None:
    import io

    from casustafel.admin.services import create_user

    with app.app_context():
        upgrade()
        from casustafel.keys import verify_keyring

        verify_keyring(keyring())  # registers the key commitments, as at start-up
        create_user(None, "regie@drill.test", "Regie Drill", ["coordinator"], PASSWORD, must_change_password=False)
        db.session.commit()
    client = app.test_client()
    response = client.post("/inloggen", data={"email": "regie@drill.test", "password": PASSWORD})
    assert response.status_code == 302
    for n in range(3):
        data = {**_form(n), "attachments": (io.BytesIO(f"bijlage {n} ".encode() * 40000), f"notitie-{n}.txt")}
        response = client.post("/meldpunt", data=data, content_type="multipart/form-data")
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        ids = list(db.session.scalars(select(Signal.id)))
    for signal_id in ids:
        assert client.get(f"/meldingen/{signal_id}").status_code == 200


def _counts() -> dict[str, int]:
    return {
        table.name: db.session.execute(select(func.count()).select_from(table)).scalar()
        for table in db.metadata.sorted_tables
    }


def _encrypted_attributes():
    for mapper in db.Model.registry.mappers:
        cls = mapper.class_
        names = [name for klass in cls.__mro__ for name, value in vars(klass).items() if isinstance(value, Encrypted)]
        if names:
            yield cls, sorted(set(names))


def _decrypt_everything() -> int:
    """Read every encrypted attribute of every row; return how many values were decrypted."""
    decrypted = 0
    for cls, names in _encrypted_attributes():
        for row in db.session.scalars(select(cls)):
            for name in names:
                if getattr(row, name) is not None:
                    decrypted += 1
    return decrypted


def _verify_attachments() -> int:
    store = current_app.extensions["casustafel_store"]
    checked = 0
    for attachment in db.session.scalars(select(Attachment)):
        assert store.verify(attachment.id, attachment.digest)
        size = sum(len(chunk) for chunk in store.open(attachment.id, attachment.wrapped_key, keyring()))
        assert size == attachment.size
        assert attachment.filename.startswith("notitie-")
        checked += 1
    return checked


@pytest.fixture
def drill(tmp_path):
    """Source and target databases of the suite's dialect; dropped afterwards."""
    url = make_url(TEST_URL)
    if url.drivername.startswith("postgresql"):
        source = url.set(database=f"{url.database}_drill_src").render_as_string(hide_password=False)
        target = url.set(database=f"{url.database}_drill_dst").render_as_string(hide_password=False)
        recreate_database(source)
        drop_database(target)
        yield "postgresql", source, target
        drop_database(source)
        drop_database(target)
    else:
        yield "sqlite", f"sqlite:///{tmp_path / 'source.db'}", f"sqlite:///{tmp_path / 'restored' / 'casustafel.db'}"


def _libpq(url: str) -> str:
    """The plain libpq URL of a SQLAlchemy URL (pg_dump does not know `+psycopg`)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_backup_restores_with_the_escrowed_keyring_and_refuses_without(drill, tmp_path):
    dialect, source_url, target_url = drill
    keys = tmp_path / "keys" / "keyring.json"  # apart from the backup, as the guide says
    keys.parent.mkdir()
    keys.write_text(crypto.Keyring.generate().to_json())
    keys.chmod(0o400)
    origin = tmp_path / "origin"
    app = create_app(_config(source_url, keys, origin))
    _populate(app)
    with app.app_context():
        counts_before = _counts()
        decrypted_before = _decrypt_everything()
    assert counts_before["signal"] == 3 and counts_before["attachment"] == 3
    assert counts_before["audit_event"] > 6

    # --- backup: database dump and the attachment store; no keyring in it ---------------
    backup = tmp_path / "backup"
    backup.mkdir()
    if dialect == "postgresql":
        subprocess.run(  # nosec B603 B607 - pg_dump of the scratch database
            ["pg_dump", "-Fc", "--no-owner", "-f", str(backup / "casustafel.dump"), _libpq(source_url)],
            check=True, timeout=120,
        )
    else:
        with app.app_context(), db.engine.connect() as conn:
            conn.exec_driver_sql(f"VACUUM INTO '{backup / 'casustafel.db'}'")
    shutil.copytree(origin / "attachments", backup / "attachments")
    _dispose(app)
    assert not any(b"purposes" in p.read_bytes() for p in backup.rglob("*") if p.is_file())

    # --- restore into a clean environment ----------------------------------------------
    restored = tmp_path / "restored"
    restored.mkdir()
    if dialect == "postgresql":
        recreate_database(target_url)
        subprocess.run(  # nosec B603 B607 - pg_restore into the scratch database
            ["pg_restore", "--no-owner", "--exit-on-error", "-d", _libpq(target_url), str(backup / "casustafel.dump")],
            check=True, timeout=120,
        )
    else:
        shutil.copy(backup / "casustafel.db", restored / "casustafel.db")
    shutil.copytree(backup / "attachments", restored / "attachments")

    # Without the keyring: refuses to start, naming what is missing; nothing is created.
    missing = tmp_path / "nowhere" / "keyring.json"
    with pytest.raises(crypto.KeyringError, match="Sleutelbestand ontbreekt"):
        create_app(_config(target_url, missing, restored))
    assert not missing.exists()
    # With a different keyring (same layout, other bytes): refuses too.
    wrong = tmp_path / "wrong.json"
    wrong.write_text(crypto.Keyring.generate().to_json())
    with pytest.raises(crypto.KeyringError, match="Verkeerde sleutel"):
        create_app(_config(target_url, wrong, restored))

    # With the escrowed keyring: everything is there and readable.
    escrow = tmp_path / "escrow.json"
    shutil.copy(keys, escrow)
    restored_app = create_app(_config(target_url, escrow, restored))
    with restored_app.app_context():
        assert _counts() == counts_before
        assert _decrypt_everything() == decrypted_before > 10
        assert _verify_attachments() == 3
        status = verify_chain(keyring())
        assert status.ok, status.message
        if dialect == "sqlite":
            with db.engine.connect() as conn:
                assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        # The restored installation keeps working: a new signal gets the next reference.
        signal = db.session.scalars(select(Signal).order_by(Signal.reference)).first()
        assert signal.description.startswith("Ramen afgeplakt")
    client = restored_app.test_client()
    assert client.post("/inloggen", data={"email": "regie@drill.test", "password": PASSWORD}).status_code == 302
    response = client.post("/meldpunt", data=_form(9), content_type="multipart/form-data")
    assert response.status_code == 302
    with restored_app.app_context():
        assert db.session.execute(select(func.count()).select_from(Signal)).scalar() == 4
        assert verify_chain(keyring()).ok
    _dispose(restored_app)


def test_a_tampered_attachment_in_the_backup_is_detected(tmp_path):
    """The restore check is able to fail: one flipped byte in a stored file is caught."""
    keys = tmp_path / "keyring.json"
    keys.write_text(crypto.Keyring.generate().to_json())
    app = create_app(_config(f"sqlite:///{tmp_path / 'db.sqlite'}", keys, tmp_path))
    _populate(app)
    with app.app_context():
        attachment = db.session.scalars(select(Attachment)).first()
        path = app.extensions["casustafel_store"].path(attachment.id)
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 1
        path.write_bytes(bytes(data))
        with pytest.raises(AssertionError):
            _verify_attachments()
    _dispose(app)
