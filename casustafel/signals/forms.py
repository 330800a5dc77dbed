"""The meldpunt form: one signal with repeatable subjects and locations.

Every field has a Dutch message; a blank subject or location row is ignored, a half-filled
one is explained next to its fields.
"""

import re
import secrets

from wtforms import (
    BooleanField,
    FileField,
    FormField,
    HiddenField,
    MultipleFileField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms import Form as PlainForm
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, StopValidation, ValidationError

from casustafel.forms import DateField, FieldList, Form, not_in_future, strip_text
from casustafel.linking import split_house_number
from casustafel.models import CHANNELS, SUBJECT_KINDS, SUBJECT_ROLES
from casustafel.signals.services import SUBMISSION_KEY_MAX, LocationInput, SignalInput, SubjectInput

POSTCODE_RE = re.compile(r"^[1-9][0-9]{3} ?(?!SA|SD|SS)[A-Z]{2}$")


class AddressLookupChecks:
    """The checks of a postcode with its house number on a lookup form (the coordinator's search,
    a data-subject request): both or neither, each in its Dutch form."""

    def validate_postcode(self, field):
        if field.data and not POSTCODE_RE.match(field.data):
            raise ValidationError("Vul een postcode in als 1234 AB.")
        if field.data and not self.house_number.data:
            raise ValidationError("Vul ook het huisnummer in.")

    def validate_house_number(self, field):
        if field.data and split_house_number(field.data) is None:
            raise ValidationError("Vul een huisnummer in van 1 tot en met 99999, eventueel met toevoeging, zoals 12A.")
        if field.data and not self.postcode.data:
            raise ValidationError("Vul ook de postcode in.")
# "12a", "12 A", "12-a", "12-3": a number with its addition typed in one field.
HOUSE_NUMBER_WITH_ADDITION_RE = re.compile(r"^([1-9][0-9]{0,4})\s*-?\s*([A-Za-z0-9]{1,6})$")
MAX_ROWS = 20


def _upper_postcode(value):
    return " ".join(value.upper().split()) if isinstance(value, str) else value


def int_or_none(value):
    return int(value) if value not in (None, "") else None



class RequiredInFilledRow:
    """Refuse an empty field when the rest of its row is filled in.

    Put it before Optional(): Optional() ends the chain for an empty field, so a check
    after it (or a `validate_<name>` method) never runs for the empty value it is about.
    """

    def __init__(self, row_is_filled, message):
        self.row_is_filled = row_is_filled
        self.message = message

    def __call__(self, form, field):
        empty = not field.raw_data or not str(field.raw_data[0]).strip()
        if empty and self.row_is_filled(form):
            raise StopValidation(self.message)


def valid_postcode(form, field):
    if field.data and not POSTCODE_RE.match(field.data):
        raise ValidationError("Vul een postcode in als 1234 AB.")


class AddressFields(PlainForm):
    """Shared address fields (subform, no CSRF of its own)."""

    class Meta:
        locales = ("nl_NL", "nl")

    street = StringField("Straat", filters=[strip_text], validators=[Optional(), Length(max=120)])
    house_number = StringField(
        "Huisnummer",
        filters=[strip_text],
        render_kw={"inputmode": "numeric"},
        validators=[
            RequiredInFilledRow(lambda f: bool(f.postcode.data or f.street.data), "Vul ook het huisnummer in."),
            Optional(),
            Regexp(r"^[1-9][0-9]{0,4}$", message="Vul een huisnummer in van 1 tot en met 99999."),
        ],
    )
    house_number_addition = StringField(
        "Toevoeging",
        filters=[strip_text],
        validators=[
            Optional(),
            Length(max=6, message="Gebruik hooguit 6 tekens."),
            Regexp(r"^[A-Za-z0-9 -]*$", message="Gebruik alleen letters en cijfers."),
        ],
    )
    postcode = StringField("Postcode", filters=[strip_text, _upper_postcode], validators=[Optional(), valid_postcode])
    city = StringField("Plaats", filters=[strip_text], validators=[Optional(), Length(max=80)])

    ADDRESS_FIELDS = ("street", "house_number", "house_number_addition", "postcode", "city")

    def validate(self, extra_validators=None):
        self.split_house_number()
        return super().validate(extra_validators)

    def split_house_number(self) -> None:
        """Move an addition typed after the number into its own field (`12a` → 12 and A),
        as long as the addition field is empty; otherwise the number gets its message."""
        typed = self.house_number.data or ""
        match = HOUSE_NUMBER_WITH_ADDITION_RE.match(typed)
        if match is None or self.house_number_addition.data:
            return
        number, addition = match.groups()
        if addition.isdigit() and "-" not in typed:  # "123" is a number, "12-3" has an addition
            return
        self.house_number.data, self.house_number_addition.data = number, addition.upper()

    def has_address(self) -> bool:
        return any(getattr(self, name).data not in (None, "") for name in self.ADDRESS_FIELDS)

    def is_blank(self) -> bool:
        return not self.has_address()


class SubjectForm(AddressFields):
    kind = SelectField(
        "Soort",
        choices=[SelectChoice(k, v) for k, v in SUBJECT_KINDS.items()],
        validators=[InputRequired("Kies persoon of organisatie.")],
    )
    role = SelectField(
        "Rol in deze melding",
        choices=[SelectChoice(k, v) for k, v in SUBJECT_ROLES.items()],
        validators=[InputRequired("Kies een rol.")],
    )
    name = StringField(
        "Naam",
        filters=[strip_text],
        validators=[RequiredInFilledRow(lambda f: not f.is_blank(), "Vul de naam in."), Optional(), Length(max=200)],
    )
    birth_date = DateField(
        "Geboortedatum",
        range_message="Vul een geboortedatum na 1900 in.",
        validators=[Optional(), not_in_future],
        description="Alleen bij een persoon, als u die weet.",
    )
    kvk_number = StringField(
        "KvK-nummer",
        filters=[strip_text],
        validators=[Optional(), Regexp(r"^[0-9]{8}$", message="Een KvK-nummer heeft 8 cijfers.")],
    )

    field_order = ("kind", "role", "name", "birth_date", "kvk_number", *AddressFields.ADDRESS_FIELDS)

    def is_blank(self) -> bool:
        return not (self.name.data or self.birth_date.data or self.kvk_number.data or self.has_address())

    def validate_birth_date(self, field):
        if field.data and self.kind.data == "organisatie":
            raise ValidationError("Een organisatie heeft geen geboortedatum.")
        if field.data and field.data.year < 1900:
            raise ValidationError("Vul een geboortedatum na 1900 in.")

    def validate_kvk_number(self, field):
        if field.data and self.kind.data == "persoon":
            raise ValidationError("Een KvK-nummer hoort bij een organisatie. Kies ‘Organisatie’.")


class LocationForm(AddressFields):
    postcode = StringField(
        "Postcode",
        filters=[strip_text, _upper_postcode],
        validators=[RequiredInFilledRow(lambda f: f.has_address(), "Vul de postcode in."), Optional(), valid_postcode],
    )
    bag_id = StringField(
        "BAG-id",
        filters=[strip_text],
        description="Het nummer van 16 cijfers uit de BAG (verblijfsobject), als u het weet.",
        render_kw={"inputmode": "numeric"},
        validators=[Optional(), Regexp(r"^[0-9]{16}$", message="Een BAG-id heeft 16 cijfers.")],
    )

    field_order = (*AddressFields.ADDRESS_FIELDS, "bag_id")

    def has_address(self) -> bool:
        return super().has_address() or bool(self.bag_id.data)


class SignalForm(Form):
    phenomenon_id = SelectField(
        "Fenomeen",
        coerce=int_or_none,
        validators=[DataRequired("Kies het fenomeen dat het best past. Twijfelt u? Kies ‘Overig’.")],
    )
    indicators_features = SelectMultipleField(
        "Kenmerken van ondermijning", coerce=int, validators=[Optional()]
    )
    indicators_local = SelectMultipleField(
        "Lokale verankering", coerce=int, validators=[Optional()]
    )
    indicators_signal = SelectMultipleField(
        "Signalering (rode vlaggen)", coerce=int, validators=[Optional()]
    )
    indicator_explanation = TextAreaField(
        "Toelichting bij de indicatoren",
        filters=[strip_text],
        validators=[Optional(), Length(max=5000, message="Gebruik hooguit 5000 tekens.")],
    )
    description = TextAreaField(
        "Wat heeft u gezien of gehoord?",
        filters=[strip_text],
        validators=[
            DataRequired("Beschrijf wat u heeft gezien of gehoord."),
            Length(max=10000, message="Gebruik hooguit 10.000 tekens."),
        ],
    )
    observed_from = DateField(
        "Waargenomen op of vanaf", validators=[Optional(), not_in_future]
    )
    observed_until = DateField("Waargenomen tot en met", validators=[Optional(), not_in_future])
    urgent = BooleanField("Dit is urgent")
    subjects = FieldList(FormField(SubjectForm), min_entries=1, max_entries=MAX_ROWS)
    locations = FieldList(FormField(LocationForm), min_entries=1, max_entries=MAX_ROWS)
    attachments = MultipleFileField("Bijlagen")
    reporter_phone = StringField(
        "Telefoonnummer voor vragen",
        filters=[strip_text],
        validators=[
            Optional(),
            Regexp(r"^[0-9 +()-]{6,20}$", message="Vul een telefoonnummer in, bijvoorbeeld 06 12345678."),
        ],
    )

    # A new random key each time the form is first shown; a re-shown form keeps the posted one.
    submission_key = HiddenField(default=lambda: secrets.token_urlsafe(24))

    def submitted_key(self) -> str | None:
        """The key this POST carried, or None without one (a post not from the form, or a value
        this server never gave out): then nothing is checked or kept."""
        raw = self.submission_key.raw_data
        value = raw[0] if raw and isinstance(raw[0], str) else ""
        return value if 0 < len(value) <= SUBMISSION_KEY_MAX else None

    def validate_observed_until(self, field):
        if field.data and self.observed_from.data and field.data < self.observed_from.data:
            raise ValidationError("De einddatum ligt vóór de begindatum.")

    def filled_subjects(self):
        return [entry.form for entry in self.subjects if not entry.form.is_blank()]

    def filled_locations(self):
        return [entry.form for entry in self.locations if not entry.form.is_blank()]

    def to_input(self) -> SignalInput:
        """The validated form as plain data for `build_signal`."""
        return SignalInput(
            description=self.description.data,
            phenomenon_id=self.phenomenon_id.data,
            indicator_ids=sorted(set(self.indicators_features.data or []) | set(self.indicators_local.data or [])
                                 | set(self.indicators_signal.data or [])),
            indicator_explanation=self.indicator_explanation.data or None,
            observed_from=self.observed_from.data,
            observed_until=self.observed_until.data,
            urgent=bool(self.urgent.data),
            reporter_phone=self.reporter_phone.data or None,
            subjects=[SubjectInput(kind=s.kind.data, role=s.role.data, name=s.name.data or None,
                                   birth_date=s.birth_date.data, kvk_number=s.kvk_number.data or None,
                                   **_address(s)) for s in self.filled_subjects()],
            locations=[LocationInput(bag_id=loc.bag_id.data or None, **_address(loc))
                       for loc in self.filled_locations()],
        )


def _address(form: AddressFields) -> dict:
    return {name: getattr(form, name).data or None for name in AddressFields.ADDRESS_FIELDS}


class RegisterSignalForm(SignalForm):
    """The coordinator's variant: also records the channel the signal came through."""

    channel = SelectField(
        "Binnengekomen via",
        choices=[SelectChoice(k, v) for k, v in CHANNELS.items() if k != "meldpunt"],
        validators=[InputRequired("Kies hoe de melding binnenkwam.")],
    )


class RegisterFromMailForm(RegisterSignalForm):
    """The registration form filled from an e-mail: the channel is `email`, and the hidden
    field carries the staged mail (signals/mail_register.py) to the confirming submit."""

    channel = SelectField(
        "Binnengekomen via",
        choices=[SelectChoice("email", CHANNELS["email"])],
        validators=[InputRequired("Kies hoe de melding binnenkwam.")],
    )
    mail_token = HiddenField()
    # Shown only when the sender's address is an active account's: a From can be forged, so the
    # coordinator decides, never the address alone (signals/mail_register.py).
    sender_is_reporter = BooleanField("De afzender als melder vastleggen")


class MailIntakeForm(Form):
    """The small form above the registration: one .eml or .msg file."""

    mail = FileField("E-mail (.eml of Outlook .msg)")


class AnswerForm(Form):
    answer = TextAreaField(
        "Uw antwoord",
        filters=[strip_text],
        validators=[DataRequired("Vul uw antwoord in."), Length(max=5000, message="Gebruik hooguit 5000 tekens.")],
    )
