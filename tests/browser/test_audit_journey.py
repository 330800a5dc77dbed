"""Browser journey of the privacy officer's log tools: find who viewed a signal by its
reference, follow the signal's and the user's timelines, look up a data subject, sign off a
break-glass anomaly and export the filtered log. axe-core on every page of the feature."""

from playwright.sync_api import expect
from sqlalchemy import select

from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.models import AnomalyReview, AuditEvent
from tests.conftest import PASSWORD


def test_privacy_officer_finds_who_viewed_a_signal_signs_off_an_anomaly_and_exports(
        browser, make_user, make_signal):
    coordinator = make_user("coordinator", name="Ruud Regisseur")
    officer = make_user("privacy_officer", name="Paula Privacy")
    signal = make_signal(person=("Joost Journey", "1970-07-07"))
    record(coordinator, "signal.viewed", signal, subjects=[str(s.id) for s in signal.subjects], role="coordinator")
    record(coordinator, "break_glass.granted", signal, purpose="noodtoegang", role="coordinator")
    db.session.commit()
    page = browser.page

    browser.log_in(officer.email, PASSWORD)
    page.get_by_role("link", name="Logboek", exact=True).click()
    expect(page.get_by_text("Keten gecontroleerd")).to_be_visible()
    browser.assert_accessible("logboek")

    page.get_by_label("Kenmerk van de melding").fill(signal.reference)
    browser.follow(page.get_by_role("button", name="Filteren"))
    table = page.locator("table")
    expect(table.get_by_text("Melding ingezien").first).to_be_visible()
    expect(table.get_by_role("link", name="Ruud Regisseur").first).to_be_visible()
    assert page.get_by_label("Kenmerk van de melding").input_value() == signal.reference
    browser.assert_accessible("logboek gefilterd op kenmerk")

    table.get_by_role("link", name=signal.reference).first.click()
    expect(page.get_by_role("heading", name=f"Tijdlijn van melding {signal.reference}")).to_be_visible()
    browser.assert_accessible("tijdlijn melding")
    page.locator("table").get_by_role("link", name="Ruud Regisseur").first.click()
    expect(page.get_by_role("heading", name="Tijdlijn van Ruud Regisseur")).to_be_visible()
    browser.assert_accessible("tijdlijn gebruiker")

    browser.goto("/logboek/betrokkene")
    browser.assert_accessible("zoeken op betrokkene")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.get_by_role("heading", name="Controleer het formulier")).to_be_visible()
    browser.assert_accessible("zoeken op betrokkene met fouten")
    page.get_by_label("Persoon (naam en geboortedatum)").check()
    page.get_by_label("Naam", exact=True).fill("joost journey")
    page.get_by_label("Geboortedatum", exact=True).fill("1970-07-07")
    page.get_by_label("Doel van deze zoekvraag").select_option(label="Verzoek van een betrokkene (inzage, AVG art. 15)")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.get_by_role("link", name=signal.reference)).to_be_visible()
    browser.assert_accessible("zoekresultaat betrokkene")
    page.get_by_role("link", name="Toon alle logregels over deze betrokkene").click()
    expect(page.locator("table").get_by_text("Melding ingezien").first).to_be_visible()

    browser.goto("/logboek/afwijkingen")
    browser.assert_accessible("afwijkingen")
    page.get_by_role("link", name="Noodtoegang (break-glass)").click()
    browser.assert_accessible("afwijking")
    page.get_by_role("button", name="Beoordeling vastleggen").click()
    expect(page.get_by_text("Kies een uitkomst.").first).to_be_visible()
    browser.assert_accessible("afwijking met fouten")
    page.get_by_label("Verklaard, geen actie nodig").check()
    page.get_by_label("Toelichting").fill("Afgestemd met de regisseur: spoedoverleg.")
    page.get_by_role("button", name="Beoordeling vastleggen").click()
    expect(page.get_by_text("De beoordeling is vastgelegd.")).to_be_visible()
    expect(page.get_by_text("Afgestemd met de regisseur: spoedoverleg.")).to_be_visible()
    browser.assert_accessible("afwijking beoordeeld")
    assert db.session.scalars(select(AnomalyReview.outcome)).all() == ["verklaard"]

    browser.goto(f"/logboek/?kenmerk={signal.reference}")
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV met deze filters").click()
    content = info.value.path().read_bytes().decode("utf-8-sig")
    assert "signal.viewed" in content and "Ruud Regisseur" in content
    db.session.expire_all()
    exported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.exported")).all()
    assert [e.actor_id for e in exported] == [officer.id]
