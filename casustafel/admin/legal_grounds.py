"""Admin list of the legal grounds for referrals: what a ground is for, the law and the
article. Never deleted or reworded: a referral keeps the text of its ground, and a ground out
of use is not offered anew but stays readable here. A changed law is a new ground."""

import unicodedata

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.forms import Form, already_listed, strip_text
from casustafel.models import LegalGround, Referral
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.web.access import load_or_404
from casustafel.web.routes import Routes

routes = Routes()

CODE_LENGTH = 32
# Letters that Unicode does not decompose into an ASCII letter and a mark.
LETTERS = str.maketrans({"æ": "ae", "ø": "o", "œ": "oe", "ß": "ss", "ł": "l", "đ": "d", "þ": "th", "ı": "i"})


class LegalGroundForm(Form):
    label = StringField("Waarvoor", filters=[strip_text],
                        validators=[DataRequired("Vul in waarvoor de grondslag dient."),
                                    Length(max=120, message="Gebruik hooguit 120 tekens.")])
    law = StringField("Wet", filters=[strip_text],
                      validators=[DataRequired("Vul de wet in, met de vindplaats als u die kent."),
                                  Length(max=250, message="Gebruik hooguit 250 tekens.")])
    article = StringField("Artikel", filters=[strip_text],
                          validators=[Length(max=120, message="Gebruik hooguit 120 tekens.")])
    explanation = TextAreaField("Toelichting", filters=[strip_text],
                                validators=[DataRequired("Vul de toelichting in: wanneer kiest de regisseur deze "
                                                         "grondslag?"),
                                            Length(max=1000, message="Gebruik hooguit 1000 tekens.")])


class ToggleForm(Form):
    pass


def new_code(label: str) -> str:
    """A code made from the label that no ground and no referral uses yet, so an old
    referral's former code never comes to mean a new ground."""
    folded = unicodedata.normalize("NFKD", label.casefold().translate(LETTERS))
    ascii_label = folded.encode("ascii", "ignore").decode()
    base = "_".join("".join(c if c.isalnum() else " " for c in ascii_label).split())[:CODE_LENGTH - 4] or "grondslag"
    taken = set(db.session.scalars(select(LegalGround.code))) | set(
        db.session.scalars(select(Referral.legal_ground).distinct()))
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}_{n}"
    return code


@routes.route("/grondslagen", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def legal_grounds():
    form = LegalGroundForm()
    if form.validate_on_submit():
        if already_listed(LegalGround.label, form.label.data):
            form.label.errors.append("Deze grondslag staat al in de lijst. Zet de bestaande weer in gebruik, of "
                                     "geef deze een andere naam.")
        else:
            position = (db.session.scalar(select(func.max(LegalGround.position))) or 0) + 1
            ground = LegalGround(code=new_code(form.label.data), label=form.label.data, law=form.law.data,
                                 article=form.article.data or "", explanation=form.explanation.data,
                                 position=position, active=True)
            db.session.add(ground)
            db.session.flush()
            record(current_user, "legal_ground.created", ground, purpose="beheer")
            db.session.commit()
            flash(f"‘{ground.label}’ is toegevoegd.", "success")
            return redirect(url_for("admin.legal_grounds"))
    rows = db.session.scalars(select(LegalGround).order_by(LegalGround.position, LegalGround.id)).all()
    return render_template("admin/legal_grounds.html", form=form, grounds=rows, toggle_form=ToggleForm())


@routes.route("/grondslagen/<int:ground_id>/in-gebruik", methods=["POST"])
@role_required(Role.ADMIN)
def legal_ground_toggle(ground_id):
    ground = load_or_404(LegalGround, ground_id)
    if not ToggleForm().validate_on_submit():
        abort(400)
    if ground.active and db.session.scalar(select(func.count()).where(LegalGround.active.is_(True))) <= 1:
        flash("Dit is de laatste grondslag in gebruik: zonder kan de regisseur niets verstrekken.", "error")
        return redirect(url_for("admin.legal_grounds"))
    ground.active = not ground.active
    record(current_user, "legal_ground.activated" if ground.active else "legal_ground.deactivated", ground,
           purpose="beheer")
    db.session.commit()
    flash(f"‘{ground.label}’ is {'weer in gebruik' if ground.active else 'buiten gebruik gezet'}.", "success")
    return redirect(url_for("admin.legal_grounds"))
