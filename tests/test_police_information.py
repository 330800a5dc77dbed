"""Information received from the police (the first source of restricted received information,
tests/test_received_information.py has the rest): recorded by the coordinator with its Wpg
ground, marked on the signal, never in a referral package without an approved exception, and
gone from the database when the case closes (README, “Referrals and management information”
and “Retention and destruction”)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import ReceivedInformation, Referral, Signal
from casustafel.referrals import received_services as services
from casustafel.referrals.pdf import render_package
from casustafel.signals.workflow import transition
from tests.helpers.dumps import database_dump
from tests.helpers.referrals import client_for, create, decide_2b, events, make_scene, pdf_text, post

# Dates computed here (today, tomorrow, overdue, this year) are checked against the app's:
# both on the same pinned day (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("pinned_day")

POLICE_TEXT = "Politie POLICEMARK meldt eerdere aanhouding"
POLICE_REFERENCE = "PL0900-POLREFMARK"
CONDITIONS = "Alleen voor de burgemeester CONDMARK"
RECIPIENTS = "Burgemeester RECIPMARK"
URL = "/verstrekkingen/ontvangen-informatie/{}"


@pytest.fixture
def scene(app, make_user, make_signal):
    return make_scene(make_user, make_signal)


def record_police_information(app, coordinator, signal):
    client = client_for(app, coordinator)
    response = post(client, URL.format(signal.id), {
        "ground": "wpg_20", "received_on": date.today().isoformat(), "provider_reference": POLICE_REFERENCE,
        "content": POLICE_TEXT, "conditions": CONDITIONS, "recipients": RECIPIENTS,
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def test_the_coordinator_records_police_information_and_sees_it_marked(app, scene):
    coordinator, _, signal = scene
    client = record_police_information(app, coordinator, signal)
    item = db.session.scalars(select(ReceivedInformation)).one()
    assert (item.source, item.ground, item.delete_on_close) == ("politie", "wpg_20", True)
    assert item.content == POLICE_TEXT and item.provider_reference == POLICE_REFERENCE
    assert item.conditions == CONDITIONS and item.recipients == RECIPIENTS
    for blob in (item.content_enc, item.provider_reference_enc, item.conditions_enc, item.recipients_enc):
        assert b"MARK" not in blob
    recorded = events("received_information.recorded", item.id)
    assert len(recorded) == 1 and recorded[0].purpose == "casustafel" and recorded[0].reason_code == "politie"
    page = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    assert "Ontvangen van politie, OM, Bureau Bibob of een RIEC-partner — niet verder verstrekken" in page
    assert "Art. 20 Wpg (samenwerkingsverband, met voorwaarden)" in page
    assert all(mark in page for mark in ("POLICEMARK", "POLREFMARK", "CONDMARK", "RECIPMARK"))


def test_police_information_needs_a_ground_content_and_a_date_not_in_the_future(app, scene):
    coordinator, _, signal = scene
    client = client_for(app, coordinator)
    response = post(client, URL.format(signal.id), {
        "ground": "", "received_on": (date.today() + timedelta(days=1)).isoformat(),
        "provider_reference": POLICE_REFERENCE, "content": "", "conditions": CONDITIONS,
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Deze datum ligt in de toekomst." in page
    assert "Vul de ontvangen informatie in." in page and POLICE_REFERENCE in page and CONDITIONS in page
    assert "Kies de bron en de grondslag waaronder de informatie is ontvangen." in page
    assert db.session.scalar(select(ReceivedInformation.id)) is None


@pytest.mark.parametrize("ground", ["onbekend", "wpg_99", "avg_6_1_e_riec"])
def test_an_unknown_or_old_ground_is_refused_next_to_the_field(app, scene, ground):
    """‘Onbekend’ is only for rows recorded before the ground was asked (migration 0020)."""
    coordinator, _, signal = scene
    response = post(client_for(app, coordinator), URL.format(signal.id), {
        "ground": ground, "received_on": date.today().isoformat(), "content": POLICE_TEXT,
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Kies de bron en de grondslag uit de lijst." in page
    assert POLICE_TEXT in page
    assert db.session.scalar(select(ReceivedInformation.id)) is None


def test_police_information_never_appears_in_a_package_without_an_exception(app, scene):
    coordinator, officer, signal = scene
    record_police_information(app, coordinator, signal)
    every = ["fenomeen", "beschrijving", "betrokkenen", "geboortedata", "kvk", "adressen", "bronnen"]
    referral = create(app, coordinator, signal, data_categories=every)
    decide_2b(referral, every, officer=officer)
    client = client_for(app, coordinator)
    assert post(client, f"/verstrekkingen/{referral.id}/versturen", {"bevestigen": "ja"}).status_code == 302
    text = pdf_text(client.get(f"/verstrekkingen/{referral.id}/pakket.pdf").data)
    assert "SUMMARYMARK" in text and "PERSONMARK" in text  # the package does hold everything approved
    assert "DESCRMARK" not in text  # the reporter's own words never go (the summary does)
    assert not any(mark in text for mark in ("POLICEMARK", "POLREFMARK", "CONDMARK", "RECIPMARK"))
    assert "politie" not in text.lower() and "Ontvangen informatie" not in text
    with app.test_request_context():
        assert "POLICEMARK" not in pdf_text(render_package(referral, every))


def test_police_information_is_gone_from_the_database_when_the_case_closes(app, scene):
    coordinator, _, signal = scene
    record_police_information(app, coordinator, signal)
    signal = db.session.get(Signal, signal.id)
    item = db.session.scalars(select(ReceivedInformation)).one()
    ciphertexts = [item.content_enc.hex(), item.provider_reference_enc.hex(), item.conditions_enc.hex(),
                   item.recipients_enc.hex()]
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
    assert db.session.scalar(select(ReceivedInformation.id)) is None
    dump, name = database_dump()
    assert not any(c in dump.lower() for c in ciphertexts), f"police information left in the {name}"
    deleted = events("received_information.deleted", signal.id)
    assert len(deleted) == 1 and deleted[0].actor_id == coordinator.id and deleted[0].purpose == "bewaartermijn"
    page = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    assert "POLICEMARK" not in page and URL.format(signal.id) not in page


def test_closing_keeps_the_police_information_of_other_signals(app, scene, make_signal):
    coordinator, _, signal = scene
    other = make_signal(status="doorgezet")
    services.add_received_information(coordinator, signal, ground="wpg_19", received_on=date.today(), content="a")
    services.add_received_information(coordinator, other, ground="wpg_19", received_on=date.today(), content="b")
    db.session.commit()
    transition(coordinator, signal, "afgesloten", reason_code="doorgezet_afgerond")
    db.session.commit()
    assert [p.signal_id for p in db.session.scalars(select(ReceivedInformation))] == [other.id]


def test_closing_without_police_information_logs_no_deletion(app, scene):
    coordinator, _, signal = scene
    transition(coordinator, signal, "afgesloten", reason_code="doorgezet_afgerond")
    db.session.commit()
    assert not events("received_information.deleted")


def test_no_police_information_on_a_closed_signal(app, scene):
    coordinator, _, signal = scene
    transition(coordinator, signal, "afgesloten", reason_code="doorgezet_afgerond")
    db.session.commit()
    client = client_for(app, coordinator)
    response = post(client, URL.format(signal.id), {
        "ground": "wpg_16_1_c", "received_on": date.today().isoformat(), "content": POLICE_TEXT,
    })
    assert "afgesloten" in response.get_data(as_text=True)
    assert db.session.scalar(select(ReceivedInformation.id)) is None
    assert db.session.scalar(select(Referral.id)) is None


def test_a_foreign_signal_answers_404_and_is_logged(app, scene, make_user):
    import uuid

    client = client_for(app, scene[0])
    missing = uuid.uuid4()
    assert client.get(URL.format(missing)).status_code == 404
    assert client.get(f"/verstrekkingen/nieuw/{missing}").status_code == 404
    assert len(events("access.denied", missing)) == 2
