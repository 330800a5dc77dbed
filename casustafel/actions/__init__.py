"""Actions (interventies): Mijn acties for members, the coordinator's overview, reminders."""

from flask import Blueprint

bp = Blueprint("actions", __name__, url_prefix="/acties")

from casustafel.actions import views  # noqa: E402,F401
