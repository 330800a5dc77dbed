"""Meeting forms. Each lists exactly the fields the coordinator may set; choices are filled
by the view from the database, so a posted value outside them is refused."""

from urllib.parse import urlsplit

from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from casustafel import dates
from casustafel.forms import DateField, Form, new_action_type, strip_text
from casustafel.models import DECISIONS, MEETING_KINDS, NEW_ACTION_TYPES

TEXT_MAX = 20_000
LOCATION_MAX, LINK_MAX = 200, 500
STALE_FORM = "Dit formulier is niet compleet. Open de pagina opnieuw en probeer het nog eens."


def empty_as_none(value):
    return value or None


def is_https_url(value: str) -> bool:
    """A complete https:// address without spaces or control characters."""
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
        return False
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and "." in parts.hostname and port_ok


class MeetingForm(Form):
    held_on = DateField("Datum", validators=[InputRequired("Vul de datum van het overleg in.")],
                        render_kw={"autocomplete": "off"})
    held_time = TimeField("Begintijd", validators=[InputRequired("Vul de begintijd in, bijvoorbeeld 09:30.")],
                          render_kw={"autocomplete": "off"})
    kind = RadioField(
        "Soort overleg",
        choices=[SelectChoice(code, label) for code, label in MEETING_KINDS.items()],
        default="regulier",
        validators=[InputRequired("Kies het soort overleg.")],
    )
    chair_id = SelectField("Voorzitter", validators=[InputRequired("Kies de voorzitter.")])
    agenda_cutoff = DateField(
        "Sluitingsdatum agenda", validators=[InputRequired("Vul de sluitingsdatum van de agenda in.")]
    )
    location = StringField(
        "Plaats (zaal of adres)", filters=[strip_text, empty_as_none],
        validators=[Optional(), Length(max=LOCATION_MAX, message=f"Gebruik hooguit {LOCATION_MAX} tekens.")],
    )
    online_link = StringField(
        "Link voor online deelname", filters=[strip_text, empty_as_none],
        validators=[Optional(), Length(max=LINK_MAX, message=f"Gebruik hooguit {LINK_MAX} tekens.")],
        render_kw={"autocomplete": "off", "inputmode": "url", "spellcheck": "false"},
    )
    version = HiddenField()  # required when editing; the view checks it

    def fill(self, coordinators) -> None:
        self.chair_id.choices = [SelectChoice("", "— kies de voorzitter —")] + [
            SelectChoice(str(u.id), u.display_name) for u in coordinators
        ]

    def validate_online_link(self, field):
        if field.data and not is_https_url(field.data):
            raise ValidationError("Vul een volledige link in die begint met https://, bijvoorbeeld "
                                  "https://teams.microsoft.com/… of https://meet.gemeente.nl/….")

    def validate_agenda_cutoff(self, field):
        if field.data and self.held_on.data and field.data > self.held_on.data:
            raise ValidationError(
                f"De sluitingsdatum ligt na de datum van het overleg. Kies {self.held_on.data:%d-%m-%Y} of eerder."
            )


class InviteForm(Form):
    user_id = SelectField("Deelnemer", validators=[InputRequired("Kies een deelnemer.")])
    department_id = SelectField("Afdeling of discipline", validators=[Optional()])

    def fill(self, members, departments) -> None:
        self.user_id.choices = [SelectChoice("", "— kies een deelnemer —")] + [
            SelectChoice(str(u.id), u.display_name + (f" ({u.department.name})" if u.department else ""))
            for u in members
        ]
        self.department_id.choices = [SelectChoice("", "De afdeling van de deelnemer")] + [
            SelectChoice(str(d.id), d.name) for d in departments
        ]


class AddItemForm(Form):
    # One or more signals, ticked in the table of candidates (a single value still works). A
    # signal that left the list meanwhile is refused by services.add_item, which names it.
    signal_id = SelectMultipleField("Meldingen", validators=[InputRequired("Kies een of meer meldingen.")],
                                    validate_choice=False)

    def fill(self, signals) -> None:
        self.signal_id.choices = [SelectChoice(str(s.id), s.reference) for s in signals]


class NotesForm(Form):
    notes = TextAreaField("Aantekeningen", filters=[strip_text],
                          validators=[Optional(), Length(max=TEXT_MAX, message="Gebruik hooguit 20.000 tekens.")])
    version = HiddenField(validators=[DataRequired(STALE_FORM)])


class DecisionForm(Form):
    decision = RadioField(
        "Besluit",
        choices=[SelectChoice(code, label) for code, label in DECISIONS.items()],
        validators=[InputRequired("Kies een besluit.")],
    )
    rationale = TextAreaField(
        "Onderbouwing",
        filters=[strip_text],
        validators=[DataRequired("Vul de onderbouwing van het besluit in."),
                    Length(max=TEXT_MAX, message="Gebruik hooguit 20.000 tekens.")],
    )


class ActionForm(Form):
    type = SelectField(
        "Soort actie",
        choices=[SelectChoice("", "— kies een soort actie —")]
        + [SelectChoice(code, label) for code, label in NEW_ACTION_TYPES.items()],
        validators=[InputRequired("Kies de soort actie."), new_action_type],
        validate_choice=False,  # new_action_type explains a retired type
    )
    owner_id = SelectField("Eigenaar (deelnemer)", validators=[Optional()])
    owner_department_id = SelectField("Of: afdeling", validators=[Optional()])
    deadline = DateField("Uiterste datum", validators=[InputRequired("Vul de uiterste datum in.")])
    description = TextAreaField(
        "Omschrijving",
        filters=[strip_text],
        validators=[Optional(), Length(max=TEXT_MAX, message="Gebruik hooguit 20.000 tekens.")],
    )

    def fill(self, invitees, departments) -> None:
        self.owner_id.choices = [SelectChoice("", "— geen persoon —")] + [
            SelectChoice(str(i.user_id), i.user.display_name) for i in invitees
        ]
        self.owner_department_id.choices = [SelectChoice("", "— geen afdeling —")] + [
            SelectChoice(str(d.id), d.name) for d in departments
        ]

    def validate_deadline(self, field):
        if field.data and field.data < dates.today():
            raise ValidationError("Deze datum ligt in het verleden. Kies vandaag of later.")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.owner_id.data and not self.owner_department_id.data:
            self.owner_department_id.errors = [*self.owner_department_id.errors,
                                               "Kies een deelnemer of een afdeling als eigenaar."]
            return False
        return valid
