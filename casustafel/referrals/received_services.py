"""Restricted received information: recording it, the exceptions for using one record further,
and deleting it when the case closes (models/received.py says the rules).

Services take the actor explicitly and never commit. Nothing here puts content anywhere: the
package builder asks `approved_for_referral(referral)`, which answers only records with an
approved exception naming that very referral.
"""

from datetime import date

from sqlalchemy import delete, func, select

from casustafel.audit_log import record
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.forms import FieldError
from casustafel.models import (
    GROUNDS,
    ExceptionStatus,
    ExceptionUse,
    ReceivedInformation,
    ReceivedInformationException,
    ReceivedSource,
    Referral,
    User,
)
from casustafel.models.roles import Role
from casustafel.notifications import notify
from casustafel.processing import refuse_if_restricted
from casustafel.signals.workflow import closed

PURPOSE = "casustafel"
EXCEPTION_PURPOSE = "privacytoets"

CLOSED = "Deze melding is afgesloten: ontvangen informatie wordt niet meer bewaard of gebruikt."
BIBOB_NEVER_TO_OTHERS = ("Bibob-informatie mag nooit aan anderen worden verstrekt: art. 28 Wet Bibob kent een "
                         "gesloten kring van ontvangers. Een uitzondering voor een verstrekking is niet mogelijk.")
OWN_REQUEST = ("U heeft deze uitzondering zelf aangevraagd. Een andere privacyfunctionaris besluit erover "
               "(vier ogen).")


class ReceivedError(FieldError):
    """A refused change to received information, with a Dutch message for the user."""


def received_information_of(signal) -> list[ReceivedInformation]:
    return list(db.session.scalars(
        select(ReceivedInformation).where(ReceivedInformation.signal_id == signal.id)
        .order_by(ReceivedInformation.received_on, ReceivedInformation.created_at)
    ))


def add_received_information(actor, signal, *, ground: str, received_on: date, content: str,
                             provider_reference: str | None = None, conditions: str | None = None,
                             recipients: str | None = None) -> ReceivedInformation:
    """Record information received under `ground`; its source follows from the ground."""
    refuse_if_restricted(signal, ReceivedError)
    if signal.status == "afgesloten":
        raise ReceivedError(CLOSED)
    chosen = GROUNDS.get(ground)
    if chosen is None:
        raise ReceivedError("Kies de bron en de grondslag waaronder de informatie is ontvangen.", "ground")
    item = ReceivedInformation(signal_id=signal.id, source=chosen.source.value, ground=ground, received_on=received_on,
                               delete_on_close=chosen.deleted_on_close, recorded_by_id=getattr(actor, "id", None))
    item.content = content
    item.provider_reference = provider_reference or None
    item.conditions = conditions or None
    item.recipients = recipients or None
    db.session.add(item)
    db.session.flush()
    record(actor, "received_information.recorded", item, purpose=PURPOSE, reason_code=item.source)
    return item


# --- exceptions ---------------------------------------------------------------------------


def exceptions_of(signal) -> list[ReceivedInformationException]:
    return list(db.session.scalars(
        select(ReceivedInformationException).where(ReceivedInformationException.signal_id == signal.id)
        .order_by(ReceivedInformationException.requested_at)
    ))


def open_referrals(signal) -> list[Referral]:
    """The referrals an exception for a package may name: concepts of this signal."""
    return list(db.session.scalars(
        select(Referral).where(Referral.signal_id == signal.id, Referral.sent_on.is_(None))
        .order_by(Referral.created_at)
    ))


def request_exception(actor, item: ReceivedInformation, *, use: str, referral: Referral | None, task: str,
                      reasoning: str) -> ReceivedInformationException:
    """Ask the privacy officer to let one record be used for one named use (and referral)."""
    refuse_if_restricted(item.signal, ReceivedError)
    if item.signal.status == "afgesloten":
        raise ReceivedError(CLOSED)
    if use not in ExceptionUse.labels():
        raise ReceivedError("Kies waarvoor de informatie nodig is.", "use")
    if use == ExceptionUse.VERSTREKKING:
        if item.is_bibob:
            raise ReceivedError(BIBOB_NEVER_TO_OTHERS, "use")
        if referral is None or referral.signal_id != item.signal_id or referral.sent_on is not None:
            raise ReceivedError("Kies de verstrekking (nog niet verstuurd) waarin de informatie mag komen.",
                                "referral_id")
    else:
        referral = None
    if _asked_already(item, use, referral):
        raise ReceivedError("Voor dit gebruik is al een uitzondering aangevraagd of goedgekeurd.", "use")
    exception = ReceivedInformationException(
        information_id=item.id, signal_id=item.signal_id, use=use, referral_id=referral.id if referral else None,
        status=ExceptionStatus.AANGEVRAAGD.value, requested_by_id=getattr(actor, "id", None),
    )
    exception.task = task
    exception.reasoning = reasoning
    db.session.add(exception)
    db.session.flush()
    record(actor, "received_information.exception_requested", exception, purpose=EXCEPTION_PURPOSE,
           reason_code=use)
    for user in db.session.scalars(select(User).where(User.active.is_(True))):
        if user.has_role(Role.PRIVACY_OFFICER) and user.id != getattr(actor, "id", None):
            notify(user, "Uitzondering aangevraagd", "Er wacht een aangevraagde uitzondering op uw besluit.")
    return exception


def _asked_already(item, use, referral) -> bool:
    return db.session.scalar(select(ReceivedInformationException.id).where(
        ReceivedInformationException.information_id == item.id, ReceivedInformationException.use == use,
        ReceivedInformationException.referral_id == (referral.id if referral else None),
        ReceivedInformationException.status.in_((ExceptionStatus.AANGEVRAAGD, ExceptionStatus.GOEDGEKEURD)),
    ).limit(1)) is not None


def decide_exception(actor, exception: ReceivedInformationException, *, approved: bool,
                     reasoning: str) -> None:
    """The privacy officer approves or refuses, with reasons; never the asker (four eyes)."""
    if not actor.has_role(Role.PRIVACY_OFFICER):
        raise ReceivedError("Alleen een privacyfunctionaris besluit over een uitzondering.")
    if exception.requested_by_id == actor.id:
        raise ReceivedError(OWN_REQUEST)
    if exception.status != ExceptionStatus.AANGEVRAAGD:
        raise ReceivedError("Over deze uitzondering is al besloten.")
    refuse_if_restricted(exception.information.signal, ReceivedError)
    if approved and exception.use == ExceptionUse.VERSTREKKING:
        if exception.information.is_bibob:
            raise ReceivedError(BIBOB_NEVER_TO_OTHERS, "approved")
        if exception.referral is None or exception.referral.sent_on is not None:
            raise ReceivedError("De genoemde verstrekking is al verstuurd of bestaat niet meer: de informatie kan "
                                "er niet meer in. Wijs de uitzondering af.", "approved")
    exception.status = (ExceptionStatus.GOEDGEKEURD if approved else ExceptionStatus.AFGEWEZEN).value
    exception.decided_by_id = actor.id
    exception.decided_at = utcnow()
    exception.decision_reasoning = reasoning
    record(actor, "received_information.exception_decided", exception, purpose=EXCEPTION_PURPOSE,
           reason_code=exception.status)


def pending_exceptions() -> list[ReceivedInformationException]:
    return list(db.session.scalars(
        select(ReceivedInformationException)
        .where(ReceivedInformationException.status == ExceptionStatus.AANGEVRAAGD)
        .order_by(ReceivedInformationException.requested_at)
    ))


def count_pending_exceptions() -> int:
    return db.session.scalar(
        select(func.count()).select_from(ReceivedInformationException)
        .where(ReceivedInformationException.status == ExceptionStatus.AANGEVRAAGD)
    )


def decided_by(user, limit: int = 20) -> list[ReceivedInformationException]:
    return list(db.session.scalars(
        select(ReceivedInformationException).where(ReceivedInformationException.decided_by_id == user.id)
        .order_by(ReceivedInformationException.decided_at.desc()).limit(limit)
    ))


def approved_for_referral(referral: Referral) -> list[ReceivedInformation]:
    """The records an approved exception lets into this referral's package: no other record, no
    other referral, never Bibob information."""
    return list(db.session.scalars(
        select(ReceivedInformation)
        .join(ReceivedInformationException, ReceivedInformationException.information_id == ReceivedInformation.id)
        .where(
            ReceivedInformationException.referral_id == referral.id,
            ReceivedInformationException.use == ExceptionUse.VERSTREKKING,
            ReceivedInformationException.status == ExceptionStatus.GOEDGEKEURD,
            ReceivedInformation.signal_id == referral.signal_id,
            ReceivedInformation.source != ReceivedSource.BIBOB,
        )
        .order_by(ReceivedInformation.received_on, ReceivedInformation.created_at)
    ))


def record_provided(actor, referral: Referral) -> None:
    """Log each record the sent package held, in the transaction (and request) of `referral.sent`:
    the log keeps that it left after the record itself is deleted at closing."""
    for item in approved_for_referral(referral):
        record(actor, "received_information.provided", item, purpose="verstrekking", reason_code=item.source)


# --- deletion at closing --------------------------------------------------------------------


@closed.connect
def _delete_received_information_when_closed(signal, actor=None, **_) -> None:
    delete_received_information(actor, signal)


def delete_received_information(actor, signal) -> int:
    """Delete what the ground lets live only until the case closes, with its exceptions; log it
    once. Return the count."""
    ids = list(db.session.scalars(select(ReceivedInformation.id).where(
        ReceivedInformation.signal_id == signal.id, ReceivedInformation.delete_on_close.is_(True))))
    if not ids:
        return 0
    db.session.execute(delete(ReceivedInformationException)
                       .where(ReceivedInformationException.information_id.in_(ids))
                       .execution_options(synchronize_session="fetch"))
    db.session.execute(delete(ReceivedInformation).where(ReceivedInformation.id.in_(ids))
                       .execution_options(synchronize_session="fetch"))
    record(actor, "received_information.deleted", signal, purpose="bewaartermijn", reason_code="melding_afgesloten")
    return len(ids)
