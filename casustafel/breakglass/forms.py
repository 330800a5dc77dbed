"""The break-glass request: which signal, why, and for how long."""

from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from casustafel.breakglass.services import DURATIONS, REFERENCE_RE, normalise_reference
from casustafel.forms import Form, strip_text

REASON_MIN = 20
REASON_MAX = 2000


def _minutes_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class RequestForm(Form):
    signal_reference = StringField(
        "Kenmerk van de melding", filters=[normalise_reference],
        validators=[DataRequired("Vul het kenmerk van de melding in, in de vorm SIG-jjjj-nnnn.")],
    )
    reason = TextAreaField(
        "Reden", filters=[strip_text],
        validators=[
            DataRequired("Vul de reden in."),
            Length(min=REASON_MIN, max=REASON_MAX,
                   message=f"Schrijf de reden in {REASON_MIN} tot {REASON_MAX} tekens."),
        ],
    )
    duration = RadioField(
        "Hoe lang",
        choices=[SelectChoice(m, f"{m} minuten") for m in DURATIONS],
        coerce=_minutes_or_none,
        validators=[InputRequired("Kies hoe lang u toegang nodig hebt.")],
    )

    def validate_signal_reference(self, field):
        if not REFERENCE_RE.match(field.data or ""):
            raise ValidationError(
                "Een kenmerk heeft de vorm SIG-jjjj-nnnn: het jaar en een nummer van minstens vier cijfers.")
