"""Invitations in the calendar (issue 13): the .ics that publication, a move, an uninvitation and
calling a meeting off send, read back with `icalendar`; the e-mail's MIME structure through a real
SMTP server; the .ics download's object rule; and calling a meeting off restoring its signals.

Never signal data: no reference, description, name, phenomenon or department, in the e-mail or the
.ics, whatever the signal holds.
"""

import email
from datetime import date, datetime, timedelta
from email import policy
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

import tests.test_mail_smtp as smtp_tests
from casustafel.dates import to_local
from casustafel.extensions import db
from casustafel.meetings import services
from casustafel.models import (
    AgendaItem,
    Meeting,
    Notification,
    Phenomenon,
    PrivacyCheck,
    ProcessingRestriction,
    Signal,
)
from casustafel.notifications import deliver_pending
from tests.conftest import TODAY
from tests.helpers.meetings import add, decide_2a, department, events, logged_in, plan_meeting, post, published_scene

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PLACE = "Stadhuis, zaal ‘De Ĳssel’ (2e verdieping)"
LINK = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_Zm9v@thread.v2/0?context=%7b%7d"
SUBJECT_NAME = "Zoë Ŀuçía Þórsdóttir-Ñúñez"
DESCRIPTION = "Hennepgeur en afgeplakte ramen bij ‘De Ĳzeren Man’, Dorpsstraat 7"

# The real SMTP server of tests/test_mail_smtp.py (STARTTLS, AUTH, a throwaway CA).
certificates = smtp_tests.certificates
smtp_server = smtp_tests.smtp_server


def calendars(user=None, *, method=None) -> list[Calendar]:
    """The iCalendar documents queued (for `user`), oldest first, parsed back."""
    db.session.expire_all()
    stmt = select(Notification).where(Notification.calendar.is_not(None)).order_by(Notification.created_at)
    if user is not None:
        stmt = stmt.where(Notification.recipient_id == user.id)
    found = [Calendar.from_ical(n.calendar) for n in db.session.scalars(stmt)]
    return [c for c in found if method is None or str(c["METHOD"]) == method]


def event_of(calendar: Calendar):
    [event] = calendar.walk("VEVENT")
    return event


def meeting_form(**values) -> dict:
    return {"held_on": "2030-01-15", "held_time": "09:30", "kind": "regulier", "agenda_cutoff": "2030-01-10",
            "location": "", "online_link": "", **values}


def plan_through_the_form(client, coordinator, **values) -> Meeting:
    response = post(client, "/overleggen/nieuw", meeting_form(chair_id=str(coordinator.id), **values),
                    "/overleggen/nieuw")
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalars(select(Meeting).order_by(Meeting.id)).all()[-1]


def ready_to_publish(coordinator, meeting, member, signal, dept):
    add(coordinator, meeting, signal)
    services.invite(coordinator, meeting, member)
    db.session.commit()
    decide_2a(signal, meeting, {dept.id: ["fenomeen", "beschrijving", "betrokkenen"]})


# --- the iCalendar document --------------------------------------------------------------


@pytest.mark.parametrize(("held_on", "utc_hour"), [("2030-01-15", 8), ("2030-07-16", 7)])
def test_the_invitation_starts_at_the_typed_dutch_time_in_winter_and_summer(
    app, make_user, make_signal, held_on, utc_hour
):
    dept = department("Vergunningen")
    coordinator = make_user("coordinator", name="Regie Rianne")
    member = make_user("member", name="Deelnemer Daan", department_id=dept.id)
    client = logged_in(app, coordinator)
    cutoff = (date.fromisoformat(held_on) - timedelta(days=5)).isoformat()
    meeting = plan_through_the_form(client, coordinator, held_on=held_on, agenda_cutoff=cutoff, location=PLACE,
                                    online_link=LINK)
    assert (meeting.held_at.hour, meeting.held_at.minute) == (utc_hour, 30)  # stored in UTC
    assert (meeting.location, meeting.online_link) == (PLACE, LINK)
    ready_to_publish(coordinator, meeting, member, make_signal(status="bronnenonderzoek"), dept)
    page = f"/overleggen/{meeting.id}"
    assert post(client, f"{page}/publiceren", {}, page).status_code == 302

    [invitation] = calendars()
    assert str(invitation["METHOD"]) == "REQUEST"
    event = event_of(invitation)
    start = event.decoded("DTSTART")
    assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    assert start == datetime.fromisoformat(f"{held_on}T09:30").replace(tzinfo=AMSTERDAM)
    assert (start.hour, start.minute, start.tzinfo.key) == (9, 30, "Europe/Amsterdam")  # the typed local time
    assert event.decoded("DTEND") - start == timedelta(hours=2)
    assert [tz["TZID"] for tz in invitation.walk("VTIMEZONE")] == ["Europe/Amsterdam"]
    assert str(event["UID"]) == f"{meeting.id}@casustafel"
    assert event.decoded("SEQUENCE") == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]) == "Casustafel"
    assert PLACE in str(event["LOCATION"]) and LINK in str(event["LOCATION"])
    assert LINK in str(event["DESCRIPTION"])
    assert str(event["ORGANIZER"]) == f"mailto:{coordinator.email}"
    assert event["ORGANIZER"].params["CN"] == "Regie Rianne"
    attendees = event.get("ATTENDEE")
    assert str(attendees) == f"mailto:{member.email}"  # one attendee: the recipient, nobody else
    message = db.session.scalar(select(Notification))
    assert message.recipient_id == member.id
    day = "dinsdag 15 januari 2030" if utc_hour == 8 else "dinsdag 16 juli 2030"
    assert message.body.startswith(f"U bent uitgenodigd voor de casustafel op {day} om 09:30.")
    assert "De agenda vindt u in casustafel." in message.body


def test_an_ad_hoc_meeting_says_so_and_a_meeting_without_chair_is_organised_by_the_sender(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal, publish=False)
    scene.meeting.kind, scene.meeting.chair_id = "ad_hoc", None
    db.session.commit()
    services.publish(scene.coordinator, scene.meeting)
    db.session.commit()
    event = event_of(calendars(scene.member)[0])
    assert str(event["SUMMARY"]) == "Casustafel (ad hoc)"
    assert str(event["ORGANIZER"]) == f"mailto:{app.config['MAIL_FROM']}"
    assert "LOCATION" not in event  # no place, no link: nothing invented


def test_no_signal_data_reaches_the_email_or_the_ics_and_the_email_carries_text_calendar(
    app, make_user, make_signal, smtp_server
):
    mailbox = smtp_server()
    phenomenon = db.session.scalar(select(Phenomenon).where(Phenomenon.name == "Hennepteelt"))
    scene = published_scene(make_user, make_signal, publish=False, description=DESCRIPTION,
                            person=(SUBJECT_NAME, "1970-01-01"), phenomenon_id=phenomenon.id)
    scene.meeting.location, scene.meeting.online_link = PLACE, LINK
    db.session.commit()
    services.publish(scene.coordinator, scene.meeting)
    db.session.commit()
    assert deliver_pending().sent == 1

    [received] = mailbox.received
    message = email.message_from_bytes(received.raw, policy=policy.default)
    assert message.get_content_type() == "multipart/mixed"
    [alternative, attachment] = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, calendar_part = alternative.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert calendar_part.get_content_type() == "text/calendar"
    assert calendar_part.get_param("method") == "REQUEST"
    assert attachment.get_filename() == "invitation.ics"
    assert attachment.get_content_disposition() == "attachment"
    for document in (calendar_part.get_content(), attachment.get_content().decode()):
        event = event_of(Calendar.from_ical(document))
        assert event.decoded("DTSTART") == to_local(scene.meeting.held_at)
        assert str(event["UID"]) == f"{scene.meeting.id}@casustafel"

    decoded = "\n".join([str(message["Subject"]), plain.get_content(), calendar_part.get_content(),
                         attachment.get_content().decode()])
    assert PLACE in decoded  # the place is what an invitation is for
    for secret in (scene.signal.reference, SUBJECT_NAME, "Zoë", "Þórsdóttir", "Hennepgeur", "Ĳzeren", "Dorpsstraat",
                   phenomenon.name, scene.dept.name, "1970", "1234 AB"):
        assert secret not in decoded, secret
        assert secret.encode() not in received.raw, secret
    unfolded = decoded.replace("\r\n ", "").replace("\n ", "")
    for secret in (scene.signal.reference, SUBJECT_NAME, phenomenon.name, scene.dept.name):
        assert secret not in unfolded, secret


# --- changes after publication ------------------------------------------------------------


def test_moving_a_published_meeting_raises_the_sequence_and_updates_every_invitee(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal)
    other = make_user("member", name="Ómar Øster", department_id=scene.dept.id)
    services.invite(scene.coordinator, scene.meeting, other)
    db.session.commit()
    client = logged_in(app, scene.coordinator)
    page = f"/overleggen/{scene.meeting.id}/wijzigen"
    local = to_local(scene.meeting.held_at)
    same = meeting_form(held_on=local.date().isoformat(), held_time=f"{local:%H:%M}",
                        chair_id=str(scene.coordinator.id), agenda_cutoff=scene.meeting.agenda_cutoff.isoformat(),
                        version=str(scene.meeting.version))
    # Only the cut-off changes: nothing in the invitation changes, nothing is sent.
    changed_cutoff = {**same, "agenda_cutoff": (scene.meeting.agenda_cutoff - timedelta(days=1)).isoformat()}
    assert post(client, page, changed_cutoff, page).status_code == 302
    assert len(calendars()) == 2 and db.session.get(Meeting, scene.meeting.id).calendar_sequence == 0

    meeting = db.session.get(Meeting, scene.meeting.id)
    moved = {**changed_cutoff, "held_time": "14:15", "location": PLACE, "version": str(meeting.version)}
    assert post(client, page, moved, page).status_code == 302
    db.session.expire_all()
    meeting = db.session.get(Meeting, scene.meeting.id)
    assert meeting.calendar_sequence == 1
    for user in (scene.member, other):
        first, update = calendars(user)
        assert event_of(first).decoded("SEQUENCE") == 0
        event = event_of(update)
        assert str(update["METHOD"]) == "REQUEST"
        assert event.decoded("SEQUENCE") == 1
        assert str(event["UID"]) == str(event_of(first)["UID"])
        assert (event.decoded("DTSTART").hour, event.decoded("DTSTART").minute) == (14, 15)
        assert PLACE in str(event["LOCATION"])
        assert str(event["ATTENDEE"]) == f"mailto:{user.email}"
    notice = db.session.scalars(select(Notification).where(Notification.recipient_id == other.id)
                                .order_by(Notification.created_at)).all()[-1]
    assert notice.subject.startswith("Gewijzigd: casustafel") and "om 14:15" in notice.body


def test_a_concept_meeting_is_changed_without_any_message(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal, publish=False)
    services.update_meeting(scene.coordinator, scene.meeting, held_at=scene.meeting.held_at + timedelta(hours=3),
                            kind="regulier", chair_id=scene.coordinator.id, agenda_cutoff=scene.meeting.agenda_cutoff,
                            location=PLACE)
    db.session.commit()
    assert calendars() == [] and scene.meeting.calendar_sequence == 0


def test_late_invitee_gets_the_invitation_and_an_uninvited_one_a_cancellation_only_for_them(
    app, make_user, make_signal
):
    scene = published_scene(make_user, make_signal)
    late = make_user("member", name="Laat Lotte", department_id=scene.dept.id)
    client = logged_in(app, scene.coordinator)
    page = f"/overleggen/{scene.meeting.id}"
    assert post(client, f"{page}/deelnemers", {"invite-user_id": str(late.id)}, page).status_code == 302
    [late_invitation] = calendars(late)
    assert str(late_invitation["METHOD"]) == "REQUEST"
    assert str(event_of(late_invitation)["ATTENDEE"]) == f"mailto:{late.email}"
    assert len(calendars(scene.member)) == 1  # the others get nothing new

    assert post(client, f"{page}/deelnemers/{late.id}/verwijderen", {}, page).status_code == 302
    [cancel] = calendars(late, method="CANCEL")
    event = event_of(cancel)
    assert str(event["STATUS"]) == "CANCELLED"
    assert event.decoded("SEQUENCE") == 1
    assert str(event["UID"]) == f"{scene.meeting.id}@casustafel"
    assert str(event["ATTENDEE"]) == f"mailto:{late.email}"
    assert calendars(scene.member, method="CANCEL") == []
    notice = db.session.scalars(select(Notification).where(Notification.recipient_id == late.id)
                                .order_by(Notification.created_at)).all()[-1]
    assert notice.subject.startswith("Uitnodiging ingetrokken")


# --- calling a meeting off ----------------------------------------------------------------


def test_calling_off_a_published_meeting_restores_each_signal_and_cancels_every_invitation(
    app, make_user, make_signal
):
    scene = published_scene(make_user, make_signal, publish=False)
    discussed = make_signal(status="besproken")
    second_id = add(scene.coordinator, scene.meeting, discussed).id
    decide_2a(discussed, scene.meeting, {scene.dept.id: ["fenomeen"]})
    other = make_user("member", name="Ómar Øster", department_id=scene.dept.id)
    services.invite(scene.coordinator, scene.meeting, other)
    services.publish(scene.coordinator, scene.meeting)
    db.session.commit()
    client = logged_in(app, scene.coordinator)
    page = f"/overleggen/{scene.meeting.id}"
    assert f"{page}/afzeggen" in client.get(page).get_data(as_text=True)  # reachable from the meeting

    confirm = client.get(f"{page}/afzeggen").get_data(as_text=True)
    assert "Afzeggen kunt u niet ongedaan maken" in confirm
    assert "2 agendapunten gaan van de agenda" in confirm and "2 deelnemers krijgen een afzegging" in confirm
    assert db.session.get(Meeting, scene.meeting.id).status == "gepubliceerd"  # the GET changed nothing

    response = post(client, f"{page}/afzeggen", {}, f"{page}/afzeggen")
    assert response.status_code == 302
    db.session.expire_all()
    meeting = db.session.get(Meeting, scene.meeting.id)
    assert meeting.status == "afgezegd" and meeting.cancelled_at is not None
    assert meeting.items == []
    assert db.session.get(Signal, scene.signal.id).status == "bronnenonderzoek"
    assert db.session.get(Signal, discussed.id).status == "besproken"
    assert db.session.get(AgendaItem, second_id) is None
    assert [e.reason_code for e in events("agenda_item.removed")] == ["overleg_afgezegd", "overleg_afgezegd"]
    assert len(events("meeting.cancelled", meeting.id)) == 1
    assert meeting.calendar_sequence == 1
    for user in (scene.member, other):
        [cancel] = calendars(user, method="CANCEL")
        event = event_of(cancel)
        assert (str(event["STATUS"]), event.decoded("SEQUENCE")) == ("CANCELLED", 1)
        assert str(event["UID"]) == f"{meeting.id}@casustafel"
        assert str(event["ATTENDEE"]) == f"mailto:{user.email}"
        notice = db.session.scalars(select(Notification).where(Notification.recipient_id == user.id)
                                    .order_by(Notification.created_at)).all()[-1]
        assert notice.subject.startswith("Afgezegd: casustafel")
        assert scene.signal.reference not in notice.body + notice.calendar

    # Shown as afgezegd, and offered nowhere it would be wrong.
    index = client.get("/overleggen/").get_data(as_text=True)
    assert "Gesloten en afgezegd" in index and "Afgezegd" in index.split("Gesloten en afgezegd", 1)[1]
    assert "Afgezegd" in client.get(page).get_data(as_text=True)
    assert f"{page}/wijzigen" not in client.get(page).get_data(as_text=True)
    assert client.get(f"{page}/wijzigen").status_code == 302
    assert str(meeting.id) not in client.get("/").get_data(as_text=True)
    assert services.next_concept_meeting() is None
    with pytest.raises(services.MeetingError, match="afgezegd"):
        services.invite(scene.coordinator, meeting, make_user("member"))
    db.session.rollback()
    member = logged_in(app, scene.member)
    assert str(meeting.id) not in member.get("/overleggen/mijn").get_data(as_text=True)
    assert str(meeting.id) not in member.get("/").get_data(as_text=True)
    assert member.get(f"{page}/agenda").status_code == 404
    assert member.get(f"{page}/agenda.ics").status_code == 404
    # A second try is refused: it is not offered again, and nothing is sent twice.
    assert client.get(f"{page}/afzeggen").status_code == 200
    assert "Alleen een overleg in voorbereiding" in client.get(f"{page}/afzeggen").get_data(as_text=True)
    assert post(client, f"{page}/afzeggen", {}, page).status_code == 409
    assert len(calendars(method="CANCEL")) == 2


def test_calling_off_a_concept_meeting_tells_nobody_and_withdraws_open_checks(make_user, make_signal):
    coordinator = make_user("coordinator")
    member = make_user("member")
    meeting = plan_meeting(coordinator)
    signal = make_signal(status="bronnenonderzoek")
    add(coordinator, meeting, signal)
    services.invite(coordinator, meeting, member)
    services.cancel_meeting(coordinator, meeting)
    db.session.commit()
    assert db.session.get(Signal, signal.id).status == "bronnenonderzoek"
    assert db.session.scalar(select(PrivacyCheck).where(PrivacyCheck.signal_id == signal.id)) is None
    assert db.session.scalar(select(Notification).where(Notification.recipient_id == member.id)) is None
    assert meeting.status == "afgezegd" and meeting.calendar_sequence == 0


def test_a_meeting_with_a_decision_or_notes_cannot_be_called_off(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal)
    services.record_notes(scene.coordinator, scene.item, "Besproken: Ĳsbrand")
    db.session.commit()
    client = logged_in(app, scene.coordinator)
    page = f"/overleggen/{scene.meeting.id}/afzeggen"
    shown = client.get(page).get_data(as_text=True)
    assert f"Bij melding {scene.signal.reference} is al een besluit, een aantekening of een actie" in shown
    assert "Ja, overleg afzeggen" not in shown
    response = post(client, page, {}, f"/overleggen/{scene.meeting.id}")
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Meeting, scene.meeting.id).status == "gepubliceerd"
    assert db.session.get(Signal, scene.signal.id).status == "geagendeerd"
    assert calendars(method="CANCEL") == []


# --- the .ics download --------------------------------------------------------------------


def test_the_ics_is_for_invited_members_of_a_published_meeting_only(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal, publish=False, person=(SUBJECT_NAME, "1970-01-01"))
    url = f"/overleggen/{scene.meeting.id}/agenda.ics"
    invited = logged_in(app, scene.member)
    outsider = logged_in(app, make_user("member", name="Niet Uitgenodigd", department_id=scene.dept.id))
    coordinator = logged_in(app, scene.coordinator)

    assert invited.get(url).status_code == 404  # not published yet
    assert coordinator.get(url).status_code == 404
    services.publish(scene.coordinator, scene.meeting)
    db.session.commit()

    denied_before = len(events("access.denied"))
    assert outsider.get(url).status_code == 404  # published, but not invited
    assert len(events("access.denied")) == denied_before + 1

    response = invited.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="casustafel-')
    text = response.get_data(as_text=True)
    event = event_of(Calendar.from_ical(text))
    assert event.decoded("DTSTART") == to_local(scene.meeting.held_at)
    assert str(event["ATTENDEE"]) == f"mailto:{scene.member.email}"
    for secret in (scene.signal.reference, SUBJECT_NAME, scene.dept.name):
        assert secret not in text
    assert len(events("meeting.calendar_downloaded", scene.meeting.id)) == 1
    assert "agenda.ics" in invited.get(f"/overleggen/{scene.meeting.id}/agenda").get_data(as_text=True)
    assert coordinator.get(url).status_code == 200

    services.close(scene.coordinator, scene.meeting, today=TODAY, override_reason="Eerder gehouden.")
    db.session.commit()
    assert invited.get(url).status_code == 404  # closed: as the agenda page


def test_the_member_agenda_page_shows_the_place_and_the_online_link(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal)
    scene.meeting.location, scene.meeting.online_link = PLACE, LINK
    db.session.commit()
    page = logged_in(app, scene.member).get(f"/overleggen/{scene.meeting.id}/agenda").get_data(as_text=True)
    assert "Stadhuis, zaal ‘De Ĳssel’" in page
    assert 'href="https://teams.microsoft.com/l/meetup-join/' in page


# --- the form ----------------------------------------------------------------------------


@pytest.mark.parametrize(("link", "message"), [
    ("http://teams.example.nl/vergadering", "begint met https://"),
    ("javascript:alert(document.cookie)", "begint met https://"),
    ("https://", "begint met https://"),
    ("https://meet gemeente.nl/x", "begint met https://"),
    ("https://meet.gemeente.nl/" + "a" * 480, "Gebruik hooguit 500 tekens."),
])
def test_the_online_link_must_be_a_complete_https_address(app, make_user, link, message):
    coordinator = make_user("coordinator")
    client = logged_in(app, coordinator)
    response = post(client, "/overleggen/nieuw",
                    meeting_form(chair_id=str(coordinator.id), online_link=link, location="Zaal Ünïcode"),
                    "/overleggen/nieuw")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and message in body
    assert 'value="Zaal Ünïcode"' in body  # what was typed stays
    assert db.session.scalar(select(Meeting)) is None


def test_a_place_longer_than_200_characters_is_refused_and_an_empty_one_is_none(app, make_user):
    coordinator = make_user("coordinator")
    client = logged_in(app, coordinator)
    body = post(client, "/overleggen/nieuw", meeting_form(chair_id=str(coordinator.id), location="Ø" * 201),
                "/overleggen/nieuw").get_data(as_text=True)
    assert "Gebruik hooguit 200 tekens." in body
    meeting = plan_through_the_form(client, coordinator, location="   ", online_link="  ")
    assert (meeting.location, meeting.online_link) == (None, None)
    assert to_local(meeting.held_at).date() == date(2030, 1, 15) and date(2030, 1, 10) > TODAY


def test_a_meeting_with_a_restricted_signal_is_not_called_off_and_nothing_changes(app, make_user, make_signal):
    """A restriction set (art. 18 AVG) after the signal went on the agenda: calling the meeting off
    would change the signal's status, which the restriction forbids. The page says so; no 500."""
    scene = published_scene(make_user, make_signal)
    other = make_signal(status="bronnenonderzoek")
    db.session.add(ProcessingRestriction(signal_id=scene.signal.id))
    db.session.commit()
    client = logged_in(app, scene.coordinator)
    page = f"/overleggen/{scene.meeting.id}/afzeggen"
    shown = client.get(page).get_data(as_text=True)
    assert f"melding {scene.signal.reference} is beperkt (art. 18 AVG)" in shown
    assert "Ja, overleg afzeggen" not in shown
    response = post(client, page, {}, f"/overleggen/{scene.meeting.id}")
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Meeting, scene.meeting.id).status == "gepubliceerd"
    assert db.session.get(Signal, scene.signal.id).status == "geagendeerd"
    assert db.session.get(Signal, other.id).status == "bronnenonderzoek"
    assert calendars(method="CANCEL") == []
    assert events("meeting.cancelled") == []


def test_a_new_chair_of_a_published_meeting_is_the_organiser_of_an_updated_invitation(make_user, make_signal):
    scene = published_scene(make_user, make_signal)
    successor = make_user("coordinator", name="Öykü Çelik-Voorzitter")
    meeting = scene.meeting
    services.update_meeting(scene.coordinator, meeting, held_at=meeting.held_at, kind=meeting.kind,
                            chair_id=successor.id, agenda_cutoff=meeting.agenda_cutoff,
                            location=meeting.location, online_link=meeting.online_link)
    db.session.commit()
    first, update = calendars(scene.member)
    assert event_of(update).decoded("SEQUENCE") == 1
    assert str(event_of(update)["ORGANIZER"]) == f"mailto:{successor.email}"
    assert str(event_of(first)["ORGANIZER"]) == f"mailto:{scene.coordinator.email}"
