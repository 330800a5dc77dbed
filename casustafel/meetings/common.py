"""What the meeting pages share: loading with the object rules, the detail page, conflicts."""

import uuid

from flask_login import current_user
from sqlalchemy import select

from casustafel import dates
from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.meetings import prepare_services, services
from casustafel.meetings.forms import AddItemForm, InviteForm
from casustafel.meetings.prepare_forms import InviteGroupForm
from casustafel.models import AgendaItem, Department, Meeting
from casustafel.models.roles import Role
from casustafel.models.user import active_with_role
from casustafel.permissions import can_manage_meetings
from casustafel.web import render_logged
from casustafel.web.access import load_or_404
from casustafel.web.locking import conflict_message

CONFLICT = conflict_message("dit")


# --- loading with the object rules ------------------------------------------------------


def get_meeting_or_404(meeting_id: uuid.UUID) -> Meeting:
    """The meeting, or 404 with a denial in the log unless the user manages meetings."""
    return load_or_404(Meeting, meeting_id, lambda user, _: can_manage_meetings(user))


def get_item_or_404(meeting: Meeting, item_id: uuid.UUID) -> AgendaItem:
    return load_or_404(AgendaItem, item_id, lambda _, item: item.meeting_id == meeting.id)


def get_meeting_and_item_or_404(meeting_id: uuid.UUID, item_id: uuid.UUID) -> tuple[Meeting, AgendaItem]:
    meeting = get_meeting_or_404(meeting_id)
    return meeting, get_item_or_404(meeting, item_id)



def active_departments() -> list[Department]:
    return list(db.session.scalars(select(Department).where(Department.active.is_(True)).order_by(Department.name)))


def parse_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None



def render_detail(meeting: Meeting, *, invite_form=None, item_form=None, group_form=None, status=200):
    """The coordinator's page of one meeting; forms passed in keep what was typed."""
    invited = {i.user_id for i in meeting.invitees}
    invite_form = invite_form or InviteForm(prefix="invite")
    invite_form.fill([u for u in active_with_role(Role.MEMBER) if u.id not in invited], active_departments())
    group_form = group_form or InviteGroupForm(prefix="group")
    group_form.fill(prepare_services.groups())
    candidates = prepare_services.candidate_rows()
    item_form = item_form or AddItemForm(prefix="item")
    item_form.fill([c.signal for c in candidates])
    checks = {item.id: services.privacy_check_2a(item) for item in meeting.items}
    record(current_user, "meeting.viewed", meeting, purpose=services.PURPOSE)
    return render_logged(
        "meetings/detail.html", meeting=meeting, invite_form=invite_form, item_form=item_form, checks=checks,
        overdue=services.overdue_actions(meeting, dates.today()), today=dates.today(),
        group_form=group_form, candidates=candidates, previous=prepare_services.previous_meeting(meeting),
    ), status
