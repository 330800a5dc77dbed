"""The coordinator's workspace on a 1280×800 screen (issue 19): the first screen shows where the
signal stands (status, owner, the next step the model protocol allows), the page is a fraction of
the old document (15,466 px for this signal before), sections and forms open when chosen, and
every section passes axe-core when open. Heights are printed for the closing note."""

from datetime import date

from playwright.sync_api import expect
from sqlalchemy import select

from casustafel.demo import weigh_to_sources
from casustafel.extensions import db
from casustafel.models import Phenomenon
from casustafel.signals.assignment_services import add_note
from casustafel.signals.services import LocationInput, SignalInput, SubjectInput, build_signal
from tests.conftest import PASSWORD

SCREEN = {"width": 1280, "height": 800}
DESCRIPTION = ("Sinds een paar weken staan er ’s nachts busjes met buitenlandse kentekens bij de loods aan de "
               "Industrieweg. Er wordt gesjouwd met zakken potgrond en grote dozen; de ramen zijn afgeplakt en "
               "er hangt een zoete geur. De huurder, een vennootschap uit Rotterdam, is nooit te zien. ") * 4


def _signal(make_user):
    """A signal as a coordinator meets one: a page of description, three subjects, two addresses,
    weighed up to the source checks, an owner and two internal notes."""
    reporter = make_user("reporter", name="Mila Melder")
    coordinator = make_user("coordinator", name="Ruud Regisseur")
    officer = make_user("privacy_officer", name="Pien Privacy")
    hennep = db.session.scalar(select(Phenomenon.id).where(Phenomenon.name == "Hennepteelt"))
    signal = build_signal(reporter, SignalInput(
        description=DESCRIPTION, phenomenon_id=hennep,
        observed_from=date(2026, 10, 1), observed_until=date(2026, 11, 20),
        reporter_phone="06-12345678",
        subjects=[SubjectInput(kind="persoon", role="vermoedelijk_betrokkene", name="Şükrü Öztürk-van ’t Hof",
                               birth_date=date(1979, 2, 28)),
                  SubjectInput(kind="organisatie", role="huurder", name="Groeibedrijf Zuid B.V.",
                               kvk_number="12345678"),
                  SubjectInput(kind="persoon", role="eigenaar", name="Anneke de Wit")],
        locations=[LocationInput(street="Industrieweg", house_number="12", house_number_addition="B",
                                 postcode="1234 AB", city="’s-Hertogenbosch"),
                   LocationInput(street="Kerkstraat", house_number="1", postcode="5211 AA", city="’s-Hertogenbosch")],
    ))
    db.session.flush()
    weigh_to_sources(coordinator, officer, signal)
    signal.owner_id = coordinator.id
    add_note(coordinator, signal, "Gebeld met de wijkagent: hij kent de loods. Volgende week samen langs.")
    add_note(coordinator, signal, "Eigenaar (Anneke de Wit) woont in Spanje; post gaat naar een beheerder.")
    db.session.commit()
    return coordinator, signal


def _open_workspace(browser, coordinator, signal):
    page = browser.page
    page.set_viewport_size(SCREEN)
    browser.log_in(coordinator.email, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom", use_inner_text=True)
    browser.goto(f"/meldingen/{signal.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Melding {signal.reference}", use_inner_text=True)
    return page


def _in_first_screen(page, locator):
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    return box["y"] + box["height"] <= SCREEN["height"]


def test_the_first_screen_shows_status_owner_and_next_step(browser, make_user):
    coordinator, signal = _signal(make_user)
    page = _open_workspace(browser, coordinator, signal)
    assert page.evaluate("window.scrollY") == 0
    facts = page.locator(".app-facts")
    status = facts.locator(".app-facts__item--status")
    owner = facts.locator(".app-facts__item--owner")
    steps = page.locator(".app-next-steps__list")
    expect(status).to_contain_text("Bronnenonderzoek", use_inner_text=True)
    expect(owner).to_contain_text("Ruud Regisseur", use_inner_text=True)
    expect(steps).to_contain_text("Weging 4", use_inner_text=True)  # what the model protocol asks next
    expect(steps).to_contain_text("Status wijzigen", use_inner_text=True)
    for what in (status, owner, steps):
        assert _in_first_screen(page, what), what
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"\nworkspace height at 1280×800: {height} px")
    assert height < 4.5 * SCREEN["height"], height
    # Two columns on this screen: the notes sit beside the content, not below it.
    content = page.locator("#inhoud-melding").bounding_box()
    notes = page.locator("#notities").bounding_box()
    assert notes["x"] > content["x"] + content["width"], (content, notes)
    browser.assert_accessible("werkruimte, eerste scherm")


def test_sections_and_forms_open_when_chosen_and_pass_axe_when_open(browser, make_user):
    coordinator, signal = _signal(make_user)
    page = _open_workspace(browser, coordinator, signal)
    # Closed until chosen: the status form and the legal hold form are not on the screen.
    expect(page.get_by_role("button", name="Status wijzigen")).to_have_count(0)
    expect(page.get_by_role("button", name="Legal hold instellen")).to_have_count(0)
    # The next step's link opens the status section (no JavaScript: the browser opens a closed
    # <details> when a link points into it).
    page.locator(".app-next-steps__list").get_by_role("link", name="Status wijzigen").click()
    expect(page.get_by_role("button", name="Status wijzigen")).to_be_visible()
    page.locator(".app-facts__item--owner").get_by_role("link", name="wijzigen").click()
    expect(page.get_by_role("button", name="Regisseur opslaan")).to_be_visible()
    # Open everything, as a coordinator checking the whole case would; axe on all of it.
    closed = page.locator("details:not([open]) > summary:visible")
    for _ in range(100):  # a section opened shows the records inside it, closed in turn
        if not closed.count():
            break
        closed.first.click()
    expect(page.locator("details:not([open])")).to_have_count(0)
    expect(page.get_by_role("button", name="Legal hold instellen")).to_be_visible()
    expect(page.get_by_role("button", name="Notitie toevoegen")).to_be_visible()
    browser.assert_accessible("werkruimte, alles open")
    print(f"\nworkspace height with every section open: {page.evaluate('document.documentElement.scrollHeight')} px")


def test_a_form_sent_with_an_error_comes_back_open_with_what_was_typed(browser, make_user):
    coordinator, signal = _signal(make_user)
    page = _open_workspace(browser, coordinator, signal)
    browser.open_details("Notitie schrijven")
    page.get_by_label("Nieuwe notitie").fill("")
    page.get_by_role("button", name="Notitie toevoegen").click()
    expect(page.get_by_text("Schrijf de notitie.").first).to_be_visible()
    expect(page.get_by_label("Nieuwe notitie")).to_have_value("")
    browser.assert_accessible("werkruimte, notitie met fout")
