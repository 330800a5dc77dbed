"""The members' side: their meetings, and the agenda limited to what privacy check 2A allowed.

Need-to-know (README “Roles”): a member sees the items of a meeting they are invited to, from
publication until the meeting closes, each only with the fields opened to their department.
Anything else answers 404 and logs a denial.
"""

import uuid

from flask_login import current_user

from casustafel import dates
from casustafel.audit_log import record
from casustafel.meetings import services, visibility
from casustafel.models import Meeting
from casustafel.models.roles import Role
from casustafel.permissions import can_view_action, can_view_meeting_agenda, invitation, role_required
from casustafel.web import render_logged
from casustafel.web.access import load_or_404
from casustafel.web.routes import Routes

routes = Routes()


def get_member_meeting_or_404(meeting_id: uuid.UUID) -> Meeting:
    return load_or_404(Meeting, meeting_id, can_view_meeting_agenda)


def own_overdue_actions(user, meeting: Meeting) -> list:
    return [a for a in services.overdue_actions(meeting, dates.today()) if can_view_action(user, a)]


@routes.route("/mijn")
@role_required(Role.MEMBER)
def mine():
    meetings = visibility.meetings_for_member(current_user)
    record(current_user, "meeting.own_listed", object_type="meeting", purpose=services.PURPOSE)
    return render_logged("meetings/mine.html", meetings=meetings)


@routes.route("/<uuid:meeting_id>/agenda")
@role_required(Role.MEMBER)
def agenda(meeting_id):
    meeting = get_member_meeting_or_404(meeting_id)
    views = visibility.member_views(current_user, meeting)
    for view in views:
        record(current_user, "agenda_item.viewed", view.item, subjects=view.subject_ids or None,
               purpose=services.PURPOSE)
    overdue = own_overdue_actions(current_user, meeting)
    return render_logged("meetings/agenda.html", meeting=meeting, views=views, overdue=overdue,
                           invitee=invitation(current_user, meeting))
