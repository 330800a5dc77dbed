"""Dutch error pages without internals; the request id helps the helpdesk.

Faults (issue 7, tests/test_faults*.py):
- the database unavailable (OperationalError): 503; the transaction is rolled back whole,
  so a signal never exists without its log event;
- the access log unwritable (any database error on `audit_event`/`audit_head`): 503 and an
  alert in the application log; the page and the log hold no personal data (fail closed);
- disk full (ENOSPC/EDQUOT) outside the forms that handle it themselves: 503 and an alert;
- a record that does not decrypt: 500, an application log line and a `security.decryption_failed`
  event in the access log naming table, column and record, never the value.
"""

import errno
import logging
import re
import uuid

from flask import current_app, g, render_template
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from casustafel.audit_log import record
from casustafel.crypto import DecryptionError, KeyringError
from casustafel.extensions import db

log = logging.getLogger(__name__)

PAGES = (400, 403, 404, 405, 409, 413, 429, 500, 503)
AUDIT_TABLES = ("audit_event", "audit_head")
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def _request_id() -> str:
    """The request's id; faults before the app's own before_request (CSRF form parsing) get one here."""
    return g.setdefault("request_id", str(uuid.uuid4()))


def _render(code: int):
    return render_template(f"errors/{code}.html", request_id=_request_id()), code


def _testing_propagates() -> bool:
    return bool(current_app.config.get("TESTING")) and not current_app.config.get("RENDER_500_IN_TESTS")


def handle_http_error(error):
    return _render(error.code if error.code in PAGES else 500)


def handle_csrf_error(error):
    return (
        render_template("errors/400.html", request_id=_request_id(), csrf_expired=True),
        400,
    )


def handle_stale(error):
    """Two saves at the same moment: the second is refused (409) and its attempt logged."""
    db.session.rollback()
    match = re.search(r"on table '(\w+)'", str(error))
    log.warning("conflicting concurrent change refused (request %s)", _request_id())
    try:
        record(current_user, "change.conflict", object_type=match.group(1) if match else None,
               result="failed", reason_code="conflict")
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
    return _render(409)


def _touches_audit_log(error: DBAPIError) -> bool:
    statement = (error.statement or "").lower()
    return any(table in statement for table in AUDIT_TABLES)


def _alert_audit_unwritable(error: DBAPIError) -> None:
    # The statement names the table only; parameters (which may hold personal data) are never logged.
    log.critical("ALERT access log cannot be written (%s); requests fail closed (request %s)",
                 type(error.orig).__name__ if error.orig is not None else type(error).__name__,
                 _request_id())


def handle_database_down(error):
    db.session.rollback()
    if _touches_audit_log(error):
        _alert_audit_unwritable(error)
    else:
        log.error("database unavailable (request %s)", _request_id())
    return _render(503)


def handle_database_error(error: DBAPIError):
    """Other database errors: 503 with an alert when the access log refuses a write, else 500."""
    if isinstance(error, OperationalError):
        return handle_database_down(error)
    if _touches_audit_log(error):
        db.session.rollback()
        _alert_audit_unwritable(error)
        return _render(503)
    if _testing_propagates():
        raise error
    return handle_unexpected(error)


def handle_os_error(error: OSError):
    """Disk full anywhere (upload spool, attachment store, package): 503 and an alert."""
    if error.errno not in DISK_FULL:
        if _testing_propagates():
            raise error
        return handle_unexpected(error)
    db.session.rollback()
    log.critical("ALERT disk full (%s) while handling request %s", errno.errorcode.get(error.errno, error.errno),
                 _request_id())
    return _render(503)


def handle_decryption_error(error: DecryptionError):
    db.session.rollback()
    log.error("decryption failed for %s.%s of record %s (request %s)",
              error.table, error.column, error.row_id, _request_id())
    _record_security_event(error)
    return _render(500)


def _record_security_event(error: DecryptionError) -> None:
    """Put the failure in the access log too; never let that hide the error page."""
    try:
        record(current_user, "security.decryption_failed", object_type=error.table, object_id=error.row_id,
               result="failed", reason_code=error.column)
        db.session.commit()
    except (SQLAlchemyError, DecryptionError, KeyringError):
        db.session.rollback()


def handle_keyring_error(error: KeyringError):
    db.session.rollback()
    log.error("key problem (request %s): %s", _request_id(), error)
    return _render(500)


def handle_unexpected(error):
    db.session.rollback()
    log.exception("unexpected error (request %s)", _request_id())
    return _render(500)


def init_app(app) -> None:
    for code in PAGES:
        app.register_error_handler(code, handle_http_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(StaleDataError, handle_stale)
    app.register_error_handler(OperationalError, handle_database_down)
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(OSError, handle_os_error)
    app.register_error_handler(DecryptionError, handle_decryption_error)
    app.register_error_handler(KeyringError, handle_keyring_error)
    if not app.config.get("TESTING") or app.config.get("RENDER_500_IN_TESTS"):
        app.register_error_handler(Exception, handle_unexpected)
