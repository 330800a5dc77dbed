"""Forms of the chair's screen: presence, and closing the meeting (with the early-close override).

The confirmations of irreversible steps carry the confirm button's value in the post
(CONFIRM); the form fields themselves never hold it, so a form shown again never confirms.
"""

from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError

from casustafel.forms import Form, strip_text
from casustafel.models import ATTENDANCE

# The value of a confirmation page's button (name="bevestigen"): without it nothing happens.
CONFIRM_FIELD = "bevestigen"
CONFIRM = "ja"
REASON_MAX = 2000


class CloseForm(Form):
    override = BooleanField("Toch nu sluiten, vóór de datum van het overleg")
    override_reason = TextAreaField(
        "Waarom sluit u het overleg eerder?",  # required with the override: validate() below
        filters=[strip_text],
        validators=[Length(max=REASON_MAX, message=f"Gebruik hooguit {REASON_MAX} tekens.")],
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.override.data and not self.override_reason.data:
            self.override_reason.errors = [*self.override_reason.errors,
                                           "Schrijf op waarom u het overleg vóór de datum sluit."]
            return False
        return valid


PRESENCE_CHOICE = "Kies aanwezig, afwezig met bericht van verhindering of afwezig."


def _known_attendance(form, field):
    if field.data is not None and field.data not in ATTENDANCE:
        raise ValidationError(PRESENCE_CHOICE)


def field_name(invitee) -> str:
    return f"i_{invitee.user_id.hex}"


def presence_form(invitees, **kwargs) -> Form:
    """One radio group per invitee (legend: name and department), all in one submit. Leaving a
    group empty keeps what was recorded for that invitee."""

    class PresenceForm(Form):
        pass

    choices = [SelectChoice(code, label) for code, label in ATTENDANCE.items()]
    for invitee in invitees:
        label = invitee.user.display_name + (f" ({invitee.department.name})" if invitee.department else "")
        setattr(PresenceForm, field_name(invitee),
                RadioField(label, choices=choices, validate_choice=False, validators=[_known_attendance]))
    data = {field_name(i): i.attendance for i in invitees}
    return PresenceForm(prefix="aanwezigheid", data=data, **kwargs)
