"""Admin forms. Each form lists exactly the fields an admin may set (no mass assignment)."""

from wtforms import EmailField, HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from casustafel.forms import Form, IntegerField
from casustafel.models.roles import ROLE_LABELS

ROLE_CHOICES = [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]

class UserForm(Form):
    display_name = StringField(
        "Naam",
        validators=[DataRequired("Vul de naam in."), Length(max=120, message="Gebruik hooguit 120 tekens.")],
    )
    department_id = SelectField("Afdeling", coerce=int, validators=[Optional()])
    roles = SelectMultipleField(
        "Rollen",
        choices=ROLE_CHOICES,
        validators=[DataRequired("Kies minstens één rol.")],
    )
    version = HiddenField()

class NewUserForm(UserForm):
    email = EmailField(
        "E-mailadres",
        validators=[
            DataRequired("Vul het e-mailadres in."),
            # A plain shape check: internal domains (gemeente.local, .test) are valid here.
            Regexp(
                r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                message="Vul een geldig e-mailadres in, bijvoorbeeld naam@gemeente.nl.",
            ),
            Length(max=254),
        ],
    )

class DepartmentForm(Form):
    name = StringField(
        "Naam van de afdeling",
        validators=[DataRequired("Vul de naam in."), Length(max=120, message="Gebruik hooguit 120 tekens.")],
    )

class VersionForm(Form):
    """A bare form for POST buttons (CSRF plus the version seen)."""

    version = IntegerField(validators=[Optional()])
