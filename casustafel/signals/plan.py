"""Step 4 of the model protocol on the coordinator's workspace: recording and revising the plan
of approach, and extending the monitoring. Moving to monitoring (with its end date) goes
through the status form (signals/workspace.py).

Each step is one transaction: the row and its log event together. A form with errors comes
back on a page of its own with what was typed; nothing is saved.
"""

import uuid

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from casustafel.extensions import db
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.signals.common import get_signal_or_404
from casustafel.signals.plan_forms import CasePlanForm, ExtendMonitoringForm
from casustafel.signals.plan_services import (
    PLAN_CHANGED,
    PLAN_STATUSES,
    PlanError,
    current_period,
    current_plan,
    extend_monitoring,
    possible_directors,
    record_plan,
)
from casustafel.web.routes import Routes

routes = Routes()


def _back(signal):
    return redirect(url_for("signals.detail", signal_id=signal.id, _anchor="plan-van-aanpak"))


def _retry(signal, form, step: str):
    return render_template("signals/plan_retry.html", signal=signal, form=form, step=step)


EXTENDED_MEANWHILE = ("De monitoring is intussen door iemand anders verlengd. Bekijk de nieuwe einddatum en "
                      "verleng daarna zo nodig opnieuw.")


@routes.route("/meldingen/<uuid:signal_id>/plan-van-aanpak", methods=["POST"])
@role_required(Role.COORDINATOR)
def case_plan(signal_id):
    signal = get_signal_or_404(signal_id)
    if signal.status not in PLAN_STATUSES:
        flash("Een plan van aanpak hoort bij een zaak die in aanpak of in monitoring is.", "error")
        return _back(signal)
    form = CasePlanForm(possible_directors(), current_plan(signal))
    if not form.validate_on_submit():
        return _retry(signal, form, "plan")
    try:
        plan = record_plan(current_user, signal, form.to_input(uuid.UUID(form.director_id.data)),
                           based_on=form.based_on_number)
        db.session.commit()
    except (PlanError, IntegrityError) as error:  # IntegrityError: a version recorded at the same moment
        db.session.rollback()
        form.form_errors.append(str(error) if isinstance(error, PlanError) else PLAN_CHANGED)
        return _retry(signal, form, "plan")
    flash("Het plan van aanpak is vastgelegd." if plan.number == 1
          else f"Het plan van aanpak is herzien (versie {plan.number}).", "success")
    return _back(signal)


@routes.route("/meldingen/<uuid:signal_id>/monitoring/verlengen", methods=["POST"])
@role_required(Role.COORDINATOR)
def extend_monitoring_period(signal_id):
    signal = get_signal_or_404(signal_id)
    period = current_period(signal)
    if signal.status != "monitoring" or period is None:
        flash("Alleen een zaak in monitoring kan worden verlengd.", "error")
        return _back(signal)
    form = ExtendMonitoringForm(period)
    if not form.validate_on_submit():
        return _retry(signal, form, "monitoring")
    try:
        extended = extend_monitoring(current_user, signal, form.ends_on.data, form.reason.data)
        db.session.commit()
    except (PlanError, IntegrityError) as error:  # IntegrityError: an extension at the same moment
        db.session.rollback()
        form.form_errors.append(str(error) if isinstance(error, PlanError) else EXTENDED_MEANWHILE)
        return _retry(signal, form, "monitoring")
    flash(f"De monitoring is verlengd tot en met {extended.ends_on:%d-%m-%Y}.", "success")
    return _back(signal)
