"""Downloading an attachment: only through this view, only for who may see the signal."""

from urllib.parse import quote

from flask import Response, abort, current_app
from flask_login import current_user

from casustafel.audit_log import record, record_denial
from casustafel.extensions import db
from casustafel.models import Attachment
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.signals.common import get_signal_or_404
from casustafel.storage import base_name
from casustafel.web.routes import Routes

routes = Routes()


@routes.route("/meldingen/<uuid:signal_id>/bijlagen/<uuid:attachment_id>")
@role_required(Role.COORDINATOR)
def download(signal_id, attachment_id):
    signal = get_signal_or_404(signal_id)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.signal_id != signal.id:
        record_denial(current_user, "attachment", attachment_id)
        abort(404)
    store = current_app.extensions["casustafel_store"]
    if not store.verify(attachment.id, attachment.digest):  # never send a cut-off or altered file
        current_app.logger.error("attachment %s failed its integrity check", attachment.id)
        abort(500)
    chunks = store.open(attachment.id, attachment.wrapped_key, current_app.extensions["casustafel_keyring"])
    first = next(chunks, b"")  # fail before any header is sent when the file does not decrypt
    record(current_user, "attachment.downloaded", attachment, purpose="casustafel")
    db.session.commit()

    def body():
        yield first
        yield from chunks

    response = Response(body(), mimetype=attachment.content_type)
    response.headers["Content-Disposition"] = _disposition(attachment.filename)
    response.headers["Content-Length"] = str(attachment.size)
    return response


def _disposition(filename: str) -> str:
    """Offer the file under its base name only: no folder part, nothing a browser could
    resolve outside its download folder."""
    name = base_name(filename)
    ascii_name = "".join(c if (c.isascii() and c.isalnum()) or c in ".-_" else "_" for c in name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
