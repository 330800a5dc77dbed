"""Action forms: the coordinator creates, the owner updates, the overview filters.

Each form lists exactly the fields its role may set (no mass assignment).
"""


from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from casustafel.forms import DateField, FilterForm, Form, new_action_type, not_in_past, strip_text
from casustafel.models import ACTION_STATUSES, ACTION_TYPES, NEW_ACTION_TYPES

TEXT_MAX = 4000


def _int_or_none(value):
    return int(value) if value not in (None, "") else None



class NewActionForm(Form):
    type = SelectField(
        "Soort actie",
        choices=[SelectChoice("", "— kies een soort actie —")]
        + [SelectChoice(code, label) for code, label in NEW_ACTION_TYPES.items()],
        validators=[InputRequired("Kies de soort actie."), new_action_type],
        validate_choice=False,  # new_action_type explains a retired type
    )
    # Exactly one of the two: checked in validate(), so neither is marked "(niet verplicht)".
    owner_id = SelectField("Uitvoerder: een persoon")
    owner_department_id = SelectField("Of: een afdeling of partner", coerce=_int_or_none)
    deadline = DateField(
        "Uiterste datum",
        validators=[DataRequired("Vul een geldige datum in."), not_in_past],
    )
    description = TextAreaField(
        "Beschrijving van de actie",
        filters=[strip_text],
        validators=[Optional(), Length(max=TEXT_MAX, message=f"Gebruik hooguit {TEXT_MAX} tekens.")],
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if bool(self.owner_id.data) == bool(self.owner_department_id.data):
            self.owner_id.errors = [
                *self.owner_id.errors, "Kies óf een persoon óf een afdeling, niet allebei en niet geen van beide."
            ]
            return False
        return valid


class UpdateActionForm(Form):
    status = SelectField("Status", validators=[InputRequired("Kies een status.")])
    # No Optional(): it would stop validate_result, which needs the result for "afgerond".
    result = TextAreaField(
        "Resultaat",
        filters=[strip_text],
        validators=[Length(max=TEXT_MAX, message=f"Gebruik hooguit {TEXT_MAX} tekens.")],
    )
    version = HiddenField()

    def set_statuses(self, allowed) -> None:
        self.status.choices = [SelectChoice(code, ACTION_STATUSES[code]) for code in allowed]

    def validate_result(self, field):
        if self.status.data == "afgerond" and not field.data:
            raise ValidationError("Vul het resultaat in als de actie is afgerond.")


class ActionFilterForm(FilterForm):
    """The overview's filters: a GET form, so no CSRF token and nothing changes."""

    status = SelectField(
        "Status",
        choices=[SelectChoice("", "Alle openstaande")]
        + [SelectChoice(code, label) for code, label in ACTION_STATUSES.items()],
        validators=[Optional()],
    )
    overdue = SelectField(
        "Termijn",
        choices=[SelectChoice("", "Alle"), SelectChoice("1", "Alleen verlopen")],
        validators=[Optional()],
    )
    type = SelectField(
        "Soort actie",
        choices=[SelectChoice("", "Alle soorten")]
        + [SelectChoice(code, label) for code, label in ACTION_TYPES.items()],
        validators=[Optional()],
    )
