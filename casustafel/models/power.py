"""The municipality's tasks and powers (weging 2 and check 2B): which administrative body may
act, under which law. A list the functional admin maintains; never deleted, since weighings
and checks refer to it."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from casustafel.extensions import db

# The competent bodies of a municipality (bestuursorganen).
POWER_BODIES = {
    "burgemeester": "Burgemeester",
    "college": "College van burgemeester en wethouders",
    "raad": "Gemeenteraad",
}


class Power(db.Model):
    """A task or power of the municipality, held by one competent body."""

    __tablename__ = "power"

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def body_label(self) -> str:
        return POWER_BODIES.get(self.body, self.body)

    @property
    def full_label(self) -> str:
        return f"{self.body_label} — {self.label} ({self.legal_basis})"
