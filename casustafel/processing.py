"""The restriction of processing (art. 18 AVG), enforced where processing happens.

While a signal has a restriction that is not lifted, it is only stored: no status change, no
weighing, no source check, no agenda, no decision, no action, no plan, no referral and no
package. Each processing service calls `refuse_if_restricted` with its own error class, so the
page that called it shows the Dutch message next to the form, as for any other refusal.
Only the privacy officer sets and lifts a restriction (subject_requests.rights_services).
"""

from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import ProcessingRestriction


def active_restriction(signal) -> ProcessingRestriction | None:
    """The restriction on `signal` that has not been lifted, if any."""
    if signal is None or signal.id is None:
        return None
    return db.session.scalar(
        select(ProcessingRestriction)
        .where(ProcessingRestriction.signal_id == signal.id, ProcessingRestriction.lifted_at.is_(None))
        .order_by(ProcessingRestriction.set_at.desc()).limit(1)
    )


def is_restricted(signal) -> bool:
    return active_restriction(signal) is not None


def restricted_message(signal) -> str:
    return (f"De verwerking van melding {signal.reference} is beperkt (art. 18 AVG). Zolang de beperking geldt, "
            "wordt de melding alleen bewaard: geen statuswijziging, weging, bronnenonderzoek, agendapunt, besluit, "
            "actie, plan of verstrekking. Alleen de privacyfunctionaris kan de beperking opheffen.")


def refuse_if_restricted(signal, error: type[Exception]) -> None:
    """Raise `error` with the Dutch message when the processing of `signal` is restricted."""
    if is_restricted(signal):
        raise error(restricted_message(signal))
