"""Forms of the privacy officer's log tools. Filters are GET forms without CSRF; the subject
lookup and the sign-off are POST forms (search values never go into a URL or the log)."""

import re

from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from casustafel.audit import labels
from casustafel.audit.anomalies import KINDS, OUTCOMES
from casustafel.audit.labels import RESULT_LABELS
from casustafel.forms import AnyValue, DateField, FilterForm, Form, strip_text

PURPOSES = {
    "inzageverzoek": "Verzoek van een betrokkene (inzage, AVG art. 15)",
    "datalek": "Onderzoek naar een (mogelijk) datalek",
    "klacht": "Klacht of signaal over onrechtmatige inzage",
    "toezicht": "Periodiek toezicht",
}
LOOKUP_KINDS = {
    "person": "Persoon (naam en geboortedatum)",
    "organisation": "Organisatie (naam)",
    "kvk": "KvK-nummer",
    "address": "Adres (postcode en huisnummer)",
}


ALL_ACTIONS = "Alle handelingen"
ACTION_CODE = re.compile(r"^[a-z_]{1,40}\.(?:[a-z_]{1,60})?$")


def action_choices(current: str | None) -> dict:
    """The action filter: every action of the log by its Dutch label, grouped per object, each
    group led by an option for all of that object's actions (the prefix "signal."). A code
    from an older link that the list does not hold (yet) is offered too, so it still filters."""
    choices: dict = {None: [SelectChoice("", ALL_ACTIONS)]}
    offered = {""}
    for group, options in labels.action_groups():
        choices[group] = [SelectChoice(value, label) for value, label in options]
        offered.update(value for value, _ in options)
    if current and current not in offered and ACTION_CODE.match(current):
        choices[None].append(SelectChoice(current, labels.action_label(current)))
    return choices


def _too_long(n: int) -> str:
    return f"Gebruik hooguit {n} tekens."


class LogFilterForm(FilterForm):
    gebruiker = SelectField("Gebruiker", validators=[AnyValue()])
    kenmerk = StringField("Kenmerk van de melding", filters=[strip_text],
                          validators=[AnyValue(), Length(max=16, message="Een kenmerk is hooguit 16 tekens.")])
    handeling = SelectField("Handeling", validators=[AnyValue()], choices=[SelectChoice("", ALL_ACTIONS)],
                            invalid_choice_message="Kies een handeling uit de lijst.")
    resultaat = SelectField("Resultaat", validators=[AnyValue()],
                            choices=[SelectChoice("", "Alle resultaten")]
                            + [SelectChoice(k, v) for k, v in RESULT_LABELS.items()])
    van = DateField("Van", validators=[AnyValue()])
    tot = DateField("Tot en met", validators=[AnyValue()])

    def validate_tot(self, field):
        if field.data and self.van.data and field.data < self.van.data:
            raise ValidationError("Deze datum ligt voor de begindatum.")


class AnomalyFilterForm(FilterForm):
    soort = SelectField("Soort", validators=[AnyValue()],
                        choices=[SelectChoice("", "Alle soorten")] + [SelectChoice(k, v) for k, v in KINDS.items()])
    status = SelectField("Beoordeling", validators=[AnyValue()],
                         choices=[SelectChoice("", "Alle"), SelectChoice("open", "Nog niet beoordeeld"),
                                  SelectChoice("beoordeeld", "Beoordeeld")])
    van = DateField("Van", validators=[AnyValue()])
    tot = DateField("Tot en met", validators=[AnyValue()])

    def validate_tot(self, field):
        if field.data and self.van.data and field.data < self.van.data:
            raise ValidationError("Deze datum ligt voor de begindatum.")


class SubjectLookupForm(Form):
    soort = RadioField("Wat zoekt u?", choices=[SelectChoice(k, v) for k, v in LOOKUP_KINDS.items()],
                       validators=[InputRequired("Kies wat u zoekt.")])
    naam = StringField("Naam", filters=[strip_text], validators=[Length(max=200, message=_too_long(200))])
    geboortedatum = DateField("Geboortedatum", validators=[AnyValue()])
    kvk = StringField("KvK-nummer", filters=[strip_text], validators=[Length(max=20, message=_too_long(20))])
    postcode = StringField("Postcode", filters=[strip_text], validators=[Length(max=10, message=_too_long(10))])
    huisnummer = StringField("Huisnummer", filters=[strip_text], validators=[Length(max=10, message=_too_long(10))])
    toevoeging = StringField("Toevoeging", filters=[strip_text], validators=[Length(max=10, message=_too_long(10))])
    doel = SelectField("Doel van deze zoekvraag", choices=[SelectChoice("", "— kies een doel —")]
                       + [SelectChoice(k, v) for k, v in PURPOSES.items()],
                       validators=[InputRequired("Kies het doel van deze zoekvraag.")])

    REQUIRED = {
        "person": (("naam", "Vul de naam in."), ("geboortedatum", "Vul de geboortedatum in.")),
        "organisation": (("naam", "Vul de naam van de organisatie in."),),
        "kvk": (("kvk", "Vul het KvK-nummer in."),),
        "address": (("postcode", "Vul de postcode in."), ("huisnummer", "Vul het huisnummer in.")),
    }

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        for name, message in self.REQUIRED.get(self.soort.data, ()):
            field = getattr(self, name)
            if not field.data and not field.errors:
                field.errors = [*field.errors, message]
                ok = False
        return ok

    def values(self) -> tuple:
        kind = self.soort.data
        if kind == "person":
            return (self.naam.data, self.geboortedatum.data.isoformat())
        if kind == "organisation":
            return (self.naam.data,)
        if kind == "kvk":
            return (self.kvk.data,)
        return (self.postcode.data, self.huisnummer.data, self.toevoeging.data or None)


class ReviewForm(Form):
    outcome = RadioField("Uitkomst", choices=[SelectChoice(k, v) for k, v in OUTCOMES.items()],
                          validators=[InputRequired("Kies een uitkomst.")])
    comment = TextAreaField("Toelichting", filters=[strip_text],
                            validators=[DataRequired("Licht uw beoordeling toe."),
                                        Length(max=4000, message="Gebruik hooguit 4000 tekens.")])
