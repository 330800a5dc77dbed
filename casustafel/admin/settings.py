"""The municipality-wide settings (casustafel/settings.py) on one admin page."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import BooleanField, IntegerField
from wtforms.validators import InputRequired, NumberRange

from casustafel.admin import bp
from casustafel.audit import record
from casustafel.auth.views import fresh_login_required
from casustafel.extensions import db
from casustafel.forms import Form
from casustafel.permissions import Role, role_required
from casustafel.settings import LABELS, get_setting, set_setting


class SettingsForm(Form):
    privacy_checks_by_coordinator = BooleanField(LABELS["privacy_checks_by_coordinator"])
    waiting_too_long_days = IntegerField(
        LABELS["waiting_too_long_days"],
        validators=[
            InputRequired("Vul een aantal dagen in."),
            NumberRange(min=1, max=365, message="Vul een aantal dagen van 1 tot en met 365 in."),
        ],
    )

    def values(self) -> dict[str, str]:
        return {
            "privacy_checks_by_coordinator": "1" if self.privacy_checks_by_coordinator.data else "0",
            "waiting_too_long_days": str(self.waiting_too_long_days.data),
        }


@bp.route("/instellingen", methods=["GET", "POST"])
@role_required(Role.ADMIN)
@fresh_login_required
def settings():
    form = SettingsForm()
    if request.method == "GET":
        form.privacy_checks_by_coordinator.data = get_setting("privacy_checks_by_coordinator") == "1"
        form.waiting_too_long_days.data = int(get_setting("waiting_too_long_days"))
    if form.validate_on_submit():
        changed = [(key, value) for key, value in form.values().items() if get_setting(key) != value]
        for key, value in changed:
            set_setting(key, value)
            record(current_user, "setting.changed", object_type="setting", object_id=key, purpose="beheer")
        db.session.commit()
        flash("De instellingen zijn opgeslagen." if changed else "Er is niets gewijzigd.", "success")
        return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form)
