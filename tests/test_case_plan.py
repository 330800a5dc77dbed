"""Model protocol step 4: the plan of approach (goal, interventions, casusregisseur, review
date) and the monitoring period with its end date, for a case the municipality handles itself
(in aanpak → monitoring → afgesloten). Recorded encrypted and logged, every version kept, shown
on the workspace and in the wegingsverslag; monitoring needs an end date; the workspace and a
daily e-mail prompt the coordinator when it has passed."""

import html
import re
from datetime import date, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select, text

from casustafel import dates
from casustafel.extensions import db
from casustafel.models import CasePlan, MonitoringPeriod, Notification, Signal, SignalEvent
from casustafel.signals.plan_services import (
    NEED_DIRECTOR,
    PLAN_CHANGED,
    PlanError,
    PlanInput,
    extend_monitoring,
    record_plan,
    start_monitoring,
)
from casustafel.signals.workflow import NEEDS_MONITORING_END, TransitionError, transition
from tests.conftest import TODAY, login
from tests.helpers.assessments import events, post_prefixed
from tests.helpers.plans import add_plan

pytestmark = pytest.mark.usefixtures("pinned_day")

GOAL = "Doel-7c1e: het pand aan de Kerkstraat sluiten en de hennepteelt beëindigen — ĳzersterk"
INTERVENTIONS = "Interventie-a41b:\n1. Integrale controle met Enexis\n2. Besluit 13b Opiumwet\n3. Stopgesprek 👮"
REASON = "Verlenging-9d2f: nieuwe aanwijzingen van de wijkagent, nog drie maanden volgen."
LONG = "x" * 6000


# --- helpers ---------------------------------------------------------------------------------


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def field_error(response, field_id: str) -> str:
    match = re.search(rf'id="{re.escape(field_id)}-error">(.*?)</div>', page(response), re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split()) if match else ""


def plans() -> list[CasePlan]:
    db.session.expire_all()
    return list(db.session.scalars(select(CasePlan).order_by(CasePlan.number)))


def periods() -> list[MonitoringPeriod]:
    db.session.expire_all()
    return list(db.session.scalars(select(MonitoringPeriod).order_by(MonitoringPeriod.signal_id,
                                                                     MonitoringPeriod.number)))


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def post_plan(client, signal, **fields):
    return post_prefixed(client, f"/meldingen/{signal.id}/plan-van-aanpak", "plan", fields)


def plan_fields(director, **overrides) -> dict:
    return {"goal": GOAL, "interventions": INTERVENTIONS, "director_id": str(director.id),
            "review_on": day(30), **overrides}


def post_extension(client, signal, **fields):
    return post_prefixed(client, f"/meldingen/{signal.id}/monitoring/verlengen", "monitoring", fields)


def change_status(client, signal, to_status, **fields):
    db.session.expire_all()
    version = str(db.session.get(Signal, signal.id).version)
    return post_prefixed(client, f"/meldingen/{signal.id}/status", "status",
                         {"to_status": to_status, "version": version, **fields})


def status_of(signal) -> str:
    db.session.expire_all()
    return db.session.get(Signal, signal.id).status


@pytest.fixture
def coordinator(make_user, login_as):
    user = make_user("coordinator", name="Cora Regisseur")
    login_as(user)
    return user


@pytest.fixture
def director(make_user):
    return make_user("coordinator", name="Dirk Casusregisseur-Ŝ")


@pytest.fixture
def case(make_signal):
    """A case the casustafel gave the municipality (decision 'gemeentelijke aanpak')."""
    return make_signal(status="in_aanpak")


def in_monitoring(make_signal, ends_on: date, *, actor=None) -> Signal:
    signal = make_signal(status="in_aanpak")
    add_plan(signal, actor)
    period = start_monitoring(actor, signal, dates.today())
    period.ends_on = ends_on  # as if the monitoring started long ago
    db.session.commit()
    return signal


# --- the plan of approach ------------------------------------------------------------------------


def test_the_plan_is_recorded_encrypted_logged_and_shown_on_the_workspace_and_in_the_record(
        client, coordinator, director, case):
    response = post_plan(client, case, **plan_fields(director))

    assert response.status_code == 302, page(response)
    [plan] = plans()
    assert (plan.goal, plan.interventions, plan.director_id, plan.review_on) == (
        GOAL, INTERVENTIONS, director.id, TODAY + timedelta(days=30))
    assert (plan.number, plan.recorded_by_id) == (1, coordinator.id)
    raw = db.session.execute(text("SELECT goal_enc, interventions_enc FROM case_plan")).one()
    for blob, plaintext in zip(raw, (GOAL, INTERVENTIONS), strict=True):
        assert blob and plaintext.encode() not in bytes(blob) and b"7c1e" not in bytes(blob)
        assert b"a41b" not in bytes(blob)
    [event] = events("case_plan.recorded", plan.id)
    assert (event.actor_id, event.reason_code, event.purpose) == (coordinator.id, "vastgelegd", "casustafel")

    workspace = page(client.get(f"/meldingen/{case.id}"))
    section = workspace[workspace.index('id="plan-van-aanpak"'):workspace.index('id="acties"')]
    for shown in (GOAL, "Integrale controle met Enexis", "Stopgesprek 👮", "Dirk Casusregisseur-Ŝ",
                  (TODAY + timedelta(days=30)).strftime("%d-%m-%Y"), "Plan van aanpak herzien"):
        assert shown in section
    record = page(client.get(f"/meldingen/{case.id}/wegingsverslag"))
    assert "Plan van aanpak" in record and GOAL in record and "Besluit 13b Opiumwet" in record
    assert "Dirk Casusregisseur-Ŝ" in record and "Cora Regisseur" in record


def test_the_privacy_officer_reads_that_a_plan_exists_but_not_its_goal_or_interventions(
        app, client, coordinator, director, case, make_user):
    """Supervision sees who recorded which step when, not the case itself (the privacy officer
    sees a signal's content only while a check on it is open)."""
    from tests.conftest import login

    post_plan(client, case, **plan_fields(director))
    officer = make_user("privacy_officer")
    other = app.test_client()
    assert login(other, officer.email).status_code == 200
    record = page(other.get(f"/meldingen/{case.id}/wegingsverslag"))
    assert "Plan van aanpak" in record and "Dirk Casusregisseur-Ŝ" in record
    assert GOAL not in record and "Integrale controle met Enexis" not in record
    assert "alleen zichtbaar voor de regisseur" in record


def test_revising_the_plan_keeps_every_version(client, coordinator, director, case):
    post_plan(client, case, **plan_fields(director))
    response = post_plan(client, case, **plan_fields(coordinator, goal="Doel na evaluatie: alleen 13b.",
                                                     review_on=day(60), based_on="1"))

    assert response.status_code == 302, page(response)
    first, second = plans()
    assert (first.number, first.goal, first.director_id) == (1, GOAL, director.id)
    assert (second.number, second.goal, second.director_id) == (2, "Doel na evaluatie: alleen 13b.", coordinator.id)
    assert [e.reason_code for e in events("case_plan.recorded")] == ["vastgelegd", "herzien"]
    workspace = page(client.get(f"/meldingen/{case.id}"))
    assert "(versie 2)" in workspace and "Eerdere versies" in workspace and GOAL in workspace
    record = page(client.get(f"/meldingen/{case.id}/wegingsverslag"))
    assert "Plan van aanpak herzien (versie 2)" in record and GOAL in record


def test_a_revision_based_on_an_older_version_is_refused_and_keeps_what_was_typed(
        client, coordinator, director, case):
    post_plan(client, case, **plan_fields(director))
    response = post_plan(client, case, **plan_fields(director, goal="Mijn herziening-55aa", based_on="0"))

    assert response.status_code == 200
    assert PLAN_CHANGED in page(response) and "Mijn herziening-55aa" in page(response)
    assert len(plans()) == 1 and len(events("case_plan.recorded")) == 1


def test_only_active_coordinators_can_be_casusregisseur(client, coordinator, director, make_user, case):
    member = make_user("member", name="Mila Deelnemer")
    make_user("coordinator", name="Oud Regisseur", active=False)
    workspace = page(client.get(f"/meldingen/{case.id}"))
    assert "Dirk Casusregisseur-Ŝ" in workspace and "Mila Deelnemer" not in workspace
    assert "Oud Regisseur" not in workspace

    response = post_plan(client, case, **plan_fields(member))
    assert response.status_code == 200 and NEED_DIRECTOR in field_error(response, "plan-director_id")
    with pytest.raises(PlanError, match="casusregisseur"):
        record_plan(coordinator, case, PlanInput(GOAL, INTERVENTIONS, member.id, TODAY))
    assert plans() == []


@pytest.mark.parametrize("status", ["besproken", "geagendeerd", "afgesloten"])
def test_a_plan_belongs_to_a_case_in_aanpak_or_monitoring(client, coordinator, director, make_signal, status):
    signal = make_signal(status=status)
    response = post_plan(client, signal, **plan_fields(director))
    assert response.status_code == 302
    assert "in aanpak of in monitoring" in page(client.get(f"/meldingen/{signal.id}"))
    with pytest.raises(PlanError):
        record_plan(coordinator, signal, PlanInput(GOAL, INTERVENTIONS, director.id, TODAY))
    assert plans() == [] and events("case_plan.recorded") == []


# --- the monitoring period -------------------------------------------------------------------------


def test_monitoring_without_a_plan_of_approach_is_refused(client, coordinator, case):
    response = change_status(client, case, "monitoring", monitoring_until=day(90))
    assert response.status_code == 200
    assert "Leg eerst het plan van aanpak vast" in field_error(response, "status-to_status")
    assert status_of(case) == "in_aanpak" and periods() == []  # the end date typed is not kept half
    with pytest.raises(TransitionError, match="plan van aanpak"):
        transition(coordinator, case, "monitoring")


def test_monitoring_without_an_end_date_is_refused(client, coordinator, case):
    add_plan(case, coordinator)
    db.session.commit()
    response = change_status(client, case, "monitoring")

    assert response.status_code == 200
    assert field_error(response, "status-monitoring_until") == f"Fout: {NEEDS_MONITORING_END}"
    assert status_of(case) == "in_aanpak" and periods() == []
    assert events("signal.status_changed") == [] and events("monitoring_period.started") == []
    with pytest.raises(TransitionError, match="Monitoring tot"):  # no other path around it either
        transition(coordinator, case, "monitoring")
    with pytest.raises(TransitionError, match="Monitoring tot"):
        start_monitoring(coordinator, case, None)


def test_an_end_date_from_before_the_case_came_back_does_not_count(make_signal, coordinator):
    signal = make_signal(status="in_aanpak")
    add_plan(signal, coordinator)
    db.session.add(MonitoringPeriod(signal_id=signal.id, number=1, ends_on=TODAY + timedelta(days=90),
                                    set_at=datetime(2020, 1, 1)))
    db.session.add(SignalEvent(signal_id=signal.id, from_status="besproken", to_status="in_aanpak"))
    db.session.commit()
    with pytest.raises(TransitionError, match="Monitoring tot"):
        transition(coordinator, signal, "monitoring")


def test_monitoring_with_an_end_date_starts_is_logged_and_shown(client, coordinator, case):
    add_plan(case, coordinator)
    db.session.commit()
    response = change_status(client, case, "monitoring", monitoring_until=day(90), reason="Aanpak uitgevoerd.")

    assert response.status_code == 302, field_error(response, "status-monitoring_until")
    assert status_of(case) == "monitoring"
    [period] = periods()
    assert (period.ends_on, period.set_by_id, period.reason) == (TODAY + timedelta(days=90), coordinator.id, None)
    [started] = events("monitoring_period.started", period.id)
    assert started.actor_id == coordinator.id
    [changed] = events("signal.status_changed")
    assert changed.reason_code == "monitoring"

    until = (TODAY + timedelta(days=90)).strftime("%d-%m-%Y")
    workspace = page(client.get(f"/meldingen/{case.id}"))
    assert "Start van de monitoring" in workspace and until in workspace and "Monitoring verlengen" in workspace
    assert "Monitoring liep af" not in workspace
    record = page(client.get(f"/meldingen/{case.id}/wegingsverslag"))
    assert "Monitoring gestart" in record and f"Monitoring tot en met {until}" in record


def test_the_workspace_prompts_when_the_monitoring_ended_or_the_review_date_passed(
        client, coordinator, director, make_signal):
    signal = in_monitoring(make_signal, TODAY - timedelta(days=3))
    plan = record_plan(coordinator, signal, PlanInput(GOAL, INTERVENTIONS, director.id, TODAY))
    plan.review_on = TODAY - timedelta(days=10)
    db.session.commit()

    workspace = " ".join(page(client.get(f"/meldingen/{signal.id}")).split())
    ended = (TODAY - timedelta(days=3)).strftime("%d-%m-%Y")
    assert f"Monitoring liep af op {ended}</strong> — sluit de zaak af of verleng de monitoring." in workspace
    reviewed = (TODAY - timedelta(days=10)).strftime("%d-%m-%Y")
    assert f"De evaluatiedatum van het plan van aanpak was {reviewed}" in workspace

    current = in_monitoring(make_signal, TODAY)  # the last day of the monitoring: not yet ended
    assert "Monitoring liep af" not in page(client.get(f"/meldingen/{current.id}"))
    transition(coordinator, signal, "afgesloten", reason_code="aanpak_afgerond")
    db.session.commit()
    closed = page(client.get(f"/meldingen/{signal.id}"))
    assert "Monitoring liep af" not in closed and "De evaluatiedatum" not in closed
    assert GOAL in closed  # the plan stays on the workspace of the closed case


def test_extending_records_the_new_end_date_with_its_reason(client, coordinator, make_signal):
    signal = in_monitoring(make_signal, TODAY - timedelta(days=1))
    response = post_extension(client, signal, ends_on=day(60), reason=REASON)

    assert response.status_code == 302, page(response)
    start, extension = periods()
    assert (extension.ends_on, extension.reason, extension.set_by_id) == (
        TODAY + timedelta(days=60), REASON, coordinator.id)
    assert start.reason is None and start.ends_on == TODAY - timedelta(days=1)  # nothing overwritten
    raw = db.session.execute(text("SELECT reason_enc FROM monitoring_period WHERE reason_enc IS NOT NULL")).scalar()
    assert b"9d2f" not in bytes(raw)
    [event] = events("monitoring_period.extended", extension.id)
    assert event.actor_id == coordinator.id
    assert status_of(signal) == "monitoring"

    workspace = page(client.get(f"/meldingen/{signal.id}"))
    assert "Monitoring liep af" not in workspace and REASON in workspace and "Verlenging" in workspace
    record = page(client.get(f"/meldingen/{signal.id}/wegingsverslag"))
    assert "Monitoring verlengd" in record and REASON in record


# --- bad input: Dutch messages, what was typed kept, nothing saved ------------------------------------


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"goal": "   "}, "goal", "Vul het doel van de aanpak in."),
    ({"interventions": ""}, "interventions", "Beschrijf de interventies van de aanpak."),
    ({"goal": LONG}, "goal", "Gebruik hooguit 5000 tekens."),
    ({"interventions": LONG}, "interventions", "Gebruik hooguit 5000 tekens."),
    ({"review_on": day(-1)}, "review_on", "Deze datum ligt in het verleden. Kies vandaag of een latere datum."),
    ({"review_on": ""}, "review_on", "Vul de evaluatiedatum in."),
    ({"review_on": "31-02-2026"}, "review_on", "Vul een geldige datum in"),
    ({"review_on": "9999-12-31"}, "review_on", "Vul een datum in tussen 1900 en 2100."),
    ({"director_id": ""}, "director_id", "Kies de casusregisseur uit de lijst."),
    ({"director_id": "00000000-0000-4000-8000-000000000000"}, "director_id", "Kies de casusregisseur uit de lijst."),
])
def test_a_bad_plan_gets_a_dutch_message_next_to_the_field_and_saves_nothing(
        client, coordinator, director, case, overrides, field, message):
    fields = plan_fields(director, **overrides)
    if field != "goal":
        fields["goal"] = "Getypt doel-3e3e blijft staan"
    response = post_plan(client, case, **fields)

    assert response.status_code == 200
    assert message in field_error(response, f"plan-{field}")
    body = page(response)
    assert "Er is nog niets opgeslagen." in body
    if field != "goal":
        assert "Getypt doel-3e3e blijft staan" in body
    assert plans() == [] and events("case_plan.recorded") == []


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"ends_on": day(-1), "reason": REASON}, "ends_on", "Deze datum ligt in het verleden."),
    ({"ends_on": day(5), "reason": REASON}, "ends_on", "Kies een datum na de huidige einddatum"),
    ({"ends_on": "", "reason": REASON}, "ends_on", "Vul de nieuwe einddatum van de monitoring in."),
    ({"ends_on": day(60), "reason": " "}, "reason", "Geef aan waarom de monitoring wordt verlengd."),
    ({"ends_on": day(60), "reason": LONG}, "reason", "Gebruik hooguit 2000 tekens."),
])
def test_a_bad_extension_gets_a_dutch_message_and_saves_nothing(client, coordinator, make_signal, fields, field,
                                                                message):
    signal = in_monitoring(make_signal, TODAY + timedelta(days=10))
    response = post_extension(client, signal, **fields)

    assert response.status_code == 200
    assert message in field_error(response, f"monitoring-{field}")
    assert "Er is nog niets opgeslagen." in page(response)
    if field == "ends_on":
        assert "9d2f" in page(response)  # the reason typed is kept
    assert len(periods()) == 1 and events("monitoring_period.extended") == []
    with pytest.raises(PlanError):
        extend_monitoring(coordinator, signal, TODAY + timedelta(days=5), "")


@pytest.mark.parametrize(("until", "message"), [
    (day(-1), "Deze datum ligt in het verleden."),
    ("01-13-2026", "Vul een geldige datum in"),
])
def test_a_bad_monitoring_end_date_is_refused_in_dutch(client, coordinator, case, until, message):
    response = change_status(client, case, "monitoring", monitoring_until=until)
    assert response.status_code == 200 and message in field_error(response, "status-monitoring_until")
    assert status_of(case) == "in_aanpak" and periods() == []
    with pytest.raises(TransitionError, match="verleden"):
        start_monitoring(coordinator, case, TODAY - timedelta(days=1))


def test_extending_needs_a_case_in_monitoring(client, coordinator, case):
    response = post_extension(client, case, ends_on=day(60), reason=REASON)
    assert response.status_code == 302 and periods() == []
    assert "Alleen een zaak in monitoring kan worden verlengd." in page(client.get(f"/meldingen/{case.id}"))


# --- who may -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["reporter", "member", "privacy_officer", "admin"])
def test_only_the_coordinator_reaches_the_routes(app, make_user, make_signal, role):
    director = make_user("coordinator")
    case = make_signal(status="in_aanpak")
    monitored = in_monitoring(make_signal, TODAY - timedelta(days=1))
    other = app.test_client()
    assert login(other, make_user(role).email).status_code == 200

    assert post_plan(other, case, **plan_fields(director)).status_code == 403
    assert post_extension(other, monitored, ends_on=day(60), reason=REASON).status_code == 403
    assert other.get(f"/meldingen/{monitored.id}").status_code == 403
    assert [p.signal_id for p in plans()] == [monitored.id] and len(periods()) == 1  # only in_monitoring's


# --- the daily reminder --------------------------------------------------------------------------------


def remind(app) -> str:
    result = app.test_cli_runner().invoke(args=["actions", "remind"])
    assert result.exit_code == 0, result.output
    return result.output


def notifications() -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification)))


@freeze_time("2026-03-10 09:00:00")
def test_the_daily_reminder_tells_the_coordinators_once_a_day_when_monitoring_ended(app, make_user, make_signal):
    first, second = make_user("coordinator"), make_user("coordinator")
    make_user("coordinator", active=False)
    make_user("member")
    ended = in_monitoring(make_signal, date(2026, 3, 9))
    in_monitoring(make_signal, date(2026, 3, 10))  # its last day: not ended
    extended = in_monitoring(make_signal, date(2026, 3, 1))
    extend_monitoring(first, extended, date(2026, 6, 1), REASON)
    closed = in_monitoring(make_signal, date(2026, 2, 1))
    transition(first, closed, "afgesloten", reason_code="aanpak_afgerond")
    db.session.commit()

    assert "1 zaak met afgelopen monitoring, 2 berichten klaargezet." in remind(app)
    messages = notifications()
    assert {m.recipient_id for m in messages} == {first.id, second.id}
    for message in messages:
        assert message.subject == "Monitoring van een zaak afgelopen"
        assert ended.reference not in message.body + message.subject and "9d2f" not in message.body
    assert [e.object_id for e in events("signal.monitoring_reminded")] == [str(ended.id)]

    assert "0 zaken met afgelopen monitoring" in remind(app)  # not twice a day
    assert len(notifications()) == 2
    with freeze_time("2026-03-11 07:00:00"):
        # The next day: again, and now also the case whose last day was yesterday.
        assert "2 zaken met afgelopen monitoring, 2 berichten klaargezet." in remind(app)
