"""Functional administration: users, roles and departments. Never signal content."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/beheer")

from casustafel.admin import catalogue, partners, settings, views  # noqa: E402,F401
