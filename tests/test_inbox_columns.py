"""The inbox's columns that tell signals apart (place, the coordinator's summary, last activity)
and its pages that never count the whole table (README "De werkvoorraad van de regisseur").

The reporter's own description never reaches the list: the summary column is the coordinator's
anonymised summary. Place and summary are decrypted for the rows on the page only, the last
activity comes from one query for the page, so a page costs the same number of statements
whether it holds 25 or 50 signals."""

import html
import re
from datetime import timedelta

import pytest

from casustafel.dates import local_time, utcnow
from casustafel.extensions import db
from casustafel.models import Location, SignalEvent, Subject
from casustafel.signals import inbox
from casustafel.wording import shortened
from tests.conftest import csrf_from
from tests.helpers.queries import statements_of

ROW_RE = re.compile(r'<tr class="utrecht-table__row">\s*<td class="utrecht-table__cell"><a [^>]*>(SIG-\d{4}-\d{4})</a>'
                    r"(.*?)</tr>", re.DOTALL)
CELL_RE = re.compile(r'<td class="utrecht-table__cell[^"]*">(.*?)</td>', re.DOTALL)
HEADERS = ["Kenmerk", "Plaats", "Samenvatting", "Fenomeen", "Status", "Regisseur", "Ontvangen",
           "Laatste activiteit", "Kanaal"]

DESCRIPTION_MARKER = "MELDERSTEKST-Ωmega-7Q"
SUMMARY_MARKER = "REGISSEURSAMENVATTING-3K"


@pytest.fixture
def coordinator(make_user, login_as):
    user = make_user("coordinator", name="Renée Regisseur")
    login_as(user)
    return user


def cells(response) -> dict[str, dict[str, str]]:
    """Each listed signal's cells by column header, as the coordinator reads them."""
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    table = {}
    for reference, rest in ROW_RE.findall(page):
        texts = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in CELL_RE.findall(rest)]
        table[reference] = dict(zip(HEADERS[1:], texts, strict=True))
    return table


def counts_signals(statement: str) -> bool:
    flat = " ".join(statement.lower().split())
    return "count(" in flat and "from signal" in flat


# --- the columns ------------------------------------------------------------------------------


def test_the_place_is_the_first_location_with_a_city_then_the_first_subject_then_a_dash(
        client, coordinator, make_signal):
    at_location = make_signal(None)
    at_location.locations[0].position = 1
    at_location.locations[0].city = "'s-Hertogenbosch"
    at_location.locations.append(Location(position=0))  # a location without a city is skipped
    second = Location(position=2)
    at_location.locations.append(second)
    second.city = "Tilburg"
    at_subject = make_signal(None, address=None)
    at_subject.subjects[0].city = "Zoëterwoude"
    nowhere = make_signal(None, address=None)
    db.session.commit()

    table = cells(client.get("/meldingen"))
    assert table[at_location.reference]["Plaats"] == "'s-Hertogenbosch"
    assert table[at_subject.reference]["Plaats"] == "Zoëterwoude"
    assert table[nowhere.reference]["Plaats"] == "—"


def test_a_location_city_wins_over_a_subject_city(client, coordinator, make_signal):
    signal = make_signal(None)
    signal.subjects[0].city = "Amsterdam"
    signal.locations[0].city = "Ĳsselstein"
    db.session.commit()
    assert cells(client.get("/meldingen"))[signal.reference]["Plaats"] == "Ĳsselstein"


def test_the_summary_column_shows_the_coordinators_summary_never_the_reporters_words(
        client, coordinator, make_user, make_signal):
    reporter = make_user("reporter")
    summarised = make_signal(reporter, description=f"Ik zag {DESCRIPTION_MARKER} bij de buren.")
    summarised.summary = f"Hennepgeur en afgeplakte ramen ({SUMMARY_MARKER})."
    unsummarised = make_signal(reporter, description=f"Nog een {DESCRIPTION_MARKER} van de melder.")
    db.session.commit()

    response = client.get("/meldingen")
    table = cells(response)
    assert table[summarised.reference]["Samenvatting"] == f"Hennepgeur en afgeplakte ramen ({SUMMARY_MARKER})."
    assert table[unsummarised.reference]["Samenvatting"] == "Nog geen samenvatting"
    assert DESCRIPTION_MARKER not in response.get_data(as_text=True)

    # the search shows the same table, with the same promise
    token = csrf_from(client.get("/meldingen"))
    found = client.post("/meldingen/zoeken", data={"csrf_token": token, "zoeken": summarised.reference})
    assert cells(found)[summarised.reference]["Samenvatting"].endswith(f"({SUMMARY_MARKER}).")
    assert DESCRIPTION_MARKER not in found.get_data(as_text=True)


def test_a_long_summary_is_cut_between_words(client, coordinator, make_signal):
    signal = make_signal(None)
    signal.summary = ("Café ‘De Zwaan’ in de Oude Kerkstraat: drukte ’s nachts,\nwisselende   huurders "
                      "en contante betalingen zonder bon; eigenaar onbekend bij de KvK.")
    db.session.commit()
    shown = cells(client.get("/meldingen"))[signal.reference]["Samenvatting"]
    assert shown == "Café ‘De Zwaan’ in de Oude Kerkstraat: drukte ’s nachts, wisselende huurders en…"
    assert len(shown) <= 81


@pytest.mark.parametrize(("text", "expected"), [
    (None, None),
    ("   \n ", None),
    ("Kort en   goed.\n", "Kort en goed."),
    ("x" * 80, "x" * 80),  # exactly the limit: whole
    ("woord " * 20, "woord " * 12 + "woord…"),  # 13 words are 77 characters, 14 are 83
    ("Zoë " * 30, ("Zoë " * 20).strip() + "…"),
    ("a" * 79 + "e\u0301 rest", "a" * 79 + "…"),  # never between a letter and its accent
    ("a" * 79 + "👩\u200d👩\u200d👧 rest", "a" * 79 + "…"),  # nor inside an emoji family
    ("a" * 79 + "👍\U0001f3fd rest", "a" * 79 + "…"),  # nor between a thumb and its skin tone
    ("Afgeplakte ramen, " + "b" * 70, "Afgeplakte ramen…"),  # no comma before the ellipsis
])
def test_shortened_cuts_at_a_word_boundary_and_keeps_characters_whole(text, expected):
    assert shortened(text, 80) == expected


def test_last_activity_is_the_latest_event_or_else_the_receipt(client, coordinator, make_signal):
    received = utcnow() - timedelta(days=9)
    quiet = make_signal(None, received_at=received)
    busy = make_signal(None, status="intake", received_at=received)
    latest = utcnow() - timedelta(days=1, hours=3)
    db.session.add_all([
        SignalEvent(signal_id=busy.id, occurred_at=latest, from_status="ingediend", to_status="intake"),
        SignalEvent(signal_id=busy.id, occurred_at=received + timedelta(hours=2), to_status="ingediend"),
    ])
    db.session.commit()

    table = cells(client.get("/meldingen"))
    assert table[quiet.reference]["Laatste activiteit"] == local_time(received)
    assert table[busy.reference]["Laatste activiteit"] == local_time(latest)
    assert table[busy.reference]["Ontvangen"] == local_time(received)


def test_urgency_and_the_waiting_marker_stay_visible(client, coordinator, make_signal):
    urgent = make_signal(None, urgent=True, received_at=utcnow() - timedelta(days=30))
    calm = make_signal(None)
    page = client.get("/meldingen").get_data(as_text=True)
    rows = dict(ROW_RE.findall(page))
    assert "Urgent</span>" in rows[urgent.reference] and "Wacht te lang" in rows[urgent.reference]
    assert "Urgent</span>" not in rows[calm.reference] and "Wacht te lang" not in rows[calm.reference]


def test_a_destroyed_signal_shows_no_place_or_summary(client, coordinator, make_signal):
    signal = make_signal(None)
    signal.locations[0].city = "Utrecht"
    signal.summary = f"Samenvatting {SUMMARY_MARKER}"
    signal.destroyed_at = utcnow()
    db.session.commit()
    row = cells(client.get("/meldingen"))[signal.reference]
    assert (row["Plaats"], row["Samenvatting"]) == ("—", "—")


# --- pages without a full count -------------------------------------------------------------


def many(make_signal, n, **fields):
    now = utcnow()
    return [make_signal(None, received_at=now - timedelta(minutes=i), **fields) for i in range(n)]


def test_page_two_counts_nothing_and_page_one_only_up_to_a_bound(client, coordinator, make_signal):
    many(make_signal, 30)
    first = statements_of(client, "/meldingen")
    (count,) = [s for s in first if counts_signals(s)]
    assert "limit" in count.lower()  # bounded: never the whole table
    second = statements_of(client, "/meldingen?pagina=2")
    assert not [s for s in second if counts_signals(s)]
    assert not [s for s in second if "count(" in s.lower()]


def test_a_short_list_needs_no_count_at_all(client, coordinator, make_signal):
    many(make_signal, 3)
    statements = statements_of(client, "/meldingen")
    assert not [s for s in statements if counts_signals(s)]
    assert "3 meldingen gevonden" in html.unescape(client.get("/meldingen").get_data(as_text=True))


def test_beyond_the_bound_the_first_page_says_more_than(client, coordinator, make_signal, monkeypatch):
    monkeypatch.setattr(inbox, "COUNT_LIMIT", 26)
    many(make_signal, 30)
    text = html.unescape(client.get("/meldingen").get_data(as_text=True))
    assert "Meer dan 26 meldingen gevonden" in text
    assert "Pagina 1" in text and "Pagina 1 van" not in text


def test_next_and_previous_walk_the_sorted_filtered_list(client, coordinator, make_signal):
    signals = many(make_signal, 27, channel="telefoon")
    make_signal(None, channel="politie")
    oldest_first = [s.reference for s in reversed(signals)]

    first = client.get("/meldingen?kanaal=telefoon&sorteren=oudste")
    page = first.get_data(as_text=True)
    assert list(cells(first)) == oldest_first[:25]
    (next_url,) = re.findall(r'href="([^"]+)" rel="next">Volgende pagina', page)
    assert 'rel="prev"' not in page

    second = client.get(html.unescape(next_url))
    assert list(cells(second)) == oldest_first[25:]
    page = second.get_data(as_text=True)
    assert 'rel="next"' not in page and "Meldingen, pagina 2" in html.unescape(page)
    (prev_url,) = re.findall(r'href="([^"]+)" rel="prev">Vorige pagina', page)
    prev_url = html.unescape(prev_url)
    assert "pagina" not in prev_url and "kanaal=telefoon" in prev_url and "sorteren=oudste" in prev_url
    assert list(cells(client.get(prev_url))) == oldest_first[:25]


# --- the cost of a page -----------------------------------------------------------------------


def test_a_page_of_25_or_50_signals_takes_the_same_number_of_statements(
        client, coordinator, make_user, make_signal, monkeypatch):
    owner = make_user("coordinator", name="Ömer Overdracht")
    for n in range(60):
        signal = make_signal(None, owner_id=owner.id, status="intake",
                             received_at=utcnow() - timedelta(hours=n))
        signal.summary = f"Samenvatting {n} met ‘aanhalingstekens’"
        if n % 2:  # half of them take their place from a subject
            signal.locations[0].city = "Zwolle"
        extra = Subject(kind="organisatie", role="eigenaar", position=1)
        signal.subjects.append(extra)
        extra.city = "Kampen"
        db.session.add(SignalEvent(signal_id=signal.id, from_status="ingediend", to_status="intake"))
    db.session.commit()

    monkeypatch.setattr(inbox, "PAGE_SIZE", 25)
    small = statements_of(client, "/meldingen")
    monkeypatch.setattr(inbox, "PAGE_SIZE", 50)
    large = statements_of(client, "/meldingen")
    assert len(cells(client.get("/meldingen"))) == 50
    assert len(small) == len(large)
