"""The weighings of the CCV model protocol (weging 1-4) and their criteria.

Rationales are encrypted; codes and dates are not. The criteria of weging 3 are the
municipality's own policy (`WeighingCriterion`, kept by the functional admin); those of the
other weighings are fixed by the protocol.
"""

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, UniqueConstraint, Uuid, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models.base import Encrypted, new_uuid
from casustafel.models.power import Power
from casustafel.models.signal import Signal
from casustafel.models.user import User

ASSESSMENT_CRITERIA = {
    "intake": {
        "ondermijning": (
            "Is er minstens één indicator van lokale verankering én een indicator van signalering "
            "(checklist beoordelingskader van het CCV)?"
        ),
        "gemeentelijke_taak": "Gaat het over een taak of bevoegdheid van de gemeente?",
        "grondgebied": "Speelt het zich af op het grondgebied van de gemeente?",
    },
    # Weging 3: the CCV's examples, seeded into WeighingCriterion by migration 0015. What the
    # form asks is the municipality's list in the database (criteria_questions("weging")).
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
# The weighings whose criteria the municipality sets in its policy (model protocol stap 2).
CONFIGURABLE_KINDS = ("weging",)
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


class WeighingCriterion(db.Model):
    """An objective criterion of weging 3 as the municipality set it in its policy.

    Never deleted and never reworded: an assessment keeps its answers by code, and the
    question shown next to an old answer must be the one that was asked. A criterion out of
    use is no longer asked.
    """

    __tablename__ = "weighing_criterion"
    __table_args__ = (UniqueConstraint("kind", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(40))
    question: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


def criteria_questions(kind: str, *, active_only: bool = True) -> dict[str, str]:
    """Code → question of a weighing, in the order asked: the municipality's list for a
    configurable weighing (only those in use unless `active_only` is false), else the protocol's."""
    if kind not in CONFIGURABLE_KINDS:
        return dict(ASSESSMENT_CRITERIA.get(kind, {}))
    query = select(WeighingCriterion).where(WeighingCriterion.kind == kind)
    if active_only:
        query = query.where(WeighingCriterion.active.is_(True))
    rows = db.session.scalars(query.order_by(WeighingCriterion.position, WeighingCriterion.id))
    return {c.code: c.question for c in rows}


def answered_criteria(assessment: Assessment) -> list[tuple[str, bool | None]]:
    """The questions of a recorded weighing with their answers (None: not answered).

    For a configurable weighing only the questions it answered, as they were asked, also
    when a criterion went out of use later; a code no list knows any more shows as itself.
    """
    answers = assessment.answers or {}
    questions = criteria_questions(assessment.kind, active_only=False)
    if assessment.kind not in CONFIGURABLE_KINDS:
        return [(question, answers.get(code) if code in answers else None) for code, question in questions.items()]
    rows = [(question, bool(answers[code])) for code, question in questions.items() if code in answers]
    return rows + [(code, bool(value)) for code, value in answers.items() if code not in questions]
