"""The coordinator's form for informing a subject (art. 14 AVG) or deferring it (art. 41 UAVG)."""

from wtforms import RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from casustafel.forms import TEXT_MAX, DateField, Form, strip_text
from casustafel.models import INFORMING_OUTCOMES
from casustafel.models.rights import RESTRICTION_GROUNDS


class InformingForm(Form):
    subject_id = SelectField("Betrokkene", validators=[Optional()])
    outcome = RadioField("Besluit", choices=[SelectChoice(c, label) for c, label in INFORMING_OUTCOMES.items()],
                         validators=[InputRequired("Kies of de betrokkene is geïnformeerd of dat informeren wordt "
                                                   "uitgesteld.")])
    informed_on = DateField("Geïnformeerd op", validators=[Optional()])
    ground = SelectField("Grond voor het uitstel",
                         choices=[SelectChoice("", "— kies een grond —")]
                         + [SelectChoice(c, label) for c, label in RESTRICTION_GROUNDS.items()],
                         validators=[Optional()])
    reason = TextAreaField("Toelichting", filters=[strip_text],
                           validators=[Optional(), Length(max=TEXT_MAX, message=f"Gebruik hooguit {TEXT_MAX} tekens.")])
    review_on = DateField("Herbeoordelen op", validators=[Optional()])

    def __init__(self, subjects, **kwargs):
        super().__init__(**kwargs)
        self.subject_id.choices = [SelectChoice("", "Alle betrokkenen van deze melding")] + [
            SelectChoice(str(s.id), f"{s.name or s.kind_label} ({s.role_label.lower()})") for s in subjects
        ]
