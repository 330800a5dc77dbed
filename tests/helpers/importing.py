"""Running `flask import signals` with the documented example mapping (issue 16): shared by the
import tests."""

from pathlib import Path

from sqlalchemy import func, select

from casustafel.extensions import db
from casustafel.models import Signal

MAPPING = Path(__file__).resolve().parents[2] / "docs" / "examples" / "import-mapping.toml"


def run_import(app, source, *options, mapping=MAPPING):
    """The command as the coordinator "regisseur@gemeente.test" would type it."""
    return app.test_cli_runner().invoke(args=["import", "signals", str(source), "--mapping", str(mapping),
                                              "--as", "regisseur@gemeente.test", *options])


def count() -> int:
    """How many signals there are, as committed (what a failed import left is rolled back first)."""
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Signal))
