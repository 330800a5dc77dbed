"""The access and processing log (logboek): append-only, hash-chained."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from casustafel.extensions import db
from casustafel.models.base import utcnow


class AuditEvent(db.Model):
    """One log entry. Never holds field values or search terms: only ids and pseudonyms."""

    __tablename__ = "audit_event"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(db.Integer, "sqlite"),
                                     primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    actor_role: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64), index=True)
    subject_pseudonyms: Mapped[str | None] = mapped_column(Text)
    purpose: Mapped[str | None] = mapped_column(String(64))
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
