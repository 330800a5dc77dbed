"""Browser journey of break-glass: a member finds it on the account page, types a reason that
is too short, asks again, reads the signal (not the reporter), sees the warning banner on
another page and ends the access from it. axe-core on every break-glass page."""

from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import AuditEvent
from tests.conftest import PASSWORD


def test_a_member_uses_break_glass_and_ends_it_from_the_banner(browser, make_user, make_signal):
    reporter = make_user("reporter", name="Rina Melder")
    member = make_user("member", name="Mo Deelnemer")
    make_user("privacy_officer")
    signal = make_signal(reporter, description="Contante betalingen DESCRMARK",
                         person=("Jan PERSONMARK Jansen", "1980-01-02"))

    browser.log_in(member.email, PASSWORD)
    page = browser.page
    assert "Welkom" in page.get_by_role("heading", level=1).inner_text()
    assert page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Noodtoegang").count() == 0
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Mijn account").click()
    page.get_by_role("link", name="Noodtoegang").click()
    assert page.get_by_role("heading", level=1, name="Noodtoegang").is_visible()
    assert page.get_by_text("Noodtoegang is alleen voor uitzonderlijke situaties.").is_visible()
    browser.assert_accessible("noodtoegang aanvragen")

    page.get_by_label("Kenmerk van de melding").fill(signal.reference)
    page.get_by_label("Reden").fill("Even kijken")
    page.get_by_label("30 minuten").check()
    page.get_by_role("button", name="Noodtoegang aanvragen").click()
    assert page.get_by_role("heading", name="Controleer het formulier").is_visible()
    assert page.get_by_label("Reden").input_value() == "Even kijken"
    assert page.get_by_label("30 minuten").is_checked()
    browser.assert_accessible("noodtoegang aanvragen met fout")

    page.get_by_label("Reden").fill("De politie belt over een acute situatie op dit adres; regisseur onbereikbaar")
    page.get_by_role("button", name="Noodtoegang aanvragen").click()
    assert page.get_by_role("heading", level=1).inner_text() == f"Melding {signal.reference} (noodtoegang)"
    assert page.get_by_text("DESCRMARK").is_visible()
    assert page.get_by_text("PERSONMARK").is_visible()
    assert "Rina Melder" not in page.content()
    banner = page.get_by_role("status").filter(has_text="Noodtoegang actief tot")
    assert banner.is_visible() and signal.reference in banner.inner_text()
    browser.assert_accessible("melding met noodtoegang")

    browser.goto("/")
    banner = page.get_by_role("status").filter(has_text="Noodtoegang actief tot")
    assert "beoordeeld door de privacyfunctionaris" in banner.inner_text()
    browser.assert_accessible("startpagina met noodtoegang")
    banner.get_by_role("button", name=f"Noodtoegang tot {signal.reference} beëindigen").click()
    assert page.get_by_text(f"De noodtoegang tot {signal.reference} is beëindigd.").is_visible()
    assert page.get_by_role("status").filter(has_text="Noodtoegang actief tot").count() == 0
    table = page.get_by_role("table", name="Uw aanvragen voor noodtoegang, nieuwste eerst")
    assert signal.reference in table.inner_text() and "Beëindigd" in table.inner_text()
    browser.assert_accessible("noodtoegang na beëindigen")

    actions = [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.actor_id == member.id))]
    assert [a for a in actions if a.startswith("break_glass.")] == [
        "break_glass.refused", "break_glass.granted", "break_glass.signal_viewed", "break_glass.ended",
    ]  # the form sent without a reason is an attempt too
