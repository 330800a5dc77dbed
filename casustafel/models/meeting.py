"""A casustafel meeting: its invitees and agenda items with notes and decisions.

Notes and rationales are encrypted; codes and dates are not.
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

MEETING_KINDS = {"regulier": "Regulier", "ad_hoc": "Ad hoc"}
class MeetingStatus(Vocabulary):
    CONCEPT = "concept", "In voorbereiding"
    GEPUBLICEERD = "gepubliceerd", "Agenda gepubliceerd"
    GESLOTEN = "gesloten", "Gesloten"
    AFGEZEGD = "afgezegd", "Afgezegd"


class Attendance(Vocabulary):
    """Presence at the meeting, recorded by the chair at the start and shown in the minutes."""

    AANWEZIG = "aanwezig", "Aanwezig"
    AFGEMELD = "afgemeld", "Afwezig met bericht van verhindering"
    AFWEZIG = "afwezig", "Afwezig"


MEETING_STATUSES = MeetingStatus.labels()
ATTENDANCE = Attendance.labels()

DECISIONS = {
    "geen_actie": "Geen actie, afsluiten",
    "monitoren": "Monitoren",
    "intern_doorzetten": "Intern doorzetten naar een afdeling met eigen regie",
    "gemeentelijke_aanpak": "Gemeentelijke casusaanpak",
    "riec": "Melden bij het RIEC",
    "politie": "Doorgeven aan politie / Meld Misdaad Anoniem",
    "zorg_en_veiligheidshuis": "Zorg- en Veiligheidshuis (mogelijk slachtoffer)",
    "volgende_keer": "Volgende keer opnieuw bespreken",
}
# Decisions that hand the case over, and the kind of handover the referral form starts as: the
# signal stays ‘besproken’ until that referral (with check 2B) is sent, then it is ‘doorgezet’.
HANDOVER_DECISIONS = {"intern_doorzetten": "intern", "riec": "riec", "politie": "politie",
                      "zorg_en_veiligheidshuis": "zvh"}


class Meeting(db.Model):
    """One session of the casustafel (not 'session': that word is Flask's)."""

    __tablename__ = "meeting"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    held_at: Mapped[datetime] = mapped_column(index=True)  # naive UTC, shown in Dutch time
    kind: Mapped[str] = mapped_column(String(16), default="regulier")
    chair_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    agenda_cutoff: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="concept", index=True)
    published_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    # Where: a room and/or an online meeting link (no personal data; they go into the invitation).
    location: Mapped[str | None] = mapped_column(String(200))
    online_link: Mapped[str | None] = mapped_column(String(500))
    # iCalendar SEQUENCE: raised whenever a sent invitation changes (moved, place, cancelled).
    calendar_sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    cancelled_at: Mapped[datetime | None] = mapped_column()
    cutoff_reminded_at: Mapped[datetime | None] = mapped_column()
    # Closing before the meeting's date needs an explicit override with a reason.
    close_override_reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    close_override_reason = Encrypted()

    chair: Mapped[User | None] = relationship()
    invitees: Mapped[list["MeetingInvitee"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )
    items: Mapped[list["AgendaItem"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="AgendaItem.position"
    )

    @property
    def status_label(self) -> str:
        return MEETING_STATUSES.get(self.status, self.status)

    @property
    def kind_label(self) -> str:
        return MEETING_KINDS.get(self.kind, self.kind)


class MeetingInvitee(db.Model):
    __tablename__ = "meeting_invitee"

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    attendance: Mapped[str | None] = mapped_column(String(16))  # Attendance; None = not recorded yet

    meeting: Mapped[Meeting] = relationship(back_populates="invitees")
    user: Mapped[User] = relationship()
    department: Mapped[Department | None] = relationship()

    @property
    def attendance_label(self) -> str:
        return ATTENDANCE.get(self.attendance, "Niet vastgelegd") if self.attendance else "Niet vastgelegd"


class AgendaItem(db.Model):
    """A signal on a meeting's agenda, with notes and the decision taken."""

    __tablename__ = "agenda_item"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    carried_from_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agenda_item.id"))
    # The signal's status before it was put on this agenda: removing the item restores it.
    previous_status: Mapped[str | None] = mapped_column(String(32))
    notes_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    decision: Mapped[str | None] = mapped_column(String(32))
    decision_rationale_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    decided_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    notes = Encrypted()
    decision_rationale = Encrypted()

    meeting: Mapped[Meeting] = relationship(back_populates="items")
    signal: Mapped[Signal] = relationship()

    @property
    def decision_label(self) -> str | None:
        return DECISIONS.get(self.decision, self.decision) if self.decision else None


class InviteeGroup(db.Model):
    """A standing group of invitees (e.g. "Vaste kern casustafel"), kept by the coordinator and
    invited to a meeting in one step."""

    __tablename__ = "invitee_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list["InviteeGroupMember"]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )


class InviteeGroupMember(db.Model):
    __tablename__ = "invitee_group_member"

    group_id: Mapped[int] = mapped_column(ForeignKey("invitee_group.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))

    group: Mapped[InviteeGroup] = relationship(back_populates="members")
    user: Mapped[User] = relationship()
    department: Mapped[Department | None] = relationship()
