"""Admin list of the municipality's tasks and powers (weging 2, check 2B): which competent
body acts under which law. Never deleted: weighings and checks refer to them; one out of use
is not offered anew but keeps its name where it was recorded."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.forms import Form, already_listed, strip_text
from casustafel.models import POWER_BODIES, Power
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.web.access import load_or_404
from casustafel.web.routes import Routes

routes = Routes()


class PowerForm(Form):
    body = SelectField("Bevoegd orgaan", default="", validators=[InputRequired("Kies het bevoegde orgaan.")],
                       choices=[SelectChoice("", "— kies een orgaan —")]
                       + [SelectChoice(code, label) for code, label in POWER_BODIES.items()])
    label = StringField("Taak of bevoegdheid", filters=[strip_text],
                        validators=[DataRequired("Vul de taak of bevoegdheid in."),
                                    Length(max=200, message="Gebruik hooguit 200 tekens.")])
    legal_basis = StringField("Wettelijke grondslag", filters=[strip_text],
                              validators=[DataRequired("Vul de wettelijke grondslag in."),
                                          Length(max=200, message="Gebruik hooguit 200 tekens.")])


class ToggleForm(Form):
    pass


@routes.route("/bevoegdheden", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def powers():
    form = PowerForm()
    if form.validate_on_submit():
        if already_listed(Power.label, form.label.data, Power.body == form.body.data):
            form.label.errors.append("Deze taak of bevoegdheid staat al in de lijst bij dit orgaan.")
        else:
            position = (db.session.scalar(select(func.max(Power.position))) or 0) + 1
            power = Power(body=form.body.data, label=form.label.data, legal_basis=form.legal_basis.data,
                          position=position, active=True)
            db.session.add(power)
            db.session.flush()
            record(current_user, "power.created", power, purpose="beheer")
            db.session.commit()
            flash(f"‘{power.label}’ is toegevoegd.", "success")
            return redirect(url_for("admin.powers"))
    rows = db.session.scalars(select(Power).order_by(Power.body, Power.position)).all()
    return render_template("admin/powers.html", form=form, powers=rows, toggle_form=ToggleForm())


@routes.route("/bevoegdheden/<int:power_id>/in-gebruik", methods=["POST"])
@role_required(Role.ADMIN)
def power_toggle(power_id):
    power = load_or_404(Power, power_id)
    if not ToggleForm().validate_on_submit():
        abort(400)
    if power.active and db.session.scalar(select(func.count()).where(Power.active.is_(True))) <= 1:
        flash("Dit is de laatste taak of bevoegdheid in gebruik: zonder kan weging 2 niet verder.", "error")
        return redirect(url_for("admin.powers"))
    power.active = not power.active
    record(current_user, "power.activated" if power.active else "power.deactivated", power, purpose="beheer")
    db.session.commit()
    flash(f"‘{power.label}’ is {'weer in gebruik' if power.active else 'buiten gebruik gezet'}.", "success")
    return redirect(url_for("admin.powers"))
