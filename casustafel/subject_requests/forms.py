"""Forms of data-subject requests: each lists exactly the fields the privacy officer may set."""


from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from casustafel import dates
from casustafel.forms import DateField, Form, strip_text
from casustafel.models import SUBJECT_REQUEST_TYPES
from casustafel.signals.forms import AddressLookupChecks
from casustafel.subject_requests.services import RESTRICTION_GROUNDS, RESTRICTIONS
from casustafel.web.locking import VersionedForm

TEXT_MAX = 4000


def _upper_postcode(value):
    return " ".join(value.upper().split()) if isinstance(value, str) else value


class NoLabelMark(Optional):
    """Optional without "(niet verplicht)": these fields are required in combinations."""

    def __init__(self):
        super().__init__()
        self.field_flags = {}


class RequestForm(AddressLookupChecks, Form):
    type = SelectField(
        "Soort verzoek",
        choices=[SelectChoice("", "— kies het soort verzoek —")]
        + [SelectChoice(code, label) for code, label in SUBJECT_REQUEST_TYPES.items()],
        validators=[InputRequired("Kies het soort verzoek.")],
    )
    received_on = DateField("Ontvangen op", validators=[InputRequired("Vul een geldige datum in, zoals 31-01-2026.")])
    name = StringField("Naam van de persoon", filters=[strip_text],
                       validators=[NoLabelMark(), Length(max=200, message="Gebruik hooguit 200 tekens.")])
    birth_date = DateField("Geboortedatum", validators=[NoLabelMark()])
    organisation = StringField("Naam van de organisatie", filters=[strip_text],
                               validators=[NoLabelMark(), Length(max=200, message="Gebruik hooguit 200 tekens.")])
    kvk_number = StringField("KvK-nummer", filters=[strip_text], validators=[
        NoLabelMark(), Regexp(r"^[0-9]{8}$", message="Een KvK-nummer heeft 8 cijfers.")])
    postcode = StringField("Postcode", filters=[strip_text, _upper_postcode], validators=[NoLabelMark()])
    house_number = StringField("Huisnummer", filters=[strip_text], render_kw={"inputmode": "text"},
                               validators=[NoLabelMark()])

    def validate_received_on(self, field):
        if field.data and field.data > dates.today():
            raise ValidationError("Deze datum ligt in de toekomst. Vul de datum in waarop het verzoek binnenkwam.")
        if field.data and field.data.year < 2000:
            raise ValidationError("Vul een datum na 2000 in.")

    def validate_birth_date(self, field):
        if field.data and field.data > dates.today():
            raise ValidationError("Deze datum ligt in de toekomst.")
        if field.data and field.data.year < 1900:
            raise ValidationError("Vul een geboortedatum na 1900 in.")
        if field.data and not self.name.data:
            raise ValidationError("Vul ook de naam van de persoon in.")

    def validate_name(self, field):
        typed_birth_date = bool(self.birth_date.raw_data and str(self.birth_date.raw_data[0]).strip())
        if field.data and not typed_birth_date:
            raise ValidationError("Vul ook de geboortedatum in: een naam alleen is niet genoeg om iemand te vinden.")
        if field.data and self.organisation.data:
            raise ValidationError("Vul een persoon óf een organisatie in. Registreer een tweede verzoek voor de ander.")

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        complete = (
            (self.name.data and self.birth_date.data) or self.organisation.data or self.kvk_number.data
            or (self.postcode.data and self.house_number.data)
        )
        if ok and not complete:
            self.form_errors.append("Vul minstens één gegeven in waarmee de betrokkene te vinden is: naam en "
                                    "geboortedatum, de naam van een organisatie, een KvK-nummer, of postcode "
                                    "en huisnummer.")
            return False
        return ok


class DecisionForm(VersionedForm):
    restriction = RadioField(
        "Beperkt u het recht van de betrokkene? (art. 41 UAVG)",
        choices=[SelectChoice(code, label) for code, label in RESTRICTIONS.items()],
        validators=[InputRequired("Kies of u het recht beperkt.")],
    )
    ground = SelectField(
        "Grond voor de beperking",
        choices=[SelectChoice("", "— kies een grond —")]
        + [SelectChoice(code, label) for code, label in RESTRICTION_GROUNDS.items()],
        validators=[NoLabelMark()],
    )
    note = TextAreaField(
        "Toelichting", filters=[strip_text],
        validators=[Optional(), Length(max=TEXT_MAX, message=f"Gebruik hooguit {TEXT_MAX} tekens.")],
    )

    def validate_ground(self, field):
        if self.restriction.data in ("gedeeltelijk", "volledig") and not field.data:
            raise ValidationError("Kies de grond voor de beperking.")


class CloseForm(VersionedForm):
    pass
