"""The privacy officer's form for one activity of the register of processing activities."""

from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from casustafel.forms import Form, strip_text
from casustafel.models import CONTROLLERS
from casustafel.privacy.annex import ActivityText

LONG = 4000


def _text(label: str, message: str, max_length: int = LONG) -> TextAreaField:
    return TextAreaField(label, filters=[strip_text],
                         validators=[DataRequired(message),
                                     Length(max=max_length, message=f"Gebruik hooguit {max_length} tekens.")])


class ActivityForm(Form):
    name = StringField("Naam van de verwerking", filters=[strip_text],
                       validators=[DataRequired("Vul de naam van de verwerking in."),
                                   Length(max=200, message="Gebruik hooguit 200 tekens.")])
    purpose = _text("Doel", "Vul het doel van de verwerking in.")
    legal_ground = _text("Grondslag (art. 6 AVG en de wet)", "Vul de grondslag in.")
    criminal_data_basis = _text("Strafrechtelijke gegevens (art. 10 AVG / UAVG)",
                                "Vul de grondslag voor strafrechtelijke gegevens in, of ‘n.v.t.’.")
    controller = SelectField("Verwerkingsverantwoordelijke", validators=[InputRequired("Kies de verantwoordelijke.")],
                             choices=[SelectChoice(code, label) for code, label in CONTROLLERS.items()])
    controller_note = _text("Toelichting op de verantwoordelijke", "Licht toe welk orgaan verantwoordelijk is.")
    data_subjects = _text("Categorieën betrokkenen", "Vul de categorieën betrokkenen in.")
    data_categories = _text("Categorieën persoonsgegevens", "Vul de categorieën persoonsgegevens in.")
    recipients = _text("Categorieën ontvangers", "Vul de ontvangers in, of ‘geen’.")
    retention = _text("Bewaartermijn", "Vul de bewaartermijn in.")
    selection_list = _text("Selectielijst", "Vul de verwijzing naar de selectielijst in.", 1000)

    def text(self) -> ActivityText:
        return ActivityText(**{name: getattr(self, name).data for name in ActivityText.__dataclass_fields__})
