"""Municipality-wide settings kept in the database and changed by the functional admin."""

from casustafel.extensions import db
from casustafel.models import Setting

DEFAULTS = {
    # "1": the coordinator records privacy checks (small municipality); "0": the privacy officer.
    "privacy_checks_by_coordinator": "0",
    # A new signal waiting longer than this many days is marked in the coordinator's inbox.
    "waiting_too_long_days": "10",
}

LABELS = {
    "privacy_checks_by_coordinator": "De regisseur legt de privacytoetsen vast (kleine gemeente)",
    "waiting_too_long_days": "Een melding wacht te lang na (dagen)",
}


def get_setting(key: str) -> str:
    row = db.session.get(Setting, key)
    return row.value if row is not None else DEFAULTS[key]


def set_setting(key: str, value: str) -> None:
    if key not in DEFAULTS:
        raise KeyError(key)
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value
