"""Referrals (verstrekkingen) to partners.

A referral records to whom, what, on which legal ground (its text as the list read then),
approved by which privacy check 2B, and what came back. Its package (PDF) lies encrypted in
the attachment store with its SHA-256. Information the municipality received lives in
models/received.py.
"""

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, LargeBinary, String, Uuid, event, false, func, select
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from casustafel.dates import to_local, utcnow
from casustafel.extensions import db
from casustafel.models.base import Encrypted, Vocabulary, new_uuid
from casustafel.models.checks import SHAREABLE_FIELDS
from casustafel.models.signal import Signal
from casustafel.models.user import User

REFERRAL_CHANNELS = {
    "beveiligde_mail": "Beveiligde e-mail",
    "riec_portaal": "RIEC-portaal / iKGO",
    "persoonlijk": "Persoonlijk overhandigd",
    "brief": "Brief",
    "telefoon": "Telefonisch",
}

class ReferralStatus(Vocabulary):
    CONCEPT = "concept", "Concept"
    VERSTUURD = "verstuurd", "Verstuurd"
    ONTVANGEN = "ontvangen", "Ontvangen door partner"
    IN_BEHANDELING = "in_behandeling", "In behandeling bij partner"
    AFGEROND = "afgerond", "Afgerond"


REFERRAL_STATUSES = ReferralStatus.labels()


# A sent referral whose partner has not yet answered (its feedback can be overdue).
AWAITING_ANSWER = (ReferralStatus.VERSTUURD, ReferralStatus.ONTVANGEN, ReferralStatus.IN_BEHANDELING)


def category_labels(codes) -> str:
    return ", ".join(SHAREABLE_FIELDS.get(code, code) for code in codes or []) or "geen"


class Partner(db.Model):
    """A recipient of referrals: police, RIEC, OM, … or an internal department (admin list)."""

    __tablename__ = "partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    internal: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Referral(db.Model):
    __tablename__ = "referral"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    # VS-YYYY-NNNN: the year it was recorded (Dutch calendar) and its number in that year; given
    # on insert (`_give_reference`), so every way of making a referral gets one.
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="concept", index=True)
    purpose_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    legal_ground: Mapped[str] = mapped_column(String(32))  # the code of a LegalGround, or a former one
    # The ground as the list read when the referral was recorded: the list may change, this does not.
    legal_ground_text: Mapped[str] = mapped_column(String(500))
    legal_ground_note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    data_categories: Mapped[list] = mapped_column(JSON)  # requested by the coordinator
    # The municipality hands the case over with it (weging 3/4 or a meeting decision): sending it
    # moves the signal to ‘doorgezet’. An internal handover is one to an internal partner.
    hands_over: Mapped[bool] = mapped_column(default=False, server_default=false())
    # What left: exactly the categories the package was rendered with; None until it is sent.
    sent_categories: Mapped[list | None] = mapped_column(JSON)
    channel: Mapped[str | None] = mapped_column(String(32))
    sent_on: Mapped[date | None] = mapped_column(Date, index=True)
    recipient_reference_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    feedback_due: Mapped[date | None] = mapped_column(Date, index=True)
    answer_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    answered_on: Mapped[date | None] = mapped_column(Date)
    package_wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    package_digest: Mapped[str | None] = mapped_column(String(64))
    package_sha256: Mapped[str | None] = mapped_column(String(64))
    package_size: Mapped[int | None] = mapped_column(BigInteger)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_reminded_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    purpose = Encrypted()
    legal_ground_note = Encrypted()
    recipient_reference = Encrypted()
    answer = Encrypted()

    signal: Mapped[Signal] = relationship()
    partner: Mapped[Partner] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        return REFERRAL_STATUSES.get(self.status, self.status)

    @property
    def legal_ground_label(self) -> str:
        """The ground as recorded with the referral, whatever the list says today."""
        return self.legal_ground_text

    @property
    def channel_label(self) -> str | None:
        return REFERRAL_CHANNELS.get(self.channel, self.channel) if self.channel else None

    def feedback_overdue(self, today: date) -> bool:
        """Feedback was asked for, is past its date and the partner has not answered."""
        return bool(self.feedback_due and not self.answered_on and self.status in AWAITING_ANSWER
                    and self.feedback_due < today)

    @property
    def is_sent(self) -> bool:
        return self.sent_on is not None

    @property
    def requested_label(self) -> str:
        return category_labels(self.data_categories)

    @property
    def disclosed_label(self) -> str:
        """What the municipality disclosed: the package's categories, never the requested ones."""
        if not self.is_sent:
            return "Niets: nog niet verstuurd"
        if self.sent_categories is None:
            return "Niet vastgelegd bij het versturen"
        return category_labels(self.sent_categories)

    @property
    def withheld_categories(self) -> list[str]:
        """Requested but not in the package (check 2B refused them); empty while unknown."""
        if self.sent_categories is None:
            return []
        return [code for code in self.data_categories or [] if code not in self.sent_categories]


REFERENCE_PREFIX = "VS"


def reference_prefix(created_at: datetime) -> str:
    return f"{REFERENCE_PREFIX}-{to_local(created_at).year}-"


def reference_number(reference: str | None) -> int:
    """The number in VS-2026-0007 (7); 0 for anything else."""
    tail = (reference or "").rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def next_reference(connection, created_at: datetime, pending=()) -> str:
    """The year's next VS-YYYY-NNNN after the highest stored and those `pending` in this flush.
    Two sessions may compute the same one: the unique index refuses the second
    (referrals.services.create_referral then tries again)."""
    prefix = reference_prefix(created_at)
    highest = connection.execute(  # the longest, then highest: VS-2026-10000 comes after VS-2026-9999
        select(Referral.reference).where(Referral.reference.like(f"{prefix}%"))
        .order_by(func.length(Referral.reference).desc(), Referral.reference.desc()).limit(1)
    ).scalar()
    taken = [reference_number(highest)] + [reference_number(r) for r in pending if r and r.startswith(prefix)]
    return f"{prefix}{max(taken) + 1:04d}"


@event.listens_for(Referral, "before_insert")
def _give_reference(mapper, connection, target: Referral) -> None:
    if target.reference:
        return
    if target.created_at is None:
        target.created_at = utcnow()
    session = object_session(target)
    pending = [r.reference for r in (session.new if session else ()) if isinstance(r, Referral) and r is not target]
    target.reference = next_reference(connection, target.created_at, pending)
