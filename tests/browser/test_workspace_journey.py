"""Browser journey of the coordinator's workspace: filter the inbox, open a signal, see the
linked signals, ask the reporter a question, the reporter answers in Mijn meldingen, the
coordinator moves the signal to intake and sends feedback. axe-core on every page of it.
"""

from datetime import timedelta

from playwright.sync_api import expect

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import Signal
from tests.conftest import PASSWORD

QUESTION = "Op welke dagen zag u de busjes bij de loods?"
ANSWER = "Op maandag en donderdag, rond middernacht."


def _login(browser, email):
    browser.log_in(email, PASSWORD)
    expect(browser.page.get_by_role("heading", level=1)).to_contain_text("Welkom", use_inner_text=True)


def _logout(browser):
    browser.log_out()


def test_the_coordinator_handles_a_signal_with_the_reporter(browser, make_user, make_signal):
    reporter = make_user("reporter", name="Mila Melder")
    coordinator = make_user("coordinator", name="Ruud Regisseur")
    signal = make_signal(reporter, description="Busjes bij de loods, 's nachts.", person=("Müller", "1970-01-01"),
                         received_at=utcnow() - timedelta(days=14))
    earlier = make_signal(None, channel="politie", person=("MULLER", "1970-01-01"), address=None,
                          received_at=utcnow() - timedelta(days=40))
    make_signal(None, channel="telefoon", person=("Piet Puk", "1960-01-01"), address=None)
    page = browser.page

    _login(browser, coordinator.email)
    browser.follow(page.get_by_role("link", name="Meldingen", exact=True))
    page.get_by_label("Kanaal").select_option(label="Meldpunt (intern formulier)")
    page.get_by_label("Status").select_option(label="Alle open meldingen (niet afgesloten)")
    browser.follow(page.get_by_role("button", name="Toon meldingen"))
    rows = page.get_by_role("row")
    expect(rows).to_have_count(2)  # the header and the one signal
    row = rows.filter(has_text=signal.reference)
    expect(row).to_contain_text("Wacht te lang", use_inner_text=True)
    assert page.get_by_label("Kanaal").input_value() == "meldpunt"  # the filter is kept
    browser.assert_accessible("meldingen, gefilterd")

    page.get_by_role("link", name=signal.reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Melding {signal.reference}", use_inner_text=True)
    linked = page.get_by_text("1 andere melding over deze persoon")
    expect(linked).to_be_visible()
    expect(page.get_by_role("link", name=earlier.reference)).to_be_visible()
    expect(page.locator("main")).to_contain_text("Mila Melder", use_inner_text=True)
    browser.assert_accessible("werkruimte")

    browser.open_details("Vraag stellen aan de melder")  # the form opens when chosen
    page.get_by_role("button", name="Vraag versturen").click()  # empty: explained next to the field
    expect(page.locator("#vraag-question-error")).to_contain_text("Vul uw vraag in.", use_inner_text=True)
    browser.assert_accessible("werkruimte met fout")
    page.get_by_label("Uw vraag aan de melder").fill(QUESTION)
    page.get_by_role("button", name="Vraag versturen").click()
    expect(page.get_by_text("Uw vraag is naar de melder gestuurd.")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Aanvulling gevraagd", use_inner_text=True)
    _logout(browser)

    _login(browser, reporter.email)
    page.get_by_role("link", name="Mijn meldingen").first.click()
    expect(page.get_by_role("row").filter(has_text=signal.reference)).to_contain_text(
        "uw antwoord is nodig", use_inner_text=True)
    page.get_by_role("link", name=signal.reference).click()
    expect(page.get_by_text(QUESTION)).to_be_visible()
    expect(page.get_by_text("Er is een aanvullende vraag over uw melding.")).to_be_visible()
    browser.assert_accessible("mijn meldingen, vraag")
    page.get_by_label("Uw antwoord").fill(ANSWER)
    page.get_by_role("button", name="Antwoord versturen").click()
    expect(page.get_by_text("Uw antwoord is verstuurd.")).to_be_visible()
    _logout(browser)

    _login(browser, coordinator.email)
    browser.goto(f"/meldingen/{signal.id}")
    expect(page.get_by_text(ANSWER)).to_be_visible()  # a new answer opens the reporter's section
    browser.reveal(page.get_by_role("radio", name="Intake", exact=True, include_hidden=True)).check()
    page.get_by_role("button", name="Status wijzigen").click()
    expect(page.get_by_text("De status is gewijzigd in ‘Intake’.")).to_be_visible()
    browser.reveal(page.get_by_role("radio", name="Uw melding is in behandeling genomen.", include_hidden=True)).check()
    page.get_by_role("button", name="Bericht versturen").click()
    expect(page.get_by_text("Het bericht is naar de melder gestuurd.")).to_be_visible()
    history = browser.reveal(page.locator(".app-timeline")).inner_text()
    assert "Ruud Regisseur" in history and "Intake" in history
    browser.assert_accessible("werkruimte na intake")

    db.session.expire_all()
    handled = db.session.get(Signal, signal.id)
    assert handled.status == "intake"
    assert [f.code for f in handled.feedback][-1] == "in_behandeling"
    _logout(browser)

    _login(browser, reporter.email)
    browser.goto(f"/mijn-meldingen/{signal.id}")
    expect(page.get_by_text("Uw melding is in behandeling genomen.")).to_be_visible()
    expect(page.locator("main")).to_contain_text("In behandeling", use_inner_text=True)  # the reporter's words
    expect(page.locator("main")).not_to_contain_text("Intake", use_inner_text=True)
    expect(page.get_by_text(QUESTION)).to_be_visible()  # the question and the answer stay
    expect(page.get_by_text(ANSWER)).to_be_visible()
    browser.assert_accessible("mijn meldingen, terugkoppeling")
