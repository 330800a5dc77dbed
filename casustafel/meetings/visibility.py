"""What a reader of the agenda may see: per item, the fields privacy check 2A opened to the
reader's department, nothing more (the coordinator sees every shareable field, never the
reporter)."""

from dataclasses import dataclass

from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import SHAREABLE_FIELDS, AgendaItem, Meeting, MeetingInvitee
from casustafel.permissions import invitation
from casustafel.privacy.services import latest_decision
from casustafel.processing import is_restricted
from casustafel.signals.visibility import EVERYTHING, SignalView, sources_of


@dataclass
class ItemView(SignalView):
    """One agenda item as a reader may see it: the fields check 2A opened, nothing more."""

    item: AgendaItem | None = None


def member_fields(item: AgendaItem, invitee: MeetingInvitee | None) -> frozenset[str]:
    """The field codes the latest decided check 2A opened to the invitee's department."""
    if invitee is None or invitee.department_id is None:
        return frozenset()
    check = latest_decision(item.signal, "2A", meeting=item.meeting)
    if check is None or not check.approved:
        return frozenset()
    allowed = (check.field_rules or {}).get(str(invitee.department_id)) or []
    return frozenset(code for code in allowed if code in SHAREABLE_FIELDS)


def item_view(item: AgendaItem, fields: frozenset[str]) -> ItemView:
    return ItemView(signal=item.signal, item=item, fields=fields, sources=sources_of(item.signal, fields))


def member_views(user, meeting: Meeting) -> list[ItemView]:
    """A member's items; of a signal whose processing is restricted (art. 18 AVG) only that fact,
    also when check 2A opened fields before the restriction was set."""
    invitee = invitation(user, meeting)
    return [ItemView(signal=item.signal, item=item, fields=frozenset(), restricted=True)
            if is_restricted(item.signal) else item_view(item, member_fields(item, invitee))
            for item in meeting.items]


def full_views(meeting: Meeting) -> list[ItemView]:
    """The coordinator's view: every shareable field (never the reporter)."""
    return [item_view(item, EVERYTHING) for item in meeting.items]


def meetings_for_member(user) -> list[Meeting]:
    """Published, not yet closed meetings the user is invited to."""
    return list(
        db.session.scalars(
            select(Meeting)
            .join(MeetingInvitee, MeetingInvitee.meeting_id == Meeting.id)
            .where(MeetingInvitee.user_id == user.id, Meeting.status == "gepubliceerd")
            .order_by(Meeting.held_at)
        )
    )
