"""Browser journey of the coordinator's workspace: filter the inbox, open a signal, see the
linked signals, ask the reporter a question, the reporter answers in Mijn meldingen, the
coordinator moves the signal to intake and sends feedback. axe-core on every page of it.
"""

from datetime import timedelta

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import Signal
from tests.conftest import PASSWORD

QUESTION = "Op welke dagen zag u de busjes bij de loods?"
ANSWER = "Op maandag en donderdag, rond middernacht."


def _login(browser, email):
    browser.log_in(email, PASSWORD)
    assert "Welkom" in browser.page.get_by_role("heading", level=1).inner_text()


def _logout(browser):
    browser.page.get_by_role("button", name="Uitloggen").click()


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
    page.get_by_role("link", name="Meldingen", exact=True).click()
    page.get_by_label("Kanaal").select_option(label="Meldpunt (intern formulier)")
    page.get_by_label("Status").select_option(label="Alle open meldingen (niet afgesloten)")
    page.get_by_role("button", name="Toon meldingen").click()
    rows = page.get_by_role("row")
    assert rows.count() == 2  # the header and the one signal
    row = rows.filter(has_text=signal.reference)
    assert "Wacht te lang" in row.inner_text()
    assert page.get_by_label("Kanaal").input_value() == "meldpunt"  # the filter is kept
    browser.assert_accessible("meldingen, gefilterd")

    page.get_by_role("link", name=signal.reference).click()
    assert page.get_by_role("heading", level=1).inner_text() == f"Melding {signal.reference}"
    linked = page.get_by_text("1 andere melding over deze persoon")
    assert linked.is_visible()
    assert page.get_by_role("link", name=earlier.reference).is_visible()
    assert "Mila Melder" in page.locator("main").inner_text()
    browser.assert_accessible("werkruimte")

    page.get_by_role("button", name="Vraag versturen").click()  # empty: explained next to the field
    assert "Vul uw vraag in." in page.locator("#vraag-question-error").inner_text()
    browser.assert_accessible("werkruimte met fout")
    page.get_by_label("Uw vraag aan de melder").fill(QUESTION)
    page.get_by_role("button", name="Vraag versturen").click()
    assert page.get_by_text("Uw vraag is naar de melder gestuurd.").is_visible()
    assert "Aanvulling gevraagd" in page.locator("main").inner_text()
    _logout(browser)

    _login(browser, reporter.email)
    page.get_by_role("link", name="Mijn meldingen").first.click()
    assert "uw antwoord is nodig" in page.get_by_role("row").filter(has_text=signal.reference).inner_text()
    page.get_by_role("link", name=signal.reference).click()
    assert page.get_by_text(QUESTION).is_visible()
    assert page.get_by_text("Er is een aanvullende vraag over uw melding.").is_visible()
    browser.assert_accessible("mijn meldingen, vraag")
    page.get_by_label("Uw antwoord").fill(ANSWER)
    page.get_by_role("button", name="Antwoord versturen").click()
    assert page.get_by_text("Uw antwoord is verstuurd.").is_visible()
    _logout(browser)

    _login(browser, coordinator.email)
    browser.goto(f"/meldingen/{signal.id}")
    assert page.get_by_text(ANSWER).is_visible()
    page.get_by_role("radio", name="Intake", exact=True).check()
    page.get_by_role("button", name="Status wijzigen").click()
    assert page.get_by_text("De status is gewijzigd in ‘Intake’.").is_visible()
    page.get_by_role("radio", name="Uw melding is in behandeling genomen.").check()
    page.get_by_role("button", name="Bericht versturen").click()
    assert page.get_by_text("Het bericht is naar de melder gestuurd.").is_visible()
    history = page.locator(".app-timeline").inner_text()
    assert "Ruud Regisseur" in history and "Intake" in history
    browser.assert_accessible("werkruimte na intake")

    db.session.expire_all()
    handled = db.session.get(Signal, signal.id)
    assert handled.status == "intake"
    assert [f.code for f in handled.feedback][-1] == "in_behandeling"
    _logout(browser)

    _login(browser, reporter.email)
    browser.goto(f"/mijn-meldingen/{signal.id}")
    assert page.get_by_text("Uw melding is in behandeling genomen.").is_visible()
    assert "Intake" in page.locator("main").inner_text()
    browser.assert_accessible("mijn meldingen, terugkoppeling")
