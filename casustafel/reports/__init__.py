"""Management information (cijfers): aggregates only, never personal data or free text."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/cijfers")

from casustafel.reports import pdf, views  # noqa: E402,F401
