"""The privacy officer's pages for data-subject requests: list, new, detail (with the lookup),
the restriction decision, the answer package and closing. Every page logs what it showed."""


from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask import request as http
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from casustafel import dates
from casustafel.audit import labels
from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.models import (
    NOTIFICATION_METHODS,
    OBJECTION_OUTCOMES,
    SUBJECT_REQUEST_STATUSES,
    SUBJECT_REQUEST_TYPES,
    Signal,
    SubjectRequest,
)
from casustafel.models.roles import Role
from casustafel.permissions import can_handle_subject_requests, role_required
from casustafel.subject_requests import package, rights_services, services
from casustafel.subject_requests.forms import CloseForm, DecisionForm, RequestForm
from casustafel.subject_requests.rights_forms import (
    CarriedOutForm,
    ExtensionForm,
    LiftForm,
    NotificationForm,
    ObjectionForm,
    RestrictForm,
)
from casustafel.web import render_logged
from casustafel.web.access import fresh_login_required, load_or_404, require
from casustafel.web.locking import conflict_message
from casustafel.web.pdf import pdf_response

bp = Blueprint("subject_requests", __name__, url_prefix="/verzoeken")

CONFLICT = conflict_message("dit verzoek")


def get_request_or_404(request_id) -> SubjectRequest:
    return load_or_404(SubjectRequest, request_id)


@bp.app_template_filter("nl_day")
def nl_day(value) -> str:
    return value.strftime("%d-%m-%Y") if value else "—"


@bp.route("/")
@role_required(Role.PRIVACY_OFFICER)
def index():
    require(can_handle_subject_requests)
    requests = services.ordered_requests()
    record(current_user, "subject_request.listed", object_type="subject_request", purpose=services.PURPOSE)
    return render_logged("subject_requests/index.html", requests=requests, today=dates.today(),
                           tasks=rights_services.notification_tasks(),
                           types=SUBJECT_REQUEST_TYPES, statuses=SUBJECT_REQUEST_STATUSES,
                           overdue=services.is_overdue)


@bp.route("/nieuw", methods=["GET", "POST"])
@role_required(Role.PRIVACY_OFFICER)
def new():
    require(can_handle_subject_requests)
    form = RequestForm()
    if not form.is_submitted():
        form.received_on.data = dates.today()
    if form.validate_on_submit():
        request = services.create_request(
            current_user, type=form.type.data, received_on=form.received_on.data,
            name=form.name.data or form.organisation.data, birth_date=form.birth_date.data if form.name.data else None,
            kvk_number=form.kvk_number.data, postcode=form.postcode.data, house_number=form.house_number.data,
        )
        services.lookup(current_user, request)  # puts what it finds on legal hold at once
        db.session.commit()
        flash(f"Verzoek {request.number} is geregistreerd. Uiterlijk {request.due_on:%d-%m-%Y} beantwoorden. "
              "De gevonden meldingen worden niet vernietigd zolang het verzoek openstaat.", "success")
        return redirect(url_for("subject_requests.detail", request_id=request.id))
    due = services.due_date(form.received_on.data) if form.received_on.data and not form.received_on.errors else None
    return render_template("subject_requests/new.html", form=form, due=due)


def _rights_forms(request: SubjectRequest, submitted: dict) -> dict:
    """The forms of the further rights, empty unless this request posted one back with errors."""
    forms = {
        "restrict_form": RestrictForm(formdata=None), "lift_form": LiftForm(formdata=None),
        "objection_form": ObjectionForm(formdata=None), "extension_form": ExtensionForm(formdata=None),
        "carried_out_form": CarriedOutForm(formdata=None), "notification_form": NotificationForm(formdata=None),
    }
    forms.update(submitted)
    return forms


def _detail(request: SubjectRequest, decision_form=None, status=200, **submitted):
    findings = services.lookup(current_user, request)
    subjects = [s for f in findings for s in f.subject_ids]
    record(current_user, "subject_request.viewed", request, purpose=services.PURPOSE, subjects=subjects or None)
    if decision_form is None:
        decision_form = DecisionForm(formdata=None).for_row(request)
        decision_form.restriction.data = request.restriction
        decision_form.ground.data = request.restriction_ground or ""
        decision_form.note.data = request.restriction_note
    return render_logged(
        "subject_requests/detail.html", request_=request, findings=findings,
        referrals=services.referrals_of(findings), log=services.log_entries(findings), log_limit=services.LOG_LIMIT,
        decision_form=decision_form, close_form=CloseForm(formdata=None).for_row(request),
        today=dates.today(), types=SUBJECT_REQUEST_TYPES, statuses=SUBJECT_REQUEST_STATUSES,
        restrictions=services.RESTRICTIONS, grounds=services.RESTRICTION_GROUNDS, labels=labels,
        overdue=services.is_overdue(request, dates.today()),
        restricted=rights_services.restrictions_of(request), notifications=rights_services.notifications(request),
        objection_outcomes=OBJECTION_OUTCOMES, methods=NOTIFICATION_METHODS,
        first_month=services.due_date(request.received_on), rights=rights_services,
        failed_signal=submitted.pop("failed_signal", None), failed_partner=submitted.pop("failed_partner", None),
        **_rights_forms(request, submitted),
    ), status


@bp.route("/<uuid:request_id>")
@role_required(Role.PRIVACY_OFFICER)
def detail(request_id):
    require(can_handle_subject_requests)
    return _detail(get_request_or_404(request_id))


@bp.route("/<uuid:request_id>/besluit", methods=["POST"])
@role_required(Role.PRIVACY_OFFICER)
def decide(request_id):
    require(can_handle_subject_requests)
    request = get_request_or_404(request_id)
    form = DecisionForm().for_row(request)
    if form.is_stale(request):
        return _conflict(request, form)
    if form.validate_on_submit():
        try:
            services.decide(current_user, request, restriction=form.restriction.data, ground=form.ground.data or None,
                            note=form.note.data)
            db.session.commit()
        except StaleDataError:
            return _conflict(request, form)
        except services.SubjectRequestError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            flash("Het besluit over beperking is vastgelegd.", "success")
            return redirect(url_for("subject_requests.detail", request_id=request.id))
    return _detail(request, form)


def _conflict(request: SubjectRequest, submitted: DecisionForm):
    """409: nothing of this attempt is saved, the attempt is logged, what was typed is kept."""
    db.session.rollback()
    request = db.session.get(SubjectRequest, request.id)
    record(current_user, "subject_request.decided", request, result="failed", reason_code="conflict",
           purpose=services.PURPOSE)
    form = DecisionForm(formdata=None).for_row(request)
    form.restriction.data = submitted.restriction.data
    form.ground.data = submitted.ground.data
    form.note.data = submitted.note.data
    form.form_errors.append(CONFLICT)
    return _detail(request, form, status=409)


@bp.route("/<uuid:request_id>/afhandelen", methods=["POST"])
@role_required(Role.PRIVACY_OFFICER)
def close(request_id):
    require(can_handle_subject_requests)
    request = get_request_or_404(request_id)
    form = CloseForm()
    if not form.validate_on_submit():
        abort(400)
    if form.is_stale(request):
        flash(CONFLICT, "error")
        return redirect(url_for("subject_requests.detail", request_id=request.id))
    try:
        services.close(current_user, request)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        flash(CONFLICT, "error")
    except services.SubjectRequestError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(f"Verzoek {request.number} is afgehandeld. De bewaartermijnen van de gevonden meldingen lopen weer.",
              "success")
    return redirect(url_for("subject_requests.detail", request_id=request.id))


@bp.route("/<uuid:request_id>/antwoord.pdf")
@role_required(Role.PRIVACY_OFFICER)
@fresh_login_required
def export(request_id):
    require(can_handle_subject_requests)
    request = get_request_or_404(request_id)
    if request.destroyed_at is not None:
        flash("Het dossier van dit verzoek is na de bewaartermijn vernietigd; er is geen antwoord meer te maken.",
              "info")
        return redirect(url_for("subject_requests.detail", request_id=request.id))
    if request.restriction is None:
        flash("Leg eerst het besluit over beperking vast; het antwoord hangt ervan af.", "error")
        return redirect(url_for("subject_requests.detail", request_id=request.id))
    findings = services.lookup(current_user, request)
    content = package.render(package.build(request, findings))
    subjects = [s for f in findings for s in f.subject_ids]
    record(current_user, "subject_request.exported", request, purpose=services.PURPOSE, subjects=subjects or None,
           reason_code=request.restriction)
    db.session.commit()
    return pdf_response(content, f"antwoord-{request.number}.pdf")


# --- the further rights (issue 18): restriction, objection, extension, art. 19 -------------------


def _back(request: SubjectRequest, anchor: str):
    return redirect(url_for("subject_requests.detail", request_id=request.id, _anchor=anchor))


def _act(request: SubjectRequest, form, name: str, anchor: str, act, done: str, **context):
    """Validate, act, commit and go back; on an error show the page again with what was typed."""
    if form.validate_on_submit():
        try:
            act()
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            form.form_errors.append(CONFLICT)
        except services.SubjectRequestError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            flash(done, "success")
            return _back(request, anchor)
    request = db.session.get(SubjectRequest, request.id)
    return _detail(request, **{name: form}, **context)


def _found_signal_or_404(request: SubjectRequest, signal_id) -> Signal:
    """A signal found for this request; any other answers 404 (the officer sees no other signal)."""
    signal = db.session.get(Signal, signal_id)
    if signal is None or signal.id not in rights_services.linked_signal_ids(request):
        record(current_user, "access.denied", object_type="signal", object_id=signal_id, result="denied")
        db.session.commit()
        abort(404)
    return signal


@bp.route("/<uuid:request_id>/beperking/<uuid:signal_id>", methods=["POST"])
@role_required(Role.PRIVACY_OFFICER)
def restrict(request_id, signal_id):
    require(can_handle_subject_requests)
    request = get_request_or_404(request_id)
    signal = _found_signal_or_404(request, signal_id)
    form = RestrictForm()
    return _act(request, form, "restrict_form", "beperking",
                lambda: rights_services.restrict(current_user, request, signal, form.reason.data),
                f"De verwerking van melding {signal.reference} is beperkt: de melding wordt alleen bewaard.",
                failed_signal=signal.id)


@bp.route("/<uuid:request_id>/beperking/<uuid:signal_id>/opheffen", methods=["POST"])
@role_required(Role.PRIVACY_OFFICER)
def lift(request_id, signal_id):
    require(can_handle_subject_requests)
    request = get_request_or_404(request_id)
    signal = _found_signal_or_404(request, signal_id)
    form = LiftForm()
    return _act(request, form, "lift_form", "beperking",
                lambda: rights_services.lift(current_user, request, signal, form.reason.data),
                f"De beperking van melding {signal.reference} is opgeheven.", failed_signal=signal.id)


@bp.route("/<uuid:request_id>/bezwaar", methods=["POST"])
@role_required(Role.PRIVACY_OFFICER)
def weigh_objection(request_id):
    require(can_handle_subject_requests)
    request = get_request_or_404(request_id)
    form = ObjectionForm()
    return _act(request, form, "objection_form", "bezwaar",
                lambda: rights_services.weigh_objection(current_user, request, outcome=form.outcome.data,
                                                        reasoning=form.reasoning.data),
                "De weging van het bezwaar is vastgelegd.")


@bp.route("/<uuid:request_id>/verlenging", methods=["POST"])
@role_required(Role.PRIVACY_OFFICER)
def extend(request_id):
    require(can_handle_subject_requests)
    request = get_request_or_404(request_id)
    form = ExtensionForm()
    return _act(request, form, "extension_form", "verlenging",
                lambda: rights_services.extend(current_user, request, reason=form.reason.data,
                                               told_on=form.told_on.data, today=dates.today()),
                "De termijn is met twee maanden verlengd.")


@bp.route("/<uuid:request_id>/uitgevoerd", methods=["POST"])
@role_required(Role.PRIVACY_OFFICER)
def carried_out(request_id):
    require(can_handle_subject_requests)
    request = get_request_or_404(request_id)
    form = CarriedOutForm()
    return _act(request, form, "carried_out_form", "ontvangers",
                lambda: rights_services.carried_out(current_user, request, form.on.data, dates.today()),
                "Vastgelegd. Licht nu de ontvangers in (art. 19 AVG).")


@bp.route("/<uuid:request_id>/ontvangers", methods=["POST"])
@role_required(Role.PRIVACY_OFFICER)
def notify_recipient(request_id):
    require(can_handle_subject_requests)
    request = get_request_or_404(request_id)
    form = NotificationForm()
    try:
        partner_id = int(http.form.get("partner_id", ""))
    except ValueError:
        partner_id = None
    return _act(request, form, "notification_form", "ontvangers",
                lambda: rights_services.record_notification(
                    current_user, request, partner_id=partner_id, notified_on=form.notified_on.data,
                    method=form.method.data, note=form.note.data, today=dates.today()),
                "Vastgelegd dat de ontvanger is ingelicht.", failed_partner=partner_id)
