"""The schema comes only from the Flask-Migrate revisions, and they match the models.

Runs against a fresh database of the suite's dialect: a temp SQLite file, or a scratch
PostgreSQL database next to TEST_DATABASE_URL.
"""

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
