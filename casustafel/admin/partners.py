"""Admin list of referral partners (Politie, RIEC, OM, … or an internal department).

Partners are never deleted: referrals refer to them. A partner out of use is not offered
for new referrals but stays in the register.
"""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.forms import Form, already_listed
from casustafel.models import Partner
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.web.access import load_or_404
from casustafel.web.routes import Routes

routes = Routes()


class PartnerForm(Form):
    name = StringField("Naam", validators=[DataRequired("Vul de naam in."),
                                          Length(max=120, message="Gebruik hooguit 120 tekens.")])
    internal = BooleanField("Interne afdeling van de gemeente")


class ToggleForm(Form):
    pass


@routes.route("/verstrekkingspartners", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def partners():
    form = PartnerForm()
    if form.validate_on_submit():
        name = form.name.data.strip()
        if already_listed(Partner.name, name):
            form.name.errors.append("Deze partner staat al in de lijst.")
        else:
            position = (db.session.scalar(select(func.max(Partner.position))) or 0) + 1
            partner = Partner(name=name, internal=form.internal.data, position=position, active=True)
            db.session.add(partner)
            db.session.flush()
            record(current_user, "partner.created", partner, purpose="beheer")
            db.session.commit()
            flash(f"Partner ‘{name}’ is toegevoegd.", "success")
            return redirect(url_for("admin.partners"))
    rows = db.session.scalars(select(Partner).order_by(Partner.position, Partner.name)).all()
    return render_template("admin/partners.html", form=form, partners=rows, toggle_form=ToggleForm())


def _toggle(partner_id: int, attribute: str, events: tuple[str, str]):
    partner = load_or_404(Partner, partner_id)
    if not ToggleForm().validate_on_submit():
        abort(400)
    setattr(partner, attribute, not getattr(partner, attribute))
    record(current_user, events[0] if getattr(partner, attribute) else events[1], partner, purpose="beheer")
    db.session.commit()
    flash(f"Partner ‘{partner.name}’ is bijgewerkt.", "success")
    return redirect(url_for("admin.partners"))


@routes.route("/verstrekkingspartners/<int:partner_id>/in-gebruik", methods=["POST"])
@role_required(Role.ADMIN)
def partner_toggle(partner_id):
    return _toggle(partner_id, "active", ("partner.activated", "partner.deactivated"))


@routes.route("/verstrekkingspartners/<int:partner_id>/intern", methods=["POST"])
@role_required(Role.ADMIN)
def partner_internal(partner_id):
    return _toggle(partner_id, "internal", ("partner.marked_internal", "partner.marked_external"))
