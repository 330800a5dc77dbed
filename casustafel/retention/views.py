"""Privacy officer pages (what is due, legal holds, runs, destruction records, dry run, the
verklaring van vernietiging) and the admin page with the retention terms.

Only references, categories, dates and counts appear here: no personal data. A real run is
started from the command line (`flask retention run`): long runs do not belong in a request.
"""


from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.validators import InputRequired, NumberRange

from casustafel.audit_log import record
from casustafel.dates import local_time, utcnow
from casustafel.extensions import db
from casustafel.forms import Form, IntegerField
from casustafel.models import LEGAL_HOLD_REASONS, RetentionRun, User
from casustafel.models.roles import Role
from casustafel.permissions import can_configure_retention, can_view_retention, role_required
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
                           categories=services.CATEGORIES, hold_reasons=LEGAL_HOLD_REASONS)


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
                           actor=_actor_name(item), categories=services.CATEGORIES)


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
                         made_at=local_time(utcnow()), limit=STATEMENT_LIST_LIMIT)
    record(current_user, "retention.statement_exported", item, purpose=services.PURPOSE)
    db.session.commit()
    return pdf_response(content, f"verklaring-van-vernietiging-{item.started_at:%Y%m%d-%H%M}.pdf")


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
