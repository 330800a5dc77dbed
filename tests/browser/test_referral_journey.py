"""Browser journey of a referral to the RIEC: the coordinator records it, the privacy officer
approves two data categories in check 2B, the coordinator sends the package, records the
answer and closes it, and the register lists it. axe-core on the referral pages and the register."""

import io

from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import PrivacyCheck, Referral
from tests.conftest import PASSWORD, UUID_TEXT
from tests.helpers.legal_grounds import RIEC_GROUND_TEXT


def _login(browser, email):
    browser.log_in(email, PASSWORD)
    expect(browser.page.get_by_role("heading", level=1)).to_contain_text("Welkom", use_inner_text=True)


def _logout(browser):
    browser.log_out()


def test_a_referral_to_the_riec_from_concept_to_the_register(browser, make_user, make_signal):
    coordinator = make_user("coordinator", name="Ruud Regisseur")
    officer = make_user("privacy_officer", name="Paula Privacy")
    signal = make_signal(description="Contante betalingen DESCRMARK", person=("Jan PERSONMARK Jansen", "1980-01-02"),
                         status="doorgezet")

    _login(browser, coordinator.email)
    page = browser.page
    browser.goto(f"/meldingen/{signal.id}")
    browser.reveal(page.get_by_role("link", name="Verstrekking toevoegen", include_hidden=True)).click()
    browser.assert_accessible("nieuwe verstrekking")
    page.get_by_label("Ontvanger").select_option(label="RIEC")
    page.get_by_label("Doel van de verstrekking").fill("Signaal aanbrengen bij het RIEC")
    page.get_by_label("Grondslag", exact=True).select_option(label="Anders (toelichting verplicht)")
    for label in ("Beschrijving van de melding", "Namen en rol van betrokkenen", "Geboortedata"):
        page.get_by_label(label).check()
    page.get_by_label("Kanaal").select_option(label="RIEC-portaal / iKGO")
    page.get_by_role("button", name="Verstrekking vastleggen").click()
    expect(page.get_by_role("heading", name="Controleer het formulier")).to_be_visible()
    assert page.get_by_label("Doel van de verstrekking").input_value() == "Signaal aanbrengen bij het RIEC"
    browser.assert_accessible("nieuwe verstrekking met fout")
    page.get_by_label("Grondslag", exact=True).select_option(label=RIEC_GROUND_TEXT)  # the WGS, not a covenant
    page.get_by_role("button", name="Verstrekking vastleggen").click()
    expect(page.get_by_text("Privacytoets 2B is aangevraagd")).to_be_visible()
    expect(page.get_by_text(RIEC_GROUND_TEXT)).to_be_visible()
    expect(page.get_by_text("Wacht op privacytoets 2B")).to_be_visible()
    browser.assert_accessible("verstrekking (concept)")
    _logout(browser)

    referral = db.session.scalars(select(Referral)).one()
    check = db.session.scalar(select(PrivacyCheck).where(PrivacyCheck.referral_id == referral.id))
    _login(browser, officer.email)
    browser.goto(f"/privacy/toetsen/{check.id}")
    expect(page.get_by_text("Signaal aanbrengen bij het RIEC")).to_be_visible()
    browser.assert_accessible("privacytoets 2B voor een verstrekking")
    page.get_by_label("Goedgekeurd").check()
    shared = page.get_by_role("group", name="Gegevens die mogen worden gedeeld")
    for box in shared.get_by_role("checkbox").all():  # opened with what the referral asked for ticked
        box.uncheck()
    page.get_by_label("Beschrijving van de melding").check()
    page.get_by_label("Namen en rol van betrokkenen").check()
    page.get_by_label("Burgemeester — Handhaving van de openbare orde (Gemeentewet art. 172, 174 en 175)").check()
    page.get_by_label("Onderbouwing").fill("Past binnen de WGS en het BGS (RIEC)")
    page.get_by_role("button", name="Besluit vastleggen").click()
    expect(page.get_by_text("Het besluit is vastgelegd")).to_be_visible()
    _logout(browser)

    _login(browser, coordinator.email)
    browser.goto(f"/verstrekkingen/{referral.id}")
    expect(page.get_by_text("Privacytoets 2B: goedgekeurd")).to_be_visible()
    # The description goes only as the coordinator's anonymised summary: first write it.
    expect(page.get_by_text("nog geen geanonimiseerde samenvatting")).to_be_visible()
    expect(page.get_by_role("link", name="Pakket maken en versturen")).to_have_count(0)
    browser.follow(page.get_by_role("link", name=f"Naar de samenvatting bij {signal.reference}"))
    summary = browser.reveal(page.get_by_label("Geanonimiseerde samenvatting"))
    summary.fill("Samenvatting SUMMARYMARK: contante betalingen")
    page.get_by_role("button", name="Samenvatting opslaan").click()
    expect(page.get_by_text("De geanonimiseerde samenvatting is opgeslagen")).to_be_visible()
    browser.goto(f"/verstrekkingen/{referral.id}")
    page.get_by_role("link", name="Pakket maken en versturen").click()
    expect(page.locator("main")).to_contain_text("Dit kan niet ongedaan worden gemaakt.")
    browser.assert_accessible("pakket versturen bevestigen")
    page.get_by_role("button", name="Pakket maken en als verstuurd vastleggen").click()
    expect(page.get_by_text("Het pakket is gemaakt")).to_be_visible()
    browser.assert_accessible("verstrekking (verstuurd)")
    with page.expect_download() as info:
        page.get_by_role("link", name="Pakket downloaden").click()
    content = info.value.path().read_bytes()
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(content)).pages)
    assert "SUMMARYMARK" in text and "PERSONMARK" in text
    assert "1980" not in UUID_TEXT.sub("", text).replace(signal.reference, "")  # the birth year; ids are random
    assert "DESCRMARK" not in text  # never the reporter's own words

    page.get_by_label("Status").select_option(label="Afgerond")
    page.get_by_label("Kenmerk van de ontvanger").fill("RIEC-2026-7")
    page.get_by_role("button", name="Voortgang vastleggen").click()
    expect(page.get_by_role("heading", name="Controleer het formulier")).to_be_visible()
    browser.assert_accessible("voortgang met fout")
    page.get_by_label("Status").select_option(label="Afgerond")
    page.get_by_label("Antwoord van de ontvanger").fill("Opgenomen in het RIEC-casusoverleg")
    page.get_by_role("button", name="Voortgang vastleggen").click()
    expect(page.get_by_text("De voortgang van de verstrekking is vastgelegd.")).to_be_visible()
    expect(page.get_by_role("paragraph").filter(has_text="Status:")).to_contain_text("Afgerond", use_inner_text=True)

    browser.follow(page.get_by_role("link", name="Naar het verstrekkingenregister"))
    page.get_by_label("Ontvanger").select_option(label="RIEC")
    page.get_by_label("Status").select_option(label="Afgerond")
    browser.follow(page.get_by_role("button", name="Filteren"))
    table = page.get_by_role("region", name="Verstrekkingen")
    expect(table).to_contain_text(signal.reference, use_inner_text=True)
    expect(table).to_contain_text("Afgerond", use_inner_text=True)
    browser.assert_accessible("verstrekkingenregister")
