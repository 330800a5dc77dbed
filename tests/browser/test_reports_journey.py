"""Browser journey of the management information: the coordinator opens Cijfers, picks a
period (a wrong one gets a Dutch message), and reads charts and tables. axe-core on each."""

from datetime import date, datetime

from playwright.sync_api import expect

from casustafel.extensions import db
from casustafel.models import Phenomenon
from tests.conftest import PASSWORD


def _login(browser, email):
    browser.log_in(email, PASSWORD)
    expect(browser.page.get_by_role("heading", level=1)).to_contain_text("Welkom", use_inner_text=True)


def test_the_coordinator_reads_the_numbers_for_a_period(browser, make_user, make_signal):
    year = date.today().year - 1
    coordinator = make_user("coordinator")
    phenomenon = Phenomenon(name="Drugs")
    db.session.add(phenomenon)
    db.session.commit()
    for n, month in enumerate((2, 2, 3)):
        make_signal(description="Geheime beschrijving", person=(f"Anna Geheim {n}", "1970-01-01"),
                    received_at=datetime(year, month, 10), phenomenon_id=phenomenon.id,
                    status="afgesloten", closed_at=datetime(year, month, 12), closing_reason="geen_hit")

    _login(browser, coordinator.email)
    browser.goto("/cijfers/")
    page = browser.page
    expect(page.get_by_role("heading", level=1)).to_have_text("Cijfers", use_inner_text=True)
    browser.assert_accessible("cijfers, huidig jaar")

    page.get_by_label("Van", exact=True).fill(f"{year}-03-01")
    page.get_by_label("Tot en met", exact=True).fill(f"{year}-02-01")
    page.get_by_role("button", name="Periode tonen").click()
    error = page.get_by_text("De einddatum ligt vóór de begindatum").first
    error.wait_for()
    browser.assert_accessible("cijfers met fout in de periode")

    page.get_by_label("Van", exact=True).fill(f"{year}-01-01")
    page.get_by_label("Tot en met", exact=True).fill(f"{year}-12-31")
    page.get_by_role("button", name="Periode tonen").click()
    heading = page.get_by_role("heading", name=f"3 meldingen van 01-01-{year} tot en met 31-12-{year}")
    heading.wait_for()  # the click navigates; wait for the new page
    table = page.get_by_role("region", name="Meldingen per fenomeen (hoofdcategorie)")
    expect(table).to_contain_text("Drugs", use_inner_text=True)
    expect(table).to_contain_text("3", use_inner_text=True)
    expect(page.get_by_role("img", name="Meldingen per maand")).to_be_visible()
    months = page.get_by_role("region", name="Meldingen per maand").inner_text()
    assert f"februari {year}\t2" in months and f"maart {year}\t1" in months
    assert "Geheim" not in page.content()
    browser.assert_accessible("cijfers over een jaar")
