"""The weighing record of a signal (wegingsverslag): every weighing, privacy check, source
check, decision and referral with who, when, outcome and reasons, for the coordinator and the
privacy officer, as a page and as a watermarked PDF the privacy officer can hand to the
Autoriteit Persoonsgegevens. Every view and download is logged; a download needs a fresh login.
"""

import uuid

from flask_login import current_user

from casustafel import dates
from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.models import Signal
from casustafel.models.roles import Role
from casustafel.permissions import can_view_signal_content, role_required
from casustafel.signals.weighing import weighing_record
from casustafel.web import render_logged
from casustafel.web.access import fresh_login_required, load_or_404
from casustafel.web.pdf import pdf_response, render_pdf
from casustafel.web.routes import Routes

routes = Routes()


def may_read_record(user, signal) -> bool:
    """The coordinator who may see the signal, and the privacy officer (supervision); the
    record goes with the content when retention destroys it."""
    return signal.destroyed_at is None and (user.has_role(Role.PRIVACY_OFFICER)
                                            or can_view_signal_content(user, signal))


def _steps(signal):
    """The record; the plan of approach's goal, interventions and reasons only for whoever may
    see the signal's content (the coordinator), not for supervision."""
    return weighing_record(signal, case_content=can_view_signal_content(current_user, signal))


def _purpose() -> str:
    return "toezicht" if current_user.has_role(Role.PRIVACY_OFFICER) else "casustafel"


def _subjects(signal) -> list[str]:
    """The record names the subjects: their pseudonyms go with the log event (data-subject access)."""
    return [str(s.id) for s in signal.subjects]


def _load(signal_id: uuid.UUID) -> Signal:
    return load_or_404(Signal, signal_id, may_read_record)


@routes.route("/meldingen/<uuid:signal_id>/wegingsverslag")
@role_required(Role.COORDINATOR, Role.PRIVACY_OFFICER)
def weighing_record_page(signal_id):
    signal = _load(signal_id)
    record(current_user, "signal.weighing_record_viewed", signal, purpose=_purpose(), subjects=_subjects(signal))
    return render_logged("signals/weighing_record.html", signal=signal, steps=_steps(signal))


@routes.route("/meldingen/<uuid:signal_id>/wegingsverslag.pdf")
@role_required(Role.COORDINATOR, Role.PRIVACY_OFFICER)
@fresh_login_required
def weighing_record_pdf(signal_id):
    signal = _load(signal_id)
    content = render_pdf("signals/pdf_weighing_record.html", signal=signal, steps=_steps(signal),
                         made_at=dates.local_time(dates.utcnow()),
                         watermark=dates.watermark(current_user.display_name))
    record(current_user, "signal.weighing_record_downloaded", signal, purpose=_purpose(),
           subjects=_subjects(signal))
    db.session.commit()
    return pdf_response(content, f"wegingsverslag-{signal.reference}.pdf")
