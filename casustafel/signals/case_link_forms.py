"""The form that links a signal to a decision in the municipality's case system."""

from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from casustafel.forms import DateField, Form, not_in_future, strip_text
from casustafel.models import CaseLinkKind
from casustafel.signals.case_link_services import (
    MAX_ZAAKNUMMER,
    NEED_DATE,
    NEED_KIND,
    NEED_ZAAKNUMMER,
    CaseLinkInput,
)


class CaseLinkForm(Form):
    kind = SelectField("Soort besluit",
                       choices=[SelectChoice("", "— kies de soort besluit —")]
                       + [SelectChoice(m.value, m.label) for m in CaseLinkKind],
                       validators=[InputRequired(NEED_KIND)], invalid_choice_message=NEED_KIND)
    zaaknummer = StringField("Zaaknummer", filters=[strip_text], validators=[
        InputRequired(NEED_ZAAKNUMMER),
        Length(max=MAX_ZAAKNUMMER, message=f"Een zaaknummer is hooguit {MAX_ZAAKNUMMER} tekens.")])
    decided_on = DateField("Datum van het besluit", validators=[InputRequired(NEED_DATE), not_in_future])

    def __init__(self, **kwargs):
        super().__init__(prefix="zaak", **kwargs)

    def to_input(self) -> CaseLinkInput:
        return CaseLinkInput(kind=self.kind.data, zaaknummer=self.zaaknummer.data, decided_on=self.decided_on.data)
