"""Browser journey of a casustafel meeting: the coordinator plans it, invites a member, puts a
signal on the agenda and publishes once check 2A is decided; the member sees only the fields
allowed; the coordinator records notes, a decision and an action and closes the meeting; the
member then gets 404. axe-core runs on every page.

The signal has an observed period (an optional field of the meldpunt): the item page, the
member's agenda and both PDFs show it, and every view and download the log holds belongs to a
response that succeeded."""

import io
from datetime import date, timedelta

from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import Action, AgendaItem, AuditEvent, Meeting, Signal
from tests.conftest import PASSWORD
from tests.helpers.meetings import decide_2a, department


def _login(browser, email):
    browser.log_in(email, PASSWORD)
    expect(browser.page.get_by_role("heading", level=1)).to_contain_text("Welkom", use_inner_text=True)


def _logout(browser):
    browser.log_out()


def _flash(browser, text):
    expect(browser.page.locator(".app-flashes")).to_contain_text(text)


def test_meeting_from_planning_to_closing(browser, make_user, make_signal):
    dept = department("Vergunningen")
    coordinator = make_user("coordinator", name="Regie Rianne")
    member = make_user("member", name="Deelnemer Daan", department_id=dept.id)
    signal = make_signal(status="bronnenonderzoek", description="Buurvrouw Ans zag afgeplakte ramen",
                         summary="Afgeplakte ramen en hennepgeur",
                         person=("Karel Kwekers", "1970-01-01"), observed_from=date(2026, 1, 5),
                         observed_until=date(2026, 2, 28))
    page = browser.page
    day = date.today() + timedelta(days=10)
    answered = {}  # request id → status of every page and download the browser received
    page.on("response", lambda r: answered.setdefault(r.headers.get("x-request-id"), r.status))

    def pdf_text(path):
        response = page.request.get(browser.origin + path)
        answered[response.headers.get("x-request-id")] = response.status
        assert response.status == 200, path
        return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)

    # The coordinator plans the meeting.
    _login(browser, coordinator.email)
    browser.goto("/overleggen/")
    browser.assert_accessible("overleggen")
    page.get_by_role("link", name="Nieuw overleg plannen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nieuw overleg")
    page.get_by_label("Voorzitter").select_option(label="— kies de voorzitter —")
    page.get_by_role("button", name="Opslaan").click()  # empty: Dutch messages
    expect(page.get_by_role("heading", name="Controleer het formulier")).to_be_visible()
    browser.assert_accessible("nieuw overleg met fouten")
    page.get_by_label("Datum", exact=True).fill(day.isoformat())
    page.get_by_label("Begintijd").fill("10:00")
    page.get_by_label("Voorzitter").select_option(label="Regie Rianne")
    page.get_by_label("Sluitingsdatum agenda").fill((day - timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Opslaan").click()
    _flash(browser, "Het overleg is aangemaakt.")
    browser.assert_accessible("overleg")
    meeting = db.session.query(Meeting).one()

    # Invites the member and puts the signal on the agenda.
    page.get_by_label("Deelnemer", exact=True).select_option(label="Deelnemer Daan (Vergunningen)")
    page.get_by_role("button", name="Uitnodigen", exact=True).click()
    _flash(browser, "Deelnemer Daan is uitgenodigd.")
    page.get_by_role("checkbox", name=signal.reference, exact=True).check()
    page.get_by_role("button", name="Op de agenda zetten").click()
    _flash(browser, f"Melding {signal.reference} staat op de agenda.")
    expect(page.get_by_role("cell", name="wacht op besluit")).to_be_visible()

    # Publishing waits for privacy check 2A.
    page.get_by_role("button", name="Agenda publiceren").click()
    _flash(browser, "privacytoets 2A is nog niet besloten")
    browser.assert_accessible("publiceren geweigerd")
    db.session.expire_all()
    decide_2a(db.session.get(Signal, signal.id), db.session.get(Meeting, meeting.id), {dept.id: ["beschrijving"]})
    page.get_by_role("button", name="Agenda publiceren").click()
    _flash(browser, "De agenda is gepubliceerd.")
    _logout(browser)

    # The member sees the coordinator's anonymised summary, never the reporter's words.
    _login(browser, member.email)
    browser.goto("/overleggen/mijn")
    browser.assert_accessible("mijn overleggen")
    page.get_by_role("link", name="Agenda van").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Agenda casustafel")
    body = page.locator("main").inner_text()
    assert "Afgeplakte ramen en hennepgeur" in body and "Buurvrouw Ans" not in body
    assert "Waargenomen: 5 januari 2026 tot en met 28 februari 2026." in body
    assert "Karel Kwekers" not in body and "1234 AB" not in body
    browser.assert_accessible("agenda voor deelnemer")
    agenda_path = page.url.removeprefix(browser.origin)
    assert "5 januari 2026" in pdf_text(f"/overleggen/{meeting.id}/agenda.pdf")
    _logout(browser)

    # The coordinator chairs the meeting from one screen: presence, notes, a decision (after its
    # confirmation page) and an action, then closes the meeting (confirmed, before its date with a reason).
    _login(browser, coordinator.email)
    browser.goto(f"/overleggen/{meeting.id}")
    page.get_by_role("link", name="Overleg voorzitten").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Overleg voorzitten")
    expect(page.get_by_role("link", name=signal.reference)).to_have_attribute("aria-current", "true")
    expect(page.locator("main")).to_contain_text("Waargenomen: 5 januari 2026 tot en met 28 februari 2026.")
    browser.assert_accessible("voorzitten")
    browser.follow(page.get_by_role("link", name="Aanwezigheid vastleggen"))
    page.get_by_role("group", name="Deelnemer Daan (Vergunningen)").get_by_label("Aanwezig", exact=True).check()
    browser.assert_accessible("aanwezigheid")
    page.get_by_role("button", name="Aanwezigheid opslaan").click()
    _flash(browser, "De aanwezigheid is vastgelegd.")
    expect(page.locator("main")).to_contain_text("Aanwezigheid: 1 aanwezig.")
    page.get_by_label("Aantekeningen").fill("Pand is bekend bij handhaving.")
    page.get_by_role("button", name="Aantekeningen opslaan").click()
    _flash(browser, "De aantekeningen zijn opgeslagen.")
    page.get_by_role("button", name="Besluit vastleggen").click()  # nothing chosen
    expect(page.get_by_role("heading", name="Controleer het formulier")).to_be_visible()
    browser.assert_accessible("besluit met fouten")
    page.get_by_label("Gemeentelijke casusaanpak").check()
    page.get_by_label("Onderbouwing").fill("Meerdere signalen over hetzelfde pand.")
    page.get_by_role("button", name="Besluit vastleggen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Besluit bevestigen")
    expect(page.locator("main")).to_contain_text("krijgt de status ‘in aanpak’")
    browser.assert_accessible("besluit bevestigen")
    page.get_by_role("button", name="Terug").click()  # the form again, as typed
    expect(page.get_by_label("Onderbouwing")).to_have_value("Meerdere signalen over hetzelfde pand.")
    browser.follow(page.get_by_role("button", name="Besluit vastleggen"))
    page.get_by_role("button", name="Besluit vastleggen").click()  # on the confirmation page
    _flash(browser, "heeft nu de status ‘in aanpak’")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Overleg voorzitten")  # back on the chair's screen
    page.get_by_label("Soort actie").select_option(label="Sluiting art. 13b Opiumwet")
    page.get_by_label("Eigenaar (deelnemer)").select_option(label="Deelnemer Daan")
    page.get_by_label("Uiterste datum").fill((date.today() + timedelta(days=30)).isoformat())
    page.get_by_label("Omschrijving").fill("Sluiting voorbereiden: bovenwoning Voorbeeldstraat")
    page.get_by_role("button", name="Actie vastleggen").click()
    _flash(browser, "De actie is vastgelegd.")
    browser.assert_accessible("voorzitten met besluit en actie")
    db.session.expire_all()
    item = db.session.query(AgendaItem).one()
    assert item.decision == "gemeentelijke_aanpak" and item.notes == "Pand is bekend bij handhaving."
    assert db.session.get(Signal, signal.id).status == "in_aanpak"
    assert db.session.query(Action).one().owner_id == member.id
    assert "Karel Kwekers" in pdf_text(f"/overleggen/{meeting.id}/agenda.pdf")
    minutes = pdf_text(f"/overleggen/{meeting.id}/verslag.pdf")
    assert "Pand is bekend bij handhaving." in minutes and "Deelnemer Daan · Vergunningen · aanwezig" in minutes
    page.get_by_role("link", name="Overleg sluiten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Overleg sluiten")
    page.get_by_role("button", name="Overleg definitief sluiten").click()  # before its date: refused
    expect(page.locator("main")).to_contain_text("Dit overleg is pas op")
    browser.assert_accessible("overleg sluiten vóór de datum")
    page.get_by_label("Toch nu sluiten, vóór de datum van het overleg").check()
    page.get_by_label("Waarom sluit u het overleg eerder?").fill("Het overleg is vervroegd gehouden.")
    page.get_by_role("button", name="Overleg definitief sluiten").click()
    _flash(browser, "Het overleg is gesloten.")
    browser.assert_accessible("gesloten overleg")
    _logout(browser)

    # After closing, the member's agenda is gone.
    _login(browser, member.email)
    response = browser.goto(agenda_path)
    assert response.status == 404
    assert "Afgeplakte ramen" not in page.content()
    browser.assert_accessible("404 na sluiten")

    # Every view and download in the log belongs to a response that succeeded.
    db.session.expire_all()
    logged = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.like("%viewed") | AuditEvent.action.like("%downloaded"))).all()
    assert {e.action for e in logged} >= {"agenda_item.viewed", "meeting.viewed",
                                          "meeting.agenda_downloaded", "meeting.minutes_downloaded"}
    assert all(answered.get(e.request_id) == 200 for e in logged), [
        (e.action, answered.get(e.request_id)) for e in logged if answered.get(e.request_id) != 200]
