"""Browser journeys of the meldpunt: a reporter submits a signal, the coordinator finds it.

axe-core (WCAG 2.1 A/AA, serious and critical) runs on every page of the journey: the form
empty and with errors, the confirmation, Mijn meldingen, the inbox and the signal itself.
"""

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from casustafel.extensions import db
from casustafel.models import Signal
from tests.conftest import PASSWORD

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _login(browser, email, password=PASSWORD):
    browser.log_in(email, password)
    expect(browser.page.get_by_role("heading", level=1)).to_contain_text("Welkom", use_inner_text=True)


def _error_next_to(page, field_id):
    return page.locator(f"#{field_id}-error").inner_text()


def test_a_reporter_submits_a_signal_and_the_coordinator_opens_it(browser, make_user, tmp_path):
    reporter = make_user("reporter", name="Mila Melder")
    coordinator = make_user("coordinator", name="Ruud Regisseur")
    report = tmp_path / "verslag.pdf"
    report.write_bytes(PDF)
    page = browser.page

    _login(browser, reporter.email)
    page.get_by_role("link", name="Melding doen").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Melding doen", use_inner_text=True)
    expect(page.get_by_text("Bij acuut gevaar: bel 112.").first).to_be_visible()
    browser.assert_accessible("meldpunt, leeg")

    page.get_by_role("button", name="Melding versturen").click()
    expect(page.get_by_role("heading", name="Controleer het formulier")).to_be_visible()
    assert "Beschrijf wat u heeft gezien of gehoord." in _error_next_to(page, "description")
    browser.assert_accessible("meldpunt met fouten")

    page.get_by_label("Fenomeen").select_option(label="Hennepteelt")
    page.get_by_label("Wat heeft u gezien of gehoord?").fill("Afgeplakte ramen en een sterke geur.")
    page.get_by_label("Afgeplakte ramen, hennepgeur of opvallend stroomverbruik").check()
    first = page.locator("#betrokkene-1")
    first.get_by_label("Rol in deze melding").select_option(label="Huurder")
    first.get_by_label("Naam").fill("Jan de Vries")
    first.get_by_label("Geboortedatum").fill("1980-05-17")

    page.get_by_role("button", name="Nog een betrokkene toevoegen").click()
    expect(page.locator("#betrokkene-2")).to_be_visible()
    assert page.locator("#betrokkene-1").get_by_label("Naam").input_value() == "Jan de Vries"  # nothing lost
    assert page.get_by_label("Wat heeft u gezien of gehoord?").input_value() == "Afgeplakte ramen en een sterke geur."
    assert page.get_by_label("Afgeplakte ramen, hennepgeur of opvallend stroomverbruik").is_checked()

    second = page.locator("#betrokkene-2")
    second.get_by_label("Soort").select_option(label="Organisatie")
    second.get_by_label("Rol in deze melding").select_option(label="Eigenaar")
    second.get_by_label("Naam").fill("Bakkerij De Korenschoof")
    second.get_by_label("KvK-nummer").fill("12345678")
    address = page.locator("#adres-1")
    address.get_by_label("Straat").fill("Havenkade")
    address.get_by_label("Huisnummer").fill("3")
    address.get_by_label("Postcode").fill("3511 AB")
    address.get_by_label("Plaats").fill("Utrecht")
    page.get_by_label("Bijlagen").set_input_files(str(report))
    page.get_by_role("button", name="Melding versturen").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Melding ontvangen", use_inner_text=True)
    reference = page.locator(".app-reference").inner_text()
    assert re.fullmatch(r"SIG-\d{4}-\d{4}", reference)
    browser.assert_accessible("bevestiging")

    browser.follow(page.get_by_role("link", name="Naar Mijn meldingen"))
    row = page.get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text("Ontvangen", use_inner_text=True)  # in the reporter's words, not "Ingediend"
    expect(row).to_contain_text("Uw melding is ontvangen.", use_inner_text=True)
    assert "Jan de Vries" not in page.content()
    browser.assert_accessible("mijn meldingen")

    db.session.expire_all()
    signal = db.session.scalars(db.select(Signal).where(Signal.reference == reference)).one()
    assert [s.name for s in signal.subjects] == ["Jan de Vries", "Bakkerij De Korenschoof"]
    assert [a.filename for a in signal.attachments] == ["verslag.pdf"]

    browser.log_out()
    _login(browser, coordinator.email)
    browser.goto("/meldingen")
    link = page.get_by_role("link", name=reference)
    expect(link).to_be_visible()
    browser.assert_accessible("meldingen")

    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Melding {reference}", use_inner_text=True)
    content = page.locator("main").inner_text()
    for shown in ("Jan de Vries", "Bakkerij De Korenschoof", "KvK 12345678", "Havenkade 3", "3511 AB Utrecht",
                  "Mila Melder", "Afgeplakte ramen en een sterke geur."):
        assert shown in content, shown
    attachment = page.get_by_role("link", name="verslag.pdf")
    assert re.search(rf"/meldingen/{signal.id}/bijlagen/[0-9a-f-]+$", attachment.get_attribute("href"))
    browser.assert_accessible("melding")


def test_wrong_postcode_and_future_date_are_explained_and_the_summary_links_to_the_fields(browser, make_user):
    reporter = make_user("reporter")
    page = browser.page
    _login(browser, reporter.email)
    browser.goto("/meldpunt")

    description = "Busjes rijden af en aan, ook 's nachts.\nTweede regel."
    page.get_by_label("Fenomeen").select_option(label="Overig")
    page.get_by_label("Wat heeft u gezien of gehoord?").fill(description)
    page.get_by_label("Waargenomen op of vanaf").fill((date.today() + timedelta(days=3)).isoformat())
    first = page.locator("#betrokkene-1")
    first.get_by_label("Naam").fill("Piet Post")
    first.get_by_label("Huisnummer").fill("12")
    first.get_by_label("Postcode").fill("1234")
    page.get_by_role("button", name="Melding versturen").click()

    summary = page.locator(".app-error-summary")
    expect(summary.get_by_role("heading", name="Controleer het formulier")).to_be_visible()
    assert "Vul een postcode in als 1234 AB." in _error_next_to(page, "subjects-0-postcode")
    assert "Deze datum ligt in de toekomst." in _error_next_to(page, "observed_from")
    assert page.get_by_label("Wat heeft u gezien of gehoord?").input_value() == description  # kept
    assert first.get_by_label("Naam").input_value() == "Piet Post"
    assert first.get_by_label("Postcode").input_value() == "1234"
    assert first.get_by_label("Postcode").get_attribute("aria-invalid") == "true"
    browser.assert_accessible("meldpunt met veldfouten")
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(Signal)) == 0

    for field_id, link_text in (("subjects-0-postcode", "Postcode: Vul een postcode in als 1234 AB."),
                                ("observed_from", "Waargenomen op of vanaf: Deze datum ligt in de toekomst.")):
        link = summary.get_by_role("link", name=link_text)
        assert link.get_attribute("href") == f"#{field_id}"
        link.click()
        expect(page).to_have_url(re.compile(f"#{field_id}$"))
        target = page.locator(f"#{field_id}")
        expect(target).to_have_count(1)
        assert target.evaluate("el => { const r = el.getBoundingClientRect();"
                               " return r.top >= 0 && r.bottom <= window.innerHeight; }"), field_id
