"""What other features' pages use of referrals: template helpers for the signal workspace and
the privacy check page (registered app-wide by the factory)."""

from casustafel.extensions import db
from casustafel.models import SHAREABLE_FIELDS, Referral
from casustafel.referrals import services


def template_helpers():
    """Functions for the workspace and the privacy check page (they query only when called)."""

    def referral_of_check(check):
        return db.session.get(Referral, check.referral_id) if getattr(check, "referral_id", None) else None

    return {
        "referrals_of": services.referrals_of,
        "police_information_of": services.police_information_of,
        "referral_of_check": referral_of_check,
        "shareable_fields": SHAREABLE_FIELDS,
    }
