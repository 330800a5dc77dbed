"""Browser journey of accountability (issue 12, "Must show"): a colleague with only the reporter
role breaks the glass; the privacy officer finds them by name, reads their reason and signs the
anomaly off; an admin who makes a coordinator alone leaves an account without rights and an
anomaly. axe-core on every page."""

from playwright.sync_api import expect
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import AnomalyReview, RoleRequest, User
from tests.conftest import PASSWORD

REASON = "Politie belt over een acute situatie op dit adres en de regisseur is onbereikbaar"


def _log_out(browser):
    browser.log_out()


def test_a_reporter_breaks_the_glass_and_the_officer_finds_them_by_name(browser, make_user, make_signal):
    snoop = make_user("reporter", name="Bas Buitenstaander")
    officer = make_user("privacy_officer", name="Paula Privacy")
    admin = make_user("admin", name="Ali Beheer")
    make_user("admin", name="Tweede Beheerder")
    signal = make_signal(make_user("reporter", name="Rina Melder"), description="Contante betalingen")
    page = browser.page

    # A colleague who only reports asks for break-glass access.
    browser.log_in(snoop.email, PASSWORD)
    browser.goto("/noodtoegang/")
    page.get_by_label("Kenmerk van de melding").fill(signal.reference)
    page.get_by_label("Reden").fill(REASON)
    page.get_by_label("15 minuten").check()
    page.get_by_role("button", name="Noodtoegang aanvragen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Melding {signal.reference} (noodtoegang)")
    _log_out(browser)

    # The privacy officer finds them by name, reads the reason and signs the anomaly off.
    browser.log_in(officer.email, PASSWORD)
    browser.goto("/logboek/afwijkingen")
    browser.assert_accessible("afwijkingen met noodtoegang")
    row = page.get_by_role("row").filter(has_text="Noodtoegang")
    assert "Bas Buitenstaander" in row.inner_text()
    browser.follow(row.get_by_role("link").first)
    main = page.get_by_role("main")
    for shown in ("Bas Buitenstaander", REASON, "15 minuten", "de melding ingezien"):
        expect(main).to_contain_text(shown)
    page.wait_for_load_state("load")
    assert "Rina Melder" not in main.inner_text()
    browser.assert_accessible("afwijking: noodtoegang")
    page.get_by_label("Verklaard, geen actie nodig").check()
    page.get_by_label("Toelichting").fill("Gebeld met de medewerker: politie stond voor de deur.")
    page.get_by_role("button", name="Beoordeling vastleggen").click()
    expect(page.get_by_text("De beoordeling is vastgelegd.")).to_be_visible()
    assert db.session.scalars(select(AnomalyReview)).one().reviewed_by_id == officer.id
    _log_out(browser)

    # An admin tries to make a coordinator alone: the account gets no rights, an anomaly follows.
    browser.log_in(admin.email, PASSWORD)
    browser.goto("/beheer/gebruikers/nieuw")
    page.get_by_label("E-mailadres").fill("stroman@gemeente.test")
    page.get_by_label("Naam").fill("Stro Man")
    page.get_by_label("Regisseur / voorzitter").check()
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("geldt pas als een tweede persoon die goedkeurt")).to_be_visible()
    expect(page.get_by_role("heading", name="Wacht op goedkeuring")).to_be_visible()
    browser.assert_accessible("nieuwe gebruiker wacht op goedkeuring")
    browser.goto("/beheer/goedkeuringen")
    assert "Een ander beslist." in page.get_by_role("main").inner_text()  # not by who asked
    browser.assert_accessible("goedkeuringen")
    _log_out(browser)
    account = db.session.scalar(select(User).where(User.email == "stroman@gemeente.test"))
    assert account.roles == set() and db.session.scalars(select(RoleRequest)).one().status == "open"

    browser.log_in(officer.email, PASSWORD)
    browser.goto("/logboek/afwijkingen")
    row = page.get_by_role("row").filter(has_text="Rol met toegang")
    assert "Ali Beheer" in row.inner_text()
    row.get_by_role("link").first.click()
    expect(page.get_by_role("main")).to_contain_text("Stro Man")
    browser.assert_accessible("afwijking: rol aangevraagd")
