"""Retention and destruction (DOMAIN.md §11): what is due, runs, destruction records, the
verklaring van vernietiging (privacy officer, /bewaren) and the terms (admin, /beheer/bewaartermijnen)."""

from flask import Blueprint

bp = Blueprint("retention", __name__)

from casustafel.retention import views  # noqa: E402,F401
