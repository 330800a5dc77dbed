"""The legal grounds for referrals (verstrekkingen): on which law the municipality shares data
with a partner. A list the functional admin maintains, seeded with current law; never deleted
or reworded, since referrals refer to it. A referral keeps the text of its ground as it was
when it was recorded, so an old referral still says what it said."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from casustafel.extensions import db

# The ground that needs a note: the coordinator names the law or article in the referral itself.
OTHER_GROUND = "overig"


class LegalGround(db.Model):
    """A legal ground for sharing: what it is for, the law and, where verified, the article."""

    __tablename__ = "legal_ground"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    law: Mapped[str] = mapped_column(String(250))
    article: Mapped[str] = mapped_column(String(120), default="")  # empty: no article cited (yet)
    explanation: Mapped[str] = mapped_column(String(1000), default="")
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def citation(self) -> str:
        """The law, and the article where one is cited."""
        return f"{self.law}, {self.article}" if self.article else self.law

    @property
    def full_label(self) -> str:
        """What the form offers and a referral keeps: the ground and its citation."""
        return f"{self.label} — {self.citation}" if self.law else self.label
