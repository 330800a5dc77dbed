"""A signal (melding) with its subjects, locations, attachments and status history.

Every personal-data and free-text field is an Encrypted() attribute over a `<name>_enc`
column; blind-index columns hold truncated HMACs for "other signals about this ...".
"""

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Date, ForeignKey, LargeBinary, SmallInteger, String, Table, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models.base import Encrypted, Vocabulary, new_uuid
from casustafel.models.catalogue import Indicator, Phenomenon
from casustafel.models.user import Department, User

CHANNELS = {
    "meldpunt": "Meldpunt (intern formulier)",
    "telefoon": "Telefoon",
    "mma": "Meld Misdaad Anoniem",
    "politie": "Politie",
    "riec": "RIEC",
    "eigen_waarneming": "Eigen waarneming",
    "email": "E-mail meldpunt",
}

class SignalStatus(Vocabulary):
    INGEDIEND = "ingediend", "Ingediend"
    INTAKE = "intake", "Intake"
    WEGING = "weging", "Weging"
    BRONNENONDERZOEK = "bronnenonderzoek", "Bronnenonderzoek"
    GEAGENDEERD = "geagendeerd", "Geagendeerd"
    BESPROKEN = "besproken", "Besproken"
    IN_AANPAK = "in_aanpak", "In aanpak"
    MONITORING = "monitoring", "Monitoring"
    AANVULLING_GEVRAAGD = "aanvulling_gevraagd", "Aanvulling gevraagd"
    DOORGEZET = "doorgezet", "Doorgezet"
    AFGESLOTEN = "afgesloten", "Afgesloten"


STATUSES = SignalStatus.labels()

SUBJECT_KINDS = {"persoon": "Persoon", "organisatie": "Organisatie"}
SUBJECT_ROLES = {
    "vermoedelijk_betrokkene": "Vermoedelijk betrokkene",
    "eigenaar": "Eigenaar",
    "huurder": "Huurder",
    "bestuurder": "Bestuurder",
    "mogelijk_slachtoffer": "Mogelijk slachtoffer",
}

signal_indicator = Table(
    "signal_indicator",
    db.metadata,
    Column("signal_id", ForeignKey("signal.id", ondelete="CASCADE"), primary_key=True),
    Column("indicator_id", ForeignKey("indicator.id"), primary_key=True),
)

BlindIndex = BigInteger().with_variant(db.Integer, "sqlite")


class ReferenceCounter(db.Model):
    """How many references a year has given out; its row lock keeps references unique. The
    year's permutation key turns the n-th into an unpredictable number (signals/services.py)."""

    __tablename__ = "reference_counter"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)
    permutation_key: Mapped[bytes | None] = mapped_column(LargeBinary)


class Signal(db.Model):
    __tablename__ = "signal"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(32), index=True)
    urgent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(32), default="ingediend", index=True)
    phenomenon_id: Mapped[int | None] = mapped_column(ForeignKey("phenomenon.id"), index=True)
    observed_from: Mapped[date | None] = mapped_column(Date)
    observed_until: Mapped[date | None] = mapped_column(Date)
    description_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    indicator_explanation_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The coordinator's anonymised summary: what members (2A/2B) and packages get instead of
    # the reporter's own words, whose wording can identify them (setting reporter_summary_required).
    summary_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    summary_recorded_at: Mapped[datetime | None] = mapped_column()
    reporter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    reporter_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    reporter_phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    registered_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    # The coordinator (regisseur) who holds the signal: one of the coordinators, or nobody yet.
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    status_before_question: Mapped[str | None] = mapped_column(String(32))
    closed_at: Mapped[datetime | None] = mapped_column(index=True)
    closing_reason: Mapped[str | None] = mapped_column(String(64))
    legal_hold: Mapped[bool] = mapped_column(default=False)
    legal_hold_reason: Mapped[str | None] = mapped_column(String(32))
    legal_hold_since: Mapped[datetime | None] = mapped_column()
    # Set by retention: content, attachments and blind indexes are gone; the row is a
    # tombstone (reference, phenomenon, dates, outcome) for statistics.
    destroyed_at: Mapped[datetime | None] = mapped_column(index=True)
    # Open too long without activity: when the coordinators were last reminded (retention).
    long_open_reminded_at: Mapped[datetime | None] = mapped_column()
    # Taken over from the municipality's former register (`flask import signals`): a keyed hash of
    # the row, so rerunning the same file creates nothing twice. No personal data (an HMAC).
    import_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Made with a form: a keyed hash of the form's one-time submission key (signals/services.py
    # `submission_hash`), so a second POST of the same form (a double click) creates nothing twice.
    # Cleared when retention destroys the signal.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    description = Encrypted()
    indicator_explanation = Encrypted()
    summary = Encrypted()
    reporter_phone = Encrypted()

    phenomenon: Mapped[Phenomenon | None] = relationship()
    indicators: Mapped[list[Indicator]] = relationship(secondary=signal_indicator)
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    reporter_department: Mapped[Department | None] = relationship()
    registered_by: Mapped[User | None] = relationship(foreign_keys=[registered_by_id])
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    subjects: Mapped[list["Subject"]] = relationship(
        back_populates="signal", cascade="all, delete-orphan", order_by="Subject.position"
    )
    locations: Mapped[list["Location"]] = relationship(
        back_populates="signal", cascade="all, delete-orphan", order_by="Location.position"
    )
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="signal", cascade="all, delete-orphan", order_by="Attachment.created_at"
    )
    events: Mapped[list["SignalEvent"]] = relationship(
        back_populates="signal", cascade="all, delete-orphan", order_by="SignalEvent.occurred_at"
    )
    feedback: Mapped[list["Feedback"]] = relationship(
        back_populates="signal", cascade="all, delete-orphan", order_by="Feedback.sent_at"
    )
    questions: Mapped[list["InformationRequest"]] = relationship(
        back_populates="signal", cascade="all, delete-orphan", order_by="InformationRequest.asked_at"
    )

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def channel_label(self) -> str:
        return CHANNELS.get(self.channel, self.channel)


class AddressMixin:
    """Dutch address fields, each encrypted; postcode+huisnummer feed a blind index."""

    postcode_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    house_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    house_number_addition_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    street_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    city_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    address_bidx: Mapped[int | None] = mapped_column(BlindIndex, index=True)
    # The width (bits) every *_bidx column of this row was made with; None: no index made.
    bidx_bits: Mapped[int | None] = mapped_column(SmallInteger)

    postcode = Encrypted()
    house_number = Encrypted()
    house_number_addition = Encrypted()
    street = Encrypted()
    city = Encrypted()

    @property
    def address_line(self) -> str:
        number = " ".join(p for p in (self.house_number, self.house_number_addition) if p)
        street = " ".join(p for p in (self.street, number) if p)
        place = " ".join(p for p in (self.postcode, self.city) if p)
        return ", ".join(p for p in (street, place) if p)


class Subject(AddressMixin, db.Model):
    """A person or organisation a signal is about (betrokkene)."""

    __tablename__ = "subject"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(32))
    name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    birth_date_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    kvk_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    person_bidx: Mapped[int | None] = mapped_column(BlindIndex, index=True)
    organisation_bidx: Mapped[int | None] = mapped_column(BlindIndex, index=True)
    kvk_bidx: Mapped[int | None] = mapped_column(BlindIndex, index=True)

    name = Encrypted()
    birth_date = Encrypted()
    kvk_number = Encrypted()

    signal: Mapped[Signal] = relationship(back_populates="subjects")

    @property
    def kind_label(self) -> str:
        return SUBJECT_KINDS.get(self.kind, self.kind)

    @property
    def role_label(self) -> str:
        return SUBJECT_ROLES.get(self.role, self.role)


class Location(AddressMixin, db.Model):
    """Premises or an address involved in a signal (object / adres)."""

    __tablename__ = "location"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    bag_id_enc: Mapped[bytes | None] = mapped_column(LargeBinary)

    bag_id = Encrypted()

    signal: Mapped[Signal] = relationship(back_populates="locations")


class Attachment(db.Model):
    """A file with a signal: content in the encrypted store, name encrypted here."""

    __tablename__ = "attachment"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    filename_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    digest: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    filename = Encrypted()

    signal: Mapped[Signal] = relationship(back_populates="attachments")


class SignalEvent(db.Model):
    """One immutable step in a signal's history (status change, with actor and reason)."""

    __tablename__ = "signal_event"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    reason_code: Mapped[str | None] = mapped_column(String(64))
    reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)

    reason = Encrypted()

    signal: Mapped[Signal] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


LEGAL_HOLD_REASONS = {"inzageverzoek": "Inzageverzoek", "bezwaar": "Bezwaar", "beroep": "Beroep", "overig": "Overig"}

FEEDBACK_MESSAGES = {
    "ontvangen": "Uw melding is ontvangen.",
    "in_behandeling": "Uw melding is in behandeling genomen.",
    "afgesloten": "Uw melding is afgesloten — geen verdere actie.",
    "doorgezet": "Uw melding is doorgezet naar een andere partij.",
    "afgehandeld": "Uw melding is afgehandeld.",
    "aanvullende_vraag": "Er is een aanvullende vraag over uw melding.",
}


class FeedbackLevel(Vocabulary):
    """How much the reporter hears (setting `feedback_level`, per municipality)."""

    GEEN = "geen", "Geen terugkoppeling: alleen ‘Uw melding is ontvangen’"
    STANDAARD = "standaard", "Alleen vaste standaardberichten (ontvangen, in behandeling, afgehandeld)"
    STATUSSEN = "statussen", "Status van de melding en alle standaardberichten"


# Under the standard level every message is one of the fixed texts: what happened to the
# signal (closed or handed over) is not told, only that it was dealt with.
STANDARD_FEEDBACK = {
    "ontvangen": "ontvangen",
    "in_behandeling": "in_behandeling",
    "afgesloten": "afgehandeld",
    "doorgezet": "afgehandeld",
    "afgehandeld": "afgehandeld",
    "aanvullende_vraag": "aanvullende_vraag",
}


class ReporterStatus(Vocabulary):
    """What the reporter is told about where their signal stands: never an internal status."""

    ONTVANGEN = "ontvangen", "Ontvangen"
    IN_BEHANDELING = "in_behandeling", "In behandeling"
    VRAAG = "vraag", "Vraag aan u"
    AFGESLOTEN = "afgesloten", "Afgesloten"
    DOORGEZET = "doorgezet", "Doorgezet"
    AFGEHANDELD = "afgehandeld", "Afgehandeld"


# Every internal status in the reporter's words (feedback level "statussen"). While the question
# is open, aanvulling gevraagd reads "Vraag aan u" (signals/services.py); answered, it is work.
REPORTER_STATUS = {
    SignalStatus.INGEDIEND: ReporterStatus.ONTVANGEN,
    SignalStatus.INTAKE: ReporterStatus.IN_BEHANDELING,
    SignalStatus.WEGING: ReporterStatus.IN_BEHANDELING,
    SignalStatus.BRONNENONDERZOEK: ReporterStatus.IN_BEHANDELING,
    SignalStatus.GEAGENDEERD: ReporterStatus.IN_BEHANDELING,
    SignalStatus.BESPROKEN: ReporterStatus.IN_BEHANDELING,
    SignalStatus.IN_AANPAK: ReporterStatus.IN_BEHANDELING,
    SignalStatus.MONITORING: ReporterStatus.IN_BEHANDELING,
    SignalStatus.AANVULLING_GEVRAAGD: ReporterStatus.IN_BEHANDELING,
    SignalStatus.DOORGEZET: ReporterStatus.DOORGEZET,
    SignalStatus.AFGESLOTEN: ReporterStatus.AFGESLOTEN,
}

# Under the standard level the reporter hears that the signal was dealt with, not how.
STANDARD_STATUS = {ReporterStatus.AFGESLOTEN: ReporterStatus.AFGEHANDELD,
                   ReporterStatus.DOORGEZET: ReporterStatus.AFGEHANDELD}


class Feedback(db.Model):
    """A standard message to the reporter (terugkoppeling). Never content about subjects."""

    __tablename__ = "feedback"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))

    signal: Mapped[Signal] = relationship(back_populates="feedback")

    @property
    def message(self) -> str:
        return FEEDBACK_MESSAGES.get(self.code, self.code)


class InformationRequest(db.Model):
    """A question from the coordinator to the reporter, and the reporter's answer."""

    __tablename__ = "information_request"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    asked_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    question_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    answer_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    answered_at: Mapped[datetime | None] = mapped_column()

    question = Encrypted()
    answer = Encrypted()

    signal: Mapped[Signal] = relationship(back_populates="questions")


class Notification(db.Model):
    """An e-mail that says only that there is news: never what (the outbox)."""

    __tablename__ = "notification"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(2000))
    # An iCalendar invitation (date, time, place, organiser; never signal data), sent as text/calendar.
    calendar: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    # Refusals by the mail server for this message (not outages): after MAIL_MAX_ATTEMPTS the
    # message is given up (failed_at) and waits for `flask mail retry`.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(200))  # our Dutch reason and the SMTP code only
    failed_at: Mapped[datetime | None] = mapped_column()

    recipient: Mapped[User] = relationship()
