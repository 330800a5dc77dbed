"""Helpers shared by the tests, moved from tests/test_signals.py."""

import html
import io
import re

import pytest
from sqlalchemy import func, select

from casustafel.extensions import db
from casustafel.models import (
    Attachment,
    AuditEvent,
    Feedback,
    Location,
    Notification,
    Phenomenon,
    Signal,
    SignalEvent,
    Subject,
)
from casustafel.storage import AttachmentStore
from tests.conftest import csrf_from, login

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def phenomenon_id(name="Hennepteelt") -> int:
    return db.session.scalar(select(Phenomenon.id).where(Phenomenon.name == name))


def rows(prefix: str, index: int, **values) -> dict:
    return {f"{prefix}-{index}-{name}": value for name, value in values.items()}


def person(index=0, **fields):
    """A person in subject row `index`; keyword arguments replace the defaults."""
    return rows("subjects", index, **({
        "kind": "persoon", "role": "vermoedelijk_betrokkene", "name": "Jan de Vries", "birth_date": "1980-05-17",
        "street": "Dorpsstraat", "house_number": "12", "postcode": "1234 AB", "city": "Utrecht",
    } | fields))


def organisation(index=1, **fields):
    return rows("subjects", index, **({
        "kind": "organisatie", "role": "eigenaar", "name": "Bakkerij De Korenschoof", "kvk_number": "12345678",
        "street": "Industrieweg", "house_number": "7", "house_number_addition": "B", "postcode": "3511 AA",
        "city": "Utrecht",
    } | fields))


def blank_subject(index=0) -> dict:
    return rows("subjects", index, kind="persoon", role="vermoedelijk_betrokkene")


def signal_form(**fields) -> dict:
    """A valid meldpunt post with one blank subject row; keyword arguments replace fields."""
    data = {
        "phenomenon_id": str(phenomenon_id()),
        "description": "Afgeplakte ramen en een sterke geur bij de achterdeur.",
        **blank_subject(0),
    }
    data.update(fields)
    return data


def pdf(name="verslag.pdf", content=PDF):
    return (io.BytesIO(content), name)


def submit(client, data, files=(), url="/meldpunt", follow=False):
    """Post the form like a browser does: multipart, with the CSRF token of the form page."""
    payload = {"csrf_token": csrf_from(client.get(url)), **data}
    if files:
        payload["attachments"] = list(files)
    return client.post(url, data=payload, content_type="multipart/form-data", follow_redirects=follow)


def page(response) -> str:
    return response.get_data(as_text=True)


def field_error(text: str, field_id: str) -> str | None:
    """The error message shown next to a field (its `<id>-error` element), as plain text."""
    match = re.search(rf'id="{re.escape(field_id)}-error">(.*?)</div>', text, re.DOTALL)
    if not match:
        return None
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def all_signals() -> list[Signal]:
    db.session.expire_all()
    return list(db.session.scalars(select(Signal).order_by(Signal.received_at)))


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def assert_nothing_saved(store=None) -> None:
    db.session.expire_all()
    for model in (Signal, Subject, Location, Attachment, SignalEvent, Feedback, Notification):
        assert count(model) == 0, f"{model.__tablename__} rows after a refused submit"
    assert not events("signal.created") and not events("attachment.uploaded")
    if store is not None:
        assert stored_files(store) == []


def stored_files(store) -> list:
    return sorted(p for p in store.root.rglob("*") if p.is_file()) if store.root.exists() else []


@pytest.fixture
def store(app, tmp_path, monkeypatch):
    """An empty attachment store and upload temp folder of this test's own."""
    fresh = AttachmentStore(tmp_path / "bijlagen")
    monkeypatch.setitem(app.extensions, "casustafel_store", fresh)
    monkeypatch.setitem(app.config, "ATTACHMENT_DIR", str(fresh.root))
    monkeypatch.setitem(app.config, "UPLOAD_TMP_DIR", str(tmp_path / "upload-tmp"))
    return fresh


def logged_in(app, user):
    """A second browser: a new client logged in as `user`."""
    other = app.test_client()
    assert login(other, user.email).status_code == 200
    return other
