"""A decision on a signal that lives in the municipality's case system (zaaksysteem): a 13b
closure, an enforcement decision, a Bibob decision. casustafel keeps only the kind, the
zaaknummer (encrypted: it leads to a case and so to a person), the date and who added it;
the decision itself stays in the case system. Only the coordinator sees the links."""

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models.base import Encrypted, Vocabulary, new_uuid
from casustafel.models.signal import Signal
from casustafel.models.user import User


class CaseLinkKind(Vocabulary):
    """What kind of decision the zaaknummer points to."""

    BESLUIT_13B = "13b_besluit", "Besluit art. 13b Opiumwet"
    HANDHAVINGSBESLUIT = "handhavingsbesluit", "Handhavingsbesluit"
    BIBOB_BESLUIT = "bibob_besluit", "Bibob-besluit"
    OVERIG = "overig", "Ander besluit"


class CaseSystemLink(db.Model):
    """A reference from a signal to a decision in the municipality's case system."""

    __tablename__ = "case_system_link"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    zaaknummer_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    decided_on: Mapped[date] = mapped_column(Date)
    added_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    zaaknummer = Encrypted()

    signal: Mapped[Signal] = relationship()
    added_by: Mapped[User | None] = relationship()

    @property
    def kind_label(self) -> str:
        return CaseLinkKind.labels().get(self.kind, self.kind)
