"""The access and processing log (logboek): append-only, hash-chained."""

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models.base import Encrypted, new_uuid


class AuditEvent(db.Model):
    """One log entry. Never holds field values or search terms: only ids and pseudonyms."""

    __tablename__ = "audit_event"
    # The privacy officer's viewer: one user over a period, one object's history (revision 0006).
    __table_args__ = (
        Index("ix_audit_event_actor_id_occurred_at", "actor_id", "occurred_at"),
        Index("ix_audit_event_object_id_seq", "object_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"),
                                     primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor_role: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    subject_pseudonyms: Mapped[str | None] = mapped_column(Text)
    purpose: Mapped[str | None] = mapped_column(String(64))
    # The register's code (ProcessingActivity.code); None only on events from before revision 0019.
    processing_activity: Mapped[str | None] = mapped_column(String(40), index=True)
    result: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(36))
    origin: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[int] = mapped_column()
    mac: Mapped[str] = mapped_column(String(64))


class AuditHead(db.Model):
    """The chain's newest sequence number and MAC; its row lock serialises appends."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"))
    last_mac: Mapped[str] = mapped_column(String(64))
    # The anchor after log retention removed the oldest events: verification starts at
    # base_seq + 1 with base_mac as the previous MAC. base_seal = HMAC(audit key base_key_id)
    # over both, so the anchor cannot be moved without the key.
    base_seq: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"),
                                          default=0, server_default="0")
    base_mac: Mapped[str] = mapped_column(String(64), default="0" * 64, server_default="0" * 64)
    base_key_id: Mapped[int | None] = mapped_column()
    base_seal: Mapped[str | None] = mapped_column(String(64))


class AuditPruned(db.Model):
    """A stub for an event removed early by retention (the 6-month security log): its MAC
    keeps the chain verifiable; seal = HMAC(audit key) over seq, MAC, time and category."""

    __tablename__ = "audit_pruned"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"),
                                     primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column()
    category: Mapped[str] = mapped_column(String(16))
    mac: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[int] = mapped_column()
    seal: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(db.Model):
    """A verified point of the chain (sequence number and MAC). The viewer verifies only
    what came after the newest one; `flask audit checkpoint` also prints it for storage
    outside the application, where removing the newest entries cannot reach it."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"), index=True)
    mac: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    source: Mapped[str] = mapped_column(String(16))  # "cli", "viewer", "verify"


class AnomalyReview(db.Model):
    """The privacy officer's sign-off of one anomaly (who, when, comment)."""

    __tablename__ = "anomaly_review"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    anomaly_key: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    reviewed_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(String(32))  # "verklaard", "onderzoek", "melding_datalek"
    comment_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    comment = Encrypted()


class AuditAnomalyCount(db.Model):
    """A derived cache of the log for the anomaly page (casustafel.audit.anomaly_counts): per
    category, user and UTC hour how many events, when the first and last, and their sequence
    range. Never the source of truth: it is rebuilt from the log whenever it is missing or the
    log was replaced, and the log's chain and MAC never depend on it.

    category: "read" (content reads), "toewijzing" or "geweigerd" (denials). actor: the user's
    id as text, "anoniem" for a denial without a user. local_*: the hour in Dutch time, so the
    office-hours setting can be applied when asked.
    """

    __tablename__ = "audit_anomaly_count"
    __table_args__ = (Index("ix_audit_anomaly_count_category_hour", "category", "hour"),)

    category: Mapped[str] = mapped_column(String(16), primary_key=True)
    actor: Mapped[str] = mapped_column(String(36), primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    local_day: Mapped[date] = mapped_column()
    local_hour: Mapped[int] = mapped_column(Integer)
    local_weekday: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    first_at: Mapped[datetime] = mapped_column()
    last_at: Mapped[datetime] = mapped_column()
    min_seq: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"))
    max_seq: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"))
    # Events of the security log (auth.*) in the bucket: retention may replace them by stubs.
    security_count: Mapped[int] = mapped_column(Integer, default=0)


class AuditAnomalyState(db.Model):
    """How far the anomaly counters have read the log: every event with seq <= last_seq is
    counted. Its row lock serialises two views catching up at the same time. base_seq: where
    log retention had cut the log at that moment; pruned_count: the number of stubs then, or
    -1 while no counter holds a security event (auth.*), the only kind retention stubs early
    (to notice a later run)."""

    __tablename__ = "audit_anomaly_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"))
    base_seq: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"))
    pruned_count: Mapped[int] = mapped_column(Integer)
