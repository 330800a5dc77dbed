"""Browser journey of break-glass: a member finds it on the account page, types a reason that
is too short, asks again, reads the signal (not the reporter), sees the warning banner on
another page and ends the access from it. axe-core on every break-glass page."""

from playwright.sync_api import expect
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
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom", use_inner_text=True)
    assert page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Noodtoegang").count() == 0
    browser.follow(page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Mijn account"))
    page.get_by_role("link", name="Noodtoegang").click()
    expect(page.get_by_role("heading", level=1, name="Noodtoegang")).to_be_visible()
    expect(page.get_by_text("Noodtoegang is alleen voor uitzonderlijke situaties.")).to_be_visible()
    browser.assert_accessible("noodtoegang aanvragen")

    page.get_by_label("Kenmerk van de melding").fill(signal.reference)
    page.get_by_label("Reden").fill("Even kijken")
    page.get_by_label("30 minuten").check()
    page.get_by_role("button", name="Noodtoegang aanvragen").click()
    expect(page.get_by_role("heading", name="Controleer het formulier")).to_be_visible()
    assert page.get_by_label("Reden").input_value() == "Even kijken"
    assert page.get_by_label("30 minuten").is_checked()
    browser.assert_accessible("noodtoegang aanvragen met fout")

    page.get_by_label("Reden").fill("De politie belt over een acute situatie op dit adres; regisseur onbereikbaar")
    page.get_by_role("button", name="Noodtoegang aanvragen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Melding {signal.reference} (noodtoegang)", use_inner_text=True)
    expect(page.get_by_text("DESCRMARK")).to_be_visible()
    expect(page.get_by_text("PERSONMARK")).to_be_visible()
    assert "Rina Melder" not in page.content()
    banner = page.get_by_role("status").filter(has_text="Noodtoegang actief tot")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(signal.reference, use_inner_text=True)
    browser.assert_accessible("melding met noodtoegang")

    browser.goto("/")
    banner = page.get_by_role("status").filter(has_text="Noodtoegang actief tot")
    expect(banner).to_contain_text("beoordeeld door de privacyfunctionaris", use_inner_text=True)
    browser.assert_accessible("startpagina met noodtoegang")
    banner.get_by_role("button", name=f"Noodtoegang tot {signal.reference} beëindigen").click()
    expect(page.get_by_text(f"De noodtoegang tot {signal.reference} is beëindigd.")).to_be_visible()
    assert page.get_by_role("status").filter(has_text="Noodtoegang actief tot").count() == 0
    table = page.get_by_role("table", name="Uw aanvragen voor noodtoegang, nieuwste eerst")
    expect(table).to_contain_text(signal.reference, use_inner_text=True)
    expect(table).to_contain_text("Beëindigd", use_inner_text=True)
    browser.assert_accessible("noodtoegang na beëindigen")

    actions = [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.actor_id == member.id))]
    assert [a for a in actions if a.startswith("break_glass.")] == [
        "break_glass.refused", "break_glass.granted", "break_glass.signal_viewed", "break_glass.ended",
    ]  # the form sent without a reason is an attempt too
