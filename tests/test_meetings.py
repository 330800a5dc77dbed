"""Meetings for the coordinator: planning, invitations, the agenda, publication, decisions,
actions, closing and carrying open items over (README “The casustafel workflow”, §4 geagendeerd → besproken).

The members' need-to-know rules are in test_meeting_access.py, the PDFs in test_meeting_pdf.py.
The helpers at the top are shared with those modules.
"""

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from casustafel.actions.services import create_action
from casustafel.dates import from_local, to_local
from casustafel.extensions import db
from casustafel.meetings import services
from casustafel.models import (
    Action,
    AgendaItem,
    Assessment,
    Meeting,
    MeetingInvitee,
    Notification,
    PrivacyCheck,
    Signal,
)
from casustafel.privacy.services import open_check
from casustafel.signals.workflow import TransitionError, transition, weighed_for_case_meeting
from tests.conftest import TODAY, status_events
from tests.helpers.meetings import (
    add,
    close_on_the_day,
    decide_2a,
    department,
    events,
    logged_in,
    plan_meeting,
    post,
    published_scene,
)

# Dates computed here (today, tomorrow, overdue, this year) are checked against the app's:
# both on the same pinned day (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("pinned_day")



# --- shared helpers ----------------------------------------------------------------------




















# --- planning ------------------------------------------------------------------------------


def test_the_coordinator_plans_a_meeting_with_date_kind_chair_and_cutoff(client, make_user, login_as):
    coordinator = make_user("coordinator")
    login_as(coordinator)
    day = TODAY + timedelta(days=14)
    response = post(client, "/overleggen/nieuw", {
        "held_on": day.isoformat(), "held_time": "09:30", "kind": "ad_hoc",
        "chair_id": str(coordinator.id), "agenda_cutoff": (day - timedelta(days=5)).isoformat(),
    }, "/overleggen/nieuw")
    assert response.status_code == 302
    meeting = db.session.scalar(select(Meeting))
    assert (meeting.held_at, meeting.kind, meeting.chair_id, meeting.status) == (
        from_local(datetime.combine(day, time(9, 30))), "ad_hoc", coordinator.id, "concept")
    assert to_local(meeting.held_at).strftime("%H:%M") == "09:30"  # stored in UTC, shown in Dutch time
    assert len(events("meeting.created", meeting.id)) == 1
    assert "Overleggen" in client.get("/overleggen/").get_data(as_text=True)


def test_a_cutoff_after_the_meeting_date_is_refused_and_the_input_kept(client, make_user, login_as):
    coordinator = make_user("coordinator")
    login_as(coordinator)
    response = post(client, "/overleggen/nieuw", {
        "held_on": "2030-03-05", "held_time": "09:30", "kind": "regulier",
        "chair_id": str(coordinator.id), "agenda_cutoff": "2030-03-06",
    }, "/overleggen/nieuw")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "De sluitingsdatum ligt na de datum van het overleg. Kies 05-03-2030 of eerder." in body
    assert 'value="2030-03-06"' in body and 'value="09:30"' in body
    assert db.session.scalar(select(Meeting)) is None


def test_the_chair_must_be_a_coordinator(client, make_user, login_as):
    coordinator = make_user("coordinator")
    member = make_user("member")
    login_as(coordinator)
    post(client, "/overleggen/nieuw", {
        "held_on": "2030-03-05", "held_time": "09:30", "kind": "regulier",
        "chair_id": str(member.id), "agenda_cutoff": "2030-03-01",
    }, "/overleggen/nieuw")
    assert db.session.scalar(select(Meeting)) is None


def test_invitees_get_their_own_department_unless_another_is_chosen(client, make_user, make_signal, login_as):
    dept, other = department("Vergunningen"), department("Handhaving")
    coordinator = make_user("coordinator")
    first = make_user("member", department_id=dept.id)
    second = make_user("member", department_id=dept.id)
    meeting = plan_meeting(coordinator)
    login_as(coordinator)
    page = f"/overleggen/{meeting.id}"
    assert post(client, f"{page}/deelnemers", {"invite-user_id": str(first.id)}, page).status_code == 302
    assert post(client, f"{page}/deelnemers", {"invite-user_id": str(second.id),
                                               "invite-department_id": str(other.id)}, page).status_code == 302
    departments = {i.user_id: i.department_id for i in db.session.scalars(select(MeetingInvitee))}
    assert departments == {first.id: dept.id, second.id: other.id}
    again = post(client, f"{page}/deelnemers", {"invite-user_id": str(first.id)}, page)
    assert "is al uitgenodigd" in again.get_data(as_text=True)


def test_only_active_members_can_be_invited(client, make_user, login_as):
    coordinator = make_user("coordinator")
    reporter = make_user("reporter")
    meeting = plan_meeting(coordinator)
    login_as(coordinator)
    page = f"/overleggen/{meeting.id}"
    response = post(client, f"{page}/deelnemers", {"invite-user_id": str(reporter.id)}, page)
    assert response.status_code == 200
    assert db.session.scalar(select(MeetingInvitee)) is None
    with pytest.raises(services.MeetingError):
        services.invite(coordinator, meeting, reporter)


# --- the agenda ----------------------------------------------------------------------------


def test_adding_a_signal_puts_it_on_the_agenda_and_asks_for_check_2a(client, make_user, make_signal, login_as):
    coordinator = make_user("coordinator")
    officer = make_user("privacy_officer")
    meeting = plan_meeting(coordinator)
    signal = make_signal(status="bronnenonderzoek", description="Geheime beschrijving")
    login_as(coordinator)
    page = f"/overleggen/{meeting.id}"
    response = post(client, f"{page}/agendapunten", {"item-signal_id": str(signal.id)}, page)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Signal, signal.id).status == "geagendeerd"
    item = db.session.scalar(select(AgendaItem))
    assert (item.meeting_id, item.signal_id) == (meeting.id, signal.id)
    check = open_check(signal, "2A", meeting=meeting)
    assert check is not None and check.meeting_id == meeting.id
    assert len(events("agenda_item.added", item.id)) == 1
    assert "wacht op besluit" in client.get(page).get_data(as_text=True)
    [message] = db.session.scalars(select(Notification).where(Notification.recipient_id == officer.id))
    assert signal.reference not in message.body and "Geheime" not in message.subject + message.body


@pytest.mark.parametrize("status", ["intake", "weging", "in_aanpak", "afgesloten"])
def test_only_signals_in_source_research_or_discussed_can_be_added(client, make_user, make_signal, login_as, status):
    coordinator = make_user("coordinator")
    meeting = plan_meeting(coordinator)
    signal = make_signal(status=status)
    login_as(coordinator)
    page = f"/overleggen/{meeting.id}"
    response = post(client, f"{page}/agendapunten", {"item-signal_id": str(signal.id)}, page)
    assert response.status_code == 200
    assert db.session.scalar(select(AgendaItem)) is None
    with pytest.raises(services.MeetingError):
        services.add_item(coordinator, meeting, signal, TODAY)


def test_no_agenda_without_weging_4_for_the_casustafel(client, make_user, make_signal, login_as):
    coordinator = make_user("coordinator")
    meeting = plan_meeting(coordinator)
    unweighed = make_signal(status="bronnenonderzoek", next_step=None)
    elsewhere = make_signal(status="bronnenonderzoek", next_step="riec")  # an outcome that is not the table
    ready, discussed = make_signal(status="bronnenonderzoek"), make_signal(status="besproken", next_step=None)
    assert {s.id for s in services.agenda_candidates()} == {ready.id, discussed.id}
    for signal in (unweighed, elsewhere):
        with pytest.raises(services.MeetingError, match="weging 4"):
            services.add_item(coordinator, meeting, signal, TODAY)
        with pytest.raises(TransitionError, match="weging 4"):
            transition(coordinator, signal, "geagendeerd")
        db.session.rollback()

    login_as(coordinator)
    page = f"/overleggen/{meeting.id}"
    body = client.get(page).get_data(as_text=True)
    assert ready.reference in body and unweighed.reference not in body and elsewhere.reference not in body
    body = post(client, f"/meldingen/{unweighed.id}/status",
                {"status-to_status": "geagendeerd", "status-version": str(unweighed.version)},
                f"/meldingen/{unweighed.id}").get_data(as_text=True)
    assert "Leg eerst weging 4 vast" in body
    db.session.expire_all()
    assert db.session.get(Signal, unweighed.id).status == "bronnenonderzoek"
    assert db.session.scalar(select(AgendaItem)) is None


def test_a_weging_4_from_before_the_signal_returned_to_the_source_checks_does_not_count(make_user, make_signal):
    coordinator = make_user("coordinator")
    signal = make_signal(status="bronnenonderzoek")  # weighed for the casustafel
    assert weighed_for_case_meeting(signal)
    transition(coordinator, signal, "afgesloten", reason_code="geen_hit")
    transition(coordinator, signal, "intake", reason="Nieuwe informatie van de wijkagent")
    transition(coordinator, signal, "weging")
    event = transition(coordinator, signal, "bronnenonderzoek")
    db.session.flush()
    weighing = db.session.scalar(select(Assessment).where(Assessment.signal_id == signal.id))
    event.occurred_at = weighing.assessed_at + timedelta(seconds=1)  # the return came after that weighing
    db.session.flush()
    assert not weighed_for_case_meeting(signal)
    with pytest.raises(services.MeetingError, match="weging 4"):
        services.add_item(coordinator, plan_meeting(coordinator), signal, TODAY)


def test_the_agenda_closes_after_its_cutoff_date(client, make_user, make_signal, login_as):
    coordinator = make_user("coordinator")
    meeting = plan_meeting(coordinator, cutoff_days=-1)
    signal = make_signal(status="bronnenonderzoek")
    login_as(coordinator)
    page = f"/overleggen/{meeting.id}"
    body = post(client, f"{page}/agendapunten", {"item-signal_id": str(signal.id)}, page).get_data(as_text=True)
    assert "De agenda is gesloten sinds" in body
    db.session.expire_all()
    assert db.session.get(Signal, signal.id).status == "bronnenonderzoek"
    assert db.session.scalar(select(AgendaItem)) is None


def test_publishing_waits_until_every_check_2a_is_decided(client, make_user, make_signal, login_as):
    scene = published_scene(make_user, make_signal, publish=False)
    waiting = make_signal(status="bronnenonderzoek")
    add(scene.coordinator, scene.meeting, waiting)
    login_as(scene.coordinator)
    page = f"/overleggen/{scene.meeting.id}"
    assert post(client, f"{page}/publiceren", {}, page).status_code == 302
    body = client.get(page).get_data(as_text=True)
    assert f"privacytoets 2A is nog niet besloten voor {waiting.reference}" in body
    db.session.expire_all()
    assert db.session.get(Meeting, scene.meeting.id).status == "concept"
    assert db.session.scalar(select(Notification)) is None

    decide_2a(waiting, scene.meeting, {scene.dept.id: ["fenomeen"]}, approved=False)
    assert post(client, f"{page}/publiceren", {}, page).status_code == 302
    db.session.expire_all()
    meeting = db.session.get(Meeting, scene.meeting.id)
    assert meeting.status == "gepubliceerd" and meeting.published_at is not None
    assert len(events("meeting.published", meeting.id)) == 1


def test_publishing_tells_each_invitee_there_is_an_agenda_without_any_content(make_user, make_signal):
    scene = published_scene(make_user, make_signal, description="Hennepgeur bij de Dorpsstraat",
                            person=("Karel Kwekers", "1970-01-01"))
    messages = db.session.scalars(select(Notification)).all()
    assert [m.recipient_id for m in messages] == [scene.member.id]
    text = messages[0].subject + messages[0].body
    assert "U bent uitgenodigd voor de casustafel op" in text and "De agenda vindt u in casustafel" in text
    for secret in (scene.signal.reference, "Hennepgeur", "Karel", "1234 AB", "Vergunningen"):
        assert secret not in text


def test_an_empty_agenda_or_one_without_invitees_is_not_published(make_user, make_signal):
    coordinator = make_user("coordinator")
    meeting = plan_meeting(coordinator)
    with pytest.raises(services.MeetingError, match="minstens één melding"):
        services.publish(coordinator, meeting)
    signal = make_signal(status="bronnenonderzoek")
    add(coordinator, meeting, signal)
    decide_2a(signal, meeting, {})
    with pytest.raises(services.MeetingError, match="deelnemers"):
        services.publish(coordinator, meeting)


# --- during the meeting --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "status", "path"),
    [
        ("geen_actie", "afgesloten", ["geagendeerd", "besproken", "afgesloten"]),
        ("gemeentelijke_aanpak", "in_aanpak", ["geagendeerd", "besproken", "in_aanpak"]),
        ("monitoren", "in_aanpak", ["geagendeerd", "besproken", "in_aanpak"]),
        # A handover waits for its referral: the signal stays besproken (see test_handover.py).
        ("riec", "besproken", ["geagendeerd", "besproken"]),
        ("politie", "besproken", ["geagendeerd", "besproken"]),
        ("intern_doorzetten", "besproken", ["geagendeerd", "besproken"]),
        ("zorg_en_veiligheidshuis", "besproken", ["geagendeerd", "besproken"]),
        ("volgende_keer", "besproken", ["geagendeerd", "besproken"]),
    ],
)
def test_a_decision_moves_the_signal_through_the_transition_table(
    client, make_user, make_signal, login_as, decision, status, path
):
    scene = published_scene(make_user, make_signal)
    login_as(scene.coordinator)
    page = f"/overleggen/{scene.meeting.id}/agendapunten/{scene.item.id}"
    response = post(client, f"{page}/besluit", {"decision-decision": decision, "bevestigen": "ja",
                                                "decision-rationale": "Besproken met alle disciplines."}, page)
    assert response.status_code == 302
    db.session.expire_all()
    signal = db.session.get(Signal, scene.signal.id)
    assert signal.status == status
    assert [e.to_status for e in status_events(signal.id)] == path
    if decision == "geen_actie":
        assert signal.closing_reason == "besproken_geen_actie"
    item = db.session.get(AgendaItem, scene.item.id)
    assert item.decision == decision and item.decision_rationale == "Besproken met alle disciplines."
    assert b"Besproken met alle disciplines" not in item.decision_rationale_enc
    assert [e.reason_code for e in events("agenda_item.decided", item.id)] == [decision]


def test_a_decision_needs_a_rationale_is_taken_once_and_not_before_publication(
    client, make_user, make_signal, login_as
):
    scene = published_scene(make_user, make_signal, publish=False)
    login_as(scene.coordinator)
    page = f"/overleggen/{scene.meeting.id}/agendapunten/{scene.item.id}"
    body = post(client, f"{page}/besluit", {"decision-decision": "riec", "decision-rationale": "x"}, page).data
    assert "nadat de agenda is gepubliceerd" in body.decode()
    services.publish(scene.coordinator, scene.meeting)
    db.session.commit()
    body = post(client, f"{page}/besluit", {"decision-decision": "riec", "decision-rationale": ""}, page).data
    assert "Vul de onderbouwing van het besluit in." in body.decode()
    assert post(client, f"{page}/besluit", {"decision-decision": "riec", "decision-rationale": "RIEC",
                                            "bevestigen": "ja"}, page).status_code == 302
    again = post(client, f"{page}/besluit", {"decision-decision": "geen_actie", "decision-rationale": "Toch niet"},
                 page)
    assert again.status_code == 200
    db.session.expire_all()
    assert db.session.get(AgendaItem, scene.item.id).decision == "riec"
    assert db.session.get(Signal, scene.signal.id).status == "besproken"  # until the handover is sent


def test_a_refused_transition_saves_nothing_and_explains(client, make_user, make_signal, login_as):
    scene = published_scene(make_user, make_signal)
    scene.signal.status = "in_aanpak"  # moved on elsewhere meanwhile
    db.session.commit()
    login_as(scene.coordinator)
    page = f"/overleggen/{scene.meeting.id}/agendapunten/{scene.item.id}"
    body = post(client, f"{page}/besluit", {"decision-decision": "geen_actie", "bevestigen": "ja",
                                            "decision-rationale": "Mijn onderbouwing"}, page).get_data(as_text=True)
    assert "geen toegestane stap" in body
    assert "Mijn onderbouwing" in body  # what was typed is kept
    db.session.expire_all()
    assert db.session.get(AgendaItem, scene.item.id).decision is None


def test_notes_are_stored_encrypted_and_logged(client, make_user, make_signal, login_as):
    scene = published_scene(make_user, make_signal)
    login_as(scene.coordinator)
    page = f"/overleggen/{scene.meeting.id}/agendapunten/{scene.item.id}"
    response = post(client, f"{page}/aantekeningen", {"notes-notes": "Eigenaar pand is bekend bij handhaving.",
                                                      "notes-version": str(scene.item.version)}, page)
    assert response.status_code == 302
    db.session.expire_all()
    item = db.session.get(AgendaItem, scene.item.id)
    assert item.notes == "Eigenaar pand is bekend bij handhaving."
    assert b"handhaving" not in item.notes_enc
    assert len(events("agenda_item.notes_recorded", item.id)) == 1
    # A post without the version seen saves nothing.
    body = post(client, f"{page}/aantekeningen", {"notes-notes": "Zonder versie"}, page).get_data(as_text=True)
    assert "Dit formulier is niet compleet." in body and "Zonder versie" in body
    db.session.expire_all()
    assert db.session.get(AgendaItem, scene.item.id).notes == "Eigenaar pand is bekend bij handhaving."


def test_a_stale_notes_edit_gets_a_conflict_and_loses_nothing(app, client, make_user, make_signal, login_as):
    scene = published_scene(make_user, make_signal)
    login_as(scene.coordinator)
    page = f"/overleggen/{scene.meeting.id}/agendapunten/{scene.item.id}"
    seen_version = str(scene.item.version)
    colleague = logged_in(app, make_user("coordinator"))
    assert post(colleague, f"{page}/aantekeningen", {"notes-notes": "Versie van de collega",
                                                     "notes-version": seen_version}, page).status_code == 302

    response = post(client, f"{page}/aantekeningen", {"notes-notes": "Mijn eigen aantekening",
                                                      "notes-version": seen_version}, page)
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Iemand anders heeft dit intussen gewijzigd" in body
    assert "Mijn eigen aantekening" in body and "Versie van de collega" in body
    db.session.expire_all()
    item = db.session.get(AgendaItem, scene.item.id)
    assert item.notes == "Versie van de collega"

    # Saving again after seeing the other version wins.
    new_version = str(item.version)
    assert f'value="{new_version}"' in body
    assert post(client, f"{page}/aantekeningen", {"notes-notes": "Samengevoegd",
                                                  "notes-version": new_version}, page).status_code == 302
    db.session.expire_all()
    assert db.session.get(AgendaItem, scene.item.id).notes == "Samengevoegd"


def test_a_stale_meeting_edit_gets_a_conflict_and_keeps_the_input(app, client, make_user, login_as):
    coordinator = make_user("coordinator")
    meeting = plan_meeting(coordinator)
    login_as(coordinator)
    page = f"/overleggen/{meeting.id}/wijzigen"
    form = {"held_on": "2030-03-05", "held_time": "11:00", "kind": "regulier", "chair_id": str(coordinator.id),
            "agenda_cutoff": "2030-03-01", "version": str(meeting.version)}
    colleague = logged_in(app, make_user("coordinator"))
    assert post(colleague, page, {**form, "held_time": "14:00"}, page).status_code == 302
    response = post(client, page, form, page)
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Iemand anders heeft dit intussen gewijzigd" in body and 'value="11:00"' in body
    db.session.expire_all()
    assert to_local(db.session.get(Meeting, meeting.id).held_at).hour == 14


def test_an_action_from_an_item_goes_to_an_invited_member_who_is_told_without_content(
    client, make_user, make_signal, login_as
):
    scene = published_scene(make_user, make_signal)
    login_as(scene.coordinator)
    page = f"/overleggen/{scene.meeting.id}/agendapunten/{scene.item.id}"
    deadline = TODAY + timedelta(days=21)
    response = post(client, f"{page}/acties", {
        "action-type": "13b_opiumwet", "action-owner_id": str(scene.member.id),
        "action-deadline": deadline.isoformat(), "action-description": "Sluiting voorbereiden: bovenwoning",
    }, page)
    assert response.status_code == 302
    action = db.session.scalar(select(Action))
    assert (action.type, action.owner_id, action.deadline, action.agenda_item_id) == (
        "13b_opiumwet", scene.member.id, deadline, scene.item.id)
    assert b"bovenwoning" not in action.description_enc
    notes = db.session.scalars(select(Notification).where(Notification.recipient_id == scene.member.id)).all()
    assert len(notes) == 2  # the agenda, then the action
    assert all("13b" not in n.subject + n.body and scene.signal.reference not in n.body for n in notes)
    assert "Sluiting voorbereiden: bovenwoning" in client.get(page).get_data(as_text=True)


def test_an_action_needs_an_invited_owner_or_a_department_and_a_future_deadline(
    client, make_user, make_signal, login_as
):
    scene = published_scene(make_user, make_signal)
    outsider = make_user("member")
    login_as(scene.coordinator)
    page = f"/overleggen/{scene.meeting.id}/agendapunten/{scene.item.id}"
    body = post(client, f"{page}/acties", {"action-type": "13b_opiumwet", "action-deadline": TODAY.isoformat()},
                page).get_data(as_text=True)
    assert "Kies een deelnemer of een afdeling als eigenaar." in body
    body = post(client, f"{page}/acties", {"action-type": "13b_opiumwet", "action-owner_id": str(outsider.id),
                                           "action-deadline": TODAY.isoformat()}, page).get_data(as_text=True)
    assert "Ongeldige keuze." in body  # not invited: not among the choices
    body = post(client, f"{page}/acties", {"action-type": "13b_opiumwet",
                                           "action-owner_department_id": str(scene.dept.id),
                                           "action-deadline": (TODAY - timedelta(days=1)).isoformat()},
                page).get_data(as_text=True)
    assert "Deze datum ligt in het verleden" in body
    assert db.session.scalar(select(Action)) is None
    with pytest.raises(services.MeetingError):
        services.add_action(scene.coordinator, scene.item, type="13b_opiumwet", deadline=TODAY, owner_id=outsider.id)


def test_an_action_for_a_department_asks_for_privacy_check_2b(make_user, make_signal):
    scene = published_scene(make_user, make_signal)
    action = services.add_action(scene.coordinator, scene.item, type="handhaving", deadline=TODAY,
                                 owner_department_id=scene.dept.id)
    db.session.commit()
    check = db.session.scalar(select(PrivacyCheck).where(PrivacyCheck.action_id == action.id))
    assert check is not None and check.kind == "2B" and check.status == "open"


# --- closing and carrying over -------------------------------------------------------------


def _three_items(make_user, make_signal):
    """A published meeting with three items: to decide 'aanpak', 'volgende keer' and nothing."""
    scene = published_scene(make_user, make_signal, publish=False)
    later, undecided = make_signal(status="bronnenonderzoek"), make_signal(status="besproken")
    for signal in (later, undecided):
        add(scene.coordinator, scene.meeting, signal)
        decide_2a(signal, scene.meeting, {scene.dept.id: ["fenomeen"]})
    services.publish(scene.coordinator, scene.meeting)
    items = {i.signal_id: i for i in scene.meeting.items}
    services.record_decision(scene.coordinator, items[scene.signal.id], "gemeentelijke_aanpak", "Aanpak")
    services.record_decision(scene.coordinator, items[later.id], "volgende_keer", "Meer info nodig")
    db.session.commit()
    return scene, later, undecided


def test_closing_carries_open_items_to_the_next_concept_meeting(client, make_user, make_signal, login_as):
    scene, later, undecided = _three_items(make_user, make_signal)
    upcoming = plan_meeting(scene.coordinator, days_ahead=28)
    login_as(scene.coordinator)
    page = f"/overleggen/{scene.meeting.id}"
    assert post(client, f"{page}/sluiten", {"bevestigen": "ja", "override": "y",
                                           "override_reason": "Vervroegd gehouden"}, page).status_code == 302
    db.session.expire_all()
    closed = db.session.get(Meeting, scene.meeting.id)
    assert closed.status == "gesloten" and closed.closed_at is not None
    upcoming = db.session.get(Meeting, upcoming.id)
    carried = {i.signal_id: i for i in upcoming.items}
    assert set(carried) == {later.id, undecided.id}
    old = {i.signal_id: i.id for i in closed.items}
    assert all(carried[s].carried_from_id == old[s] for s in carried)
    assert db.session.get(Signal, later.id).status == "geagendeerd"  # besproken → geagendeerd
    assert db.session.get(Signal, undecided.id).status == "geagendeerd"
    assert db.session.get(Signal, scene.signal.id).status == "in_aanpak"
    for signal_id in carried:
        assert open_check(db.session.get(Signal, signal_id), "2A", meeting=upcoming) is not None
    assert len(events("meeting.closed", closed.id)) == 1
    assert "(overgebracht)" in client.get(f"/overleggen/{upcoming.id}").get_data(as_text=True)


def test_open_items_wait_for_the_next_meeting_that_is_created(make_user, make_signal):
    scene, later, undecided = _three_items(make_user, make_signal)
    assert close_on_the_day(scene.coordinator, scene.meeting) == 0
    db.session.commit()
    assert db.session.get(Signal, later.id).status == "besproken"
    next_meeting = plan_meeting(scene.coordinator, days_ahead=30)
    assert {i.signal_id for i in next_meeting.items} == {later.id, undecided.id}
    assert db.session.get(Signal, later.id).status == "geagendeerd"
    # Carried once: a further meeting gets nothing.
    assert plan_meeting(scene.coordinator, days_ahead=60).items == []


def test_only_a_published_meeting_can_be_closed(make_user, make_signal):
    scene = published_scene(make_user, make_signal, publish=False)
    with pytest.raises(services.MeetingError):
        close_on_the_day(scene.coordinator, scene.meeting)


def test_the_next_agenda_shows_overdue_actions_of_its_signals(client, make_user, make_signal, login_as):
    scene = published_scene(make_user, make_signal, publish=False)
    create_action(scene.coordinator, scene.signal, type="stopgesprek", deadline=TODAY - timedelta(days=2),
                  owner_id=scene.coordinator.id)
    create_action(scene.coordinator, scene.signal, type="13b_opiumwet", deadline=TODAY + timedelta(days=2),
                  owner_id=scene.coordinator.id)
    done = create_action(scene.coordinator, scene.signal, type="handhaving", deadline=TODAY - timedelta(days=9),
                         owner_id=scene.coordinator.id)
    done.status = "afgerond"
    db.session.commit()
    assert [a.type for a in services.overdue_actions(scene.meeting, TODAY)] == ["stopgesprek"]
    login_as(scene.coordinator)
    body = client.get(f"/overleggen/{scene.meeting.id}").get_data(as_text=True)
    assert "Stopgesprek" in body and "Sluiting art. 13b Opiumwet" not in body.split("Acties over de uiterste datum")[1]


def test_the_meeting_pages_show_the_coordinator_everything_and_log_the_reads(client, make_user, make_signal,
                                                                                 login_as):
    # The item page shows what the members will see: the anonymised summary (setting on).
    scene = published_scene(make_user, make_signal, summary="Afgeplakte ramen")
    login_as(scene.coordinator)
    assert client.get("/overleggen/").status_code == 200
    assert client.get(f"/overleggen/{scene.meeting.id}").status_code == 200
    body = client.get(f"/overleggen/{scene.meeting.id}/agendapunten/{scene.item.id}").get_data(as_text=True)
    assert "Afgeplakte ramen" in body and "Jan Jansen" in body
    assert "Deelnemer Daan (Vergunningen)" in body  # what each invitee will see
    assert len(events("agenda_item.viewed", scene.item.id)) == 1
    assert len(events("meeting.viewed", scene.meeting.id)) == 1


def test_a_foreign_item_id_answers_404_with_a_denial(client, make_user, make_signal, login_as):
    scene = published_scene(make_user, make_signal)
    other = plan_meeting(scene.coordinator, days_ahead=40)
    login_as(scene.coordinator)
    response = client.get(f"/overleggen/{other.id}/agendapunten/{scene.item.id}")
    assert response.status_code == 404
    assert events("access.denied", scene.item.id)
