"""Data-subject requests (issue 6): due dates, the form, the blind-index lookup, legal hold,
the restriction decision, the answer package and closing."""

import html
import io
import re
import uuid
from datetime import date, timedelta

import pytest
from flask import current_app
from pypdf import PdfReader
from sqlalchemy import select

from casustafel import linking
from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.models import (
    AuditEvent,
    Partner,
    PrivacyCheck,
    ReceivedInformation,
    Referral,
    Signal,
    Subject,
    SubjectRequest,
    SubjectRequestSignal,
    UserSession,
)
from casustafel.privacy.decisions import decide_privacy_check
from casustafel.referrals.services import create_referral, send_referral
from casustafel.retention.services import on_hold
from casustafel.subject_requests import services
from casustafel.subject_requests.services import SOURCE_EXTERNAL, SOURCE_INTERNAL, due_date, source_text
from tests.conftest import UUID_TEXT, csrf_from, login
from tests.helpers.legal_grounds import RIEC_GROUND_TEXT
from tests.helpers.markers import assert_no_marker, new_marker, postgresql_dump, sqlite_dump
from tests.helpers.powers import power_ids

# Dates computed here (today, tomorrow, overdue, this year) are checked against the app's:
# both on the same pinned day (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("pinned_day")


def plain(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(response.get_data(as_text=True))).split())


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    pages = (re.sub(r"-\n", "-", p.extract_text()) for p in PdfReader(io.BytesIO(content)).pages)
    return " ".join(" ".join(page.split()) for page in pages)


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def post(client, url, data, from_url="/verzoeken/nieuw"):
    payload = {"csrf_token": csrf_from(client.get(from_url))}
    payload.update(data)
    return client.post(url, data=payload)


@pytest.fixture
def officer(make_user, client):
    user = make_user("privacy_officer", name="Paula STAFFMARK Privacy")
    assert login(client, user.email).status_code == 200
    return user


def new_request(client, **fields):
    data = {"type": "inzage", "received_on": date.today().isoformat(), "name": "", "birth_date": "",
            "organisation": "", "kvk_number": "", "postcode": "", "house_number": ""}
    data.update(fields)
    return post(client, "/verzoeken/nieuw", data)


def only_request() -> SubjectRequest:
    return db.session.scalars(select(SubjectRequest)).one()


def found_references(request) -> set[str]:
    return {f.signal.reference for f in services.lookup(None, request)}


# --- due dates and numbers --------------------------------------------------------------------


@pytest.mark.parametrize("received, due", [
    (date(2026, 1, 15), date(2026, 2, 15)),
    (date(2026, 1, 31), date(2026, 2, 28)),
    (date(2028, 1, 31), date(2028, 2, 29)),  # leap year
    (date(2026, 3, 31), date(2026, 4, 30)),
    (date(2026, 2, 28), date(2026, 3, 28)),
    (date(2026, 12, 31), date(2027, 1, 31)),
    (date(2026, 12, 1), date(2027, 1, 1)),
])
def test_the_due_date_is_one_calendar_month_later_clamped_to_the_month_end(received, due):
    assert due_date(received) == due


def test_a_registered_request_gets_a_number_the_due_date_and_encrypted_fields(client, officer):
    received = date(2026, 1, 31)
    response = new_request(client, received_on=received.isoformat(), name="Jan Jansen", birth_date="1980-01-02")
    request = only_request()
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/verzoeken/{request.id}")
    assert request.number == "AVG-2026-0001" and request.status == "open"
    assert request.received_on == received and request.due_on == date(2026, 2, 28)
    assert request.created_by_id == officer.id
    assert request.name == "Jan Jansen" and request.birth_date == "1980-01-02" and b"Jansen" not in request.name_enc
    created = events("subject_request.created")
    assert len(created) == 1 and created[0].object_id == str(request.id)
    page = plain(client.get(f"/verzoeken/{request.id}"))
    assert "AVG-2026-0001" in page and "28-02-2026" in page

    new_request(client, received_on=date(2026, 3, 2).isoformat(), kvk_number="12345678")
    assert {r.number for r in db.session.scalars(select(SubjectRequest))} == {"AVG-2026-0001", "AVG-2026-0002"}


def test_a_number_taken_meanwhile_is_skipped_not_duplicated(app, make_user, monkeypatch):
    officer = make_user("privacy_officer")
    first = services.create_request(officer, type="inzage", received_on=date(2026, 5, 1), kvk_number="12345678")
    db.session.commit()
    real = services._next_number
    calls = []

    def stale_then_real(year):  # as if another transaction had not committed its number yet
        calls.append(year)
        return first.number if len(calls) == 1 else real(year)

    monkeypatch.setattr(services, "_next_number", stale_then_real)
    second = services.create_request(officer, type="bezwaar", received_on=date(2026, 5, 2), kvk_number="87654321")
    db.session.commit()
    assert len(calls) == 2 and second.number == "AVG-2026-0002"
    assert db.session.scalars(select(SubjectRequest.number).order_by(SubjectRequest.number)).all() == [
        "AVG-2026-0001", "AVG-2026-0002"]


def test_the_list_shows_open_requests_first_by_due_date_and_marks_overdue_ones(client, officer):
    today = date.today()
    late = services.create_request(officer, type="inzage", received_on=today - timedelta(days=45),
                                  kvk_number="11111111")
    soon = services.create_request(officer, type="wissing", received_on=today - timedelta(days=3),
                                  kvk_number="22222222")
    done = services.create_request(officer, type="bezwaar", received_on=today - timedelta(days=90),
                                  kvk_number="33333333")
    services.decide(officer, done, restriction="geen", ground=None, note=None)
    services.close(officer, done)
    db.session.commit()
    page = plain(client.get("/verzoeken/"))
    assert page.index(late.number) < page.index(soon.number) < page.index(done.number)
    assert page.count("termijn verstreken") == 1
    assert re.search(rf"{late.number} .*?termijn verstreken.*?{soon.number}", page)


# --- the form -----------------------------------------------------------------------------------


def test_bad_input_gets_dutch_messages_keeps_what_was_typed_and_saves_nothing(client, officer):
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    response = new_request(client, received_on=tomorrow, name="Jan MARKTYPED Jansen", postcode="12AB",
                           house_number="12A")
    assert response.status_code == 200
    text = plain(response)
    assert "Controleer het formulier" in text
    assert "Deze datum ligt in de toekomst" in text
    assert "Vul ook de geboortedatum in" in text
    assert "Vul een postcode in als 1234 AB." in text
    body = response.get_data(as_text=True)
    assert 'value="Jan MARKTYPED Jansen"' in body and 'value="12AB"' in body and 'value="12A"' in body
    assert f'value="{tomorrow}"' in body
    assert db.session.scalars(select(SubjectRequest)).all() == []
    assert not events("subject_request.created")


def test_at_least_one_complete_identifier_is_needed(client, officer):
    response = new_request(client, type="")
    text = plain(response)
    assert "Kies het soort verzoek." in text
    response = new_request(client)
    assert "Vul minstens één gegeven in waarmee de betrokkene te vinden is" in plain(response)
    response = new_request(client, house_number="12")
    assert "Vul ook de postcode in." in plain(response)
    response = new_request(client, name="Jan Jansen", birth_date="1980-01-02", organisation="Jansen B.V.")
    assert "Vul een persoon óf een organisatie in" in plain(response)
    assert db.session.scalars(select(SubjectRequest)).all() == []


def test_the_form_shows_today_as_received_date_and_the_due_date(client, officer):
    body = client.get("/verzoeken/nieuw").get_data(as_text=True)
    assert f'value="{date.today().isoformat()}"' in body
    assert due_date(date.today()).strftime("%d-%m-%Y") in body


# --- the lookup ---------------------------------------------------------------------------------


def test_the_lookup_finds_a_person_across_accents_and_case_with_the_same_birth_date(app, make_user, make_signal):
    officer = make_user("privacy_officer")
    first = make_signal(None, person=("Müller", "1970-01-01"), address=None)
    second = make_signal(None, person=("MULLER", "1970-01-01"), address=None)
    make_signal(None, person=("Muller", "1971-01-01"), address=None)  # another birth date: another person
    request = services.create_request(officer, type="inzage", received_on=date.today(), name="muller",
                                      birth_date=date(1970, 1, 1))
    assert found_references(request) == {first.reference, second.reference}


def test_the_lookup_finds_an_address_across_postcode_spellings(app, make_user, make_signal):
    officer = make_user("privacy_officer")
    here = [make_signal(None, person=None, address=("1234 ab", "12")),
            make_signal(None, person=None, address=("1234AB", "12"))]
    make_signal(None, person=None, address=("1234 AB", "13"))  # next door
    make_signal(None, person=None, address=("1234 AC", "12"))  # other street
    request = services.create_request(officer, type="inzage", received_on=date.today(), postcode="1234AB",
                                      house_number="12")
    assert found_references(request) == {s.reference for s in here}


def test_another_person_at_the_same_address_is_not_the_requester(app, make_user, make_signal):
    officer = make_user("privacy_officer")
    own = make_signal(None, person=("Jan Jansen", "1980-01-02"), address=None)
    neighbour = make_signal(None, person=None, address=None)
    subject = Subject(kind="persoon", role="huurder", position=0)
    neighbour.subjects.append(subject)
    subject.name, subject.birth_date, subject.postcode, subject.house_number = "Piet Puk", "1975-05-05", "1234 AB", "1"
    linking.index_subject(subject)
    premises = make_signal(None, person=None, address=("1234 AB", "1"))
    db.session.commit()
    request = services.create_request(officer, type="inzage", received_on=date.today(), name="Jan Jansen",
                                      birth_date=date(1980, 1, 2), postcode="1234 AB", house_number="1")
    assert found_references(request) == {own.reference, premises.reference}


def test_a_forced_blind_index_collision_never_returns_another_person(app, make_user, make_signal, monkeypatch):
    monkeypatch.setattr(linking, "_index", lambda name, *parts, **kw: 42)  # every value collides
    officer = make_user("privacy_officer")
    own = make_signal(None, person=("Jan Jansen", "1980-01-02"), address=("1234 AB", "1"))
    stranger = make_signal(None, person=("Piet Puk", "1975-05-05"), address=("9999 ZZ", "9"))
    assert own.subjects[0].person_bidx == stranger.subjects[0].person_bidx == 42
    request = services.create_request(officer, type="inzage", received_on=date.today(), name="Jan Jansen",
                                      birth_date=date(1980, 1, 2), postcode="1234 AB", house_number="1")
    findings = services.lookup(officer, request)
    assert [f.signal.reference for f in findings] == [own.reference]
    assert {str(m.entity.id) for m in findings[0].matches} == {str(own.subjects[0].id), str(own.locations[0].id)}
    db.session.commit()
    assert [link.signal_id for link in db.session.scalars(select(SubjectRequestSignal))] == [own.id]


# --- legal hold, decision, closing ------------------------------------------------------------------


def held_ids() -> set:
    return set(db.session.scalars(select(Signal.id).where(on_hold())))


def test_an_open_request_puts_its_signals_on_legal_hold_and_closing_releases_it(client, officer, make_signal):
    signal = make_signal(None, person=("Jan Jansen", "1980-01-02"), address=None)
    other = make_signal(None, person=("Piet Puk", "1975-05-05"), address=None)
    new_request(client, name="jan jansen", birth_date="1980-01-02")
    request = only_request()
    links = db.session.scalars(select(SubjectRequestSignal)).all()
    assert [(link.request_id, link.signal_id) for link in links] == [(request.id, signal.id)]
    assert held_ids() == {signal.id} and other.id not in held_ids()
    assert "Ja" in plain(client.get(f"/verzoeken/{request.id}")).split("Bewaarplicht")[1][:200]

    later = make_signal(None, person=("Jan Jansen", "1980-01-02"), address=None)  # arrives while open
    client.get(f"/verzoeken/{request.id}")
    assert held_ids() == {signal.id, later.id}

    response = post(client, f"/verzoeken/{request.id}/afhandelen", {"version": str(request.version)},
                    from_url=f"/verzoeken/{request.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert "Leg eerst het besluit over beperking vast" in plain(client.get(f"/verzoeken/{request.id}"))
    assert only_request().status == "open"

    post(client, f"/verzoeken/{request.id}/besluit", {"restriction": "geen", "ground": "", "note": ""},
         from_url=f"/verzoeken/{request.id}")
    db.session.expire_all()
    post(client, f"/verzoeken/{request.id}/afhandelen", {"version": str(only_request().version)},
         from_url=f"/verzoeken/{request.id}")
    db.session.expire_all()
    request = only_request()
    assert request.status == "afgehandeld" and request.closed_at is not None
    assert held_ids() == set()
    assert len(db.session.scalars(select(SubjectRequestSignal)).all()) == 2  # kept for the record
    assert len(events("subject_request.closed")) == 1

    make_signal(None, person=("Jan Jansen", "1980-01-02"), address=None)  # after closing: not added
    page = plain(client.get(f"/verzoeken/{request.id}"))
    assert "2 meldingen" in page and "Afgehandeld" in page and "Besluit vastleggen" not in page
    assert len(db.session.scalars(select(SubjectRequestSignal)).all()) == 2


def test_the_detail_logs_views_and_searches_with_pseudonyms_never_search_values(client, officer, make_signal):
    signal = make_signal(None, person=("Jan SEARCHMARK Jansen", "1980-01-02"), address=("1234 AB", "7"))
    new_request(client, name="Jan SEARCHMARK Jansen", birth_date="1980-01-02", postcode="1234ab", house_number="7")
    request = only_request()
    client.get(f"/verzoeken/{request.id}")
    viewed = events("subject_request.viewed")
    assert len(viewed) == 1 and viewed[0].purpose == "rechten_betrokkene"
    assert set(viewed[0].subject_pseudonyms.split(",")) == {str(signal.subjects[0].id), str(signal.locations[0].id)}
    searched = events("subject_request.searched")
    assert len(searched) == 2 and all(e.purpose == "rechten_betrokkene" for e in searched)
    for event in db.session.scalars(select(AuditEvent)):
        row = " ".join(str(v) for v in (event.object_id, event.subject_pseudonyms, event.reason_code, event.purpose))
        row = UUID_TEXT.sub("", row)  # ids are random hex: "1234" may turn up in one by chance
        assert "SEARCHMARK" not in row and "1234" not in row and "1980" not in row


def test_the_log_section_shows_date_action_role_and_purpose_but_no_staff_names(client, officer, make_user,
                                                                                make_signal):
    coordinator = make_user("coordinator", name="Carla COORDMARK")
    signal = make_signal(None, person=("Jan Jansen", "1980-01-02"), address=None)
    coordinator_client = client.application.test_client()
    assert login(coordinator_client, coordinator.email).status_code == 200
    coordinator_client.get(f"/meldingen/{signal.id}")
    new_request(client, name="Jan Jansen", birth_date="1980-01-02")
    page = plain(client.get(f"/verzoeken/{only_request().id}"))
    log = page.split("Logboekregels over deze meldingen")[1]
    assert "Melding ingezien Regisseur / voorzitter Weging en bespreking aan de casustafel" in log
    assert "COORDMARK" not in page and "STAFFMARK" not in log  # the officer's own name is only in the menu bar


def test_a_restriction_needs_a_ground_and_a_stale_decision_gets_a_conflict(client, officer, make_signal):
    new_request(client, kvk_number="12345678")
    request = only_request()
    url = f"/verzoeken/{request.id}"
    response = post(client, f"{url}/besluit", {"restriction": "gedeeltelijk", "ground": "", "note": "NOTEKEPT"},
                    from_url=url)
    assert response.status_code == 200 and "Kies de grond voor de beperking." in plain(response)
    assert "NOTEKEPT" in response.get_data(as_text=True)
    db.session.expire_all()
    assert only_request().restriction is None

    stale = str(only_request().version)
    response = post(client, f"{url}/besluit", {"restriction": "volledig", "ground": "opsporing",
                                               "note": "Lopend NOTEMARK onderzoek", "version": stale}, from_url=url)
    assert response.status_code == 302
    db.session.expire_all()
    request = only_request()
    assert request.restriction == "volledig" and request.restriction_ground == "opsporing"
    assert request.restriction_note == "Lopend NOTEMARK onderzoek" and b"NOTEMARK" not in request.restriction_note_enc
    assert request.decided_by_id == officer.id
    decided = events("subject_request.decided")
    assert len(decided) == 1 and decided[0].reason_code == "volledig"

    response = post(client, f"{url}/besluit", {"restriction": "geen", "ground": "", "note": "Mijn TYPEDMARK",
                                               "version": stale}, from_url=url)
    assert response.status_code == 409
    assert "Iemand anders heeft dit verzoek intussen gewijzigd" in plain(response)
    assert "Mijn TYPEDMARK" in response.get_data(as_text=True)
    db.session.expire_all()
    assert only_request().restriction == "volledig"
    assert events("subject_request.decided")[-1].result == "failed"


# --- the answer package ---------------------------------------------------------------------------


REQUESTED = ["beschrijving", "betrokkenen", "adressen"]
APPROVED = ["beschrijving", "betrokkenen", "geboortedata"]  # check 2B refuses the addresses
SENT_LABELS = "Beschrijving van de melding, Namen en rol van betrokkenen"
REFUSED_LABEL = "Adressen en panden"


def send_to_riec(coordinator, officer, signal) -> Referral:
    """Referral to the RIEC through the real services: requested, partly approved by 2B, sent on 3 Feb 2026."""
    riec = db.session.scalar(select(Partner).where(Partner.name == "RIEC"))
    referral = create_referral(coordinator, signal, partner=riec, purpose="Doel PURPOSEMARK",
                               legal_ground="wgs_riec", legal_ground_note=None, data_categories=REQUESTED,
                               channel="riec_portaal", feedback_due=None)
    db.session.commit()
    check = db.session.scalar(select(PrivacyCheck).where(PrivacyCheck.referral_id == referral.id))
    decide_privacy_check(officer, check, approved=True, rationale="Afgewogen", allowed_fields=APPROVED,
                         powers=power_ids())
    send_referral(coordinator, referral, store=current_app.extensions["casustafel_store"],
                  keyring=current_app.extensions["casustafel_keyring"], render=lambda r, c: b"%PDF-1.4 pakket",
                  today=date(2026, 2, 3))
    db.session.commit()
    return referral


@pytest.fixture
def answered(client, officer, make_user, make_signal):
    """A request about Jan Jansen, whose signal was reported, referred to the RIEC (without the addresses
    check 2B refused) and holds police information."""
    reporter = make_user("reporter", name="Rita REPORTERMARK Melder")
    signal = make_signal(reporter, person=("Jan Jansen", "1980-01-02"), address=("1234 AB", "1"),
                         description="Beschrijving DESCRMARK", summary="Samenvatting van de regisseur",
                         status="in_aanpak")
    neighbour = Subject(kind="persoon", role="huurder", position=1)
    signal.subjects.append(neighbour)
    neighbour.name, neighbour.birth_date = "Piet OTHERMARK Puk", "1975-05-05"
    linking.index_subject(neighbour)
    for source, ground in (("politie", "wpg_16_1_c"), ("om", "wjsg"), ("riec", "wgs"), ("bibob", "bibob_28")):
        received = ReceivedInformation(signal_id=signal.id, source=source, ground=ground, received_on=date(2026, 2, 1))
        received.content = f"{source} POLICEMARK informatie"
        received.provider_reference, received.conditions = "PL-POLREFMARK", "Voorwaarde CONDMARK"
        db.session.add(received)
    record(reporter, "signal.submitted", signal, purpose="melding", role="reporter")
    db.session.commit()
    send_to_riec(make_user("coordinator"), officer, signal)
    new_request(client, name="Jan Jansen", birth_date="1980-01-02")
    return only_request(), signal


def decide_and_export(client, request, restriction, ground=""):
    url = f"/verzoeken/{request.id}"
    post(client, f"{url}/besluit", {"restriction": restriction, "ground": ground, "note": "Intern NOTEMARK"},
         from_url=url)
    response = client.get(f"{url}/antwoord.pdf")
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Disposition"] == f'attachment; filename="antwoord-{request.number}.pdf"'
    return pdf_text(response.data)


NEVER = ("REPORTERMARK", "POLICEMARK", "POLREFMARK", "CONDMARK", "DESCRMARK", "OTHERMARK", "NOTEMARK",
         "STAFFMARK", "PURPOSEMARK")


def test_the_package_names_recipients_and_legal_ground_but_never_the_reporter_or_police_information(client, answered):
    request, signal = answered
    text = decide_and_export(client, request, "geen")
    assert f"Antwoord op uw verzoek {request.number}" in text
    assert signal.reference in text and "Jan Jansen" in text and "02-01-1980" in text
    assert "RIEC" in text and "03-02-2026" in text
    assert RIEC_GROUND_TEXT in text
    assert "Beschrijving van de melding" in text  # the category, not the text
    assert "een waarneming van een medewerker van de gemeente" in text
    assert "Hoe lang wij gegevens bewaren" in text and "Wanneer uw gegevens zijn ingezien" in text
    assert f"{date.today():%d-%m-%Y} Registratie van een melding 1" in text
    for marker in NEVER:
        assert marker not in text, marker
    exported = events("subject_request.exported")
    assert len(exported) == 1 and exported[0].reason_code == "geen"
    assert str(signal.subjects[0].id) in exported[0].subject_pseudonyms
    assert str(signal.subjects[1].id) not in exported[0].subject_pseudonyms


def test_the_request_lists_only_the_categories_the_package_contained(client, answered):
    request, signal = answered
    referral = db.session.scalars(select(Referral)).one()
    assert referral.data_categories == REQUESTED and referral.sent_categories == ["beschrijving", "betrokkenen"]
    page = plain(client.get(f"/verzoeken/{request.id}"))
    assert "Verstrekte gegevens" in page
    assert f"{signal.reference} RIEC 03-02-2026 {RIEC_GROUND_TEXT} {SENT_LABELS}" in page
    assert REFUSED_LABEL not in page
    text = decide_and_export(client, request, "geen")
    assert "Verstrekte gegevens" in text and SENT_LABELS in text
    assert REFUSED_LABEL not in text


def test_a_partial_restriction_withholds_recipients_and_the_log(client, answered):
    request, signal = answered
    text = decide_and_export(client, request, "gedeeltelijk", "opsporing")
    assert signal.reference in text and "Jan Jansen" in text
    assert "RIEC" not in text and "Wanneer uw gegevens zijn ingezien" not in text
    assert "gedeeltelijk" in text and "Voorkoming, onderzoek, opsporing en vervolging van strafbare feiten" in text
    for marker in NEVER:
        assert marker not in text, marker


def test_a_full_restriction_says_only_what_article_41_allows(client, answered):
    request, signal = answered
    text = decide_and_export(client, request, "volledig", "bescherming_anderen")
    assert "artikel 41 van de Uitvoeringswet AVG" in text and "bijvoorbeeld de melder" in text
    assert "niet meedelen of, en zo ja welke" in text
    # The name the requester gave addresses the letter, and appears nowhere else.
    addressee, letter = text.split("Ons kenmerk", 1)
    assert "Jan Jansen" in addressee
    for absent in (signal.reference, "Jan Jansen", "RIEC", "waarin u voorkomt", "Hoe lang", *NEVER):
        assert absent not in letter, absent


def test_the_package_needs_a_decision_and_a_recent_login(app, client, answered, officer):
    request, _ = answered
    response = client.get(f"/verzoeken/{request.id}/antwoord.pdf")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/verzoeken/{request.id}")
    post(client, f"/verzoeken/{request.id}/besluit", {"restriction": "geen", "ground": "", "note": ""},
         from_url=f"/verzoeken/{request.id}")
    for row in db.session.scalars(select(UserSession).where(UserSession.user_id == officer.id)):
        row.authenticated_at -= app.config["FRESH_LOGIN_WINDOW"] + timedelta(minutes=1)
    db.session.commit()
    response = client.get(f"/verzoeken/{request.id}/antwoord.pdf")
    assert response.status_code == 302 and "/inloggen/bevestigen" in response.headers["Location"]
    assert not events("subject_request.exported")


def test_an_unknown_request_answers_404_and_is_logged_as_denied(client, officer):
    response = client.get("/verzoeken/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    denied = events("access.denied")
    assert denied and denied[-1].object_type == "subject_request"


@pytest.mark.parametrize("role", ["reporter", "member", "coordinator", "admin"])
def test_only_the_privacy_officer_handles_requests(client, make_user, role):
    user = make_user(role)
    login(client, user.email)
    assert client.get("/verzoeken/").status_code == 403
    assert "Verzoeken" not in plain(client.get("/"))


# --- encryption at rest ------------------------------------------------------------------------------


def test_the_subject_fields_of_a_request_are_not_in_a_database_dump(client, officer):
    name, note = new_marker(), new_marker()
    organisation_request = new_request(client, organisation=f"Bakkerij {name}", kvk_number="24681357",
                                       postcode="1234 AB", house_number="12A")
    assert organisation_request.status_code == 302
    request = only_request()
    post(client, f"/verzoeken/{request.id}/besluit", {"restriction": "gedeeltelijk", "ground": "opsporing",
                                                      "note": f"Notitie {note}"}, from_url=f"/verzoeken/{request.id}")
    number = request.number
    db.session.remove()
    if db.engine.dialect.name == "postgresql":
        dump, where = postgresql_dump(), "pg_dump"
    else:
        dump, where = sqlite_dump(), "SQLite dump"
    assert number in dump  # the dump is real and holds the request's row
    for marker in (name, note):
        assert_no_marker(dump, marker, where)
    # ("12A" and "1234AB" are too short to test: a hex dump of ciphertext may hold them by chance)
    for plaintext in ("24681357", "1234 AB"):
        assert plaintext not in dump
    request = only_request()
    assert request.name == f"Bakkerij {name}" and request.restriction_note == f"Notitie {note}"


@pytest.mark.parametrize(("channel", "from_a_colleague", "expected"), [
    ("meldpunt", True, SOURCE_INTERNAL),
    ("eigen_waarneming", False, SOURCE_INTERNAL),
    ("email", True, SOURCE_INTERNAL),  # the sender's address is a colleague's account
    ("email", False, SOURCE_EXTERNAL),  # an address nobody in the organisation has
    ("telefoon", False, SOURCE_EXTERNAL),
    ("riec", False, SOURCE_EXTERNAL),
])
def test_the_letter_names_the_source_by_channel_and_sender(channel, from_a_colleague, expected):
    signal = Signal(channel=channel, reporter_id=uuid.uuid4() if from_a_colleague else None)
    assert source_text(signal) == expected
