"""The privacy officer's work: privacy checks 1, 2A and 2B."""

from flask import Blueprint

bp = Blueprint("privacy", __name__, url_prefix="/privacy")

from casustafel.privacy import views  # noqa: E402,F401
