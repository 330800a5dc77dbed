"""The yearly overview for the council as PDF (WeasyPrint): aggregates only.

WeasyPrint fetches nothing: the template embeds its CSS, the charts are inline SVG and the
URL fetcher refuses every URL. No watermark with a name: the overview holds no personal data
and is meant to be passed on.
"""

from datetime import date

from flask import abort, current_app, render_template
from flask_login import current_user
from weasyprint import HTML

from casustafel import dates
from casustafel.audit import record
from casustafel.auth.views import fresh_login_required
from casustafel.extensions import db
from casustafel.meetings.pdf import NoFetching, pdf_response
from casustafel.permissions import Role, role_required
from casustafel.reports import bp, services
from casustafel.reports.views import charts_for

FIRST_YEAR = 2000


def render_yearly(year: int) -> bytes:
    start, end = date(year, 1, 1), date(year, 12, 31)
    report = services.build_report(start, end, dates.today())
    html = render_template("reports/pdf_yearly.html", year=year, report=report, charts=charts_for(report),
                           made_on=dates.today())
    return HTML(string=html, base_url=current_app.static_folder, url_fetcher=NoFetching()).write_pdf()


@bp.route("/jaaroverzicht-<int:year>.pdf")
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
