"""The case summary (zaakoverzicht) of a signal as a one-page PDF for the coordinator: status,
owner, content, weighings, checks, agenda, actions, referrals, legal hold and the internal
notes. Like the weighing record it is watermarked with the downloader's name and the time,
needs a fresh login, is logged and never cached.

Not for a destroyed signal (its content is gone) and not while processing is restricted
(art. 18 AVG: the signal is only kept; a copy of its content to take along is more than that).
"""

from flask import flash, redirect, url_for
from flask_login import current_user

from casustafel import dates
from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.processing import is_restricted
from casustafel.signals.case_summary_content import case_summary
from casustafel.signals.common import get_signal_or_404
from casustafel.web.access import fresh_login_required
from casustafel.web.pdf import pdf_response, render_pdf
from casustafel.web.routes import Routes

routes = Routes()

DESTROYED = ("De bewaartermijn van deze melding is verlopen: de inhoud is vernietigd, dus er is geen zaakoverzicht "
             "meer te maken.")
RESTRICTED = ("De verwerking van deze melding is beperkt (art. 18 AVG): zolang de beperking geldt, wordt de melding "
              "alleen bewaard en is er geen zaakoverzicht te downloaden. Alleen de privacyfunctionaris kan de "
              "beperking opheffen.")


@routes.route("/meldingen/<uuid:signal_id>/zaakoverzicht.pdf")
@role_required(Role.COORDINATOR)
@fresh_login_required
def case_summary_pdf(signal_id):
    signal = get_signal_or_404(signal_id)
    refusal = DESTROYED if signal.destroyed_at else RESTRICTED if is_restricted(signal) else None
    if refusal:
        flash(refusal, "info")
        return redirect(url_for("signals.detail", signal_id=signal.id))
    summary = case_summary(signal, dates.today())
    content = render_pdf("signals/pdf_case_summary.html", summary=summary, signal=signal,
                         made_at=dates.local_time(dates.utcnow()),
                         watermark=dates.watermark(current_user.display_name))
    record(current_user, "signal.case_summary_downloaded", signal, purpose="casustafel",
           subjects=summary.subject_ids or None)
    db.session.commit()
    return pdf_response(content, f"zaakoverzicht-{signal.reference}.pdf")
