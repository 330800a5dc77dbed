"""Information received from the police: recorded by the coordinator, marked on the signal,
never in a referral package, and gone from the database when the case closes (README,
“Referrals and management information” and “Retention and destruction”)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import PoliceInformation, Referral, Signal
from casustafel.referrals import services
from casustafel.referrals.pdf import render_package
from casustafel.signals.workflow import transition
from tests.helpers.dumps import database_dump
from tests.helpers.referrals import client_for, create, decide_2b, events, make_scene, pdf_text, post

# Dates computed here (today, tomorrow, overdue, this year) are checked against the app's:
# both on the same pinned day (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("pinned_day")

POLICE_TEXT = "Politie POLICEMARK meldt eerdere aanhouding"
POLICE_REFERENCE = "PL0900-POLREFMARK"


@pytest.fixture
def scene(app, make_user, make_signal):
    return make_scene(make_user, make_signal)


def record_police_information(app, coordinator, signal):
    client = client_for(app, coordinator)
    response = post(client, f"/verstrekkingen/politie-informatie/{signal.id}", {
        "received_on": date.today().isoformat(), "police_reference": POLICE_REFERENCE, "content": POLICE_TEXT,
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def test_the_coordinator_records_police_information_and_sees_it_marked(app, scene):
    coordinator, _, signal = scene
    client = record_police_information(app, coordinator, signal)
    item = db.session.scalars(select(PoliceInformation)).one()
    assert item.content == POLICE_TEXT and item.police_reference == POLICE_REFERENCE
    assert b"POLICEMARK" not in item.content_enc
    assert events("police_information.recorded", item.id)
    page = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    assert "Van de politie ontvangen — niet verder verstrekken" in page
    assert "POLICEMARK" in page and "POLREFMARK" in page


def test_police_information_needs_content_and_a_date_not_in_the_future(app, scene):
    coordinator, _, signal = scene
    client = client_for(app, coordinator)
    response = post(client, f"/verstrekkingen/politie-informatie/{signal.id}", {
        "received_on": (date.today() + timedelta(days=1)).isoformat(), "police_reference": POLICE_REFERENCE,
        "content": "",
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Deze datum ligt in de toekomst." in page
    assert "Vul de ontvangen informatie in." in page and POLICE_REFERENCE in page
    assert db.session.scalar(select(PoliceInformation.id)) is None


def test_police_information_never_appears_in_a_package(app, scene):
    coordinator, officer, signal = scene
    record_police_information(app, coordinator, signal)
    every = ["fenomeen", "beschrijving", "betrokkenen", "geboortedata", "kvk", "adressen", "bronnen"]
    referral = create(app, coordinator, signal, data_categories=every)
    decide_2b(referral, every, officer=officer)
    client = client_for(app, coordinator)
    assert post(client, f"/verstrekkingen/{referral.id}/versturen").status_code == 302
    text = pdf_text(client.get(f"/verstrekkingen/{referral.id}/pakket.pdf").data)
    assert "SUMMARYMARK" in text and "PERSONMARK" in text  # the package does hold everything approved
    assert "POLICEMARK" not in text and "POLREFMARK" not in text and "politie" not in text.lower()
    with app.test_request_context():
        assert "POLICEMARK" not in pdf_text(render_package(referral, every))


def test_police_information_is_gone_from_the_database_when_the_case_closes(app, scene):
    coordinator, _, signal = scene
    record_police_information(app, coordinator, signal)
    signal = db.session.get(Signal, signal.id)
    item = db.session.scalars(select(PoliceInformation)).one()
    ciphertexts = [item.content_enc.hex(), item.police_reference_enc.hex()]
    dump, name = database_dump()
    assert all(c in dump.lower() for c in ciphertexts), f"the police information is not in the {name}"

    client = client_for(app, coordinator)
    response = post(client, f"/meldingen/{signal.id}/status", {
        "status-to_status": "afgesloten", "status-closing_reason": "doorgezet_afgerond",
        "status-version": str(signal.version),
    }, from_url=f"/meldingen/{signal.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Signal, signal.id).status == "afgesloten"
    assert db.session.scalar(select(PoliceInformation.id)) is None
    dump, name = database_dump()
    assert not any(c in dump.lower() for c in ciphertexts), f"police information left in the {name}"
    deleted = events("police_information.deleted", signal.id)
    assert len(deleted) == 1 and deleted[0].actor_id == coordinator.id
    page = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    assert "POLICEMARK" not in page and f"/verstrekkingen/politie-informatie/{signal.id}" not in page


def test_closing_keeps_the_police_information_of_other_signals(app, scene, make_signal):
    coordinator, _, signal = scene
    other = make_signal(status="doorgezet")
    services.add_police_information(coordinator, signal, received_on=date.today(), content="a", police_reference=None)
    services.add_police_information(coordinator, other, received_on=date.today(), content="b", police_reference=None)
    db.session.commit()
    transition(coordinator, signal, "afgesloten", reason_code="doorgezet_afgerond")
    db.session.commit()
    assert [p.signal_id for p in db.session.scalars(select(PoliceInformation))] == [other.id]


def test_closing_without_police_information_logs_no_deletion(app, scene):
    coordinator, _, signal = scene
    transition(coordinator, signal, "afgesloten", reason_code="doorgezet_afgerond")
    db.session.commit()
    assert not events("police_information.deleted")


def test_no_police_information_on_a_closed_signal(app, scene):
    coordinator, _, signal = scene
    transition(coordinator, signal, "afgesloten", reason_code="doorgezet_afgerond")
    db.session.commit()
    client = client_for(app, coordinator)
    response = post(client, f"/verstrekkingen/politie-informatie/{signal.id}", {
        "received_on": date.today().isoformat(), "content": POLICE_TEXT,
    })
    assert "afgesloten" in response.get_data(as_text=True)
    assert db.session.scalar(select(PoliceInformation.id)) is None
    assert db.session.scalar(select(Referral.id)) is None


def test_a_foreign_signal_answers_404_and_is_logged(app, scene, make_user):
    import uuid

    client = client_for(app, scene[0])
    missing = uuid.uuid4()
    assert client.get(f"/verstrekkingen/politie-informatie/{missing}").status_code == 404
    assert client.get(f"/verstrekkingen/nieuw/{missing}").status_code == 404
    assert len(events("access.denied", missing)) == 2
