"""Referral forms: each lists exactly the fields the coordinator may set (no mass assignment)."""


from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from casustafel.forms import AnyValue, DateField, FilterForm, Form, not_in_future, not_in_past, strip_text
from casustafel.models import OTHER_GROUND, REFERRAL_CHANNELS, REFERRAL_STATUSES, SHAREABLE_FIELDS
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


class PoliceInformationForm(Form):
    received_on = DateField("Ontvangen op", validators=[InputRequired("Vul een geldige datum in."), not_in_future])
    police_reference = StringField(
        "Kenmerk van de politie", filters=[strip_text],
        validators=[Optional(), Length(max=200, message="Gebruik hooguit 200 tekens.")],
    )
    content = TextAreaField(
        "Ontvangen informatie", filters=[strip_text],
        validators=[DataRequired("Vul de ontvangen informatie in."),
                    Length(max=TEXT_MAX, message=f"Gebruik hooguit {TEXT_MAX} tekens.")],
    )
