"""The coordinator's search on the inbox: a POST form (with CSRF), so what is typed never goes
into a URL, the browser history or a server log. Every message stands next to its field and
the page keeps what was typed."""

import re

from wtforms import StringField
from wtforms.validators import Length, ValidationError

from casustafel.forms import AnyValue, DateField, Form, strip_text
from casustafel.linking import split_house_number
from casustafel.signals.forms import AddressLookupChecks
from casustafel.signals.search_services import SearchQuery

REFERENCE_RE = re.compile(r"^SIG-[0-9]{4}-[0-9]{4,}$")
NOTHING_FILLED = "Vul een kenmerk in, of een naam, organisatie, KvK-nummer of postcode met huisnummer."


def _upper(value):
    return " ".join(value.upper().split()) if isinstance(value, str) else value


def _digits(value):
    return re.sub(r"[\s.]", "", value) if isinstance(value, str) else value


def _too_long(n: int) -> Length:
    return Length(max=n, message=f"Gebruik hooguit {n} tekens.")


class SearchForm(AddressLookupChecks, Form):
    reference = StringField("Zoeken", name="zoeken", filters=[strip_text],
                            validators=[AnyValue(), _too_long(20)])
    name = StringField("Naam van de persoon", name="naam", filters=[strip_text],
                       validators=[AnyValue(), _too_long(200)])
    birth_date = DateField("Geboortedatum", name="geboortedatum", validators=[AnyValue()])
    organisation = StringField("Naam van de organisatie", name="organisatie", filters=[strip_text],
                               validators=[AnyValue(), _too_long(200)])
    kvk_number = StringField("KvK-nummer", name="kvk", filters=[strip_text, _digits],
                             validators=[AnyValue(), _too_long(20)])
    postcode = StringField("Postcode", name="postcode", filters=[strip_text, _upper],
                           validators=[AnyValue(), _too_long(10)])
    house_number = StringField("Huisnummer", name="huisnummer", filters=[strip_text],
                               validators=[AnyValue(), _too_long(12)])
    addition = StringField("Toevoeging", name="toevoeging", filters=[strip_text], validators=[AnyValue(), _too_long(6)])

    def validate_reference(self, field):
        if field.data and not REFERENCE_RE.match(field.data.upper()):
            raise ValidationError("Vul een kenmerk in zoals SIG-2026-0001.")

    def validate_birth_date(self, field):
        if field.data and not self.name.data:
            raise ValidationError("Vul ook de naam van de persoon in.")

    def validate_kvk_number(self, field):
        if field.data and not re.fullmatch(r"[0-9]{8}", field.data):
            raise ValidationError("Een KvK-nummer heeft 8 cijfers.")

    def validate_addition(self, field):
        if field.data and not re.fullmatch(r"[A-Za-z0-9]{1,6}", field.data):
            raise ValidationError("Gebruik voor de toevoeging alleen letters en cijfers.")
        if field.data and not self.house_number.data:
            raise ValidationError("Vul ook het huisnummer in.")
        if field.data and (split_house_number(self.house_number.data) or (None, None))[1]:
            raise ValidationError("Het huisnummer heeft al een toevoeging. Vul de toevoeging maar op één plek in.")

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if ok and self.query().is_empty():
            self.reference.errors = [*self.reference.errors, NOTHING_FILLED]
            ok = False
        return ok

    def query(self) -> SearchQuery:
        number, typed_addition = split_house_number(self.house_number.data) or (None, None)
        return SearchQuery(
            reference=(self.reference.data or "").upper() or None,
            name=self.name.data or None,
            birth_date=self.birth_date.data,
            organisation=self.organisation.data or None,
            kvk_number=self.kvk_number.data or None,
            postcode=self.postcode.data or None,
            house_number=number,
            addition=self.addition.data or typed_addition,
        )
