"""The municipality-wide settings (casustafel/settings.py) on one admin page."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import BooleanField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, ValidationError

from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.forms import Form, IntegerField
from casustafel.models import FeedbackLevel
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.settings import LABELS, get_setting, set_setting
from casustafel.web.access import fresh_login_required
from casustafel.web.routes import Routes

routes = Routes()


class SettingsForm(Form):
    privacy_checks_by_coordinator = BooleanField(LABELS["privacy_checks_by_coordinator"])
    role_approval_by_privacy_officer = BooleanField(LABELS["role_approval_by_privacy_officer"])
    reporter_summary_required = BooleanField(LABELS["reporter_summary_required"])
    feedback_level = RadioField(
        LABELS["feedback_level"],
        choices=[SelectChoice(code, label) for code, label in FeedbackLevel.labels().items()],
        validators=[InputRequired("Kies wat de melder te horen krijgt.")],
    )
    waiting_too_long_days = IntegerField(
        LABELS["waiting_too_long_days"],
        validators=[
            InputRequired("Vul een aantal dagen in."),
            NumberRange(min=1, max=365, message="Vul een aantal dagen van 1 tot en met 365 in."),
        ],
    )

    audit_bulk_reads_per_hour = IntegerField(
        LABELS["audit_bulk_reads_per_hour"],
        validators=[
            InputRequired("Vul een aantal inzagen in."),
            NumberRange(min=1, max=100_000, message="Vul een aantal van 1 tot en met 100.000 in."),
        ],
    )
    audit_office_hours_start = IntegerField(
        LABELS["audit_office_hours_start"],
        validators=[
            InputRequired("Vul een uur in."),
            NumberRange(min=0, max=23, message="Vul een uur van 0 tot en met 23 in."),
        ],
    )
    audit_office_hours_end = IntegerField(
        LABELS["audit_office_hours_end"],
        validators=[
            InputRequired("Vul een uur in."),
            NumberRange(min=1, max=24, message="Vul een uur van 1 tot en met 24 in."),
        ],
    )

    SWITCHES = ("privacy_checks_by_coordinator", "role_approval_by_privacy_officer", "reporter_summary_required")
    CHOICES = ("feedback_level",)
    NUMBERS = ("waiting_too_long_days", "audit_bulk_reads_per_hour", "audit_office_hours_start",
               "audit_office_hours_end")

    def validate_audit_office_hours_end(self, field):
        start = self.audit_office_hours_start.data
        if field.data is not None and start is not None and field.data <= start:
            raise ValidationError("Het einde van de kantoortijd moet na het begin liggen.")

    def load(self) -> None:
        for key in self.SWITCHES:
            getattr(self, key).data = get_setting(key) == "1"
        for key in self.NUMBERS:
            getattr(self, key).data = int(get_setting(key))
        for key in self.CHOICES:
            getattr(self, key).data = get_setting(key)

    def values(self) -> dict[str, str]:
        return {
            **{key: "1" if getattr(self, key).data else "0" for key in self.SWITCHES},
            **{key: str(getattr(self, key).data) for key in self.NUMBERS},
            **{key: getattr(self, key).data for key in self.CHOICES},
        }


@routes.route("/instellingen", methods=["GET", "POST"])
@role_required(Role.ADMIN)
@fresh_login_required
def settings():
    form = SettingsForm()
    if request.method == "GET":
        form.load()
    if form.validate_on_submit():
        changed = [(key, value) for key, value in form.values().items() if get_setting(key) != value]
        for key, value in changed:
            set_setting(key, value)
            record(current_user, "setting.changed", object_type="setting", object_id=key, purpose="beheer")
        db.session.commit()
        flash("De instellingen zijn opgeslagen." if changed else "Er is niets gewijzigd.", "success")
        return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form)
