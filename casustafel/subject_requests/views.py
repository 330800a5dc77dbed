"""The privacy officer's pages for data-subject requests: list, new, detail (with the lookup),
the restriction decision, the answer package and closing. Every page logs what it showed."""


from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from casustafel import dates
from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.models import SUBJECT_REQUEST_STATUSES, SUBJECT_REQUEST_TYPES, SubjectRequest
from casustafel.models.roles import Role
from casustafel.permissions import can_handle_subject_requests, role_required
from casustafel.subject_requests import package, services
from casustafel.subject_requests.forms import CloseForm, DecisionForm, RequestForm
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


def _detail(request: SubjectRequest, decision_form=None, status=200):
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
        restrictions=services.RESTRICTIONS, grounds=services.RESTRICTION_GROUNDS, svc=services,
        overdue=services.is_overdue(request, dates.today()),
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
