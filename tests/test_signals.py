"""The meldpunt: the form, validation, attachments, Mijn meldingen, the coordinator's side.

docs/security.md "Input, output, headers" and "Proving it", README “The meldpunt” (what a signal holds) and
§8 (feedback to the reporter). The canary and database-dump tests are in
test_signals_privacy.py.
"""

import html
import io
import itertools
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta

import pytest
from flask_migrate import upgrade
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from casustafel import create_app, linking
from casustafel.audit_log import record, verify_chain
from casustafel.extensions import db
from casustafel.forms import NUL_MESSAGE
from casustafel.models import (
    Attachment,
    AuditEvent,
    Indicator,
    InformationRequest,
    Location,
    Notification,
    ReferenceCounter,
    Signal,
    Subject,
)
from casustafel.models.base import keyring
from casustafel.signals.services import next_reference, reference_number
from config import TestConfig
from tests.conftest import TODAY, csrf_from, login
from tests.helpers.queries import statements_of
from tests.helpers.signals import (
    PDF,
    all_signals,
    assert_nothing_saved,
    blank_subject,
    events,
    field_error,
    logged_in,
    organisation,
    page,
    pdf,
    person,
    phenomenon_id,
    rows,
    signal_form,
    stored_files,
    submit,
)

# Tests using these run on TODAY (the pinned_day fixture), so the app's year and "today" agree.
YEAR = TODAY.year
TOMORROW = (TODAY + timedelta(days=1)).isoformat()
PINNED_DAY = pytest.mark.usefixtures("pinned_day")
SCRIPT = '<script>alert("xss")</script>'
ATTRIBUTE_BREAK = '"><img src=x onerror=alert(1)>'
FILENAME_XSS = "<img src=x onerror=alert(2)>.pdf"  # no quote or slash: a browser would send those escaped
SUBJECT_FIELDS = ("kind", "role", "name", "birth_date", "kvk_number", "street", "house_number",
                  "house_number_addition", "postcode", "city")
ADDRESS_FIELDS = ("street", "house_number", "house_number_addition", "postcode", "city")


# Building form posts ----------------------------------------------------------------------




def indicator_ids(group: str) -> list[int]:
    return list(db.session.scalars(select(Indicator.id).where(Indicator.group == group, Indicator.active.is_(True))
                                   .order_by(Indicator.id)))










def location(index=0, **address) -> dict:
    address = {"street": "Havenkade", "house_number": "3", "postcode": "3511 AB", "city": "Utrecht"} | address
    return rows("locations", index, **address)








# Reading pages and the database -----------------------------------------------------------






def control(text: str, field_id: str) -> str:
    match = re.search(rf'<(?:input|select|textarea)\b[^>]*\bid="{re.escape(field_id)}"[^>]*>', text)
    assert match, f"no control with id {field_id}"
    return match.group(0)


def value_of(text: str, field_id: str) -> str:
    """What a re-rendered form shows in a text input, textarea or select."""
    tag = control(text, field_id)
    if tag.startswith("<textarea"):
        content = re.search(rf'id="{re.escape(field_id)}"[^>]*>(.*?)</textarea>', text, re.DOTALL).group(1)
        return html.unescape(content).removeprefix("\n").removeprefix("\r\n")
    if tag.startswith("<select"):
        block = re.search(rf'<select\b[^>]*\bid="{re.escape(field_id)}".*?</select>', text, re.DOTALL).group(0)
        selected = re.search(r'<option selected value="([^"]*)"', block)
        return html.unescape(selected.group(1)) if selected else ""
    match = re.search(r'\bvalue="([^"]*)"', tag)
    return html.unescape(match.group(1)) if match else ""


def is_checked(text: str, field_id: str) -> bool:
    match = re.search(rf'<input\b[^>]*\bid="{re.escape(field_id)}"[^>]*>', text, re.DOTALL)
    assert match, f"no checkbox with id {field_id}"
    return re.search(r"\bchecked\b", match.group(0)) is not None














@pytest.fixture
def small_attachments(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_ATTACHMENT_SIZE", 1000)
    return 1000




@pytest.fixture
def reporter(make_user, login_as):
    user = make_user("reporter", name="Mila Melder")
    login_as(user)
    return user


# The form ----------------------------------------------------------------------------------


def test_the_form_offers_every_part_of_a_signal_in_dutch(client, reporter):
    text = page(client.get("/meldpunt"))

    assert "Bij acuut gevaar: bel 112." in text
    assert '<optgroup label="Drugs">' in text  # phenomenon in two levels
    assert f'<option value="{phenomenon_id("Hennepteelt")}">Hennepteelt</option>' in text
    assert '<optgroup label="Mensenhandel">' in text
    assert "Lokale verankering" in text and "Signalering (rode vlaggen)" in text
    for indicator in indicator_ids("lokale_verankering") + indicator_ids("signalering"):
        assert f'value="{indicator}"' in text
    for name in ("indicator_explanation", "description", "observed_from", "observed_until", "urgent",
                 "reporter_phone"):
        assert f'name="{name}"' in text
    # The checkbox "anoniem voor deelnemers" is gone: members never see the reporter, so it
    # promised nothing; the form says instead who sees the reporter's name.
    assert 'name="reporter_unnamed"' not in text
    assert "Alleen de regisseur ondermijning ziet wie de melding deed" in text
    for name in SUBJECT_FIELDS:
        assert f'name="subjects-0-{name}"' in text
    for name in ADDRESS_FIELDS:
        assert f'name="locations-0-{name}"' in text
    assert re.search(r"\bmultiple\b", control(text, "attachments"))
    assert 'enctype="multipart/form-data"' in text
    for value in ("betrokkene:toevoegen", "adres:toevoegen"):
        assert f'name="rij" value="{value}"' in text
    for role in ("vermoedelijk_betrokkene", "eigenaar", "huurder", "bestuurder", "mogelijk_slachtoffer"):
        assert f'value="{role}"' in text
    for kind in ("persoon", "organisatie"):
        assert f'value="{kind}"' in text
    names = re.findall(r'name="([^"]+)"', text)
    for name in names:  # README “The meldpunt”: never fields for protected characteristics
        assert not re.search(r"nationalit|ethni|etni|relig|geloof|afkomst", name, re.IGNORECASE), name


@PINNED_DAY
def test_a_complete_signal_is_stored_with_everything_typed(app, client, reporter, store):
    local, flags = indicator_ids("lokale_verankering"), indicator_ids("signalering")
    data = signal_form(
        description="Elke nacht busjes bij de loods.",
        indicators_local=[str(local[0])],
        indicators_signal=[str(flags[0]), str(flags[2])],
        indicator_explanation="Sinds de zomer.",
        observed_from="2024-06-01",
        observed_until="2024-06-30",
        urgent="y",
        reporter_phone="06 12345678",
        **person(0, role="huurder", house_number_addition="a"),
        **organisation(1),
        **location(0),
        **location(1, street="", house_number="9", postcode="1012AB", city="Amsterdam"),
    )
    response = submit(client, data, files=[pdf("verslag.pdf"), (io.BytesIO(b"Notitie\n"), "notitie.txt")])

    assert response.status_code == 302
    (signal,) = all_signals()
    assert response.headers["Location"] == f"/mijn-meldingen/{signal.id}/bevestiging"
    assert re.fullmatch(rf"SIG-{YEAR}-\d{{4}}", signal.reference)
    assert (signal.channel, signal.status, signal.urgent) == ("meldpunt", "ingediend", True)
    assert signal.phenomenon.name == "Hennepteelt" and signal.phenomenon.parent.name == "Drugs"
    assert {i.id for i in signal.indicators} == {local[0], flags[0], flags[2]}
    assert signal.description == "Elke nacht busjes bij de loods."
    assert signal.indicator_explanation == "Sinds de zomer."
    assert (signal.observed_from, signal.observed_until) == (date(2024, 6, 1), date(2024, 6, 30))
    assert signal.reporter_phone == "06 12345678"
    assert signal.reporter_id == reporter.id and signal.registered_by_id == reporter.id

    first, second = signal.subjects
    assert (first.kind, first.role, first.name, first.birth_date) == (
        "persoon", "huurder", "Jan de Vries", "1980-05-17")
    assert (first.street, first.house_number, first.house_number_addition, first.postcode, first.city) == (
        "Dorpsstraat", "12", "a", "1234 AB", "Utrecht")
    assert first.kvk_number is None
    assert (second.kind, second.role, second.name, second.kvk_number) == (
        "organisatie", "eigenaar", "Bakkerij De Korenschoof", "12345678")
    assert second.birth_date is None
    assert [(loc.postcode, loc.house_number, loc.city) for loc in signal.locations] == [
        ("3511 AB", "3", "Utrecht"), ("1012AB", "9", "Amsterdam")]

    assert sorted(a.filename for a in signal.attachments) == ["notitie.txt", "verslag.pdf"]
    by_name = {a.filename: a for a in signal.attachments}
    assert by_name["verslag.pdf"].content_type == "application/pdf"
    assert by_name["notitie.txt"].content_type == "text/plain"
    assert by_name["verslag.pdf"].size == len(PDF)
    stored = store.path(by_name["verslag.pdf"].id).read_bytes()
    assert b"%PDF" not in stored and b"Catalog" not in stored  # encrypted on disk
    assert b"".join(store.open(by_name["verslag.pdf"].id, by_name["verslag.pdf"].wrapped_key, keyring())) == PDF
    assert store.verify(by_name["verslag.pdf"].id, by_name["verslag.pdf"].digest)

    assert [(e.from_status, e.to_status) for e in signal.events] == [(None, "ingediend")]
    assert [f.message for f in signal.feedback] == ["Uw melding is ontvangen."]

    confirmation = client.get(response.headers["Location"])
    assert confirmation.status_code == 200
    assert signal.reference in page(confirmation)
    assert "Bij acuut gevaar: bel 112." in page(confirmation)
    assert "Elke nacht busjes" not in page(confirmation)


def test_blank_subject_and_location_rows_are_skipped(client, reporter):
    response = submit(client, signal_form(**blank_subject(0), **rows("locations", 0, street="", city="")))

    assert response.status_code == 302
    (signal,) = all_signals()
    assert signal.subjects == [] and signal.locations == [] and signal.attachments == []


@PINNED_DAY
def test_references_are_the_years_permuted_count_and_unique(app, client, reporter):
    for _ in range(3):
        assert submit(client, signal_form()).status_code == 302

    key = db.session.get(ReferenceCounter, YEAR).permutation_key
    expected = [f"SIG-{YEAR}-{reference_number(n, key):04d}" for n in (1, 2, 3)]
    assert sorted(s.reference for s in all_signals()) == sorted(expected)
    next_year = next_reference(YEAR + 1)
    next_key = db.session.get(ReferenceCounter, YEAR + 1).permutation_key
    assert next_key != key and next_year == f"SIG-{YEAR + 1}-{reference_number(1, next_key):04d}"
    assert next_reference(YEAR) == f"SIG-{YEAR}-{reference_number(4, key):04d}"
    db.session.rollback()


def test_a_reference_number_does_not_show_the_order_in_which_signals_came_in():
    key = b"vaste testsleutel voor kenmerken"
    numbers = [reference_number(n, key) for n in range(1, 201)]
    assert len(set(numbers)) == 200 and all(1 <= n <= 9999 for n in numbers)
    assert numbers != sorted(numbers)
    rising = sum(b > a for a, b in itertools.pairwise(numbers))
    assert 60 < rising < 140  # about half the steps go up, as for a random order
    assert sorted(reference_number(n, key) for n in range(1, 10000)) == list(range(1, 10000))  # all used once
    assert reference_number(10000, key) >= 10000  # then five digits
    assert reference_number(7, None) == 7  # a year begun with counting references keeps counting


@PINNED_DAY
def test_a_reporter_cannot_choose_channel_status_or_reporter(client, reporter, make_user):
    other = make_user("reporter")
    response = submit(client, signal_form(channel="politie", status="afgesloten", reporter_id=str(other.id),
                                          reference="SIG-1999-0001"))

    assert response.status_code == 302
    (signal,) = all_signals()
    assert (signal.channel, signal.status, signal.reporter_id) == ("meldpunt", "ingediend", reporter.id)
    assert signal.reference.startswith(f"SIG-{YEAR}-")


# Adding and removing rows ------------------------------------------------------------------


def test_adding_a_subject_keeps_what_was_typed(client, reporter):
    data = signal_form(description="Nog niet af", **person(0, name="Anna Bakker"), **location(0, city="Zeist"))
    response = submit(client, {**data, "rij": "betrokkene:toevoegen"})

    assert response.status_code == 200
    text = page(response)
    assert 'id="betrokkene-2"' in text and 'id="betrokkene-3"' not in text
    assert value_of(text, "subjects-0-name") == "Anna Bakker"
    assert value_of(text, "subjects-0-birth_date") == "1980-05-17"
    assert value_of(text, "subjects-0-postcode") == "1234 AB"
    assert value_of(text, "subjects-1-name") == ""
    assert value_of(text, "locations-0-city") == "Zeist"
    assert value_of(text, "description") == "Nog niet af"
    assert "Controleer het formulier" not in text  # no validation on a row button
    assert 'name="rij" value="betrokkene:verwijderen-1"' in text
    assert_nothing_saved()


def test_removing_a_subject_keeps_the_other_rows(client, reporter):
    data = signal_form(
        **person(0, name="Eerste Persoon"),
        **organisation(1, name="Tweede BV"),
        **person(2, name="Derde Persoon", birth_date="1990-01-02", role="mogelijk_slachtoffer"),
    )
    text = page(submit(client, {**data, "rij": "betrokkene:verwijderen-1"}))

    assert 'id="betrokkene-2"' in text and 'id="betrokkene-3"' not in text
    assert value_of(text, "subjects-0-name") == "Eerste Persoon"
    assert value_of(text, "subjects-1-name") == "Derde Persoon"
    assert value_of(text, "subjects-1-birth_date") == "1990-01-02"
    assert value_of(text, "subjects-1-role") == "mogelijk_slachtoffer"
    assert "Tweede BV" not in text
    assert_nothing_saved()


def test_adding_and_removing_addresses(client, reporter):
    data = signal_form(**location(0, city="Zeist"))
    text = page(submit(client, {**data, "rij": "adres:toevoegen"}))
    assert 'id="adres-2"' in text
    assert value_of(text, "locations-0-city") == "Zeist"

    data = signal_form(**location(0, city="Zeist"), **location(1, city="Houten", postcode="3991 AA"))
    text = page(submit(client, {**data, "rij": "adres:verwijderen-0"}))
    assert 'id="adres-2"' not in text
    assert value_of(text, "locations-0-city") == "Houten"
    assert value_of(text, "locations-0-postcode") == "3991 AA"
    assert_nothing_saved()


def test_the_last_row_cannot_be_removed_and_odd_row_buttons_are_harmless(client, reporter):
    text = page(submit(client, {**signal_form(**person(0)), "rij": "betrokkene:verwijderen-0"}))
    assert 'id="betrokkene-1"' in text
    assert value_of(text, "subjects-0-name") == "Jan de Vries"

    for odd in ("betrokkene:verwijderen-7", "betrokkene:verwijderen-x", "adres:iets", "betrokkene:"):
        response = submit(client, {**signal_form(), "rij": odd})
        assert response.status_code == 200, odd
    assert_nothing_saved()


def test_rows_stop_at_the_maximum(client, reporter):
    from casustafel.signals.forms import MAX_ROWS

    data = signal_form()
    for index in range(MAX_ROWS):
        data.update(blank_subject(index))
    text = page(submit(client, {**data, "rij": "betrokkene:toevoegen"}))

    assert f'id="betrokkene-{MAX_ROWS}"' in text
    assert f'id="betrokkene-{MAX_ROWS + 1}"' not in text


def test_removing_a_row_keeps_input_that_did_not_parse(client, reporter):
    data = signal_form(**person(0, name="Weg"), **person(1, name="Blijft", house_number="12a"))
    text = page(submit(client, {**data, "rij": "betrokkene:verwijderen-0"}))

    assert value_of(text, "subjects-0-name") == "Blijft"
    assert value_of(text, "subjects-0-house_number") == "12a"


def test_a_tampered_row_button_does_not_answer_500(app, client, reporter, monkeypatch):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # answer 500 instead of raising

    response = submit(client, {**signal_form(**person(0), **person(1)), "rij": "betrokkene:verwijderen-²"})

    assert response.status_code == 200


@pytest.mark.parametrize("number", ["²", "٣", "9" * 5000])
def test_a_tampered_row_number_in_a_field_name_is_no_row_and_no_500(app, client, reporter, monkeypatch, number):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # answer 500 instead of raising

    response = submit(client, signal_form(**person(0), **{f"subjects-{number}-name": "Geen rij"}))

    assert response.status_code == 302
    (signal,) = all_signals()
    assert [s.name for s in signal.subjects] == ["Jan de Vries"]


@pytest.mark.parametrize(("button", "extra"), [
    ("betrokkene:verwijderen-" + "9" * 5000, {}),
    ("adres:verwijderen-١", {}),
    ("betrokkene:verwijderen-0", {"subjects-" + "9" * 5000 + "-name": "Geen rij"}),
])
def test_a_row_button_with_a_tampered_row_number_answers_the_form_not_500(
    app, client, reporter, monkeypatch, button, extra
):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # answer 500 instead of raising

    response = submit(client, {**signal_form(**person(0), **person(1, name="Tweede")), **extra, "rij": button})

    assert response.status_code == 200
    assert value_of(page(response), "subjects-0-name") in ("Jan de Vries", "Tweede")
    assert_nothing_saved()


# Validation ---------------------------------------------------------------------------------


INVALID = [
    # (field id, fields to post, Dutch message shown next to the field)
    ("phenomenon_id", {"phenomenon_id": ""}, "Kies het fenomeen dat het best past."),
    ("phenomenon_id", {"phenomenon_id": "1"}, ""),  # a parent that has sub-phenomena is not a choice
    ("description", {"description": "   "}, "Beschrijf wat u heeft gezien of gehoord."),
    ("description", {"description": "x" * 10001}, "Gebruik hooguit 10.000 tekens."),
    ("indicator_explanation", {"indicator_explanation": "x" * 5001}, "Gebruik hooguit 5000 tekens."),
    ("observed_from", {"observed_from": TOMORROW}, "Deze datum ligt in de toekomst."),
    ("observed_until", {"observed_until": TOMORROW}, "Deze datum ligt in de toekomst."),
    ("observed_until", {"observed_from": "2024-05-02", "observed_until": "2024-05-01"},
     "De einddatum ligt vóór de begindatum."),
    ("observed_from", {"observed_from": "31-02-2024"}, ""),
    ("reporter_phone", {"reporter_phone": "bel me"}, "Vul een telefoonnummer in, bijvoorbeeld 06 12345678."),
    ("subjects-0-postcode", person(0, postcode="1234"), "Vul een postcode in als 1234 AB."),
    ("subjects-0-postcode", person(0, postcode="0123 AB"), "Vul een postcode in als 1234 AB."),
    ("subjects-0-postcode", person(0, postcode="1234 SS"), "Vul een postcode in als 1234 AB."),
    ("subjects-0-house_number", person(0, house_number="0"), "Vul een huisnummer in van 1 tot en met 99999."),
    ("subjects-0-house_number", person(0, house_number="100000"), "Vul een huisnummer in van 1 tot en met 99999."),
    ("subjects-0-house_number", person(0, house_number="12/2"), ""),
    ("subjects-0-house_number_addition", person(0, house_number_addition="1234567"), "Gebruik hooguit 6 tekens."),
    ("subjects-0-house_number_addition", person(0, house_number_addition="a/b"), "Gebruik alleen letters en cijfers."),
    ("subjects-0-birth_date", person(0, birth_date=TOMORROW), "Deze datum ligt in de toekomst."),
    ("subjects-0-birth_date", person(0, birth_date="1899-12-31"), "Vul een geboortedatum na 1900 in."),
    ("subjects-0-birth_date", organisation(0, birth_date="1980-01-01"), "Een organisatie heeft geen geboortedatum."),
    ("subjects-0-kvk_number", organisation(0, kvk_number="1234567"), "Een KvK-nummer heeft 8 cijfers."),
    ("subjects-0-kvk_number", organisation(0, kvk_number="123456789"), "Een KvK-nummer heeft 8 cijfers."),
    ("subjects-0-kvk_number", person(0, kvk_number="12345678"), "Een KvK-nummer hoort bij een organisatie."),
    ("subjects-0-name", person(0, name="x" * 201), ""),
    ("subjects-0-street", person(0, street="x" * 121), ""),
    ("subjects-0-city", person(0, city="x" * 81), ""),
    ("subjects-0-role", person(0, role="verdachte"), ""),
    ("subjects-0-kind", person(0, kind="dier"), ""),
    ("locations-0-postcode", location(0, postcode="AB 1234"), "Vul een postcode in als 1234 AB."),
    ("locations-0-house_number", location(0, house_number="-3"), "Vul een huisnummer in van 1 tot en met 99999."),
    ("locations-0-city", location(0, city="x" * 81), ""),
]


NOT_A_CHOICE = {("phenomenon_id", "1"), ("subjects-0-role", "verdachte"), ("subjects-0-kind", "dier")}


@PINNED_DAY
@pytest.mark.parametrize(("field_id", "fields", "message"), INVALID, ids=[f"{f}-{i}" for i, (f, _, _) in
                                                                          enumerate(INVALID)])
def test_a_wrong_value_gets_a_dutch_message_next_to_its_field_and_nothing_is_saved(
    client, reporter, store, field_id, fields, message
):
    data = signal_form(**fields)
    response = submit(client, data, files=[pdf("foto-van-de-loods.pdf")])

    assert response.status_code == 200
    text = page(response)
    error = field_error(text, field_id)
    assert error, f"no message next to {field_id}"
    assert error.startswith("Fout:")  # announced as an error to screen readers
    assert message in error
    assert re.search(r"[a-z]", error.removeprefix("Fout:")), error
    assert not re.search(r"\b(not|valid|field|required|invalid|choice)\b", error, re.IGNORECASE), error  # Dutch
    tag = control(text, field_id)
    assert 'aria-invalid="true"' in tag
    assert f"{field_id}-error" in re.search(r'aria-describedby="([^"]*)"', tag).group(1)
    assert f'href="#{field_id}"' in text  # the error summary links to the field
    assert "Controleer het formulier" in text
    for name, value in fields.items():
        if (name, value) not in NOT_A_CHOICE:  # a select cannot show a value that is not among its options
            assert value_of(text, name) == value.strip(), f"{name} not kept"
    assert "foto-van-de-loods.pdf" in re.search(r"Voeg uw bijlagen opnieuw toe.*?</p>", text, re.DOTALL).group(0)
    assert_nothing_saved(store)
    assert events("signal.submit_refused")[-1].result == "failed"


@PINNED_DAY
def test_everything_typed_is_kept_on_error_including_repeated_rows(client, reporter, store):
    local, flags = indicator_ids("lokale_verankering"), indicator_ids("signalering")
    data = signal_form(
        phenomenon_id=str(phenomenon_id("Arbeidsuitbuiting")),
        description="Regel een\nRegel twee",
        indicators_local=[str(local[1])],
        indicators_signal=[str(flags[3])],
        indicator_explanation="Toelichting",
        observed_from="2024-03-01",
        observed_until=TOMORROW,  # the error
        urgent="y",
        reporter_phone="030 1234567",
        **person(0, name="Kees Kraan", house_number_addition="bis"),
        **organisation(1, name="Schoonmaak & Co", kvk_number="87654321"),
        **person(2, name="Lies Lamp", birth_date="1975-12-24", role="mogelijk_slachtoffer", postcode="9999 ZZ"),
        **location(0, street="Kade", house_number="1", postcode="3512 JK", city="Utrecht"),
        **location(1, street="Laan", house_number="99999", house_number_addition="a-1", postcode="9711AB",
                   city="Groningen"),
    )
    response = submit(client, data, files=[pdf("eerste.pdf"), (io.BytesIO(b"%PDF-1.7\n"), "tweede.pdf")])

    text = page(response)
    assert "Deze datum ligt in de toekomst." in field_error(text, "observed_until")
    for name, value in data.items():
        if isinstance(value, list):
            group = name
            for index, choice in enumerate(indicator_ids("lokale_verankering" if group == "indicators_local"
                                                         else "signalering")):
                assert is_checked(text, f"{group}-{index}") == (str(choice) in value), f"{group}-{index}"
        elif name == "urgent":
            assert is_checked(text, name), name
        else:
            expected = value.upper() if name.endswith("postcode") else value
            assert value_of(text, name) == expected, f"{name} not kept"
    assert 'id="betrokkene-3"' in text and 'id="adres-2"' in text
    summary = re.search(r"Voeg uw bijlagen opnieuw toe.*?</p>", text, re.DOTALL).group(0)
    assert "eerste.pdf" in summary and "tweede.pdf" in summary
    assert_nothing_saved(store)


@pytest.mark.parametrize(
    ("field_id", "fields", "message"),
    [
        ("subjects-0-name", rows("subjects", 0, kind="persoon", role="eigenaar", street="Dorpsstraat",
                                 house_number="1", postcode="1234 AB"), "Vul de naam in."),
        ("subjects-0-house_number", person(0, house_number=""), "Vul ook het huisnummer in."),
        ("locations-0-postcode", location(0, postcode=""), "Vul de postcode in."),
        ("locations-0-house_number", location(0, house_number=""), "Vul ook het huisnummer in."),
    ],
    ids=["name-of-a-filled-subject", "house-number-with-postcode", "postcode-of-a-location",
         "house-number-of-a-location"],
)
def test_a_half_filled_row_is_explained_not_stored(client, reporter, field_id, fields, message):
    response = submit(client, signal_form(**fields))

    assert response.status_code == 200, "stored without the required part"
    assert message in (field_error(page(response), field_id) or "")
    assert_nothing_saved()


def test_a_house_number_that_is_not_a_number_gets_one_clear_message(client, reporter):
    response = submit(client, signal_form(**person(0, house_number="twaalf")))

    error = field_error(page(response), "subjects-0-house_number")
    assert error.count("Fout:") == 1, error
    assert "Vul een huisnummer in van 1 tot en met 99999." in error


def test_a_kvk_number_takes_ascii_digits_only(client, reporter):
    response = submit(client, signal_form(**organisation(0, kvk_number="١٢٣٤٥٦٧٨")))

    assert response.status_code == 200
    assert "Een KvK-nummer heeft 8 cijfers." in field_error(page(response), "subjects-0-kvk_number")


def test_postcode_and_kvk_are_accepted_in_the_usual_spellings(client, reporter):
    data = signal_form(
        **person(0, postcode=" 1234ab "),
        **organisation(1, kvk_number=" 01234567 ", postcode="3511  aa"),
        **location(0, postcode="9999 zz", house_number="99999", house_number_addition="A-1"),
    )
    assert submit(client, data).status_code == 302

    (signal,) = all_signals()
    assert [s.postcode for s in signal.subjects] == ["1234AB", "3511 AA"]
    assert signal.subjects[1].kvk_number == "01234567"
    assert (signal.locations[0].postcode, signal.locations[0].house_number) == ("9999 ZZ", "99999")


def test_a_bad_csrf_token_saves_nothing(client, reporter):
    response = client.post("/meldpunt", data={**signal_form(), "csrf_token": "vals"},
                           content_type="multipart/form-data")

    assert response.status_code in (200, 400)
    assert_nothing_saved()


# Attachments --------------------------------------------------------------------------------


def test_a_file_one_byte_over_the_limit_gets_a_field_message(client, reporter, store, small_attachments):
    over = PDF + b"x" * (small_attachments + 1 - len(PDF))
    response = submit(client, signal_form(description="Met te grote bijlage"),
                      files=[pdf("groot.pdf", over), pdf("klein.pdf")])

    assert response.status_code == 200
    error = field_error(page(response), "attachments")
    assert "‘groot.pdf’ is groter dan" in error
    assert "klein.pdf" not in error
    assert value_of(page(response), "description") == "Met te grote bijlage"
    assert "groot.pdf" in page(response) and "klein.pdf" in page(response)  # asked for again
    assert_nothing_saved(store)


def test_a_file_of_exactly_the_limit_is_accepted(client, reporter, store, small_attachments):
    exact = PDF + b"x" * (small_attachments - len(PDF))
    response = submit(client, signal_form(), files=[pdf("precies.pdf", exact)])

    assert response.status_code == 302
    (attachment,) = db.session.scalars(select(Attachment)).all()
    assert attachment.size == small_attachments
    assert len(stored_files(store)) == 1


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("rapport.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("rapport.pdf", b"<html><body>x</body></html>"),
        ("foto.png", b"%PDF-1.4\nnot a png"),
        ("pagina.html", b"<html></html>"),
        ("plaatje.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>'),
        ("notitie.txt", b"<script>alert(1)</script>"),
        ("setup.exe", b"MZ\x90\x00"),
        ("script.txt", b"#!/bin/sh\nrm -rf /\n"),
        ("zonder-extensie", PDF),
    ],
)
def test_a_file_of_a_refused_type_gets_a_field_message(client, reporter, store, filename, content):
    response = submit(client, signal_form(description="Bijlage geweigerd"), files=[(io.BytesIO(content), filename)])

    assert response.status_code == 200
    error = field_error(page(response), "attachments")
    assert f"‘{filename}’ kan niet worden toegevoegd." in html.unescape(error)
    assert "Toegestaan zijn pdf" in error
    assert_nothing_saved(store)


def test_an_empty_file_gets_a_field_message(client, reporter, store):
    response = submit(client, signal_form(), files=[(io.BytesIO(b""), "leeg.pdf")])

    assert "‘leeg.pdf’ is leeg." in field_error(page(response), "attachments")
    assert_nothing_saved(store)


def test_a_failure_while_storing_leaves_no_signal_and_no_files(app, client, reporter, store, make_user, monkeypatch):
    from casustafel.signals import services

    def broken_notify(*args, **kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(services, "notify", broken_notify)
    make_user("coordinator")
    with pytest.raises(RuntimeError, match="outbox down"):
        submit(client, signal_form(**person(0)), files=[pdf("een.pdf"), pdf("twee.pdf")])

    assert_nothing_saved(store)


def test_a_disk_error_on_the_second_file_removes_the_first(app, client, reporter, store, monkeypatch):
    calls = []
    original = store.save

    def save(file_id, source, ring):
        calls.append(file_id)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return original(file_id, source, ring)

    monkeypatch.setattr(store, "save", save)
    response = submit(client, signal_form(), files=[pdf("een.pdf"), pdf("twee.pdf")])

    assert response.status_code == 503  # disk full: a field message, see tests/test_faults.py
    assert "geen opslagruimte" in field_error(page(response), "attachments")
    assert len(calls) == 2
    assert_nothing_saved(store)


def test_the_coordinator_downloads_an_attachment_and_it_is_logged(app, client, reporter, store, make_user):
    content = PDF + b"inhoud-van-de-bijlage"
    submit(client, signal_form(), files=[pdf("Verslag <bezoek> é.pdf", content)])
    (signal,) = all_signals()
    (attachment,) = signal.attachments
    url = f"/meldingen/{signal.id}/bijlagen/{attachment.id}"

    assert client.get(url).status_code == 403  # the reporter: only through the coordinator
    assert events("access.denied")[-1].result == "denied"

    coordinator = make_user("coordinator")
    as_coordinator = logged_in(app, coordinator)
    detail = page(as_coordinator.get(f"/meldingen/{signal.id}"))
    assert f'href="{url}"' in detail
    assert "Verslag &lt;bezoek&gt; é.pdf" in detail

    response = as_coordinator.get(url)
    assert response.status_code == 200
    assert response.data == content
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "<" not in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    (download,) = events("attachment.downloaded")
    assert (download.actor_id, download.object_type, download.object_id) == (
        coordinator.id, "attachment", str(attachment.id))
    assert download.result == "success"


def test_attachments_are_stored_outside_the_static_folder(app):
    from pathlib import Path

    store_root = Path(app.extensions["casustafel_store"].root).resolve()
    assert not store_root.is_relative_to(Path(app.static_folder).resolve())
    assert not Path(app.config["UPLOAD_TMP_DIR"]).resolve().is_relative_to(Path(app.static_folder).resolve())


def test_an_attachment_is_only_found_under_its_own_signal(client, make_user, login_as, make_signal, store):
    reporter = make_user("reporter")
    with_file = make_signal(reporter, attachment=PDF)
    other = make_signal(reporter)
    attachment = with_file.attachments[0]
    login_as(make_user("coordinator"))

    for url in (
        f"/meldingen/{other.id}/bijlagen/{attachment.id}",
        f"/meldingen/{with_file.id}/bijlagen/{uuid.uuid4()}",
        f"/meldingen/{uuid.uuid4()}/bijlagen/{attachment.id}",
    ):
        assert client.get(url).status_code == 404, url
    denials = events("access.denied")
    assert len(denials) == 3 and {d.result for d in denials} == {"denied"}
    assert not events("attachment.downloaded")


# Access log and notifications --------------------------------------------------------------


def test_a_submission_is_logged_without_content(client, reporter, store):
    submit(client, signal_form(**person(0), **organisation(1)), files=[pdf("a.pdf"), pdf("b.pdf")])
    (signal,) = all_signals()

    (created,) = events("signal.created")
    assert (created.actor_id, created.object_type, created.object_id, created.result) == (
        reporter.id, "signal", str(signal.id), "success")
    assert created.subject_pseudonyms.split(",") == [str(s.id) for s in signal.subjects]
    uploaded = events("attachment.uploaded")
    assert sorted(e.object_id for e in uploaded) == sorted(str(a.id) for a in signal.attachments)
    status = verify_chain(keyring())
    assert status.ok, status.message
    for event in events("signal.created") + uploaded:
        for column in AuditEvent.__table__.columns:
            value = str(getattr(event, column.key))
            for typed in ("Jan de Vries", "Afgeplakte", "a.pdf", "Korenschoof", "1234 AB", "Dorpsstraat"):
                assert typed not in value, f"{typed} in audit_event.{column.key}"


def test_every_active_coordinator_gets_a_notification_without_content(client, reporter, make_user):
    first, second = make_user("coordinator"), make_user("coordinator", "member")
    make_user("coordinator", active=False)
    make_user("member")
    make_user("admin")
    typed = {
        "description": "Verdachte handel in de Zonnebloemstraat",
        "indicator_explanation": "Geurhinder rapportage",
        "reporter_phone": "0612345678",
    }
    submit(client, signal_form(**typed, **person(0, name="Hendrik Haverkamp"),
                               **organisation(1, name="Pannekoekenhuis Vlinder"), **location(0, city="Bunnik")),
           files=[pdf("proces-verbaal.pdf")])
    (signal,) = all_signals()

    notifications = db.session.scalars(select(Notification)).all()
    assert sorted(str(n.recipient_id) for n in notifications) == sorted([str(first.id), str(second.id)])
    words = {w.lower() for value in typed.values() for w in value.split() if len(w) > 3}
    words |= {"hendrik", "haverkamp", "pannekoekenhuis", "vlinder", "bunnik", "dorpsstraat", "1234",
              "12345678", "proces-verbaal", "hennepteelt", "drugs", signal.reference.lower()}
    for message in notifications:
        # The link leads to the signal's page (issue 19): its id there, once, and nothing more.
        assert message.body.endswith(f"/meldingen/{signal.id}") and message.body.count(str(signal.id)) == 1
        text = f"{message.subject}\n{message.body}".lower()
        assert "nieuwe melding" in text
        for word in words:
            assert word not in text, f"{word!r} in a notification"
        assert message.sent_at is None  # queued in the outbox, same transaction


# Mijn meldingen -----------------------------------------------------------------------------


def test_mijn_meldingen_takes_the_same_few_queries_for_3_or_30_signals(client, reporter, make_signal):
    """No query per signal (the list once loaded each signal's messages one by one)."""
    def queries_for_page():
        return len(statements_of(client, "/mijn-meldingen"))

    for _ in range(3):
        make_signal(reporter)
    few = queries_for_page()
    for _ in range(27):
        make_signal(reporter)
    assert queries_for_page() == few


def test_mijn_meldingen_lists_only_own_signals_with_status_and_standard_feedback(client, reporter, make_user):
    submit(client, signal_form(description="Eigen melding één"))
    submit(client, signal_form(description="Eigen melding twee"))
    other = make_user("reporter")
    foreign = Signal(reference="SIG-2000-0001", channel="meldpunt", status="intake", reporter_id=other.id)
    foreign.description = "Andermans melding"
    db.session.add(foreign)
    db.session.commit()
    own = [s for s in all_signals() if s.reporter_id == reporter.id]

    response = client.get("/mijn-meldingen")
    text = page(response)
    assert response.status_code == 200
    for signal in own:
        assert signal.reference in text
        assert f'href="/mijn-meldingen/{signal.id}"' in text
    assert "SIG-2000-0001" not in text
    assert text.count("<td class=\"utrecht-table__cell\">Ontvangen</td>") == 2  # in the reporter's words
    assert "Ingediend" not in text  # never the internal status
    assert text.count("Uw melding is ontvangen.") == 2
    assert text.count("<td class=\"utrecht-table__cell\">Hennepteelt</td>") == 2  # the phenomenon they chose
    assert "Eigen melding" not in text  # status and standard messages only
    assert events("signal.own_listed")

    detail = page(client.get(f"/mijn-meldingen/{own[0].id}"))
    assert own[0].reference in detail and "Ontvangen" in detail and "Uw melding is ontvangen." in detail
    assert "Ingediend" not in detail
    assert "Eigen melding" not in detail and "Jan de Vries" not in detail


def test_another_reporters_signal_answers_404_and_the_denial_is_logged(client, reporter, make_user, make_signal):
    other = make_user("reporter")
    foreign = make_signal(other)

    for url in (f"/mijn-meldingen/{foreign.id}", f"/mijn-meldingen/{foreign.id}/bevestiging"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Jan Jansen" not in page(response) and foreign.reference not in page(response)
    response = client.post(f"/mijn-meldingen/{foreign.id}", data={"answer": "x", "csrf_token": csrf_from(
        client.get("/mijn-meldingen"))})
    assert response.status_code == 404

    denials = events("access.denied")
    assert len(denials) == 3
    assert {(d.actor_id, d.object_type, d.object_id, d.result) for d in denials} == {
        (reporter.id, "signal", str(foreign.id), "denied")}


def test_the_reporter_answers_an_open_question(client, reporter, make_signal):
    signal = make_signal(reporter, status="aanvulling_gevraagd", status_before_question="intake")
    question = InformationRequest(signal=signal)
    question.question = "Welke dagen zag u de busjes?"
    db.session.add(question)
    db.session.commit()
    url = f"/mijn-meldingen/{signal.id}"

    text = page(client.get(url))
    assert "Welke dagen zag u de busjes?" in text
    assert "Vraag aan u" in text and "Aanvulling gevraagd" not in text  # the reporter's words
    assert "uw antwoord is nodig" in page(client.get("/mijn-meldingen"))

    empty = client.post(url, data={"answer": "  ", "csrf_token": csrf_from(client.get(url))})
    assert empty.status_code == 200
    assert "Vul uw antwoord in." in field_error(page(empty), "answer")
    db.session.expire_all()
    assert question.answered_at is None and signal.status == "aanvulling_gevraagd"

    answer = "Maandag en donderdag, rond middernacht."
    response = client.post(url, data={"answer": answer, "csrf_token": csrf_from(client.get(url))})
    assert response.status_code == 302
    db.session.expire_all()
    assert question.answer == answer
    assert answer.encode() not in question.answer_enc
    assert question.answered_at is not None
    assert signal.status == "intake"
    assert signal.events[-1].reason_code == "aanvulling_ontvangen"
    (logged,) = events("signal.question_answered")
    assert (logged.object_type, logged.object_id, logged.actor_id) == ("information_request", str(question.id),
                                                                       reporter.id)
    after = page(client.get(url))
    assert "Antwoord versturen" not in after  # nothing left to answer
    # The question and the answer stay, so the reporter can see what they said.
    assert "Welke dagen zag u de busjes?" in after and answer in after
    assert "uw antwoord is nodig" not in page(client.get("/mijn-meldingen"))


def test_a_question_cannot_be_answered_twice(client, reporter, make_signal):
    signal = make_signal(reporter, status="intake")
    question = InformationRequest(signal=signal)
    question.question = "Vraag"
    question.answer = "Eerste antwoord"
    question.answered_at = datetime(2024, 1, 1)
    db.session.add(question)
    db.session.commit()
    url = f"/mijn-meldingen/{signal.id}"

    client.post(url, data={"answer": "Overschreven", "csrf_token": csrf_from(client.get(url))})

    db.session.expire_all()
    assert question.answer == "Eerste antwoord" and signal.status == "intake"
    assert not events("signal.question_answered")


# The coordinator ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "is_reporter"),
    [("telefoon", False), ("mma", False), ("politie", False), ("riec", False), ("eigen_waarneming", True)],
)
def test_the_coordinator_registers_a_signal_from_another_channel(client, make_user, login_as, channel, is_reporter):
    coordinator = make_user("coordinator")
    login_as(coordinator)

    response = submit(client, signal_form(channel=channel, **person(0)), url="/meldingen/registreren")

    assert response.status_code == 302
    (signal,) = all_signals()
    assert signal.channel == channel
    assert signal.reporter_id == (coordinator.id if is_reporter else None)
    assert signal.registered_by_id == coordinator.id
    assert signal.subjects[0].name == "Jan de Vries"
    assert [f.code for f in signal.feedback] == []  # no "ontvangen" message: there is no internal reporter
    assert events("signal.created")
    confirmation = client.get(response.headers["Location"])
    assert confirmation.status_code == 200 and signal.reference in page(confirmation)


def test_the_registration_form_requires_a_known_channel(client, make_user, login_as):
    login_as(make_user("coordinator"))
    text = page(client.get("/meldingen/registreren"))
    for channel in ("telefoon", "mma", "politie", "riec", "eigen_waarneming"):
        assert f'value="{channel}"' in text
    assert 'value="meldpunt"' not in text

    for channel in ("meldpunt", "twitter", ""):
        response = submit(client, signal_form(channel=channel), url="/meldingen/registreren")
        assert response.status_code == 200
        assert field_error(page(response), "channel"), channel
    assert_nothing_saved()


def test_only_the_coordinator_registers_and_sees_the_inbox(client, reporter, make_signal):
    signal = make_signal(reporter)
    for url in ("/meldingen/registreren", "/meldingen", f"/meldingen/{signal.id}"):
        assert client.get(url).status_code == 403, url
    response = submit(client, signal_form(channel="politie"), url="/meldpunt")
    assert response.status_code == 302
    assert all_signals()[-1].channel == "meldpunt"


def test_the_inbox_lists_signals_and_the_detail_shows_the_content(app, client, make_user, login_as):
    reporter = make_user("reporter", name="Rik Rapport")
    login_as(reporter)
    submit(client, signal_form(urgent="y", reporter_phone="06 11112222", **person(0, name="Truus Tulp"),
                               **organisation(1, name="Tulp Holding"), **location(0, city="Woerden")),
           files=[pdf("plattegrond.pdf")])
    (signal,) = all_signals()
    coordinator = make_user("coordinator")
    client = logged_in(app, coordinator)

    inbox = page(client.get("/meldingen"))
    assert signal.reference in inbox and f'href="/meldingen/{signal.id}"' in inbox
    assert "Drugs — Hennepteelt" in inbox
    assert "Truus Tulp" not in inbox  # the list shows no names
    assert events("signal.listed")

    detail = page(client.get(f"/meldingen/{signal.id}"))
    for shown in ("Truus Tulp", "geboren 17-05-1980", "Tulp Holding", "KvK 12345678", "Woerden", "06 11112222",
                  "Rik Rapport", "plattegrond.pdf", "Bij acuut gevaar: bel 112", "Afgeplakte ramen"):
        assert shown in detail, shown
    (viewed,) = events("signal.viewed")
    assert (viewed.actor_id, viewed.object_id) == (coordinator.id, str(signal.id))
    assert viewed.subject_pseudonyms.split(",") == [str(s.id) for s in signal.subjects]

    assert client.get(f"/meldingen/{uuid.uuid4()}").status_code == 404
    assert events("access.denied")[-1].result == "denied"


# Escaping ------------------------------------------------------------------------------------


@PINNED_DAY
def test_script_typed_in_text_fields_is_escaped_on_the_form(client, reporter):
    data = signal_form(
        description=SCRIPT,
        indicator_explanation=ATTRIBUTE_BREAK,
        observed_from=TOMORROW,  # the error that re-renders the form
        reporter_phone=SCRIPT,
        **person(0, name=SCRIPT, street=ATTRIBUTE_BREAK, city=SCRIPT, postcode=SCRIPT, kvk_number=SCRIPT),
        **location(0, street=SCRIPT, city=ATTRIBUTE_BREAK),
    )
    text = page(submit(client, data, files=[(io.BytesIO(b"x"), FILENAME_XSS)]))

    assert "<script>alert" not in text
    assert "<img src=x" not in text
    assert "&lt;script&gt;alert(" in text
    assert "&lt;img src=x onerror=alert(2)&gt;.pdf" in text  # the file to add again
    assert value_of(text, "subjects-0-name") == SCRIPT
    assert value_of(text, "subjects-0-street") == ATTRIBUTE_BREAK
    assert value_of(text, "description") == SCRIPT


def test_script_typed_in_text_fields_is_escaped_on_the_detail_page(app, client, reporter, make_user):
    data = signal_form(
        description=SCRIPT,
        indicator_explanation=ATTRIBUTE_BREAK,
        **person(0, name=SCRIPT, street=ATTRIBUTE_BREAK, city=SCRIPT),
        **organisation(1, name=ATTRIBUTE_BREAK),
        **location(0, street=SCRIPT, city=ATTRIBUTE_BREAK),
    )
    assert submit(client, data, files=[pdf(FILENAME_XSS)]).status_code == 302
    (signal,) = all_signals()

    response = logged_in(app, make_user("coordinator")).get(f"/meldingen/{signal.id}")
    text = page(response)
    assert "<script>alert" not in text
    assert "<img src=x" not in text
    assert text.count("&lt;script&gt;alert(") >= 4
    assert "&lt;img src=x onerror=alert(2)&gt;.pdf" in text
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


# Blind indexes --------------------------------------------------------------------------------


def test_blind_indexes_link_spelling_variants(client, reporter):
    submit(client, signal_form(**person(0, name="Müller", birth_date="1970-01-01", postcode="1234 ab",
                                        house_number="12"),
                               **organisation(1, name="Bakkerij Müller", kvk_number="12345678"),
                               **location(0, postcode="1234AB", house_number="12")))
    submit(client, signal_form(**person(0, name="muller", birth_date="1970-01-01", postcode="1234AB",
                                        house_number="12"),
                               **organisation(1, name="BAKKERIJ MULLER", kvk_number="12345678"),
                               **location(0, postcode="1234 ab", house_number="12")))
    submit(client, signal_form(**person(0, name="muller", birth_date="1971-01-01", postcode="1234 AC",
                                        house_number="12"),
                               **organisation(1, name="Bakkerij Meijer", kvk_number="87654321", postcode="3511 AB")))
    first, second, third = all_signals()

    for column in ("person_bidx", "address_bidx"):
        a, b, c = (getattr(s.subjects[0], column) for s in (first, second, third))
        assert a is not None and a == b, column
        assert c != a, column
    for column in ("organisation_bidx", "kvk_bidx", "address_bidx"):
        a, b, c = (getattr(s.subjects[1], column) for s in (first, second, third))
        assert a is not None and a == b, column
        assert c != a, column
    # A person's name has an index of its own too (the coordinator finds a person without a
    # birth date): the same for all three spellings of Müller. A person has no KvK index.
    names = [s.subjects[0].organisation_bidx for s in (first, second, third)]
    assert names[0] is not None and names == [names[0]] * 3
    assert first.subjects[0].kvk_bidx is None
    assert first.subjects[1].person_bidx is None
    assert first.locations[0].address_bidx == second.locations[0].address_bidx == first.subjects[0].address_bidx
    assert first.subjects[0].name == "Müller" and second.subjects[0].name == "muller"  # stored as typed


def test_a_person_without_birth_date_gets_no_person_index(client, reporter):
    submit(client, signal_form(**person(0, birth_date="")))
    (signal,) = all_signals()
    assert signal.subjects[0].person_bidx is None
    assert signal.subjects[0].address_bidx is not None
    assert signal.subjects[0].organisation_bidx is not None  # the name alone: found by name search


# Concurrency ---------------------------------------------------------------------------------


@pytest.fixture
def threaded_app(app, tmp_path):
    """PostgreSQL as it is, or a SQLite file: the in-memory test database has one connection."""
    if db.engine.dialect.name == "postgresql":
        yield app
        return
    config = type("FileSQLiteTestConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {},
    })
    file_app = create_app(config)
    with file_app.app_context():
        upgrade()
    yield file_app
    with file_app.app_context():
        db.engine.dispose()


@PINNED_DAY
def test_thirty_concurrent_submissions_get_thirty_distinct_references(threaded_app):
    submissions = 30
    start = threading.Barrier(submissions)

    def submit_one(number):
        start.wait(timeout=30)
        with threaded_app.app_context():
            reference = next_reference()
            signal = Signal(reference=reference, channel="meldpunt", status="ingediend")
            signal.description = f"Gelijktijdige melding {number}"
            db.session.add(signal)
            db.session.flush()
            record(None, "signal.created", signal, purpose="melding")
            db.session.commit()
            return reference

    with ThreadPoolExecutor(max_workers=submissions) as pool:
        futures = [pool.submit(submit_one, n) for n in range(submissions)]
        references = [future.result(timeout=120) for future in futures]

    assert len(set(references)) == submissions
    with threaded_app.app_context():
        key = db.session.get(ReferenceCounter, YEAR).permutation_key
        db.session.remove()
    assert sorted(references) == sorted(f"SIG-{YEAR}-{reference_number(n, key):04d}"
                                        for n in range(1, submissions + 1))
    with threaded_app.app_context():
        stored = db.session.scalars(select(Signal.reference)).all()
        assert sorted(stored) == sorted(references)
        assert verify_chain(keyring()).ok


# Property: the form never answers 500 ----------------------------------------------------------

TEXT_FIELDS = (
    "phenomenon_id", "indicators_local", "indicators_signal", "indicator_explanation", "description",
    "observed_from", "observed_until", "urgent", "reporter_phone",
    *(f"subjects-0-{name}" for name in SUBJECT_FIELDS),
    *(f"subjects-1-{name}" for name in SUBJECT_FIELDS),
    *(f"locations-0-{name}" for name in ADDRESS_FIELDS),
)
TRICKY = st.sampled_from([
    "", " ", "0", "-1", "99999", "100000", "1" * 40, "1234 AB", "1234ab", "12345678", "١٢٣٤٥٦٧٨", "²", "１２",
    "2999-12-31", "0001-01-01", "1899-12-31", "9999-99-99", "persoon", "organisatie", "eigenaar", "2", "1",
    SCRIPT, ATTRIBUTE_BREAK, "\x00", "\ud7ff\ue000", "é" * 300, "NaN", "1e5", "y", "Ⅻ",
])
FIELD_VALUE = st.one_of(TRICKY, st.text(max_size=60))


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(values=st.fixed_dictionaries({}, optional={name: FIELD_VALUE for name in TEXT_FIELDS}))
def test_arbitrary_text_in_any_field_never_answers_500(client, make_user, login_as, values):
    if not getattr(client, "_logged_in", False):
        login_as(make_user("reporter"))
        client._logged_in = True
    response = submit(client, values)
    assert response.status_code in (200, 302), response.status_code


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(values=st.fixed_dictionaries({"channel": FIELD_VALUE}, optional={name: FIELD_VALUE for name in TEXT_FIELDS}))
def test_arbitrary_text_in_the_registration_form_never_answers_500(client, make_user, login_as, values):
    if not getattr(client, "_logged_in", False):
        login_as(make_user("coordinator"))
        client._logged_in = True
    response = submit(client, values, url="/meldingen/registreren")
    assert response.status_code in (200, 302), response.status_code


# Real input: house numbers as people type them, NUL characters, file names with folders -----


@pytest.mark.parametrize(("typed", "number", "addition"), [
    ("12a", "12", "A"), ("12 A", "12", "A"), ("12-a", "12", "A"), ("12-3", "12", "3"), ("12bis", "12", "BIS"),
    ("123", "123", None),
])
def test_a_house_number_typed_with_its_addition_is_split_into_number_and_addition(
        client, reporter, typed, number, addition):
    response = submit(client, signal_form(**person(0, house_number=typed), **location(0, house_number=typed)))

    assert response.status_code == 302, field_error(page(response), "subjects-0-house_number")
    subject, place = db.session.scalars(select(Subject)).one(), db.session.scalars(select(Location)).one()
    for stored in (subject, place):
        assert (stored.house_number, stored.house_number_addition) == (number, addition)


def test_a_house_number_with_an_addition_in_both_fields_is_refused_and_kept(client, reporter):
    response = submit(client, signal_form(**person(0, house_number="12a", house_number_addition="B")))

    text = page(response)
    assert "Vul een huisnummer in van 1 tot en met 99999." in field_error(text, "subjects-0-house_number")
    assert value_of(text, "subjects-0-house_number") == "12a"
    assert_nothing_saved()


def test_the_split_house_number_links_to_a_signal_typed_the_other_way(client, reporter, make_signal):
    other = make_signal(person=None, address=None)
    place = Location(position=0)
    other.locations.append(place)
    place.postcode, place.house_number, place.house_number_addition = "1234 AB", "12", "A"
    linking.index_location(place)
    db.session.commit()

    assert submit(client, signal_form(**location(0, postcode="1234 AB", house_number="12-a"))).status_code == 302

    new = db.session.scalars(select(Location).where(Location.signal_id != other.id)).one()
    assert new.address_bidx == place.address_bidx


@pytest.mark.parametrize("field_id", ["description", "indicator_explanation", "subjects-0-name",
                                      "locations-0-city"])
def test_a_nul_character_gets_a_message_next_to_its_field_and_nothing_is_saved(client, reporter, field_id):
    typed = "Afgeplakte\x00 ramen"
    fields = {"description": "Afgeplakte ramen", **person(0), **location(0)} | {field_id: typed}

    response = submit(client, signal_form(**fields))

    assert response.status_code == 200
    text = page(response)
    assert NUL_MESSAGE in field_error(text, field_id)
    assert "\x00" not in text and "&#0;" not in text
    assert value_of(text, field_id) == "Afgeplakte ramen"  # kept, without the invisible character
    assert_nothing_saved()


def test_a_file_name_with_folders_is_stored_and_offered_as_its_base_name(app, client, reporter, make_user):
    assert submit(client, signal_form(), files=[pdf("../../etc/verslag ü.pdf")]).status_code == 302
    attachment = db.session.scalars(select(Attachment)).one()
    assert attachment.filename == "verslag ü.pdf"

    attachment.filename = "..\\..\\oud/../verslag.pdf"  # as an older version stored it
    db.session.commit()
    coordinator = app.test_client()
    login(coordinator, make_user("coordinator").email)
    response = coordinator.get(f"/meldingen/{attachment.signal_id}/bijlagen/{attachment.id}")

    disposition = response.headers["Content-Disposition"]
    assert disposition == "attachment; filename=\"verslag.pdf\"; filename*=UTF-8''verslag.pdf"
