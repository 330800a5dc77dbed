"""What a reader of the agenda may see: per item, the fields privacy check 2A opened to the
reader's department, nothing more (the coordinator sees every shareable field, never the
reporter)."""

from dataclasses import dataclass, field

from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import SHAREABLE_FIELDS, AgendaItem, Meeting, MeetingInvitee, Signal, SourceQuery
from casustafel.permissions import invitation
from casustafel.privacy.services import latest_decision

SUBJECT_LIST_FIELDS = frozenset({"betrokkenen", "geboortedata", "kvk"})


@dataclass
class ItemView:
    """One agenda item as a reader may see it: the fields check 2A opened, nothing more."""

    item: AgendaItem
    fields: frozenset[str]
    sources: list[SourceQuery] = field(default_factory=list)

    @property
    def signal(self) -> Signal:
        return self.item.signal

    def shows(self, code: str) -> bool:
        return code in self.fields

    @property
    def shows_subject_list(self) -> bool:
        return bool(self.fields & SUBJECT_LIST_FIELDS)

    @property
    def shows_subjects(self) -> bool:
        """Any data of a subject is shown (for the access log)."""
        return bool(self.fields & (SUBJECT_LIST_FIELDS | {"adressen"}))

    @property
    def addresses(self) -> list[str]:
        """Addresses of premises, plus the subjects' own when no subject list shows them."""
        lines = [loc.address_line for loc in self.signal.locations if loc.address_line]
        if not self.shows_subject_list:
            lines += [s.address_line for s in self.signal.subjects if s.address_line]
        return lines

    @property
    def subject_ids(self) -> list[str]:
        """Pseudonyms for the access log: the subjects whose data this view shows."""
        return [str(s.id) for s in self.signal.subjects] if self.shows_subjects else []


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
    sources = []
    if "bronnen" in fields:
        sources = list(
            db.session.scalars(
                select(SourceQuery).where(SourceQuery.signal_id == item.signal_id).order_by(SourceQuery.queried_at)
            )
        )
    return ItemView(item=item, fields=fields, sources=sources)


def member_views(user, meeting: Meeting) -> list[ItemView]:
    invitee = invitation(user, meeting)
    return [item_view(item, member_fields(item, invitee)) for item in meeting.items]


def full_views(meeting: Meeting) -> list[ItemView]:
    """The coordinator's view: every shareable field (never the reporter)."""
    everything = frozenset(SHAREABLE_FIELDS)
    return [item_view(item, everything) for item in meeting.items]


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
