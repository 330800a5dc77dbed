"""What the signal pages share, and other features use: the loader with the object rule and
the "waits too long" marker."""

import uuid
from datetime import datetime, timedelta

from flask import abort
from flask_login import current_user

from casustafel.audit_log import record_denial
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import Signal
from casustafel.permissions import can_view_signal_content
from casustafel.settings import DEFAULTS, get_setting

WAITING_STATES = ("ingediend", "intake")


def get_signal_or_404(signal_id: uuid.UUID) -> Signal:
    """Raise 404 (and log the denial) unless the user may see the signal's content."""
    signal = db.session.get(Signal, signal_id)
    if signal is None or not can_view_signal_content(current_user, signal):
        record_denial(current_user, "signal", signal_id)
        abort(404)
    return signal


def waiting_days() -> int:
    try:
        return max(int(get_setting("waiting_too_long_days")), 0)
    except ValueError:  # a setting that is not a number must not take the inbox down
        return int(DEFAULTS["waiting_too_long_days"])


def waiting_since(days: int | None = None) -> datetime:
    """Signals received before this moment and still new or in intake wait too long."""
    return utcnow() - timedelta(days=waiting_days() if days is None else days)


def waits_too_long(signal: Signal, threshold: datetime) -> bool:
    return signal.status in WAITING_STATES and signal.received_at < threshold
