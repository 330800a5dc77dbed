"""Restricted received information: the coordinator records it and asks an exception for one
record; a privacy officer other than the asker approves or refuses it. Without an approved
exception nothing of it leaves (models/received.py)."""

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.forms import show_error
from casustafel.models import ReceivedInformation, ReceivedInformationException
from casustafel.models.roles import Role
from casustafel.permissions import can_decide_received_exception, can_open_received_exception, role_required
from casustafel.referrals import received_services as services
from casustafel.referrals.forms import ExceptionDecisionForm, ExceptionRequestForm, ReceivedInformationForm
from casustafel.signals.common import get_signal_or_404
from casustafel.web import render_logged
from casustafel.web.access import load_or_404
from casustafel.web.routes import Routes

routes = Routes()

RECORDED = ("De ontvangen informatie is vastgelegd. Zij wordt niet verder verstrekt zonder goedgekeurde "
            "uitzondering en wordt verwijderd als de melding wordt afgesloten.")


@routes.route("/ontvangen-informatie/<uuid:signal_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def received_new(signal_id):
    signal = get_signal_or_404(signal_id)
    form = ReceivedInformationForm()
    if form.validate_on_submit():
        try:
            services.add_received_information(
                current_user, signal, ground=form.ground.data, received_on=form.received_on.data,
                content=form.content.data, provider_reference=form.provider_reference.data,
                conditions=form.conditions.data, recipients=form.recipients.data,
            )
        except services.ReceivedError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(RECORDED, "success")
            return redirect(url_for("signals.detail", signal_id=signal.id, _anchor="ontvangen-informatie"))
    return render_template("referrals/received_new.html", form=form, signal=signal)


@routes.route("/ontvangen-informatie/<uuid:information_id>/uitzondering", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def exception_new(information_id):
    item = load_or_404(ReceivedInformation, information_id)
    form = ExceptionRequestForm()
    referrals = services.open_referrals(item.signal)
    form.referral_id.choices = [SelectChoice("", "— geen verstrekking —")] + [
        SelectChoice(str(r.id), f"{r.reference}: {r.partner.name}, aangemaakt {r.created_at:%d-%m-%Y}")
        for r in referrals]
    if form.validate_on_submit():
        referral = next((r for r in referrals if str(r.id) == form.referral_id.data), None)
        try:
            services.request_exception(current_user, item, use=form.use.data, referral=referral,
                                       task=form.task.data, reasoning=form.reasoning.data)
        except services.ReceivedError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash("De uitzondering is aangevraagd. Een privacyfunctionaris besluit erover; tot dan wordt de "
                  "informatie niet gebruikt.", "success")
            return redirect(url_for("signals.detail", signal_id=item.signal_id, _anchor="ontvangen-informatie"))
    return render_template("referrals/exception_new.html", form=form, item=item, signal=item.signal)


@routes.route("/uitzonderingen")
@role_required(Role.PRIVACY_OFFICER)
def exceptions():
    pending = [e for e in services.pending_exceptions() if can_decide_received_exception(current_user, e)]
    own = [e for e in services.pending_exceptions() if e.requested_by_id == current_user.id]
    record(current_user, "received_information.exceptions_listed", object_type="received_information_exception",
           purpose=services.EXCEPTION_PURPOSE)
    return render_logged("referrals/exceptions.html", pending=pending, own=own,
                         decided=services.decided_by(current_user))


@routes.route("/uitzonderingen/<uuid:exception_id>", methods=["GET", "POST"])
@role_required(Role.PRIVACY_OFFICER)
def exception(exception_id: uuid.UUID):
    exception = load_or_404(ReceivedInformationException, exception_id, can_open_received_exception)
    may_decide = can_decide_received_exception(current_user, exception)
    form = ExceptionDecisionForm() if may_decide else None
    if request.method == "POST" and not may_decide:
        flash("Over deze uitzondering is al besloten.", "error")
        return redirect(url_for("referrals.exception", exception_id=exception.id))
    if form is not None and form.validate_on_submit():
        try:
            services.decide_exception(current_user, exception, approved=form.approved.data == "ja",
                                      reasoning=form.reasoning.data)
        except services.ReceivedError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash("Het besluit over de uitzondering is vastgelegd.", "success")
            return redirect(url_for("referrals.exceptions"))
    # The record is shown only while the decision is open, to who decides it; a Bibob record's
    # content never (art. 28 Wet Bibob: it stays with the coordinator), so it is not logged viewed.
    if may_decide and not exception.information.is_bibob:
        record(current_user, "received_information.viewed", exception.information, purpose=services.EXCEPTION_PURPOSE)
    record(current_user, "received_information.exception_viewed", exception, purpose=services.EXCEPTION_PURPOSE)
    return render_logged("referrals/exception.html", exception=exception, form=form, may_decide=may_decide)
