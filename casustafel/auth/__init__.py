"""Logging in and out, the second factor and the user's own account."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from casustafel.auth import views  # noqa: E402,F401
