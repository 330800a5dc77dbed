"""Privacy checks 1, 2A and 2B and the hit / no-hit checks in municipal registers.

Rationales and summaries are encrypted; codes and dates are not.
"""

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, LargeBinary, String, Uuid, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models.base import Encrypted, Vocabulary, new_uuid
from casustafel.models.power import Power
from casustafel.models.registers import PrivacyCheckRegister, register_label
from casustafel.models.signal import Signal
from casustafel.models.user import User


class CheckStatus(Vocabulary):
    OPEN = "open", "Wacht op besluit"
    BESLOTEN = "besloten", "Besloten"
    HEROPEND = "heropend", "Heropend door de privacyfunctionaris"


PRIVACY_CHECK_KINDS = {
    "1": "Privacytoets 1: welke bronnen mogen worden geraadpleegd",
    "2A": "Privacytoets 2A: wat mogen deelnemers van het overleg zien",
    "2B": "Privacytoets 2B: welke gegevens mogen naar een afdeling of partner voor een actie",
}

# The parts of a signal a privacy check 2A can open up to a department at a meeting.
SHAREABLE_FIELDS = {
    "fenomeen": "Fenomeen en indicatoren",
    "beschrijving": "Beschrijving van de melding",
    "betrokkenen": "Namen en rol van betrokkenen",
    "geboortedata": "Geboortedata",
    "kvk": "KvK-nummers",
    "adressen": "Adressen en panden",
    "bronnen": "Uitkomsten bronnenonderzoek (hit / no hit)",
}


class PrivacyCheck(db.Model):
    """A privacy check: the coordinator asks, the privacy officer (or, by setting, the
    coordinator) decides. While it is open the privacy officer may read the signal."""

    __tablename__ = "privacy_check"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(16), default=CheckStatus.OPEN.value, index=True)
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("meeting.id"))
    action_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("action.id"))
    referral_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referral.id"))
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    request_note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column()
    approved: Mapped[bool | None] = mapped_column()
    # The role the decision was taken in: "coordinator" when the setting lets the coordinator
    # record the checks (the privacy officer is told and may reopen it), else "privacy_officer".
    decided_role: Mapped[str | None] = mapped_column(String(32))
    # Set on the check a privacy officer opened again in place of a coordinator's decision;
    # only a privacy officer decides it.
    reopened_from_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("privacy_check.id"))
    # Check 1: register codes; 2A: {department_id: [field codes]}; 2B: [field codes].
    allowed_registers: Mapped[list | None] = mapped_column(JSON)
    content_registers: Mapped[list | None] = mapped_column(JSON)
    field_rules: Mapped[dict | None] = mapped_column(JSON)
    allowed_fields: Mapped[list | None] = mapped_column(JSON)
    # Check 2B (weging 5): ids of the municipal powers the shared data serve (models.power).
    powers: Mapped[list | None] = mapped_column(JSON)
    rationale_enc: Mapped[bytes | None] = mapped_column(LargeBinary)

    request_note = Encrypted()
    rationale = Encrypted()

    signal: Mapped[Signal] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    # Check 1: A, B and C per allowed register; none for a check decided before they were asked.
    register_assessments: Mapped[list[PrivacyCheckRegister]] = relationship(
        order_by=PrivacyCheckRegister.register, cascade="all, delete-orphan")

    def assessment_for(self, code: str) -> PrivacyCheckRegister | None:
        return next((a for a in self.register_assessments if a.register == code), None)

    @property
    def status_label(self) -> str:
        return CheckStatus.labels().get(self.status, self.status)

    @property
    def decided_by_coordinator(self) -> bool:
        return self.decided_role == "coordinator"

    @property
    def power_labels(self) -> str:
        """Check 2B (weging 5): the powers the shared data serve; decisions from before
        migration 0017 recorded none."""
        if self.powers is None:
            return "niet vastgelegd"
        powers = db.session.scalars(select(Power).where(Power.id.in_(self.powers)).order_by(Power.position))
        return "; ".join(p.full_label for p in powers) or "geen"

    @property
    def kind_label(self) -> str:
        return PRIVACY_CHECK_KINDS.get(self.kind, self.kind)

    @property
    def short_label(self) -> str:
        """"Privacytoets 2A": the name without its question, the kind as it is written everywhere."""
        return f"Privacytoets {self.kind}"

    @property
    def sentence_label(self) -> str:
        """"privacytoets 2A" inside a sentence: lower case, but never "2a"."""
        return f"privacytoets {self.kind}"


class SourceQuery(db.Model):
    """A logged hit / no-hit check in one municipal register; a summary only when allowed."""

    __tablename__ = "source_query"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    privacy_check_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("privacy_check.id"))
    register: Mapped[str] = mapped_column(String(32))
    hit: Mapped[bool] = mapped_column()
    # For a hit: the date of the information found (the latest, when several), so weging 4 can
    # tell whether it is recent enough; None for a no hit or a check recorded before this.
    information_date: Mapped[date | None] = mapped_column(Date)
    summary_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    queried_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    queried_at: Mapped[datetime] = mapped_column(default=utcnow)

    summary = Encrypted()

    signal: Mapped[Signal] = relationship()

    @property
    def register_label(self) -> str:
        return register_label(self.register)
