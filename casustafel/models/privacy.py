"""Break-glass access, retention runs and destruction records, data-subject requests."""

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models.base import Encrypted, Vocabulary, new_uuid
from casustafel.models.user import User

BlindIndex = BigInteger().with_variant(db.Integer, "sqlite")


class BreakGlass(db.Model):
    """Time-limited content access to one signal outside the normal rules (README “Roles”)."""

    __tablename__ = "break_glass"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    signal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("signal.id", ondelete="SET NULL"), index=True)
    signal_reference: Mapped[str] = mapped_column(String(16))
    reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reason = Encrypted()
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()


class RetentionRun(db.Model):
    """One run of `flask retention run` (or its dry run from the privacy officer's page)."""

    __tablename__ = "retention_run"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column()
    dry_run: Mapped[bool] = mapped_column(default=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    origin: Mapped[str] = mapped_column(String(16))  # "cli" or "web"
    summary: Mapped[str | None] = mapped_column(Text)  # JSON counts per category, no personal data


class DestructionRecord(db.Model):
    """Kept permanently; holds no personal data (README “Retention and destruction”)."""

    __tablename__ = "destruction_record"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    run_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("retention_run.id"), index=True)
    destroyed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_ref: Mapped[str] = mapped_column(String(64))  # e.g. signal reference, meeting id
    term: Mapped[str] = mapped_column(String(32))  # e.g. "1 jaar na afsluiten"
    # The VNG Selectielijst result type behind the term, as it stood at destruction.
    selectielijst: Mapped[str | None] = mapped_column(String(160))
    due_since: Mapped[date | None] = mapped_column(Date)
    details: Mapped[str | None] = mapped_column(Text)  # counts removed, JSON, no personal data


SUBJECT_REQUEST_TYPES = {
    "inzage": "Inzage (art. 15 AVG)",
    "rectificatie": "Rectificatie (art. 16 AVG)",
    "wissing": "Wissing (art. 17 AVG)",
    "beperking": "Beperking (art. 18 AVG)",
    "bezwaar": "Bezwaar (art. 21 AVG)",
}


class SubjectRequestStatus(Vocabulary):
    OPEN = "open", "Open"
    AFGEHANDELD = "afgehandeld", "Afgehandeld"


SUBJECT_REQUEST_STATUSES = SubjectRequestStatus.labels()


class ObjectionOutcome(Vocabulary):
    UPHELD = "gehonoreerd", "Gehonoreerd: de verwerking stopt"
    REJECTED = "afgewezen", "Afgewezen: dwingende gerechtvaardigde gronden"


OBJECTION_OUTCOMES = ObjectionOutcome.labels()


class SubjectRequest(db.Model):
    """A data-subject request (AVG rights), handled by the privacy officer."""

    __tablename__ = "subject_request"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    number: Mapped[str] = mapped_column(String(16), unique=True)  # AVG-YYYY-NNNN
    type: Mapped[str] = mapped_column(String(16))
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()
    # Who it is about: encrypted, looked up through the signal blind indexes.
    name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    name = Encrypted()
    birth_date_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    birth_date = Encrypted()
    kvk_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    kvk_number = Encrypted()
    postcode_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    postcode = Encrypted()
    house_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    house_number = Encrypted()
    # Restriction decision (art. 41 UAVG) and the answer, both free text.
    restriction: Mapped[str | None] = mapped_column(String(32))  # "geen", "gedeeltelijk", "volledig"
    restriction_ground: Mapped[str | None] = mapped_column(String(64))
    restriction_note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    restriction_note = Encrypted()
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column()
    # Retention: the file's personal data and texts were destroyed (its number, type and dates stay).
    destroyed_at: Mapped[datetime | None] = mapped_column(index=True)
    # The extension (art. 12 lid 3 AVG): once, by two months, with reasons, told within the first month.
    extended_at: Mapped[datetime | None] = mapped_column()
    extended_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    extension_reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    extension_reason = Encrypted()
    extension_told_on: Mapped[date | None] = mapped_column(Date)
    # The objection (art. 21 AVG) weighed: upheld (processing stops) or rejected with the
    # compelling legitimate grounds.
    objection_outcome: Mapped[str | None] = mapped_column(String(16))
    objection_reasoning_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    objection_reasoning = Encrypted()
    objection_decided_at: Mapped[datetime | None] = mapped_column()
    objection_decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    # A rectification or erasure carried out (art. 16, 17 AVG): the recipients must be told (art. 19).
    carried_out_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(default=1)

    signals: Mapped[list["SubjectRequestSignal"]] = relationship(
        back_populates="request", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class SubjectRequestSignal(db.Model):
    """A signal found for a request; while the request is open it is on legal hold."""

    __tablename__ = "subject_request_signal"

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subject_request.id", ondelete="CASCADE"), primary_key=True
    )
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), primary_key=True)
    found_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[SubjectRequest] = relationship(back_populates="signals")
