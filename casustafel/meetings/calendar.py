"""The meeting in the invitees' own calendars: iCalendar invitations, updates and cancellations.

An invitation says when and where, who organises it and who is invited: the date and time in
Europe/Amsterdam, the place and/or the online link, the chair as organiser and the one recipient
as attendee. It never carries signal data: no reference, no name, no phenomenon, nothing of the
agenda. Its link leads to the member's agenda page, where the object rules decide what they see.

The same document goes into the e-mail (as text/calendar, see casustafel.notifications) and is
downloaded from the member's agenda page. One UID per meeting; SEQUENCE is the meeting's
calendar_sequence, raised whenever a sent invitation changes (moved, other place, cancelled).
"""

from datetime import UTC, date, datetime, timedelta

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from casustafel import dates
from casustafel.models import MEETING_KINDS, Meeting, User
from casustafel.notifications import app_link, notify

DURATION = timedelta(hours=2)  # an invitation blocks two hours
PRODID = "-//Casustafel//Overleg casustafel//NL"
REQUEST, CANCEL = "REQUEST", "CANCEL"


# --- the iCalendar document -------------------------------------------------------------


def uid(meeting: Meeting) -> str:
    return f"{meeting.id}@casustafel"


def summary(meeting: Meeting) -> str:
    return "Casustafel" + (f" ({MEETING_KINDS['ad_hoc'].lower()})" if meeting.kind == "ad_hoc" else "")


def where(meeting: Meeting) -> str | None:
    """The place, the online link, or both: what LOCATION says."""
    parts = [meeting.location, f"online: {meeting.online_link}" if meeting.location and meeting.online_link
             else meeting.online_link]
    return "; ".join(p for p in parts if p) or None


def agenda_link(meeting: Meeting) -> str | None:
    return app_link("meetings.agenda", meeting_id=meeting.id)


def description(meeting: Meeting) -> str:
    lines = []
    if meeting.online_link:
        lines.append(f"Online deelnemen: {meeting.online_link}")
    link = agenda_link(meeting)
    lines.append(f"De agenda vindt u in casustafel: {link}" if link else "De agenda vindt u in casustafel.")
    return "\n\n".join(lines)


def _address(user: User | None, *, attendee: bool = False) -> vCalAddress:
    if user is None:  # no chair: the application's own sender organises it
        address = vCalAddress(f"mailto:{current_app.config['MAIL_FROM']}")
        address.params["cn"] = vText("Casustafel")
        return address
    address = vCalAddress(f"mailto:{user.email}")
    address.params["cn"] = vText(user.display_name)
    if attendee:
        address.params["role"] = vText("REQ-PARTICIPANT")
        address.params["partstat"] = vText("NEEDS-ACTION")
        address.params["rsvp"] = vText("TRUE")
    return address


def ics(meeting: Meeting, recipient: User, method: str = REQUEST) -> str:
    """The VCALENDAR for one recipient: METHOD REQUEST (an invitation or its update) or CANCEL."""
    start = dates.to_local(meeting.held_at)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", uid(meeting))
    event.add("sequence", meeting.calendar_sequence)
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", start)
    event.add("dtend", start + DURATION)
    event.add("summary", summary(meeting))
    location = where(meeting)
    if location:
        event.add("location", location)
    link = agenda_link(meeting)
    if link:
        event.add("url", link)
    event.add("description", description(meeting))
    event.add("organizer", _address(meeting.chair))
    event.add("attendee", _address(recipient, attendee=True))
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    calendar.add_component(event)
    calendar.add_missing_timezones(first_date=date(start.year - 1, 1, 1), last_date=date(start.year + 2, 1, 1))
    return calendar.to_ical().decode()


# --- the e-mails ------------------------------------------------------------------------


def when(meeting: Meeting) -> str:
    return dates.long_date(meeting.held_at, weekday=True, time=True)


def _place_sentence(meeting: Meeting) -> str:
    if meeting.location and meeting.online_link:
        return f" Plaats: {meeting.location}; u kunt ook online deelnemen via {meeting.online_link}"
    if meeting.location:
        return f" Plaats: {meeting.location}."
    if meeting.online_link:
        return f" U neemt online deel via {meeting.online_link}"
    return ""


def send_invitation(meeting: Meeting, user: User) -> None:
    """The invitation (or, with a raised SEQUENCE, its update) to one invitee."""
    if not user.active:
        return
    notify(
        user,
        f"Uitnodiging casustafel {when(meeting)}",
        f"U bent uitgenodigd voor de casustafel op {when(meeting)}.{_place_sentence(meeting)} "
        "De agenda vindt u in casustafel.",
        link=agenda_link(meeting),
        calendar=ics(meeting, user, REQUEST),
    )


def send_update(meeting: Meeting, user: User) -> None:
    if not user.active:
        return
    notify(
        user,
        f"Gewijzigd: casustafel {when(meeting)}",
        f"Het overleg van de casustafel is gewijzigd. Het is nu op {when(meeting)}.{_place_sentence(meeting)} "
        "De agenda vindt u in casustafel.",
        link=agenda_link(meeting),
        calendar=ics(meeting, user, REQUEST),
    )


def send_cancellation(meeting: Meeting, user: User, *, whole_meeting: bool) -> None:
    """CANCEL to one recipient: the meeting is off, or only their invitation is withdrawn."""
    if not user.active:
        return
    if whole_meeting:
        subject = f"Afgezegd: casustafel {when(meeting)}"
        body = f"Het overleg van de casustafel op {when(meeting)} gaat niet door."
    else:
        subject = f"Uitnodiging ingetrokken: casustafel {when(meeting)}"
        body = f"Uw uitnodiging voor de casustafel op {when(meeting)} is ingetrokken."
    notify(user, subject, body, calendar=ics(meeting, user, CANCEL))


def invitees_told(meeting: Meeting) -> list[User]:
    """The invitees an invitation went to (or goes to): every active one."""
    return [i.user for i in meeting.invitees if i.user.active]


def published(meeting: Meeting) -> None:
    for user in invitees_told(meeting):
        send_invitation(meeting, user)


def moved(meeting: Meeting) -> None:
    """A published meeting's time or place changed: raise SEQUENCE, update every invitee."""
    meeting.calendar_sequence += 1
    for user in invitees_told(meeting):
        send_update(meeting, user)


def cancelled(meeting: Meeting, users: list[User] | None = None) -> None:
    """The whole meeting is off (users: every invitee), raised SEQUENCE."""
    meeting.calendar_sequence += 1
    for user in invitees_told(meeting) if users is None else users:
        send_cancellation(meeting, user, whole_meeting=True)


def uninvited(meeting: Meeting, user: User) -> None:
    meeting.calendar_sequence += 1
    send_cancellation(meeting, user, whole_meeting=False)


def timing(meeting: Meeting) -> tuple:
    """What an invitation says (when, where, who organises it, its title): a change of it is
    sent as an update."""
    return meeting.held_at, meeting.location, meeting.online_link, meeting.chair_id, meeting.kind
