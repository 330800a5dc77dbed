"""Helpers shared by the tests, moved from tests/test_assessments.py."""

from flask import has_request_context, request
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from casustafel.extensions import db
from casustafel.models import AuditEvent
from tests.conftest import csrf_from


def post_prefixed(client, url, prefix, data):
    """POST a form whose fields (and CSRF token) carry `prefix-`."""
    token = csrf_from(client.get("/"))
    payload = {f"{prefix}-csrf_token": token, **{f"{prefix}-{k}": v for k, v in data.items()}}
    return client.post(url, data=payload)


def events(action, object_id=None):
    stmt = select(AuditEvent).where(AuditEvent.action == action)
    if object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == str(object_id))
    return db.session.scalars(stmt).all()


def reload(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def fail_commit_with(monkeypatch, action):
    """Make the commit that would store the first `action` log event fail, after flushing.

    Were the change committed apart from its event, that earlier commit would pass and the
    test would find the row."""
    original = db.session.commit
    state = {"failed": False}

    def commit():
        if (
            not state["failed"]
            and has_request_context()
            and request.method == "POST"
            and db.session.scalar(select(AuditEvent.seq).where(AuditEvent.action == action).limit(1))
        ):
            state["failed"] = True
            raise OperationalError("COMMIT", {}, Exception("database gone"))
        return original()

    monkeypatch.setattr(db.session, "commit", commit)
    return state
