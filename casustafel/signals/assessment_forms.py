"""Forms of the coordinator's workflow on a signal: weighings, asking privacy check 1 and
logging a source check. Each form lists exactly the fields the coordinator may set.
"""

from typing import NamedTuple

from sqlalchemy import select
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from casustafel.extensions import db
from casustafel.forms import DateField, Form, not_in_future, required_radio, strip_text
from casustafel.models import (
    ASSESSMENT_CRITERIA,
    CONFIGURABLE_KINDS,
    TO_CASE_MEETING,
    Power,
    criteria_questions,
)
from casustafel.models.registers import register_labels
from casustafel.signals.workflow import CLOSED, closing_reasons

YES_NO = [SelectChoice("ja", "Ja"), SelectChoice("nee", "Nee")]
MAX_TEXT = 5000


class Outcome(NamedTuple):
    label: str
    to_status: str
    reason_code: str | None = None  # fixed closing reason; None: the coordinator picks one
    # The case goes to someone else: the coordinator records the handover as a referral (with
    # check 2B); sending it moves the signal to ‘doorgezet’. The key names the recipient kind.
    handover: str | None = None


# The outcomes of each weighing and the status each one leads to.
OUTCOMES: dict[str, dict[str, Outcome]] = {
    "intake": {
        "verder_naar_weging": Outcome("Verder naar de weging", "weging"),
        "doorverwijzen": Outcome("Niet in behandeling — doorverwezen (geen taak van de gemeente)", CLOSED,
                                 "doorverwezen"),
        "afsluiten": Outcome("Afsluiten", CLOSED),
    },
    "weging": {
        "bronnenonderzoek": Outcome("Bronnenonderzoek starten", "bronnenonderzoek"),
        "afdeling_regie": Outcome("Een afdeling neemt de regie (overdracht vastleggen)", "weging", handover="intern"),
        "riec_regie": Outcome("Het RIEC neemt de regie (verstrekking vastleggen)", "weging", handover="riec"),
        "afsluiten": Outcome("Afsluiten: geen vervolg", CLOSED, "geen_vervolg"),
    },
    # Weging 4, after the source checks: the signal stays in bronnenonderzoek until it goes on
    # an agenda (only with this outcome), or leaves for the departments or the RIEC, or closes.
    "vervolgstap": {
        TO_CASE_MEETING: Outcome("Bespreken in het gemeentelijk casusoverleg (casustafel)", "bronnenonderzoek"),
        "eigen_bevoegdheid": Outcome("Afdelingen pakken het op vanuit hun eigen bevoegdheden (overdracht vastleggen)",
                                     "bronnenonderzoek", handover="intern"),
        "riec": Outcome("Inbrengen bij het RIEC (verstrekking vastleggen)", "bronnenonderzoek", handover="riec"),
        "afsluiten": Outcome("Afsluiten: geen (bruikbare) hit", CLOSED, "geen_hit"),
    },
}

KIND_LABELS = {"intake": "Intake (weging 1 en 2)", "weging": "Weging 3", "vervolgstap": "Weging 4 (vervolgstap)"}

# Privacy check 1 can be asked once the weighing is under way.
REQUEST_STATUSES = ("weging", "bronnenonderzoek")
# The statuses in which each weighing can be recorded.
WEIGHING_STATUSES = {"intake": ("ingediend", "intake"), "weging": ("weging",), "vervolgstap": ("bronnenonderzoek",)}
# Weighings where a ‘nee’ leaves only closing.
NO_BLOCKS = ("intake", "vervolgstap")

NO_BLOCKS_WEIGHING = (
    "Bij een ‘nee’ op een van de vragen kan de melding niet door naar de weging. "
    "Kies ‘Afsluiten’ met een reden."
)
NO_BLOCKS_NEXT_STEP = (
    "Bij een ‘nee’ op een van de vragen is er geen vervolgstap: de melding wordt niet in behandeling "
    "genomen. Kies ‘Afsluiten’."
)


def no_blocks_message(kind: str) -> str:
    return NO_BLOCKS_WEIGHING if kind == "intake" else NO_BLOCKS_NEXT_STEP


# Outcomes recorded before weging 3 split its handover by who takes the regie.
EARLIER_OUTCOMES = {("weging", "doorzetten"): "Doorzetten naar een afdeling of partner"}


def outcome_label(kind: str, code: str) -> str:
    outcome = OUTCOMES.get(kind, {}).get(code)
    return outcome.label if outcome else EARLIER_OUTCOMES.get((kind, code), code)


class WeighingForm(Form):
    """Base of the two weighing forms; the criteria are added per kind below."""

    kind = ""
    criteria: dict[str, str] = {}  # code → question, as this form asks them

    @property
    def title(self) -> str:
        return f"{KIND_LABELS[self.kind]} vastleggen"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix=self.kind, **kwargs)
        self.outcome.choices = [SelectChoice("", "— kies een uitkomst —")] + [
            SelectChoice(code, outcome.label) for code, outcome in OUTCOMES[self.kind].items()
        ]
        if "closing_reason" in self:
            self.closing_reason.choices = [SelectChoice("", "— kies een reden —")] + [
                SelectChoice(code, label) for code, label in closing_reasons(self.kind).items()
            ]

    def criteria_fields(self):
        return [self[f"c_{code}"] for code in self.criteria]

    def answers(self) -> dict[str, bool]:
        return {code: self[f"c_{code}"].data == "ja" for code in self.criteria}

    def needs_closing_reason(self) -> bool:
        outcome = OUTCOMES[self.kind].get(self.outcome.data)
        return outcome is not None and outcome.to_status == CLOSED and outcome.reason_code is None

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.needs_closing_reason() and not self.closing_reason.data:
            self.closing_reason.errors.append("Kies een reden om de melding af te sluiten.")
            valid = False
        said_no = any(f.data == "nee" for f in self.criteria_fields())
        outcome = OUTCOMES[self.kind].get(self.outcome.data)
        if self.kind in NO_BLOCKS and said_no and outcome is not None and outcome.to_status != CLOSED:
            self.outcome.errors.append(no_blocks_message(self.kind))
            valid = False
        return valid


NEED_POWER = "Kies de taak of bevoegdheid van de gemeente waar het signaal over gaat (weging 2)."
NEED_REFERRED_TO = "Vul in naar wie het signaal is doorverwezen."
NO_POWER = "Deze taak of bevoegdheid staat niet (meer) in de lijst."


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return -1  # not a choice: refused with NO_POWER


def active_powers() -> list[Power]:
    return list(db.session.scalars(select(Power).where(Power.active.is_(True)).order_by(Power.position, Power.id)))


class IntakeWeighingForm(WeighingForm):
    """Weging 1 and 2: weging 2 records the task or power (and so the competent body), or to
    whom a signal outside the municipality's tasks was referred."""

    power = SelectField("Taak of bevoegdheid van de gemeente", coerce=_int_or_none, default=None,
                        invalid_choice_message=NO_POWER)
    referred_to = StringField("Doorverwezen naar", filters=[strip_text],
                              validators=[Length(max=200, message="Gebruik hooguit 200 tekens.")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.power.choices = [SelectChoice("", "— kies een taak of bevoegdheid —")] + [
            SelectChoice(p.id, p.full_label) for p in active_powers()]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.outcome.data == "verder_naar_weging" and self.power.data is None and not self.power.errors:
            self.power.errors.append(NEED_POWER)
            valid = False
        if self.outcome.data == "doorverwijzen" and not self.referred_to.data:
            self.referred_to.errors.append(NEED_REFERRED_TO)
            valid = False
        return valid


def _weighing_form_class(kind: str, questions: dict[str, str] | None = None) -> type[WeighingForm]:
    questions = ASSESSMENT_CRITERIA[kind] if questions is None else questions
    criteria = {
        f"c_{code}": required_radio(question, YES_NO, "Beantwoord deze vraag met ja of nee.")
        for code, question in questions.items()
    }
    # Created after the criteria so the form (and its error summary) keeps the page order.
    fields = {
        "outcome": SelectField("Uitkomst", default="", validators=[InputRequired("Kies een uitkomst.")]),
        "rationale": TextAreaField(
            "Onderbouwing",
            validators=[
                DataRequired("Vul de onderbouwing in."),
                Length(max=MAX_TEXT, message=f"Gebruik hooguit {MAX_TEXT} tekens."),
            ],
        ),
    }
    if any(o.to_status == CLOSED and o.reason_code is None for o in OUTCOMES[kind].values()):
        fields["closing_reason"] = SelectField("Reden van afsluiten", default="")
    base = IntakeWeighingForm if kind == "intake" else WeighingForm
    return type(f"{kind.capitalize()}WeighingForm", (base,),
                {"kind": kind, "criteria": dict(questions), **criteria, **fields})


WEIGHING_FORMS = {kind: _weighing_form_class(kind) for kind in ASSESSMENT_CRITERIA if kind not in CONFIGURABLE_KINDS}


def weighing_form(kind: str, **kwargs) -> WeighingForm:
    """The form of a weighing; one whose criteria the municipality keeps asks those in use now."""
    if kind in CONFIGURABLE_KINDS:
        return _weighing_form_class(kind, criteria_questions(kind))(**kwargs)
    return WEIGHING_FORMS[kind](**kwargs)


class PrivacyCheckRequestForm(Form):
    note = TextAreaField(
        "Toelichting voor de privacyfunctionaris",
        validators=[Optional(), Length(max=2000, message="Gebruik hooguit 2000 tekens.")],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="toets", **kwargs)


ONLY_HIT = "Voor deze bron is alleen hit / no hit toegestaan."
NEED_DATE = "Vul in van wanneer de gevonden informatie is (bij meerdere gegevens: de recentste)."
NO_DATE = "Bij een no hit is er geen gevonden informatie: laat de datum leeg."


class SourceQueryForm(Form):
    """A source check in one of the registers privacy check 1 allowed; a summary only where
    the check allowed content."""

    register = SelectField("Bron", default="", validators=[InputRequired("Kies een bron.")],
                           invalid_choice_message="Deze bron is in de privacytoets niet toegestaan.")
    hit = required_radio(
        "Uitkomst",
        [SelectChoice("ja", "Hit: er is iets gevonden"), SelectChoice("nee", "No hit: niets gevonden")],
        "Kies hit of no hit.",
    )
    information_date = DateField("Datum van de gevonden informatie", validators=[Optional(), not_in_future])
    summary = TextAreaField(
        "Samenvatting van wat de bron laat zien",
        validators=[Optional(), Length(max=MAX_TEXT, message=f"Gebruik hooguit {MAX_TEXT} tekens.")],
    )

    def __init__(self, check, *args, **kwargs):
        super().__init__(*args, prefix="bron", **kwargs)
        # Exactly what the check allowed, also a register out of use since: the decision stands.
        self.labels = register_labels()
        self.allowed = list(dict.fromkeys(check.allowed_registers or []))
        self.with_content = [code for code in self.allowed if code in (check.content_registers or [])]
        self.register.choices = [SelectChoice("", "— kies een bron —")] + [
            SelectChoice(code, self.labels.get(code, code)) for code in self.allowed
        ]

    def with_content_labels(self) -> str:
        return ", ".join(self.labels.get(code, code) for code in self.with_content)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        date_field = self.information_date
        if not date_field.errors:  # a hit says of when its information is; a no hit has none
            if self.hit.data == "ja" and date_field.data is None:
                date_field.errors.append(NEED_DATE)
            elif self.hit.data == "nee" and date_field.data is not None:
                date_field.errors.append(NO_DATE)
        return valid and not date_field.errors

    def validate_summary(self, field):
        if (field.data or "").strip() and self.register.data not in self.with_content:
            raise ValidationError(ONLY_HIT)
