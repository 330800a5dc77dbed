"""Click counts for the coordinator's working day (issue 19, "Must show"), measured in a real
browser. A click is a press on a link, a button or a summary (what opens a section or a form);
typing and choosing answers inside a form are the same work before and after and are not
counted. Each journey asserts its count, so a change that adds a click fails here, and prints
it for the closing note beside the count of the same task in the interface before issue 19:

| task                                            | before                                  | after |
|-------------------------------------------------|-----------------------------------------|-------|
| find a signal by a person's name                | no search: 1 + 2 per signal opened      | 3     |
| see what needs doing this week                  | ≥ 5 (Overleggen, each meeting, Acties,  | 0     |
|                                                 | Verstrekkingen, Meldingen), no answers  |       |
| record intake and weging 3 on a new signal      | 4, forms 4,300 px down the page         | 4     |
| answer a reporter's question, see it arrive     | 8, the coordinator not told             | 7     |
"""

from datetime import date, datetime, time, timedelta

from playwright.sync_api import expect

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import AgendaItem, Meeting, PrivacyCheck, Signal
from tests.browser.test_casustafel_journey import ASSESSMENT_CRITERIA, POWER_13B
from tests.conftest import PASSWORD


class Clicks:
    """The browser's page with every click counted."""

    def __init__(self, browser):
        self.browser = browser
        self.page = browser.page
        self.count = 0

    def click(self, locator):
        """Click and wait for the page it leads to."""
        self.count += 1
        self.browser.follow(locator)

    def log_in(self, user):
        """Logging in is not counted: the count starts on the start page."""
        self.browser.log_in(user.email, PASSWORD)
        expect(self.page.get_by_role("heading", level=1)).to_contain_text("Welkom", use_inner_text=True)

    def log_out(self):
        self.browser.log_out()


def _report(task, clicks, before):
    print(f"\nclicks: {task}: {clicks} (before: {before})")


def test_find_a_signal_by_a_persons_name_in_three_clicks(browser, make_user, make_signal):
    coordinator = make_user("coordinator", name="Ruud Regisseur")
    for n in range(12):
        make_signal(None, channel="telefoon", person=(f"Andere Persoon {n}", "1970-01-01"))
    wanted = make_signal(None, channel="telefoon", person=("Şükrü Öztürk", "1979-02-28"))
    clicks = Clicks(browser)
    clicks.log_in(coordinator)
    page = clicks.page

    clicks.click(page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Meldingen", exact=True))
    page.get_by_label("Naam van de persoon").fill("Sukru Ozturk")
    clicks.click(page.get_by_role("button", name="Zoeken", exact=True))
    clicks.click(page.get_by_role("link", name=wanted.reference, exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Melding {wanted.reference}", use_inner_text=True)
    expect(page.locator("main")).to_contain_text("Şükrü Öztürk", use_inner_text=True)
    _report("find a signal by a person's name", clicks.count, "no search: 1 + 2 per signal opened")
    assert clicks.count == 3


def test_what_needs_doing_this_week_is_on_the_start_page(browser, make_user, make_signal):
    coordinator = make_user("coordinator", name="Ruud Regisseur")
    today = date.today()
    soon = Meeting(held_at=datetime.combine(today + timedelta(days=6), time(13, 30)), status="concept",
                   agenda_cutoff=today + timedelta(days=2))
    db.session.add(soon)
    db.session.flush()
    on_agenda = make_signal(None, channel="telefoon", status="geagendeerd")
    db.session.add(AgendaItem(meeting_id=soon.id, signal_id=on_agenda.id))
    db.session.add(PrivacyCheck(signal_id=on_agenda.id, kind="2A", meeting_id=soon.id, status="open"))
    mine = make_signal(None, channel="telefoon", status="intake", owner_id=coordinator.id,
                       received_at=utcnow() - timedelta(days=30))
    db.session.commit()
    clicks = Clicks(browser)
    clicks.log_in(coordinator)
    page = clicks.page

    main = page.locator("main")
    expect(main.get_by_role("heading", name="Komende overleggen")).to_be_visible()
    expect(main).to_contain_text("1 toets nog niet besloten", use_inner_text=True)  # blocks publication
    for heading in ("Terugkoppeling van partners te laat", "Nieuwe antwoorden van melders", "Verlopen acties",
                    "Uw meldingen als regisseur"):
        expect(main.get_by_role("heading", name=heading)).to_be_visible()
    expect(main.get_by_role("link", name=mine.reference)).to_be_visible()
    browser.assert_accessible("start, werkvoorraad")
    _report("see what needs doing this week", clicks.count, "≥ 5, no place for new answers")
    assert clicks.count == 0


def _weigh(clicks, kind, form_name, outcome, rationale):
    form = clicks.page.get_by_role("form", name=form_name)
    for question in ASSESSMENT_CRITERIA[kind].values():
        form.get_by_role("group", name=question).get_by_label("Ja", exact=True).check()
    form.get_by_label("Uitkomst").select_option(label=outcome)
    if kind == "intake":
        form.get_by_label("Taak of bevoegdheid van de gemeente").select_option(label=POWER_13B)
    form.get_by_label("Onderbouwing").fill(rationale)
    clicks.click(form.get_by_role("button", name="Weging vastleggen"))


def test_record_intake_and_weging_3_on_a_new_signal_in_four_clicks(browser, make_user, make_signal):
    from casustafel import demo

    demo.load_demo()  # the powers and criteria lists as a municipality has them
    signal = make_signal(None, channel="telefoon", person=("Jan Jansen", "1980-01-02"))
    clicks = Clicks(browser)
    browser.log_in("voorzitter@casustafel.test", demo.DEMO_PASSWORD)
    expect(clicks.page.get_by_role("heading", level=1)).to_contain_text("Welkom", use_inner_text=True)
    page = clicks.page

    clicks.click(page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Meldingen", exact=True))
    clicks.click(page.get_by_role("link", name=signal.reference, exact=True))
    steps = page.locator(".app-next-steps__list")
    expect(steps).to_contain_text("Intake (weging 1 en 2) vastleggen", use_inner_text=True)
    form_top = page.get_by_role("form", name="Intake (weging 1 en 2) vastleggen").bounding_box()["y"]
    _weigh(clicks, "intake", "Intake (weging 1 en 2) vastleggen", "Verder naar de weging", "Bevoegd via 13b.")
    expect(page.locator(".app-flashes")).to_contain_text("Status: Weging.")
    _weigh(clicks, "weging", "Weging 3 vastleggen", "Bronnenonderzoek starten", "Concreet en recent.")
    expect(page.locator(".app-flashes")).to_contain_text("Status: Bronnenonderzoek.")
    db.session.expire_all()
    assert db.session.get(Signal, signal.id).status == "bronnenonderzoek"
    print(f"\nintake form starts {form_top:.0f} px down the page (before: 4,300 px)")
    _report("record intake and weging 3 on a new signal", clicks.count, "4, forms 4,300 px down")
    assert clicks.count == 4
    assert form_top < 1600, form_top  # within two screens of 800 px


def test_answer_a_reporters_question_and_see_it_arrive_in_seven_clicks(browser, make_user, make_signal):
    reporter = make_user("reporter", name="Mila Melder")
    coordinator = make_user("coordinator", name="Ruud Regisseur")
    signal = make_signal(reporter, person=("Jan Jansen", "1980-01-02"))
    signal.owner_id = coordinator.id
    db.session.commit()
    clicks = Clicks(browser)
    page = clicks.page

    clicks.log_in(coordinator)
    clicks.click(page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Meldingen", exact=True))
    clicks.click(page.get_by_role("link", name=signal.reference, exact=True))
    clicks.click(page.locator(".app-next-steps__list").get_by_role("link", name="Vraag stellen aan de melder"))
    page.get_by_label("Uw vraag aan de melder").fill("Op welke dagen zag u de busjes?")
    clicks.click(page.get_by_role("button", name="Vraag versturen"))
    expect(page.get_by_text("Uw vraag is naar de melder gestuurd.")).to_be_visible()
    clicks.log_out()

    clicks.log_in(reporter)
    clicks.click(page.locator("main").get_by_role("link", name=signal.reference, exact=True))  # the flag
    page.get_by_label("Uw antwoord").fill("Maandag en donderdag, rond middernacht.")
    clicks.click(page.get_by_role("button", name="Antwoord versturen"))
    expect(page.get_by_text("Uw antwoord is verstuurd.")).to_be_visible()
    clicks.log_out()

    clicks.log_in(coordinator)
    answers = page.get_by_role("region", name="Nieuwe antwoorden van melders")
    clicks.click(answers.get_by_role("link", name=signal.reference, exact=True))
    expect(page.get_by_text("Maandag en donderdag, rond middernacht.")).to_be_visible()  # the section is open
    browser.assert_accessible("werkruimte met nieuw antwoord")
    _report("answer a reporter's question and see the answer arrive", clicks.count, "8, the coordinator not told")
    assert clicks.count == 7
