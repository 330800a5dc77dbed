"""Admin pages for the lists the meldpunt uses: phenomena (two levels) and indicators, each
indicator with its source (the CCV's checklist beoordelingskader or the municipality's policy)."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from casustafel.audit_log import record, record_denial
from casustafel.extensions import db
from casustafel.forms import Form, strip_text
from casustafel.models import INDICATOR_GROUPS, Indicator, Phenomenon
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.web.routes import Routes

routes = Routes()


class PhenomenonForm(Form):
    name = StringField("Naam", validators=[DataRequired("Vul de naam in."), Length(max=120)])
    parent_id = SelectField("Valt onder", coerce=int, validators=[Optional()])


class IndicatorForm(Form):
    label = StringField("Omschrijving", validators=[DataRequired("Vul de omschrijving in."), Length(max=200)])
    group = SelectField(
        "Groep",
        choices=[SelectChoice(k, v) for k, v in INDICATOR_GROUPS.items()],
        validators=[InputRequired("Kies een groep.")],
    )
    source = StringField(
        "Bron",
        filters=[strip_text],
        description="Waar de indicator vandaan komt: het beleid van de gemeente of de checklist van het CCV.",
        validators=[Optional(), Length(max=300, message="Gebruik hooguit 300 tekens.")],
    )


class ToggleForm(Form):
    pass


def _parent_choices():
    parents = db.session.scalars(
        select(Phenomenon).where(Phenomenon.parent_id.is_(None)).order_by(Phenomenon.position)
    )
    return [SelectChoice(0, "— hoofdfenomeen —")] + [SelectChoice(p.id, p.name) for p in parents]


def _next_position(model) -> int:
    return (db.session.scalar(select(func.max(model.position))) or 0) + 1


def _add(item, message: str):
    db.session.add(item)
    db.session.flush()
    record(current_user, f"{item.__tablename__}.created", item, purpose="beheer")
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("admin.catalogue"))


@routes.route("/lijsten", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def catalogue():
    phenomenon_form = PhenomenonForm(prefix="fenomeen")
    phenomenon_form.parent_id.choices = _parent_choices()
    indicator_form = IndicatorForm(prefix="indicator")
    if phenomenon_form.name.data is not None and phenomenon_form.validate_on_submit():
        name = phenomenon_form.name.data.strip()
        return _add(Phenomenon(name=name, parent_id=phenomenon_form.parent_id.data or None,
                               position=_next_position(Phenomenon)), f"Fenomeen ‘{name}’ is toegevoegd.")
    if indicator_form.label.data is not None and indicator_form.validate_on_submit():
        label = indicator_form.label.data.strip()
        return _add(Indicator(label=label, group=indicator_form.group.data, source=indicator_form.source.data or None,
                              position=_next_position(Indicator)),
                    f"Indicator ‘{label}’ is toegevoegd.")
    phenomena = db.session.scalars(
        select(Phenomenon).where(Phenomenon.parent_id.is_(None)).order_by(Phenomenon.position)
    ).all()
    indicators = db.session.scalars(select(Indicator).order_by(Indicator.group, Indicator.position)).all()
    return render_template(
        "admin/catalogue.html",
        phenomena=phenomena,
        indicators=indicators,
        groups=INDICATOR_GROUPS,
        phenomenon_form=phenomenon_form,
        indicator_form=indicator_form,
        toggle_form=ToggleForm(),
    )


@routes.route("/lijsten/<kind>/<int:item_id>/wisselen", methods=["POST"])
@role_required(Role.ADMIN)
def catalogue_toggle(kind, item_id):
    """Switch an item between in use and not in use; used items are never deleted."""
    model = {"fenomeen": Phenomenon, "indicator": Indicator}.get(kind)
    item = db.session.get(model, item_id) if model else None
    if item is None:
        record_denial(current_user, kind if model else "lijst", item_id)  # never an unknown typed value
        abort(404)
    if not ToggleForm().validate_on_submit():
        abort(400)
    item.active = not item.active
    record(current_user, f"{model.__tablename__}.{'activated' if item.active else 'deactivated'}", item,
           purpose="beheer")
    db.session.commit()
    flash("De lijst is bijgewerkt.", "success")
    return redirect(url_for("admin.catalogue"))
