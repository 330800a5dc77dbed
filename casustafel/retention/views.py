"""Privacy officer pages (what is due, legal holds, runs, destruction records, dry run, the
verklaring van vernietiging) and the admin page with the retention terms.

Only references, categories, dates and counts appear here: no personal data. A real run is
started from the command line (`flask retention run`): long runs do not belong in a request.
"""


from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from casustafel.audit_log import record
from casustafel.dates import local_time, utcnow
from casustafel.exports import to_csv
from casustafel.extensions import db
from casustafel.forms import Form, IntegerField, strip_text
from casustafel.models import LEGAL_HOLD_REASONS, RetentionRun, Signal, User
from casustafel.models.roles import Role
from casustafel.permissions import (
    can_configure_retention,
    can_justify_open_signals,
    can_view_retention,
    can_view_signal_content,
    role_required,
)
from casustafel.retention import destruction, services
from casustafel.settings import get_setting, set_setting
from casustafel.web import render_logged
from casustafel.web.access import fresh_login_required, load_or_404, require
from casustafel.web.pdf import pdf_response, render_pdf

bp = Blueprint("retention", __name__)

STATEMENT_LIST_LIMIT = 1000  # references listed in the PDF; the count covers all


class DryRunForm(Form):
    pass


class TermsForm(Form):
    pass


class JustifyOpenForm(Form):
    reason = TextAreaField(
        "Waarom blijft deze melding open?", filters=[strip_text],
        validators=[DataRequired(services.NEED_JUSTIFICATION),
                    Length(max=services.MAX_JUSTIFICATION, message=services.TOO_LONG_JUSTIFICATION)],
    )


for _key, (_label, _low, _high) in services.FORM_TERMS.items():
    setattr(TermsForm, _key, IntegerField(_label, validators=[
        InputRequired("Vul een aantal maanden in."),
        NumberRange(min=_low, max=_high, message=f"Vul een aantal maanden van {_low} tot en met {_high} in."),
    ]))


def _run_or_404(run_id) -> RetentionRun:
    return load_or_404(RetentionRun, run_id)


def _actor_name(run: RetentionRun) -> str:
    if run.actor_id is None:
        return "Systeem (opdrachtregel)"
    user = db.session.get(User, run.actor_id)
    return user.display_name if user else "Onbekend"


@bp.route("/bewaren/")
@role_required(Role.PRIVACY_OFFICER)
def index():
    require(can_view_retention)
    data = services.overview(utcnow())
    record(current_user, "retention.viewed", object_type="retention", purpose=services.PURPOSE)
    return render_logged("retention/index.html", data=data, runs=services.recent_runs(),
                           records=services.recent_records(), form=DryRunForm(),
                           categories=services.CATEGORIES, hold_reasons=LEGAL_HOLD_REASONS,
                           selectielijst=services.SELECTIELIJST, selectielijst_name=services.SELECTIELIJST_NAME)


@bp.route("/bewaren/proefrun", methods=["POST"])
@role_required(Role.PRIVACY_OFFICER)
def dry_run():
    require(can_view_retention)
    form = DryRunForm()
    if not form.validate_on_submit():
        flash("De proefrun is niet gestart. Probeer het opnieuw.", "error")
        return redirect(url_for("retention.index"))
    result = destruction.run_retention(current_user, utcnow(), dry_run=True, origin="web")
    flash("Proefrun klaar: er is niets vernietigd.", "success")
    return redirect(url_for("retention.run", run_id=result.run.id))


@bp.route("/bewaren/runs/<uuid:run_id>")
@role_required(Role.PRIVACY_OFFICER)
def run(run_id):
    require(can_view_retention)
    item = _run_or_404(run_id)
    record(current_user, "retention.run_viewed", item, purpose=services.PURPOSE)
    return render_logged("retention/run.html", run=item, summary=services.run_summary(item),
                           counts=services.record_counts_of(item.id), records=services.records_of(item.id, 500),
                           actor=_actor_name(item), categories=services.CATEGORIES,
                           selectielijst_name=services.SELECTIELIJST_NAME)


@bp.route("/bewaren/runs/<uuid:run_id>/verklaring.pdf")
@role_required(Role.PRIVACY_OFFICER)
@fresh_login_required
def statement(run_id):
    require(can_view_retention)
    item = _run_or_404(run_id)
    if item.dry_run:
        flash("Van een proefrun is geen verklaring van vernietiging te maken: er is niets vernietigd.", "info")
        return redirect(url_for("retention.run", run_id=item.id))
    counts = services.record_counts_of(item.id)
    records = services.records_of(item.id, STATEMENT_LIST_LIMIT)
    content = render_pdf("retention/pdf_statement.html", run=item, counts=counts, records=records,
                         total=sum(counts.values()), actor=_actor_name(item),
                         categories=services.CATEGORIES, made_by=current_user.display_name,
                         made_at=local_time(utcnow()), limit=STATEMENT_LIST_LIMIT,
                         selectielijst=services.SELECTIELIJST, selectielijst_name=services.SELECTIELIJST_NAME)
    record(current_user, "retention.statement_exported", item, purpose=services.PURPOSE)
    db.session.commit()
    return pdf_response(content, f"verklaring-van-vernietiging-{item.started_at:%Y%m%d-%H%M}.pdf")


RECORDS_HEADER = ["vernietigd_op", "soort", "kenmerk", "termijn", "selectielijst", "termijn_liep_vanaf", "run"]


@bp.route("/bewaren/vernietigingsregistratie.csv")
@role_required(Role.PRIVACY_OFFICER)
@fresh_login_required
def records_export():
    """Every destruction record (no personal data), with the selectielijst result type."""
    require(can_view_retention)
    rows = [[local_time(item.destroyed_at), services.CATEGORIES.get(item.category, item.category), item.object_ref,
             item.term, item.selectielijst or "niet vastgelegd",
             item.due_since.isoformat() if item.due_since else "", str(item.run_id or "")]
            for item in services.all_records()]
    record(current_user, "retention.records_exported", object_type="destruction_record", purpose=services.PURPOSE,
           reason_code="csv")
    db.session.commit()
    response = Response(to_csv(RECORDS_HEADER, rows), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="vernietigingsregistratie-{utcnow():%Y-%m-%d}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/beheer/bewaartermijnen", methods=["GET", "POST"])
@role_required(Role.ADMIN)
@fresh_login_required
def terms():
    require(can_configure_retention)
    form = TermsForm()
    if request.method == "GET":
        for key in services.FORM_TERMS:
            getattr(form, key).data = int(get_setting(key))
    if form.validate_on_submit():
        changed = [(key, str(getattr(form, key).data)) for key in services.FORM_TERMS
                   if get_setting(key) != str(getattr(form, key).data)]
        for key, value in changed:
            set_setting(key, value)
            record(current_user, "retention.settings_changed", object_type="setting", object_id=key,
                   purpose="beheer")
        db.session.commit()
        flash("De bewaartermijnen zijn opgeslagen." if changed else "Er is niets gewijzigd.", "success")
        return redirect(url_for("retention.terms"))
    return render_template("retention/terms.html", form=form, keys=list(services.FORM_TERMS))


# --- open too long: the coordinator closes or records why a signal stays open ----------------


@bp.route("/bewaren/lang-open")
@role_required(Role.COORDINATOR)
def long_open():
    require(can_justify_open_signals)
    items = services.long_open(utcnow())
    record(current_user, "retention.long_open_viewed", object_type="retention", purpose=services.PURPOSE)
    return render_logged("retention/long_open.html", items=items,
                         months=services.months("retention_long_open_months"))


@bp.route("/bewaren/lang-open/<uuid:signal_id>", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def justify_open(signal_id):
    require(can_justify_open_signals)
    signal = load_or_404(Signal, signal_id, can_view_signal_content)
    item = services.long_open_signal(signal.id, utcnow())
    form = JustifyOpenForm()
    if request.method == "GET":
        record(current_user, "retention.long_open_viewed", signal, purpose=services.PURPOSE)
    elif form.validate_on_submit():
        try:
            services.justify_open(current_user, signal, form.reason.data)
        except services.JustificationError as error:
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, str(error)]
        else:
            db.session.commit()
            flash(f"Vastgelegd waarom {signal.reference} openblijft.", "success")
            return redirect(url_for("retention.long_open"))
    return render_logged("retention/justify_open.html", signal=signal, item=item, form=form,
                         months=services.months("retention_long_open_months"))
