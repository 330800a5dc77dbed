"""Meetings: planning, the agenda, publication, decisions, closing and carrying items over.

Services take the actor explicitly and never commit: the view commits once, so a change, the
signal's status events and the log events succeed or fail together. Every signal status change
goes through the transition table (casustafel.signals.workflow.transition).
"""

from datetime import date, datetime

from sqlalchemy import func, select

from casustafel.actions import services as actions
from casustafel.audit_log import record
from casustafel.dates import to_local, utcnow
from casustafel.extensions import db
from casustafel.meetings import calendar
from casustafel.meetings.preparation import ask_2a_for_late_department, waiting_for_2a
from casustafel.models import (
    ATTENDANCE,
    Action,
    AgendaItem,
    Meeting,
    MeetingInvitee,
    MeetingStatus,
    PrivacyCheck,
    Signal,
    SignalEvent,
    User,
)
from casustafel.models.roles import Role
from casustafel.permissions import invitation
from casustafel.privacy.decisions import notify_privacy_officers
from casustafel.privacy.services import open_check, request_privacy_check
from casustafel.processing import is_restricted, refuse_if_restricted
from casustafel.signals.workflow import (
    AGENDA_SOURCES,
    CLOSED,
    NEEDS_NEXT_STEP,
    OFF_AGENDA,
    QUESTION,
    transition,
    weighed_for_case_meeting,
)

PURPOSE = "casustafel"

# Signals the coordinator may put on an agenda.
AGENDA_STATES = ("bronnenonderzoek", "besproken")

# Where a decision takes the signal after geagendeerd → besproken: (status, reason code).
DECISION_OUTCOMES: dict[str, tuple[str | None, str | None]] = {
    "geen_actie": (CLOSED, "besproken_geen_actie"),
    "monitoren": ("in_aanpak", None),
    "gemeentelijke_aanpak": ("in_aanpak", None),
    "intern_doorzetten": (None, None),
    "riec": (None, None),
    "politie": (None, None),
    "zorg_en_veiligheidshuis": (None, None),
    "volgende_keer": (None, None),
}
CARRY_OVER = "volgende_keer"

class MeetingError(ValueError):
    """A refused meeting change, with a Dutch message for the user."""


# --- planning ---------------------------------------------------------------------------


def create_meeting(actor, *, held_at: datetime, kind: str, chair_id, agenda_cutoff: date,
                   location: str | None = None, online_link: str | None = None) -> Meeting:
    """Plan a meeting; open items of closed meetings that wait for a next meeting move onto it."""
    meeting = Meeting(held_at=held_at, kind=kind, chair_id=chair_id, agenda_cutoff=agenda_cutoff,
                      location=location, online_link=online_link, status="concept")
    db.session.add(meeting)
    db.session.flush()
    record(actor, "meeting.created", meeting, purpose=PURPOSE)
    carry_over_pending(actor, meeting)
    return meeting


def update_meeting(actor, meeting: Meeting, *, held_at: datetime, kind: str, chair_id,
                   agenda_cutoff: date, location: str | None = None, online_link: str | None = None) -> None:
    """Change the facts; once published, a new time or place goes to every invitee's calendar."""
    ensure_open(meeting)
    before = calendar.timing(meeting)
    if agenda_cutoff != meeting.agenda_cutoff:
        meeting.cutoff_reminded_at = None  # a new cut-off earns its own reminder
    meeting.held_at, meeting.kind = held_at, kind
    meeting.chair = db.session.get(User, chair_id) if chair_id else None  # the invitation's organiser
    meeting.agenda_cutoff = agenda_cutoff
    meeting.location, meeting.online_link = location, online_link
    record(actor, "meeting.updated", meeting, purpose=PURPOSE)
    if meeting.status == MeetingStatus.GEPUBLICEERD and calendar.timing(meeting) != before:
        calendar.moved(meeting)


def ensure_open(meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.GESLOTEN:
        raise MeetingError("Dit overleg is gesloten en kan niet meer worden gewijzigd.")
    if meeting.status == MeetingStatus.AFGEZEGD:
        raise MeetingError("Dit overleg is afgezegd en kan niet meer worden gewijzigd.")


def invite(actor, meeting: Meeting, user: User, department_id: int | None = None) -> MeetingInvitee:
    """Invite a member with a department (default: the member's own). A member invited after
    publication gets the calendar invitation at once, without the agenda's content."""
    ensure_open(meeting)
    if not (user.active and user.has_role(Role.MEMBER)):
        raise MeetingError("Alleen actieve deelnemers van de casustafel kunnen worden uitgenodigd.")
    if invitation(user, meeting) is not None:
        raise MeetingError(f"{user.display_name} is al uitgenodigd.")
    invitee = MeetingInvitee(user_id=user.id, department_id=department_id or user.department_id)
    meeting.invitees.append(invitee)
    record(actor, "meeting.member_invited", meeting, purpose=PURPOSE)
    ask_2a_for_late_department(actor, meeting, invitee)  # a department the decided 2A does not cover
    if meeting.status == MeetingStatus.GEPUBLICEERD:
        calendar.send_invitation(meeting, user)
    return invitee


def uninvite(actor, meeting: Meeting, invitee: MeetingInvitee) -> None:
    """Withdraw an invitation; from then on the member no longer sees the agenda, and once
    published their calendar gets the cancellation."""
    ensure_open(meeting)
    user = invitee.user
    meeting.invitees.remove(invitee)
    record(actor, "meeting.member_uninvited", meeting, purpose=PURPOSE)
    if meeting.status == MeetingStatus.GEPUBLICEERD:
        calendar.uninvited(meeting, user)


# --- the agenda -------------------------------------------------------------------------


def agenda_candidates() -> list[Signal]:
    """Signals that may go on an agenda: besproken, or in bronnenonderzoek with weging 4 for
    the casustafel."""
    signals = db.session.scalars(select(Signal).where(Signal.status.in_(AGENDA_STATES)).order_by(Signal.received_at))
    return [s for s in signals if s.status != "bronnenonderzoek" or weighed_for_case_meeting(s)]


def _next_position(meeting: Meeting) -> int:
    current = db.session.scalar(
        select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting.id)
    )
    return (current or 0) + 1


def add_item(actor, meeting: Meeting, signal: Signal, today: date) -> AgendaItem:
    """Put a signal on a concept agenda (→ geagendeerd) and ask for privacy check 2A."""
    refuse_if_restricted(signal, MeetingError)
    if meeting.status != "concept":
        raise MeetingError("De agenda is al gepubliceerd; er kunnen geen punten meer bij.")
    if meeting.agenda_cutoff is not None and today > meeting.agenda_cutoff:
        raise MeetingError(
            f"De agenda is gesloten sinds {meeting.agenda_cutoff:%d-%m-%Y}. Wijzig de sluitingsdatum "
            "van de agenda als u toch nog een punt wilt toevoegen."
        )
    if signal.status not in AGENDA_STATES:
        raise MeetingError(
            f"Melding {signal.reference} kan niet worden geagendeerd: alleen meldingen in "
            "bronnenonderzoek of besproken."
        )
    if signal.status == "bronnenonderzoek" and not weighed_for_case_meeting(signal):
        raise MeetingError(f"Melding {signal.reference}: {NEEDS_NEXT_STEP[0].lower()}{NEEDS_NEXT_STEP[1:]}")
    previous = signal.status
    transition(actor, signal, "geagendeerd", reason_code="geagendeerd")
    item = AgendaItem(signal_id=signal.id, position=_next_position(meeting), previous_status=previous)
    meeting.items.append(item)
    db.session.flush()
    request_privacy_check(actor, signal, "2A", meeting=meeting)
    notify_privacy_officers(actor)
    record(actor, "agenda_item.added", item, purpose=PURPOSE)
    return item


def status_before_agenda(item: AgendaItem) -> str:
    """The status the item's signal had before it went on this agenda (recorded since 0030;
    for older items read from the signal's history)."""
    if item.previous_status in AGENDA_SOURCES:
        return item.previous_status
    earlier = db.session.scalar(
        select(SignalEvent.from_status)
        .where(SignalEvent.signal_id == item.signal_id, SignalEvent.to_status == "geagendeerd",
               SignalEvent.from_status.in_(AGENDA_SOURCES))
        .order_by(SignalEvent.occurred_at.desc())
        .limit(1)
    )
    return earlier or "besproken"


def take_off_agenda(actor, item: AgendaItem, reason_code: str = "verwijderd") -> None:
    """Take an undecided item off its meeting: the signal returns to its earlier status, an open
    check 2A for this meeting is withdrawn, the later items move up. Caller checks the meeting's
    state and commits."""
    meeting, signal = item.meeting, item.signal
    if item.decision is not None:
        raise MeetingError(f"Over melding {signal.reference} is al besloten; dat punt blijft op de agenda.")
    if signal.status == "geagendeerd":
        transition(actor, signal, status_before_agenda(item), reason_code=OFF_AGENDA)
    elif signal.status == QUESTION and signal.status_before_question == "geagendeerd":
        # On hold for the reporter's answer: the answer brings it back to its status before the agenda.
        signal.status_before_question = status_before_agenda(item)
    check = open_check(signal, "2A", meeting=meeting)
    if check is not None:
        record(actor, "privacy_check.withdrawn", check, purpose=PURPOSE)
        db.session.delete(check)
    record(actor, "agenda_item.removed", item, reason_code=reason_code, purpose=PURPOSE)
    meeting.items.remove(item)
    db.session.delete(item)
    for position, rest in enumerate(meeting.items, start=1):
        rest.position = position


def remove_item(actor, item: AgendaItem) -> None:
    """Remove an item from a concept agenda (until publication), logged, the signal restored."""
    if item.meeting.status != MeetingStatus.CONCEPT:
        raise MeetingError("De agenda is gepubliceerd; een punt kan er niet meer af. Leg ‘volgende keer "
                           "opnieuw bespreken’ vast als het niet wordt besproken.")
    take_off_agenda(actor, item)


def privacy_check_2a(item: AgendaItem) -> PrivacyCheck | None:
    """The latest privacy check 2A for this item's signal at this meeting, open or decided."""
    return db.session.scalar(
        select(PrivacyCheck)
        .where(PrivacyCheck.signal_id == item.signal_id, PrivacyCheck.kind == "2A",
               PrivacyCheck.meeting_id == item.meeting_id)
        .order_by(PrivacyCheck.requested_at.desc())
        .limit(1)
    )


def undecided_items(meeting: Meeting) -> list[AgendaItem]:
    """Items whose privacy check 2A for this meeting is not decided yet (or asked again)."""
    return waiting_for_2a(meeting)


def restricted_items(meeting: Meeting) -> str:
    """‘melding X is’ / ‘meldingen X, Y zijn’ for the items whose processing is restricted (art. 18
    AVG), or ''."""
    restricted = [i.signal.reference for i in meeting.items if is_restricted(i.signal)]
    if not restricted:
        return ""
    return f"melding {restricted[0]} is" if len(restricted) == 1 else f"meldingen {', '.join(restricted)} zijn"


def publish(actor, meeting: Meeting) -> None:
    """Publish the agenda once every item's check 2A is decided; each invitee gets the calendar
    invitation (date, time, place), never what is on the agenda."""
    if meeting.status != "concept":
        raise MeetingError("De agenda van dit overleg is al gepubliceerd.")
    if not meeting.items:
        raise MeetingError("Zet eerst minstens één melding op de agenda.")
    if not meeting.invitees:
        raise MeetingError("Nodig eerst deelnemers uit.")
    which = restricted_items(meeting)
    if which:
        raise MeetingError(
            f"De agenda kan niet worden gepubliceerd: de verwerking van {which} beperkt (art. 18 AVG). Zolang "
            "de beperking geldt, wordt zo'n melding niet besproken; alleen de privacyfunctionaris kan de "
            "beperking opheffen."
        )
    waiting = undecided_items(meeting)
    if waiting:
        references = ", ".join(i.signal.reference for i in waiting)
        raise MeetingError(
            f"De agenda kan nog niet worden gepubliceerd: privacytoets 2A is nog niet besloten voor {references}."
        )
    meeting.status = "gepubliceerd"
    meeting.published_at = utcnow()
    calendar.published(meeting)
    record(actor, "meeting.published", meeting, purpose=PURPOSE)


def cancel_refusal(meeting: Meeting) -> str | None:
    """Why this meeting cannot be called off, or None: only a concept or published meeting at
    which nothing was recorded yet (no decision, note or action on any item)."""
    if meeting.status not in (MeetingStatus.CONCEPT, MeetingStatus.GEPUBLICEERD):
        return "Alleen een overleg in voorbereiding of met een gepubliceerde agenda kan worden afgezegd."
    held = [i.signal.reference for i in meeting.items if i.decision is not None or i.notes or actions_of(i)]
    if held:
        which = f"melding {held[0]}" if len(held) == 1 else f"meldingen {', '.join(held)}"
        return (f"Bij {which} is al een besluit, een aantekening of een actie vastgelegd: dit overleg kan niet "
                "meer worden afgezegd. Sluit het na afloop.")
    which = restricted_items(meeting)
    if which:  # calling off returns each signal to its earlier status: not while restricted
        return (f"Dit overleg kan niet worden afgezegd: de verwerking van {which} beperkt (art. 18 AVG), en "
                "afzeggen zou de status van de melding wijzigen. Alleen de privacyfunctionaris kan de beperking "
                "opheffen.")
    return None


def cancel_meeting(actor, meeting: Meeting) -> None:
    """Call the meeting off (afgezegd): every item goes off the agenda (each signal back to its
    earlier status, logged), and once published every invitee's calendar gets the cancellation."""
    refusal = cancel_refusal(meeting)
    if refusal:
        raise MeetingError(refusal)
    for item in list(meeting.items):
        take_off_agenda(actor, item, reason_code="overleg_afgezegd")
    if meeting.status == MeetingStatus.GEPUBLICEERD:
        calendar.cancelled(meeting)
    meeting.status = MeetingStatus.AFGEZEGD.value
    meeting.cancelled_at = utcnow()
    record(actor, "meeting.cancelled", meeting, purpose=PURPOSE)


# --- during the meeting -----------------------------------------------------------------


def record_notes(actor, item: AgendaItem, notes: str | None) -> None:
    ensure_open(item.meeting)
    refuse_if_restricted(item.signal, MeetingError)
    item.notes = notes
    record(actor, "agenda_item.notes_recorded", item, purpose=PURPOSE)


def record_decision(actor, item: AgendaItem, decision: str, rationale: str) -> None:
    """Record the decision once; the signal moves geagendeerd → besproken → the outcome."""
    meeting = item.meeting
    if meeting.status != "gepubliceerd":
        raise MeetingError(
            "Een besluit legt u vast nadat de agenda is gepubliceerd en voordat het overleg is gesloten."
        )
    if item.decision is not None:
        raise MeetingError("Voor dit agendapunt is al een besluit vastgelegd.")
    if decision not in DECISION_OUTCOMES:
        raise MeetingError("Kies een besluit uit de lijst.")
    signal = item.signal
    refuse_if_restricted(signal, MeetingError)
    transition(actor, signal, "besproken", reason_code=decision)
    outcome, reason_code = DECISION_OUTCOMES[decision]
    if outcome is not None:
        transition(actor, signal, outcome, reason_code=reason_code or decision)
    item.decision = decision
    item.decision_rationale = rationale
    item.decided_at = utcnow()
    record(actor, "agenda_item.decided", item, reason_code=decision, purpose=PURPOSE)


def record_attendance(actor, meeting: Meeting, attendance: dict) -> None:
    """Record who is present (Attendance codes per invitee's user id; a missing one stays as it
    was). Only while the meeting runs: published, not closed."""
    if meeting.status != MeetingStatus.GEPUBLICEERD:
        raise MeetingError("Aanwezigheid legt u vast nadat de agenda is gepubliceerd en voordat het overleg "
                           "is gesloten.")
    for invitee in meeting.invitees:
        code = attendance.get(invitee.user_id)
        if code is not None:
            if code not in ATTENDANCE:
                raise MeetingError("Kies per deelnemer aanwezig, afwezig met bericht van verhindering of afwezig.")
            invitee.attendance = code
    record(actor, "meeting.attendance_recorded", meeting, purpose=PURPOSE)


def add_action(actor, item: AgendaItem, *, type: str, deadline: date, owner_id=None,
               owner_department_id=None, description: str | None = None) -> Action:
    """Create an action from an item, for an invited member or a department; tell the owners
    there is news (never what)."""
    refuse_if_restricted(item.signal, MeetingError)
    if item.meeting.status != "gepubliceerd":
        raise MeetingError(
            "Een actie legt u vast nadat de agenda is gepubliceerd en voordat het overleg is gesloten."
        )
    if owner_id is not None and not any(i.user_id == owner_id for i in item.meeting.invitees):
        raise MeetingError("Kies als eigenaar een deelnemer die voor dit overleg is uitgenodigd.")
    action = actions.create_action(
        actor, item.signal, type=type, deadline=deadline, owner_id=owner_id,
        owner_department_id=owner_department_id, description=description, agenda_item=item,
    )
    if actions.needs_privacy_check(action):  # data goes to the owner: check 2B first
        request_privacy_check(actor, item.signal, "2B", action=action)
        notify_privacy_officers(actor)
    actions.notify_owners(actor, action, created=True)
    return action


def actions_of(item: AgendaItem) -> list[Action]:
    return list(
        db.session.scalars(select(Action).where(Action.agenda_item_id == item.id).order_by(Action.created_at))
    )


def overdue_actions(meeting: Meeting, today: date) -> list[Action]:
    """Unfinished actions past their deadline on the signals of this agenda."""
    signal_ids = [i.signal_id for i in meeting.items]
    if not signal_ids:
        return []
    return list(
        db.session.scalars(
            select(Action)
            .where(Action.signal_id.in_(signal_ids), Action.status != "afgerond", Action.deadline < today)
            .order_by(Action.deadline)
        )
    )


# --- closing and carrying over ----------------------------------------------------------


CLOSE_EARLY = "voor_datum"  # reason code: closed before the meeting's (Dutch) date, with a reason


def close_too_early(meeting: Meeting, today: date) -> bool:
    """Whether the meeting's date (in Dutch time) is still to come."""
    return to_local(meeting.held_at).date() > today


def close(actor, meeting: Meeting, *, today: date, override_reason: str | None = None) -> int:
    """Close the meeting (members lose access); carry its open items to the next concept
    meeting if there is one, else to the next one created. Return how many moved now.
    Before the meeting's date only with an explicit override and its reason (stored, logged)."""
    if meeting.status != "gepubliceerd":
        raise MeetingError("Alleen een overleg met een gepubliceerde agenda kan worden gesloten.")
    reason = (override_reason or "").strip() or None
    early = close_too_early(meeting, today)
    if early and reason is None:
        raise MeetingError(
            f"Dit overleg is pas op {to_local(meeting.held_at):%d-%m-%Y}. Sluit het na die datum, of kies "
            "hieronder voor eerder sluiten en schrijf op waarom."
        )
    meeting.status = "gesloten"
    meeting.closed_at = utcnow()
    meeting.close_override_reason = reason if early else None
    record(actor, "meeting.closed", meeting, reason_code=CLOSE_EARLY if early else None, purpose=PURPOSE)
    db.session.flush()
    target = next_concept_meeting(exclude=meeting)
    return carry_over_pending(actor, target) if target is not None else 0


def next_concept_meeting(exclude: Meeting | None = None) -> Meeting | None:
    stmt = select(Meeting).where(Meeting.status == "concept").order_by(Meeting.held_at)
    if exclude is not None:
        stmt = stmt.where(Meeting.id != exclude.id)
    return db.session.scalars(stmt.limit(1)).first()


def pending_carry_over() -> list[AgendaItem]:
    """Items of closed meetings without a decision or with 'volgende keer', whose signal has
    not been on any agenda since and is still waiting for discussion. A signal whose processing
    is restricted (art. 18 AVG) waits where it is: it is carried over once the restriction is lifted.
    One taken off an agenda since (removed, meeting called off) waits until it is put on one by hand."""
    candidates = db.session.scalars(
        select(AgendaItem)
        .join(Meeting, AgendaItem.meeting_id == Meeting.id)
        .join(Signal, AgendaItem.signal_id == Signal.id)
        .where(
            Meeting.status == "gesloten",
            (AgendaItem.decision.is_(None)) | (AgendaItem.decision == CARRY_OVER),
            Signal.status.in_(("geagendeerd", "besproken")),
        )
        .order_by(Meeting.held_at, AgendaItem.position)
    ).all()
    pending = []
    for item in candidates:
        if is_restricted(item.signal):
            continue
        later = db.session.scalar(
            select(AgendaItem.id)
            .join(Meeting, AgendaItem.meeting_id == Meeting.id)
            .where(
                AgendaItem.signal_id == item.signal_id,
                AgendaItem.id != item.id,
                (Meeting.status != "gesloten") | (Meeting.held_at > item.meeting.held_at)
                | (AgendaItem.carried_from_id == item.id),
            )
            .limit(1)
        )
        if later is None and not _taken_off_since(item):
            pending.append(item)
    return pending


def _taken_off_since(item: AgendaItem) -> bool:
    """Whether the signal was taken off an agenda (an item removed, a meeting called off) after
    `item`'s meeting closed: the coordinator decided it waits, so it is not carried over again."""
    closed = item.meeting.closed_at or item.meeting.held_at
    return db.session.scalar(
        select(SignalEvent.id)
        .where(SignalEvent.signal_id == item.signal_id, SignalEvent.reason_code == OFF_AGENDA,
               SignalEvent.occurred_at >= closed)
        .limit(1)
    ) is not None


def carry_over_pending(actor, target: Meeting) -> int:
    """Move every pending open item onto `target` (a concept meeting); return the count."""
    if target.status != "concept":
        return 0
    moved = 0
    for old in pending_carry_over():
        signal = old.signal
        # Decided ‘volgende keer’, the signal is besproken: taking it off the new agenda returns it
        # there. Undecided, it is still geagendeerd: it returns to its status before the old agenda.
        previous = "besproken" if signal.status == "besproken" else status_before_agenda(old)
        if signal.status == "besproken":
            transition(actor, signal, "geagendeerd", reason_code="overgebracht")
        item = AgendaItem(signal_id=signal.id, position=_next_position(target), carried_from_id=old.id,
                          previous_status=previous)
        target.items.append(item)
        db.session.flush()
        request_privacy_check(actor, signal, "2A", meeting=target)
        record(actor, "agenda_item.carried_over", item, purpose=PURPOSE)
        moved += 1
    if moved:
        notify_privacy_officers(actor)
    return moved
