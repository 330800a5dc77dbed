"""The data subject's rights beyond the request itself (issue 18): informing the subject or a
reasoned deferral (art. 14 AVG / art. 41 UAVG), the restriction of processing (art. 18 AVG) and
the notification of recipients (art. 19 AVG). Objection and extension live on SubjectRequest."""

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, LargeBinary, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models.base import Encrypted, Vocabulary, new_uuid
from casustafel.models.referral import Partner
from casustafel.models.user import User

# Art. 41 lid 1 UAVG, the grounds a municipality can meet with signals of ondermijning. Its
# parts a–j follow art. 23 lid 1 AVG letter for letter (sub h: the supervisory, inspection or
# regulatory task connected with the exercise of official authority in the cases of a–e and g).
RESTRICTION_GROUNDS = {
    "opsporing": "Voorkoming, onderzoek, opsporing en vervolging van strafbare feiten (art. 41 lid 1 sub d UAVG)",
    "bescherming_anderen": "Bescherming van de betrokkene of van de rechten en vrijheden van anderen, "
                           "bijvoorbeeld de melder (art. 41 lid 1 sub i UAVG)",
    "economisch_belang": "Andere belangrijke doelstellingen van algemeen belang, met name een belangrijk economisch "
                         "of financieel belang (art. 41 lid 1 sub e UAVG)",
    "toezicht": "Een taak op het gebied van toezicht, inspectie of regelgeving die verband houdt met de "
                "uitoefening van openbaar gezag (art. 41 lid 1 sub h UAVG)",
    "openbare_veiligheid": "De openbare veiligheid (art. 41 lid 1 sub c UAVG)",
}


class InformingOutcome(Vocabulary):
    INFORMED = "geinformeerd", "Geïnformeerd (art. 14 AVG)"
    DEFERRED = "uitgesteld", "Uitgesteld (art. 41 UAVG)"


INFORMING_OUTCOMES = InformingOutcome.labels()


class InformingDecision(db.Model):
    """Whether a subject of a signal was told about the processing (art. 14 AVG) or why not yet
    (art. 41 UAVG, with a review date). The latest decision per subject counts; history stays."""

    __tablename__ = "informing_decision"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("subject.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    informed_on: Mapped[date | None] = mapped_column(Date)
    ground: Mapped[str | None] = mapped_column(String(64))  # art. 41 lid 1 UAVG, a RESTRICTION_GROUNDS code
    reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reason = Encrypted()
    review_on: Mapped[date | None] = mapped_column(Date, index=True)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_reminded_at: Mapped[datetime | None] = mapped_column()

    decided_by: Mapped[User | None] = relationship()

    @property
    def outcome_label(self) -> str:
        return INFORMING_OUTCOMES.get(self.outcome, self.outcome)


class ProcessingRestriction(db.Model):
    """A restriction of processing on a signal (art. 18 AVG): while it is not lifted, the signal
    is only stored (casustafel/processing.py refuses every processing step)."""

    __tablename__ = "processing_restriction"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("subject_request.id", ondelete="SET NULL"), index=True)
    set_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reason = Encrypted()
    lifted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    lifted_at: Mapped[datetime | None] = mapped_column(index=True)
    lift_reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    lift_reason = Encrypted()


class NotificationMethod(Vocabulary):
    LETTER = "brief", "Per brief"
    SECURE_MAIL = "beveiligde_mail", "Per beveiligde e-mail"
    PHONE = "telefoon", "Telefonisch, met bevestiging"
    IN_PERSON = "overleg", "In een overleg, met verslag"
    DISPROPORTIONATE = "onevenredig", "Niet gemeld: onmogelijk of onevenredig veel moeite (art. 19 AVG)"


NOTIFICATION_METHODS = NotificationMethod.labels()


class RecipientNotification(db.Model):
    """A recipient (partner) told of a rectification, erasure or restriction (art. 19 AVG)."""

    __tablename__ = "recipient_notification"
    __table_args__ = (UniqueConstraint("request_id", "partner_id", name="uq_recipient_notification_request_partner"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subject_request.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"))
    notified_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(16))
    note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    note = Encrypted()
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    partner: Mapped[Partner] = relationship()

    @property
    def method_label(self) -> str:
        return NOTIFICATION_METHODS.get(self.method, self.method)
