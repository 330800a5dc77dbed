"""The coordinator's inbox: filters, sorting, pagination, the waiting-too-long marker, the log
and the number of queries (README “The casustafel workflow”, docs/security.md "Access log")."""

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import AuditEvent, Phenomenon, Signal
from casustafel.settings import set_setting
from tests.helpers.queries import statements_of

REF_RE = re.compile(r'href="/meldingen/[0-9a-f-]+">(SIG-\d{4}-\d{4})</a>')


def phenomenon(name: str) -> int:
    return db.session.scalar(select(Phenomenon.id).where(Phenomenon.name == name))


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def listed(response) -> list[str]:
    assert response.status_code == 200
    return REF_RE.findall(response.get_data(as_text=True))


@pytest.fixture
def coordinator(make_user, login_as):
    user = make_user("coordinator")
    login_as(user)
    return user


@pytest.fixture
def seeded(make_signal):
    """Seven signals with known status, phenomenon, channel, urgency and age (days)."""
    hennep, handel = phenomenon("Hennepteelt"), phenomenon("Drugshandel")
    horeca = db.session.scalar(select(Phenomenon.id).where(Phenomenon.name.like("Malafide horeca%")))
    rows = {
        # name: (status, phenomenon, channel, urgent, days ago)
        "new_old": ("ingediend", hennep, "meldpunt", False, 30),
        "new_recent": ("ingediend", handel, "telefoon", True, 2),
        "intake_old": ("intake", horeca, "politie", False, 12),
        "weging_old": ("weging", hennep, "riec", False, 40),
        "closed": ("afgesloten", handel, "meldpunt", False, 20),
        "question": ("aanvulling_gevraagd", horeca, "meldpunt", True, 5),
        "agenda": ("geagendeerd", None, "mma", False, 1),
    }
    signals = {}
    for name, (status, phen, channel, urgent, days) in rows.items():
        signals[name] = make_signal(
            None, status=status, phenomenon_id=phen, channel=channel, urgent=urgent,
            received_at=utcnow() - timedelta(days=days, hours=1),
        )
    return {name: s.reference for name, s in signals.items()}


def refs(seeded, *names) -> set[str]:
    return {seeded[n] for n in names}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ("new_old", "new_recent", "intake_old", "weging_old", "closed", "question", "agenda")),
        ("status=open", ("new_old", "new_recent", "intake_old", "weging_old", "question", "agenda")),
        ("status=ingediend", ("new_old", "new_recent")),
        ("status=afgesloten", ("closed",)),
        ("status=aanvulling_gevraagd", ("question",)),
        ("kanaal=meldpunt", ("new_old", "closed", "question")),
        ("urgentie=urgent", ("new_recent", "question")),
        ("urgentie=niet_urgent", ("new_old", "intake_old", "weging_old", "closed", "agenda")),
        ("ouder_dan=10", ("new_old", "intake_old", "weging_old", "closed")),
        ("ouder_dan=0", ("new_old", "new_recent", "intake_old", "weging_old", "closed", "question", "agenda")),
        ("status=open&kanaal=meldpunt&ouder_dan=10", ("new_old",)),
    ],
)
def test_the_inbox_filters_by_status_channel_urgency_and_age(client, coordinator, seeded, query, expected):
    assert set(listed(client.get(f"/meldingen?{query}"))) == refs(seeded, *expected)


def test_a_parent_phenomenon_includes_its_children_and_a_child_only_itself(client, coordinator, seeded):
    drugs = phenomenon("Drugs")
    assert set(listed(client.get(f"/meldingen?fenomeen={drugs}"))) == refs(
        seeded, "new_old", "new_recent", "weging_old", "closed")
    hennep = phenomenon("Hennepteelt")
    assert set(listed(client.get(f"/meldingen?fenomeen={hennep}"))) == refs(seeded, "new_old", "weging_old")


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("nieuwste", ("agenda", "new_recent", "question", "intake_old", "closed", "new_old", "weging_old")),
        ("oudste", ("weging_old", "new_old", "closed", "intake_old", "question", "new_recent", "agenda")),
        # workflow order: ingediend, intake, weging, …, geagendeerd, …, aanvulling gevraagd, …, afgesloten
        ("status", ("new_old", "new_recent", "intake_old", "weging_old", "agenda", "question", "closed")),
        ("urgentie", ("question", "new_recent", "weging_old", "new_old", "closed", "intake_old", "agenda")),
    ],
)
def test_the_inbox_sorts_by_received_date_status_and_urgency(client, coordinator, seeded, sort, expected):
    assert listed(client.get(f"/meldingen?sorteren={sort}")) == [seeded[n] for n in expected]


def test_newest_first_is_the_default_order(client, coordinator, seeded):
    assert listed(client.get("/meldingen")) == listed(client.get("/meldingen?sorteren=nieuwste"))


def test_signals_waiting_too_long_carry_a_text_marker(client, coordinator, seeded):
    def marked(response):
        rows = response.get_data(as_text=True).split("<tr ")[2:]
        return {REF_RE.search(r).group(1) for r in rows if "Wacht te lang" in r}

    response = client.get("/meldingen")
    assert marked(response) == refs(seeded, "new_old", "intake_old")  # weging and closed are not waiting
    assert "meer dan 10 dagen geleden ontvangen" in text_of(response)

    set_setting("waiting_too_long_days", "1")
    db.session.commit()
    assert marked(client.get("/meldingen")) == refs(seeded, "new_old", "intake_old", "new_recent")


def test_pages_hold_25_signals_and_the_links_keep_the_filters(client, coordinator, make_signal):
    for n in range(55):
        make_signal(None, channel="telefoon", received_at=utcnow() - timedelta(minutes=n))
    make_signal(None, channel="politie")

    first = client.get("/meldingen?kanaal=telefoon&sorteren=oudste")
    page_one = listed(first)
    assert len(page_one) == 25
    assert "55 meldingen gevonden" in text_of(first)
    links = re.findall(r'href="(/meldingen\?[^"]+)"', first.get_data(as_text=True))
    (next_link,) = [html.unescape(link) for link in links if "pagina=2" in link]
    assert "kanaal=telefoon" in next_link and "sorteren=oudste" in next_link
    assert "Vorige pagina" not in text_of(first)

    second = client.get(next_link)
    page_two = listed(second)
    assert "Meldingen, pagina 2" in text_of(second) and "Vorige pagina" in text_of(second)
    third = client.get("/meldingen?kanaal=telefoon&sorteren=oudste&pagina=3")
    page_three = listed(third)
    assert len(page_two) == 25 and len(page_three) == 5
    assert "Volgende pagina" in text_of(second) and "Volgende pagina" not in text_of(third)
    assert len(set(page_one + page_two + page_three)) == 55
    received = {s.reference: s.received_at for s in db.session.scalars(select(Signal))}
    assert [received[r] for r in page_one] == sorted(received[r] for r in page_one)  # oldest first
    past_the_end = client.get("/meldingen?kanaal=telefoon&pagina=99")  # not counted, so not the last page:
    assert listed(past_the_end) == []  # an empty page that leads back to the first
    assert "Op deze pagina staan geen meldingen meer." in text_of(past_the_end)
    (back,) = re.findall(r'href="([^"]+)">Naar de eerste pagina', past_the_end.get_data(as_text=True))
    assert "kanaal=telefoon" in back and "pagina" not in back


def test_the_filter_form_is_a_labelled_get_form(client, coordinator):
    page = client.get("/meldingen").get_data(as_text=True)
    form = re.search(r"<form method=\"get\".*?</form>", page, re.DOTALL).group(0)
    assert "csrf_token" not in form
    for name in ("status", "fenomeen", "kanaal", "urgentie", "ouder_dan", "sorteren"):
        assert f'name="{name}"' in form, name
        assert f'<label class="utrecht-form-label" for="{name}">' in form, name
    assert "Alle open meldingen (niet afgesloten)" in form


@pytest.mark.parametrize("query", ["ouder_dan=abc", "ouder_dan=-1", "status=verzonnen", "fenomeen=999999",
                                   "kanaal=twitter", "sorteren=naam", "urgentie=soms"])
def test_a_wrong_filter_value_gets_a_message_and_is_ignored(client, coordinator, seeded, query):
    response = client.get(f"/meldingen?{query}")
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert len(listed(response)) == len(seeded)


def test_listing_is_logged_without_the_filter_values(client, coordinator, seeded):
    client.get("/meldingen?status=ingediend&kanaal=politie&ouder_dan=17&sorteren=oudste")
    (event_,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "signal.listed")).all()
    assert (event_.actor_id, event_.actor_role, event_.result) == (coordinator.id, "coordinator", "success")
    assert (event_.object_type, event_.object_id, event_.subject_pseudonyms, event_.reason_code) == (
        "signal", None, None, None)
    free_text = " ".join(str(v) for v in (event_.action, event_.purpose, event_.origin))
    for value in ("ingediend", "politie", "17", "oudste"):
        assert value not in free_text, value


def test_the_inbox_needs_no_query_per_row(app, client, coordinator, make_signal):
    hennep = phenomenon("Hennepteelt")

    def statements_for_inbox():
        return len(statements_of(client, "/meldingen"))

    for _ in range(2):
        make_signal(None, phenomenon_id=hennep)
    few = statements_for_inbox()
    for _ in range(20):
        make_signal(None, phenomenon_id=hennep)
    assert statements_for_inbox() == few


@pytest.mark.parametrize("role", ["reporter", "member", "privacy_officer", "admin"])
def test_only_the_coordinator_sees_the_inbox_and_a_refusal_is_logged(client, make_user, login_as, seeded, role):
    user = make_user(role)
    login_as(user)
    response = client.get("/meldingen")
    assert response.status_code == 403
    assert not set(seeded.values()) & set(REF_RE.findall(response.get_data(as_text=True)))
    denial = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")).one()
    assert (denial.actor_id, denial.object_id, denial.result) == (user.id, "signals.inbox", "denied")


def test_the_inbox_shows_no_names_reporters_or_content(client, coordinator, make_user, make_signal):
    reporter = make_user("reporter", name="Rik Rapport")
    signal = make_signal(reporter, description="Afgeplakte ramen", person=("Truus Tulp", "1980-01-01"),
                         address=("3511 AB", "3"))
    page = text_of(client.get("/meldingen"))
    assert signal.reference in page
    for secret in ("Rik Rapport", "Afgeplakte ramen", "Truus Tulp", "3511 AB"):
        assert secret not in page, secret
