"""The yearly overview for the council as PDF (WeasyPrint): aggregates only.

WeasyPrint fetches nothing: the template embeds its CSS, the charts are inline SVG and the
URL fetcher refuses every URL. No watermark with a name: the overview holds no personal data
and is meant to be passed on.
"""

from datetime import date

from flask import abort
from flask_login import current_user

from casustafel import dates
from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.reports import services
from casustafel.reports.charts import charts_for
from casustafel.web.access import fresh_login_required
from casustafel.web.pdf import pdf_response, render_pdf
from casustafel.web.routes import Routes

routes = Routes()

FIRST_YEAR = 2000


def render_yearly(year: int) -> bytes:
    start, end = date(year, 1, 1), date(year, 12, 31)
    report = services.build_report(start, end, dates.today())
    return render_pdf("reports/pdf_yearly.html", year=year, report=report, charts=charts_for(report),
                      made_on=dates.today())


@routes.route("/jaaroverzicht-<int:year>.pdf")
@role_required(Role.COORDINATOR)
@fresh_login_required
def yearly_pdf(year):
    if not FIRST_YEAR <= year <= dates.today().year:
        abort(404)
    content = render_yearly(year)
    record(current_user, "report.yearly_downloaded", object_type="report", object_id=year,
           purpose=services.PURPOSE)
    db.session.commit()
    return pdf_response(content, f"jaaroverzicht-casustafel-{year}.pdf")
