"""The meldpunt: the intake form, Mijn meldingen, and the coordinator's list of signals."""

from flask import Blueprint

bp = Blueprint("signals", __name__)

from casustafel.signals import assessments, attachments, inbox, views, workspace  # noqa: E402,F401
