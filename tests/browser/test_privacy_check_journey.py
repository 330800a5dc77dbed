"""Browser journey of the weighings, privacy check 1 and the source checks.

The coordinator records the intake and weging 3, asks privacy check 1; the privacy officer
decides it (BRP and BAG, BAG with content) and then no longer sees the signal; the
coordinator logs a BRP no hit and a BAG hit with a summary. axe-core runs on every page.
"""

from playwright.sync_api import expect
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import ASSESSMENT_CRITERIA, Signal, SourceQuery
from tests.conftest import PASSWORD
from tests.helpers.registers import fill_abc

DESCRIPTION = "Afgeplakte ramen en een sterke hennepgeur."


def _login(browser, email):
    browser.log_in(email, PASSWORD)
    expect(browser.page.get_by_role("heading", level=1)).to_contain_text("Welkom", use_inner_text=True)


def _logout(browser):
    browser.log_out()


def _weigh(page, form_name, questions, outcome, rationale):
    form = page.get_by_role("form", name=form_name)
    for question in questions:
        form.get_by_role("group", name=question).get_by_label("Ja", exact=True).check()
    form.get_by_label("Uitkomst").select_option(label=outcome)
    if outcome == "Verder naar de weging":  # weging 2: the task or power, and so the competent body
        form.get_by_label("Taak of bevoegdheid van de gemeente") \
            .select_option(label="Burgemeester — Sluiting van een drugspand (Opiumwet art. 13b)")
    form.get_by_label("Onderbouwing").fill(rationale)
    form.get_by_role("button", name="Weging vastleggen").click()


def test_weighings_privacy_check_1_and_source_checks(browser, make_user, make_signal):
    coordinator = make_user("coordinator", name="Ruud Regisseur")
    officer = make_user("privacy_officer", name="Paula Privacy")
    signal = make_signal(description=DESCRIPTION, person=("Jan de Vries", "1980-05-17"))
    page = browser.page

    _login(browser, coordinator.email)
    browser.goto(f"/meldingen/{signal.id}")
    expect(page.get_by_role("heading", name="Wegingen", level=2)).to_be_visible()
    browser.assert_accessible("werkruimte met intake")

    # A "no" cannot lead to the weging: the message sits next to the field, input is kept.
    intake = page.get_by_role("form", name="Intake (weging 1 en 2) vastleggen")
    intake.get_by_role("group", name="Speelt het zich af op het grondgebied van de gemeente?") \
        .get_by_label("Nee", exact=True).check()
    intake.get_by_label("Uitkomst").select_option(label="Verder naar de weging")
    intake.get_by_label("Onderbouwing").fill("Pand in de gemeente, geen vergunning.")
    intake.get_by_role("button", name="Weging vastleggen").click()
    expect(page.get_by_role("heading", name="Controleer het formulier")).to_be_visible()
    expect(page.locator("#intake-outcome-error")).to_contain_text("niet door naar de weging", use_inner_text=True)
    assert page.get_by_label("Onderbouwing").input_value() == "Pand in de gemeente, geen vergunning."
    browser.assert_accessible("intake met fout")

    browser.goto(f"/meldingen/{signal.id}")
    _weigh(page, "Intake (weging 1 en 2) vastleggen",
           list(ASSESSMENT_CRITERIA["intake"].values()),
           "Verder naar de weging", "Pand in de gemeente, geen vergunning.")
    expect(page.get_by_text("De intake (weging 1 en 2) is vastgelegd. Status: Weging.")).to_be_visible()
    _weigh(page, "Weging 3 vastleggen",
           ["Is het signaal voldoende concreet?", "Is het signaal recent?",
            "Past het in een trend of fenomeen dat extra aandacht vraagt?"],
           "Bronnenonderzoek starten", "Concreet en recent; past in het hennepbeeld.")
    expect(page.get_by_text("Status: Bronnenonderzoek.")).to_be_visible()
    request = page.get_by_role("form", name="Privacytoets 1 aanvragen")
    request.get_by_label("Toelichting voor de privacyfunctionaris").fill("Graag BRP en BAG.")
    request.get_by_role("button", name="Privacytoets 1 aanvragen").click()
    expect(page.get_by_text("Privacytoets 1 is aangevraagd.")).to_be_visible()
    expect(page.get_by_text("Wacht op besluit", exact=True)).to_be_visible()  # the open check's record is open
    browser.assert_accessible("werkruimte, toets aangevraagd")
    _logout(browser)

    _login(browser, officer.email)
    browser.goto("/privacy/")
    expect(page.get_by_role("heading", name="Privacytoetsen", level=1)).to_be_visible()
    assert DESCRIPTION not in page.content()
    browser.assert_accessible("open privacytoetsen")
    page.get_by_role("link", name=signal.reference).click()
    expect(page.get_by_text(DESCRIPTION)).to_be_visible()
    browser.assert_accessible("privacytoets 1 beoordelen")

    page.get_by_role("button", name="Besluit vastleggen").click()  # empty: explained
    expect(page.get_by_role("heading", name="Controleer het formulier")).to_be_visible()
    browser.assert_accessible("privacytoets met fouten")
    page.get_by_label("Goedgekeurd").check()
    allowed = page.get_by_role("group", name="Bronnen die mogen worden geraadpleegd")
    allowed.get_by_label("BRP (personen)").check()
    allowed.get_by_label("BAG (adressen en gebouwen)").check()
    page.get_by_role("group", name="Bronnen waarvan ook een samenvatting") \
        .get_by_label("BAG (adressen en gebouwen)").check()
    for register in ("BRP (personen)", "BAG (adressen en gebouwen)"):
        fill_abc(page, register)
    page.get_by_label("Onderbouwing").fill("Noodzakelijk voor de weging van het adres.")
    page.get_by_role("button", name="Besluit vastleggen").click()
    expect(page.get_by_text("Het besluit is vastgelegd.")).to_be_visible()
    assert DESCRIPTION not in page.content() and "Jan de Vries" not in page.content()
    browser.assert_accessible("besluit zonder inhoud")
    _logout(browser)

    _login(browser, coordinator.email)
    browser.goto(f"/meldingen/{signal.id}")
    source = page.get_by_role("form", name="Bron raadplegen")
    source.get_by_label("Bron", exact=True).select_option(label="BRP (personen)")
    source.get_by_label("No hit: niets gevonden").check()
    browser.follow(source.get_by_role("button", name="Resultaat vastleggen"))
    source = page.get_by_role("form", name="Bron raadplegen")
    source.get_by_label("Bron", exact=True).select_option(label="BAG (adressen en gebouwen)")
    source.get_by_label("Hit: er is iets gevonden").check()
    source.get_by_label("Datum van de gevonden informatie").fill("2026-01-15")
    source.get_by_label("Samenvatting van wat de bron laat zien").fill("Bedrijfspand, geen woonfunctie.")
    browser.follow(source.get_by_role("button", name="Resultaat vastleggen"))
    table = page.get_by_role("table", name="Geraadpleegde bronnen")
    expect(table.get_by_role("row")).to_have_count(3)
    expect(table.get_by_role("row").nth(1)).to_contain_text("No hit", use_inner_text=True)
    expect(table.get_by_role("row").nth(2)).to_contain_text("Bedrijfspand, geen woonfunctie.", use_inner_text=True)
    browser.assert_accessible("werkruimte met bronnenonderzoek")

    db.session.expire_all()
    assert db.session.get(Signal, signal.id).status == "bronnenonderzoek"
    done = db.session.scalars(select(SourceQuery).order_by(SourceQuery.queried_at))
    assert [(q.register, q.hit) for q in done] == [("brp", False), ("bag", True)]


def test_the_admin_settings_page_is_accessible_and_explains_bad_input(browser, make_user):
    admin = make_user("admin", name="Bo Beheer")
    page = browser.page
    _login(browser, admin.email)
    browser.goto("/beheer/instellingen")
    browser.assert_accessible("instellingen")
    page.get_by_label("Een melding wacht te lang na (dagen)").fill("400")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator("#waiting_too_long_days-error")).to_contain_text("van 1 tot en met 365", use_inner_text=True)
    browser.assert_accessible("instellingen met fout")
    page.get_by_label("Een melding wacht te lang na (dagen)").fill("14")
    page.get_by_label("De regisseur legt de privacytoetsen vast (kleine gemeente)").check()
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("De instellingen zijn opgeslagen.")).to_be_visible()
    assert page.get_by_label("De regisseur legt de privacytoetsen vast (kleine gemeente)").is_checked()


def test_the_privacy_officer_reviews_and_reopens_a_check_the_coordinator_recorded(browser, make_user, make_signal):
    """Four eyes on a small municipality's setting: the coordinator records check 1, the privacy
    officer finds it, reopens it with a reason and decides it alone."""
    from casustafel.privacy.services import request_privacy_check
    from casustafel.settings import set_setting

    coordinator = make_user("coordinator", name="Ruud Regisseur")
    officer = make_user("privacy_officer", name="Paula Privacy")
    signal = make_signal(description=DESCRIPTION, person=("Jan de Vries", "1980-05-17"), status="weging")
    set_setting("privacy_checks_by_coordinator", "1")
    check = request_privacy_check(coordinator, signal, "1")
    db.session.commit()
    page = browser.page

    _login(browser, coordinator.email)
    browser.goto(f"/meldingen/{signal.id}")
    browser.follow(page.get_by_role("link", name="Besluit over privacytoets 1 vastleggen"))
    page.get_by_label("Goedgekeurd").check()
    page.get_by_role("group", name="Bronnen die mogen worden geraadpleegd").get_by_label("BRP (personen)").check()
    fill_abc(page, "BRP (personen)")
    page.get_by_label("Onderbouwing").fill("BRP volstaat.")
    page.get_by_role("button", name="Besluit vastleggen").click()
    expect(page.get_by_text("Het besluit is vastgelegd.")).to_be_visible()
    _logout(browser)

    _login(browser, officer.email)
    browser.goto("/privacy/")
    expect(page.get_by_role("heading", name="Vastgelegd door de regisseur")).to_be_visible()
    browser.assert_accessible("privacytoetsen met besluiten van de regisseur")
    page.get_by_role("link", name=f"{signal.reference}, privacytoets 1").click()
    expect(page.get_by_text("Over deze toets is besloten door de regisseur")).to_be_visible()
    assert DESCRIPTION not in page.content()
    browser.assert_accessible("besluit van de regisseur")

    page.get_by_role("button", name="Besluit heropenen").click()  # without a reason: explained
    expect(page.locator("#heropenen-reason-error")).to_contain_text("Vul in waarom", use_inner_text=True)
    browser.assert_accessible("heropenen met fout")
    page.get_by_label("Waarom heropent u dit besluit?").fill("BAG is ook nodig; BRP alleen met hit / no hit.")
    page.get_by_role("button", name="Besluit heropenen").click()
    expect(page.get_by_text("Het besluit is heropend.")).to_be_visible()
    expect(page.get_by_text(DESCRIPTION)).to_be_visible()  # an open check: the officer reads the signal
    allowed = page.get_by_role("group", name="Bronnen die mogen worden geraadpleegd")
    allowed.get_by_label("BRP (personen)").check()
    allowed.get_by_label("BAG (adressen en gebouwen)").check()
    for register in ("BRP (personen)", "BAG (adressen en gebouwen)"):
        fill_abc(page, register)
    page.get_by_label("Goedgekeurd").check()
    page.get_by_label("Onderbouwing").fill("BRP en BAG, alleen hit / no hit.")
    page.get_by_role("button", name="Besluit vastleggen").click()
    expect(page.get_by_text("Het besluit is vastgelegd.")).to_be_visible()
    _logout(browser)

    _login(browser, coordinator.email)
    browser.goto(f"/meldingen/{signal.id}")
    # The reopened check's line says so; its record opens on demand.
    reopened = browser.reveal(page.locator("summary", has_text="heropend door de privacyfunctionaris"))
    expect(reopened).to_be_visible()
    browser.assert_accessible("werkruimte met heropende toets")
    db.session.expire_all()
    assert db.session.get(type(check), check.id).status == "heropend"
