"""The whole casustafel workflow in a real browser, with the demo accounts (issue 4, "Must show").

signal → intake → weging → privacy check 1 → source checks → weging 4 → privacy check 2A → agenda →
meeting → decision → action for a member who sees only the allowed fields → action done →
monitoring → closed. The reporter sees each feedback message; axe-core runs on every page of
the journey; at the end every state change and read is in the access log and the chain holds.

Each person works in their own browser context, all against the same live server.
"""

import uuid
from collections import Counter
from datetime import date, timedelta

import pytest
from flask import current_app
from playwright.sync_api import expect
from sqlalchemy import select

from casustafel import demo
from casustafel.admin.services import find_user_by_email
from casustafel.audit_log import verify_chain
from casustafel.dates import long_date
from casustafel.extensions import db
from casustafel.models import (
    ASSESSMENT_CRITERIA,
    FEEDBACK_MESSAGES,
    Action,
    AgendaItem,
    Assessment,
    AuditEvent,
    Feedback,
    Meeting,
    PrivacyCheck,
    Signal,
    SignalEvent,
    SourceQuery,
)
from tests.browser.conftest import Browser, reveal
from tests.helpers.referrals import pdf_text
from tests.helpers.registers import fill_abc

PERSON = "Journey-Persoon Karelsen"
DESCRIPTION = "Journey-Beschrijving: afgeplakte ramen en 's nachts een sterke hennepgeur."
ADDRESS = "Journeystraat 7, 3512 JJ Utrecht"
ACTION_TEXT = "Journey-Actie: inschrijvingen op het adres nagaan."
VTH = "Vergunningen, toezicht en handhaving"


@pytest.fixture
def open_browser(chromium, live_server):
    """A fresh browser context per person, closed after the test."""
    contexts = []

    def open_():
        context = chromium.new_context(locale="nl-NL")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.set_default_navigation_timeout(30_000)
        return Browser(page, live_server)

    yield open_
    for context in contexts:
        context.close()


def _login(browser, email, name):
    browser.goto("/inloggen")
    browser.assert_accessible("inloggen")
    browser.page.get_by_label("E-mailadres").fill(email)
    browser.page.get_by_label("Wachtwoord").fill(demo.DEMO_PASSWORD)
    browser.page.get_by_role("button", name="Inloggen").click()
    expect(browser.page.get_by_role("heading", level=1)).to_have_text(f"Welkom, {name}")
    browser.assert_accessible(f"start ({name})")


def _nav(browser, label):
    """Follow a main menu item; each lands on a page with that heading."""
    browser.page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name=label, exact=True).click()
    expect(browser.page.get_by_role("heading", level=1)).to_have_text(label)


def _flash(browser, text):
    expect(browser.page.locator(".app-flashes")).to_contain_text(text)


POWER_13B = "Burgemeester — Sluiting van een drugspand (Opiumwet art. 13b)"


def _weigh(page, kind, form_name, outcome, rationale):
    form = page.get_by_role("form", name=form_name)
    for question in ASSESSMENT_CRITERIA[kind].values():
        form.get_by_role("group", name=question).get_by_label("Ja", exact=True).check()
    form.get_by_label("Uitkomst").select_option(label=outcome)
    if kind == "intake":  # weging 2: the task or power, and so the competent body
        form.get_by_label("Taak of bevoegdheid van de gemeente").select_option(label=POWER_13B)
    form.get_by_label("Onderbouwing").fill(rationale)
    form.get_by_role("button", name="Weging vastleggen").click()


def _status(page, label, closing_reason=None):
    reveal(page, page.get_by_role("radio", name=label, exact=True, include_hidden=True)).check()
    if closing_reason:
        page.get_by_label("Reden van afsluiten").select_option(label=closing_reason)
    page.get_by_role("button", name="Status wijzigen").click()


def _feedback(browser, code):
    browser.reveal(browser.page.get_by_role("radio", name=FEEDBACK_MESSAGES[code], include_hidden=True)).check()
    browser.page.get_by_role("button", name="Bericht versturen").click()
    _flash(browser, "Het bericht is naar de melder gestuurd.")


def _reporter_sees(reporter, reference, status, message, name):
    _nav(reporter, "Mijn meldingen")
    row = reporter.page.get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text(status)
    expect(row).to_contain_text(message)  # the latest message
    reporter.assert_accessible(f"mijn meldingen ({name})")
    reporter.page.get_by_role("link", name=reference).click()
    expect(reporter.page.get_by_role("heading", level=1)).to_have_text(f"Melding {reference}")
    expect(reporter.page.get_by_role("main")).to_contain_text(message)
    assert PERSON not in reporter.page.content() and DESCRIPTION not in reporter.page.content()
    reporter.assert_accessible(f"mijn melding ({name})")


def _open_privacy_check(officer, reference, kind):
    _nav(officer, "Privacytoetsen")
    officer.assert_accessible(f"privacytoetsen ({kind})")
    waiting = officer.page.get_by_role("region", name="Open privacytoetsen")
    waiting.get_by_role("row").filter(has_text=f"Privacytoets {kind}:").get_by_role("link", name=reference).click()
    expect(officer.page.get_by_role("heading", level=1)).to_contain_text(f"Privacytoets {kind}")
    expect(officer.page.get_by_role("main")).to_contain_text(DESCRIPTION)  # content only while open
    officer.assert_accessible(f"privacytoets {kind} beoordelen")


def _decide(officer, kind, rationale):
    page = officer.page
    page.get_by_label("Goedgekeurd").check()
    page.get_by_label("Onderbouwing").fill(rationale)
    page.get_by_role("button", name="Besluit vastleggen").click()
    _flash(officer, "Het besluit is vastgelegd.")
    assert DESCRIPTION not in page.content() and PERSON not in page.content()
    officer.assert_accessible(f"privacytoets {kind} besloten")


def test_a_signal_goes_through_the_whole_casustafel_workflow(browser, open_browser):
    demo.load_demo()
    coordinator = browser
    reporter, officer, member = open_browser(), open_browser(), open_browser()
    day = date.today() + timedelta(days=10)

    # The reporter submits a signal through the meldpunt.
    _login(reporter, "melder@casustafel.test", "Mila Melder")
    page = reporter.page
    _nav(reporter, "Melding doen")
    reporter.assert_accessible("meldpunt")
    page.get_by_label("Fenomeen").select_option(label="Hennepteelt")
    page.get_by_label("Wat heeft u gezien of gehoord?").fill(DESCRIPTION)
    subject = page.locator("#betrokkene-1")
    subject.get_by_label("Rol in deze melding").select_option(label="Vermoedelijk betrokkene")
    subject.get_by_label("Naam").fill(PERSON)
    subject.get_by_label("Geboortedatum").fill("1975-03-09")
    address = page.locator("#adres-1")
    address.get_by_label("Straat").fill("Journeystraat")
    address.get_by_label("Huisnummer").fill("7")
    address.get_by_label("Postcode").fill("3512 JJ")
    address.get_by_label("Plaats").fill("Utrecht")
    page.get_by_role("button", name="Melding versturen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Melding ontvangen")
    reference = page.locator(".app-reference").inner_text()
    reporter.assert_accessible("bevestiging")
    _reporter_sees(reporter, reference, "Ontvangen", FEEDBACK_MESSAGES["ontvangen"], "ontvangen")

    # The coordinator finds it in the inbox and tells the reporter it is being handled.
    _login(coordinator, "voorzitter@casustafel.test", "Vera Voorzitter")
    page = coordinator.page
    _nav(coordinator, "Meldingen")
    coordinator.assert_accessible("meldingen")
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Melding {reference}")
    workspace = page.url.removeprefix(coordinator.origin)
    signal_id = workspace.rsplit("/", 1)[-1]
    for shown in (DESCRIPTION, PERSON, ADDRESS, "Mila Melder"):
        expect(page.get_by_role("main")).to_contain_text(shown)
    coordinator.assert_accessible("werkruimte, ingediend")
    _feedback(coordinator, "in_behandeling")
    _reporter_sees(reporter, reference, "Ontvangen", FEEDBACK_MESSAGES["in_behandeling"], "in behandeling")

    # Intake (→ weging), weging 3 (→ bronnenonderzoek), privacy check 1 asked.
    _weigh(page, "intake", "Intake (weging 1 en 2) vastleggen", "Verder naar de weging",
           "Lokaal pand, gemeentelijke taak.")
    _flash(coordinator, "Status: Weging.")
    _weigh(page, "weging", "Weging 3 vastleggen", "Bronnenonderzoek starten",
           "Concreet, recent, past in het hennepbeeld.")
    _flash(coordinator, "Status: Bronnenonderzoek.")
    form = page.get_by_role("form", name="Privacytoets 1 aanvragen")
    form.get_by_label("Toelichting voor de privacyfunctionaris").fill("Graag BRP en BAG.")
    form.get_by_role("button", name="Privacytoets 1 aanvragen").click()
    _flash(coordinator, "Privacytoets 1 is aangevraagd.")
    coordinator.assert_accessible("werkruimte, privacytoets 1 aangevraagd")

    # The privacy officer allows BRP and BAG.
    _login(officer, "privacy@casustafel.test", "Pim Privacy")
    _open_privacy_check(officer, reference, "1")
    allowed = officer.page.get_by_role("group", name="Bronnen die mogen worden geraadpleegd")
    allowed.get_by_label("BRP (personen)").check()
    allowed.get_by_label("BAG (adressen en gebouwen)").check()
    for register in ("BRP (personen)", "BAG (adressen en gebouwen)"):
        fill_abc(officer.page, register)
    _decide(officer, "1", "Nodig om persoon en pand te wegen.")

    # The coordinator logs a BRP no hit and a BAG hit.
    coordinator.goto(workspace)
    done = page.get_by_role("table", name="Geraadpleegde bronnen").get_by_role("row")
    for count, (register, outcome) in enumerate((("BRP (personen)", "No hit: niets gevonden"),
                                                 ("BAG (adressen en gebouwen)", "Hit: er is iets gevonden")), 2):
        form = page.get_by_role("form", name="Bron raadplegen")
        form.get_by_label("Bron", exact=True).select_option(label=register)
        form.get_by_label(outcome).check()
        if outcome.startswith("Hit"):
            form.get_by_label("Datum van de gevonden informatie").fill((day - timedelta(days=40)).isoformat())
        form.get_by_role("button", name="Resultaat vastleggen").click()
        expect(done).to_have_count(count)  # the header and one row per source
    _flash(coordinator, "Het resultaat van de bron is vastgelegd.")
    coordinator.assert_accessible("werkruimte, bronnenonderzoek")

    # Weging 4 on the hits: the casustafel; the signal stays in bronnenonderzoek until the agenda.
    _weigh(page, "vervolgstap", "Weging 4 (vervolgstap) vastleggen",
           "Bespreken in het gemeentelijk casusoverleg (casustafel)", "BAG-hit: integraal bespreken.")
    _flash(coordinator, "De weging 4 (vervolgstap) is vastgelegd. Status: Bronnenonderzoek.")
    coordinator.assert_accessible("werkruimte, weging 4")

    # A meeting: the member invited for VTH, the signal on the agenda (→ geagendeerd, 2A asked).
    _nav(coordinator, "Overleggen")
    coordinator.assert_accessible("overleggen")
    page.get_by_role("link", name="Nieuw overleg plannen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nieuw overleg")
    coordinator.assert_accessible("nieuw overleg")
    page.get_by_label("Datum", exact=True).fill(day.isoformat())
    page.get_by_label("Begintijd").fill("10:00")
    page.get_by_label("Voorzitter").select_option(label="Vera Voorzitter")
    page.get_by_label("Sluitingsdatum agenda").fill((day - timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Opslaan").click()
    _flash(coordinator, "Het overleg is aangemaakt.")
    meeting_page = page.url.removeprefix(coordinator.origin)
    page.get_by_label("Deelnemer", exact=True).select_option(label=f"Daan Deelnemer ({VTH})")
    page.get_by_role("button", name="Uitnodigen", exact=True).click()
    _flash(coordinator, "Daan Deelnemer is uitgenodigd.")
    page.get_by_role("checkbox", name=reference, exact=True).check()
    page.get_by_role("button", name="Op de agenda zetten").click()
    _flash(coordinator, f"Melding {reference} staat op de agenda. Privacytoets 2A is aangevraagd.")
    page.get_by_role("button", name="Agenda publiceren").click()  # refused until 2A is decided
    _flash(coordinator, "privacytoets 2A is nog niet besloten")
    coordinator.assert_accessible("overleg, publiceren geweigerd")

    # The privacy officer lets VTH see the phenomenon and the addresses only.
    _open_privacy_check(officer, reference, "2A")
    rules = officer.page.get_by_role("group", name=f"Wat mogen deelnemers van {VTH} zien?")
    rules.get_by_label("Fenomeen en indicatoren").check()
    rules.get_by_label("Adressen en panden").check()
    _decide(officer, "2A", "Handhaving heeft het adres nodig, niet de personen.")

    page.get_by_role("button", name="Agenda publiceren").click()
    _flash(coordinator, "De agenda is gepubliceerd.")
    coordinator.assert_accessible("overleg, gepubliceerd")

    # The member sees the address and the phenomenon, not the description or the person.
    _login(member, "deelnemer@casustafel.test", "Daan Deelnemer")
    _nav(member, "Mijn overleggen")
    member.assert_accessible("mijn overleggen")
    member.page.get_by_role("link", name=f"Agenda van {long_date(day, weekday=True)}").click()
    expect(member.page.get_by_role("heading", level=1)).to_contain_text("Agenda casustafel")
    agenda = member.page.get_by_role("main").inner_text()
    assert reference in agenda and ADDRESS in agenda and "Hennepteelt" in agenda
    assert DESCRIPTION not in agenda and "Journey-Beschrijving" not in agenda
    assert PERSON not in agenda and "Journey-Persoon" not in agenda
    assert "1975" not in agenda.replace(reference, "")  # the birth year (a reference has four random digits)
    assert "Journey-Persoon" not in member.page.content()  # nor hidden in the markup
    member.assert_accessible("agenda (deelnemer)")
    agenda_page = member.page.url.removeprefix(member.origin)

    # In the meeting: notes, the decision (→ besproken → in aanpak), an action for the member.
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Agendapunt 1: {reference}")
    coordinator.assert_accessible("agendapunt")
    page.get_by_label("Aantekeningen").fill("Pand is bekend bij handhaving.")
    page.get_by_role("button", name="Aantekeningen opslaan").click()
    _flash(coordinator, "De aantekeningen zijn opgeslagen.")
    page.get_by_label("Gemeentelijke casusaanpak").check()
    page.get_by_label("Onderbouwing").fill("Integrale aanpak van het pand.")
    page.get_by_role("button", name="Besluit vastleggen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Besluit bevestigen")
    coordinator.assert_accessible("besluit bevestigen")
    page.get_by_role("button", name="Besluit vastleggen").click()
    _flash(coordinator, "heeft nu de status ‘in aanpak’")
    page.get_by_label("Soort actie").select_option(label="Adresonderzoek BRP")
    page.get_by_label("Eigenaar (deelnemer)").select_option(label="Daan Deelnemer")
    page.get_by_label("Uiterste datum").fill((date.today() + timedelta(days=30)).isoformat())
    page.get_by_label("Omschrijving").fill(ACTION_TEXT)
    page.get_by_role("button", name="Actie vastleggen").click()
    _flash(coordinator, "De actie is vastgelegd.")
    coordinator.assert_accessible("agendapunt met besluit en actie")

    # Weging 5, privacy check 2B: the member gets only what the privacy officer allows, the address.
    _open_privacy_check(officer, reference, "2B")
    officer.page.get_by_role("group", name="Gegevens die mogen worden gedeeld") \
        .get_by_label("Adressen en panden").check()
    officer.page.get_by_role("group", name="Bevoegdheden waarvoor de gegevens worden ingezet") \
        .get_by_label("College van burgemeester en wethouders — Adresonderzoek en bijhouding van de basisregistratie "
                      "personen (Wet BRP)").check()
    _decide(officer, "2B", "Voor het adresonderzoek is alleen het adres nodig.")
    coordinator.goto(meeting_page)
    page.get_by_role("link", name="Overleg sluiten").click()
    coordinator.assert_accessible("overleg sluiten bevestigen")
    page.get_by_label("Toch nu sluiten, vóór de datum van het overleg").check()  # the meeting is ahead
    page.get_by_label("Waarom sluit u het overleg eerder?").fill("Vervroegd gehouden.")
    page.get_by_role("button", name="Overleg definitief sluiten").click()
    _flash(coordinator, "Het overleg is gesloten.")
    coordinator.assert_accessible("overleg gesloten")

    # The member's agenda is gone; the member finishes the action from Mijn acties.
    assert member.goto(agenda_page).status == 404
    member.assert_accessible("agenda na sluiten (404)")
    _nav(member, "Mijn acties")
    member.assert_accessible("mijn acties")
    member.page.get_by_role("region", name="Openstaande acties").get_by_role("link", name="Adresonderzoek BRP").click()
    expect(member.page.get_by_role("heading", level=1)).to_have_text("Actie: Adresonderzoek BRP")
    # Check 2B allowed the address only: not the action's text, the description or the person.
    expect(member.page.get_by_role("main")).to_contain_text(ADDRESS.split(",")[0])
    assert ACTION_TEXT not in member.page.content()
    assert DESCRIPTION not in member.page.content() and PERSON not in member.page.content()
    member.assert_accessible("actie (deelnemer)")
    member.page.get_by_label("Status").select_option(label="Afgerond")
    member.page.get_by_label("Resultaat").fill("Twee personen uitgeschreven.")
    member.page.get_by_role("button", name="Opslaan").click()
    _flash(member, "De actie is bijgewerkt.")
    expect(member.page.get_by_role("main")).to_contain_text("Twee personen uitgeschreven.")
    member.assert_accessible("actie afgerond")

    # Monitoring, then closing with a reason, and the closing message to the reporter.
    coordinator.goto(workspace)
    actions = coordinator.reveal(page.get_by_role("region", name="Acties bij deze melding", include_hidden=True))
    expect(actions).to_contain_text("Afgerond")
    plan = page.get_by_role("form", name="Plan van aanpak vastleggen")  # step 4: the plan first
    plan.get_by_label("Doel van de aanpak").fill("Het pand is vrij van hennepteelt.")
    plan.get_by_label("Interventies").fill("Adresonderzoek BRP, daarna een integrale controle.")
    plan.get_by_label("Casusregisseur").select_option(label="Vera Voorzitter")
    plan.get_by_label("Evaluatiedatum").fill((date.today() + timedelta(days=60)).isoformat())
    plan.get_by_role("button", name="Plan vastleggen").click()
    _flash(coordinator, "Het plan van aanpak is vastgelegd.")
    until = (date.today() + timedelta(days=90)).isoformat()
    reveal(page, page.get_by_label("Monitoring tot en met")).fill(until)  # step 4
    _status(page, "Monitoring")
    _flash(coordinator, "De status is gewijzigd in ‘Monitoring’.")
    _status(page, "Afgesloten", closing_reason="Aanpak en monitoring afgerond")
    _flash(coordinator, "De status is gewijzigd in ‘Afgesloten’.")
    _feedback(coordinator, "afgesloten")
    coordinator.assert_accessible("werkruimte, afgesloten")
    _reporter_sees(reporter, reference, "Afgesloten", FEEDBACK_MESSAGES["afgesloten"], "afgesloten")
    for code in ("ontvangen", "in_behandeling", "afgesloten"):  # every message, on the detail page
        expect(reporter.page.get_by_role("main")).to_contain_text(FEEDBACK_MESSAGES[code])

    # The weighing record: every weighing and check with who, when and why, as a page and a PDF.
    coordinator.goto(workspace)
    page.get_by_role("link", name="Wegingsverslag", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Wegingsverslag {reference}")
    coordinator.assert_accessible("wegingsverslag")
    steps = ("Intake (weging 1 en 2)", "Weging 3", "Privacytoets 1", "Bronnenonderzoek: BAG",
             "Weging 4 (vervolgstap)", "Privacytoets 2A", "Besluit van de casustafel", "Privacytoets 2B")
    for step in steps:
        expect(page.get_by_role("main")).to_contain_text(step)
    pdf = page.request.get(coordinator.origin + f"/meldingen/{signal_id}/wegingsverslag.pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(pdf_text(pdf.body()).split())
    for expected in (*steps, "Lokaal pand, gemeentelijke taak.", "BAG-hit: integraal bespreken.",
                     "Gedownload door Vera Voorzitter"):
        assert expected in text, expected
    assert PERSON not in text and "Mila Melder" not in text  # no subject named, never the reporter

    _assert_access_log(signal_id)


def _assert_access_log(signal_id):
    """Every state change and read of the journey is in the log, and the chain is intact."""
    db.session.expire_all()
    signal = db.session.get(Signal, uuid.UUID(signal_id))
    assert signal.status == "afgesloten" and signal.closing_reason == "aanpak_afgerond"
    users = {key: find_user_by_email(f"{key}@casustafel.test").id
             for key in ("melder", "voorzitter", "privacy", "deelnemer")}
    by_signal = {"signal_id": signal.id}
    item = db.session.scalars(select(AgendaItem).filter_by(**by_signal)).one()
    action = db.session.scalars(select(Action).filter_by(**by_signal)).one()
    checks = db.session.scalars(select(PrivacyCheck).filter_by(**by_signal)).all()
    queries = db.session.scalars(select(SourceQuery).filter_by(**by_signal)).all()
    assessments = db.session.scalars(select(Assessment).filter_by(**by_signal)).all()
    feedback = db.session.scalars(select(Feedback).filter_by(**by_signal)).all()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()

    def of(name, actor, *objects, **attrs):
        """Events of this action by this person, on one of these objects (if given)."""
        ids = {str(getattr(o, "id", o)) for o in objects}
        return [e for e in events if e.action == name and e.actor_id == users[actor]
                and (not ids or e.object_id in ids) and all(getattr(e, k) == v for k, v in attrs.items())]

    # One log event per SignalEvent: the first is the creation, each later one a status change.
    history = db.session.scalars(select(SignalEvent).filter_by(**by_signal)).all()
    assert [e.to_status for e in history if e.from_status is None] == ["ingediend"]
    assert len(of("signal.created", "melder", signal)) == 1
    expected = Counter((e.actor_id, e.reason_code or e.to_status) for e in history if e.from_status is not None)
    logged = Counter((e.actor_id, e.reason_code) for e in events
                     if e.action == "signal.status_changed" and e.object_id == str(signal.id))
    assert logged == expected
    assert {e.to_status for e in history} == {"ingediend", "intake", "weging", "bronnenonderzoek", "geagendeerd",
                                              "besproken", "in_aanpak", "monitoring", "afgesloten"}

    # The reads: each person's pages of this signal.
    assert of("signal.own_listed", "melder") and of("signal.status_viewed", "melder", signal)
    assert of("signal.listed", "voorzitter") and of("signal.viewed", "voorzitter", signal, purpose="casustafel")
    assert of("privacy_check.listed", "privacy")
    assert len(of("signal.viewed", "privacy", signal, purpose="privacytoets")) == 3  # checks 1, 2A and 2B, while open
    assert len(of("privacy_check.viewed", "privacy", *checks)) == 3  # the decisions, without content
    assert of("meeting.own_listed", "deelnemer") and of("agenda_item.viewed", "deelnemer", item)
    assert of("action.listed", "deelnemer") and of("action.viewed", "deelnemer", action)
    assert of("access.denied", "deelnemer", item.meeting_id, result="denied")  # the agenda after closing
    assert of("meeting.viewed", "voorzitter", item.meeting_id) and of("agenda_item.viewed", "voorzitter", item)

    # The changes.
    assert len(of("assessment.recorded", "voorzitter", *assessments)) == len(assessments) == 3  # weging 1-2, 3 and 4
    assert sorted(f.code for f in feedback) == ["afgesloten", "in_behandeling", "ontvangen"]
    sent = of("feedback.sent", "voorzitter", *feedback)  # "ontvangen" is automatic, sent by nobody
    assert sorted(e.reason_code for e in sent) == ["afgesloten", "in_behandeling"]
    assert sorted(c.kind for c in checks) == ["1", "2A", "2B"]
    assert len(of("privacy_check.requested", "voorzitter", *checks)) == 3
    assert len(of("privacy_check.decided", "privacy", *checks)) == 3
    assert sorted(e.reason_code for e in of("source_query.recorded", "voorzitter", *queries)) == ["bag", "brp"]
    for name in ("meeting.created", "meeting.member_invited", "meeting.published", "meeting.closed"):
        assert len(of(name, "voorzitter", item.meeting_id)) == 1, name
    for name in ("agenda_item.added", "agenda_item.notes_recorded", "agenda_item.decided"):
        assert len(of(name, "voorzitter", item)) == 1, name
    assert of("action.created", "voorzitter", action) and of("action.updated", "deelnemer", action)
    assert db.session.get(Meeting, item.meeting_id).status == "gesloten"

    status = verify_chain(current_app.extensions["casustafel_keyring"])
    assert status.ok, status.message
