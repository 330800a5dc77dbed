"""The coordinator's search on the inbox: by reference, person, organisation, KvK number and
address through the blind indexes, exact after decryption; a POST form, logged with its
purpose and kinds but never with what was typed (README "Zoeken", docs/security.md "Access log")."""

import logging
import re

import pytest
from sqlalchemy import select

from casustafel import linking, rotation
from casustafel.extensions import db
from casustafel.models import AuditEvent, Location, Subject
from casustafel.models.base import keyring
from tests.conftest import ROLES, csrf_from

REF_RE = re.compile(r'href="/meldingen/[0-9a-f-]+">(SIG-\d{4}-\d{4})</a>')


@pytest.fixture
def coordinator(make_user, login_as):
    user = make_user("coordinator")
    login_as(user)
    return user


def add_subject(signal, kind="persoon", *, name=None, birth_date=None, kvk=None, postcode=None, number=None,
                addition=None) -> Subject:
    subject = Subject(kind=kind, role="vermoedelijk_betrokkene", position=len(signal.subjects))
    signal.subjects.append(subject)
    subject.name, subject.birth_date, subject.kvk_number = name, birth_date, kvk
    subject.postcode, subject.house_number, subject.house_number_addition = postcode, number, addition
    linking.index_subject(subject)
    return subject


def add_location(signal, postcode, number, addition=None) -> Location:
    location = Location(position=len(signal.locations))
    signal.locations.append(location)
    location.postcode, location.house_number, location.house_number_addition = postcode, number, addition
    linking.index_location(location)
    return location


def search(client, **fields):
    token = csrf_from(client.get("/meldingen"))
    return client.post("/meldingen/zoeken", data={"csrf_token": token, **fields})


def found(response) -> set[str]:
    assert response.status_code == 200
    return set(REF_RE.findall(response.get_data(as_text=True)))


def searched_events() -> list[AuditEvent]:
    """In the order they were logged (without ORDER BY, PostgreSQL may return them in any order)."""
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == "signal.searched")
                              .order_by(AuditEvent.seq)).all()


@pytest.fixture
def people(make_signal):
    """Signals about two people called Müller, a Mulder, and a company called Müller."""
    signals = {
        "mueller_71": make_signal(None, person=("Müller", "1971-01-01"), address=None),
        "muller_85": make_signal(None, person=("muller", "1985-06-30"), address=None),
        "mulder": make_signal(None, person=("Mulder", "1971-01-01"), address=None),
        "company": make_signal(None, person=None, address=None),
    }
    add_subject(signals["company"], "organisatie", name="Müller", kvk="01234567")
    db.session.commit()
    return {name: s.reference for name, s in signals.items()}


# --- finding ------------------------------------------------------------------------------------


def test_the_inbox_has_the_search_form_and_it_posts(client, coordinator):
    page = client.get("/meldingen").get_data(as_text=True)
    assert re.search(r'<form method="post" action="/meldingen/zoeken"', page)
    assert 'name="zoeken"' in page and 'name="naam"' in page and 'name="kvk"' in page
    assert client.get("/meldingen/zoeken").status_code == 405  # no search in a URL


def test_a_get_with_search_fields_searches_nothing_and_echoes_nothing(client, coordinator, make_signal):
    make_signal(None, person=("Canarynaam Zqx", "1980-01-02"))
    db.session.commit()
    page = client.get("/meldingen", query_string={"naam": "Canarynaam Zqx", "zoeken": "SIG-2026-0001"})
    assert page.status_code == 200
    assert "Canarynaam" not in page.get_data(as_text=True) and "Zoekresultaat" not in page.get_data(as_text=True)
    assert searched_events() == []


def test_finds_a_signal_by_its_reference_typed_loosely(client, coordinator, make_signal):
    wanted, other = make_signal(None), make_signal(None)
    db.session.commit()
    assert found(search(client, zoeken=f"  {wanted.reference.lower()} ")) == {wanted.reference}
    assert other.reference not in search(client, zoeken=wanted.reference).get_data(as_text=True)


def test_a_reference_that_finds_nothing_says_so_and_keeps_it(client, coordinator, make_signal):
    make_signal(None)
    db.session.commit()
    response = search(client, zoeken="SIG-1999-9999")
    page = response.get_data(as_text=True)
    assert found(response) == set()
    assert "Er is geen melding met dit kenmerk." in page
    assert 'value="SIG-1999-9999"' in page


def test_finds_a_person_by_name_whatever_the_case_and_accents(client, coordinator, people):
    for typed in ("muller", "MÜLLER", "  Muller "):
        # Both people called Müller, whatever their birth date; not Mulder, not the company.
        assert found(search(client, naam=typed)) == {people["mueller_71"], people["muller_85"]}, typed


def test_a_person_stored_before_the_name_index_is_found_after_reindexing(client, coordinator, make_signal):
    signal = make_signal(None, person=("Ömer Çelik", "1979-03-04"), address=None)
    signal.subjects[0].organisation_bidx = None  # as stored before every subject's name was indexed
    db.session.commit()
    assert found(search(client, naam="omer celik")) == set()
    assert found(search(client, naam="omer celik", geboortedatum="1979-03-04")) == {signal.reference}
    rotation.rotate(keyring(), "bidx")  # `flask keys rotate --purpose bidx`
    assert found(search(client, naam="omer celik")) == {signal.reference}


def test_name_and_birth_date_find_only_that_person(client, coordinator, people):
    assert found(search(client, naam="muller", geboortedatum="1971-01-01")) == {people["mueller_71"]}
    assert found(search(client, naam="Müller", geboortedatum="1985-06-30")) == {people["muller_85"]}
    response = search(client, naam="Müller", geboortedatum="1990-01-01")
    assert found(response) == set()
    assert "Geen meldingen gevonden met deze gegevens." in response.get_data(as_text=True)


def test_finds_an_organisation_by_name_and_by_kvk(client, coordinator, people):
    assert found(search(client, organisatie="MULLER")) == {people["company"]}
    assert found(search(client, kvk="01234567")) == {people["company"]}
    assert found(search(client, kvk="0123 4567")) == {people["company"]}
    assert found(search(client, kvk="01234568")) == set()


def test_finds_an_address_with_every_way_of_typing_the_addition(client, coordinator, make_signal):
    premises = make_signal(None, person=None, address=None)
    add_location(premises, "1234 AB", "12", "a")
    resident = make_signal(None, person=None, address=None)
    add_subject(resident, name="Anna de Vries", birth_date="1990-02-03", postcode="1234ab", number="12A")
    plain = make_signal(None, person=None, address=("1234 AB", "12"))
    elsewhere = make_signal(None, person=None, address=("1234 AC", "12"))
    db.session.commit()

    with_a = {premises.reference, resident.reference}
    assert found(search(client, postcode="1234ab", huisnummer="12a")) == with_a
    assert found(search(client, postcode="1234 AB", huisnummer="12-A")) == with_a
    assert found(search(client, postcode="1234AB", huisnummer="12 a")) == with_a
    assert found(search(client, postcode="1234 AB", huisnummer="12", toevoeging="A")) == with_a
    assert found(search(client, postcode="1234 AB", huisnummer="12")) == {plain.reference}  # exact
    assert elsewhere.reference not in found(search(client, postcode="1234 AC", huisnummer="12a"))


def test_several_criteria_find_only_signals_that_match_each(client, coordinator, make_signal):
    both = make_signal(None, person=("Jan Jansen", "1980-01-02"), address=("1234 AB", "1"))
    person_only = make_signal(None, person=("Jan Jansen", "1980-01-02"), address=("9999 ZZ", "9"))
    address_only = make_signal(None, person=("Piet Puk", "1975-05-05"), address=("1234 AB", "1"))
    db.session.commit()
    assert found(search(client, naam="jan jansen")) == {both.reference, person_only.reference}
    assert found(search(client, naam="jan jansen", postcode="1234 AB", huisnummer="1")) == {both.reference}
    assert found(search(client, zoeken=address_only.reference, naam="Jan Jansen")) == set()
    assert [e.reason_code for e in searched_events()][-2:] == ["persoon,adres", "kenmerk,persoon"]


def test_results_are_shown_in_the_inbox_table(client, coordinator, make_signal):
    signal = make_signal(None, person=("Jan Jansen", "1980-01-02"), channel="telefoon")
    db.session.commit()
    page = search(client, naam="Jan Jansen").get_data(as_text=True)
    assert "Zoekresultaat" in page and "1 melding gevonden" in page
    assert f'<a class="utrecht-link utrecht-link--html-a" href="/meldingen/{signal.id}">{signal.reference}</a>' in page
    assert "<th class=\"utrecht-table__header-cell\" scope=\"col\">Kanaal</th>" in page and "Telefoon" in page


# --- the insider: collisions, the log, the URL ------------------------------------------------------


def test_a_forced_blind_index_collision_never_shows_another_persons_signal(client, coordinator, make_signal,
                                                                            monkeypatch):
    monkeypatch.setattr(linking, "_index", lambda kind, *parts, **kw: 42)  # every value collides
    own = make_signal(None, person=("Jan Jansen", "1980-01-02"), address=("1234 AB", "1"))
    stranger = make_signal(None, person=("Piet Puk", "1975-05-05"), address=("9999 ZZ", "9"))
    company = make_signal(None, person=None, address=None)
    add_subject(company, "organisatie", name="Bakkerij Puk", kvk="87654321")
    db.session.commit()
    assert own.subjects[0].person_bidx == stranger.subjects[0].person_bidx == 42
    assert own.subjects[0].organisation_bidx == company.subjects[0].organisation_bidx == 42

    assert found(search(client, naam="Jan Jansen")) == {own.reference}
    assert found(search(client, naam="Jan Jansen", geboortedatum="1980-01-02")) == {own.reference}
    assert found(search(client, postcode="1234 AB", huisnummer="1")) == {own.reference}
    assert found(search(client, organisatie="Bakkerij Puk")) == {company.reference}
    assert found(search(client, kvk="87654321")) == {company.reference}
    assert found(search(client, naam="Bakkerij Puk")) == set()  # a company is not a person
    assert found(search(client, naam="Onbekend Persoon")) == set()
    logged = searched_events()[0]
    assert logged.subject_pseudonyms == str(own.subjects[0].id)  # only what was shown


def test_search_values_stay_out_of_the_access_log_the_url_and_the_application_log(
        client, coordinator, make_signal, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")  # statements and their parameters
    signal = make_signal(None, person=("Zoë Kwartelkoning", "1966-07-08"), address=("3511 QX", "77"))
    add_subject(signal, "organisatie", name="Kwartelhandel Oostzaan", kvk="24681357")
    db.session.commit()
    caplog.clear()

    response = search(client, naam="Zoë Kwartelkoning", geboortedatum="1966-07-08",
                      organisatie="Kwartelhandel Oostzaan", kvk="24681357", postcode="3511 QX", huisnummer="77")

    assert found(response) == {signal.reference}
    assert response.request.path == "/meldingen/zoeken" and response.request.query_string == b""
    assert response.request.method == "POST"
    (event,) = searched_events()
    assert event.actor_id == coordinator.id and event.actor_role == "coordinator"
    assert event.purpose == "casustafel" and event.processing_activity == "signaalanalyse"
    assert event.reason_code == "persoon,organisatie,kvk,adres"
    assert set(event.subject_pseudonyms.split(",")) == {str(s.id) for s in signal.subjects} | {
        str(signal.locations[0].id)}
    # Whole values only: four digits like "1966" turn up by chance in the hex of MACs, UUIDs and
    # pseudonyms (a few runs in a hundred), so the date and postcode are checked in every form
    # they could be written in, which hex cannot produce.
    values = ("Kwartelkoning", "kwartelkoning", "1966-07-08", "08-07-1966", "Kwartelhandel", "kwartelhandel",
              "24681357", "3511 QX", "3511QX", "3511qx")
    for ev in db.session.scalars(select(AuditEvent)):
        for column in AuditEvent.__table__.columns:
            text = str(getattr(ev, column.key))
            for value in values:
                assert value not in text, (column.key, value)
    assert any(r.name.startswith("sqlalchemy.engine") for r in caplog.records)  # the capture works
    for value in values:
        assert value not in caplog.text, value
        assert all(value not in repr(r.args) for r in caplog.records), value


@pytest.mark.parametrize("role", [r for r in ROLES if r != "coordinator"])
def test_only_the_coordinator_may_search(client, make_user, login_as, make_signal, role):
    signal = make_signal(None, person=("Jan Jansen", "1980-01-02"))
    db.session.commit()
    login_as(make_user(role))
    token = csrf_from(client.get("/"))
    response = client.post("/meldingen/zoeken", data={"csrf_token": token, "naam": "Jan Jansen",
                                                      "zoeken": signal.reference})
    assert response.status_code == 403
    assert signal.reference not in response.get_data(as_text=True)
    assert searched_events() == []


# --- bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "field_id", "message"), [
    ({"kvk": "1234567"}, "kvk", "Een KvK-nummer heeft 8 cijfers."),
    ({"kvk": "12345678901"}, "kvk", "Een KvK-nummer heeft 8 cijfers."),
    ({"postcode": "12345", "huisnummer": "1"}, "postcode", "Vul een postcode in als 1234 AB."),
    ({"postcode": "0123 AB", "huisnummer": "1"}, "postcode", "Vul een postcode in als 1234 AB."),
    ({"postcode": "1234 AB"}, "postcode", "Vul ook het huisnummer in."),
    ({"postcode": "1234 AB", "huisnummer": "0"}, "huisnummer", "Vul een huisnummer in van 1 tot en met 99999"),
    ({"zoeken": "Jansen"}, "zoeken", "Vul een kenmerk in zoals SIG-2026-0001."),
    ({"geboortedatum": "1980-01-02"}, "geboortedatum", "Vul ook de naam van de persoon in."),
    ({"geboortedatum": "9999-01-01", "naam": "Jan"}, "geboortedatum", "Vul een datum in tussen 1900 en 2100."),
    ({"naam": "x" * 201}, "naam", "Gebruik hooguit 200 tekens."),
    ({}, "zoeken", "Vul een kenmerk in, of een naam, organisatie, KvK-nummer of postcode met huisnummer."),
    ({"zoeken": "   ", "naam": " "}, "zoeken", "Vul een kenmerk in, of een naam"),
])
def test_bad_input_gets_a_message_next_to_the_field_and_keeps_what_was_typed(client, coordinator, fields,
                                                                             field_id, message):
    response = search(client, **fields)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    error = re.search(rf'<div class="[^"]*error-message[^"]*" id="{field_id}-error">(.*?)</div>', page, re.S)
    assert error and message in error.group(1)
    assert f'aria-describedby="{field_id}-' in page
    for name, typed in fields.items():
        if typed.strip() and name != "geboortedatum":
            assert f'name="{name}"' in page and f'value="{typed.strip()}"' in page, name
    assert searched_events() == []  # nothing was searched


def test_an_addition_typed_twice_is_refused(client, coordinator):
    response = search(client, postcode="1234 AB", huisnummer="12a", toevoeging="b")
    assert "Vul de toevoeging maar op één plek in." in response.get_data(as_text=True)
    assert searched_events() == []
