"""Browser journey: the privacy officer answers a data-subject request. She registers it (a
mistake first: the form keeps what she typed), sees the signal found, its referral and log
entries, records a partial restriction, downloads the answer and closes the request.
axe-core on every page of the feature."""

import io
import re
from datetime import date

from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import Partner, Referral, SubjectRequest, SubjectRequestSignal
from tests.conftest import PASSWORD


def test_the_privacy_officer_answers_a_data_subject_request(browser, make_user, make_signal):
    officer = make_user("privacy_officer", name="Paula Privacy")
    reporter = make_user("reporter", name="Rita REPORTERMARK")
    signal = make_signal(reporter, person=("Jan Müller", "1980-01-02"), address=("1234 AB", "5"), status="doorgezet")
    riec = db.session.scalar(select(Partner).where(Partner.name == "RIEC"))
    referral = Referral(signal_id=signal.id, partner_id=riec.id, status="verstuurd", legal_ground="wgs_riec",
                        legal_ground_text="Delen met het RIEC", data_categories=["betrokkenen"], channel="brief",
                        sent_on=date(2026, 1, 20))
    referral.purpose = "Aanbrengen"
    db.session.add(referral)
    db.session.commit()

    browser.log_in(officer.email, PASSWORD)
    page = browser.page
    page.get_by_role("link", name="Verzoeken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verzoeken van betrokkenen", use_inner_text=True)
    browser.assert_accessible("verzoeken")

    page.get_by_role("link", name="Nieuw verzoek registreren").click()
    browser.assert_accessible("nieuw verzoek")
    page.get_by_label("Soort verzoek").select_option(label="Inzage (art. 15 AVG)")
    page.get_by_label("Naam van de persoon").fill("jan muller")
    page.get_by_role("button", name="Verzoek registreren").click()
    expect(page.get_by_role("heading", name="Controleer het formulier")).to_be_visible()
    assert page.get_by_label("Naam van de persoon").input_value() == "jan muller"
    browser.assert_accessible("nieuw verzoek met fout")
    page.get_by_label("Geboortedatum").fill("1980-01-02")
    page.get_by_role("button", name="Verzoek registreren").click()
    expect(page.get_by_text("is geregistreerd")).to_be_visible()
    browser.assert_accessible("verzoek (open)")

    request = db.session.scalars(select(SubjectRequest)).one()
    assert re.fullmatch(r"AVG-\d{4}-0001", request.number)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Verzoek {request.number}", use_inner_text=True)
    found = page.get_by_role("table", name=re.compile("melding(en)? over deze betrokkene"))
    expect(found).to_contain_text(signal.reference, use_inner_text=True)
    expect(found).to_contain_text("vermoedelijk betrokkene", use_inner_text=True)
    expect(page.get_by_role("table", name="Aan wie gegevens uit deze meldingen zijn verstrekt")).to_contain_text(
        "RIEC", use_inner_text=True)
    assert [link.signal_id for link in db.session.scalars(select(SubjectRequestSignal))] == [signal.id]

    page.get_by_label("Gedeeltelijke beperking").check()
    page.get_by_role("button", name="Besluit vastleggen").click()
    expect(page.get_by_text("Kies de grond voor de beperking.").first).to_be_visible()
    browser.assert_accessible("besluit met fout")
    page.get_by_label("Grond voor de beperking").select_option("bescherming_anderen")
    page.get_by_label("Toelichting").fill("De melder is een collega van de betrokkene.")
    page.get_by_role("button", name="Besluit vastleggen").click()
    expect(page.get_by_text("Het besluit over beperking is vastgelegd.")).to_be_visible()

    with page.expect_download() as info:
        page.get_by_role("link", name="Antwoord downloaden (PDF)").click()
    pages = PdfReader(io.BytesIO(info.value.path().read_bytes())).pages
    text = " ".join(" ".join(p.extract_text().split()) for p in pages)
    assert signal.reference in text and "Jan Müller" in text and "gedeeltelijk" in text
    assert "REPORTERMARK" not in text and "RIEC" not in text and "collega" not in text

    page.get_by_role("button", name="Verzoek afhandelen").click()
    expect(page.get_by_text(f"Verzoek {request.number} is afgehandeld.")).to_be_visible()
    browser.assert_accessible("verzoek (afgehandeld)")
    page.get_by_role("link", name="Terug naar de verzoeken").click()
    expect(page.get_by_role("table")).to_contain_text("Afgehandeld", use_inner_text=True)
