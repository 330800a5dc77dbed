"""scripts/screenshots.py (README "Screenshots"): the pages it photographs exist, the README shows
every picture it writes, and it refuses to run against an instance it did not make.

The script itself drives Chromium and is not run here; this checks what can go stale without it.
"""

import importlib.util
import os
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "scripts" / "screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # no side effects: the app is imported only in main()
    return module


def shots(script):
    return [shot for _, role_shots in script.ROLES for shot in role_shots]


def test_every_page_it_photographs_is_a_get_route_of_the_app(app, script):
    adapter = app.url_map.bind("localhost")
    ids = {"signal": uuid.uuid4(), "meeting": uuid.uuid4()}
    for shot in shots(script):
        endpoint, _ = adapter.match(shot.path.format(**ids), method="GET")  # NotFound when a route moved
        assert endpoint != "static", shot


def test_each_account_is_a_demo_account_and_each_file_is_named_role_page(script):
    from casustafel.demo import ACCOUNTS

    assert {email for email, _ in script.ROLES} <= {email for email, *_ in ACCOUNTS}
    names = [shot.name for shot in shots(script)]
    assert len(names) == len(set(names))
    prefixes = {"coordinator", "reporter", "member", "privacy", "admin"}
    assert all(name.split("-", 1)[0] in prefixes for name in names), names


def test_the_readme_shows_every_screenshot_and_every_file_is_committed_and_small(script):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ".venv/bin/python scripts/screenshots.py" in readme
    for shot in shots(script):
        assert f"![{shot.caption}](docs/screenshots/{shot.name}.png)" in readme, shot.name
        picture = ROOT / "docs" / "screenshots" / f"{shot.name}.png"
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", picture
        assert picture.stat().st_size < 250_000, picture
    on_disk = {path.stem for path in (ROOT / "docs" / "screenshots").glob("*.png")}
    assert on_disk == {shot.name for shot in shots(script)}  # no picture left from a page dropped


def test_it_refuses_to_run_once_the_app_is_imported_and_leaves_the_environment_alone(script, tmp_path):
    before = dict(os.environ)
    with pytest.raises(RuntimeError, match="imported before"):
        script.isolate(tmp_path)
    assert dict(os.environ) == before
