"""An action agreed on a signal (closure, enforcement, visit, ...), with owner and deadline.

Descriptions and results are encrypted; codes and dates are not.
"""

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models.base import Encrypted, Vocabulary, new_uuid
from casustafel.models.signal import Signal
from casustafel.models.user import Department, User

ACTION_TYPES = {
    "13b_opiumwet": "Sluiting art. 13b Opiumwet",
    "bibob": "Bibob-toets",
    "handhaving": "Handhaving",
    "adresonderzoek_brp": "Adresonderzoek BRP",
    "integrale_controle": "Integrale controle",
    "stopgesprek": "Stopgesprek",
    "overig": "Overig",
}
# Types no new action may have; old actions keep them and stay readable. A Bibob investigation
# goes through the Bibob track (models/bibob.py): its information falls under art. 28 Wet Bibob
# and may not go to an action's owner.
RETIRED_ACTION_TYPES = frozenset({"bibob"})
NEW_ACTION_TYPES = {code: label for code, label in ACTION_TYPES.items() if code not in RETIRED_ACTION_TYPES}
# What an old Bibob-toets shows instead of its description and result to anyone but the
# coordinator (art. 28 Wet Bibob; permissions.can_read_action_content).
BIBOB_ACTION_HIDDEN = "Bibob-informatie: alleen bij de regisseur"
BIBOB_NOT_AN_ACTION = ("Een Bibob-onderzoek is geen actie meer: leg het vast in het Bibob-dossier van de melding "
                       "(art. 28 Wet Bibob: alleen de regisseur ziet het).")


class ActionStatus(Vocabulary):
    OPEN = "open", "Open"
    IN_UITVOERING = "in_uitvoering", "In uitvoering"
    AFGEROND = "afgerond", "Afgerond"


ACTION_STATUSES = ActionStatus.labels()


class Action(db.Model):
    """A follow-up task (interventie) with an owner (person or department) and a deadline."""

    __tablename__ = "action"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agenda_item.id"))
    type: Mapped[str] = mapped_column(String(32))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    owner_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    deadline: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    description_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    result_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()
    last_reminded_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    description = Encrypted()
    result = Encrypted()

    signal: Mapped[Signal] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    owner_department: Mapped[Department | None] = relationship()

    @property
    def type_label(self) -> str:
        return ACTION_TYPES.get(self.type, self.type)

    @property
    def status_label(self) -> str:
        return ACTION_STATUSES.get(self.status, self.status)

    @property
    def is_bibob(self) -> bool:
        """An old Bibob-toets: its free text is Bibob information (art. 28 Wet Bibob)."""
        return self.type == "bibob"

    def is_overdue(self, today: date) -> bool:
        return self.status != "afgerond" and self.deadline < today
