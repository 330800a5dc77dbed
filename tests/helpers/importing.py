"""Running `flask import signals` with the documented example mapping (issue 16): shared by the
import tests."""

from pathlib import Path

MAPPING = Path(__file__).resolve().parents[2] / "docs" / "examples" / "import-mapping.toml"


def run_import(app, source, *options, mapping=MAPPING):
    """The command as the coordinator "regisseur@gemeente.test" would type it."""
    return app.test_cli_runner().invoke(args=["import", "signals", str(source), "--mapping", str(mapping),
                                              "--as", "regisseur@gemeente.test", *options])
