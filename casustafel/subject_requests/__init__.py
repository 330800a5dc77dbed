"""Data-subject requests (AVG rights): register, find the subject's signals, referrals and log
entries, decide on a restriction (art. 41 UAVG), export the answer package, close.

An open request puts the signals found on legal hold (retention skips them).
"""

from flask import Blueprint

bp = Blueprint("subject_requests", __name__, url_prefix="/verzoeken")

from casustafel.subject_requests import views  # noqa: E402,F401
