"""Internal notes on a signal: what the coordinators tell each other outside a meeting."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, Uuid, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models.base import Encrypted, new_uuid
from casustafel.models.user import User


class SignalNote(db.Model):
    """A coordinator's internal note on a signal: append-only, encrypted, destroyed with the signal."""

    __tablename__ = "signal_note"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    text_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    text = Encrypted()

    author: Mapped[User | None] = relationship()


class AppendOnlyNoteError(RuntimeError):
    """A note was changed or removed one by one: notes are only ever added."""


@event.listens_for(SignalNote, "before_update")
@event.listens_for(SignalNote, "before_delete")
def _refuse_change(mapper, connection, note) -> None:
    # Only key rotation (re-encrypting the same text) and retention (destroying every note of a
    # signal at once) touch stored notes, and both run set-based, below the ORM.
    raise AppendOnlyNoteError("Een notitie wordt nooit gewijzigd of verwijderd; voeg een nieuwe notitie toe.")
