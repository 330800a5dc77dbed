"""Browser journey of retention: the admin shortens a term (with a typing error first), the
privacy officer sees what is due and what is on legal hold, runs a dry run, and after the
nightly run reads the destruction records. axe-core on every retention page."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import Signal
from casustafel.retention.destruction import run_retention
from tests.conftest import PASSWORD


def _logout(browser):
    browser.log_out()


def test_terms_overview_dry_run_and_destruction_records(browser, make_user, make_signal):
    admin = make_user("admin")
    officer = make_user("privacy_officer")
    recent = utcnow() - timedelta(days=200)
    due = make_signal(status="afgesloten", closing_reason="geen_ondermijning", closed_at=recent,
                      person=("Jan PERSONMARK Jansen", "1980-01-02"))
    held = make_signal(status="afgesloten", closing_reason="geen_hit", closed_at=recent, legal_hold=True)

    browser.log_in(admin.email, PASSWORD)
    page = browser.page
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Bewaartermijnen").click()
    expect(page.get_by_role("heading", level=1, name="Bewaartermijnen")).to_be_visible()
    browser.assert_accessible("bewaartermijnen")
    field = page.get_by_label("Afgesloten bij intake, weging of zonder actie (maanden na afsluiten)")
    field.fill("0")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("heading", name="Controleer het formulier")).to_be_visible()
    assert field.input_value() == "0"
    browser.assert_accessible("bewaartermijnen met fout")
    field.fill("6")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("De bewaartermijnen zijn opgeslagen.")).to_be_visible()
    _logout(browser)

    browser.log_in(officer.email, PASSWORD)
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Bewaren").click()
    expect(page.get_by_role("heading", level=1, name="Bewaartermijnen en vernietiging")).to_be_visible()
    due_table = page.get_by_role("table", name="Wat nu over de bewaartermijn is, per soort")
    expect(due_table).to_contain_text(due.reference, use_inner_text=True)
    assert held.reference not in due_table.inner_text()
    expect(page.get_by_role("table", name="Meldingen onder bewaarplicht")).to_contain_text(
        held.reference, use_inner_text=True)
    assert "PERSONMARK" not in page.content()
    browser.assert_accessible("bewaren: overzicht")

    page.get_by_role("button", name="Proefrun starten").click()
    expect(page.get_by_text("Proefrun klaar: er is niets vernietigd.")).to_be_visible()
    expect(page.get_by_role("table").first).to_contain_text(due.reference, use_inner_text=True)
    browser.assert_accessible("bewaren: proefrun")
    db.session.expire_all()
    assert db.session.get(Signal, due.id).destroyed_at is None

    run_retention(None, utcnow(), dry_run=False, origin="cli")  # the nightly run
    browser.goto("/bewaren/")
    records = page.get_by_role("table", name="De laatste vernietigingen (vernietigingsregistratie, blijvend bewaard)")
    expect(records).to_contain_text(due.reference, use_inner_text=True)
    runs = page.get_by_role("table", name="De laatste runs, nieuwste eerst")
    expect(runs).to_contain_text("Vernietiging (server)", use_inner_text=True)
    assert "Niet afgerond" not in runs.inner_text()
    runs.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Vernietiging van"), use_inner_text=True)
    expect(page.get_by_role("link", name="Verklaring van vernietiging downloaden (pdf)")).to_be_visible()
    browser.assert_accessible("bewaren: vernietiging")
    db.session.expire_all()
    assert db.session.get(Signal, due.id).destroyed_at is not None
    assert db.session.get(Signal, held.id).destroyed_at is None
