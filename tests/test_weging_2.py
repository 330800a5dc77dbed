"""Weging 2 (issue 17): the intake records the municipal task or power, and so the competent
body, from a list the municipality maintains; a signal outside the municipality's tasks is
closed as "niet in behandeling — doorverwezen", naming to whom (stored encrypted)."""

import pytest
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import Assessment, AuditEvent, Power, Signal
from casustafel.signals.weighing import record_assessment, weighing_record
from casustafel.signals.workflow import TransitionError, closing_reasons
from tests.conftest import csrf_from, login
from tests.helpers.assessments import post_prefixed

INTAKE_YES = {"c_ondermijning": "ja", "c_gemeentelijke_taak": "ja", "c_grondgebied": "ja"}
REFERRED = "Veilig Thuis Utrecht — t.a.v. mevrouw Ølstad-Çelik"


def _power(basis: str) -> Power:
    return db.session.scalar(select(Power).where(Power.legal_basis == basis))


def _intake(client, signal, outcome, **fields):
    return post_prefixed(client, f"/meldingen/{signal.id}/weging/intake", "intake",
                         {**INTAKE_YES, "outcome": outcome, "rationale": "Onderbouwing weging 2", **fields})


@pytest.fixture
def coordinator(app, make_user):
    user = make_user("coordinator", name="Cora Regisseur")
    client = app.test_client()
    assert login(client, user.email).status_code == 200
    return user, client


def _reload(signal) -> Signal:
    db.session.expire_all()
    return db.session.get(Signal, signal.id)


def test_the_migration_seeds_powers_of_the_mayor_and_the_college():
    powers = db.session.scalars(select(Power).where(Power.active.is_(True))).all()
    by_body = {(p.body, p.legal_basis) for p in powers}
    assert ("burgemeester", "Opiumwet art. 13b") in by_body
    assert ("burgemeester", "Gemeentewet art. 174a") in by_body
    assert {("college", "Participatiewet"), ("college", "Wmo 2015"), ("college", "Jeugdwet")} <= by_body
    assert ("college", "Wet BRP") in by_body


def test_going_on_to_weging_3_records_the_power_and_the_competent_body(coordinator, make_signal):
    _, client = coordinator
    signal = make_signal(status="intake")
    power = _power("Opiumwet art. 13b")
    assert _intake(client, signal, "verder_naar_weging", power=str(power.id)).status_code == 302
    assessment = db.session.scalars(select(Assessment)).one()
    assert assessment.power_id == power.id and _reload(signal).status == "weging"
    [step] = [s for s in weighing_record(signal) if s.title.startswith("Intake")]
    assert ("Bevoegd orgaan", "Burgemeester") in step.details
    assert ("Taak of bevoegdheid", "Sluiting van een drugspand (Opiumwet art. 13b)") in step.details
    page = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    assert "Sluiting van een drugspand (Opiumwet art. 13b)" in page and "Burgemeester" in page


def test_going_on_without_a_power_is_refused_next_to_the_field_and_keeps_what_was_typed(coordinator, make_signal):
    _, client = coordinator
    signal = make_signal(status="intake")
    response = post_prefixed(client, f"/meldingen/{signal.id}/weging/intake", "intake", {
        **INTAKE_YES, "outcome": "verder_naar_weging", "power": "", "rationale": "Getypt: blijft staan ✓"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="intake-power-error"' in body and "Kies de taak of bevoegdheid" in body
    assert "Getypt: blijft staan ✓" in body
    assert db.session.scalars(select(Assessment)).all() == [] and _reload(signal).status == "intake"


@pytest.mark.parametrize("value", ["999999", "abc", "-1", "1e3"])
def test_an_unknown_or_inactive_power_is_refused(coordinator, make_signal, value):
    user, client = coordinator
    signal = make_signal(status="intake")
    response = _intake(client, signal, "verder_naar_weging", power=value)
    assert response.status_code == 200 and "staat niet (meer) in de lijst" in response.get_data(as_text=True)
    inactive = _power("Gemeentewet art. 151c")
    inactive.active = False
    db.session.commit()
    response = _intake(client, signal, "verder_naar_weging", power=str(inactive.id))
    assert response.status_code == 200 and db.session.scalars(select(Assessment)).all() == []
    with pytest.raises(TransitionError):  # the service refuses it too
        record_assessment(user, signal, "intake", answers={"ondermijning": True, "gemeentelijke_taak": True,
                                                             "grondgebied": True},
                          outcome="verder_naar_weging", rationale="r", power=inactive)


def test_not_taken_into_handling_and_referred_names_to_whom_encrypted(coordinator, make_signal):
    _, client = coordinator
    signal = make_signal(status="intake")
    answers = {**INTAKE_YES, "c_gemeentelijke_taak": "nee"}  # not a municipal task
    response = post_prefixed(client, f"/meldingen/{signal.id}/weging/intake", "intake", {
        **answers, "outcome": "doorverwijzen", "referred_to": REFERRED, "rationale": "Geen taak van de gemeente."})
    assert response.status_code == 302
    signal = _reload(signal)
    assert (signal.status, signal.closing_reason) == ("afgesloten", "doorverwezen")
    assessment = db.session.scalars(select(Assessment)).one()
    assert assessment.referred_to == REFERRED and REFERRED.encode() not in assessment.referred_to_enc
    [step] = [s for s in weighing_record(signal) if s.title.startswith("Intake")]
    assert ("Doorverwezen naar", REFERRED) in step.details
    assert "Niet in behandeling" in step.outcome
    logged = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "assessment.recorded")).one()
    assert logged.reason_code == "doorverwijzen"


def test_referring_needs_to_whom_and_the_reason_is_not_offered_by_hand(coordinator, make_signal):
    _, client = coordinator
    signal = make_signal(status="intake")
    response = _intake(client, signal, "doorverwijzen", referred_to="   ")
    assert response.status_code == 200 and "naar wie het signaal is doorverwezen" in response.get_data(as_text=True)
    assert _reload(signal).status == "intake"
    # The status form and the weighing's own closing list do not offer it: only weging 2 records to whom.
    assert "doorverwezen" not in closing_reasons("intake")
    page = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    assert 'value="doorverwezen"' not in page
    forged = client.post(f"/meldingen/{signal.id}/status", data={
        "csrf_token": csrf_from(client.get(f"/meldingen/{signal.id}")), "status-to_status": "afgesloten",
        "status-closing_reason": "doorverwezen", "status-version": str(signal.version)})
    assert forged.status_code == 200 and _reload(signal).status == "intake"


def test_the_admin_adds_and_retires_a_power(app, make_user):
    admin = make_user("admin")
    client = app.test_client()
    assert login(client, admin.email).status_code == 200
    token = csrf_from(client.get("/beheer/bevoegdheden"))
    bad = client.post("/beheer/bevoegdheden", data={"csrf_token": token, "body": "college", "label": "x" * 201,
                                                    "legal_basis": "Woningwet"})
    assert bad.status_code == 200 and "hooguit 200 tekens" in bad.get_data(as_text=True)
    assert "x" * 201 in bad.get_data(as_text=True)  # kept
    response = client.post("/beheer/bevoegdheden", data={
        "csrf_token": token, "body": "burgemeester", "label": "Woningsluiting bij ondermijning – Ærø",
        "legal_basis": "Woningwet art. 17"})
    assert response.status_code == 302
    power = db.session.scalar(select(Power).where(Power.legal_basis == "Woningwet art. 17"))
    assert power.active and power.body == "burgemeester"
    twice = client.post("/beheer/bevoegdheden", data={"csrf_token": token, "body": "burgemeester",
                                                      "label": "woningsluiting bij ondermijning – ærø",
                                                      "legal_basis": "Woningwet art. 17"})
    assert "staat al in de lijst" in twice.get_data(as_text=True)
    assert client.post(f"/beheer/bevoegdheden/{power.id}/in-gebruik", data={"csrf_token": token}).status_code == 302
    db.session.refresh(power)
    assert not power.active
    actions = [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("power.%"))
                                                     .order_by(AuditEvent.seq))]
    assert actions == ["power.created", "power.deactivated"]


def test_check_2b_records_the_powers_the_data_serve_and_the_record_shows_them(make_user, make_signal):
    from casustafel.privacy.decisions import DecisionError, decide_privacy_check
    from casustafel.privacy.services import request_privacy_check
    from tests.helpers.powers import power_ids

    coordinator, officer = make_user("coordinator"), make_user("privacy_officer")
    signal = make_signal(status="besproken")
    check = request_privacy_check(coordinator, signal, "2B")
    db.session.commit()
    with pytest.raises(DecisionError, match="minstens één bevoegdheid"):
        decide_privacy_check(officer, check, approved=True, rationale="r", allowed_fields=["adressen"])
    db.session.rollback()
    retired = _power("Gemeentewet art. 151c")
    retired.active = False
    db.session.commit()
    with pytest.raises(DecisionError, match="niet \\(meer\\) in de lijst"):
        decide_privacy_check(officer, check, approved=True, rationale="r", allowed_fields=["adressen"],
                             powers=[retired.id])
    db.session.rollback()
    decide_privacy_check(officer, check, approved=True, rationale="r", allowed_fields=["adressen"],
                         powers=power_ids("Wet BRP"))
    db.session.commit()
    [step] = [s for s in weighing_record(signal) if s.title.startswith("Privacytoets 2B")]
    assert ("Bevoegdheden (weging 5)",
            "College van burgemeester en wethouders — Adresonderzoek en bijhouding van de basisregistratie "
            "personen (Wet BRP)") in step.details


def test_the_last_power_in_use_cannot_be_retired(app, make_user):
    admin = make_user("admin")
    client = app.test_client()
    assert login(client, admin.email).status_code == 200
    last = _power("Opiumwet art. 13b")
    for power in db.session.scalars(select(Power).where(Power.id != last.id)):
        power.active = False
    db.session.commit()
    token = csrf_from(client.get("/beheer/bevoegdheden"))
    response = client.post(f"/beheer/bevoegdheden/{last.id}/in-gebruik", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.refresh(last)
    assert last.active
    assert "laatste taak of bevoegdheid" in client.get("/beheer/bevoegdheden").get_data(as_text=True)
