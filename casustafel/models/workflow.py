"""The casustafel workflow: weighings, privacy checks, source checks, meetings and actions.

Free text (rationales, notes, summaries, results) is encrypted; codes and dates are not.
"""

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models.base import Encrypted, new_uuid
from casustafel.models.signal import Signal
from casustafel.models.user import Department, User

# --- weighings (CCV weging 1-3) -------------------------------------------------------

ASSESSMENT_CRITERIA = {
    "intake": {
        "ondermijning": "Is er minstens één indicator van lokale verankering én een rode vlag?",
        "gemeentelijke_taak": "Gaat het over een taak of bevoegdheid van de gemeente?",
        "grondgebied": "Speelt het zich af op het grondgebied van de gemeente?",
    },
    "weging": {
        "concreet": "Is het signaal voldoende concreet?",
        "recent": "Is het signaal recent?",
        "trend": "Past het in een trend of fenomeen dat extra aandacht vraagt?",
    },
}


class Assessment(db.Model):
    """A recorded weighing step: criteria answered, an outcome and an encrypted rationale."""

    __tablename__ = "assessment"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    answers: Mapped[dict] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(32))
    rationale_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    assessed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    assessed_at: Mapped[datetime] = mapped_column(default=utcnow)

    rationale = Encrypted()

    signal: Mapped[Signal] = relationship()
    assessed_by: Mapped[User | None] = relationship()


# --- privacy checks 1, 2A, 2B ------------------------------------------------------------

PRIVACY_CHECK_KINDS = {
    "1": "Privacytoets 1: welke bronnen mogen worden geraadpleegd",
    "2A": "Privacytoets 2A: wat mogen deelnemers van het overleg zien",
    "2B": "Privacytoets 2B: welke gegevens mogen naar een afdeling of partner voor een actie",
}

REGISTERS = {
    "brp": "BRP (personen)",
    "bag": "BAG (adressen en gebouwen)",
    "woz": "WOZ",
    "kvk": "KvK / Handelsregister",
    "kadaster": "Kadaster",
    "belastingen": "Belastingen",
    "vergunningen": "Vergunningen",
    "handhaving": "Toezicht en handhaving",
    "sociaal_domein": "Sociaal domein",
    "open_bronnen": "Open bronnen",
}

# The parts of a signal a privacy check 2A can open up to a department at a meeting.
SHAREABLE_FIELDS = {
    "fenomeen": "Fenomeen en indicatoren",
    "beschrijving": "Beschrijving van de melding",
    "betrokkenen": "Namen en rol van betrokkenen",
    "geboortedata": "Geboortedata",
    "kvk": "KvK-nummers",
    "adressen": "Adressen en panden",
    "bronnen": "Uitkomsten bronnenonderzoek (hit / no hit)",
}


class PrivacyCheck(db.Model):
    """A privacy check: the coordinator asks, the privacy officer (or, by setting, the
    coordinator) decides. While it is open the privacy officer may read the signal."""

    __tablename__ = "privacy_check"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("meeting.id"))
    action_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("action.id"))
    referral_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referral.id"))
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    request_note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column()
    approved: Mapped[bool | None] = mapped_column()
    # Check 1: register codes; 2A: {department_id: [field codes]}; 2B: [field codes].
    allowed_registers: Mapped[list | None] = mapped_column(JSON)
    content_registers: Mapped[list | None] = mapped_column(JSON)
    field_rules: Mapped[dict | None] = mapped_column(JSON)
    allowed_fields: Mapped[list | None] = mapped_column(JSON)
    rationale_enc: Mapped[bytes | None] = mapped_column(LargeBinary)

    request_note = Encrypted()
    rationale = Encrypted()

    signal: Mapped[Signal] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def kind_label(self) -> str:
        return PRIVACY_CHECK_KINDS.get(self.kind, self.kind)


class SourceQuery(db.Model):
    """A logged hit / no-hit check in one municipal register; a summary only when allowed."""

    __tablename__ = "source_query"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    privacy_check_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("privacy_check.id"))
    register: Mapped[str] = mapped_column(String(32))
    hit: Mapped[bool] = mapped_column()
    summary_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    queried_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    queried_at: Mapped[datetime] = mapped_column(default=utcnow)

    summary = Encrypted()

    signal: Mapped[Signal] = relationship()

    @property
    def register_label(self) -> str:
        return REGISTERS.get(self.register, self.register)


# --- meetings -------------------------------------------------------------------------

MEETING_KINDS = {"regulier": "Regulier", "ad_hoc": "Ad hoc"}
MEETING_STATUSES = {"concept": "In voorbereiding", "gepubliceerd": "Agenda gepubliceerd", "gesloten": "Gesloten"}

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


class Meeting(db.Model):
    """One session of the casustafel (not 'session': that word is Flask's)."""

    __tablename__ = "meeting"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    held_at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(16), default="regulier")
    chair_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    agenda_cutoff: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="concept", index=True)
    published_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

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

    meeting: Mapped[Meeting] = relationship(back_populates="invitees")
    user: Mapped[User] = relationship()
    department: Mapped[Department | None] = relationship()


class AgendaItem(db.Model):
    """A signal on a meeting's agenda, with notes and the decision taken."""

    __tablename__ = "agenda_item"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    carried_from_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agenda_item.id"))
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


# --- actions --------------------------------------------------------------------------

ACTION_TYPES = {
    "13b_opiumwet": "Sluiting art. 13b Opiumwet",
    "bibob": "Bibob-toets",
    "handhaving": "Handhaving",
    "adresonderzoek_brp": "Adresonderzoek BRP",
    "integrale_controle": "Integrale controle",
    "stopgesprek": "Stopgesprek",
    "overig": "Overig",
}
ACTION_STATUSES = {"open": "Open", "in_uitvoering": "In uitvoering", "afgerond": "Afgerond"}


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

    def is_overdue(self, today: date) -> bool:
        return self.status != "afgerond" and self.deadline < today


class Setting(db.Model):
    """A municipality-wide setting the admin can change (e.g. who records privacy checks)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
