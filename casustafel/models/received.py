"""Restricted received information: what the municipality got from the police, the OM, Bureau
Bibob or a RIEC partner, under the ground it came (Wpg, Wjsg, art. 28 Wet Bibob, WGS).

It never leaves on its own: not in a referral package, not on an agenda, not in an answer to a
data subject. One record may be used further only through an exception the coordinator asks
with reasons and a privacy officer other than the asker approves. Bibob information never goes
to others (art. 28 Wet Bibob: a closed list of recipients). By default a record is deleted
when the case closes; the ground says so.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, LargeBinary, String, Uuid, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models.base import Encrypted, Vocabulary, new_uuid
from casustafel.models.referral import Referral
from casustafel.models.signal import Signal
from casustafel.models.user import User


class ReceivedSource(Vocabulary):
    POLITIE = "politie", "Politie"
    OM = "om", "Openbaar Ministerie"
    RIEC = "riec", "RIEC-partner"
    BIBOB = "bibob", "Bureau Bibob / Bibob-informatie"


@dataclass(frozen=True)
class Ground:
    source: str
    label: str
    deleted_on_close: bool = True  # a ground may let the record outlive the case; none does yet


UNKNOWN_GROUND = "onbekend"

# The ground each source provides under. Only the articles the legal model's source list names
# (Wpg art. 16(1)(c), 19, 20; art. 28 Wet Bibob); for the Wjsg and the WGS the law is named
# without an article (te verifiëren).
GROUNDS = {
    "wpg_16_1_c": Ground(ReceivedSource.POLITIE, "Art. 16 lid 1 sub c Wpg (aan de burgemeester, openbare orde)"),
    "wpg_19": Ground(ReceivedSource.POLITIE, "Art. 19 Wpg (incidentele verstrekking)"),
    "wpg_20": Ground(ReceivedSource.POLITIE, "Art. 20 Wpg (samenwerkingsverband, met voorwaarden)"),
    "wjsg": Ground(ReceivedSource.OM, "Wet justitiële en strafvorderlijke gegevens (Wjsg)"),
    "wgs": Ground(ReceivedSource.RIEC, "Wet gegevensverwerking door samenwerkingsverbanden (WGS)"),
    "bibob_28": Ground(ReceivedSource.BIBOB, "Art. 28 Wet Bibob (geheimhouding, gesloten kring van ontvangers)"),
    # Police information recorded before the ground was asked for (migration 0020).
    UNKNOWN_GROUND: Ground(ReceivedSource.POLITIE, "Onbekend — niet vastgelegd"),
}


def grounds_for(source: str) -> dict[str, str]:
    """The grounds a coordinator may choose for this source (never ‘onbekend’)."""
    return {code: g.label for code, g in GROUNDS.items() if g.source == source and code != UNKNOWN_GROUND}


class ExceptionUse(Vocabulary):
    VERSTREKKING = "verstrekking", "Opnemen in een verstrekking aan een partner"
    EIGEN_TAAK = "eigen_taak", ("Gebruik voor een wettelijke taak van de gemeente zelf, bijvoorbeeld de motivering "
                                "van een besluit op grond van art. 13b Opiumwet")


class ExceptionStatus(Vocabulary):
    AANGEVRAAGD = "aangevraagd", "Wacht op de privacyfunctionaris"
    GOEDGEKEURD = "goedgekeurd", "Goedgekeurd"
    AFGEWEZEN = "afgewezen", "Afgewezen"


class ReceivedInformation(db.Model):
    """One piece of received information, marked with its source and ground."""

    __tablename__ = "received_information"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    ground: Mapped[str] = mapped_column(String(32))
    received_on: Mapped[date] = mapped_column(Date)
    content_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    provider_reference_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    conditions_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    recipients_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    delete_on_close: Mapped[bool] = mapped_column(default=True, server_default=true())
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    content = Encrypted()
    provider_reference = Encrypted()
    conditions = Encrypted()  # what the provider attached (e.g. art. 20 Wpg)
    recipients = Encrypted()  # who may receive it, as the provider said

    signal: Mapped[Signal] = relationship()

    @property
    def source_label(self) -> str:
        return ReceivedSource.labels().get(self.source, self.source)

    @property
    def ground_label(self) -> str:
        ground = GROUNDS.get(self.ground)
        return ground.label if ground else self.ground

    @property
    def is_bibob(self) -> bool:
        return self.source == ReceivedSource.BIBOB


class ReceivedInformationException(db.Model):
    """An asked exception to use one record further: for one named use (and referral)."""

    __tablename__ = "received_information_exception"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    information_id: Mapped[uuid.UUID] = mapped_column(
        # Named: the convention's name would pass PostgreSQL's 63 characters.
        ForeignKey("received_information.id", ondelete="CASCADE", name="fk_received_information_exception_information"),
        index=True)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    use: Mapped[str] = mapped_column(String(16))
    referral_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=ExceptionStatus.AANGEVRAAGD.value, index=True)
    task_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reasoning_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column()
    decision_reasoning_enc: Mapped[bytes | None] = mapped_column(LargeBinary)

    task = Encrypted()  # the statutory task the use serves
    reasoning = Encrypted()
    decision_reasoning = Encrypted()

    information: Mapped[ReceivedInformation] = relationship()
    referral: Mapped[Referral | None] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def use_label(self) -> str:
        return ExceptionUse.labels().get(self.use, self.use)

    @property
    def status_label(self) -> str:
        return ExceptionStatus.labels().get(self.status, self.status)
