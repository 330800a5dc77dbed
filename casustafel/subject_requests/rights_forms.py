"""Forms of the data subject's further rights: restriction, objection, extension, notification of
recipients. Each lists exactly the fields its role may set; the service checks again."""

from wtforms import RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from casustafel.forms import TEXT_MAX, DateField, Form, strip_text
from casustafel.models import NOTIFICATION_METHODS, OBJECTION_OUTCOMES

TOO_LONG = f"Gebruik hooguit {TEXT_MAX} tekens."


def _text(label, message=None):
    validators = [InputRequired(message)] if message else [Optional()]
    return TextAreaField(label, filters=[strip_text], validators=[*validators, Length(max=TEXT_MAX, message=TOO_LONG)])


class RestrictForm(Form):
    reason = _text("Reden van de beperking", "Geef de reden van de beperking (art. 18 lid 1 AVG).")


class LiftForm(Form):
    reason = _text("Reden voor het opheffen",
                   "Geef de reden voor het opheffen, en dat de betrokkene vooraf is ingelicht.")


class ObjectionForm(Form):
    outcome = RadioField("Uitkomst van de weging (art. 21 AVG)",
                         choices=[SelectChoice(c, label) for c, label in OBJECTION_OUTCOMES.items()],
                         validators=[InputRequired("Kies de uitkomst van de weging.")])
    reasoning = _text("Motivering")


class ExtensionForm(Form):
    reason = _text("Reden van de verlenging",
                   "Geef de reden van de verlenging, zoals de complexiteit of het aantal verzoeken.")
    told_on = DateField("Verzoeker ingelicht op",
                        validators=[InputRequired("Vul in wanneer de verzoeker over de verlenging is ingelicht.")])


class CarriedOutForm(Form):
    on = DateField("Uitgevoerd op",
                   validators=[InputRequired("Vul de datum in waarop de rectificatie of wissing is uitgevoerd.")])


class NotificationForm(Form):
    """The partner comes as a plain hidden `partner_id` per recipient's form; the service checks it."""

    notified_on = DateField("Ingelicht op",
                            validators=[InputRequired("Vul de datum in waarop de ontvanger is ingelicht.")])
    method = SelectField("Hoe", choices=[SelectChoice("", "— kies hoe —")]
                         + [SelectChoice(c, label) for c, label in NOTIFICATION_METHODS.items()],
                         validators=[InputRequired("Kies hoe de ontvanger is ingelicht.")])
    note = _text("Toelichting")
