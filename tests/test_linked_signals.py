"""Linked signals in the workspace: found by blind index, confirmed on the decrypted,
normalised value (README “Security design”; docs/security.md "Field encryption": blind index lookups)."""

import html
import re

import pytest
from sqlalchemy import event, select

from casustafel import linking
from casustafel.extensions import db
from casustafel.models import AuditEvent, Subject
from casustafel.signals.linked import find_linked


def plain(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(response.get_data(as_text=True))).split())


def linked_section(client, signal) -> str:
    """The text of the workspace's "Gekoppelde meldingen" section."""
    response = client.get(f"/meldingen/{signal.id}")
    assert response.status_code == 200
    text = plain(response)
    start = text.rindex("Gekoppelde meldingen")  # the heading, after the page's table of contents
    ends = [i for i in (text.find(h, start) for h in ("Wegingen", "Status wijzigen")) if i != -1]
    return text[start:min(ends)]


def add_subject(signal, kind="organisatie", name=None, birth_date=None, kvk=None, address=None) -> Subject:
    subject = Subject(kind=kind, role="eigenaar", position=len(signal.subjects))
    signal.subjects.append(subject)
    subject.name, subject.birth_date, subject.kvk_number = name, birth_date, kvk
    if address:
        subject.postcode, subject.house_number = address
    linking.index_subject(subject)
    db.session.commit()
    return subject


def events(action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).all()


@pytest.fixture
def coordinator(make_user, login_as):
    user = make_user("coordinator")
    login_as(user)
    return user


def test_a_person_links_across_accents_and_case_with_the_same_birth_date(client, coordinator, make_signal):
    first = make_signal(None, person=("Müller", "1970-01-01"), address=None)
    second = make_signal(None, person=("MULLER", "1970-01-01"), address=None)
    make_signal(None, person=("Muller", "1971-01-01"), address=None)  # another birth date: another person

    section = linked_section(client, first)
    assert f"1 andere melding over deze persoon: {second.reference}" in section
    assert section.count("SIG-") == 1
    assert f'href="/meldingen/{second.id}"' in client.get(f"/meldingen/{first.id}").get_data(as_text=True)
    assert first.reference in linked_section(client, second)


def test_an_address_links_across_postcode_spellings_and_counts_the_signals(client, coordinator, make_signal):
    first = make_signal(None, person=None, address=("1234 ab", "12"))
    others = [make_signal(None, person=None, address=("1234AB", "12")) for _ in range(2)]
    others.append(make_signal(None, person=("Piet Puk", "1960-06-06"), address=None))
    add_subject(others[-1], kind="persoon", name="Piet Puk", birth_date="1960-06-06", address=("1234 AB", "12"))
    make_signal(None, person=None, address=("1234 AB", "13"))  # next door
    make_signal(None, person=None, address=("1234 AC", "12"))  # other street

    section = linked_section(client, first)
    assert "3 andere meldingen op dit adres" in section
    assert {o.reference for o in others} == set(re.findall(r"SIG-\d{4}-\d{4}", section))


def test_an_organisation_links_by_name_and_by_kvk_number(client, coordinator, make_signal):
    first = make_signal(None, person=None, address=None)
    add_subject(first, name="Bakkerij Müller B.V.", kvk="12345678")
    same_name = make_signal(None, person=None, address=None)
    add_subject(same_name, name="BAKKERIJ MULLER B.V.", kvk="87654321")
    same_kvk = make_signal(None, person=None, address=None)
    add_subject(same_kvk, name="Broodhuis", kvk="12345678")

    section = linked_section(client, first)
    assert f"1 andere melding over deze organisatie: {same_name.reference}" in section
    assert f"1 andere melding met dit KvK-nummer: {same_kvk.reference}" in section


def test_a_signal_never_links_to_itself(client, coordinator, make_signal):
    lonely = make_signal(None, address=("1234 AB", "1"))
    add_subject(lonely, kind="persoon", name="Jan Jansen", birth_date="1980-01-02", address=("1234 AB", "1"))
    assert find_linked(lonely) == {}
    assert "Geen andere meldingen over deze betrokkenen of adressen gevonden." in plain(
        client.get(f"/meldingen/{lonely.id}"))


def test_a_blind_index_collision_never_links_different_people(client, coordinator, make_signal, monkeypatch):
    monkeypatch.setattr(linking, "_index", lambda name, *parts, **kw: 42)  # every value collides
    first = make_signal(None, person=("Jan Jansen", "1980-01-02"), address=("1234 AB", "1"))
    add_subject(first, name="Jansen Holding", kvk="11111111")
    stranger = make_signal(None, person=("Piet Puk", "1975-05-05"), address=("9999 ZZ", "9"))
    add_subject(stranger, name="Puk Beheer", kvk="22222222")
    assert first.subjects[0].person_bidx == stranger.subjects[0].person_bidx == 42
    assert first.locations[0].address_bidx == stranger.locations[0].address_bidx == 42

    assert find_linked(first) == {}
    assert stranger.reference not in linked_section(client, first)
    assert not events("signal.linked_viewed")

    namesake = make_signal(None, person=("jan  jansen", "1980-01-02"), address=None)  # the same person
    assert [link.signals for link in find_linked(first)[first.subjects[0].id]] == [[namesake]]


def test_the_lookup_takes_one_query_per_index_kind_however_many_rows(app, make_signal):
    def selects_for(signal):
        statements = []

        def count(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        db.session.expire_all()
        signal = db.session.get(type(signal), signal.id)
        signal.subjects, signal.locations  # noqa: B018 - load the signal's own rows first
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            linked = find_linked(signal)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements), linked

    small = make_signal(None, person=("Anna de Wit", "1990-01-01"), address=("1234 AB", "1"))
    few, _ = selects_for(small)
    big = make_signal(None, person=("Anna de Wit", "1990-01-01"), address=("1234 AB", "1"))
    for n in range(5):
        add_subject(big, kind="persoon", name=f"Persoon {n}", birth_date="1990-01-01", address=("1234 AB", "1"))
        add_subject(big, name=f"Bedrijf {n}", kvk=f"1234567{n}", address=("1234 AB", "1"))
    for _ in range(5):
        make_signal(None, person=("Anna de Wit", "1990-01-01"), address=("1234 AB", "1"))

    many, linked = selects_for(big)
    assert many <= 6  # person, organisation, kvk, address on subjects and on locations; the width once
    assert few <= many
    assert len(linked[big.subjects[0].id][0].signals) == 6


def test_viewing_linked_signals_is_logged_per_signal_with_the_matched_subjects(client, coordinator, make_signal):
    first = make_signal(None, person=("Jan Jansen", "1980-01-02"), address=("1234 AB", "1"))
    same_person = make_signal(None, person=("Jan Jansen", "1980-01-02"), address=None)
    same_address = make_signal(None, person=None, address=("1234 AB", "1"))

    client.get(f"/meldingen/{first.id}")

    logged = {e.object_id: e for e in events("signal.linked_viewed")}
    assert set(logged) == {str(same_person.id), str(same_address.id)}
    assert logged[str(same_person.id)].subject_pseudonyms == str(same_person.subjects[0].id)
    assert logged[str(same_address.id)].subject_pseudonyms is None  # found through its address only
    assert {e.actor_id for e in logged.values()} == {coordinator.id}
    (viewed,) = events("signal.viewed")
    assert viewed.object_id == str(first.id)
