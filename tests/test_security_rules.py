"""Security rules of docs/security.md that hold for the whole code base rather than one feature:
login throttling per IP, the request-size limit, no default accounts, hazmat imports in one
module, no unescaped user data in templates, blind-index truncation from the configuration,
and pinned dependencies. Cited in docs/security.md."""

import ast
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from casustafel import linking
from casustafel.extensions import db
from casustafel.models import Signal, User
from tests.conftest import csrf_from

ROOT = Path(__file__).resolve().parent.parent


def test_failed_logins_for_many_accounts_from_one_address_are_throttled_per_ip(app, client):
    limit = int(app.config["LOGIN_LIMIT_PER_IP"].split(" per ")[0])
    token = csrf_from(client.get("/inloggen"))
    statuses = [
        client.post("/inloggen", data={"email": f"iemand{i}@gemeente.test", "password": "fout wachtwoord 123",
                                       "csrf_token": token}).status_code
        for i in range(limit + 1)
    ]
    assert statuses[:limit] == [200] * limit  # each account fails once: not the per-account limit
    assert statuses[limit] == 429
    other = app.test_client()  # another address is not affected
    token = csrf_from(other.get("/inloggen", environ_base={"REMOTE_ADDR": "10.9.9.9"}))
    response = other.post("/inloggen", data={"email": "x@gemeente.test", "password": "fout wachtwoord 123",
                                             "csrf_token": token}, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert response.status_code == 200


def test_a_request_over_the_size_limit_gets_the_413_page_and_stores_nothing(app, client, make_user, login_as):
    login_as(make_user("reporter"))
    token = csrf_from(client.get("/meldpunt"))
    app.config["MAX_CONTENT_LENGTH"], limit = 64 * 1024, app.config["MAX_CONTENT_LENGTH"]
    try:
        response = client.post(
            "/meldpunt",
            data={"csrf_token": token, "description": "x",
                  "attachments": (io.BytesIO(b"%PDF-1.4 " + b"0" * 100_000), "groot.pdf")},
            content_type="multipart/form-data",
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413
    assert "te groot" in response.get_data(as_text=True).lower()
    assert db.session.scalar(select(func.count()).select_from(Signal)) == 0
    spool = Path(app.config["UPLOAD_TMP_DIR"])
    assert not [p for p in spool.iterdir() if p.is_file()] if spool.exists() else True


def test_a_fresh_database_has_no_accounts_and_demo_data_is_refused_in_production(app, tmp_path, monkeypatch):
    """A database made by the migrations alone (not the suite's emptied one) has no account."""
    from flask_migrate import upgrade

    from casustafel import create_app
    from casustafel.demo import load_demo
    from config import TestConfig

    class FreshConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'fresh.db'}"
        SQLALCHEMY_ENGINE_OPTIONS = {}
        ATTACHMENT_DIR = str(tmp_path / "attachments")
        UPLOAD_TMP_DIR = str(tmp_path / "uploads")

    fresh = create_app(FreshConfig)
    with fresh.app_context():
        upgrade()
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        monkeypatch.setitem(fresh.config, "ENV_NAME", "production")
        with pytest.raises(RuntimeError, match="productie"):
            load_demo()
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        db.session.remove()
        db.engine.dispose()


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_the_crypto_package_imports_the_cryptography_primitives():
    offenders = {
        str(path.relative_to(ROOT)): sorted(n for n in _imports(path) if n.startswith("cryptography"))
        for path in (ROOT / "casustafel").rglob("*.py")
        if path.parent != ROOT / "casustafel" / "crypto"
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_templates_never_mark_values_safe():
    """Jinja autoescape stays on: no |safe, no autoescape false, in any template."""
    found = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "templates").rglob("*.html")
        if re.search(r"\|\s*safe\b|autoescape\s+false", path.read_text())
    ]
    assert found == []


def test_markup_is_built_only_from_escaped_parts():
    """Markup() appears only where the markup is our own: the locally rendered TOTP QR code and
    the charts, whose labels go through Markup.format (which escapes)."""
    allowed = {"casustafel/auth/views.py", "casustafel/reports/charts.py"}
    users = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "casustafel").rglob("*.py")
        if "Markup(" in path.read_text()
    }
    assert users <= allowed


def test_blind_index_truncation_comes_from_the_installations_width(app):
    """The width the database records (set from the configuration, changed by `flask blind-index
    rewidth`), so every process makes and looks up indexes at the same width."""
    from casustafel.models import BlindIndexWidth

    db.session.get(BlindIndexWidth, 1).bits = 8
    db.session.commit()
    values = {linking.blind_index("person", f"Persoon {i}", "1980-01-02") for i in range(300)}
    assert all(0 <= v < 256 for v in values)
    assert len(values) < 256  # 300 values in 8 bits must coincide: the leakage is bounded


def test_the_default_truncation_gives_coincidences_at_municipal_scale(app):
    """CipherSweet's guidance: 2 <= expected coincidences C < sqrt(R) for R indexed rows.
    With the default bits and R = 10,000 (a municipality's subjects over five years)."""
    rows = 10_000
    coincidences = rows / 2 ** app.config["BLIND_INDEX_BITS"]
    assert 2 <= coincidences < rows ** 0.5


def _requirements(text: str) -> list[str]:
    """The requirement lines of a pip requirements file, continuation lines joined, comments and
    options (-r, --hash) left out."""
    joined = re.sub(r"\\\n", " ", text)
    lines = [line.split("#")[0].strip() for line in joined.splitlines()]
    return [line.split(" --hash")[0].strip() for line in lines if line and not line.startswith("-")]


def test_every_dependency_is_pinned_to_one_version():
    for name in ("requirements.txt", "tests/requirements.txt", "requirements.in", "tests/requirements.in"):
        lines = _requirements((ROOT / name).read_text())
        assert lines, name
        unpinned = [line for line in lines if not re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.\-+]+", line)]
        assert unpinned == [], name


def test_the_locks_carry_a_hash_for_every_package():
    for name in ("requirements.txt", "tests/requirements.txt"):
        entries = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / name).read_text())
        packages = [e for e in entries if re.match(r"[A-Za-z0-9_.\-]+==", e)]
        assert packages and all("--hash=sha256:" in e for e in packages), name

