"""Key rotation (docs/security.md "Rotation"): add a key, make it primary, rotate in batches,
verify. Each purpose converges, a rerun changes nothing, the old key stays, every value keeps
its plaintext, and blind-index lookups find the same rows before, during and after a rotation.
"""

import json
import stat

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from casustafel import create_app, crypto, linking, rotation
from casustafel.extensions import db
from casustafel.models import Attachment, AuditEvent, KeyCheck, Referral, Subject
from casustafel.signals.linked import find_linked
from config import TestConfig
from tests.helpers.rotation import ADDRESSES, PEOPLE, QUERIES, field_fingerprints, file_fingerprints, search_results

# --- helpers shared with test_rotation_kill.py ------------------------------------------------








def with_new_primary(keyring, *purposes) -> crypto.Keyring:
    """A copy of `keyring` with one new key per purpose, made primary."""
    ring = crypto.Keyring.from_json(keyring.to_json())
    for purpose in purposes:
        ring.set_primary(purpose, ring.add_key(purpose))
    return ring


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def use_keyring(app):
    """Swap the app's keyring for the test; the suite's keyring comes back afterwards."""
    original = app.extensions["casustafel_keyring"]

    def use(ring):
        app.extensions["casustafel_keyring"] = ring
        return ring

    yield use
    app.extensions["casustafel_keyring"] = original






def kids_in_use(purpose, keyring) -> set:
    return {kid for kid, n in rotation.status(keyring, [purpose])[purpose].items() if n}


# --- enc --------------------------------------------------------------------------------------


def test_enc_rotation_reencrypts_every_field_keeps_plaintexts_and_a_rerun_changes_nothing(
        app, signals, make_user, use_keyring):
    make_user("admin", totp_secret="JBSWY3DPEHPK3PXP")
    old = app.extensions["casustafel_keyring"]
    before = field_fingerprints(old)
    assert {table for table, _, _ in before} >= {"signal", "subject", "location", "attachment", "user_account"}

    ring = use_keyring(with_new_primary(old, "enc"))
    assert rotation.rows_on_old_keys(ring, "enc") == len(before)
    lines = []
    result = rotation.rotate(ring, "enc", batch_size=2, progress=lines.append)

    assert result.changed == len(before) and result.complete
    assert len(lines) > len(signals)  # one line per batch of two rows
    assert rotation.rows_on_old_keys(ring, "enc") == 0
    assert kids_in_use("enc", ring) == {2}
    assert field_fingerprints(ring) == before
    assert ring.kids("enc") == [1, 2]  # the old key is kept
    blobs = {(t, a, i): b for (t, a, i), b in _raw_blobs().items()}
    again = rotation.rotate(ring, "enc", batch_size=3)
    assert again.changed == 0 and again.scanned == result.scanned
    assert _raw_blobs() == blobs  # idempotent: not even a new nonce
    db.session.expire_all()
    assert db.session.scalars(select(Subject)).first().name in {name for name, _ in PEOPLE}


def _raw_blobs() -> dict:
    out = {}
    for cls, fields in rotation.encrypted_fields():
        table = cls.__table__
        for row in db.session.execute(select(table.c.id, *(table.c[c] for _, c in fields))):
            for (attr, _), blob in zip(fields, row[1:], strict=True):
                out[(table.name, attr, str(row[0]))] = blob
    return out


def test_enc_rotation_never_overwrites_a_value_the_application_changed_meanwhile(app, signals, use_keyring):
    use_keyring(with_new_primary(app.extensions["casustafel_keyring"], "enc"))
    subject = signals[0].subjects[0]
    stale = subject.name_enc
    subject.name = "Nieuwe Naam"  # written by the app under the primary key
    db.session.commit()
    written = rotation._update(Subject.__table__, subject.id, {"name_enc": stale}, {"name_enc": b"x"})
    assert not written
    db.session.expire_all()
    assert db.session.get(Subject, subject.id).name == "Nieuwe Naam"


def test_a_value_that_fails_to_decrypt_is_reported_left_alone_and_fails_verification(
        app, signals, use_keyring):
    ring = use_keyring(with_new_primary(app.extensions["casustafel_keyring"], "enc"))
    subject = signals[0].subjects[0]
    broken = bytearray(subject.name_enc)
    broken[-1] ^= 1
    db.session.execute(Subject.__table__.update().where(Subject.__table__.c.id == subject.id)
                       .values(name_enc=bytes(broken)))
    db.session.commit()
    result = rotation.rotate(ring, "enc", batch_size=4)
    assert result.unreadable == [f"subject.name_enc {subject.id}"] and not result.complete
    assert rotation.rows_on_old_keys(ring, "enc") == 1
    db.session.expire_all()
    assert db.session.get(Subject, subject.id).name_enc == bytes(broken)


# --- bidx -------------------------------------------------------------------------------------


def test_bidx_rotation_keeps_search_and_linked_signals_identical_before_during_and_after(
        app, signals, make_signal, use_keyring):
    old = app.extensions["casustafel_keyring"]
    before = search_results(QUERIES)
    assert before[("person", "Jan Jansen", "1980-01-02")] and before[signals[0].reference]

    ring = use_keyring(with_new_primary(old, "bidx"))
    assert rotation.rows_on_old_keys(ring, "bidx") == 2 * len(signals)  # a subject and a location each
    assert search_results(QUERIES) == before  # nothing re-indexed yet: found under the old key

    class KilledError(Exception):
        pass

    def stop_after_first_batch(line):
        raise KilledError

    with pytest.raises(KilledError):
        rotation.rotate(ring, "bidx", batch_size=4, progress=stop_after_first_batch)
    db.session.rollback()
    half = rotation.status(ring, ["bidx"])["bidx"]
    assert half[1] and half[2], half  # half done: both keys in use
    assert search_results(QUERIES) == before

    # A signal registered now is indexed under the new key and links to the old ones.
    newcomer = make_signal(None, person=PEOPLE[0], address=ADDRESSES[0])
    linked = find_linked(newcomer)
    person_link = next(link for link in linked[newcomer.subjects[0].id] if link.kind == "person")
    assert {s.reference for s in person_link.signals} == {s.reference for s in signals[0::3]}
    during = search_results(QUERIES)
    assert newcomer.reference in during

    result = rotation.rotate(ring, "bidx", batch_size=4)
    assert result.complete and rotation.rows_on_old_keys(ring, "bidx") == 0
    assert search_results(QUERIES) == during
    assert rotation.rotate(ring, "bidx", batch_size=4).changed == 0
    # Without the old key the new indexes alone still find everything.
    only_new = crypto.Keyring.from_json(ring.to_json())
    doc = json.loads(only_new.to_json())
    del doc["purposes"]["bidx"]["keys"]["1"]
    use_keyring(crypto.Keyring.from_json(json.dumps(doc)))
    assert search_results(QUERIES) == during


def test_lookup_indexes_gives_the_primary_first_then_every_other_bidx_key(app, use_keyring):
    ring = use_keyring(with_new_primary(app.extensions["casustafel_keyring"], "bidx"))
    indexes = linking.lookup_indexes("kvk", "01234567")
    assert indexes[0] == linking.blind_index("kvk", "01234567") == linking.blind_index("kvk", "01234567", kid=2)
    assert set(indexes) == {linking.blind_index("kvk", "01234567", kid=k) for k in ring.kids("bidx")}
    assert linking.lookup_indexes("kvk", "") == []


# --- file -------------------------------------------------------------------------------------


def test_file_rotation_rewraps_file_keys_only_and_contents_stay_readable(app, signals, use_keyring):
    store = app.extensions["casustafel_store"]
    old = app.extensions["casustafel_keyring"]
    before = file_fingerprints(old, store)
    assert len(before) == len(signals)
    files = {a.id: store.path(a.id).read_bytes() for s in signals for a in s.attachments}

    ring = use_keyring(with_new_primary(old, "file"))
    assert rotation.rows_on_old_keys(ring, "file") == len(signals)
    result = rotation.rotate(ring, "file", batch_size=2)
    assert result.changed == len(signals) and rotation.rows_on_old_keys(ring, "file") == 0
    assert file_fingerprints(ring, store) == before
    assert {i: store.path(i).read_bytes() for i in files} == files  # the content is not rewritten
    assert rotation.rotate(ring, "file", batch_size=2).changed == 0
    wrapped = db.session.scalars(select(Attachment.wrapped_key)).all()
    assert {crypto.wrapped_key_kid(w) for w in wrapped} == {2}


def test_discovery_finds_every_encrypted_attribute_blind_index_and_wrapped_key():
    assert (Referral, "package_wrapped_key") in rotation.wrapped_key_columns()
    assert (Attachment, "wrapped_key") in rotation.wrapped_key_columns()
    assert {m.__tablename__ for m in rotation.indexed_models()} == set(linking.INDEXED_TABLES)
    enc = dict(rotation.encrypted_fields())
    assert ("name", "name_enc") in enc[Subject] and ("postcode", "postcode_enc") in enc[Subject]
    # Every *_enc column of every table belongs to an Encrypted attribute.
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if column.name.endswith("_enc"):
                owner = next(cls for cls in enc if cls.__table__ is table)
                assert column.name in {c for _, c in enc[owner]}, f"{table.name}.{column.name}"


def test_audit_and_unknown_purposes_are_refused(app):
    ring = app.extensions["casustafel_keyring"]
    with pytest.raises(rotation.RotationError, match="eigen sleutel"):
        rotation.rotate(ring, "audit")
    with pytest.raises(rotation.RotationError):
        rotation.rotate(ring, "sleutel")
    with pytest.raises(rotation.RotationError):
        rotation.rotate(ring, "enc", batch_size=0)


# --- the commands, on a keyring file -----------------------------------------------------------


@pytest.fixture
def file_app(tmp_path):
    """An app on a SQLite file with a keyring file (mode 0400), as in production."""
    path = tmp_path / "keyring.json"
    path.write_text(crypto.Keyring.generate().to_json())
    path.chmod(0o400)
    config = type("RotationFileConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "CASUSTAFEL_KEYRING_JSON": None,
        "CASUSTAFEL_KEYRING": str(path),
        "ATTACHMENT_DIR": str(tmp_path / "attachments"),
        "UPLOAD_TMP_DIR": str(tmp_path / "uploads"),
    })
    app = create_app(config)
    with app.app_context():
        upgrade()
    yield app, path
    with app.app_context():
        db.engine.dispose()


def test_the_commands_add_make_primary_rotate_and_verify_on_a_keyring_file(file_app):
    app, path = file_app
    runner = app.test_cli_runner()
    with app.app_context():
        subject = Subject(kind="persoon", role="eigenaar", signal_id=None)
        _add_signal_with(subject)
        first_key = crypto.Keyring.load(path).key("enc", 1)

        out = runner.invoke(args=["keys", "add", "--purpose", "enc"])
        assert out.exit_code == 0, out.output
        assert "sleutel-id 2 (nog niet primair)" in out.output
        assert stat.S_IMODE(path.stat().st_mode) == 0o400
        assert not list(path.parent.glob(".keyring-*"))
        on_disk = crypto.Keyring.load(path)
        assert on_disk.kids("enc") == [1, 2] and on_disk.primary_kid("enc") == 1
        assert db.session.get(KeyCheck, ("enc", 2)) is not None  # its commitment is recorded

        refused = runner.invoke(args=["keys", "primary", "--purpose", "enc", "--kid", "3"])
        assert refused.exit_code == 1 and "sleutel-id 3" in refused.output
        assert runner.invoke(args=["keys", "primary", "--purpose", "geheim", "--kid", "2"]).exit_code == 2
        assert runner.invoke(args=["keys", "primary", "--purpose", "enc", "--kid", "2"]).exit_code == 0
        assert crypto.Keyring.load(path).primary_kid("enc") == 2
        assert stat.S_IMODE(path.stat().st_mode) == 0o400

        # The running app keeps its keyring until restarted; the next process reads the new file.
        app.extensions["casustafel_keyring"] = crypto.Keyring.load(path)
        assert runner.invoke(args=["keys", "verify-rotation", "--purpose", "enc"]).exit_code == 1
        status = runner.invoke(args=["keys", "status"])
        assert "enc (primair 2; in sleutelbestand: 1, 2)" in status.output
        assert "sleutel-id 1: 1" in status.output

        rotated = runner.invoke(args=["keys", "rotate", "--purpose", "enc", "--batch-size", "1"])
        assert rotated.exit_code == 0, rotated.output
        assert "1 gewijzigd" in rotated.output
        verified = runner.invoke(args=["keys", "verify-rotation", "--purpose", "enc"])
        assert verified.exit_code == 0 and "primaire sleutel-id 2" in verified.output
        assert crypto.Keyring.load(path).key("enc", 1) == first_key  # the old key is retained

        assert runner.invoke(args=["keys", "rotate", "--purpose", "audit"]).exit_code == 1
        assert runner.invoke(args=["keys", "verify-rotation", "--purpose", "audit"]).exit_code == 0
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("keys.%"))
                                    .order_by(AuditEvent.seq)).all()
        assert [(e.action, e.object_id) for e in events] == [
            ("keys.added", "enc:2"), ("keys.primary_changed", "enc:2"), ("keys.rotated", "enc:2")]
        secrets_ = [v for p in json.loads(path.read_text())["purposes"].values() for v in p["keys"].values()]
        for event in events:  # no key material in the log
            logged = " ".join(str(getattr(event, c.name)) for c in AuditEvent.__table__.columns)
            assert not any(secret in logged for secret in secrets_)
        assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def _add_signal_with(subject):
    from casustafel.models import Signal
    from casustafel.signals.services import next_reference

    signal = Signal(reference=next_reference(), channel="meldpunt", status="ingediend")
    signal.subjects.append(subject)
    subject.name = "Jan Jansen"
    db.session.add(signal)
    db.session.commit()


def test_the_commands_refuse_keys_from_the_environment(app):
    out = app.test_cli_runner().invoke(args=["keys", "add", "--purpose", "enc"])
    assert out.exit_code == 1 and "CASUSTAFEL_KEYRING_JSON" in out.output
