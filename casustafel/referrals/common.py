"""What other features' pages use of referrals: template helpers for the signal workspace and
the privacy check page (registered app-wide by the factory)."""

from casustafel.extensions import db
from casustafel.models import SHAREABLE_FIELDS, Referral
from casustafel.referrals import received_services, services


def template_helpers():
    """Functions for the workspace and the privacy check page (they query only when called)."""

    def referral_of_check(check):
        return db.session.get(Referral, check.referral_id) if getattr(check, "referral_id", None) else None

    return {
        "referrals_of": services.referrals_of,
        "received_information_of": received_services.received_information_of,
        "received_exceptions_of": received_services.exceptions_of,
        "pending_received_exceptions": received_services.count_pending_exceptions,
        "received_for_referral": received_services.approved_for_referral,
        "referral_of_check": referral_of_check,
        "shareable_fields": SHAREABLE_FIELDS,
    }
