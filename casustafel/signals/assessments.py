"""The coordinator's workflow on a signal: the weighings (CCV weging 1-3), asking privacy
check 1, and logging source checks in the registers that check allowed.

Each step is one transaction: the row, the status change and the log event together. The
workspace shows all of it through `signals.panel.workflow_panel(signal)`
(templates/signals/_workflow_panels.html).
"""


from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from casustafel.audit_log import record_denial
from casustafel.extensions import db
from casustafel.models import ASSESSMENT_CRITERIA, Power
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.privacy.decisions import notify_privacy_officers
from casustafel.privacy.services import open_check, request_privacy_check
from casustafel.signals.assessment_forms import (
    KIND_LABELS,
    OUTCOMES,
    REQUEST_STATUSES,
    WEIGHING_STATUSES,
    PrivacyCheckRequestForm,
    SourceQueryForm,
    weighing_form,
)
from casustafel.signals.common import get_signal_or_404
from casustafel.signals.weighing import SourceQueryError, approved_check_1, record_assessment, record_source_query
from casustafel.signals.workflow import TransitionError
from casustafel.web.routes import Routes

routes = Routes()



# --- views ---------------------------------------------------------------------------------


def _back(signal, anchor: str):
    return redirect(url_for("signals.detail", signal_id=signal.id, _anchor=anchor))


def _weging_2(form) -> dict:
    """The intake form's weging 2 fields for the service."""
    if form.kind != "intake":
        return {}
    return {"power": db.session.get(Power, form.power.data) if form.power.data else None,
            "referred_to": form.referred_to.data}


@routes.route("/meldingen/<uuid:signal_id>/weging/<kind>", methods=["POST"])
@role_required(Role.COORDINATOR)
def assessment(signal_id, kind):
    signal = get_signal_or_404(signal_id)
    if kind not in ASSESSMENT_CRITERIA:
        record_denial(current_user, "signal", signal.id)  # never the typed URL value
        abort(404)
    if signal.status not in WEIGHING_STATUSES[kind]:
        flash(f"Een {KIND_LABELS[kind].lower()} past niet bij de status ‘{signal.status_label}’.", "error")
        return _back(signal, "wegingen")
    form = weighing_form(kind)
    if not form.validate_on_submit():
        return render_template("signals/assessment_retry.html", signal=signal, step="weighing", form=form)
    try:
        assessment = record_assessment(current_user, signal, kind, answers=form.answers(), outcome=form.outcome.data,
                          rationale=form.rationale.data,
                          closing_reason=form.closing_reason.data if "closing_reason" in form else None,
                          **_weging_2(form))
    except TransitionError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back(signal, "wegingen")
    db.session.commit()
    handover = OUTCOMES[kind][assessment.outcome].handover
    if handover:
        flash(f"De {KIND_LABELS[kind].lower()} is vastgelegd. Leg nu de overdracht vast.", "success")
        return redirect(url_for("referrals.new", signal_id=signal.id, overdracht=handover))
    flash(f"De {KIND_LABELS[kind].lower()} is vastgelegd. Status: {signal.status_label}.", "success")
    return _back(signal, "wegingen")


@routes.route("/meldingen/<uuid:signal_id>/privacytoets", methods=["POST"])
@role_required(Role.COORDINATOR)
def privacy_check_request(signal_id):
    signal = get_signal_or_404(signal_id)
    if signal.status not in REQUEST_STATUSES:
        flash("Privacytoets 1 kan worden aangevraagd tijdens de weging of het bronnenonderzoek.", "error")
        return _back(signal, "privacytoetsen")
    if open_check(signal, "1") is not None:
        flash("Er loopt al een privacytoets 1 voor deze melding.", "info")
        return _back(signal, "privacytoetsen")
    form = PrivacyCheckRequestForm()
    if not form.validate_on_submit():
        return render_template("signals/assessment_retry.html", signal=signal, step="privacy", form=form)
    request_privacy_check(current_user, signal, "1", note=(form.note.data or "").strip() or None)
    notify_privacy_officers(current_user)
    db.session.commit()
    flash("Privacytoets 1 is aangevraagd.", "success")
    return _back(signal, "privacytoetsen")


@routes.route("/meldingen/<uuid:signal_id>/bronnen", methods=["POST"])
@role_required(Role.COORDINATOR)
def source_query(signal_id):
    signal = get_signal_or_404(signal_id)
    check = approved_check_1(signal)
    if signal.status != "bronnenonderzoek" or check is None:
        flash("Bronnen raadplegen kan pas in het bronnenonderzoek, na een goedgekeurde privacytoets 1.", "error")
        return _back(signal, "bronnenonderzoek")
    form = SourceQueryForm(check)
    if not form.validate_on_submit():
        return render_template("signals/assessment_retry.html", signal=signal, step="source", form=form)
    try:
        record_source_query(current_user, signal, register=form.register.data, hit=form.hit.data == "ja",
                            summary=form.summary.data, information_date=form.information_date.data)
    except SourceQueryError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back(signal, "bronnenonderzoek")
    db.session.commit()
    flash("Het resultaat van de bron is vastgelegd.", "success")
    return _back(signal, "bron-raadplegen")  # the form again, opened, for the next source
