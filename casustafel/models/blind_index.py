"""The width of the blind indexes, stored once for the installation (docs/security.md)."""

from datetime import datetime

from sqlalchemy import SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from casustafel.dates import utcnow
from casustafel.extensions import db

WIDTH_ROW = 1  # the table holds one row


class BlindIndexWidth(db.Model):
    """The width new blind indexes are made with, and the previous width while a change runs.

    Every indexed row also stores the width it was made with (`bidx_bits`), so a lookup computes
    the index at each width in use here and compares it with rows of that width only: a row
    is never missed because it was indexed at another width. Seeded by revision 0029; changed
    only by `flask blind-index rewidth`.
    """

    __tablename__ = "blind_index_width"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    bits: Mapped[int] = mapped_column(SmallInteger)
    previous_bits: Mapped[int | None] = mapped_column(SmallInteger)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
