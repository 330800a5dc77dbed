"""The schema comes only from the Flask-Migrate revisions, and they match the models.

Runs against a fresh database of the suite's dialect: a temp SQLite file, or a scratch
PostgreSQL database next to TEST_DATABASE_URL.
"""

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from casustafel import create_app
from casustafel.extensions import db
from config import TestConfig


@pytest.fixture
def fresh_app(app, tmp_path):
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.drivername.startswith("postgresql"):
        scratch = url.set(database=f"{url.database}_migrations")
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch.database}"'))
            conn.execute(text(f'CREATE DATABASE "{scratch.database}"'))
        target = scratch.render_as_string(hide_password=False)
    else:
        admin, target = None, f"sqlite:///{tmp_path / 'migrations.db'}"

    class FreshConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = target
        SQLALCHEMY_ENGINE_OPTIONS = {}
        ATTACHMENT_DIR = str(tmp_path / "attachments")
        UPLOAD_TMP_DIR = str(tmp_path / "uploads")

    fresh = create_app(FreshConfig)
    with fresh.app_context():
        yield fresh
        db.session.remove()
        db.engine.dispose()
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch.database}"'))
        admin.dispose()


def _differences():
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def key(value: uuid.UUID):
    """A uuid as a raw insert stores it: hex text on SQLite, the value itself on PostgreSQL."""
    return value.hex if db.engine.dialect.name == "sqlite" else value


def test_upgrade_to_head_gives_exactly_the_models_schema(fresh_app):
    upgrade()
    assert _differences() == []


def test_every_revision_downgrades_and_upgrades_again(fresh_app):
    upgrade()
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert _differences() == []
    seeded = db.session.execute(text("SELECT count(*) FROM phenomenon")).scalar()
    assert seeded > 10  # the default lists come back with the schema


# --- R9: every revision up and down, with data, on this dialect -------------------------------
#
# Generic over whatever revisions exist: at each revision every table that is still empty gets
# one row (encrypted columns get real ciphertext bound to row and column, foreign keys point at
# rows made earlier), then the revision is downgraded one step and upgraded again. The schema
# must come back identical and the rows of the older tables, ciphertext included, untouched.

import datetime as _dt  # noqa: E402

from alembic.script import ScriptDirectory  # noqa: E402
from sqlalchemy import MetaData, types  # noqa: E402

from casustafel import crypto  # noqa: E402
from casustafel.models.base import keyring  # noqa: E402


def _revisions() -> list[str]:
    config = db.get_engine  # noqa: F841 - keep the app context's engine alive
    from flask import current_app

    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions("base", "heads")))]


def _schema() -> dict:
    inspector = inspect(db.engine)
    schema = {}
    for table in sorted(set(inspector.get_table_names()) - {"alembic_version"}):
        schema[table] = {
            "columns": sorted((c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)),
            "pk": sorted(inspector.get_pk_constraint(table)["constrained_columns"]),
            "fks": sorted((tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                          for f in inspector.get_foreign_keys(table)),
            "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                              for i in inspector.get_indexes(table)),
            "uniques": sorted((u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints(table)),
        }
    return schema


def _value(column, table_name: str, row_id, n: int):
    kind = column.type
    if column.name.endswith("_enc"):
        return crypto.encrypt_field(keyring(), table_name, column.name.removesuffix("_enc"), row_id, f"waarde {n}")
    if isinstance(kind, types.Uuid) or "UUID" in str(kind).upper() or (
        isinstance(kind, types.CHAR) and getattr(kind, "length", None) == 32
    ):
        value = row_id if column.primary_key else uuid.uuid4()
        return value.hex if db.engine.dialect.name == "sqlite" else value
    if isinstance(kind, types.Boolean):
        return False
    if isinstance(kind, types.DateTime):
        return _dt.datetime(2026, 1, 2, 3, 4, 5)
    if isinstance(kind, types.Date):
        return _dt.date(2026, 1, 2)
    if isinstance(kind, (types.Integer, types.Numeric)):
        return 1000 + n
    if isinstance(kind, types.LargeBinary):
        return b"\x01\x02"
    if isinstance(kind, types.JSON):
        return {}
    length = getattr(kind, "length", None) or 40
    return f"w{n}"[:length]


def _fill_empty_tables(n: int) -> set[str]:
    """One row in every empty table; return the tables filled."""
    meta = MetaData()
    meta.reflect(bind=db.engine)
    filled = set()
    with db.engine.begin() as conn:
        for table in meta.sorted_tables:
            if table.name == "alembic_version" or conn.execute(table.select().limit(1)).first():
                continue
            row_id = uuid.uuid4()
            row = {}
            for column in table.columns:
                fks = list(column.foreign_keys)
                if fks:
                    target = fks[0].column
                    found = conn.execute(select_first(target)).scalar()
                    if found is None and not column.nullable:
                        raise AssertionError(f"{table.name}.{column.name}: no {target} to point at")
                    row[column.name] = found
                elif (column.primary_key and isinstance(column.type, types.Integer)
                      and len(table.primary_key.columns) == 1):
                    row[column.name] = 1
                elif column.primary_key or not column.nullable or column.name.endswith("_enc"):
                    row[column.name] = _value(column, table.name, row_id, n)
            conn.execute(table.insert().values(**row))
            filled.add(table.name)
    return filled


def select_first(column):
    from sqlalchemy import select

    return select(column).limit(1)


def _data(tables) -> dict:
    meta = MetaData()
    meta.reflect(bind=db.engine, only=list(tables))
    with db.engine.connect() as conn:
        return {
            table.name: sorted(
                # An empty ciphertext column is left out: a revision may add one to old rows.
                tuple(sorted((k, bytes(v) if isinstance(v, memoryview) else v) for k, v in row._mapping.items()
                             if (k.endswith("_enc") and v is not None) or k == "id"))
                for row in conn.execute(table.select())
            )
            for table in meta.sorted_tables
            if table.name in tables  # reflect() also pulls in tables the foreign keys name
        }


def _counts(tables) -> dict:
    with db.engine.connect() as conn:
        return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in tables}  # nosec B608


def test_each_revision_down_and_up_with_data(fresh_app):
    revisions = _revisions()
    assert revisions[0] == "0001" and len(revisions) >= 5
    previous, previous_tables, filled_any_enc = "base", set(), False
    for n, revision in enumerate(revisions):
        upgrade(revision=revision)
        schema = _schema()
        filled = _fill_empty_tables(n)
        filled_any_enc |= any(c["name"].endswith("_enc") for t in filled for c in inspect(db.engine).get_columns(t))
        tables = set(schema)
        # A table a revision replaces (0020 moves police_information into received_information,
        # re-encrypting it) is not compared byte for byte; the decryption check below covers it.
        stable = previous_tables & tables
        kept = _data(stable)
        counts = _counts(stable)
        downgrade(revision=previous)
        assert set(_schema()) == previous_tables, f"downgrade {revision} → {previous} left other tables"
        assert _data(stable) == kept, f"downgrade of {revision} changed older rows"
        upgrade(revision=revision)
        assert _schema() == schema, f"{revision}: schema differs after down and up"
        assert _data(stable) == kept and _counts(stable) == counts
        db.session.remove()
        previous, previous_tables = revision, tables
    assert filled_any_enc
    assert _differences() == []
    # Every ciphertext written along the way still decrypts at head.
    meta = MetaData()
    meta.reflect(bind=db.engine)
    decrypted = 0
    with db.engine.connect() as conn:
        for table in meta.sorted_tables:
            enc = [c.name for c in table.columns if c.name.endswith("_enc")]
            if not enc or "id" not in table.columns:
                continue
            for row in conn.execute(table.select()):
                for name in enc:
                    blob = row._mapping[name]
                    if blob is not None and row._mapping["id"] is not None:
                        plain = crypto.decrypt_field(keyring(), table.name, name.removesuffix("_enc"),
                                                     uuid.UUID(str(row._mapping["id"])), bytes(blob))
                        assert plain.startswith("waarde ")
                        decrypted += 1
    assert decrypted >= 10


def test_flask_db_check_is_clean(fresh_app):
    """`flask db check` (Flask-Migrate ≥ 4.0.2): the real command, run in-process."""
    upgrade()
    result = fresh_app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
    # It fails when the models and the migrations differ:
    db.session.execute(text("ALTER TABLE phenomenon ADD COLUMN stray INTEGER"))
    db.session.commit()
    assert fresh_app.test_cli_runner().invoke(args=["db", "check"]).exit_code != 0


def test_0007_backfills_sent_referrals_with_what_their_package_held(fresh_app):
    """Chosen ∩ allowed by the latest approved check 2B, in package order; nothing is guessed."""
    upgrade(revision="0006")
    _fill_empty_tables(0)
    meta = MetaData()
    meta.reflect(bind=db.engine, only=["referral", "privacy_check"])
    referral, check = meta.tables["referral"], meta.tables["privacy_check"]

    chosen = ["adressen", "betrokkenen", "beschrijving"]
    cases = {  # name: (sent_on, check 2B as (status, approved, allowed) or None, expected sent_categories)
        "approved": (_dt.date(2026, 3, 4), ("besloten", True, ["betrokkenen", "adressen", "geboortedata"]),
                     ["betrokkenen", "adressen"]),
        "concept": (None, ("besloten", True, ["betrokkenen"]), None),
        "refused": (_dt.date(2026, 3, 4), ("besloten", False, []), None),
        "open_check": (_dt.date(2026, 3, 4), ("open", None, None), None),
        "no_check": (_dt.date(2026, 3, 4), None, None),
    }
    ids = {}
    with db.engine.begin() as conn:
        base = dict(conn.execute(referral.select()).first()._mapping)
        base_check = dict(conn.execute(check.select()).first()._mapping)
        for name, (sent_on, decision, _) in cases.items():
            ids[name] = uuid.uuid4()
            conn.execute(referral.insert().values({
                **base, "id": key(ids[name]), "sent_on": sent_on, "data_categories": chosen,
                "status": "verstuurd" if sent_on else "concept",
            }))
            if decision is not None:
                status, approved, allowed = decision
                conn.execute(check.insert().values({
                    **base_check, "id": key(uuid.uuid4()), "kind": "2B", "status": status, "approved": approved,
                    "allowed_fields": allowed, "referral_id": key(ids[name]),
                }))
    upgrade(revision="0007")
    meta = MetaData()
    meta.reflect(bind=db.engine, only=["referral"])
    referral = meta.tables["referral"]
    with db.engine.connect() as conn:
        for name, (_, _, expected) in cases.items():
            row = select_first(referral.c.sent_categories).where(referral.c.id == key(ids[name]))
            stored = conn.execute(row).scalar()
            assert stored == expected, name
    downgrade(revision="0006")
    assert "sent_categories" not in {c["name"] for c in inspect(db.engine).get_columns("referral")}


def test_0011_gives_each_decided_check_the_role_its_decider_holds(fresh_app):
    """A decision by someone who holds the privacy officer role is theirs; any other decision was
    recorded by the coordinator (the setting); an open check has no role."""
    upgrade(revision="0010")
    _fill_empty_tables(0)
    meta = MetaData()
    meta.reflect(bind=db.engine, only=["privacy_check", "user_account", "user_role"])
    check, account, role = meta.tables["privacy_check"], meta.tables["user_account"], meta.tables["user_role"]

    with db.engine.begin() as conn:
        base_user = dict(conn.execute(account.select()).first()._mapping)
        base_check = dict(conn.execute(check.select()).first()._mapping)
        users = {}
        for name, roles in {"officer": ["privacy_officer", "coordinator"], "coordinator": ["coordinator"]}.items():
            users[name] = uuid.uuid4()
            conn.execute(account.insert().values({**base_user, "id": key(users[name]),
                                                  "email": f"{name}@migratie.test"}))
            for value in roles:
                conn.execute(role.insert().values(user_id=key(users[name]), role=value))
        cases = {"officer": ("besloten", users["officer"]), "coordinator": ("besloten", users["coordinator"]),
                 "open": ("open", None)}
        ids = {}
        for name, (status, decider) in cases.items():
            ids[name] = uuid.uuid4()
            conn.execute(check.insert().values({**base_check, "id": key(ids[name]), "status": status,
                                                "decided_by_id": key(decider) if decider else None}))
    upgrade(revision="0011")
    meta = MetaData()
    meta.reflect(bind=db.engine, only=["privacy_check"])
    check = meta.tables["privacy_check"]
    with db.engine.connect() as conn:
        found = {name: conn.execute(select_first(check.c.decided_role).where(check.c.id == key(ids[name]))).scalar()
                 for name in ids}
    assert found == {"officer": "privacy_officer", "coordinator": "coordinator", "open": None}
    downgrade(revision="0010")
    assert "decided_role" not in {c["name"] for c in inspect(db.engine).get_columns("privacy_check")}


def test_0013_marks_the_sent_referrals_of_referred_signals_as_handovers(fresh_app):
    """A sent referral of a signal that is, or was closed as, doorgezet handed the case over; a
    concept, or a referral of a signal the municipality kept, did not."""
    upgrade(revision="0012")
    _fill_empty_tables(0)
    meta = MetaData()
    meta.reflect(bind=db.engine, only=["referral", "signal"])
    referral, signal = meta.tables["referral"], meta.tables["signal"]

    cases = {  # name: (signal status, closing reason, referral status, expected hands_over)
        "doorgezet_sent": ("doorgezet", None, "verstuurd", True),
        "closed_after_handover": ("afgesloten", "doorgezet_afgerond", "afgerond", True),
        "doorgezet_concept": ("doorgezet", None, "concept", False),
        "kept_in_aanpak": ("in_aanpak", None, "verstuurd", False),
        "closed_otherwise": ("afgesloten", "besproken_geen_actie", "ontvangen", False),
    }
    ids = {}
    with db.engine.begin() as conn:
        base = dict(conn.execute(referral.select()).first()._mapping)
        base_signal = dict(conn.execute(signal.select()).first()._mapping)
        for n, (name, (status, reason, referral_status, _)) in enumerate(cases.items()):
            signal_id, ids[name] = uuid.uuid4(), uuid.uuid4()
            conn.execute(signal.insert().values({
                **base_signal, "id": key(signal_id), "status": status, "closing_reason": reason,
                "reference": f"M-2026-9{n:04d}",
            }))
            conn.execute(referral.insert().values({**base, "id": key(ids[name]), "signal_id": key(signal_id),
                                                   "status": referral_status}))
    upgrade(revision="0013")
    meta = MetaData()
    meta.reflect(bind=db.engine, only=["referral"])
    referral = meta.tables["referral"]
    with db.engine.connect() as conn:
        for name, (_, _, _, expected) in cases.items():
            stored = conn.execute(select_first(referral.c.hands_over).where(referral.c.id == key(ids[name]))).scalar()
            assert bool(stored) is expected, name
    downgrade(revision="0012")
    assert "hands_over" not in {c["name"] for c in inspect(db.engine).get_columns("referral")}


def test_0018_seeds_the_legal_grounds_and_keeps_the_former_text_of_each_referral(fresh_app):
    """Each existing referral keeps the label its code had (the RIEC covenant, Wet Bibob, …);
    an unknown code keeps showing itself; the list holds current law only."""
    upgrade(revision="0017")
    _fill_empty_tables(0)
    meta = MetaData()
    meta.reflect(bind=db.engine, only=["referral"])
    referral = meta.tables["referral"]

    expected = {
        "avg_6_1_e_riec": "Art. 6 lid 1 sub e AVG en het RIEC-convenant",
        "avg_6_1_c": "Art. 6 lid 1 sub c AVG (wettelijke verplichting)",
        "wpg_aangifte": "Aangifte of melding bij politie/OM (art. 6 lid 1 sub e AVG, Wpg)",
        "bibob": "Wet Bibob",
        "jeugdwet_wmo": "Sectorale wet sociaal domein (Jeugdwet, Wmo, Participatiewet)",
        "zvh_convenant": "Convenant Zorg- en Veiligheidshuis",
        "overig": "Anders (toelichting verplicht)",
        "onbekende_code": "onbekende_code",
    }
    ids = {}
    with db.engine.begin() as conn:
        base = dict(conn.execute(referral.select()).first()._mapping)
        for code in expected:
            ids[code] = uuid.uuid4()
            conn.execute(referral.insert().values({**base, "id": key(ids[code]), "legal_ground": code}))
    upgrade(revision="0018")
    meta = MetaData()
    meta.reflect(bind=db.engine, only=["referral", "legal_ground"])
    referral, ground = meta.tables["referral"], meta.tables["legal_ground"]
    with db.engine.connect() as conn:
        found = {code: conn.execute(select_first(referral.c.legal_ground_text).where(referral.c.id == key(ids[code])))
                 .scalar() for code in expected}
        assert conn.execute(text("SELECT count(*) FROM referral WHERE legal_ground_text IS NULL")).scalar() == 0
        seeded = {row.code: row.law for row in conn.execute(ground.select())}
    assert found == expected
    assert "Stb. 2024, 198" in seeded["wgs_riec"] and "Stb. 2024, 380" in seeded["wgs_zvh"]
    assert {"avg_6_1_e_riec", "bibob", "zvh_convenant", "wpg_aangifte"}.isdisjoint(seeded)
    columns = {c["name"]: c for c in inspect(db.engine).get_columns("referral")}
    assert columns["legal_ground_text"]["nullable"] is False
    downgrade(revision="0017")
    assert "legal_ground_text" not in {c["name"] for c in inspect(db.engine).get_columns("referral")}
    assert "legal_ground" not in inspect(db.engine).get_table_names()


def test_0020_moves_police_information_into_received_information_readable(fresh_app):
    """Police information recorded before 0020 becomes source "politie" with ground "onbekend",
    its content and reference re-encrypted for their new table and column; the downgrade
    brings them back readable under their old names."""
    upgrade(revision="0017")
    _fill_empty_tables(0)
    meta = MetaData()
    meta.reflect(bind=db.engine, only=["police_information"])
    police = meta.tables["police_information"]
    row_id = uuid.uuid4()
    key = row_id.hex if db.engine.dialect.name == "sqlite" else row_id
    with db.engine.begin() as conn:
        base = dict(conn.execute(police.select()).first()._mapping)
        conn.execute(police.insert().values({
            **base, "id": key,
            "content_enc": crypto.encrypt_field(keyring(), "police_information", "content", row_id, "Zoë POLITIE"),
            "police_reference_enc": crypto.encrypt_field(keyring(), "police_information", "police_reference",
                                                         row_id, "PL-0900-Ø"),
        }))
    upgrade(revision="0020")
    meta = MetaData()
    meta.reflect(bind=db.engine, only=["received_information"])
    received = meta.tables["received_information"]
    with db.engine.connect() as conn:
        rows = {uuid.UUID(str(r.id)): r for r in conn.execute(received.select())}
    assert len(rows) == 2 and {(r.source, r.ground, bool(r.delete_on_close)) for r in rows.values()} == {
        ("politie", "onbekend", True)}
    moved = rows[row_id]
    assert crypto.decrypt_field(keyring(), "received_information", "content", row_id,
                                bytes(moved.content_enc)) == "Zoë POLITIE"
    assert crypto.decrypt_field(keyring(), "received_information", "provider_reference", row_id,
                                bytes(moved.provider_reference_enc)) == "PL-0900-Ø"
    assert moved.conditions_enc is None and moved.recipients_enc is None
    # Information from the OM is never written back as if the police had sent it.
    om_id = uuid.uuid4()
    with db.engine.begin() as conn:
        conn.execute(received.insert().values({
            **dict(moved._mapping), "id": om_id.hex if db.engine.dialect.name == "sqlite" else om_id,
            "source": "om", "ground": "wjsg",
            "content_enc": crypto.encrypt_field(keyring(), "received_information", "content", om_id, "Zoë OM"),
            "provider_reference_enc": None,
        }))
    downgrade(revision="0017")
    meta = MetaData()
    meta.reflect(bind=db.engine, only=["police_information"])
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM police_information")).scalar() == 2
        back = conn.execute(meta.tables["police_information"].select().where(
            meta.tables["police_information"].c.id == key)).one()
    assert crypto.decrypt_field(keyring(), "police_information", "content", row_id,
                                bytes(back.content_enc)) == "Zoë POLITIE"


def test_0025_gives_every_person_recorded_before_a_name_index(fresh_app):
    """A person recorded before the coordinator's search had no name index; 0025 makes it, so the
    search finds them by name alone. An organisation keeps its index; the downgrade removes the
    persons' again."""
    from casustafel import linking

    upgrade(revision="0024")
    _fill_empty_tables(0)
    meta = MetaData()
    meta.reflect(bind=db.engine, only=["subject"])
    subject = meta.tables["subject"]
    person_id, organisation_id = uuid.uuid4(), uuid.uuid4()

    with db.engine.begin() as conn:
        base = dict(conn.execute(subject.select()).first()._mapping)
        conn.execute(subject.insert().values({
            **base, "id": key(person_id), "kind": "persoon", "organisation_bidx": None,
            "name_enc": crypto.encrypt_field(keyring(), "subject", "name", person_id, "Zoë Müller-Ñúñez"),
        }))
        conn.execute(subject.insert().values({
            **base, "id": key(organisation_id), "kind": "organisatie", "organisation_bidx": 4242,
            "name_enc": crypto.encrypt_field(keyring(), "subject", "name", organisation_id, "Müller B.V."),
        }))
    upgrade(revision="0025")

    def index_of(value: uuid.UUID):
        with db.engine.connect() as conn:
            return conn.execute(text("SELECT organisation_bidx FROM subject WHERE id = :id"),
                                {"id": key(value)}).scalar()

    bits = fresh_app.config["BLIND_INDEX_BITS"]  # 0025 runs before the installation's width is stored
    assert index_of(person_id) == linking.blind_index("name", "zoe muller-Ñúñez", bits=bits) is not None
    assert index_of(organisation_id) == 4242
    downgrade(revision="0024")
    assert index_of(person_id) is None and index_of(organisation_id) == 4242


def test_0029_stamps_existing_indexes_with_the_width_they_were_made_with(fresh_app):
    """An upgrade together with a new width setting must not stamp 12-bit indexes as 18-bit ones
    (every lookup would miss them): 0029 reads the width back from the data."""
    from casustafel import linking
    from casustafel.models import BlindIndexWidth

    upgrade(revision="0026")
    _fill_empty_tables(0)
    meta = MetaData()
    meta.reflect(bind=db.engine, only=["subject"])
    subject = meta.tables["subject"]
    made_at = 14 if fresh_app.config["BLIND_INDEX_BITS"] != 14 else 13
    rows = []
    with db.engine.begin() as conn:
        base = dict(conn.execute(subject.select()).first()._mapping)
        for n in range(3):
            row_id = uuid.uuid4()
            name = f"Zoë Müller {n}"
            conn.execute(subject.insert().values({
                **base, "id": row_id.hex if db.engine.dialect.name == "sqlite" else row_id, "kind": "persoon",
                "name_enc": crypto.encrypt_field(keyring(), "subject", "name", row_id, name),
                "organisation_bidx": crypto.blind_index(keyring(), "organisation", crypto.normalize_text(name),
                                                        bits=made_at),
            }))
            rows.append((row_id, name))
    upgrade(revision="0029")
    assert db.session.get(BlindIndexWidth, 1).bits == made_at
    with db.engine.connect() as conn:
        widths = {row.bidx_bits for row in conn.execute(text("SELECT bidx_bits FROM subject WHERE organisation_bidx "
                                                             "IS NOT NULL"))}
    assert widths == {made_at}
    assert {str(s.id) for s in linking.find_entities("name", rows[0][1])} == {str(rows[0][0])}


def test_0030_moves_meeting_times_from_dutch_wall_clock_to_utc_and_back(fresh_app):
    """Before 0030 `meeting.held_at` held the time as typed (Dutch time). The upgrade stores it in
    UTC: an hour earlier in winter, two in summer, across midnight where it falls; the downgrade
    gives back exactly what was typed."""
    upgrade(revision="0029")
    meta = MetaData()
    meta.reflect(bind=db.engine, only=["meeting"])
    meeting = meta.tables["meeting"]

    typed = {  # wall-clock time as typed → the UTC time 0030 must store
        "winter": (_dt.datetime(2026, 1, 13, 9, 30), _dt.datetime(2026, 1, 13, 8, 30)),
        "summer": (_dt.datetime(2026, 7, 14, 9, 30), _dt.datetime(2026, 7, 14, 7, 30)),
        "after_midnight": (_dt.datetime(2026, 3, 2, 0, 30), _dt.datetime(2026, 3, 1, 23, 30)),
        "day_after_dst_starts": (_dt.datetime(2026, 3, 30, 13, 0), _dt.datetime(2026, 3, 30, 11, 0)),
    }
    ids = {name: uuid.uuid4() for name in typed}
    with db.engine.begin() as conn:
        for name, (wall_clock, _) in typed.items():
            conn.execute(meeting.insert().values(id=key(ids[name]), held_at=wall_clock, kind="regulier",
                                                 status="gesloten", version=1))

    def stored() -> dict:
        with db.engine.connect() as conn:
            return {name: conn.execute(select_first(meeting.c.held_at).where(meeting.c.id == key(ids[name]))).scalar()
                    for name in typed}

    upgrade(revision="0030")
    assert stored() == {name: utc for name, (_, utc) in typed.items()}
    downgrade(revision="0029")
    assert stored() == {name: wall_clock for name, (wall_clock, _) in typed.items()}


def test_0033_numbers_existing_referrals_per_year_in_the_order_they_were_recorded(fresh_app):
    """Per year in the order recorded, not inserted: two referrals of 2025 get VS-2025-0001 and
    VS-2025-0002, two of 2026 VS-2026-0001 and 0002; 31 December 2026 23:30 UTC is already 2027
    in the Netherlands."""
    upgrade(revision="0032")
    _fill_empty_tables(0)
    meta = MetaData()
    meta.reflect(bind=db.engine, only=["referral"])
    referral = meta.tables["referral"]

    recorded = {  # name: created_at (UTC) → the reference 0033 must give
        "later_in_2025": (_dt.datetime(2025, 11, 3, 9, 0), "VS-2025-0002"),
        "first_of_2025": (_dt.datetime(2025, 2, 14, 16, 45), "VS-2025-0001"),
        "dutch_new_year": (_dt.datetime(2026, 12, 31, 23, 30), "VS-2027-0001"),
        "in_2026": (_dt.datetime(2026, 6, 1, 12, 0), "VS-2026-0002"),
    }
    ids = {name: uuid.uuid4() for name in recorded}
    with db.engine.begin() as conn:
        base = dict(conn.execute(referral.select()).first()._mapping)  # the filled row: 2 January 2026
        for name, (created_at, _) in recorded.items():
            conn.execute(referral.insert().values({**base, "id": key(ids[name]), "created_at": created_at}))
    upgrade(revision="0033")
    meta = MetaData()
    meta.reflect(bind=db.engine, only=["referral"])
    referral = meta.tables["referral"]
    with db.engine.connect() as conn:
        stored = {name: conn.execute(select_first(referral.c.reference).where(referral.c.id == key(ids[name]))).scalar()
                  for name in recorded}
        filled = conn.execute(select_first(referral.c.reference).where(referral.c.id == base["id"])).scalar()
    assert stored == {name: expected for name, (_, expected) in recorded.items()}
    assert filled == "VS-2026-0001"  # 2 January 2026 comes before 1 June
    uniques = [u["column_names"] for u in inspect(db.engine).get_unique_constraints("referral")]
    assert ["reference"] in uniques
    assert not next(c for c in inspect(db.engine).get_columns("referral") if c["name"] == "reference")["nullable"]
    downgrade(revision="0032")
    assert "reference" not in {c["name"] for c in inspect(db.engine).get_columns("referral")}
