"""Preparing a meeting in a few steps: standing groups of invitees, inviting a group or the
previous meeting's invitees at once, several signals on the agenda at once, the agenda's order.

Each step goes through services.invite / services.add_item, so their rules (and anything they
trigger, such as check 2A for a department invited late) apply to every invitee and signal.
Services take the actor and never commit; the view commits once, so a step succeeds or fails
as a whole.
"""

from dataclasses import dataclass, field

from sqlalchemy import func, select

from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.meetings.services import (
    PURPOSE,
    MeetingError,
    add_item,
    agenda_candidates,
    ensure_open,
    invite,
    status_before_agenda,
)
from casustafel.models import (
    STATUSES,
    AgendaItem,
    InviteeGroup,
    InviteeGroupMember,
    Meeting,
    MeetingStatus,
    PrivacyCheck,
    Signal,
    User,
)
from casustafel.models.roles import Role
from casustafel.privacy.services import open_check
from casustafel.processing import is_restricted
from casustafel.signals.workflow import TransitionError

GROUP_NAME_MAX = 80
MOVABLE = (MeetingStatus.CONCEPT, MeetingStatus.GEPUBLICEERD)
UP, DOWN = "omhoog", "omlaag"


# --- standing groups of invitees ----------------------------------------------------------


def groups() -> list[InviteeGroup]:
    return list(db.session.scalars(select(InviteeGroup).order_by(InviteeGroup.name)))


def _clean_name(name: str | None, group: InviteeGroup | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise MeetingError("Vul een naam voor de groep in.")
    if len(name) > GROUP_NAME_MAX:
        raise MeetingError(f"Gebruik voor de naam hooguit {GROUP_NAME_MAX} tekens.")
    same = db.session.scalar(select(InviteeGroup).where(func.lower(InviteeGroup.name) == name.lower()).limit(1))
    if same is not None and same is not group:
        raise MeetingError(f"Er is al een groep met de naam ‘{name}’.")
    return name


def create_group(actor, name: str) -> InviteeGroup:
    group = InviteeGroup(name=_clean_name(name))
    db.session.add(group)
    db.session.flush()
    record(actor, "invitee_group.created", group, purpose=PURPOSE)
    return group


def rename_group(actor, group: InviteeGroup, name: str) -> None:
    group.name = _clean_name(name, group)
    record(actor, "invitee_group.updated", group, purpose=PURPOSE)


def delete_group(actor, group: InviteeGroup) -> None:
    """Delete the group and its member list; invitations made with it stay."""
    record(actor, "invitee_group.deleted", group, purpose=PURPOSE)
    db.session.delete(group)


def _refuse_non_member(user: User | None) -> None:
    if user is None or not (user.active and user.has_role(Role.MEMBER)):
        raise MeetingError("Alleen actieve deelnemers van de casustafel kunnen lid van een groep zijn.")


def add_group_member(actor, group: InviteeGroup, user: User | None,
                     department_id: int | None = None) -> InviteeGroupMember:
    """Add an active member with a department (default: the member's own)."""
    _refuse_non_member(user)
    if any(m.user_id == user.id for m in group.members):
        raise MeetingError(f"{user.display_name} is al lid van deze groep.")
    member = InviteeGroupMember(user_id=user.id, department_id=department_id or user.department_id)
    group.members.append(member)
    record(actor, "invitee_group.member_added", group, purpose=PURPOSE)
    return member


def remove_group_member(actor, group: InviteeGroup, member: InviteeGroupMember) -> None:
    group.members.remove(member)
    record(actor, "invitee_group.member_removed", group, purpose=PURPOSE)


# --- inviting many at once ----------------------------------------------------------------


@dataclass
class Invited:
    """What inviting a group or the previous meeting's invitees did."""

    invited: list[User] = field(default_factory=list)
    already: list[User] = field(default_factory=list)
    inactive: list[User] = field(default_factory=list)


def _invite_all(actor, meeting: Meeting, pairs) -> Invited:
    """Invite each (user, department_id) not yet invited, through services.invite."""
    ensure_open(meeting)
    result = Invited()
    invited = {i.user_id for i in meeting.invitees}
    for user, department_id in pairs:
        if user.id in invited:
            result.already.append(user)
        elif not (user.active and user.has_role(Role.MEMBER)):
            result.inactive.append(user)
        else:
            invite(actor, meeting, user, department_id or user.department_id)
            invited.add(user.id)
            result.invited.append(user)
    return result


def invite_group(actor, meeting: Meeting, group: InviteeGroup) -> Invited:
    if not group.members:
        raise MeetingError(f"De groep ‘{group.name}’ heeft nog geen leden.")
    members = sorted(group.members, key=lambda m: m.user.display_name)
    return _invite_all(actor, meeting, [(m.user, m.department_id) for m in members])


def previous_meeting(meeting: Meeting) -> Meeting | None:
    """The most recent meeting held before this one that had invitees."""
    return db.session.scalars(
        select(Meeting)
        .where(Meeting.id != meeting.id, Meeting.held_at < meeting.held_at, Meeting.invitees.any())
        .order_by(Meeting.held_at.desc())
        .limit(1)
    ).first()


def copy_previous_invitees(actor, meeting: Meeting) -> tuple[Meeting, Invited]:
    previous = previous_meeting(meeting)
    if previous is None:
        raise MeetingError("Er is geen eerder overleg met deelnemers om over te nemen.")
    invitees = sorted(previous.invitees, key=lambda i: i.user.display_name)
    return previous, _invite_all(actor, meeting, [(i.user, i.department_id) for i in invitees])


# --- several signals at once --------------------------------------------------------------


@dataclass
class Candidate:
    """A signal that may go on the agenda, with what it still waits for."""

    signal: Signal
    waiting: list[str]  # open privacy checks, in words
    restricted: bool


def candidate_rows() -> list[Candidate]:
    signals = agenda_candidates()
    open_checks: dict = {}
    if signals:
        for signal_id, kind in db.session.execute(
            select(PrivacyCheck.signal_id, PrivacyCheck.kind)
            .where(PrivacyCheck.signal_id.in_([s.id for s in signals]), PrivacyCheck.status == "open")
            .order_by(PrivacyCheck.kind)
        ):
            open_checks.setdefault(signal_id, []).append(f"privacytoets {kind}: nog geen besluit")
    return [Candidate(s, open_checks.get(s.id, []), is_restricted(s)) for s in signals]


def add_items(actor, meeting: Meeting, signals: list[Signal], today) -> list[AgendaItem]:
    """Put every signal on the agenda through services.add_item. A refusal raises MeetingError
    (naming the signal when it is about the signal, as add_item's own messages do); the caller
    rolls back, so either all are added or none."""
    items = []
    for signal in signals:
        try:
            items.append(add_item(actor, meeting, signal, today))
        except TransitionError as error:
            raise MeetingError(f"Melding {signal.reference} kan niet op de agenda: {error}") from error
    return items


# --- the agenda's order and taking an item off --------------------------------------------


def move_item(actor, item: AgendaItem, direction: str) -> int:
    """Move an item one place up or down while the meeting is in concept or published; the
    positions stay 1..n. Return the item's new position."""
    meeting = item.meeting
    if meeting.status not in MOVABLE:
        raise MeetingError("De volgorde van de agenda kan alleen worden gewijzigd tot het overleg is gesloten.")
    if direction not in (UP, DOWN):
        raise MeetingError("Kies omhoog of omlaag.")
    items = sorted(meeting.items, key=lambda i: (i.position, str(i.id)))
    index = items.index(item)
    other = index - 1 if direction == UP else index + 1
    if not 0 <= other < len(items):
        raise MeetingError(f"Melding {item.signal.reference} staat al "
                           f"{'bovenaan' if direction == UP else 'onderaan'}.")
    items[index], items[other] = items[other], items[index]
    for position, each in enumerate(items, start=1):
        if each.position != position:
            each.position = position
    record(actor, "agenda_item.moved", item, reason_code=direction, purpose=PURPOSE)
    return item.position


@dataclass
class Removal:
    """What taking an item off the agenda will do, for the confirmation page."""

    back_to: str  # the status label the signal returns to
    withdraws_2a: bool


def removal_effect(item: AgendaItem) -> Removal:
    back_to = status_before_agenda(item)
    return Removal(STATUSES.get(back_to, back_to),
                   open_check(item.signal, "2A", meeting=item.meeting) is not None)


