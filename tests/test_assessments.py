"""Weighings on a signal: intake (CCV weging 1-2), weging 3 and weging 4, and the workspace panel.

README “The casustafel workflow” (the life of a signal), STYLE.md (one transaction: row, status change and log
event together). Helpers here are shared by test_privacy_checks.py and test_source_checks.py.
"""

import re
import uuid

import pytest
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import Assessment, AuditEvent, Power, Signal, SignalEvent
from casustafel.signals.weighing import record_assessment
from casustafel.signals.workflow import TransitionError
from tests.conftest import status_events
from tests.helpers.assessments import events, fail_commit_with, post_prefixed, reload

RATIONALE = "Onderbouwing-7c1e: lokale verankering via het pand."
INTAKE_YES = {"c_ondermijning": "ja", "c_gemeentelijke_taak": "ja", "c_grondgebied": "ja"}
WEGING_YES = {"c_concreet": "ja", "c_recent": "ja", "c_trend": "ja"}
NEXT_STEP_YES = {"c_hits": "ja", "c_actueel": "ja"}


# Shared helpers -------------------------------------------------------------------------------


def power_13b() -> Power:
    return db.session.scalar(select(Power).where(Power.legal_basis == "Opiumwet art. 13b"))


def weigh(client, signal, kind, answers, outcome, rationale=RATIONALE, **extra):
    """Post a weighing form; an intake that goes on names the 13b power (weging 2) unless
    `power` is given."""
    if kind == "intake" and outcome == "verder_naar_weging":
        extra.setdefault("power", str(power_13b().id))
    return post_prefixed(client, f"/meldingen/{signal.id}/weging/{kind}", kind,
                         {**answers, "outcome": outcome, "rationale": rationale, **extra})


@pytest.fixture
def coordinator(make_user, login_as):
    user = make_user("coordinator", name="Cora Regisseur")
    login_as(user)
    return user


# Intake ---------------------------------------------------------------------------------------


def test_intake_on_a_new_signal_moves_it_through_intake_to_weging(client, coordinator, make_signal):
    signal = make_signal()
    response = weigh(client, signal, "intake", INTAKE_YES, "verder_naar_weging")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/meldingen/{signal.id}#wegingen")

    assert reload(Signal, signal.id).status == "weging"
    steps = status_events(signal.id)
    assert [(e.from_status, e.to_status) for e in steps] == [("ingediend", "intake"), ("intake", "weging")]
    assessment = db.session.scalars(select(Assessment)).one()
    assert assessment.kind == "intake" and assessment.outcome == "verder_naar_weging"
    assert assessment.answers == {"ondermijning": True, "gemeentelijke_taak": True, "grondgebied": True}
    assert assessment.assessed_by_id == coordinator.id
    assert assessment.rationale == RATIONALE
    assert b"7c1e" not in assessment.rationale_enc


def test_recording_a_weighing_writes_one_log_event_without_the_rationale(client, coordinator, make_signal):
    signal = make_signal(status="intake")
    weigh(client, signal, "intake", INTAKE_YES, "verder_naar_weging")
    assessment = db.session.scalars(select(Assessment)).one()
    [event] = events("assessment.recorded", assessment.id)
    assert event.actor_id == coordinator.id and event.purpose == "casustafel"
    assert event.reason_code == "verder_naar_weging"
    for ev in db.session.scalars(select(AuditEvent)):
        assert "7c1e" not in " ".join(str(v) for v in vars(ev).values())


def test_a_no_at_intake_cannot_lead_to_the_weging(client, coordinator, make_signal):
    signal = make_signal(status="intake")
    answers = {**INTAKE_YES, "c_grondgebied": "nee"}
    response = weigh(client, signal, "intake", answers, "verder_naar_weging")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "kan de melding niet door naar de weging" in body
    assert 'id="intake-outcome-error"' in body  # the message sits next to the field
    assert "7c1e" in body  # what was typed is kept
    assert reload(Signal, signal.id).status == "intake"
    assert db.session.scalars(select(Assessment)).all() == []
    assert events("assessment.recorded") == []


def test_the_service_refuses_a_no_at_intake_that_leads_to_the_weging(coordinator, make_signal):
    signal = make_signal(status="intake")
    with pytest.raises(TransitionError, match="niet door naar de weging"):
        record_assessment(coordinator, signal, "intake", answers={"ondermijning": False, "gemeentelijke_taak": True,
                                                                   "grondgebied": True},
                          outcome="verder_naar_weging", rationale="r")
    db.session.rollback()


def test_intake_closes_the_signal_with_the_chosen_reason(client, coordinator, make_signal):
    signal = make_signal()
    answers = {**INTAKE_YES, "c_grondgebied": "nee"}
    weigh(client, signal, "intake", answers, "afsluiten", closing_reason="buiten_gemeente")
    signal = reload(Signal, signal.id)
    assert (signal.status, signal.closing_reason) == ("afgesloten", "buiten_gemeente")
    assert db.session.scalars(select(Assessment)).one().answers["grondgebied"] is False


def test_closing_at_intake_needs_a_reason(client, coordinator, make_signal):
    signal = make_signal(status="intake")
    response = weigh(client, signal, "intake", INTAKE_YES, "afsluiten")
    assert "Kies een reden om de melding af te sluiten." in response.get_data(as_text=True)
    assert reload(Signal, signal.id).status == "intake"


def test_every_criterion_and_the_rationale_are_required(client, coordinator, make_signal):
    signal = make_signal(status="intake")
    response = weigh(client, signal, "intake", {}, "verder_naar_weging", rationale="  ")
    body = response.get_data(as_text=True)
    assert body.count("Beantwoord deze vraag met ja of nee.") == 2 * 3  # summary and field
    assert "Vul de onderbouwing in." in body
    assert db.session.scalars(select(Assessment)).all() == []


def test_an_outcome_of_the_other_weighing_is_refused(client, coordinator, make_signal):
    signal = make_signal(status="intake")
    response = weigh(client, signal, "intake", INTAKE_YES, "bronnenonderzoek")
    assert response.status_code == 200 and "Controleer het formulier" in response.get_data(as_text=True)
    assert reload(Signal, signal.id).status == "intake"


# Weging 3 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("outcome", "status", "reason"), [
    ("bronnenonderzoek", "bronnenonderzoek", None),
    ("afdeling_regie", "weging", None),  # a handover: doorgezet once its referral is sent
    ("riec_regie", "weging", None),
    ("afsluiten", "afgesloten", "geen_vervolg"),
])
def test_each_weging_outcome_leads_to_its_status(client, coordinator, make_signal, outcome, status, reason):
    signal = make_signal(status="weging")
    weigh(client, signal, "weging", {**WEGING_YES, "c_trend": "nee"}, outcome)
    signal = reload(Signal, signal.id)
    assert (signal.status, signal.closing_reason) == (status, reason)
    assessment = db.session.scalars(select(Assessment)).one()
    assert (assessment.kind, assessment.outcome) == ("weging", outcome)
    assert assessment.answers == {"concreet": True, "recent": True, "trend": False}


@pytest.mark.parametrize(("kind", "status"), [("intake", "weging"), ("weging", "intake"),
                                              ("weging", "bronnenonderzoek"), ("intake", "afgesloten")])
def test_a_weighing_that_does_not_fit_the_status_is_refused(client, coordinator, make_signal, kind, status):
    signal = make_signal(status=status, next_step=None)
    answers = INTAKE_YES if kind == "intake" else WEGING_YES
    outcome = "verder_naar_weging" if kind == "intake" else "doorzetten"
    response = client.get(weigh(client, signal, kind, answers, outcome).headers["Location"])
    assert "past niet bij de status" in response.get_data(as_text=True)
    assert reload(Signal, signal.id).status == status
    assert db.session.scalars(select(Assessment)).all() == []


def test_an_unknown_weighing_kind_is_not_found(client, coordinator, make_signal):
    signal = make_signal()
    assert weigh(client, signal, "weging4", {}, "x").status_code == 404


def test_a_weighing_on_an_unknown_signal_is_404_and_logged_as_denied(client, coordinator):
    missing = uuid.uuid4()
    response = post_prefixed(client, f"/meldingen/{missing}/weging/intake", "intake", INTAKE_YES)
    assert response.status_code == 404
    [denial] = events("access.denied", missing)
    assert denial.result == "denied" and denial.actor_id == coordinator.id


@pytest.mark.parametrize("role", ["reporter", "member", "privacy_officer", "admin"])
def test_only_the_coordinator_records_a_weighing(client, make_user, login_as, make_signal, role):
    user = make_user(role)
    signal = make_signal(user)
    login_as(user)
    assert weigh(client, signal, "intake", INTAKE_YES, "verder_naar_weging").status_code == 403
    assert reload(Signal, signal.id).status == "ingediend"


def test_a_weighing_and_its_log_event_fail_together(client, coordinator, make_signal, monkeypatch):
    signal = make_signal()
    state = fail_commit_with(monkeypatch, "assessment.recorded")
    response = weigh(client, signal, "intake", INTAKE_YES, "verder_naar_weging")
    assert state["failed"] and response.status_code == 503
    monkeypatch.undo()
    assert reload(Signal, signal.id).status == "ingediend"
    assert db.session.scalars(select(Assessment)).all() == []
    assert db.session.scalars(select(SignalEvent)).all() == []
    assert events("assessment.recorded") == [] and events("signal.status_changed") == []


# The workspace panel --------------------------------------------------------------------------


def test_the_workspace_offers_the_intake_for_a_new_signal(client, coordinator, make_signal):
    signal = make_signal()
    body = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    # The section with the next step's form is open; the form waits for no click.
    assert re.search(r'<details class="app-section" open>\s*<summary[^>]*><h2[^>]*>Wegingen', body)
    assert "Intake (weging 1 en 2) vastleggen" in body
    assert f'action="/meldingen/{signal.id}/weging/intake"' in body
    assert "Weging 3 vastleggen" not in body and "Privacytoets 1 aanvragen" not in body


def test_the_workspace_shows_recorded_weighings_and_offers_the_next_step(client, coordinator, make_signal):
    signal = make_signal()
    weigh(client, signal, "intake", INTAKE_YES, "verder_naar_weging")
    body = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    assert "Is er minstens één indicator van lokale verankering" in body
    assert "Verder naar de weging" in body and "7c1e" in body and "Cora Regisseur" in body
    assert "Intake (weging 1 en 2) vastleggen" not in body
    assert "Weging 3 vastleggen" in body
    assert "Privacytoets 1 aanvragen" in body  # can be asked during the weging


def test_the_workspace_offers_no_weighing_once_closed(client, coordinator, make_signal):
    signal = make_signal(status="afgesloten")
    body = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    assert "Er is nog geen weging vastgelegd." in body
    assert "vastleggen</h3>" not in body


# Weging 4: the next step after the source checks ---------------------------------------------------


def test_weging_4_is_offered_in_the_source_checks_and_the_casustafel_keeps_the_signal_there(
        client, coordinator, make_signal):
    signal = make_signal(status="bronnenonderzoek", next_step=None)
    page = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    assert "Weging 4 (vervolgstap) vastleggen" in page and "Bespreken in het gemeentelijk casusoverleg" in page

    response = weigh(client, signal, "vervolgstap", NEXT_STEP_YES, "casusoverleg")
    assert response.status_code == 302
    assert reload(Signal, signal.id).status == "bronnenonderzoek"
    assert db.session.scalars(select(SignalEvent)).all() == []  # no status change, only the weighing
    weighing = db.session.scalars(select(Assessment)).one()
    assert (weighing.kind, weighing.outcome, weighing.answers) == (
        "vervolgstap", "casusoverleg", {"hits": True, "actueel": True})
    assert [e.reason_code for e in events("assessment.recorded", weighing.id)] == ["casusoverleg"]
    page = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    assert "Weging 4 (vervolgstap)" in page and RATIONALE in page


def test_weging_4_closes_without_a_usable_hit(client, coordinator, make_signal):
    signal = make_signal(status="bronnenonderzoek", next_step=None)
    weigh(client, signal, "vervolgstap", NEXT_STEP_YES, "afsluiten")
    assert reload(Signal, signal.id).status == "afgesloten"
    [step] = status_events(signal.id)
    assert (step.from_status, step.to_status, step.reason_code) == ("bronnenonderzoek", "afgesloten", "geen_hit")


@pytest.mark.parametrize(("kind", "status", "answers", "outcome", "handover"), [
    ("weging", "weging", WEGING_YES, "afdeling_regie", "intern"),
    ("weging", "weging", WEGING_YES, "riec_regie", "riec"),
    ("vervolgstap", "bronnenonderzoek", NEXT_STEP_YES, "eigen_bevoegdheid", "intern"),
    ("vervolgstap", "bronnenonderzoek", NEXT_STEP_YES, "riec", "riec"),
])
def test_a_weighing_that_hands_over_opens_the_handover_and_leaves_the_status(
        client, coordinator, make_signal, kind, status, answers, outcome, handover):
    signal = make_signal(status=status, next_step=None)
    response = weigh(client, signal, kind, answers, outcome)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/verstrekkingen/nieuw/{signal.id}?overdracht={handover}")
    assert reload(Signal, signal.id).status == status
    assert db.session.scalars(select(SignalEvent).where(SignalEvent.signal_id == signal.id)).all() == []
    form = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Leg hier de overdracht vast" in form
    [checkbox] = re.findall(r'<input[^>]*name="hands_over"[^>]*>', form)
    assert " checked" in checkbox


@pytest.mark.parametrize("no", ["c_hits", "c_actueel"])
def test_without_a_usable_hit_weging_4_leaves_only_closing(client, coordinator, make_signal, no):
    signal = make_signal(status="bronnenonderzoek", next_step=None)
    response = weigh(client, signal, "vervolgstap", {**NEXT_STEP_YES, no: "nee"}, "casusoverleg",
                     rationale="Getypte onderbouwing die blijft staan")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "geen vervolgstap" in body
    assert "Getypte onderbouwing die blijft staan" in body  # what was typed is kept
    assert db.session.scalars(select(Assessment)).all() == []
    with pytest.raises(TransitionError):
        record_assessment(coordinator, signal, "vervolgstap", answers={"hits": False, "actueel": True},
                          outcome="riec", rationale=RATIONALE)
    db.session.rollback()
    weigh(client, signal, "vervolgstap", {**NEXT_STEP_YES, no: "nee"}, "afsluiten")
    assert reload(Signal, signal.id).status == "afgesloten"
