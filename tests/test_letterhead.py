"""Letterhead on every document (issue 15): every PDF opens with the organisation's name,
department, postal address, website and logo; the referral package names the sending
municipality, its contact person and the referral's own reference (VS-YYYY-NNNN, never its
UUID); the answer to a data-subject request is a letter with an addressee, place and date, our
reference, the date of the request and a signature. Without an organisation profile every PDF
still renders, under casustafel's own name."""

import io
import re
from datetime import date, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from casustafel import organisation
from casustafel.dates import long_date, utcnow
from casustafel.demo import demo_logo
from casustafel.extensions import db
from casustafel.models import OrganisationProfile, Partner, Referral, RetentionRun
from casustafel.models.referral import next_reference, reference_number
from casustafel.referrals import services as referral_services
from casustafel.retention import destruction
from casustafel.subject_requests import package
from casustafel.subject_requests import services as request_services
from tests.conftest import UUID_TEXT, login
from tests.helpers.legal_grounds import RIEC_GROUND
from tests.helpers.meetings import published_scene
from tests.helpers.referrals import create, decide_2b, make_scene, post

pytestmark = pytest.mark.usefixtures("pinned_day")

NAME = "Gemeente Súdwest-Fryslân"
DEPARTMENT = "Team Ondermijning, Zorg & Veiligheid"
ADDRESS = "Postbus 10000\n8600 HA Sneek"
WEBSITE = "https://www.sudwestfryslan.example"
CONTACT = ("Aïcha van den Berg-Ó Súilleabháin", "regisseur ondermijning", "0515 48 90 00",
           "ondermijning@sudwestfryslan.example")
SIGNATORY = ("mr. Özlem Jansen-de Vries", "functionaris gegevensbescherming, namens de burgemeester")
REQUESTER = "Zoë Ğüneş-Çelik"


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    pages = (re.sub(r"-\n", "-", p.extract_text()) for p in PdfReader(io.BytesIO(content)).pages)
    return " ".join(" ".join(page.split()) for page in pages)


def images_on_first_page(content: bytes) -> list:
    return list(PdfReader(io.BytesIO(content)).pages[0].images)


def client_for(app, user):
    client = app.test_client()
    assert login(client, user.email).status_code == 200
    return client


@pytest.fixture
def profile(app):
    row = OrganisationProfile(
        id=1, name=NAME, department=DEPARTMENT, postal_address=ADDRESS, website=WEBSITE,
        contact_name=CONTACT[0], contact_role=CONTACT[1], contact_phone=CONTACT[2], contact_email=CONTACT[3],
        signatory_name=SIGNATORY[0], signatory_role=SIGNATORY[1], logo_png=demo_logo(), updated_at=utcnow())
    db.session.add(row)
    db.session.commit()
    organisation.forget()
    return row


# --- one producer per kind of PDF -------------------------------------------------------------


def sent_package(app, make_user, make_signal):
    """A referral sent through the pages; its package downloaded as the coordinator would."""
    coordinator, officer, signal = make_scene(make_user, make_signal)
    referral = create(app, coordinator, signal)
    decide_2b(referral, ["beschrijving", "betrokkenen"], officer=officer)
    client = client_for(app, coordinator)
    assert post(client, f"/verstrekkingen/{referral.id}/versturen", {"bevestigen": "ja"}).status_code == 302
    response = client.get(f"/verstrekkingen/{referral.id}/pakket.pdf")
    assert response.status_code == 200
    db.session.refresh(referral)
    return referral, response


def answer_letter(make_user, make_signal, *, name=REQUESTER, postcode="8601 AB", house_number="12a"):
    officer = make_user("privacy_officer", name="Paula STAFFMARK Privacy")
    make_signal(person=(REQUESTER, "1980-01-02"), status="weging")
    request = request_services.create_request(officer, type="inzage", received_on=date(2026, 11, 12), name=name,
                                              birth_date=date(1980, 1, 2) if name else None, postcode=postcode,
                                              house_number=house_number)
    request_services.decide(officer, request, restriction="geen", ground=None, note=None)
    db.session.commit()
    return request, package.render(package.build(request, request_services.lookup(officer, request)))


def _package(app, make_user, make_signal):
    return sent_package(app, make_user, make_signal)[1].data


def _answer(app, make_user, make_signal):
    return answer_letter(make_user, make_signal)[1]


def _agenda(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal)
    return client_for(app, scene.coordinator).get(f"/overleggen/{scene.meeting.id}/agenda.pdf").data


def _minutes(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal)
    return client_for(app, scene.coordinator).get(f"/overleggen/{scene.meeting.id}/verslag.pdf").data


def _case_summary(app, make_user, make_signal):
    signal = make_signal(status="weging")
    return client_for(app, make_user("coordinator")).get(f"/meldingen/{signal.id}/zaakoverzicht.pdf").data


def _weighing_record(app, make_user, make_signal):
    signal = make_signal(status="weging")
    return client_for(app, make_user("coordinator")).get(f"/meldingen/{signal.id}/wegingsverslag.pdf").data


def _yearly(app, make_user, make_signal):
    make_signal(status="weging")
    return client_for(app, make_user("coordinator")).get(f"/cijfers/jaaroverzicht-{date.today().year}.pdf").data


def _statement(app, make_user, make_signal):
    make_signal(status="afgesloten", closing_reason="geen_ondermijning", closed_at=utcnow() - timedelta(days=800))
    destruction.run_retention(None, utcnow(), dry_run=False, origin="cli")
    db.session.commit()
    run = db.session.scalars(select(RetentionRun)).one()
    return client_for(app, make_user("privacy_officer")).get(f"/bewaren/runs/{run.id}/verklaring.pdf").data


def _register(app, make_user, make_signal):
    return client_for(app, make_user("privacy_officer")).get("/privacy/verwerkingen/register.pdf").data


def _dpia(app, make_user, make_signal):
    return client_for(app, make_user("privacy_officer")).get("/privacy/verwerkingen/dpia-bijlage.pdf").data


PDFS = {
    "verstrekking": _package,
    "antwoord betrokkene": _answer,
    "agenda": _agenda,
    "verslag": _minutes,
    "zaakoverzicht": _case_summary,
    "wegingsverslag": _weighing_record,
    "jaaroverzicht": _yearly,
    "verklaring van vernietiging": _statement,
    "register van verwerkingen": _register,
    "dpia-bijlage": _dpia,
}


def test_every_pdf_template_is_produced_here():
    """A new PDF template (a new child of pdf/base.html) gets a producer above."""
    from pathlib import Path

    templates = Path(__file__).parent.parent / "templates"
    children = sorted(str(p.relative_to(templates)) for p in templates.rglob("*.html")
                      if '{% extends "pdf/base.html" %}' in p.read_text(encoding="utf-8"))
    assert len(children) == len(PDFS), children


@pytest.mark.parametrize("kind", PDFS)
def test_every_pdf_opens_with_the_letterhead_and_the_logo(app, make_user, make_signal, profile, kind):
    content = PDFS[kind](app, make_user, make_signal)
    text = pdf_text(content)
    first_page = pdf_text_of_page(content, 0)
    for shown in (NAME, DEPARTMENT, "Postbus 10000", "8600 HA Sneek", WEBSITE):
        assert shown in first_page, shown
    assert len(images_on_first_page(content)) == 1  # the logo, embedded
    # The running head names the organisation on every page, not casustafel's fallback name.
    pages = PdfReader(io.BytesIO(content)).pages
    assert all(f"{NAME} · " in " ".join(page.extract_text().split()) for page in pages)
    assert "casustafel · " not in text


def pdf_text_of_page(content: bytes, n: int) -> str:
    return " ".join(PdfReader(io.BytesIO(content)).pages[n].extract_text().split())


@pytest.mark.parametrize("kind", ["verstrekking", "antwoord betrokkene", "zaakoverzicht"])
def test_without_a_profile_the_pdfs_render_under_casustafels_own_name(app, make_user, make_signal, kind):
    organisation.forget()
    content = PDFS[kind](app, make_user, make_signal)
    first_page = pdf_text_of_page(content, 0)
    assert "casustafel · " in first_page, first_page[:120]  # running head: the fallback name
    assert images_on_first_page(content) == []
    assert NAME not in first_page and "Contactpersoon" not in first_page


# --- the referral package ----------------------------------------------------------------------


def test_the_package_names_the_sender_its_contact_person_and_its_own_reference(app, make_user, make_signal,
                                                                              profile):
    referral, response = sent_package(app, make_user, make_signal)
    assert re.fullmatch(rf"VS-{date.today().year}-\d{{4}}", referral.reference)
    assert response.headers["Content-Disposition"] == f'attachment; filename="verstrekking-{referral.reference}.pdf"'
    text = pdf_text(response.data)
    assert f"Kenmerk verstrekking {referral.reference}" in text
    assert f"Verstrekt door {NAME}, {DEPARTMENT}" in text
    assert f"Contactpersoon Naam {CONTACT[0]}, {CONTACT[1]} Telefoon {CONTACT[2]} E-mail {CONTACT[3]}" in text
    assert str(referral.id) not in text and not UUID_TEXT.search(text)


def test_the_reference_is_shown_where_the_referral_is_named(app, make_user, make_signal, profile):
    referral, _ = sent_package(app, make_user, make_signal)
    client = client_for(app, make_user("coordinator"))
    for url in ("/verstrekkingen/", f"/verstrekkingen/{referral.id}", f"/meldingen/{referral.signal_id}"):
        page = client.get(url).get_data(as_text=True)
        assert referral.reference in page, url


def test_references_count_per_year_in_the_order_referrals_are_made(app, make_user, make_signal):
    coordinator, _, signal = make_scene(make_user, make_signal)
    riec = db.session.scalar(select(Partner).where(Partner.name == "RIEC"))
    year = date.today().year
    made = []
    for n in range(3):
        made.append(referral_services.create_referral(
            coordinator, signal, partner=riec, purpose=f"Doel {n}", legal_ground=RIEC_GROUND,
            legal_ground_note=None, data_categories=["beschrijving"], channel="riec_portaal", feedback_due=None))
    db.session.commit()
    assert [r.reference for r in made] == [f"VS-{year}-0001", f"VS-{year}-0002", f"VS-{year}-0003"]
    # Several made in one flush (as the demo and some tests do) still get one number each.
    for _ in range(2):
        db.session.add(Referral(signal_id=signal.id, partner_id=riec.id, legal_ground="x", legal_ground_text="x",
                                data_categories=[]))
    db.session.add(Referral(signal_id=signal.id, partner_id=riec.id, legal_ground="x", legal_ground_text="x",
                            data_categories=[], created_at=datetime(2024, 12, 31, 23, 30)))  # 2025 in NL
    db.session.commit()
    references = set(db.session.scalars(select(Referral.reference)))
    assert {f"VS-{year}-0004", f"VS-{year}-0005", "VS-2025-0001"} <= references and len(references) == 6
    assert reference_number("VS-2026-10000") == 10000 and reference_number("iets anders") == 0


def test_a_number_taken_at_the_same_moment_is_skipped(app, make_user, make_signal, monkeypatch):
    """Two coordinators computing the same next number: the unique index refuses the second, which
    takes the next free one instead of failing."""
    coordinator, _, signal = make_scene(make_user, make_signal)
    riec = db.session.scalar(select(Partner).where(Partner.name == "RIEC"))
    year = date.today().year
    db.session.add(Referral(signal_id=signal.id, partner_id=riec.id, legal_ground="x", legal_ground_text="x",
                            data_categories=[], reference=f"VS-{year}-0001"))
    db.session.commit()
    calls = []

    def stale_then_fresh(connection, created_at, pending=()):
        calls.append(created_at)
        return f"VS-{year}-0001" if len(calls) == 1 else next_reference(connection, created_at, pending)

    monkeypatch.setattr("casustafel.models.referral.next_reference", stale_then_fresh)
    referral = referral_services.create_referral(
        coordinator, signal, partner=riec, purpose="Doel", legal_ground=RIEC_GROUND, legal_ground_note=None,
        data_categories=["beschrijving"], channel="riec_portaal", feedback_due=None)
    db.session.commit()
    assert referral.reference == f"VS-{year}-0002" and len(calls) == 2


# --- the answer to a data-subject request ------------------------------------------------------


def test_the_answer_is_a_letter_with_addressee_date_reference_and_signature(app, make_user, make_signal, profile):
    request, content = answer_letter(make_user, make_signal)
    text = pdf_text(content)
    head = text.split("Antwoord op uw verzoek")[0]
    assert f"{REQUESTER} Postcode 8601 AB, huisnummer 12a" in head
    assert f"Sneek, {long_date(date.today())}" in head
    assert f"Ons kenmerk {request.number}" in head and "Uw verzoek van 12 november 2026" in head
    assert "Geachte heer, mevrouw," in text
    contact = ", ".join(CONTACT)
    assert f"Neem dan contact op met {contact}. Noemt u daarbij ons kenmerk {request.number}." in text
    assert f"Met vriendelijke groet, {SIGNATORY[0]} {SIGNATORY[1]} {NAME}" in text
    # The signature comes before the remedies, which stay in the letter.
    assert text.index(SIGNATORY[0]) < text.index("Uw rechten") < text.index("Autoriteit Persoonsgegevens")
    assert "STAFFMARK" not in text  # the officer who made it is not the signatory


def test_without_a_name_the_letter_is_addressed_by_what_the_request_holds(app, make_user, make_signal, profile):
    _, content = answer_letter(make_user, make_signal, name=None, postcode="8601 AB", house_number="12a")
    head = pdf_text(content).split("Antwoord op uw verzoek")[0]
    assert "Postcode 8601 AB, huisnummer 12a" in head and REQUESTER not in head


def test_without_a_signatory_the_letter_is_signed_by_the_organisation(app, make_user, make_signal):
    db.session.add(OrganisationProfile(id=1, name=NAME))
    db.session.commit()
    organisation.forget()
    _, content = answer_letter(make_user, make_signal)
    text = pdf_text(content)
    assert f"Met vriendelijke groet, {NAME} Uw rechten" in text
    assert "Neem dan contact op" not in text  # no contact person known: no empty sentence
    assert f"{date.today().day} " in text.split("Ons kenmerk")[0]  # the date, without a place
