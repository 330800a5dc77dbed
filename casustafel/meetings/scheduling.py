"""The meeting in the calendar: the invitation as .ics, and calling the meeting off.

The .ics is the same document the invitation e-mail carries (casustafel.meetings.calendar):
date, time, place, organiser, the downloader as attendee; never signal data. A member gets it
under the same object rule as the agenda page (invited, published, not closed); the
coordinator for any published meeting. Anything else is 404 with a denial in the log.
"""

from flask import Response, abort, flash, redirect, request, url_for
from flask_login import current_user

from casustafel import dates
from casustafel.audit_log import record, record_denial
from casustafel.extensions import db
from casustafel.meetings import calendar, services
from casustafel.meetings.common import CONFLICT, get_meeting_or_404
from casustafel.meetings.member import get_member_meeting_or_404
from casustafel.models import MeetingStatus
from casustafel.models.roles import Role
from casustafel.permissions import can_manage_meetings, role_required
from casustafel.web import render_logged
from casustafel.web.locking import commit_or_conflict
from casustafel.web.routes import Routes

routes = Routes()


@routes.route("/<uuid:meeting_id>/agenda.ics")
@role_required(Role.MEMBER, Role.COORDINATOR)
def calendar_ics(meeting_id):
    if can_manage_meetings(current_user):
        meeting = get_meeting_or_404(meeting_id)
        if meeting.status != MeetingStatus.GEPUBLICEERD:
            record_denial(current_user, "meeting", meeting_id)
            abort(404)
    else:
        meeting = get_member_meeting_or_404(meeting_id)
    content = calendar.ics(meeting, current_user, calendar.REQUEST)
    record(current_user, "meeting.calendar_downloaded", meeting, purpose=services.PURPOSE)
    db.session.commit()
    response = Response(content, mimetype="text/calendar")
    filename = f"casustafel-{dates.to_local(meeting.held_at):%Y-%m-%d}.ics"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@routes.route("/<uuid:meeting_id>/afzeggen", methods=["GET", "POST"])
@role_required(Role.COORDINATOR)
def cancel(meeting_id):
    """A page that says what calling the meeting off does and what cannot be undone; its
    button (POST) does it."""
    meeting = get_meeting_or_404(meeting_id)
    refusal = services.cancel_refusal(meeting)
    if request.method == "POST" and refusal is None:
        published = meeting.status == MeetingStatus.GEPUBLICEERD
        services.cancel_meeting(current_user, meeting)
        if not commit_or_conflict():
            flash(CONFLICT, "error")
            return redirect(url_for("meetings.detail", meeting_id=meeting_id))
        flash("Het overleg is afgezegd." + (" De deelnemers krijgen de afzegging in hun agenda." if published else ""),
              "success")
        return redirect(url_for("meetings.detail", meeting_id=meeting.id))
    record(current_user, "meeting.viewed", meeting, purpose=services.PURPOSE)
    return render_logged("meetings/cancel.html", meeting=meeting, refusal=refusal,
                         told=calendar.invitees_told(meeting)), (409 if refusal and request.method == "POST" else 200)
