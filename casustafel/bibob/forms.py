"""The Bibob record form: the coordinator records or changes one Bibob investigation. The
whole record is checked in bibob.services.check; its message lands next to its field."""

from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from casustafel.bibob.services import (
    MAX_NOTES,
    MAX_ZAAKNUMMER,
    NEED_BODY,
    NEED_DECISION,
    NEED_OUTCOME,
    BibobInput,
)
from casustafel.forms import DateField, not_in_future, required_radio, strip_text
from casustafel.models import BibobAdvice, BibobBody, BibobDecision
from casustafel.web import locking

YES_NO = [SelectChoice("ja", "Ja"), SelectChoice("nee", "Nee")]


def _choices(vocabulary, empty: str) -> list[SelectChoice]:
    return [SelectChoice("", empty)] + [SelectChoice(m.value, m.label) for m in vocabulary]


class BibobForm(locking.VersionedForm):
    body = SelectField("Bestuursorgaan", choices=_choices(BibobBody, "— kies het bestuursorgaan —"),
                       validators=[InputRequired(NEED_BODY)], invalid_choice_message=NEED_BODY)
    decision_kind = SelectField("Waarvoor", choices=_choices(BibobDecision, "— kies waarvoor —"),
                                validators=[InputRequired(NEED_DECISION)], invalid_choice_message=NEED_DECISION)
    investigated_on = DateField("Datum eigen onderzoek", validators=[Optional(), not_in_future])
    advice_requested = required_radio("Advies gevraagd aan het Landelijk Bureau Bibob", YES_NO,
                                      "Geef aan of het advies is gevraagd.")
    advice_requested_on = DateField("Datum adviesaanvraag", validators=[Optional(), not_in_future])
    advice_received_on = DateField("Datum advies ontvangen", validators=[Optional(), not_in_future])
    advice_outcome = SelectField("Conclusie van het advies",
                                 choices=_choices(BibobAdvice, "— nog geen advies ontvangen —"),
                                 validators=[Optional()], invalid_choice_message=NEED_OUTCOME)
    zaaknummer = StringField(
        "Zaaknummer in het zaaksysteem", filters=[strip_text],
        validators=[Optional(), Length(max=MAX_ZAAKNUMMER,
                                       message=f"Een zaaknummer is hooguit {MAX_ZAAKNUMMER} tekens.")],
    )
    notes = TextAreaField(
        "Aantekeningen", filters=[strip_text],
        validators=[Optional(), Length(max=MAX_NOTES, message=f"Gebruik hooguit {MAX_NOTES} tekens.")],
    )

    def __init__(self, row=None, **kwargs):
        super().__init__(prefix="bibob", **kwargs)
        if row is not None:
            self.for_row(row)
            if kwargs.get("formdata", True) is None:  # changing: start from the record
                self.body.data, self.decision_kind.data = row.body, row.decision_kind
                self.investigated_on.data = row.investigated_on
                self.advice_requested.data = "ja" if row.advice_requested else "nee"
                self.advice_requested_on.data = row.advice_requested_on
                self.advice_received_on.data = row.advice_received_on
                self.advice_outcome.data = row.advice_outcome or ""
                self.zaaknummer.data, self.notes.data = row.zaaknummer, row.notes

    def to_input(self) -> BibobInput:
        return BibobInput(
            body=self.body.data, decision_kind=self.decision_kind.data, investigated_on=self.investigated_on.data,
            advice_requested=self.advice_requested.data == "ja",
            advice_requested_on=self.advice_requested_on.data, advice_received_on=self.advice_received_on.data,
            advice_outcome=self.advice_outcome.data or None, notes=self.notes.data, zaaknummer=self.zaaknummer.data,
        )
