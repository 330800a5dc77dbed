"""Admin list of the registers the source checks may consult (bronnen), each with the law its
data were collected under: the default for A in privacy check 1.

A register is never deleted: checks and source checks refer to it by code. One out of use is
not offered to new checks; checks that allowed it keep it, with its label.
"""

import re
import unicodedata

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.forms import Form, already_listed
from casustafel.models import PrivacyCheckRegister, SourceQuery, SourceRegister
from casustafel.models.registers import source_registers
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.web.access import load_or_404
from casustafel.web.routes import Routes

routes = Routes()

DUPLICATE = "Deze bron staat al in de lijst."


class RegisterForm(Form):
    label = StringField("Naam van de bron", validators=[DataRequired("Vul de naam van de bron in."),
                                                        Length(max=120, message="Gebruik hooguit 120 tekens.")])
    legal_basis = TextAreaField(
        "Wet waaronder de gegevens zijn verzameld",
        validators=[Optional(), Length(max=300, message="Gebruik hooguit 300 tekens.")],
    )


class ToggleForm(Form):
    pass


class RegisterError(ValueError):
    """A refused change, with a Dutch message for the label field."""


def _label_taken(label: str, register_id: int | None = None) -> bool:
    return already_listed(SourceRegister.label, label,
                          *([SourceRegister.id != register_id] if register_id is not None else []))


def _new_code(label: str) -> str:
    """A stable code from the label: ascii, lower case, underscores; unique."""
    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_label.lower()).strip("_")[:24] or "bron"
    taken = set(db.session.scalars(select(SourceRegister.code)))
    code, n = base, 2
    while code in taken:
        code, n = f"{base}_{n}", n + 1
    return code


USED = ("Deze bron staat al in besluiten of in het bronnenonderzoek; een nieuwe naam zou die achteraf veranderen. "
        "Voeg de bron met de nieuwe naam toe en zet deze buiten gebruik.")
LAST = "Dit is de laatste bron in gebruik: zonder bronnen kan privacytoets 1 niets toestaan."


def add_register(actor, label: str, legal_basis: str | None) -> SourceRegister:
    """Add a register in use at the end of the list; the caller commits."""
    label = label.strip()
    if _label_taken(label):
        raise RegisterError(DUPLICATE)
    position = (db.session.scalar(select(func.max(SourceRegister.position))) or 0) + 1
    register = SourceRegister(code=_new_code(label), label=label, legal_basis=(legal_basis or "").strip() or None,
                              position=position, active=True)
    db.session.add(register)
    db.session.flush()
    record(actor, "source_register.created", register, purpose="beheer")
    return register


def update_register(actor, register: SourceRegister, label: str, legal_basis: str | None) -> None:
    """Change the label or the law; the code stays, so checks keep pointing at it."""
    label = label.strip()
    if _label_taken(label, register.id):
        raise RegisterError(DUPLICATE)
    if label != register.label and _used(register):
        raise RegisterError(USED)
    register.label = label
    register.legal_basis = (legal_basis or "").strip() or None
    record(actor, "source_register.updated", register, purpose="beheer")


def _used(register: SourceRegister) -> bool:
    """Recorded decisions or source checks name it: a new label would change them afterwards."""
    return any(db.session.scalar(select(column).where(column == register.code).limit(1)) is not None
               for column in (SourceQuery.register, PrivacyCheckRegister.register))


def toggle_register(actor, register: SourceRegister) -> None:
    if register.active and db.session.scalar(select(func.count()).where(SourceRegister.active.is_(True))) <= 1:
        raise RegisterError(LAST)
    register.active = not register.active
    record(actor, f"source_register.{'activated' if register.active else 'deactivated'}", register,
           purpose="beheer")


@routes.route("/lijsten/bronnen", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def registers():
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            register = add_register(current_user, form.label.data, form.legal_basis.data)
        except RegisterError as error:
            db.session.rollback()
            form.label.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Bron ‘{register.label}’ is toegevoegd.", "success")
            return redirect(url_for("admin.registers"))
    return render_template("admin/registers.html", form=form, registers=source_registers(),
                           toggle_form=ToggleForm())


@routes.route("/lijsten/bronnen/<int:register_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def register_edit(register_id):
    register = load_or_404(SourceRegister, register_id)
    form = RegisterForm(obj=register)
    if form.validate_on_submit():
        try:
            update_register(current_user, register, form.label.data, form.legal_basis.data)
        except RegisterError as error:
            db.session.rollback()
            form.label.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Bron ‘{register.label}’ is bijgewerkt.", "success")
            return redirect(url_for("admin.registers"))
    return render_template("admin/register_form.html", form=form, register=register)


@routes.route("/lijsten/bronnen/<int:register_id>/in-gebruik", methods=["POST"])
@role_required(Role.ADMIN)
def register_toggle(register_id):
    """Switch a register between in use and out of use; it is never deleted."""
    register = load_or_404(SourceRegister, register_id)
    if not ToggleForm().validate_on_submit():
        abort(400)
    try:
        toggle_register(current_user, register)
    except RegisterError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.registers"))
    db.session.commit()
    flash(f"Bron ‘{register.label}’ is {'weer in gebruik' if register.active else 'niet meer in gebruik'}.",
          "success")
    return redirect(url_for("admin.registers"))
