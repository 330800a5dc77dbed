"""The access log (logboek): recording, the hash chain and the privacy officer's view."""

from flask import Blueprint

from casustafel.audit.services import record, record_denial

bp = Blueprint("audit", __name__, url_prefix="/logboek")

from casustafel.audit import views  # noqa: E402,F401

__all__ = ["bp", "record", "record_denial"]
