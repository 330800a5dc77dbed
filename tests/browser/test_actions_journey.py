"""Browser journey of actions: the coordinator sets one, the dashboard shows what is overdue,
the member finishes it from Mijn acties, and the dashboard follows. axe-core on every page."""

import re
from datetime import date, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from casustafel.actions import services
from casustafel.extensions import db
from casustafel.models import Action
from casustafel.privacy.decisions import decide_privacy_check
from casustafel.privacy.services import request_privacy_check
from tests.conftest import PASSWORD
from tests.helpers.powers import power_ids


def _login(browser, email):
    browser.log_in(email, PASSWORD)
    expect(browser.page.get_by_role("heading", level=1)).to_contain_text("Welkom", use_inner_text=True)


def _logout(browser):
    browser.log_out()


def _overdue_table(browser):
    return browser.page.get_by_role("region", name="Verlopen acties")


def test_an_overdue_action_is_finished_by_its_owner_and_leaves_the_dashboard(browser, make_user, make_signal):
    coordinator = make_user("coordinator", name="Vera Voorzitter")
    member = make_user("member", name="Mo Deelnemer")
    officer = make_user("privacy_officer", name="Pim Privacy")
    signal = make_signal(status="in_aanpak", description="Geheime beschrijving van de melding")

    # The coordinator sets an action from the signal; a past deadline is refused.
    _login(browser, coordinator.email)
    browser.goto(f"/acties/nieuw/{signal.id}")
    page = browser.page
    page.get_by_label("Soort actie").select_option(label="Stopgesprek")
    page.get_by_label("Uitvoerder: een persoon").select_option(label="Mo Deelnemer")
    page.get_by_label("Uiterste datum").fill((date.today() - timedelta(days=1)).isoformat())
    page.get_by_label("Beschrijving van de actie").fill("Gesprek met de exploitant voeren")
    page.get_by_role("button", name="Actie aanmaken").click()
    expect(page.get_by_role("heading", name="Controleer het formulier")).to_be_visible()
    assert page.get_by_label("Beschrijving van de actie").input_value() == "Gesprek met de exploitant voeren"
    browser.assert_accessible("nieuwe actie met fout")
    page.get_by_label("Uiterste datum").fill((date.today() + timedelta(days=7)).isoformat())
    page.get_by_role("button", name="Actie aanmaken").click()
    expect(page.get_by_text("De actie is aangemaakt.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Actie: Stopgesprek", use_inner_text=True)
    browser.assert_accessible("actie (regisseur)")

    # An overdue action (a past deadline cannot be typed, so it is stored directly).
    overdue = services.create_action(coordinator, signal, type="13b_opiumwet", owner_id=member.id,
                                     deadline=date.today() - timedelta(days=3), description="Sluiting voorbereiden")
    # Check 2B (weging 5) allowed the description, nothing else: the action's text goes with it.
    check = request_privacy_check(coordinator, signal, "2B", action=overdue)
    decide_privacy_check(officer, check, approved=True, rationale="Nodig voor het 13b-besluit.",
                         allowed_fields=["beschrijving"], powers=power_ids())
    db.session.commit()
    browser.goto("/")
    table = _overdue_table(browser)
    expect(table).to_contain_text("Sluiting art. 13b Opiumwet", use_inner_text=True)
    expect(table).to_contain_text(signal.reference, use_inner_text=True)
    expect(table).to_contain_text("Mo Deelnemer", use_inner_text=True)
    assert "Stopgesprek" not in table.inner_text()
    browser.assert_accessible("start (regisseur)")
    browser.goto("/acties/")
    expect(page.get_by_role("region", name="Acties").get_by_role("link", name="Stopgesprek")).to_be_visible()
    page.get_by_label("Termijn").select_option(label="Alleen verlopen")
    page.get_by_role("button", name="Filteren").click()
    expect(page).to_have_url(re.compile(r"overdue=1"))
    page.wait_for_load_state("load")
    assert page.get_by_role("region", name="Acties").get_by_role("link", name="Stopgesprek").count() == 0
    browser.assert_accessible("overzicht acties")
    _logout(browser)

    # The member finishes it from Mijn acties.
    _login(browser, member.email)
    expect(page.get_by_role("main")).to_contain_text("2 openstaande acties voor u", use_inner_text=True)
    browser.assert_accessible("start (deelnemer)")
    page.get_by_role("link", name="2 openstaande acties voor u").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn acties", use_inner_text=True)
    expect(page.get_by_role("region", name="Openstaande acties")).to_contain_text("verlopen", use_inner_text=True)
    browser.assert_accessible("mijn acties")
    page.get_by_role("link", name="Sluiting art. 13b Opiumwet").click()
    expect(page.get_by_text("Sluiting voorbereiden")).to_be_visible()
    assert "Jan Jansen" not in page.content() and "1234 AB" not in page.content()  # what 2B did not allow
    browser.assert_accessible("actie (deelnemer)")
    page.get_by_label("Status").select_option(label="Afgerond")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Vul het resultaat in als de actie is afgerond.").first).to_be_visible()
    browser.assert_accessible("actie met fout")
    page.get_by_label("Resultaat").fill("Vragenlijst ontvangen en beoordeeld")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("De actie is bijgewerkt.")).to_be_visible()
    expect(page.get_by_text("Vragenlijst ontvangen en beoordeeld")).to_be_visible()
    db.session.expire_all()
    assert db.session.scalar(select(Action.status).where(Action.id == overdue.id)) == "afgerond"
    _logout(browser)

    # The coordinator's dashboard no longer lists it.
    _login(browser, coordinator.email)
    assert _overdue_table(browser).count() == 0
    expect(page.get_by_text("Er zijn geen verlopen acties.")).to_be_visible()
