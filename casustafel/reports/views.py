"""The coordinator's management information page and its aggregate-only export."""

from datetime import date

from flask import Blueprint, Response, abort, redirect, request, url_for
from flask_login import current_user

from casustafel import dates
from casustafel.audit_log import record
from casustafel.exports import to_csv, to_xlsx
from casustafel.extensions import db
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.reports import pdf, services
from casustafel.reports.charts import charts_for
from casustafel.reports.forms import PeriodForm, default_period
from casustafel.web import render_logged
from casustafel.web.access import fresh_login_required
from casustafel.web.routes import register_routes

bp = Blueprint("reports", __name__, url_prefix="/cijfers")
register_routes(bp, pdf)

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def period_from_request() -> tuple[PeriodForm, tuple[date, date] | None]:
    """The period in the query string, or the current year when none is given."""
    form = PeriodForm(request.args)
    if "start" not in request.args and "end" not in request.args:
        form.start.data, form.end.data = default_period(dates.today())
        return form, (form.start.data, form.end.data)
    if not form.validate():
        return form, None
    return form, (form.start.data, form.end.data)


@bp.route("/")
@role_required(Role.COORDINATOR)
def index():
    form, period = period_from_request()
    report = services.build_report(*period, dates.today()) if period else None
    record(current_user, "report.viewed", object_type="report", purpose=services.PURPOSE)
    return render_logged(
        "reports/index.html", form=form, report=report, charts=charts_for(report) if report else None,
        period_args={"start": period[0].isoformat(), "end": period[1].isoformat()} if period else None,
        this_year=dates.today().year,
    )


@bp.route("/export.<fmt>")
@role_required(Role.COORDINATOR)
@fresh_login_required
def export(fmt):
    if fmt not in FORMATS:
        abort(404)
    _form, period = period_from_request()
    if period is None:
        return redirect(url_for("reports.index", **request.args))
    report = services.build_report(*period, dates.today())
    header, rows = services.export_rows(report)
    content = to_csv(header, rows) if fmt == "csv" else to_xlsx(header, rows, title="Cijfers")
    record(current_user, "report.exported", object_type="report", purpose=services.PURPOSE, reason_code=fmt)
    db.session.commit()
    response = Response(content, mimetype=FORMATS[fmt])
    name = f"cijfers-casustafel-{period[0]:%Y%m%d}-{period[1]:%Y%m%d}.{fmt}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
