"""The decision forms of privacy checks 1, 2A and 2B: one per kind, no other fields."""

from wtforms import SelectMultipleField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from casustafel.forms import Form, required_radio
from casustafel.models import REGISTERS, SHAREABLE_FIELDS
from casustafel.privacy.decisions import CONTENT_NOT_ALLOWED, NEED_FIELD, NEED_REGISTER

REGISTER_CHOICES = [SelectChoice(code, label) for code, label in REGISTERS.items()]
FIELD_CHOICES = [SelectChoice(code, label) for code, label in SHAREABLE_FIELDS.items()]
UNKNOWN_REGISTER = "Kies alleen uit de genoemde bronnen."
UNKNOWN_FIELD = "Kies alleen uit de genoemde gegevens."


class DecisionForm(Form):
    approved = required_radio(
        "Besluit",
        [SelectChoice("ja", "Goedgekeurd"), SelectChoice("nee", "Afgewezen")],
        "Kies goedgekeurd of afgewezen.",
    )
    rationale = TextAreaField(
        "Onderbouwing",
        validators=[DataRequired("Vul de onderbouwing van het besluit in."),
                    Length(max=5000, message="Gebruik hooguit 5000 tekens.")],
    )

    @property
    def is_approved(self) -> bool:
        return self.approved.data == "ja"

    def decision(self) -> dict:
        """The keyword arguments for decide_privacy_check."""
        return {"approved": self.is_approved, "rationale": self.rationale.data}


class Check1Form(DecisionForm):
    allowed_registers = SelectMultipleField("Bronnen die mogen worden geraadpleegd", choices=REGISTER_CHOICES,
                                            invalid_choice_message=UNKNOWN_REGISTER)
    content_registers = SelectMultipleField(
        "Bronnen waarvan ook een samenvatting van de inhoud mag worden vastgelegd", choices=REGISTER_CHOICES,
        invalid_choice_message=UNKNOWN_REGISTER,
    )

    def validate_allowed_registers(self, field):
        if self.is_approved and not field.data:
            raise ValidationError(NEED_REGISTER)

    def validate_content_registers(self, field):
        if not set(field.data or []) <= set(self.allowed_registers.data or []):
            raise ValidationError(CONTENT_NOT_ALLOWED)

    def decision(self) -> dict:
        return {**super().decision(), "allowed_registers": self.allowed_registers.data,
                "content_registers": self.content_registers.data}


class Check2BForm(DecisionForm):
    allowed_fields = SelectMultipleField("Gegevens die mogen worden gedeeld", choices=FIELD_CHOICES,
                                         invalid_choice_message=UNKNOWN_FIELD)

    def validate_allowed_fields(self, field):
        if self.is_approved and not field.data:
            raise ValidationError(NEED_FIELD)

    def decision(self) -> dict:
        return {**super().decision(), "allowed_fields": self.allowed_fields.data}


class Check2AForm(DecisionForm):
    """One set of checkboxes per invited department: what its members may see."""

    departments: list = []

    def department_fields(self):
        return [(d, self[f"afdeling_{d.id}"]) for d in self.departments]

    def decision(self) -> dict:
        rules = {str(d.id): f.data or [] for d, f in self.department_fields()}
        return {**super().decision(), "field_rules": rules}


def check_2a_form(departments, **kwargs) -> Check2AForm:
    fields = {
        f"afdeling_{d.id}": SelectMultipleField(f"Wat mogen deelnemers van {d.name} zien?", choices=FIELD_CHOICES,
                                                invalid_choice_message=UNKNOWN_FIELD)
        for d in departments
    }
    cls = type("Check2AFormForMeeting", (Check2AForm,), {"departments": list(departments), **fields})
    return cls(**kwargs)


def decision_form(check, departments=()) -> DecisionForm:
    if check.kind == "1":
        return Check1Form()
    if check.kind == "2A":
        return check_2a_form(departments)
    return Check2BForm()


class ReopenForm(Form):
    """A privacy officer sets aside a decision the coordinator recorded."""

    reason = TextAreaField(
        "Waarom heropent u dit besluit?",
        validators=[DataRequired("Vul in waarom u het besluit heropent."),
                    Length(max=2000, message="Gebruik hooguit 2000 tekens.")],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="heropenen", **kwargs)
