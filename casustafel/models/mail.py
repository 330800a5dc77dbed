"""An e-mail fetched from the meldpunt mailbox (`flask mail fetch`), waiting as a concept.

A concept is not a signal yet: the coordinator registers a signal from it or discards it. The
mail itself is in the encrypted file store under `file_id` (its key wrapped by the `file` key,
as attachments); subject and sender are encrypted fields. `message_key` is a keyed hash (the
`bidx` key, context "mail-message") of the Message-ID, or of the mail's SHA-256 when it has
none: the same mail fetched again (a rerun after a crash) finds its concept and is not made twice,
also after the concept was handled (then only that marker is left).
"""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models.base import Encrypted, new_uuid


class MailConcept(db.Model):
    __tablename__ = "mail_concept"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    message_key: Mapped[str] = mapped_column(String(64), unique=True)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # From the Date header (UTC); the moment it was fetched when the header is missing or unreadable.
    received_at: Mapped[datetime] = mapped_column(index=True)
    subject_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    sender_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(BigInteger)  # bytes, as the mail server reported it
    # Bigger than MAIL_FETCH_MAX_BYTES: only the headers were read; the mail stays in the
    # mailbox's processed folder and file_id is None.
    too_large: Mapped[bool] = mapped_column(default=False)
    # Always the concept's own id (key rotation finds a wrapped_key's file by its row's id).
    file_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, unique=True)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    digest: Mapped[str | None] = mapped_column(String(64))
    # Registered as a signal or discarded: sender, subject and file are gone, the row stays as a
    # marker (message_key and dates only), so the same e-mail fetched again is still known.
    handled_at: Mapped[datetime | None] = mapped_column(index=True)
    signal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("signal.id", ondelete="SET NULL"))

    subject = Encrypted()
    sender = Encrypted()
