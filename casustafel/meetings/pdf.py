"""Agenda and minutes as PDF (WeasyPrint), watermarked with the downloader's name and the time.

Every download is logged. WeasyPrint fetches nothing: the templates embed their CSS and the
URL fetcher refuses every URL, so a name or note can never make the server load a resource.
"""


from flask_login import current_user

from casustafel import dates
from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.meetings import services, visibility
from casustafel.meetings.common import get_meeting_or_404
from casustafel.meetings.member import get_member_meeting_or_404, own_overdue_actions
from casustafel.models.action import BIBOB_ACTION_HIDDEN
from casustafel.models.roles import Role
from casustafel.permissions import can_manage_meetings, invitation, role_required
from casustafel.web.access import fresh_login_required
from casustafel.web.pdf import pdf_response, render_pdf
from casustafel.web.routes import Routes

routes = Routes()


@routes.route("/<uuid:meeting_id>/agenda.pdf")
@role_required(Role.COORDINATOR, Role.MEMBER)
@fresh_login_required
def agenda_pdf(meeting_id):
    """The coordinator gets every field; a member exactly what check 2A opened to them."""
    if can_manage_meetings(current_user):
        meeting = get_meeting_or_404(meeting_id)
        views, overdue = visibility.full_views(meeting), services.overdue_actions(meeting, dates.today())
        reader = None
    else:
        meeting = get_member_meeting_or_404(meeting_id)
        views, overdue = visibility.member_views(current_user, meeting), own_overdue_actions(current_user, meeting)
        reader = invitation(current_user, meeting)
    subjects = sorted({s for view in views for s in view.subject_ids})
    content = render_pdf("meetings/pdf_agenda.html", meeting=meeting, views=views, overdue=overdue,
                         reader=reader, watermark=dates.watermark(current_user.display_name))
    record(current_user, "meeting.agenda_downloaded", meeting, subjects=subjects or None, purpose=services.PURPOSE)
    db.session.commit()
    return pdf_response(content, f"agenda-casustafel-{dates.to_local(meeting.held_at):%Y-%m-%d}.pdf")


@routes.route("/<uuid:meeting_id>/verslag.pdf")
@role_required(Role.COORDINATOR)
@fresh_login_required
def minutes_pdf(meeting_id):
    meeting = get_meeting_or_404(meeting_id)
    items = [(item, services.actions_of(item)) for item in meeting.items]
    # The minutes go around: an old Bibob-toets's description stays out (art. 28 Wet Bibob).
    content = render_pdf("meetings/pdf_minutes.html", meeting=meeting, items=items, bibob_hidden=BIBOB_ACTION_HIDDEN,
                         watermark=dates.watermark(current_user.display_name))
    record(current_user, "meeting.minutes_downloaded", meeting, purpose=services.PURPOSE)
    db.session.commit()
    return pdf_response(content, f"verslag-casustafel-{dates.to_local(meeting.held_at):%Y-%m-%d}.pdf")
