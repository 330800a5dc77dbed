"""The Bibob track of a signal: the municipality's own Bibob investigation and the advice of
the Landelijk Bureau Bibob, recorded apart from the signal's free text.

Art. 28 Wet Bibob binds whoever receives information under that law to secrecy, with a
closed list of those it may go to (justis.nl, "Geheimhoudingsplicht"; the exact list in the
current text: te verifiëren). In casustafel that means:

- the coordinator (regisseur/voorzitter) sees and records it: the official who prepares the
  administrative decision for the competent body (burgemeester or college);
- the privacy officer sees that it was recorded, viewed and changed (the access log, never
  values), not its content: DOMAIN.md gives that role no content access outside an open
  privacy check, and a Bibob record is never part of a privacy check;
- nobody else: never a casustafel member (department or partner), never a meeting agenda or
  2A view, a referral package, a data-subject answer letter or package, the weighing record
  shown to others, an export or the council report. Inzage by the person concerned goes
  through the competent body and the Wet Bibob procedure, not through casustafel.

Notes and the municipality's zaaknummer are encrypted (a zaaknummer can identify a case and
so a person); codes and dates are not.
"""

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models.base import Encrypted, Vocabulary, new_uuid
from casustafel.models.signal import Signal
from casustafel.models.user import User


class BibobBody(Vocabulary):
    """The competent body (bestuursorgaan) whose decision the Bibob investigation serves."""

    BURGEMEESTER = "burgemeester", "Burgemeester"
    COLLEGE = "college", "College van burgemeester en wethouders"


class BibobDecision(Vocabulary):
    """What the Bibob investigation is for (the instruments of the Wet Bibob)."""

    VERGUNNING = "vergunning", "Vergunning (bijvoorbeeld exploitatie, alcohol, omgeving)"
    SUBSIDIE = "subsidie", "Subsidie"
    VASTGOEDTRANSACTIE = "vastgoedtransactie", "Vastgoedtransactie"
    OVERHEIDSOPDRACHT = "overheidsopdracht", "Overheidsopdracht (aanbesteding)"


class BibobAdvice(Vocabulary):
    """The conclusion of the Landelijk Bureau Bibob's advice."""

    GEEN = "geen", "Geen mate van gevaar"
    MINDERE_MATE = "mindere_mate", "Mindere mate van gevaar"
    ERNSTIGE_MATE = "ernstige_mate", "Ernstige mate van gevaar"


class BibobRecord(db.Model):
    """One Bibob investigation on a signal: for which body and decision, the municipality's own
    investigation, and the advice asked of and received from the Landelijk Bureau Bibob.
    Only the coordinator sees it (art. 28 Wet Bibob; see the module docstring)."""

    __tablename__ = "bibob_record"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(String(16))
    decision_kind: Mapped[str] = mapped_column(String(24))
    investigated_on: Mapped[date | None] = mapped_column(Date)  # the municipality's own investigation
    advice_requested: Mapped[bool] = mapped_column(default=False)
    advice_requested_on: Mapped[date | None] = mapped_column(Date)
    advice_received_on: Mapped[date | None] = mapped_column(Date)
    advice_outcome: Mapped[str | None] = mapped_column(String(16))
    notes_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    zaaknummer_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    notes = Encrypted()
    zaaknummer = Encrypted()

    signal: Mapped[Signal] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])

    @property
    def body_label(self) -> str:
        return BibobBody.labels().get(self.body, self.body)

    @property
    def decision_label(self) -> str:
        return BibobDecision.labels().get(self.decision_kind, self.decision_kind)

    @property
    def advice_label(self) -> str | None:
        return BibobAdvice.labels().get(self.advice_outcome, self.advice_outcome) if self.advice_outcome else None
