"""The municipal registers the source checks may consult, and privacy check 1's assessment
(A, B, C of the model protocol) of each register it allowed.

The functional admin maintains the list. A register is never deleted: checks and source
checks refer to it by code, so one out of use keeps its label but is not offered anew.
"""

import uuid

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint, Uuid, select
from sqlalchemy.orm import Mapped, mapped_column

from casustafel.extensions import db
from casustafel.models.base import Encrypted, new_uuid


class SourceRegister(db.Model):
    """A register; `legal_basis` is the law its data were collected under (the default for A)."""

    __tablename__ = "source_register"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    legal_basis: Mapped[str | None] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


def source_registers(*, active_only: bool = False) -> list[SourceRegister]:
    """The registers in the admin's order; only those in use when `active_only`."""
    stmt = select(SourceRegister).order_by(SourceRegister.position, SourceRegister.id)
    if active_only:
        stmt = stmt.where(SourceRegister.active.is_(True))
    return list(db.session.scalars(stmt))


def register_labels(*, active_only: bool = False) -> dict[str, str]:
    """Code → label, in the admin's order: every register (out of use too) unless `active_only`."""
    return {r.code: r.label for r in source_registers(active_only=active_only)}


def register_label(code: str) -> str:
    return db.session.scalar(select(SourceRegister.label).where(SourceRegister.code == code)) or code


class PrivacyCheckRegister(db.Model):
    """For one register a privacy check 1 allowed: (A) the legal ground of the original
    collection, (B) why further use for this purpose is compatible (art. 6 lid 4 AVG), (C)
    necessity, proportionality and subsidiarity. Free text, so encrypted."""

    __tablename__ = "privacy_check_register"
    __table_args__ = (UniqueConstraint("privacy_check_id", "register", name="uq_privacy_check_register"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    privacy_check_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("privacy_check.id", ondelete="CASCADE"),
                                                        index=True)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    register: Mapped[str] = mapped_column(String(32))
    legal_basis_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    compatibility_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    necessity_enc: Mapped[bytes | None] = mapped_column(LargeBinary)

    legal_basis = Encrypted()
    compatibility = Encrypted()
    necessity = Encrypted()
