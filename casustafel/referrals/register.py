"""The register of disclosures (verstrekkingenregister): every sent referral, filtered, exported.

It states what left the municipality: the categories the package held, never the ones asked
for. Concepts disclosed nothing, so they are not in the register or its export; the page lists
them apart, labelled as not sent. The register and its export hold no personal data: no names,
no purpose or answer text. Exporting needs a fresh login and is logged.
"""

from datetime import date

from flask import Response, request
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from casustafel import dates
from casustafel.audit_log import record
from casustafel.exports import to_csv, to_xlsx
from casustafel.extensions import db
from casustafel.models import Partner, Referral
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.referrals import services
from casustafel.referrals.forms import RegisterFilterForm
from casustafel.web import render_logged
from casustafel.web.access import fresh_login_required
from casustafel.web.paging import paginate
from casustafel.web.routes import Routes

routes = Routes()

PAGE_SIZE = 50
EXPORT_HEADER = ["Kenmerk verstrekking", "Kenmerk melding", "Ontvanger", "Verstuurd op", "Grondslag",
                 "Verstrekte gegevens", "Status", "Terugkoppeling uiterlijk", "Beantwoord op"]
FORMATS = {
    "csv": ("text/csv; charset=utf-8", to_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             lambda header, rows: to_xlsx(header, rows, title="Verstrekkingen")),
}


def _filters():
    """The filter form and the filters it validly gives (an invalid filter is ignored)."""
    form = RegisterFilterForm(request.args)
    partners = db.session.scalars(db.select(Partner).order_by(Partner.position, Partner.name)).all()
    form.partner.choices = [SelectChoice("", "Alle ontvangers")] + [SelectChoice(p.id, p.name) for p in partners]
    form.validate()
    values = {name: (getattr(form, name).data if not getattr(form, name).errors else None)
              for name in ("partner", "sent_from", "sent_until", "status")}
    if form.sent_until.errors:
        values["sent_until"] = None
    return form, values


def _query(values):
    return services.register_query(partner_id=values["partner"], sent_from=values["sent_from"],
                                   sent_until=values["sent_until"], status=values["status"] or None)


def _order(stmt):
    return stmt.order_by(Referral.sent_on.desc().nulls_first(), Referral.created_at.desc())


def _date(value: date | None) -> str:
    return value.strftime("%d-%m-%Y") if value else ""


@routes.route("/")
@role_required(Role.COORDINATOR)
def register():
    form, values = _filters()
    stmt = _query(values)
    pages = paginate(_order(stmt.options(selectinload(Referral.partner), selectinload(Referral.signal))), PAGE_SIZE)
    concepts_stmt = services.concepts_query(partner_id=values["partner"])
    concepts = db.session.scalars(
        concepts_stmt.options(selectinload(Referral.partner), selectinload(Referral.signal)).limit(PAGE_SIZE)
    ).all()
    record(current_user, "referral.listed", object_type="referral", purpose=services.PURPOSE)
    args = {k: v for k, v in request.args.items() if k != "pagina" and v}
    return render_logged("referrals/register.html", form=form, referrals=pages.items, pages=pages, args=args,
                         concepts=concepts, concept_total=services.count(concepts_stmt), today=dates.today())


def export_rows(referrals) -> list[list]:
    return [
        [r.reference, r.signal.reference, r.partner.name, _date(r.sent_on), r.legal_ground_label, r.disclosed_label,
         r.status_label, _date(r.feedback_due), _date(r.answered_on)]
        for r in referrals
    ]


@routes.route("/export.<any(csv, xlsx):fmt>")
@role_required(Role.COORDINATOR)
@fresh_login_required
def export(fmt):
    _, values = _filters()
    referrals = db.session.scalars(
        _order(_query(values).options(selectinload(Referral.partner), selectinload(Referral.signal)))
    ).all()
    mimetype, writer = FORMATS[fmt]
    content = writer(EXPORT_HEADER, export_rows(referrals))
    record(current_user, "referral.register_exported", object_type="referral", purpose=services.PURPOSE,
           reason_code=fmt)
    db.session.commit()
    response = Response(content, mimetype=mimetype)
    filename = f"verstrekkingenregister-{dates.today():%Y-%m-%d}.{fmt}"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
