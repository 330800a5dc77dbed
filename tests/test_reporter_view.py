"""Mijn meldingen a reporter can read (issue 19): per signal the phenomenon, the place and the
date they entered themselves; the status in their words (ontvangen, in behandeling, vraag aan
u, afgesloten, doorgezet) as far as the municipality's feedback level allows, never an
internal status; the questions and their answers kept; a flag on the start page while a
question waits.

The insider: a reporter who reads every page their role opens (the list, the detail, the
confirmation, the start page), for signals in every status, and who tries another reporter's
signal, looking for the casustafel's work (internal statuses, the coordinator's summary, the
names of the people the signal is about).
"""

import html
import re

import pytest
from sqlalchemy import select

from casustafel.dates import local_time
from casustafel.extensions import db
from casustafel.models import REPORTER_STATUS, Feedback, InformationRequest, Signal, SignalStatus
from casustafel.settings import set_setting
from casustafel.signals import services
from tests.conftest import csrf_from
from tests.helpers.signals import logged_in, page, person, phenomenon_id, rows, signal_form, submit

pytestmark = pytest.mark.usefixtures("pinned_day")

LEVELS = ("statussen", "standaard", "geen")

# What the reporter reads per internal status, written out by hand (not taken from the code):
# under "statussen" in their words, under "standaard" only whether it was dealt with, under
# "geen" only that it was received.
EXPECTED = {
    "ingediend": ("Ontvangen", "Ontvangen"),
    "intake": ("In behandeling", "In behandeling"),
    "weging": ("In behandeling", "In behandeling"),
    "bronnenonderzoek": ("In behandeling", "In behandeling"),
    "geagendeerd": ("In behandeling", "In behandeling"),
    "besproken": ("In behandeling", "In behandeling"),
    "in_aanpak": ("In behandeling", "In behandeling"),
    "monitoring": ("In behandeling", "In behandeling"),
    "aanvulling_gevraagd": ("Vraag aan u", "Vraag aan u"),
    "doorgezet": ("Doorgezet", "Afgehandeld"),
    "afgesloten": ("Afgesloten", "Afgehandeld"),
}
# Internal status words and codes a reporter must never read, in any case.
INTERNAL = ("Geagendeerd", "In aanpak", "Bronnenonderzoek", "Monitoring", "Besproken", "Aanvulling gevraagd",
            "Ingediend", "in_aanpak", "aanvulling_gevraagd")

NAME = "Ŝtefan van ’t Hoff-Ødegård"
ORGANISATION = "Ĳzerhandel Ⅻ B.V."
SUMMARY = "Samenvatting van de regisseur: patroon bij drie panden (SAMENVATTING-Ω)"
DESCRIPTION = "Wat ik zag: ’s nachts busjes, ramen afgeplakt (BESCHRIJVING-Ж)"


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def list_rows(text: str) -> list[list[str]]:
    """The cells of every body row of the Mijn meldingen table, as plain text."""
    body = text.split('<tbody class="utrecht-table__body">')[1].split("</tbody>")[0]
    return [[text_of(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.DOTALL)]


def shown(text: str, label: str) -> str:
    """The value next to `label` in the detail page's data list."""
    match = re.search(rf'<dt class="utrecht-data-list__item-key">{re.escape(label)}</dt>'
                      r'<dd class="utrecht-data-list__item-value[^"]*">(.*?)</dd>', text, re.DOTALL)
    assert match, label
    return text_of(match.group(1))


def flag(text: str) -> str | None:
    match = re.search(r'<div class="utrecht-alert utrecht-alert--warning"(.*?)</div></div></div>', text, re.DOTALL)
    return match.group(1) if match else None


def set_level(level: str) -> None:
    set_setting("feedback_level", level)
    db.session.commit()


def own_signals(reporter) -> list[Signal]:
    db.session.expire_all()
    return list(db.session.scalars(select(Signal).where(Signal.reporter_id == reporter.id)
                                   .order_by(Signal.received_at)))


@pytest.fixture
def reporter(make_user):
    return make_user("reporter", name="Mila Melder")


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator", name="Ria Regisseur")


def ask(coordinator, signal, text="Op welke dagen zag u de busjes?") -> InformationRequest:
    question = services.ask_question(coordinator, signal, text)
    db.session.commit()
    return question


def answer(client, signal, text):
    url = f"/mijn-meldingen/{signal.id}"
    return client.post(url, data={"answer": text, "csrf_token": csrf_from(client.get(url))})


# --- 1. telling signals apart ----------------------------------------------------------------------


def test_three_signals_from_one_day_are_told_apart_by_phenomenon_and_place(app, reporter, coordinator):
    client = logged_in(app, reporter)
    submit(client, signal_form(phenomenon_id=str(phenomenon_id("Hennepteelt")), description=DESCRIPTION,
                               **person(0, name=NAME, city="Zeist"),
                               **rows("locations", 0, street="Havenkade", house_number="3", postcode="3511 AB",
                                      city="’s-Hertogenbosch"),
                               **rows("locations", 1, postcode="3401 AA", house_number="9", city="Utrecht")))
    submit(client, signal_form(phenomenon_id=str(phenomenon_id("Arbeidsuitbuiting")),
                               **person(0, kind="organisatie", role="eigenaar", name=ORGANISATION,
                                        kvk_number="12345678", birth_date="", city="Ĳsselstein")))
    submit(client, signal_form(phenomenon_id=str(phenomenon_id("Zorgfraude (pgb, Wmo, Jeugdwet)"))))
    first, second, third = own_signals(reporter)
    assert len({s.received_at.date() for s in (first, second, third)}) == 1  # one day
    services.record_summary(coordinator, first, SUMMARY)
    db.session.commit()

    text = page(client.get("/mijn-meldingen"))
    by_reference = {row[0]: row[1:] for row in list_rows(text)}
    assert by_reference[first.reference][:2] == ["Hennepteelt", "’s-Hertogenbosch"]  # the first address
    assert by_reference[second.reference][:2] == ["Arbeidsuitbuiting", "Ĳsselstein"]  # a subject's address
    assert by_reference[third.reference][:2] == ["Zorgfraude (pgb, Wmo, Jeugdwet)", "geen adres"]
    assert len({tuple(cells[:2]) for cells in by_reference.values()}) == 3  # three different rows
    for signal in (first, second, third):  # the date and time received, in Dutch time
        assert by_reference[signal.reference][2] == local_time(signal.received_at)
    assert all(cells[3] == "Ontvangen" for cells in by_reference.values())

    detail = page(client.get(f"/mijn-meldingen/{first.id}"))
    assert (shown(detail, "Fenomeen"), shown(detail, "Plaats")) == ("Hennepteelt", "’s-Hertogenbosch")
    assert shown(detail, "Ontvangen op") == text_of(by_reference[first.reference][2])
    # Only the city of what they entered: never the coordinator's summary, the subjects' names,
    # the other addresses or the description.
    for pages in (text, detail, page(client.get(f"/mijn-meldingen/{second.id}"))):
        for hidden in (SUMMARY, "SAMENVATTING", NAME, ORGANISATION, "12345678", "Havenkade", "3511 AB", "Zeist",
                       DESCRIPTION, "BESCHRIJVING"):
            assert hidden not in html.unescape(pages), hidden


def test_the_received_moment_is_the_dutch_date_and_time(app, reporter, make_signal):
    from datetime import datetime

    signal = make_signal(reporter, received_at=datetime(2025, 12, 31, 23, 30))  # UTC: already 2026 in NL
    text = page(logged_in(app, reporter).get("/mijn-meldingen"))
    (row,) = list_rows(text)
    assert row[3] == "01-01-2026 00:30"
    assert shown(page(logged_in(app, reporter).get(f"/mijn-meldingen/{signal.id}")), "Ontvangen op") == \
        "01-01-2026 00:30"


# --- 2. statuses in the reporter's words -------------------------------------------------------------


def test_every_internal_status_has_a_reporter_status():
    assert set(REPORTER_STATUS) == set(SignalStatus)
    assert set(EXPECTED) == {s.value for s in SignalStatus}


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("status", [s.value for s in SignalStatus])
def test_no_internal_status_word_reaches_the_reporter(app, reporter, coordinator, make_signal, level, status):
    set_level(level)
    signal = make_signal(reporter, status=status, status_before_question="geagendeerd")
    for code in ("ontvangen", "in_behandeling", "afgesloten", "doorgezet", "afgehandeld"):
        db.session.add(Feedback(signal=signal, code=code, sent_by_id=coordinator.id))
    if status == SignalStatus.AANVULLING_GEVRAAGD:
        question = InformationRequest(signal=signal, asked_by_id=coordinator.id)
        question.question = "Welke dag?"
        db.session.add(question)
    db.session.commit()
    client = logged_in(app, reporter)

    listing = page(client.get("/mijn-meldingen"))
    detail = page(client.get(f"/mijn-meldingen/{signal.id}"))
    confirmation = page(client.get(f"/mijn-meldingen/{signal.id}/bevestiging"))
    home = page(client.get("/"))
    for text in (listing, detail, confirmation, home):
        for word in INTERNAL:
            assert word.lower() not in text.lower(), (word, status, level)

    statuses, standard = EXPECTED[status]
    expected = {"statussen": statuses, "standaard": standard, "geen": "Ontvangen"}[level]
    assert shown(detail, "Status") == expected
    (row,) = list_rows(listing)
    waiting = status == SignalStatus.AANVULLING_GEVRAAGD
    assert row[4] == expected + (" — uw antwoord is nodig" if waiting else "")


def test_the_list_and_the_detail_say_the_same_after_the_signal_moves_on(app, reporter, coordinator, make_signal):
    """The complaint: Geagendeerd in the list while the last message said ontvangen."""
    signal = make_signal(reporter, status="geagendeerd")
    db.session.add(Feedback(signal=signal, code="ontvangen"))
    db.session.commit()
    client = logged_in(app, reporter)
    (row,) = list_rows(page(client.get("/mijn-meldingen")))
    assert row[4] == "In behandeling" and row[5].endswith("Uw melding is ontvangen.")
    services.send_feedback(coordinator, signal, "in_behandeling")
    db.session.commit()
    (row,) = list_rows(page(client.get("/mijn-meldingen")))
    assert row[4] == "In behandeling" and row[5].endswith("Uw melding is in behandeling genomen.")


# --- 3. the question and the answer stay ---------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_the_question_and_the_answer_stay_after_answering_at_every_level(app, reporter, coordinator, make_signal,
                                                                         level):
    set_level(level)
    signal = make_signal(reporter, status="intake")
    first = ask(coordinator, signal, "Op welke dagen zag u de busjes?\nEn hoe laat?")
    client = logged_in(app, reporter)
    reply = ("Maandag en donderdag — rond middernacht.\nKenteken begon met ‘VX’. " + "Nog iets. " * 400).strip()
    assert answer(client, signal, reply).status_code == 302

    db.session.expire_all()
    first = db.session.get(InformationRequest, first.id)
    detail = page(client.get(f"/mijn-meldingen/{signal.id}"))
    assert "Antwoord versturen" not in detail
    assert "Op welke dagen zag u de busjes?\nEn hoe laat?" in html.unescape(detail)
    assert html.unescape(detail).count(reply) == 1
    assert f"Vraag van de regisseur, {local_time(first.asked_at)}" in text_of(detail)
    assert f"Uw antwoord, {local_time(first.answered_at)}" in text_of(detail)
    assert shown(detail, "Status") == ("Ontvangen" if level == "geen" else "In behandeling")

    # A second question: the open one asks for an answer, the first stays with its answer.
    ask(coordinator, db.session.get(Signal, signal.id), "Was er ook een bestelbus bij?")
    detail = page(client.get(f"/mijn-meldingen/{signal.id}"))
    assert "Was er ook een bestelbus bij?" in detail and "Antwoord versturen" in detail
    assert html.unescape(detail).count(reply) == 1
    assert answer(client, signal, "Nee.").status_code == 302
    detail = html.unescape(page(client.get(f"/mijn-meldingen/{signal.id}")))
    assert detail.index("Was er ook een bestelbus bij?") < detail.index("Op welke dagen")  # newest first
    assert "Nee." in detail and reply in detail


# --- 4. the start page's flag --------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_the_start_page_flags_a_waiting_question_only_while_it_is_open(app, reporter, coordinator, make_user,
                                                                         make_signal, level):
    set_level(level)
    signal = make_signal(reporter, status="weging")
    other = make_user("reporter")
    make_signal(other, status="weging")
    client, others = logged_in(app, reporter), logged_in(app, other)
    assert flag(page(client.get("/"))) is None

    ask(coordinator, signal)
    home = flag(page(client.get("/")))
    assert home is not None and "Er wacht een vraag op uw antwoord" in text_of(home)
    assert f'href="/mijn-meldingen/{signal.id}"' in home and signal.reference in home
    assert "busjes" not in home  # the flag says that a question waits, not what
    assert flag(page(others.get("/"))) is None

    assert answer(client, signal, "Op dinsdag.").status_code == 302
    assert flag(page(client.get("/"))) is None


def test_the_flag_names_every_signal_with_a_waiting_question(app, reporter, coordinator, make_signal):
    signals = [make_signal(reporter, status="intake") for _ in range(3)]
    for signal in signals[:2]:
        ask(coordinator, signal)
    home = flag(page(logged_in(app, reporter).get("/")))
    assert "Er wachten vragen op uw antwoord" in text_of(home)
    for signal in signals[:2]:
        assert f'href="/mijn-meldingen/{signal.id}"' in home
    assert signals[2].reference not in home


def test_a_coordinator_without_the_reporter_role_gets_no_reporter_flag(app, coordinator, make_signal):
    signal = make_signal(coordinator, status="intake", channel="eigen_waarneming")
    ask(coordinator, signal)
    assert flag(page(logged_in(app, coordinator).get("/"))) is None


# --- 5. the insider: another reporter's signal ------------------------------------------------------


def test_a_reporter_never_sees_another_reporters_signal_nor_its_question(app, reporter, coordinator, make_user,
                                                                           make_signal):
    other = make_user("reporter", name="Otto Ander")
    foreign = make_signal(other, status="intake", person=(NAME, "1970-02-28"))
    foreign.summary = SUMMARY
    db.session.commit()
    question = ask(coordinator, foreign, "Vraag voor Otto")
    own = make_signal(reporter, status="intake", person=(NAME, "1970-02-28"))
    own.summary = SUMMARY
    db.session.commit()
    client = logged_in(app, reporter)

    for url in (f"/mijn-meldingen/{foreign.id}", f"/mijn-meldingen/{foreign.id}/bevestiging"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Vraag voor Otto" not in page(response) and foreign.reference not in page(response)
    assert answer(client, foreign, "Ingebroken antwoord").status_code == 404
    db.session.expire_all()
    assert db.session.get(InformationRequest, question.id).answer is None

    pages = [page(client.get(u)) for u in ("/", "/mijn-meldingen", f"/mijn-meldingen/{own.id}")]
    for text in pages:
        text = html.unescape(text)
        assert foreign.reference not in text and "Vraag voor Otto" not in text
        for hidden in (SUMMARY, NAME, "1970", "Beschrijving"):
            assert hidden not in text, hidden
    assert [row[0] for row in list_rows(pages[1])] == [own.reference]
