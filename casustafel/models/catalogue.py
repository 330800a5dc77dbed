"""Lists the admin maintains: phenomena (two levels) and indicators."""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casustafel.extensions import db

INDICATOR_GROUPS = {
    "kenmerken": "Kenmerken van ondermijning",
    "lokale_verankering": "Lokale verankering",
    "signalering": "Signalering (rode vlaggen)",
}


class Phenomenon(db.Model):
    """A category of ondermijning; a child has a parent, a parent has none."""

    __tablename__ = "phenomenon"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("phenomenon.id"))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped["Phenomenon | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Phenomenon"]] = relationship(
        back_populates="parent", order_by="Phenomenon.position"
    )

    @property
    def full_name(self) -> str:
        return f"{self.parent.name} — {self.name}" if self.parent else self.name


class Indicator(db.Model):
    """One point of the indicator checklist, with where it comes from (the CCV's checklist
    beoordelingskader, or the municipality's own policy)."""

    __tablename__ = "indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    group: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def group_label(self) -> str:
        return INDICATOR_GROUPS.get(self.group, self.group)
