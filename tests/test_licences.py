"""The licence check of static/vendor/ (scripts/check_licences.py, run by scripts/assets.sh, so by
every setup and CI run): every shipped file comes from a package with an allowed licence.

The failing case is the design-token package casustafel shipped until issue 15: its package.json,
as published on npm (tests/fixtures/licences/utrecht-design-tokens-5.0.1.json), says
"SEE LICENSE IN ./LICENSE.md", and that file reads "All rights reserved … proprietary assets".
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import check_licences  # noqa: E402

VENDOR = ROOT / "static" / "vendor"
UTRECHT_TOKENS = ROOT / "tests" / "fixtures" / "licences" / "utrecht-design-tokens-5.0.1.json"


def package(folder: Path, manifest: dict, *files: str) -> None:
    folder.mkdir(parents=True)
    (folder / "PACKAGE.json").write_text(json.dumps(manifest), encoding="utf-8")
    for name in files:
        (folder / name).write_text("/* … */", encoding="utf-8")


def run(vendor: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "check_licences.py"), str(vendor)],
                          capture_output=True, text=True, check=False)


def test_the_installed_assets_pass_and_hold_no_proprietary_tokens():
    """What scripts/assets.sh installed for this run: every file covered, every licence allowed."""
    assert VENDOR.is_dir(), "run scripts/assets.sh first (setup does)"
    result = run(VENDOR)
    assert result.returncode == 0, result.stderr
    assert "every one from a package with an allowed licence" in result.stdout
    names = {json.loads(p.read_text(encoding="utf-8"))["name"] for p in VENDOR.rglob("PACKAGE.json")}
    assert "@nl-design-system-unstable/voorbeeld-design-tokens" in names
    assert "@utrecht/design-tokens" not in names
    assert not list(VENDOR.rglob("design-tokens.css"))


def test_the_old_utrecht_design_tokens_fail_the_build_with_their_name(tmp_path):
    vendor = tmp_path / "vendor"
    shutil.copytree(VENDOR, vendor)
    package(vendor / "utrecht-tokens", json.loads(UTRECHT_TOKENS.read_text(encoding="utf-8")), "design-tokens.css")
    result = run(vendor)
    assert result.returncode == 1
    assert "@utrecht/design-tokens 5.0.1 has licence 'SEE LICENSE IN ./LICENSE.md'" in result.stderr
    assert "design-tokens.css" in result.stderr
    assert "FAILED" in result.stderr
    # Only the offending package is named: the allowed ones pass quietly.
    assert "voorbeeld-design-tokens" not in result.stderr


def test_a_file_without_a_recorded_package_fails(tmp_path):
    vendor = tmp_path / "vendor"
    package(vendor / "axe", {"name": "axe-core", "version": "4.14.1", "license": "MPL-2.0"}, "axe.min.js")
    (vendor / "stray.css").write_text("body{}", encoding="utf-8")
    result = run(vendor)
    assert result.returncode == 1
    assert "stray.css: no package recorded" in result.stderr


@pytest.mark.parametrize(("licence", "allowed"), [
    ("EUPL-1.2", True),
    ("MIT", True),
    ("OFL-1.1", True),
    ("MPL-2.0", True),
    ("(MIT OR GPL-3.0-only)", True),
    ("MIT AND OFL-1.1", True),
    ("MIT AND LicenseRef-Proprietary", False),
    ("GPL-3.0-only", False),
    ("UNLICENSED", False),
    ("SEE LICENSE IN LICENSE.md", False),
    ("", False),
])
def test_spdx_expressions(licence, allowed):
    assert check_licences.allowed(licence) is allowed


def test_licence_fields_in_every_shape():
    assert check_licences.licence_of({"license": "EUPL-1.2"}) == "EUPL-1.2"
    assert check_licences.licence_of({"license": {"type": "MIT"}}) == "MIT"
    assert check_licences.licence_of({"licenses": [{"type": "MIT"}, {"type": "Apache-2.0"}]}) == "MIT OR Apache-2.0"
    assert check_licences.licence_of({}) == ""


def test_assets_script_runs_the_check():
    """The check is part of installing the assets, so setup (both README commands) and CI fail on it."""
    script = (ROOT / "scripts" / "assets.sh").read_text(encoding="utf-8")
    assert "scripts/check_licences.py" in script
    assert "set -euo pipefail" in script
