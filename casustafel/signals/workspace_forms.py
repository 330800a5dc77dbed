"""The forms of the coordinator's workspace: status change, legal hold, a question to the
reporter, feedback, the owner (regisseur), internal notes, and handing a coordinator's signals
over. Every change form of the signal carries its version (web.locking); a note only adds."""

from wtforms import HiddenField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from casustafel.forms import AnyValue, DateField, Form, not_in_past, strip_text
from casustafel.models import LEGAL_HOLD_REASONS, STATUSES, Signal, User
from casustafel.signals.assignment_services import NOTE_MAX, NOTE_MISSING
from casustafel.signals.services import feedback_choices
from casustafel.signals.workflow import (
    CLOSED,
    HANDED_OVER,
    NEEDS_MONITORING_END,
    QUESTION,
    closing_reasons,
    next_states,
)
from casustafel.web import locking

STALE_PAGE = "Deze pagina is verouderd. Laad de melding opnieuw."
NO_FEEDBACK = ("De gemeente heeft ingesteld dat de melder geen terugkoppeling krijgt, alleen dat de melding "
               "is ontvangen. Een vraag aan de melder kan wel.")
NO_REPORTER = "Deze melding heeft geen melder binnen de gemeente; er kan geen bericht naartoe."


class VersionedForm(locking.VersionedForm):
    version = HiddenField(validators=[InputRequired(STALE_PAGE)])  # the workspace always sends it


class StatusForm(VersionedForm):
    to_status = RadioField("Nieuwe status", validators=[InputRequired("Kies de nieuwe status.")])
    closing_reason = SelectField("Reden van afsluiten", validate_choice=False)  # checked below, when closing
    reason = TextAreaField(
        "Toelichting", filters=[strip_text], validators=[Length(max=2000, message="Gebruik hooguit 2000 tekens.")]
    )
    # Required when a case in aanpak moves to monitoring (checked below), so not "(niet verplicht)".
    monitoring_until = DateField("Monitoring tot en met", validators=[AnyValue(), not_in_past])

    def __init__(self, signal: Signal, **kwargs):
        super().__init__(prefix="status", **kwargs)
        self.signal = signal
        back = signal.status == QUESTION
        self.to_status.choices = [
            SelectChoice(s, f"Vraag intrekken, terug naar ‘{STATUSES[s]}’" if back else STATUSES.get(s, s))
            for s in next_states(signal)
        ]
        self.closing_reason.choices = [
            SelectChoice("", "— kies een reden —"),
            *(SelectChoice(k, v) for k, v in closing_reasons(signal.status).items()),
        ]
        if self.version.data is None:
            self.version.data = str(signal.version)

    def validate_closing_reason(self, field):
        if self.to_status.data != CLOSED:
            return
        if not field.data:
            raise ValidationError("Kies een reden om de melding af te sluiten.")
        if field.data not in closing_reasons(self.signal.status):
            raise ValidationError("Kies een van de redenen uit de lijst.")

    def validate_reason(self, field):
        if self.signal.status == CLOSED and not field.data:
            raise ValidationError("Geef aan waarom de melding wordt heropend.")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        until = self.monitoring_until
        if (self.to_status.data == "monitoring" and self.signal.status == "in_aanpak"
                and until.data is None and not until.errors):
            until.errors = [NEEDS_MONITORING_END]
            return False
        return valid


class LegalHoldForm(VersionedForm):
    reason = SelectField(
        "Reden",
        choices=[SelectChoice("", "— kies een reden —"), *(SelectChoice(k, v) for k, v in LEGAL_HOLD_REASONS.items())],
        validate_choice=False,  # checked below: only when setting the hold
    )

    def __init__(self, signal: Signal, **kwargs):
        super().__init__(prefix="legal-hold", **kwargs)
        self.signal = signal
        if self.version.data is None:
            self.version.data = str(signal.version)

    def validate_reason(self, field):
        if self.signal.legal_hold:
            return
        if not field.data:
            raise ValidationError("Kies waarom de bewaartermijnen worden stilgezet.")
        if field.data not in LEGAL_HOLD_REASONS:
            raise ValidationError("Kies een van de redenen uit de lijst.")


class QuestionForm(VersionedForm):
    question = TextAreaField(
        "Uw vraag aan de melder",
        filters=[strip_text],
        validators=[DataRequired("Vul uw vraag in."), Length(max=5000, message="Gebruik hooguit 5000 tekens.")],
    )

    def __init__(self, signal: Signal, **kwargs):
        super().__init__(prefix="vraag", **kwargs)
        self.signal = signal
        if self.version.data is None:
            self.version.data = str(signal.version)

    def validate_question(self, field):
        if self.signal.reporter_id is None:
            raise ValidationError(NO_REPORTER)


def _words(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


class SummaryForm(VersionedForm):
    summary = TextAreaField(
        "Geanonimiseerde samenvatting",
        filters=[strip_text],
        validators=[DataRequired("Schrijf de samenvatting."),
                    Length(max=5000, message="Gebruik hooguit 5000 tekens.")],
    )

    def __init__(self, signal: Signal, **kwargs):
        super().__init__(prefix="samenvatting", **kwargs)
        self.signal = signal
        if self.version.data is None:
            self.version.data = str(signal.version)
        if self.summary.data is None and kwargs.get("formdata", True) is None:
            self.summary.data = signal.summary

    def validate_summary(self, field):
        if _words(field.data) == _words(self.signal.description):
            raise ValidationError("Dit is de letterlijke beschrijving van de melder. Schrijf de feiten in uw eigen "
                                  "woorden, zonder wat kan verraden wie de melding deed.")


class FeedbackForm(Form):
    code = RadioField("Standaardbericht", validators=[InputRequired("Kies een bericht.")],
                      validate_choice=False)  # checked below, against the feedback level

    def __init__(self, signal: Signal, **kwargs):
        super().__init__(prefix="terugkoppeling", **kwargs)
        self.signal = signal
        # The messages the municipality's feedback level allows (casustafel.settings).
        self.code.choices = [SelectChoice(k, v) for k, v in feedback_choices().items()]

    def validate_code(self, field):
        if self.signal.reporter_id is None:
            raise ValidationError(NO_REPORTER)
        if not self.code.choices:
            raise ValidationError(NO_FEEDBACK)
        if field.data not in {choice.value for choice in self.code.choices}:
            raise ValidationError("Dit is geen geldige keuze. Kies een van de berichten uit de lijst.")
        if field.data == "afgesloten" and self.signal.status != CLOSED:
            raise ValidationError("De melding is nog niet afgesloten. Sluit haar eerst af.")
        if field.data == "afgehandeld" and self.signal.status not in (CLOSED, HANDED_OVER):
            raise ValidationError("De melding is nog niet afgesloten of doorgezet. Doe dat eerst.")


class OwnerForm(VersionedForm):
    # Any posted value is checked by the service (assignment_services.set_owner): only an
    # active coordinator, with its Dutch message next to this field.
    owner = SelectField("Regisseur van deze melding", validate_choice=False)

    def __init__(self, signal: Signal, coordinators: list[User], **kwargs):
        super().__init__(prefix="regisseur", **kwargs)
        self.signal = signal
        self.owner.choices = [SelectChoice("", "— geen regisseur —"),
                              *(SelectChoice(str(user.id), user.display_name) for user in coordinators)]
        if self.version.data is None:
            self.version.data = str(signal.version)
        if self.owner.data is None and kwargs.get("formdata", True) is None:
            self.owner.data = str(signal.owner_id) if signal.owner_id else ""


class NoteForm(Form):
    text = TextAreaField(
        "Nieuwe notitie",
        filters=[strip_text],
        validators=[DataRequired(NOTE_MISSING),
                    Length(max=NOTE_MAX, message=f"Gebruik hooguit {NOTE_MAX} tekens.")],
    )

    def __init__(self, **kwargs):
        super().__init__(prefix="notitie", **kwargs)


class TransferForm(Form):
    """Hand every open signal of one coordinator (a leaver: may be deactivated) to another."""

    from_owner = SelectField("Van regisseur", validate_choice=False)  # checked by the service
    to_owner = SelectField("Naar regisseur", validate_choice=False)

    def __init__(self, former: list[tuple[User, int]], coordinators: list[User], **kwargs):
        super().__init__(prefix="overdragen", **kwargs)
        self.from_owner.choices = [SelectChoice("", "— kies een regisseur —"), *(
            SelectChoice(str(user.id), f"{user.display_name}{'' if user.active else ' (gedeactiveerd)'}, "
                                       f"{count} open {'melding' if count == 1 else 'meldingen'}")
            for user, count in former)]
        self.to_owner.choices = [SelectChoice("", "— kies een regisseur —"),
                                 *(SelectChoice(str(user.id), user.display_name) for user in coordinators)]

    def validate_from_owner(self, field):
        if not field.data:
            raise ValidationError("Kies van wie u de meldingen overdraagt.")

    def validate_to_owner(self, field):
        if not field.data:
            raise ValidationError("Kies aan wie u de meldingen overdraagt.")
