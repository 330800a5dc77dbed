"""Assignment and notes: which coordinator (regisseur) holds a signal, handing a leaver's signals
over to a colleague, and the coordinators' internal notes on a signal.

The owner is always an active coordinator, or nobody. Every change of owner is logged per
signal (`signal.owner_changed`, never a name: the event's actor and object say enough), so each
signal a hand-over touched can be traced. Notes are encrypted, append-only (models/note.py
refuses any change or removal) and logged without their text (`signal_note.added`).

Assigning is not processing of the data subject's data (art. 18 AVG): it only says which
colleague takes care of the signal, and a restricted signal still needs someone who watches it
until the privacy officer lifts the restriction. So it is not refused while processing is
restricted; a note adds content about the case and is.
"""

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.forms import FieldError, checked_text
from casustafel.models import Signal, SignalNote, User, UserRole
from casustafel.models.roles import Role
from casustafel.models.user import active_with_role
from casustafel.processing import refuse_if_restricted
from casustafel.signals.workflow import CLOSED

NOTE_MAX = 4000
NOT_A_COORDINATOR = "Kies een regisseur uit de lijst: alleen een actieve regisseur kan een melding in beheer hebben."
NOT_A_FORMER_OWNER = "Kies uit de lijst van wie de meldingen worden overgedragen."
SAME_COORDINATOR = "Kies een andere regisseur dan degene van wie u de meldingen overdraagt."
NOTE_MISSING = "Schrijf de notitie."


class AssignmentError(FieldError):
    """A refused assignment or hand-over, with a Dutch message for the field it is about."""


class NoteError(FieldError):
    """A refused note, with a Dutch message next to the text field."""

    def __init__(self, message: str, field: str | None = "text"):
        super().__init__(message, field)


def coordinators() -> list[User]:
    """Who can hold a signal: the active coordinators, by name."""
    return active_with_role(Role.COORDINATOR)


def active_coordinator(user_id) -> User | None:
    """The active coordinator with this id, or None (an unknown id, another role, deactivated)."""
    try:
        user_id = uuid.UUID(str(user_id))
    except ValueError:
        return None
    return db.session.scalar(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(User.id == user_id, User.active.is_(True), UserRole.role == Role.COORDINATOR.value)
    )


def open_signals():
    """The select of signals still being worked on: not closed, not destroyed."""
    return select(Signal).where(Signal.status != CLOSED, Signal.destroyed_at.is_(None))


def set_owner(actor, signal: Signal, owner_id, *, reason_code: str | None = None) -> bool:
    """Make the coordinator with `owner_id` (None: nobody) the signal's owner; False when nothing
    changed. AssignmentError (field "owner") for anyone who is not an active coordinator."""
    # Not refuse_if_restricted: see the module docstring (who looks after it is no processing).
    owner = None
    if owner_id not in (None, ""):
        owner = active_coordinator(owner_id)
        if owner is None:
            raise AssignmentError(NOT_A_COORDINATOR, "owner")
    if signal.owner_id == (owner.id if owner else None):
        return False
    signal.owner_id = owner.id if owner else None
    signal.owner = owner
    record(actor, "signal.owner_changed", signal, reason_code=reason_code, purpose="casustafel")
    return True


def former_owners() -> list[tuple[User, int]]:
    """Whose signals can be handed over, with their number of open signals: every coordinator,
    active or deactivated, and anyone else who still holds open signals (a coordinator whose
    role was taken away)."""
    counts = open_counts()
    holders = select(UserRole.user_id).where(UserRole.role == Role.COORDINATOR.value)
    users = db.session.scalars(
        select(User).where(User.id.in_(holders) | User.id.in_(list(counts))).order_by(User.display_name)
    ).all()
    return [(user, counts.get(user.id, 0)) for user in users]


def open_without_owner():
    """The select of the number of open signals without an owner."""
    return select(func.count(Signal.id)).where(
        Signal.status != CLOSED, Signal.destroyed_at.is_(None), Signal.owner_id.is_(None))


def open_counts() -> dict:
    """{owner id: number of open signals they hold}."""
    rows = db.session.execute(
        select(Signal.owner_id, func.count(Signal.id))
        .where(Signal.status != CLOSED, Signal.destroyed_at.is_(None), Signal.owner_id.is_not(None))
        .group_by(Signal.owner_id)
    ).all()
    return {owner_id: count for owner_id, count in rows}


def hand_over(actor, from_id, to_id) -> int:
    """Give every open signal of `from_id` to the active coordinator `to_id`, in the caller's
    transaction; return how many moved. Closed signals keep their owner (the record of who
    held them). Each moved signal gets its own `signal.owner_changed` event."""
    try:
        from_id = uuid.UUID(str(from_id))
    except ValueError:
        raise AssignmentError(NOT_A_FORMER_OWNER, "from_owner") from None
    if from_id not in {user.id for user, _ in former_owners()}:
        raise AssignmentError(NOT_A_FORMER_OWNER, "from_owner")
    to = active_coordinator(to_id)
    if to is None:
        raise AssignmentError(NOT_A_COORDINATOR, "to_owner")
    if to.id == from_id:
        raise AssignmentError(SAME_COORDINATOR, "to_owner")
    signals = db.session.scalars(
        open_signals().where(Signal.owner_id == from_id).order_by(Signal.received_at).with_for_update()
    ).all()
    for signal in signals:
        set_owner(actor, signal, to.id, reason_code="overdracht")
    return len(signals)


def add_note(actor, signal: Signal, text: str) -> SignalNote:
    """Add an internal note (NoteError when it is empty, too long or the processing is restricted)."""
    if signal.destroyed_at:
        raise NoteError("De bewaartermijn van deze melding is verlopen: er kunnen geen notities meer bij.")
    refuse_if_restricted(signal, NoteError)  # a note adds content about the case: processing
    note = SignalNote(signal_id=signal.id, author_id=actor.id if actor else None)
    note.text = checked_text(text, NoteError, missing=NOTE_MISSING, maximum=NOTE_MAX)
    db.session.add(note)
    db.session.flush()
    record(actor, "signal_note.added", note, purpose="casustafel")
    return note


def notes_of(signal: Signal) -> list[SignalNote]:
    """The signal's notes, newest first, with their authors."""
    return list(db.session.scalars(
        select(SignalNote).options(joinedload(SignalNote.author))
        .where(SignalNote.signal_id == signal.id).order_by(SignalNote.created_at.desc())
    ))
