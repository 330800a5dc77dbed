"""Casustafel meetings: agenda, privacy-limited member view, notes, decisions, minutes."""

from flask import Blueprint

bp = Blueprint("meetings", __name__, url_prefix="/overleggen")

from casustafel.meetings import views  # noqa: E402,F401
