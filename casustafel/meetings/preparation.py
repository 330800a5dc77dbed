"""Rules that keep a meeting's preparation in step without the coordinator having to think of them.

- A department invited after privacy check 2A was decided for an item sees nothing of that item
  until 2A is decided again: inviting it asks a new check 2A for each such item at once.
- Shortly before the agenda's cut-off date, the chair (or, without one, every coordinator) is
  reminded once when items still wait for their check 2A.

Below services.py (which calls `ask_2a_for_late_department` from `invite`): models and the
privacy services only. Nothing here commits.
"""

from datetime import date, timedelta

from sqlalchemy import select, update

from casustafel.audit_log import record
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import AgendaItem, Meeting, MeetingInvitee, MeetingStatus, PrivacyCheck
from casustafel.models.roles import Role
from casustafel.models.user import active_with_role
from casustafel.notifications import app_link, notify
from casustafel.privacy.decisions import notify_privacy_officers
from casustafel.privacy.services import latest_decision, open_check, request_privacy_check
from casustafel.processing import is_restricted

PURPOSE = "casustafel"

CUTOFF_DAYS = 2  # remind when the cut-off is today, tomorrow or the day after
CUTOFF_SUBJECT = "Agenda casustafel sluit binnenkort"
CUTOFF_BODY = ("De agenda van een casustafel sluit binnenkort en er wachten nog agendapunten op privacytoets 2A. "
               "Kijk of alles op tijd klaar is.")


# --- a department invited late ------------------------------------------------------------


def department_not_covered(item: AgendaItem, department_id: int | None) -> bool:
    """True when check 2A for this item at its meeting was decided (approved) without a rule for
    the department, and no new check 2A is open: that department would see nothing of the item.
    A refused check shares nothing with anyone, so a new department changes nothing there."""
    if department_id is None or item.decision is not None or is_restricted(item.signal):
        return False
    if open_check(item.signal, "2A", meeting=item.meeting) is not None:
        return False  # the officer decides for every invited department then
    decided = latest_decision(item.signal, "2A", meeting=item.meeting)
    if decided is None or not decided.approved:
        return False
    return str(department_id) not in (decided.field_rules or {})


def ask_2a_for_late_department(actor, meeting: Meeting, invitee: MeetingInvitee) -> list[PrivacyCheck]:
    """Ask check 2A again for each item whose decided 2A does not cover the invitee's department,
    and tell the privacy officers (content-free). Return the checks asked."""
    asked = [request_privacy_check(actor, item.signal, "2A", meeting=meeting)
             for item in meeting.items if department_not_covered(item, invitee.department_id)]
    if asked:
        notify_privacy_officers(actor)
    return asked


def open_2a_ids(meeting: Meeting) -> set:
    """The ids of the open checks 2A of this meeting: a page compares them before and after an
    invitation to tell the coordinator which were asked again."""
    return set(db.session.scalars(
        select(PrivacyCheck.id).where(PrivacyCheck.meeting_id == meeting.id, PrivacyCheck.kind == "2A",
                                      PrivacyCheck.status == "open")
    ))


# --- the cut-off reminder -----------------------------------------------------------------


def waiting_for_2a(meeting: Meeting) -> list[AgendaItem]:
    """Items whose check 2A for this meeting is not decided, or was asked again (the signal
    re-added after a removal, a department invited late) and waits for its new decision."""
    return [i for i in meeting.items if latest_decision(i.signal, "2A", meeting=meeting) is None
            or open_check(i.signal, "2A", meeting=meeting) is not None]


def meetings_to_remind(today: date) -> list[Meeting]:
    """Concept meetings whose agenda closes today, tomorrow or the day after, not yet reminded,
    with at least one item still waiting for its check 2A."""
    candidates = db.session.scalars(
        select(Meeting)
        .where(Meeting.status == MeetingStatus.CONCEPT, Meeting.cutoff_reminded_at.is_(None),
               Meeting.agenda_cutoff >= today, Meeting.agenda_cutoff <= today + timedelta(days=CUTOFF_DAYS))
        .order_by(Meeting.agenda_cutoff, Meeting.held_at)
    )
    return [m for m in candidates if waiting_for_2a(m)]


def remind_cutoff(actor, today: date) -> tuple[int, int]:
    """Queue one content-free message per meeting to its chair (an active coordinator), else to
    every active coordinator; mark the meeting reminded and log it. Return (meetings, messages).
    The caller commits."""
    due = meetings_to_remind(today)
    messages = 0
    for meeting in due:
        chair = meeting.chair
        recipients = ([chair] if chair is not None and chair.active and chair.has_role(Role.COORDINATOR)
                      else active_with_role(Role.COORDINATOR))
        link = app_link("meetings.detail", meeting_id=meeting.id)  # the id only
        for user in recipients:
            notify(user, CUTOFF_SUBJECT, CUTOFF_BODY, link=link)
        messages += len(recipients)
        record(actor, "meeting.cutoff_reminded", meeting, purpose=PURPOSE)
    if due:  # without touching the version: an open edit form of the meeting stays valid
        db.session.execute(
            update(Meeting).where(Meeting.id.in_([m.id for m in due])).values(cutoff_reminded_at=utcnow()),
            execution_options={"synchronize_session": False},
        )
    return len(due), messages
