"""Referral forms: each lists exactly the fields the coordinator may set (no mass assignment)."""


from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from casustafel.forms import (
    AnyValue,
    DateField,
    FilterForm,
    Form,
    not_in_future,
    not_in_past,
    required_radio,
    strip_text,
)
from casustafel.models import (
    GROUNDS,
    OTHER_GROUND,
    REFERRAL_CHANNELS,
    REFERRAL_STATUSES,
    SHAREABLE_FIELDS,
    ExceptionUse,
    ReceivedSource,
)
from casustafel.models.received import UNKNOWN_GROUND, grounds_for
from casustafel.referrals.services import NEED_GROUND_NOTE, NO_LEGAL_GROUND, active_legal_grounds
from casustafel.web.locking import VersionedForm

TEXT_MAX = 4000


def _int_or_none(value):
    return int(value) if value not in (None, "") else None




class ReferralForm(Form):
    partner_id = SelectField("Ontvanger", coerce=_int_or_none, validators=[InputRequired("Kies de ontvanger.")])
    purpose = TextAreaField(
        "Doel van de verstrekking", filters=[strip_text],
        validators=[DataRequired("Vul het doel van de verstrekking in."),
                    Length(max=TEXT_MAX, message=f"Gebruik hooguit {TEXT_MAX} tekens.")],
    )
    # The grounds in use, from the admin's list (set in __init__); another is refused.
    legal_ground = SelectField("Grondslag", validators=[InputRequired("Kies de grondslag.")],
                               invalid_choice_message=NO_LEGAL_GROUND)
    # No Optional(): it would stop validate_legal_ground_note, which needs the note for "overig".
    legal_ground_note = TextAreaField(
        "Toelichting op de grondslag", filters=[strip_text],
        validators=[Length(max=TEXT_MAX, message=f"Gebruik hooguit {TEXT_MAX} tekens.")],
    )
    data_categories = SelectMultipleField(
        "Gegevens die u wilt verstrekken",
        choices=[SelectChoice(code, label) for code, label in SHAREABLE_FIELDS.items()],
        validators=[DataRequired("Kies minstens één soort gegevens.")],
    )
    channel = SelectField(
        "Kanaal",
        choices=[SelectChoice("", "— kies een kanaal —")]
        + [SelectChoice(code, label) for code, label in REFERRAL_CHANNELS.items()],
        validators=[InputRequired("Kies het kanaal.")],
    )
    feedback_due = DateField("Terugkoppeling gevraagd uiterlijk", validators=[Optional(), not_in_past])
    hands_over = BooleanField("Hiermee draagt de gemeente de zaak over")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.legal_ground.choices = [SelectChoice("", "— kies een grondslag —")] + [
            SelectChoice(g.code, g.full_label) for g in active_legal_grounds()]

    def validate_legal_ground_note(self, field):
        if self.legal_ground.data == OTHER_GROUND and not field.data:
            raise ValidationError(NEED_GROUND_NOTE)


class SendForm(VersionedForm):
    pass


class ProgressForm(VersionedForm):
    status = SelectField("Status", validators=[InputRequired("Kies een status.")])
    recipient_reference = StringField(
        "Kenmerk van de ontvanger", filters=[strip_text],
        validators=[Optional(), Length(max=200, message="Gebruik hooguit 200 tekens.")],
    )
    # No Optional(): it would stop validate_answer, which needs the answer for "afgerond".
    answer = TextAreaField(
        "Antwoord van de ontvanger", filters=[strip_text],
        validators=[Length(max=TEXT_MAX, message=f"Gebruik hooguit {TEXT_MAX} tekens.")],
    )

    def set_statuses(self, allowed) -> None:
        self.status.choices = [SelectChoice(code, REFERRAL_STATUSES[code]) for code in allowed]

    def validate_answer(self, field):
        if self.status.data == "afgerond" and not field.data and not getattr(self, "has_answer", False):
            raise ValidationError("Vul het antwoord van de ontvanger in om de verstrekking af te ronden.")


class RegisterFilterForm(FilterForm):
    """The register's filters: a GET form, so no CSRF token and nothing changes."""

    partner = SelectField("Ontvanger", coerce=_int_or_none, validators=[AnyValue()])
    sent_from = DateField("Verstuurd vanaf", validators=[AnyValue()])
    sent_until = DateField("Verstuurd tot en met", validators=[AnyValue()])
    status = SelectField(
        "Status",
        choices=[SelectChoice("", "Alle statussen")]
        + [SelectChoice(code, label) for code, label in REFERRAL_STATUSES.items() if code != "concept"],
        validators=[AnyValue()],
    )

    def validate_sent_until(self, field):
        if field.data and self.sent_from.data and field.data < self.sent_from.data:
            raise ValidationError("De einddatum ligt voor de begindatum.")


TEXT_SHORT = 2000


def _optional_text(label: str, max_length: int = TEXT_SHORT) -> TextAreaField:
    return TextAreaField(label, filters=[strip_text], validators=[
        Optional(), Length(max=max_length, message=f"Gebruik hooguit {max_length} tekens.")])


def _required_text(label: str, message: str, max_length: int = TEXT_MAX) -> TextAreaField:
    return TextAreaField(label, filters=[strip_text], validators=[
        DataRequired(message), Length(max=max_length, message=f"Gebruik hooguit {max_length} tekens.")])


class ReceivedInformationForm(Form):
    ground = SelectField(
        "Bron en grondslag",
        choices=[SelectChoice("", "— kies de bron en de grondslag —")]
        + [SelectChoice(code, label, optgroup=source.label)
           for source in ReceivedSource for code, label in grounds_for(source).items()],
        validators=[InputRequired("Kies de bron en de grondslag waaronder de informatie is ontvangen.")],
        validate_choice=False,
    )
    received_on = DateField("Ontvangen op", validators=[InputRequired("Vul een geldige datum in."), not_in_future])
    provider_reference = StringField(
        "Kenmerk van de verstrekker", filters=[strip_text],
        validators=[Optional(), Length(max=200, message="Gebruik hooguit 200 tekens.")],
    )
    content = _required_text("Ontvangen informatie", "Vul de ontvangen informatie in.")
    conditions = _optional_text("Voorwaarden van de verstrekker")
    recipients = _optional_text("Wie de informatie mag ontvangen (volgens de verstrekker)")

    def validate_ground(self, field):
        if field.data and (field.data not in GROUNDS or field.data == UNKNOWN_GROUND):
            raise ValidationError("Kies de bron en de grondslag uit de lijst.")


class ExceptionRequestForm(Form):
    use = required_radio("Waarvoor is de informatie nodig?", [SelectChoice(u.value, u.label) for u in ExceptionUse],
                         "Kies waarvoor de informatie nodig is.")
    referral_id = SelectField("Verstrekking", validators=[Optional()], validate_choice=False)
    task = _required_text("Wettelijke taak waarvoor de informatie nodig is",
                          "Noem de wettelijke taak waarvoor de informatie nodig is.", TEXT_SHORT)
    reasoning = _required_text("Onderbouwing", "Onderbouw waarom de informatie voor die taak nodig is.")


class ExceptionDecisionForm(Form):
    approved = required_radio("Besluit", [SelectChoice("ja", "Goedgekeurd"), SelectChoice("nee", "Afgewezen")],
                              "Kies goedgekeurd of afgewezen.")
    reasoning = _required_text("Onderbouwing", "Vul de onderbouwing van het besluit in.")
