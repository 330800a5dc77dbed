"""Dutch error pages without internals; the request id helps the helpdesk."""

import logging

from flask import g, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from casustafel.crypto import DecryptionError, KeyringError
from casustafel.extensions import db

log = logging.getLogger(__name__)

PAGES = (400, 403, 404, 405, 409, 413, 429, 500, 503)


def _render(code: int):
    return render_template(f"errors/{code}.html", request_id=g.get("request_id")), code


def handle_http_error(error):
    return _render(error.code if error.code in PAGES else 500)


def handle_csrf_error(error):
    return (
        render_template("errors/400.html", request_id=g.get("request_id"), csrf_expired=True),
        400,
    )


def handle_stale(error):
    db.session.rollback()
    return _render(409)


def handle_database_down(error):
    db.session.rollback()
    log.error("database unavailable (request %s)", g.get("request_id"))
    return _render(503)


def handle_decryption_error(error: DecryptionError):
    db.session.rollback()
    log.error("decryption failed for %s.%s of record %s (request %s)",
              error.table, error.column, error.row_id, g.get("request_id"))
    return _render(500)


def handle_keyring_error(error: KeyringError):
    db.session.rollback()
    log.error("key problem (request %s): %s", g.get("request_id"), error)
    return _render(500)


def handle_unexpected(error):
    db.session.rollback()
    log.exception("unexpected error (request %s)", g.get("request_id"))
    return _render(500)


def init_app(app) -> None:
    for code in PAGES:
        app.register_error_handler(code, handle_http_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(StaleDataError, handle_stale)
    app.register_error_handler(OperationalError, handle_database_down)
    app.register_error_handler(DecryptionError, handle_decryption_error)
    app.register_error_handler(KeyringError, handle_keyring_error)
    if not app.config.get("TESTING") or app.config.get("RENDER_500_IN_TESTS"):
        app.register_error_handler(Exception, handle_unexpected)
