"""Issue 13, must show: a casustafel of 10 signals and 8 invitees, prepared from a standing group,
published with calendar invitations through a real SMTP server, chaired item by item from one
screen with presence, closed, and its minutes read back. axe-core runs on every new page; the
second journey goes through the chair's screen with the keyboard only.

Click count of "prepare a meeting of 10 signals and 8 invitees" (from the start page up to and
including publishing; choosing in a list or ticking a box is not a click, as in
test_click_counts.py), measured in Chromium:

| before issue 13 (one invitee and one signal per submit)    | 22 clicks (+ 18 list choices) |
| after (a standing group, ten signals ticked in one table)  | 6 clicks (+ 1 list choice, 10 ticks) |
"""

import io
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar
from playwright.sync_api import expect
from pypdf import PdfReader

import tests.test_mail_smtp as smtp_tests
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.meetings import prepare_services, services
from casustafel.models import AgendaItem, InviteeGroup, InviteeGroupMember, Meeting, MeetingInvitee, Signal
from casustafel.notifications import deliver_pending
from tests.browser.test_click_counts import Clicks
from tests.browser.test_keyboard_journey import Keyboard, _log_in
from tests.helpers.meetings import decide_2a, department

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
certificates = smtp_tests.certificates
smtp_server = smtp_tests.smtp_server

MEMBERS = ["Zoë Ÿılmaz", "Ĳsbrand van ’t Hek", "Øystein Ångström", "Saïd El Idrissi", "Marie-Ève Dubois-Laurent",
           "Þóra Guðmundsdóttir", "Jürgen Weiß", "Ana Lúcia dos Santos Conceição"]
DEPARTMENTS = ["Vergunningen", "Handhaving", "Sociaal domein", "Belastingen", "Burgerzaken", "Wonen",
               "Openbare orde en veiligheid", "Economische zaken"]
PLACE = "Stadhuis, zaal ‘De Ĳssel’"
LINK = "https://teams.example.nl/l/meetup-join/19%3ameeting@thread.v2"


def _world(make_user, make_signal):
    coordinator = make_user("coordinator", name="Regie Rianne")
    depts = [department(name) for name in DEPARTMENTS]
    members = [make_user("member", name=name, department_id=dept.id) for name, dept in zip(MEMBERS, depts, strict=True)]
    group = InviteeGroup(name="Vaste kern casustafel")
    group.members = [InviteeGroupMember(user_id=m.id, department_id=m.department_id) for m in members]
    db.session.add(group)
    signals = [make_signal(status="bronnenonderzoek", person=(f"Brâm Ñíeuwenhuïs-{n}", "1980-02-29"),
                           description=f"Hennepgeur en afgeplakte ramen, pand {n} aan de Dorpsstraat",
                           summary=f"Vermoedelijke hennepkwekerij {n}") for n in range(10)]
    db.session.commit()
    return coordinator, depts, members, signals


def _pdf_text(browser, path):
    response = browser.page.request.get(browser.origin + path)
    assert response.status == 200, path
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)


def _parts_text(message) -> str:
    return "\n".join(part.get_content() if part.get_content_maintype() == "text" else
                     part.get_content().decode() for part in message.walk() if not part.is_multipart())


def test_prepare_publish_chair_and_close_a_meeting_of_ten_signals_and_eight_invitees(
        browser, make_user, make_signal, smtp_server):
    coordinator, depts, members, signals = _world(make_user, make_signal)
    mailbox = smtp_server()
    clicks = Clicks(browser)
    page = clicks.page
    clicks.log_in(coordinator)
    today = date.today()

    # Prepare: plan, invite the standing group, tick ten signals, publish.
    clicks.click(page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Overleggen", exact=True))
    browser.assert_accessible("overleggen")
    clicks.click(page.get_by_role("link", name="Nieuw overleg plannen"))
    page.get_by_label("Datum", exact=True).fill(today.isoformat())
    page.get_by_label("Begintijd").fill("09:30")
    page.get_by_label("Voorzitter").select_option(label="Regie Rianne")
    page.get_by_label("Sluitingsdatum agenda").fill(today.isoformat())
    page.get_by_label("Plaats (zaal of adres)").fill(PLACE)
    page.get_by_label("Link voor online deelname").fill(LINK)
    clicks.click(page.get_by_role("button", name="Opslaan"))
    expect(page.locator(".app-flashes")).to_contain_text("Het overleg is aangemaakt.")
    page.get_by_label("Groep", exact=True).select_option(label="Vaste kern casustafel (8 leden)")
    clicks.click(page.get_by_role("button", name="Groep uitnodigen"))
    expect(page.locator(".app-flashes")).to_contain_text("8 deelnemers uitgenodigd")
    for signal in signals:
        page.get_by_role("checkbox", name=signal.reference, exact=True).check()
    browser.assert_accessible("overleg met tien aangevinkte meldingen")
    clicks.click(page.get_by_role("button", name="Op de agenda zetten"))
    expect(page.locator(".app-flashes")).to_contain_text("10")
    meeting = db.session.scalar(db.select(Meeting))
    db.session.refresh(meeting)
    assert len(meeting.items) == 10 and len(meeting.invitees) == 8
    for signal in signals:  # the privacy officer decides check 2A (their journey is elsewhere)
        decide_2a(db.session.get(Signal, signal.id), meeting, {d.id: ["fenomeen", "beschrijving"] for d in depts})
    page.reload()
    clicks.click(page.get_by_role("button", name="Agenda publiceren"))
    expect(page.locator(".app-flashes")).to_contain_text("De agenda is gepubliceerd.")
    print(f"\nclicks: prepare a meeting of 10 signals and 8 invitees: {clicks.count} (before: 22)")
    assert clicks.count == 6

    # Every invitee gets a content-free e-mail whose invitation parses back at the typed time.
    report = deliver_pending()
    assert report.sent == 8, report
    by_recipient = {r.rcpt_tos[0]: r.parsed for r in mailbox.received}
    assert set(by_recipient) == {m.email for m in members}
    secrets = [s.reference for s in signals] + ["Brâm", "Hennepgeur", "hennepkwekerij", "Dorpsstraat"]
    for member in members:
        message = by_recipient[member.email]
        calendars = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        assert calendars, f"no text/calendar part for {member.email}"
        event = Calendar.from_ical(calendars[0].get_content()).walk("VEVENT")[0]
        start = event.decoded("dtstart")
        assert event["dtstart"].params["TZID"] == "Europe/Amsterdam"
        assert start.astimezone(AMSTERDAM) == datetime.combine(today, time(9, 30), AMSTERDAM)
        assert PLACE in str(event["location"]) and member.email in str(event["attendee"])
        text = _parts_text(message) + message.as_string()
        assert not [s for s in secrets if s in text], f"signal data in the mail to {member.email}"

    # Chair it from one screen: presence first, then every item in turn with its decision.
    page.get_by_role("link", name="Overleg voorzitten").click()
    browser.assert_accessible("voorzitten")
    browser.follow(page.get_by_role("link", name="Aanwezigheid vastleggen"))
    attendance = ["Aanwezig"] * 6 + ["Afwezig met bericht van verhindering", "Afwezig"]
    for member, dept, answer in zip(members, depts, attendance, strict=True):
        page.get_by_role("group", name=f"{member.display_name} ({dept.name})").get_by_label(answer, exact=True).check()
    browser.assert_accessible("aanwezigheid")
    page.get_by_role("button", name="Aanwezigheid opslaan").click()
    expect(page.locator(".app-flashes")).to_contain_text("De aanwezigheid is vastgelegd.")
    for n, signal in enumerate(signals):
        expect(page.get_by_role("link", name=signal.reference, exact=True)).to_have_attribute("aria-current", "true")
        decision = "Geen actie, afsluiten" if n == 9 else "Monitoren"
        page.get_by_label(decision, exact=True).check()
        page.get_by_label("Onderbouwing").fill(f"Besproken als punt {n + 1}: ‘{decision}’.")
        browser.follow(page.get_by_role("button", name="Besluit vastleggen"))
        if n == 0:
            browser.assert_accessible("besluit bevestigen")
        page.get_by_role("button", name="Besluit vastleggen").click()
        expect(page.locator(".app-flashes")).to_contain_text("Het besluit is vastgelegd.")
        if n < 9:
            page.get_by_role("link", name="Volgend punt").click()
    expect(page.get_by_role("link", name="Volgend punt")).to_have_count(0)  # the last item

    # Close (confirmed; the meeting is today, so no override is asked).
    page.get_by_role("link", name="Overleg sluiten").click()
    browser.assert_accessible("overleg sluiten")
    page.get_by_role("button", name="Overleg definitief sluiten").click()
    expect(page.locator(".app-flashes")).to_contain_text("Het overleg is gesloten.")
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).status == "gesloten"
    assert {db.session.get(Signal, s.id).status for s in signals} == {"in_aanpak", "afgesloten"}
    present = db.session.scalars(db.select(MeetingInvitee.attendance).where(MeetingInvitee.meeting_id == meeting.id))
    assert sorted(present) == ["aanwezig"] * 6 + ["afgemeld", "afwezig"]

    # The minutes: presence and every decision.
    minutes = " ".join(_pdf_text(browser, f"/overleggen/{meeting.id}/verslag.pdf").split())
    for member, dept, answer in zip(members, depts, attendance, strict=True):
        assert f"{member.display_name} · {dept.name} · {answer.lower()}" in minutes, member.display_name
    assert minutes.count("Monitoren") >= 9 and "Geen actie, afsluiten" in minutes
    for n in range(10):
        assert f"Besproken als punt {n + 1}" in minutes


def test_chairing_a_meeting_with_the_keyboard_only(browser, make_user, make_signal):
    coordinator, depts, _members, signals = _world(make_user, make_signal)
    meeting = Meeting(held_at=utcnow().replace(microsecond=0), status="concept", chair_id=coordinator.id,
                      agenda_cutoff=date.today() + timedelta(days=1))
    db.session.add(meeting)
    db.session.commit()
    prepare_services.invite_group(coordinator, meeting, db.session.scalar(db.select(InviteeGroup)))
    prepare_services.add_items(coordinator, meeting, signals[:3], date.today())
    db.session.commit()
    for signal in signals[:3]:
        decide_2a(signal, meeting, {d.id: ["fenomeen"] for d in depts})
    services.publish(coordinator, meeting)
    db.session.commit()
    page = browser.page
    keys = Keyboard(page)
    _log_in(browser, keys, coordinator.email)

    browser.goto(f"/overleggen/{meeting.id}")
    keys.new_page()
    keys.tab_to("Overleg voorzitten")
    keys.press_and_load()
    first, second = (db.session.get(AgendaItem, i.id) for i in meeting.items[:2])
    expect(page.get_by_role("link", name=first.signal.reference, exact=True)).to_have_attribute("aria-current", "true")
    keys.tab_to("Volgend punt")
    keys.press_and_load()
    expect(page.get_by_role("link", name=second.signal.reference, exact=True)).to_have_attribute(
        "aria-current", "true")
    keys.tab_to("Vorig punt")
    keys.press_and_load()
    expect(page.get_by_role("link", name=first.signal.reference, exact=True)).to_have_attribute("aria-current", "true")

    # Record a decision: a radio with Space, the rationale typed, Enter on the button, then confirm.
    keys.tab_to("Geen actie, afsluiten")
    page.keyboard.press("Space")
    keys.tab_to("Onderbouwing")
    keys.type("Geen aanwijzingen meer na het bronnenonderzoek.")
    keys.tab_to("Besluit vastleggen")
    keys.press_and_load()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Besluit bevestigen")
    keys.tab_to("Besluit vastleggen", exact=True)
    keys.press_and_load()
    expect(page.locator(".app-flashes")).to_contain_text("Het besluit is vastgelegd.")
    keys.assert_no_trap()
    keys.assert_clean()
    db.session.expire_all()
    assert db.session.get(AgendaItem, first.id).decision == "geen_actie"
