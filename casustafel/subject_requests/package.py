"""The answer package of a data-subject request as PDF (WeasyPrint, no external resources).

What goes in, per art. 15 AVG, and what never does:
- per signal: reference, received date, phenomenon (the purpose it was recorded for), status,
  the subject's **own** recorded data (only the subjects/addresses that matched the request,
  never other people on the signal), the source described generally, the retention term;
- recipients: referrals that were sent, with partner, date, legal ground and the data categories
  their package held (not those asked for);
- a log summary: per day and purpose how many entries, no staff names (CJEU C-579/21);
- the restriction applied (art. 41 UAVG);
- an extension of the term (art. 12 lid 3 AVG) and the weighing of an objection (art. 21 AVG);
- the remedies: objection under the Awb (the answer is a besluit, art. 34 UAVG; six weeks,
  art. 6:7 Awb), then appeal to the court, and a complaint to the Autoriteit Persoonsgegevens.
Never: the reporter (name, department, contact, whether they asked to stay unnamed), the
description of the suspicion (the reporter's own account), attachments, information received
from the police, notes of weighings or meetings. With a partial restriction the recipients and
the log summary are withheld; with a full restriction the package says only that the request
was handled and that art. 41 UAVG was applied on the named ground, not whether data exists
(so not the outcome or grounds of a weighed objection either).
"""

from dataclasses import dataclass, field
from datetime import date

from casustafel import dates
from casustafel.models import OBJECTION_OUTCOMES, SUBJECT_REQUEST_TYPES, Location
from casustafel.retention.services import CASE_REASON, REFERRED_REASON, SHORT_REASONS, TERMS, months, term_text
from casustafel.subject_requests import services
from casustafel.web.pdf import render_pdf

GENERAL_PURPOSE = ("Het registreren, wegen en opvolgen van signalen van ondermijning door de gemeente "
                   "(taak van algemeen belang, art. 6 lid 1 sub e AVG), volgens het Modelprotocol ondermijning "
                   "van het CCV.")


@dataclass(frozen=True)
class DataLine:
    role: str
    values: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SignalSection:
    reference: str
    received: date
    phenomenon: str
    status: str
    source: str
    retention: str
    data: tuple[DataLine, ...]


@dataclass(frozen=True)
class Recipient:
    partner: str
    sent_on: date
    legal_ground: str
    categories: str
    signal_reference: str


@dataclass
class AnswerPackage:
    number: str
    type_label: str
    received_on: date
    due_on: date
    restriction: str
    restriction_label: str
    ground_label: str | None
    signals: list[SignalSection] = field(default_factory=list)
    recipients: list[Recipient] | None = None  # None: withheld
    log: list[tuple[date, str, int]] | None = None  # None: withheld
    terms: list[tuple[str, int]] = field(default_factory=list)
    extended_from: date | None = None  # the first month's end, when the term was extended
    objection_outcome: str | None = None
    objection_label: str | None = None
    objection_reasoning: str | None = None
    # The letter's addressee, from the request itself (name or organisation, postcode and house
    # number: the request stores no street or place). Never looked up in the signals.
    addressee: tuple[str, ...] = ()

    @property
    def full(self) -> bool:
        return self.restriction == "volledig"


def _own_data(match: services.Match) -> DataLine:
    entity = match.entity
    if isinstance(entity, Location):
        return DataLine(match.role_label, (("Adres", entity.address_line or "—"),))
    values = [("Naam", entity.name or "—")]
    if entity.kind == "persoon":
        values.append(("Geboortedatum", dates.short_date(entity.birth_date) or "—"))
    elif entity.kvk_number:
        values.append(("KvK-nummer", entity.kvk_number))
    if entity.address_line:
        values.append(("Adres", entity.address_line))
    return DataLine(match.role_label, tuple(values))


def _retention(signal) -> str:
    if signal.status != "afgesloten":
        return "Zolang de melding in behandeling is; daarna geldt de bewaartermijn die hoort bij de afloop."
    if signal.closing_reason in SHORT_REASONS:
        return term_text("afgesloten")
    if signal.closing_reason == REFERRED_REASON:
        return term_text("doorgezet")
    if signal.closing_reason == CASE_REASON:
        return term_text("aanpak")
    return "Volgens de bewaartermijnen hieronder."


def addressee(request) -> tuple[str, ...]:
    """Whom the letter is for, as the request recorded them."""
    lines = []
    if request.name:
        lines.append(request.name)
    elif request.kvk_number:
        lines.append(f"KvK-nummer {request.kvk_number}")
    if request.postcode and request.house_number:
        lines.append(f"Postcode {request.postcode}, huisnummer {request.house_number}")
    elif request.postcode:
        lines.append(f"Postcode {request.postcode}")
    return tuple(lines) or ("De verzoeker",)


def build(request, findings: list[services.Finding]) -> AnswerPackage:
    package = AnswerPackage(
        number=request.number, type_label=SUBJECT_REQUEST_TYPES.get(request.type, request.type),
        received_on=request.received_on, due_on=request.due_on, restriction=request.restriction or "geen",
        restriction_label=services.RESTRICTIONS.get(request.restriction or "geen"),
        ground_label=services.RESTRICTION_GROUNDS.get(request.restriction_ground or ""),
        extended_from=services.due_date(request.received_on) if request.extended_at else None,
        addressee=addressee(request),
    )
    if package.full:
        # art. 41 UAVG: not even whether there is data, so neither the objection's outcome ("we no
        # longer process the data about you") nor its compelling grounds.
        return package
    if request.type == "bezwaar" and request.objection_outcome:
        package.objection_outcome = request.objection_outcome
        package.objection_label = OBJECTION_OUTCOMES.get(request.objection_outcome)
        package.objection_reasoning = request.objection_reasoning
    for finding in findings:
        signal = finding.signal
        package.signals.append(SignalSection(
            reference=signal.reference, received=dates.to_local(signal.received_at).date(),
            phenomenon=signal.phenomenon.full_name if signal.phenomenon else "Nog niet vastgesteld",
            status="Afgesloten" if signal.status == "afgesloten" else "In behandeling",
            source=services.source_text(signal), retention=_retention(signal),
            data=tuple(_own_data(m) for m in finding.matches),
        ))
    package.terms = [(label, months(key)) for key, (label, _low, _high) in TERMS.items()
                     if key != "retention_security_log_months"]
    if package.restriction == "gedeeltelijk":
        return package
    package.recipients = [
        Recipient(partner=r.partner.name, sent_on=r.sent_on, legal_ground=r.legal_ground_label,
                  categories=r.disclosed_label, signal_reference=r.signal.reference)
        for r in services.referrals_of(findings)
    ]
    package.log = services.log_summary(findings)
    return package


def render(package: AnswerPackage) -> bytes:
    return render_pdf("subject_requests/pdf_answer.html", package=package, purpose=GENERAL_PURPOSE,
                      generated_at=dates.today())
