"""Admin list of the criteria of weging 3: the objective criteria the municipality set in its
policy (model protocol stap 2; the CCV's examples are seeded).

A criterion is never deleted and never reworded: old weighings show their answers next to the
question as it was asked. Another wording is a new criterion; the old one goes out of use.
"""

import re
import unicodedata

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.forms import Form, already_listed, strip_text
from casustafel.models import WeighingCriterion
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.web.access import load_or_404
from casustafel.web.routes import Routes

routes = Routes()

KIND = "weging"  # the one weighing whose criteria the municipality keeps
MAX_QUESTION = 300
LAST_ONE = "Weging 3 heeft minstens één vraag nodig. Voeg eerst een andere vraag toe."


class CriterionForm(Form):
    question = StringField(
        "Vraag",
        filters=[strip_text],
        validators=[
            DataRequired("Vul de vraag in."),
            Length(max=MAX_QUESTION, message=f"Gebruik hooguit {MAX_QUESTION} tekens."),
        ],
    )

    def validate_question(self, field):
        if already_listed(WeighingCriterion.question, field.data, WeighingCriterion.kind == KIND):
            raise ValidationError("Deze vraag staat al in de lijst.")


class ToggleForm(Form):
    pass


def new_code(question: str) -> str:
    """A stable code for the answers of a new criterion, made from its question, unique in its kind."""
    ascii_text = unicodedata.normalize("NFKD", question).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")[:30].rstrip("_") or "vraag"
    taken = set(db.session.scalars(select(WeighingCriterion.code).where(WeighingCriterion.kind == KIND)))
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}_{n}"
    return code


@routes.route("/wegingscriteria", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def criteria():
    form = CriterionForm()
    if form.validate_on_submit():
        position = (db.session.scalar(select(func.max(WeighingCriterion.position))
                                      .where(WeighingCriterion.kind == KIND)) or 0) + 1
        criterion = WeighingCriterion(kind=KIND, code=new_code(form.question.data), question=form.question.data,
                                      position=position, active=True)
        db.session.add(criterion)
        db.session.flush()
        record(current_user, "weighing_criterion.created", criterion, purpose="beheer")
        db.session.commit()
        flash("De vraag is toegevoegd. Weging 3 stelt deze vraag vanaf nu.", "success")
        return redirect(url_for("admin.criteria"))
    rows = db.session.scalars(select(WeighingCriterion).where(WeighingCriterion.kind == KIND)
                              .order_by(WeighingCriterion.position, WeighingCriterion.id)).all()
    return render_template("admin/criteria.html", form=form, criteria=rows, toggle_form=ToggleForm())


@routes.route("/wegingscriteria/<int:criterion_id>/wisselen", methods=["POST"])
@role_required(Role.ADMIN)
def criterion_toggle(criterion_id):
    """Put a criterion out of use or back in use; weging 3 always keeps one question."""
    criterion = load_or_404(WeighingCriterion, criterion_id)
    if not ToggleForm().validate_on_submit():
        abort(400)
    if criterion.active and not db.session.scalar(select(WeighingCriterion.id).where(
            WeighingCriterion.kind == criterion.kind, WeighingCriterion.active.is_(True),
            WeighingCriterion.id != criterion.id).limit(1)):
        flash(LAST_ONE, "error")
        return redirect(url_for("admin.criteria"))
    criterion.active = not criterion.active
    record(current_user, f"weighing_criterion.{'activated' if criterion.active else 'deactivated'}", criterion,
           purpose="beheer")
    db.session.commit()
    flash("De lijst is bijgewerkt.", "success")
    return redirect(url_for("admin.criteria"))
