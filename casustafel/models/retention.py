"""Retention of open cases: the coordinator's reasons for keeping a signal open that had no
activity for the configured term (README “Retention and destruction”)."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models.base import Encrypted, new_uuid
from casustafel.models.user import User


class OpenJustification(db.Model):
    """Why a long-open signal stays open; never overwritten, destroyed with the signal."""

    __tablename__ = "open_justification"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reason = Encrypted()

    recorded_by: Mapped[User | None] = relationship()
