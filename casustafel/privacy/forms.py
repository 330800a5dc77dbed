"""The decision forms of privacy checks 1, 2A and 2B: one per kind, no other fields."""

from sqlalchemy import select
from wtforms import SelectMultipleField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from casustafel.extensions import db
from casustafel.forms import Form, required_radio
from casustafel.models import SHAREABLE_FIELDS, Power
from casustafel.models.registers import source_registers
from casustafel.privacy.decisions import ASSESSMENT_PARTS, CONTENT_NOT_ALLOWED, NEED_FIELD, NEED_POWER, NEED_REGISTER

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
    """The registers that may be consulted and, for each one allowed, A, B and C of the model
    protocol; A starts from the law the register's data were collected under."""

    allowed_registers = SelectMultipleField("Bronnen die mogen worden geraadpleegd",
                                            invalid_choice_message=UNKNOWN_REGISTER)
    content_registers = SelectMultipleField(
        "Bronnen waarvan ook een samenvatting van de inhoud mag worden vastgelegd",
        invalid_choice_message=UNKNOWN_REGISTER,
    )
    registers: list = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [SelectChoice(r.code, r.label) for r in self.registers]
        self.allowed_registers.choices = self.content_registers.choices = choices

    def register_fields(self):
        """(register, [field A, field B, field C]) per register in use."""
        return [(r, [self[f"{part}_{r.code}"] for part in ASSESSMENT_PARTS]) for r in self.registers]

    def validate_allowed_registers(self, field):
        if self.is_approved and not field.data:
            raise ValidationError(NEED_REGISTER)

    def validate_content_registers(self, field):
        if not set(field.data or []) <= set(self.allowed_registers.data or []):
            raise ValidationError(CONTENT_NOT_ALLOWED)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.is_approved:
            return valid
        allowed = set(self.allowed_registers.data or [])
        for register, fields in self.register_fields():
            if register.code not in allowed:
                continue
            for message, f in zip(ASSESSMENT_PARTS.values(), fields, strict=True):
                if not f.errors and not (f.data or "").strip():
                    f.errors.append(message.format(label=register.label))
                    valid = False
        return valid

    def decision(self) -> dict:
        allowed = self.allowed_registers.data or []
        assessments = {r.code: {part: f.data for part, f in zip(ASSESSMENT_PARTS, fields, strict=True)}
                       for r, fields in self.register_fields() if r.code in allowed}
        return {**super().decision(), "allowed_registers": allowed,
                "content_registers": self.content_registers.data, "register_assessments": assessments}


ASSESSMENT_LABELS = {
    "a": "A. Grondslag van de oorspronkelijke verzameling",
    "b": "B. Verenigbaarheid van verder gebruik (artikel 6 lid 4 AVG)",
    "c": "C. Noodzaak, proportionaliteit en subsidiariteit",
}


def check_1_form(registers, **kwargs) -> Check1Form:
    """The check 1 form with A, B and C for each register in use."""
    fields = {
        f"{part}_{r.code}": TextAreaField(
            label, default=(r.legal_basis if part == "a" else None),
            validators=[Length(max=2000, message="Gebruik hooguit 2000 tekens.")],
        )
        for r in registers
        for part, label in ASSESSMENT_LABELS.items()
    }
    cls = type("Check1FormForRegisters", (Check1Form,), {"registers": list(registers), **fields})
    return cls(**kwargs)


def _int_or_zero(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0  # no power has id 0: refused as not in the list


class Check2BForm(DecisionForm):
    """Weging 5: which data may go with the action or referral, for which municipal powers."""

    allowed_fields = SelectMultipleField("Gegevens die mogen worden gedeeld", choices=FIELD_CHOICES,
                                         invalid_choice_message=UNKNOWN_FIELD)
    powers = SelectMultipleField("Bevoegdheden waarvoor de gegevens worden ingezet", coerce=_int_or_zero,
                                 invalid_choice_message="Kies alleen uit de genoemde bevoegdheden.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        active = db.session.scalars(select(Power).where(Power.active.is_(True)).order_by(Power.position, Power.id))
        self.powers.choices = [SelectChoice(p.id, p.full_label) for p in active]

    def validate_allowed_fields(self, field):
        if self.is_approved and not field.data:
            raise ValidationError(NEED_FIELD)

    def validate_powers(self, field):
        if self.is_approved and not field.data:
            raise ValidationError(NEED_POWER)

    def decision(self) -> dict:
        return {**super().decision(), "allowed_fields": self.allowed_fields.data, "powers": self.powers.data}


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


def decision_form(check, departments=(), requested=()) -> DecisionForm:
    """The form for this kind of check. A 2B form opens with the categories the referral asked
    for ticked (`requested`); a sent form keeps what the officer ticked, also when that is none."""
    if check.kind == "1":
        return check_1_form(source_registers(active_only=True))
    if check.kind == "2A":
        return check_2a_form(departments)
    return Check2BForm(data={"allowed_fields": [code for code in requested or () if code in SHAREABLE_FIELDS]})


class ReopenForm(Form):
    """A privacy officer sets aside a decision the coordinator recorded."""

    reason = TextAreaField(
        "Waarom heropent u dit besluit?",
        validators=[DataRequired("Vul in waarom u het besluit heropent."),
                    Length(max=2000, message="Gebruik hooguit 2000 tekens.")],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="heropenen", **kwargs)
