"""What the signal pages share, and other features use: the loader with the object rule and
the "waits too long" marker."""

import uuid
from datetime import datetime, timedelta

from casustafel.dates import utcnow
from casustafel.models import Signal
from casustafel.permissions import can_view_signal_content
from casustafel.settings import DEFAULTS, get_setting
from casustafel.web.access import load_or_404

WAITING_STATES = ("ingediend", "intake")


def get_signal_or_404(signal_id: uuid.UUID) -> Signal:
    """The signal, or 404 with a denial in the log unless the user may see its content."""
    return load_or_404(Signal, signal_id, can_view_signal_content)


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
