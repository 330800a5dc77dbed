"""The weighings of the CCV model protocol (weging 1-4) and their criteria.

Rationales are encrypted; codes and dates are not.
"""

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models.base import Encrypted, new_uuid
from casustafel.models.power import Power
from casustafel.models.signal import Signal
from casustafel.models.user import User

ASSESSMENT_CRITERIA = {
    "intake": {
        "ondermijning": "Is er minstens één indicator van lokale verankering én een rode vlag?",
        "gemeentelijke_taak": "Gaat het over een taak of bevoegdheid van de gemeente?",
        "grondgebied": "Speelt het zich af op het grondgebied van de gemeente?",
    },
    "weging": {
        "concreet": "Is het signaal voldoende concreet?",
        "recent": "Is het signaal recent?",
        "trend": "Past het in een trend of fenomeen dat extra aandacht vraagt?",
    },
    # Weging 4 (CCV step 3): the hits of the source checks decide the next step.
    "vervolgstap": {
        "hits": "Heeft het bronnenonderzoek hits opgeleverd die het signaal onderbouwen?",
        "actueel": "Is de gevonden informatie recent genoeg om er een vervolgstap op te baseren?",
    },
}
# Weging 4 outcome that lets a signal in bronnenonderzoek go on a casustafel agenda.
TO_CASE_MEETING = "casusoverleg"


class Assessment(db.Model):
    """A recorded weighing step: criteria answered, an outcome and an encrypted rationale."""

    __tablename__ = "assessment"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    answers: Mapped[dict] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(32))
    rationale_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    assessed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    assessed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Weging 2: the municipal task or power the signal concerns (and so the competent body);
    # or, when it is not taken into handling, to whom it was referred (encrypted: may name someone).
    power_id: Mapped[int | None] = mapped_column(ForeignKey("power.id"))
    referred_to_enc: Mapped[bytes | None] = mapped_column(LargeBinary)

    rationale = Encrypted()
    referred_to = Encrypted()

    signal: Mapped[Signal] = relationship()
    assessed_by: Mapped[User | None] = relationship()
    power: Mapped[Power | None] = relationship()
