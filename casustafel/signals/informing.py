"""Informing the subjects of a signal (art. 14 AVG) or a reasoned deferral (art. 41 UAVG) with a
review date, recorded by the coordinator; and the restriction banner (art. 18 AVG) of a signal."""

import uuid

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from casustafel import dates
from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.models import INFORMING_OUTCOMES
from casustafel.models.rights import RESTRICTION_GROUNDS
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.processing import active_restriction
from casustafel.signals.common import get_signal_or_404
from casustafel.signals.informing_forms import InformingForm
from casustafel.signals.informing_services import InformingError, informing_of, record_informing
from casustafel.web.routes import Routes

routes = Routes()


@routes.app_context_processor
def restriction_helpers():
    return {"restriction_of": active_restriction}


@routes.route("/meldingen/<uuid:signal_id>/informeren", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def informing(signal_id):
    signal = get_signal_or_404(signal_id)
    form = InformingForm(signal.subjects)
    if form.validate_on_submit():
        try:
            subject_id = uuid.UUID(form.subject_id.data) if form.subject_id.data else None
        except ValueError:
            subject_id = uuid.uuid4()  # never one of this signal's: the service refuses it
        try:
            record_informing(current_user, signal, subject_id=subject_id, outcome=form.outcome.data,
                             informed_on=form.informed_on.data, ground=form.ground.data or None,
                             reason=form.reason.data, review_on=form.review_on.data, today=dates.today())
            db.session.commit()
        except InformingError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            flash("Het besluit over het informeren is vastgelegd.", "success")
            return redirect(url_for("signals.informing", signal_id=signal.id))
    elif not form.is_submitted():
        form.informed_on.data = dates.today()
    record(current_user, "informing.viewed", signal, purpose="casustafel")
    db.session.commit()
    by_subject = {s.id: s for s in signal.subjects}
    return render_template("signals/informing.html", signal=signal, form=form, decisions=informing_of(signal),
                           subjects=by_subject, outcomes=INFORMING_OUTCOMES, grounds=RESTRICTION_GROUNDS,
                           today=dates.today())
