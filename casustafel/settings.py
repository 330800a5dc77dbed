"""Municipality-wide settings kept in the database and changed by the functional admin."""

from casustafel.extensions import db
from casustafel.models import Setting

DEFAULTS = {
    # "1": the coordinator records privacy checks (small municipality); "0": the privacy officer.
    "privacy_checks_by_coordinator": "0",
    # "1": with one admin, the privacy officer approves content roles (four eyes); "0": another admin.
    "role_approval_by_privacy_officer": "0",
    # "1": members (2A/2B) and referral packages get the coordinator's anonymised summary, never
    # the reporter's own words (whose wording can identify them); "0": the description itself.
    "reporter_summary_required": "1",
    # What the reporter hears about their signal: "geen", "standaard" or "statussen" (FeedbackLevel).
    "feedback_level": "statussen",
    # A new signal waiting longer than this many days is marked in the coordinator's inbox.
    "waiting_too_long_days": "10",
    # Log anomalies: more content reads per user per hour than this; reads outside office hours
    # (local time, whole hours, start inclusive, end exclusive; weekends are outside too).
    "audit_bulk_reads_per_hour": "100",
    "audit_office_hours_start": "7",
    "audit_office_hours_end": "19",
    # Retention terms in months (README “Retention and destruction”); labels and checks live in casustafel/retention.
    "retention_closed_months": "12",
    "retention_referred_months": "12",
    "retention_referral_record_months": "60",
    "retention_case_months": "60",
    "retention_meeting_months": "12",
    "retention_request_months": "60",
    "retention_mail_months": "12",
    "retention_long_open_months": "12",
    "retention_access_log_months": "60",
    "retention_security_log_months": "6",
}

LABELS = {
    "privacy_checks_by_coordinator": ("De regisseur legt de privacytoetsen vast (kleine gemeente); "
                                      "de privacyfunctionaris ziet elk besluit en kan het heropenen"),
    "role_approval_by_privacy_officer": ("De privacyfunctionaris keurt inhoudelijke rollen goed "
                                         "(gemeente met één beheerder)"),
    "reporter_summary_required": ("Deelnemers en verstrekkingen krijgen een geanonimiseerde samenvatting "
                                  "in plaats van de letterlijke beschrijving van de melder"),
    "feedback_level": "Terugkoppeling aan de melder",
    "waiting_too_long_days": "Een melding wacht te lang na (dagen)",
    "audit_bulk_reads_per_hour": "Logboek: meer inzagen per gebruiker per uur dan dit is een afwijking",
    "audit_office_hours_start": "Logboek: kantoortijd begint om (uur)",
    "audit_office_hours_end": "Logboek: kantoortijd eindigt om (uur)",
}


def get_setting(key: str) -> str:
    row = db.session.get(Setting, key)
    return row.value if row is not None else DEFAULTS[key]


def reporter_summary_required() -> bool:
    """Members and packages get the anonymised summary, never the reporter's own words."""
    return get_setting("reporter_summary_required") == "1"


def feedback_level() -> str:
    return get_setting("feedback_level")


def set_setting(key: str, value: str) -> None:
    if key not in DEFAULTS:
        raise KeyError(key)
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value
