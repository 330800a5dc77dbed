"""A referral's pages for the coordinator: new, detail, sending, the package, progress.

The workspace of a signal lists its referrals and received information through the template
helpers in referrals/common.py (registered by the factory), so the signals feature needs no
import of this one.
"""

import uuid

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError
from wtforms.fields.choices import SelectChoice

from casustafel import dates
from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.models import SHAREABLE_FIELDS, Partner, Referral
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.referrals import received, received_services, register, services
from casustafel.referrals.forms import ProgressForm, ReferralForm, SendForm
from casustafel.referrals.pdf import render_package
from casustafel.signals.common import get_signal_or_404
from casustafel.signals.weighing import decided_handover
from casustafel.web import render_logged
from casustafel.web.access import fresh_login_required, load_or_404
from casustafel.web.locking import conflict_message
from casustafel.web.routes import register_routes

bp = Blueprint("referrals", __name__, url_prefix="/verstrekkingen")
register_routes(bp, received, register)


def get_referral_or_404(referral_id: uuid.UUID) -> Referral:
    """The referral, or 404 with a denial in the log; only coordinators get here."""
    return load_or_404(Referral, referral_id)


# A weighing or meeting decision that hands the case over links here with ?overdracht=…: the
# form starts as a handover, to the partner the decision names where there is one.
HANDOVERS = {
    "riec": ("Het RIEC neemt de regie", "riec"),
    "politie": ("Doorgeven aan de politie", "politie"),
    "zvh": ("Naar het Zorg- en Veiligheidshuis", "veiligheidshuis"),
    "intern": ("Een afdeling neemt de regie (interne overdracht)", None),
}


def _handover_defaults(handover: str, partners) -> dict:
    _, name_part = HANDOVERS[handover]
    named = [p for p in partners if name_part and name_part in p.name.lower() and not p.internal]
    return {"hands_over": True, "partner_id": named[0].id if len(named) == 1 else None}


@bp.route("/nieuw/<uuid:signal_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def new(signal_id):
    signal = get_signal_or_404(signal_id)
    partners = services.active_partners()
    decided = decided_handover(signal)  # a handover the weighing or the casustafel decided
    handover = decided if request.args.get("overdracht") == decided else None
    form = ReferralForm(data=_handover_defaults(handover, partners) if handover else None)
    if decided is None:
        del form.hands_over  # without that decision a referral only shares information
    form.partner_id.choices = [SelectChoice("", "— kies een ontvanger —")] + [
        SelectChoice(p.id, p.name + (" (intern)" if p.internal else "")) for p in partners
    ]
    if form.validate_on_submit():
        try:
            referral = services.create_referral(
                current_user, signal, partner=db.session.get(Partner, form.partner_id.data),
                purpose=form.purpose.data, legal_ground=form.legal_ground.data,
                legal_ground_note=form.legal_ground_note.data, data_categories=form.data_categories.data,
                channel=form.channel.data, feedback_due=form.feedback_due.data,
                hands_over=bool(decided and form.hands_over.data),
            )
        except services.ReferralError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash("De verstrekking is vastgelegd als concept. Privacytoets 2B is aangevraagd; pas na "
                  "goedkeuring kunt u het pakket maken en versturen.", "success")
            return redirect(url_for("referrals.detail", referral_id=referral.id))
    return render_template("referrals/new.html", form=form, signal=signal, handover=HANDOVERS.get(handover),
                           grounds=services.active_legal_grounds())


CONFLICT = conflict_message("deze verstrekking")


def _progress_form(referral: Referral, **kwargs) -> ProgressForm:
    form = ProgressForm(**kwargs).for_row(referral)
    form.set_statuses(services.NEXT_STATUSES.get(referral.status, ()))
    form.has_answer = bool(referral.answer_enc)
    if form.status.data is None:
        form.status.data = referral.status
    return form


def _detail(referral: Referral, progress_form=None, status=200):
    record(current_user, "referral.viewed", referral, purpose=services.PURPOSE)
    return render_logged(
        "referrals/detail.html", referral=referral, signal=referral.signal, check=services.privacy_check(referral),
        privacy_status=services.privacy_status(referral), approved=services.approved_categories(referral),
        fields=SHAREABLE_FIELDS, today=dates.today(),
        progress_form=progress_form or _progress_form(referral),
        summary_missing=referral.status == "concept" and services.summary_missing(referral),
    ), status


@bp.route("/<uuid:referral_id>")
@role_required(Role.COORDINATOR)
def detail(referral_id):
    return _detail(get_referral_or_404(referral_id))


# The confirmation page's button (name="bevestigen"): without it nothing is sent.
CONFIRM_FIELD, CONFIRM = "bevestigen", "ja"


@bp.route("/<uuid:referral_id>/versturen", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def send(referral_id):
    """GET, and a post without the confirmation, say what will be sent to whom; only the
    confirmation page's button makes the package and records it as sent."""
    referral = get_referral_or_404(referral_id)
    if referral.status != "concept":
        flash("Deze verstrekking is al verstuurd.", "error")
        return redirect(url_for("referrals.detail", referral_id=referral.id))
    form = SendForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if form.is_stale(referral):
            return _conflict(referral, "referral.sent")
    if request.form.get(CONFIRM_FIELD) != CONFIRM:
        record(current_user, "referral.viewed", referral, purpose=services.PURPOSE)
        return render_logged(
            "referrals/confirm_send.html", referral=referral, signal=referral.signal, form=form.for_row(referral),
            approved=services.approved_categories(referral), fields=SHAREABLE_FIELDS,
            summary_missing=services.summary_missing(referral),
        )
    try:
        services.send_referral(
            current_user, referral, store=current_app.extensions["casustafel_store"],
            keyring=current_app.extensions["casustafel_keyring"], render=render_package, today=dates.today(),
        )
        received_services.record_provided(current_user, referral)
        db.session.commit()
    except StaleDataError:  # someone else sent it at the same moment: their package stays
        return _conflict(referral, "referral.sent")
    except services.ReferralError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("referrals.detail", referral_id=referral_id))
    except BaseException:
        db.session.rollback()
        current_app.extensions["casustafel_store"].delete(referral_id)  # no package without its record
        raise
    flash("Het pakket is gemaakt en versleuteld opgeslagen. De verstrekking staat op ‘verstuurd’."
          + (" De melding is doorgezet." if referral.signal.status == "doorgezet" and referral.hands_over else ""),
          "success")
    return redirect(url_for("referrals.detail", referral_id=referral.id))


@bp.route("/<uuid:referral_id>/pakket.pdf")
@role_required(Role.COORDINATOR)
@fresh_login_required
def package(referral_id):
    referral = get_referral_or_404(referral_id)
    if not referral.package_digest:
        abort(404)
    try:
        content = services.read_package(referral, store=current_app.extensions["casustafel_store"],
                                        keyring=current_app.extensions["casustafel_keyring"])
    except services.ReferralError:
        current_app.logger.error("referral package %s failed its integrity check", referral.id)
        abort(500)
    record(current_user, "referral.package_downloaded", referral, purpose=services.PURPOSE)
    db.session.commit()
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="verstrekking-{referral.reference}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Length"] = str(len(content))
    return response


@bp.route("/<uuid:referral_id>/voortgang", methods=["POST"])
@role_required(Role.COORDINATOR)
def progress(referral_id):
    referral = get_referral_or_404(referral_id)
    form = _progress_form(referral)
    if form.is_stale(referral):
        return _conflict(referral, "referral.updated", form)
    if referral.status == "concept":
        form.form_errors.append("Leg de voortgang vast nadat de verstrekking is verstuurd.")
        return _detail(referral, form, status=200)
    if form.validate_on_submit():
        try:
            services.update_progress(current_user, referral, status=form.status.data,
                                     recipient_reference=form.recipient_reference.data,
                                     answer=form.answer.data, today=dates.today())
        except services.ReferralError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            try:
                db.session.commit()
            except StaleDataError:  # a change committed between our read and our write
                return _conflict(referral, "referral.updated", form)
            flash("De voortgang van de verstrekking is vastgelegd.", "success")
            return redirect(url_for("referrals.detail", referral_id=referral.id))
    return _detail(referral, form)


def _conflict(referral: Referral, action: str, submitted: ProgressForm | None = None):
    """409: nothing of this attempt is saved, the attempt is logged, what was typed is kept."""
    db.session.rollback()
    referral = db.session.get(Referral, referral.id)
    record(current_user, action, referral, result="failed", reason_code="conflict", purpose=services.PURPOSE)
    form = _progress_form(referral, formdata=None)
    if submitted is not None:
        form.recipient_reference.data = submitted.recipient_reference.data
        form.answer.data = submitted.answer.data
        if any(choice.value == submitted.status.data for choice in form.status.choices or []):
            form.status.data = submitted.status.data
    form.form_errors.append(CONFLICT)
    return _detail(referral, form, status=409)
