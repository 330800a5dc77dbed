"""Referrals (verstrekkingen) to partners, the register of disclosures, police information."""

from flask import Blueprint

bp = Blueprint("referrals", __name__, url_prefix="/verstrekkingen")

from casustafel.referrals import police, register, views  # noqa: E402,F401
