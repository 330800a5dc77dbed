"""The plan of approach (plan van aanpak) of a case the municipality handles itself, and its
monitoring period (CCV model protocol step 4).

Nothing recorded is lost: a revised plan is a new row with the next number, an extended
monitoring period a new row with its reason. Goal, interventions and reasons are encrypted;
dates and who/when are not.
"""

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, LargeBinary, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models.base import Encrypted, new_uuid
from casustafel.models.signal import Signal
from casustafel.models.user import User


class CasePlan(db.Model):
    """One version of the plan of approach: goal, interventions, the casusregisseur (the
    coordinator who directs the case) and the date the plan is evaluated."""

    __tablename__ = "case_plan"
    __table_args__ = (UniqueConstraint("signal_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()  # 1 for the first plan, +1 for each revision
    goal_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    interventions_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    director_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    review_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    goal = Encrypted()
    interventions = Encrypted()

    signal: Mapped[Signal] = relationship()
    director: Mapped[User | None] = relationship(foreign_keys=[director_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])

    def review_passed(self, today: date) -> bool:
        return self.review_on < today


class MonitoringPeriod(db.Model):
    """The end date of the monitoring: set when monitoring starts; each extension is a new row
    with its reason. The row with the highest number is the period that holds."""

    __tablename__ = "monitoring_period"
    __table_args__ = (UniqueConstraint("signal_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()  # in the order they were set: a start, then each extension
    ends_on: Mapped[date] = mapped_column(Date)
    reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)  # only for an extension
    set_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_reminded_at: Mapped[datetime | None] = mapped_column()

    reason = Encrypted()

    signal: Mapped[Signal] = relationship()
    set_by: Mapped[User | None] = relationship()

    @property
    def is_extension(self) -> bool:
        return self.reason_enc is not None

    def ended(self, today: date) -> bool:
        return self.ends_on < today
