"""The workspace that fits the screen (issue 19): the header says where the signal stands and
what comes next; sections open when they hold the next step, something new or a form sent back
with an error, and stay closed otherwise."""

import re
from datetime import timedelta

import pytest

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import AgendaItem, InformationRequest, Meeting, PrivacyCheck, SignalEvent
from tests.conftest import CSRF_RE


@pytest.fixture
def coordinator(make_user, login_as):
    user = make_user("coordinator", name="Cora Regisseur")
    login_as(user)
    return user


def page_of(client, signal) -> str:
    response = client.get(f"/meldingen/{signal.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def header(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page.split('class="app-case-header"', 1)[1].split(
        'class="app-workspace"', 1)[0]).split())


def opened(page: str) -> set[str]:
    """The ids of the sections that are open."""
    return set(re.findall(r'<details class="app-section" open>\s*<summary[^>]*>.*?</summary>\s*'
                          r'<div class="app-section__body" id="([^"]+)"', page, flags=re.S))


def sections(page: str) -> set[str]:
    return set(re.findall(r'<div class="app-section__body" id="([^"]+)"', page))


def test_a_new_signal_shows_status_owner_reporter_and_intake_as_the_next_step(client, coordinator, make_user,
                                                                              make_signal):
    reporter = make_user("reporter", name="Mila Melder")
    signal = make_signal(reporter)
    top = header(page_of(client, signal))
    assert "Status Ingediend" in top
    assert "Regisseur Nog geen regisseur" in top
    assert 'href="#regisseur-kiezen">kiezen</a>' in page_of(client, signal)  # opens the owner form
    assert "Melder Mila Melder" in top
    assert "Casustafel Niet geagendeerd" in top and "Open toetsen Geen" in top
    assert "Volgende stap Intake (weging 1 en 2) vastleggen" in top
    assert "Vraag stellen aan de melder" in top  # the reporter is internal: the question is a step
    assert "Status wijzigen : intake" in top or "Status wijzigen: intake" in top


def test_the_header_names_the_meeting_and_the_open_checks(client, coordinator, make_signal):
    signal = make_signal(None, channel="telefoon", status="geagendeerd")
    held = utcnow().replace(microsecond=0) + timedelta(days=7)
    meeting = Meeting(held_at=held, status="gepubliceerd")
    db.session.add(meeting)
    db.session.flush()
    db.session.add(AgendaItem(meeting_id=meeting.id, signal_id=signal.id))
    db.session.add(PrivacyCheck(signal_id=signal.id, kind="2A", meeting_id=meeting.id, status="open"))
    db.session.commit()
    page = page_of(client, signal)
    top = header(page)
    assert "Casustafel Op de agenda van" in top and "(agenda gepubliceerd)" in top
    assert f'href="/overleggen/{meeting.id}"' in page
    assert "Open toetsen Geen" not in top and "2A" in top
    assert "Vraag stellen aan de melder" not in top  # an external signal: no questions through casustafel

    meeting.status = "gesloten"
    db.session.commit()
    assert "Casustafel Besproken op" in header(page_of(client, signal))


def test_sections_open_with_the_next_step_and_stay_closed_otherwise(client, coordinator, make_signal):
    signal = make_signal(None, channel="telefoon")
    page = page_of(client, signal)
    assert {"inhoud-melding", "wegingen", "regisseur", "notities"} <= opened(page)
    closed = sections(page) - opened(page)
    assert {"status", "legal-hold", "geschiedenis", "acties", "verstrekkingen", "melder"} <= closed
    # Every form besides the next step's waits behind its summary.
    for label in ("Notitie schrijven", "Regisseur kiezen", "Samenvatting schrijven"):
        assert re.search(rf'<details class="app-form-toggle">\s*<summary[^>]*>{label}</summary>', page), label


def test_a_new_answer_from_the_reporter_opens_the_reporters_section(client, coordinator, make_user, make_signal):
    reporter = make_user("reporter")
    signal = make_signal(reporter)
    assert "melder" not in opened(page_of(client, signal))
    moment = utcnow()
    question = InformationRequest(signal_id=signal.id, asked_at=moment - timedelta(days=1), answered_at=moment)
    question.question, question.answer = "Welke dagen?", "Maandag, rond middernacht."
    db.session.add(question)
    db.session.add(SignalEvent(signal_id=signal.id, occurred_at=moment, from_status="aanvulling_gevraagd",
                               to_status="ingediend", reason_code="aanvulling_ontvangen"))
    db.session.commit()
    page = page_of(client, signal)
    assert "melder" in opened(page) and "nieuw antwoord" in page
    db.session.add(SignalEvent(signal_id=signal.id, occurred_at=moment + timedelta(minutes=5),
                               from_status="ingediend", to_status="intake"))
    signal.status = "intake"
    db.session.commit()
    assert "melder" not in opened(page_of(client, signal))  # handled since: closed again


@pytest.mark.parametrize("path, prefix, data", [
    ("notities", "notitie", {"text": ""}),
    ("legal-hold", "legal-hold", {"reason": ""}),
    ("status", "status", {"to_status": ""}),
])
def test_a_form_with_an_error_comes_back_open_with_its_section(client, coordinator, make_signal, path, prefix, data):
    signal = make_signal(None, channel="telefoon")
    page = page_of(client, signal)
    fields = {f"{prefix}-{k}": v for k, v in data.items()}
    version = re.search(rf'name="{prefix}-version"[^>]*value="(\d+)"', page)
    if version:
        fields[f"{prefix}-version"] = version.group(1)
    token = CSRF_RE.search(page).group(1)
    response = client.post(f"/meldingen/{signal.id}/{path}", data={"csrf_token": token, **fields})
    assert response.status_code == 200
    back = response.get_data(as_text=True)
    assert "utrecht-form-field-error-message" in back
    assert path in opened(back)
    if path == "notities":  # the form behind its toggle opens too
        assert re.search(r'<details class="app-form-toggle" open>\s*<summary[^>]*>Notitie schrijven', back)


def test_the_first_screen_is_not_a_table_of_contents(client, coordinator, make_signal):
    page = page_of(client, make_signal(None, channel="telefoon"))
    assert 'aria-label="Op deze pagina"' not in page
    assert page.index('class="app-case-header"') < page.index('class="app-workspace"')


def test_the_workflow_panel_is_read_once_per_page(client, coordinator, make_signal):
    """The header and the sections share one workflow panel: its weighings are read once."""
    from tests.helpers.queries import statements_of

    signal = make_signal(None, channel="telefoon")
    statements = statements_of(client, f"/meldingen/{signal.id}")
    assert sum(1 for s in statements if "FROM assessment" in s and "ORDER BY assessment.assessed_at" in s) == 1
    assert len(statements) < 60, len(statements)
