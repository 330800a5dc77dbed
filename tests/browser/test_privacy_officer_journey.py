"""The privacy officer's day (issue 6), end to end with real actions of other roles: a
coordinator opens signal X and a member uses break-glass on it; the privacy officer then finds
who viewed X, signs off the break-glass anomaly, runs a retention dry run, and answers a
data-subject request from the person on X. axe-core on every page she uses; at the end the
access log holds every step and its chain verifies."""

import io
import re
from datetime import timedelta

from flask import current_app
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from casustafel.audit_log import verify_chain
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import AnomalyReview, AuditEvent, Signal, SubjectRequest
from tests.conftest import PASSWORD


def _log_out(browser):
    browser.log_out()


def test_privacy_officer_reviews_access_runs_a_dry_run_and_answers_a_request(browser, make_user, make_signal):
    reporter = make_user("reporter", name="Rita Melder")
    coordinator = make_user("coordinator", name="Ruud Regisseur")
    member = make_user("member", name="Mark Deelnemer")
    officer = make_user("privacy_officer", name="Paula Privacy")
    signal = make_signal(reporter, person=("Sanne de Vries", "1975-03-04"), status="intake")
    old = make_signal(status="afgesloten", closing_reason="geen_hit", closed_at=utcnow() - timedelta(days=800),
                      person=("Kees Oud", "1950-01-01"))
    page = browser.page

    # The coordinator opens X in the workspace.
    browser.log_in(coordinator.email, PASSWORD)
    browser.goto(f"/meldingen/{signal.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile("^" + re.escape(f"Melding {signal.reference}")), use_inner_text=True)
    _log_out(browser)

    # A member has no access to X, so uses break-glass with a reason.
    browser.log_in(member.email, PASSWORD)
    browser.goto("/noodtoegang/")
    page.get_by_label("Kenmerk van de melding").fill(signal.reference)
    page.get_by_label("Reden").fill("Politie belt over een acute situatie op dit adres; regisseur niet bereikbaar")
    page.get_by_label("15 minuten").check()
    page.get_by_role("button", name="Noodtoegang aanvragen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Melding {signal.reference} (noodtoegang)", use_inner_text=True)
    _log_out(browser)

    # Who viewed X?
    browser.log_in(officer.email, PASSWORD)
    nav = page.get_by_role("navigation", name="Hoofdmenu")
    browser.follow(nav.get_by_role("link", name="Logboek", exact=True))
    page.get_by_label("Kenmerk van de melding").fill(signal.reference)
    browser.follow(page.get_by_role("button", name="Filteren"))
    table = page.locator("table")
    expect(table.get_by_role("link", name="Ruud Regisseur").first).to_be_visible()
    expect(table.get_by_role("link", name="Mark Deelnemer").first).to_be_visible()
    expect(table.get_by_text("Melding ingezien met noodtoegang").first).to_be_visible()
    assert "Rita Melder" not in table.inner_text()  # who reported stays with the coordinator
    assert "Sanne" not in page.content()  # metadata only, never content
    browser.assert_accessible("logboek: wie zag melding X")

    # Sign off the break-glass anomaly.
    browser.goto("/logboek/afwijkingen")
    browser.assert_accessible("afwijkingen")
    browser.follow(page.get_by_role("link", name="Noodtoegang (break-glass)").first)
    page.get_by_label("Verklaard, geen actie nodig").check()
    page.get_by_label("Toelichting").fill("Nagebeld met de politie: terecht gebruikt.")
    page.get_by_role("button", name="Beoordeling vastleggen").click()
    expect(page.get_by_text("De beoordeling is vastgelegd.")).to_be_visible()
    browser.assert_accessible("afwijking afgetekend")
    review = db.session.scalars(select(AnomalyReview)).one()
    assert (review.reviewed_by_id, review.outcome) == (officer.id, "verklaard")

    # Retention: what is due, and a dry run that destroys nothing.
    nav = page.get_by_role("navigation", name="Hoofdmenu")
    nav.get_by_role("link", name="Bewaren").click()
    expect(page.get_by_role("table", name="Wat nu over de bewaartermijn is, per soort")).to_contain_text(
        old.reference, use_inner_text=True)
    browser.assert_accessible("bewaren")
    page.get_by_role("button", name="Proefrun starten").click()
    expect(page.get_by_text("Proefrun klaar: er is niets vernietigd.")).to_be_visible()
    browser.assert_accessible("proefrun")
    db.session.expire_all()
    assert db.session.get(Signal, old.id).destroyed_at is None
    assert db.session.get(Signal, old.id).subjects  # still there after a dry run

    # A data-subject request from the person on X.
    browser.follow(page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Verzoeken"))
    browser.follow(page.get_by_role("link", name="Nieuw verzoek registreren"))
    page.get_by_label("Soort verzoek").select_option(label="Inzage (art. 15 AVG)")
    page.get_by_label("Naam van de persoon").fill("sanne de vries")
    page.get_by_label("Geboortedatum").fill("1975-03-04")
    page.get_by_role("button", name="Verzoek registreren").click()
    expect(page.get_by_text("is geregistreerd")).to_be_visible()
    assert signal.reference in page.content() and old.reference not in page.content()
    browser.assert_accessible("verzoek")
    page.get_by_label("Geen beperking").check()
    page.get_by_role("button", name="Besluit vastleggen").click()
    expect(page.get_by_text("Het besluit over beperking is vastgelegd.")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="Antwoord downloaden (PDF)").click()
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(info.value.path().read_bytes())).pages)
    text = " ".join(text.split())
    assert signal.reference in text and "Sanne de Vries" in text and "Rita Melder" not in text
    browser.follow(page.get_by_role("button", name="Verzoek afhandelen"))
    request = db.session.scalars(select(SubjectRequest)).one()
    expect(page.get_by_text(f"Verzoek {request.number} is afgehandeld.")).to_be_visible()
    browser.assert_accessible("verzoek afgehandeld")

    # Every step is in the access log, and the chain verifies.
    db.session.expire_all()
    officer_actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == officer.id)))
    assert {"audit.viewed", "audit.anomaly_reviewed", "retention.run", "subject_request.created",
            "subject_request.decided", "subject_request.exported", "subject_request.closed"} <= officer_actions
    assert "break_glass.granted" in set(
        db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == member.id)))
    assert verify_chain(current_app.extensions["casustafel_keyring"]).ok
