"""Privacy checks 1, 2A and 2B: asking, the privacy officer's list and decision page, the
setting that lets the coordinator decide, and the admin settings page.

README “Roles” (the privacy officer sees a signal only while a check is open), §4 (checks as
gates), docs/security.md "Access control" (404 and a denial event for a foreign object).
"""

import uuid
from datetime import date, datetime

import pytest
from sqlalchemy import select, update

from casustafel.actions.services import create_action
from casustafel.dates import local_time
from casustafel.extensions import db
from casustafel.models import (
    Department,
    Meeting,
    MeetingInvitee,
    Notification,
    Partner,
    PrivacyCheck,
    Referral,
    Setting,
)
from casustafel.permissions import can_view_signal_content
from casustafel.privacy.decisions import REVIEW_SUBJECT, DecisionError, decide_privacy_check, reopen_privacy_check
from casustafel.privacy.services import request_privacy_check
from casustafel.settings import get_setting, set_setting
from casustafel.signals.weighing import approved_check_1
from tests.conftest import login, post_form
from tests.helpers.assessments import events, fail_commit_with, post_prefixed, reload
from tests.helpers.powers import power_ids
from tests.helpers.registers import assessment_form, assessments

DESCRIPTION = "Beschrijving-5d2a: hennepgeur bij het pand."
PERSON = ("Piet Geheim-9b4f", "1975-03-04")
DECISION_TEXT = "Besluit-31aa: noodzakelijk en proportioneel."


@pytest.fixture
def people(make_user):
    class People:
        coordinator = make_user("coordinator", name="Cora Regisseur")
        officer = make_user("privacy_officer", name="Paula Privacy")
        other_officer = make_user("privacy_officer", name="Olaf Ander")
        reporter = make_user("reporter", name="Mila Melder", email="mila@gemeente.test")

    return People


@pytest.fixture
def signal(make_signal, people):
    return make_signal(people.reporter, description=DESCRIPTION, person=PERSON, status="weging")


def ask(actor, signal, kind="1", **kwargs) -> PrivacyCheck:
    check = request_privacy_check(actor, signal, kind, **kwargs)
    db.session.commit()
    return check


def decide(client, check, data):
    return post_form(client, f"/privacy/toetsen/{check.id}", data)


CHECK_1 = {"approved": "ja", "allowed_registers": ["brp", "bag"], "content_registers": ["bag"],
           "rationale": DECISION_TEXT, **assessment_form("brp", "bag")}


# Asking for check 1 -------------------------------------------------------------------------


def test_the_coordinator_asks_check_1_and_the_privacy_officers_hear_only_that(client, login_as, people, signal):
    login_as(people.coordinator)
    response = post_prefixed(client, f"/meldingen/{signal.id}/privacytoets", "toets", {"note": "Vraag-8e8e"})
    assert response.status_code == 302
    check = db.session.scalars(select(PrivacyCheck)).one()
    assert (check.kind, check.status, check.requested_by_id) == ("1", "open", people.coordinator.id)
    assert check.request_note == "Vraag-8e8e" and b"8e8e" not in check.request_note_enc
    assert len(events("privacy_check.requested", check.id)) == 1
    notes = db.session.scalars(select(Notification)).all()
    assert {n.recipient_id for n in notes} == {people.officer.id, people.other_officer.id}
    for note in notes:
        assert signal.reference not in note.body + note.subject and "8e8e" not in note.body


def test_asking_check_1_and_its_log_event_fail_together(client, login_as, people, signal, monkeypatch):
    login_as(people.coordinator)
    state = fail_commit_with(monkeypatch, "privacy_check.requested")
    response = post_prefixed(client, f"/meldingen/{signal.id}/privacytoets", "toets", {"note": "Vraag-8e8e"})
    assert state["failed"] and response.status_code == 503
    monkeypatch.undo()
    db.session.expire_all()
    assert db.session.scalars(select(PrivacyCheck)).all() == []
    assert events("privacy_check.requested") == [] and db.session.scalars(select(Notification)).all() == []


def test_a_too_long_note_is_explained_and_nothing_is_asked(client, login_as, people, signal):
    login_as(people.coordinator)
    response = post_prefixed(client, f"/meldingen/{signal.id}/privacytoets", "toets", {"note": "x" * 2001})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="toets-note-error"' in body
    assert "Gebruik hooguit 2000 tekens." in body
    assert db.session.scalars(select(PrivacyCheck)).all() == []


def test_check_1_cannot_be_asked_before_the_weging(client, login_as, people, make_signal):
    signal = make_signal(status="ingediend")
    login_as(people.coordinator)
    post_prefixed(client, f"/meldingen/{signal.id}/privacytoets", "toets", {})
    assert db.session.scalars(select(PrivacyCheck)).all() == []


def test_an_open_check_1_is_not_asked_twice(client, login_as, people, signal):
    ask(people.coordinator, signal)
    login_as(people.coordinator)
    response = post_prefixed(client, f"/meldingen/{signal.id}/privacytoets", "toets", {})
    assert "Er loopt al een privacytoets 1" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert len(db.session.scalars(select(PrivacyCheck)).all()) == 1


# The privacy officer's list and decision page -----------------------------------------------


def test_the_list_shows_open_checks_without_content(client, login_as, people, signal):
    check = ask(people.coordinator, signal)
    login_as(people.officer)
    body = client.get("/privacy/").get_data(as_text=True)
    assert signal.reference in body and "Privacytoets 1" in body
    assert local_time(check.requested_at) in body
    assert "5d2a" not in body and "9b4f" not in body
    assert len(events("privacy_check.listed")) == 1


def test_the_open_check_shows_the_content_but_not_the_reporter_and_is_logged(client, login_as, people, signal):
    check = ask(people.coordinator, signal, note="Vraag-8e8e")
    login_as(people.officer)
    response = client.get(f"/privacy/toetsen/{check.id}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "5d2a" in body and "9b4f" in body and "8e8e" in body
    assert "Mila Melder" not in body and "mila@gemeente.test" not in body
    [viewed] = events("signal.viewed", signal.id)
    assert viewed.purpose == "privacytoets" and viewed.actor_id == people.officer.id
    assert viewed.subject_pseudonyms == str(signal.subjects[0].id)


def test_a_privacy_officer_without_an_open_check_gets_404_and_a_denial(client, login_as, people, signal):
    check = ask(people.coordinator, signal)
    decide_privacy_check(people.officer, check, approved=False, rationale="nee")
    db.session.commit()
    login_as(people.other_officer)
    for url in (f"/privacy/toetsen/{check.id}", f"/privacy/toetsen/{uuid.uuid4()}"):
        response = client.get(url)
        assert response.status_code == 404
        assert "5d2a" not in response.get_data(as_text=True)
    assert len(events("access.denied", check.id)) == 1
    assert not can_view_signal_content(people.other_officer, signal)
    assert client.get(f"/meldingen/{signal.id}").status_code == 403


def test_deciding_check_1_records_the_registers_and_tells_the_coordinator(client, login_as, people, signal):
    check = ask(people.coordinator, signal)
    login_as(people.officer)
    response = decide(client, check, CHECK_1)
    assert response.status_code == 302
    check = reload(PrivacyCheck, check.id)
    assert (check.status, check.approved, check.decided_by_id) == ("besloten", True, people.officer.id)
    assert check.decided_at is not None
    assert (check.allowed_registers, check.content_registers) == (["brp", "bag"], ["bag"])
    assert check.rationale == DECISION_TEXT and b"31aa" not in check.rationale_enc
    [decided] = events("privacy_check.decided", check.id)
    assert (decided.reason_code, decided.purpose) == ("goedgekeurd", "privacytoets")
    [note] = db.session.scalars(select(Notification).where(Notification.recipient_id == people.coordinator.id))
    assert signal.reference not in note.body and "31aa" not in note.body


def test_after_the_decision_the_page_shows_only_the_decision(client, login_as, people, signal):
    check = ask(people.coordinator, signal)
    login_as(people.officer)
    decide(client, check, CHECK_1)
    response = client.get(f"/privacy/toetsen/{check.id}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Goedgekeurd" in body and "31aa" in body and "BAG (adressen en gebouwen)" in body
    assert "5d2a" not in body and "9b4f" not in body
    assert events("signal.viewed") == [] and len(events("privacy_check.viewed", check.id)) == 1
    assert not can_view_signal_content(reload(type(people.officer), people.officer.id), signal)


def test_a_decided_check_cannot_be_decided_again(client, login_as, people, signal):
    check = ask(people.coordinator, signal)
    login_as(people.officer)
    decide(client, check, CHECK_1)
    decide(client, check, {**CHECK_1, "approved": "nee"})
    assert reload(PrivacyCheck, check.id).approved is True
    assert len(events("privacy_check.decided")) == 1


def test_the_service_refuses_a_check_someone_else_just_decided(people, signal):
    check = ask(people.coordinator, signal)
    db.session.execute(update(PrivacyCheck).where(PrivacyCheck.id == check.id).values(status="besloten"))
    with pytest.raises(DecisionError, match="al besloten"):
        decide_privacy_check(people.officer, check, approved=True, rationale="r", allowed_registers=["brp"],
                             register_assessments=assessments("brp"))
    db.session.rollback()


@pytest.mark.parametrize(("data", "message"), [
    ({**CHECK_1, "content_registers": ["woz"]}, "Inhoud kan alleen worden toegestaan voor bronnen die ook"),
    ({**CHECK_1, "allowed_registers": [], "content_registers": []}, "minstens één bron"),
    ({**CHECK_1, "rationale": ""}, "Vul de onderbouwing van het besluit in."),
    ({**CHECK_1, "approved": "misschien"}, "Kies goedgekeurd of afgewezen."),
    ({**CHECK_1, "allowed_registers": ["brp", "paspoorten"]}, "Kies alleen uit de genoemde bronnen."),
])
def test_an_invalid_check_1_decision_is_explained_and_changes_nothing(client, login_as, people, signal,
                                                                     data, message):
    check = ask(people.coordinator, signal)
    login_as(people.officer)
    response = decide(client, check, data)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and message in body
    if data["rationale"]:
        assert "31aa" in body  # the typed rationale is kept
    assert reload(PrivacyCheck, check.id).status == "open"
    assert events("privacy_check.decided") == []


def test_a_refusal_allows_no_registers(client, login_as, people, signal):
    check = ask(people.coordinator, signal)
    login_as(people.officer)
    decide(client, check, {**CHECK_1, "approved": "nee"})
    check = reload(PrivacyCheck, check.id)
    assert (check.approved, check.allowed_registers, check.content_registers) == (False, [], [])
    assert events("privacy_check.decided", check.id)[0].reason_code == "afgewezen"


def test_a_decision_and_its_log_event_fail_together(client, login_as, people, signal, monkeypatch):
    check = ask(people.coordinator, signal)
    login_as(people.officer)
    state = fail_commit_with(monkeypatch, "privacy_check.decided")
    response = decide(client, check, CHECK_1)
    assert state["failed"] and response.status_code == 503
    monkeypatch.undo()
    check = reload(PrivacyCheck, check.id)
    assert (check.status, check.decided_by_id, check.rationale) == ("open", None, None)
    assert events("privacy_check.decided") == []
    told = select(Notification).where(Notification.recipient_id == people.coordinator.id)
    assert db.session.scalars(told).all() == []


# Checks 2A and 2B ---------------------------------------------------------------------------


def test_check_2a_sets_the_fields_per_invited_department(client, login_as, make_user, people, signal):
    handhaving, wonen, unused = (Department(name=n) for n in ("Handhaving", "Wonen", "Sport"))
    db.session.add_all([handhaving, wonen, unused])
    db.session.flush()
    meeting = Meeting(held_at=datetime(2026, 3, 1, 10), chair_id=people.coordinator.id)
    db.session.add(meeting)
    members = [make_user("member") for _ in range(4)]
    for member, department in zip(members, (handhaving, handhaving, wonen, None), strict=True):
        meeting.invitees.append(MeetingInvitee(user_id=member.id, department_id=department and department.id))
    db.session.commit()
    check = ask(people.coordinator, signal, "2A", meeting=meeting)
    login_as(people.officer)
    body = client.get(f"/privacy/toetsen/{check.id}").get_data(as_text=True)
    assert body.count("Wat mogen deelnemers van Handhaving zien?") == 1
    assert "Wat mogen deelnemers van Wonen zien?" in body and "Sport" not in body

    decide(client, check, {"approved": "ja", "rationale": DECISION_TEXT,
                           f"afdeling_{handhaving.id}": ["fenomeen", "adressen"],
                           f"afdeling_{wonen.id}": ["fenomeen"]})
    check = reload(PrivacyCheck, check.id)
    assert check.status == "besloten"
    assert check.field_rules == {str(handhaving.id): ["fenomeen", "adressen"], str(wonen.id): ["fenomeen"]}
    body = client.get(f"/privacy/toetsen/{check.id}").get_data(as_text=True)
    assert "Zichtbaar voor Handhaving" in body and "Adressen en panden" in body


def test_check_2a_refuses_a_department_that_was_not_invited(people, signal):
    meeting = Meeting(held_at=datetime(2026, 3, 1, 10))
    db.session.add(meeting)
    db.session.commit()
    check = ask(people.coordinator, signal, "2A", meeting=meeting)
    with pytest.raises(DecisionError, match="niet voor dit overleg uitgenodigd"):
        decide_privacy_check(people.officer, check, approved=True, rationale="r", field_rules={"999": ["fenomeen"]})
    db.session.rollback()


def test_check_2b_sets_the_fields_that_may_be_shared(client, login_as, people, signal):
    department = Department(name="Handhaving")
    db.session.add(department)
    db.session.flush()
    action = create_action(people.coordinator, signal, type="13b_opiumwet", deadline=date(2026, 6, 1),
                           owner_department_id=department.id, description="Actie-4c4c")
    db.session.commit()
    check = ask(people.coordinator, signal, "2B", action=action)
    login_as(people.officer)
    body = client.get(f"/privacy/toetsen/{check.id}").get_data(as_text=True)
    assert "Sluiting art. 13b Opiumwet" in body and "Handhaving" in body and "4c4c" in body

    response = decide(client, check, {"approved": "ja", "rationale": "r", "allowed_fields": []})
    assert "minstens één gegeven" in response.get_data(as_text=True)
    response = decide(client, check, {"approved": "ja", "rationale": "r", "allowed_fields": ["betrokkenen"]})
    assert "minstens één bevoegdheid" in response.get_data(as_text=True)  # weging 5
    assert 'id="powers-error"' in response.get_data(as_text=True)
    decide(client, check, {"approved": "ja", "rationale": "r", "allowed_fields": ["betrokkenen", "fenomeen"],
                           "powers": [str(i) for i in power_ids("Wet Bibob", "Gemeentewet art. 174a")]})
    decided = reload(PrivacyCheck, check.id)
    assert decided.allowed_fields == ["fenomeen", "betrokkenen"]
    assert decided.powers == sorted(power_ids("Wet Bibob", "Gemeentewet art. 174a"))
    assert "Sluiting van een woning" in decided.power_labels
    assert "Subsidies en vastgoedtransacties" in decided.power_labels


# Who decides: the setting -------------------------------------------------------------------


def test_the_coordinator_cannot_decide_while_the_setting_is_off(client, login_as, people, signal):
    check = ask(people.coordinator, signal)
    login_as(people.coordinator)
    assert client.get("/privacy/").status_code == 403
    assert client.get(f"/privacy/toetsen/{check.id}").status_code == 404
    assert decide(client, check, CHECK_1).status_code == 404
    assert reload(PrivacyCheck, check.id).status == "open"
    assert len(events("access.denied", check.id)) == 2
    body = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    assert "Wacht op besluit" in body and f"/privacy/toetsen/{check.id}" not in body


def test_with_the_setting_on_the_coordinator_decides(client, login_as, people, signal):
    set_setting("privacy_checks_by_coordinator", "1")
    db.session.commit()
    check = ask(people.coordinator, signal)
    assert db.session.scalars(select(Notification)).all() == []  # nobody else to tell
    login_as(people.coordinator)
    assert client.get("/privacy/").status_code == 200
    assert f"/privacy/toetsen/{check.id}" in client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    decide(client, check, CHECK_1)
    check = reload(PrivacyCheck, check.id)
    assert (check.status, check.decided_by_id) == ("besloten", people.coordinator.id)


# Four eyes when the coordinator records the checks ----------------------------------------------

REOPEN_REASON = "Heropend-8e1f: BRP is niet nodig voor deze weging."


def _as(app, user):
    """A client of its own for each person (several people take turns in one test)."""
    client = app.test_client()
    assert login(client, user.email).status_code == 200
    return client


def _coordinator_decides(app, people, signal, data=CHECK_1) -> PrivacyCheck:
    set_setting("privacy_checks_by_coordinator", "1")
    db.session.commit()
    check = ask(people.coordinator, signal)
    assert decide(_as(app, people.coordinator), check, data).status_code == 302
    return reload(PrivacyCheck, check.id)


def test_a_check_the_coordinator_records_is_told_to_every_privacy_officer(app, people, signal):
    check = _coordinator_decides(app, people, signal)
    assert (check.status, check.decided_role) == ("besloten", "coordinator")
    told = db.session.scalars(select(Notification).where(Notification.subject == REVIEW_SUBJECT)).all()
    assert {n.recipient_id for n in told} == {people.officer.id, people.other_officer.id}
    for note in told:  # no content, no reference
        assert signal.reference not in note.body and "5d2a" not in note.body

    client = _as(app, people.officer)
    listing = client.get("/privacy/").get_data(as_text=True)
    assert "Vastgelegd door de regisseur" in listing and f"/privacy/toetsen/{check.id}" in listing
    page = client.get(f"/privacy/toetsen/{check.id}").get_data(as_text=True)
    assert "door de regisseur" in page and "31aa" in page and "Besluit heropenen" in page
    assert "5d2a" not in page and PERSON[0] not in page  # the decision, not the signal


def test_a_privacy_officers_own_decision_is_told_to_no_other_officer(app, people, signal):
    check = ask(people.coordinator, signal)
    client = _as(app, people.officer)
    decide(client, check, CHECK_1)
    assert reload(PrivacyCheck, check.id).decided_role == "privacy_officer"
    assert db.session.scalars(select(Notification).where(Notification.subject == REVIEW_SUBJECT)).all() == []
    client = _as(app, people.other_officer)
    assert client.get(f"/privacy/toetsen/{check.id}").status_code == 404  # nothing to review
    assert post_form(client, f"/privacy/toetsen/{check.id}/heropenen",
                     {"heropenen-reason": REOPEN_REASON}).status_code == 404
    assert reload(PrivacyCheck, check.id).status == "besloten"


def test_the_privacy_officer_reopens_it_and_decides_anew_alone(app, people, signal):
    check = _coordinator_decides(app, people, signal)
    assert approved_check_1(signal).id == check.id
    client = _as(app, people.officer)
    response = post_form(client, f"/privacy/toetsen/{check.id}/heropenen", {"heropenen-reason": REOPEN_REASON},
                         from_url=f"/privacy/toetsen/{check.id}")
    again = db.session.scalars(select(PrivacyCheck).where(PrivacyCheck.reopened_from_id == check.id)).one()
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/privacy/toetsen/{again.id}")
    assert reload(PrivacyCheck, check.id).status == "heropend"
    assert (again.status, again.kind, again.requested_by_id) == ("open", "1", people.officer.id)
    assert REOPEN_REASON in again.request_note and b"8e1f" not in again.request_note_enc
    assert approved_check_1(signal) is None  # the coordinator's decision no longer counts
    assert [e.actor_id for e in events("privacy_check.reopened", check.id)] == [people.officer.id]
    told = db.session.scalars(select(Notification).where(Notification.subject == "Privacytoets heropend")).all()
    assert [n.recipient_id for n in told] == [people.coordinator.id]
    assert "5d2a" in client.get(f"/privacy/toetsen/{again.id}").get_data(as_text=True)  # open: the content

    client = _as(app, people.coordinator)  # the coordinator may not decide the reopened check
    workspace = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    assert "Heropend door de privacyfunctionaris" in workspace and f"/privacy/toetsen/{again.id}" not in workspace
    assert f"/privacy/toetsen/{again.id}" not in client.get("/privacy/").get_data(as_text=True)
    assert decide(client, again, CHECK_1).status_code == 404
    assert reload(PrivacyCheck, again.id).status == "open"

    client = _as(app, people.officer)
    assert decide(client, again, {**CHECK_1, "allowed_registers": ["bag"], "content_registers": []}).status_code == 302
    assert reload(PrivacyCheck, again.id).status == "besloten"
    assert approved_check_1(signal).id == again.id and approved_check_1(signal).allowed_registers == ["bag"]


def test_a_reopening_without_a_reason_or_twice_is_explained_and_changes_nothing(app, people, signal):
    check = _coordinator_decides(app, people, signal)
    client = _as(app, people.officer)
    url = f"/privacy/toetsen/{check.id}/heropenen"
    response = post_form(client, url, {"heropenen-reason": "  "}, from_url=f"/privacy/toetsen/{check.id}")
    assert response.status_code == 400 and "Vul in waarom u het besluit heropent." in response.get_data(as_text=True)
    assert reload(PrivacyCheck, check.id).status == "besloten"
    assert post_form(client, url, {"heropenen-reason": REOPEN_REASON}).status_code == 302
    response = post_form(client, url, {"heropenen-reason": "nog een keer"}, from_url=f"/privacy/toetsen/{check.id}")
    assert response.status_code == 409 and "nog geldt" in response.get_data(as_text=True)
    assert len(db.session.scalars(select(PrivacyCheck).where(PrivacyCheck.reopened_from_id == check.id)).all()) == 1


def test_a_check_2b_of_a_sent_referral_cannot_be_reopened(people, signal):
    set_setting("privacy_checks_by_coordinator", "1")
    check = ask(people.coordinator, signal, "2B")
    decide_privacy_check(people.coordinator, check, approved=True, rationale=DECISION_TEXT,
                         allowed_fields=["fenomeen"], powers=power_ids())
    referral = Referral(signal_id=signal.id, partner_id=_partner().id, legal_ground="wgs_riec",
                        legal_ground_text="Delen met het RIEC", data_categories=["fenomeen"], status="verstuurd",
                        sent_on=date(2026, 3, 4))
    referral.purpose = "Integrale aanpak"
    db.session.add(referral)
    db.session.flush()
    check.referral_id = referral.id
    db.session.commit()
    with pytest.raises(DecisionError, match="al verstuurd"):
        reopen_privacy_check(people.officer, check, REOPEN_REASON)
    db.session.rollback()
    with pytest.raises(DecisionError):
        reopen_privacy_check(people.coordinator, check, REOPEN_REASON)  # only a privacy officer


def _partner():
    partner = Partner(name="RIEC Testregio")
    db.session.add(partner)
    db.session.flush()
    return partner


def test_the_workspace_shows_the_decision(client, login_as, people, signal):
    check = ask(people.coordinator, signal)
    decide_privacy_check(people.officer, check, approved=True, rationale=DECISION_TEXT,
                         allowed_registers=["brp", "bag"], content_registers=["bag"],
                         register_assessments=assessments("brp", "bag"))
    db.session.commit()
    login_as(people.coordinator)
    body = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    assert 'id="privacytoetsen"' in body and ">Privacytoetsen <span" in body
    assert "Goedgekeurd" in body and "Paula Privacy" in body and "31aa" in body
    assert "BRP (personen), BAG (adressen en gebouwen)" in body


# The admin settings page --------------------------------------------------------------------

# The rest of the settings form as the page fills it (the log thresholds, the reporter's protection).
LOG_SETTINGS = {"audit_bulk_reads_per_hour": "100", "audit_office_hours_start": "7", "audit_office_hours_end": "19",
                "reporter_summary_required": "y", "feedback_level": "statussen"}


def test_the_admin_changes_the_settings_and_each_change_is_logged(client, make_user, login_as):
    login_as(make_user("admin"))
    body = client.get("/beheer/instellingen").get_data(as_text=True)
    assert 'value="10"' in body
    response = post_form(client, "/beheer/instellingen",
                         {"privacy_checks_by_coordinator": "y", "waiting_too_long_days": "10", **LOG_SETTINGS})
    assert response.status_code == 302
    assert get_setting("privacy_checks_by_coordinator") == "1"
    assert [e.object_id for e in events("setting.changed")] == ["privacy_checks_by_coordinator"]
    post_form(client, "/beheer/instellingen", {"waiting_too_long_days": "30", **LOG_SETTINGS})
    db.session.expire_all()
    assert (get_setting("privacy_checks_by_coordinator"), get_setting("waiting_too_long_days")) == ("0", "30")
    assert len(events("setting.changed")) == 3
    assert "checked" not in client.get("/beheer/instellingen").get_data(as_text=True).split("privacy_checks")[1][:200]


def test_the_admin_sets_the_anomaly_thresholds_and_bad_hours_keep_the_input(client, make_user, login_as):
    login_as(make_user("admin"))
    response = post_form(client, "/beheer/instellingen", {
        "waiting_too_long_days": "10", "audit_bulk_reads_per_hour": "250",
        "audit_office_hours_start": "8", "audit_office_hours_end": "18", "feedback_level": "statussen",
    })
    assert response.status_code == 302
    assert [get_setting(k) for k in LOG_SETTINGS] == ["250", "8", "18", "0", "statussen"]
    response = post_form(client, "/beheer/instellingen", {
        "waiting_too_long_days": "10", "audit_bulk_reads_per_hour": "250",
        "audit_office_hours_start": "18", "audit_office_hours_end": "9",
    })
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Het einde van de kantoortijd moet na het begin liggen." in body
    assert 'value="18"' in body and 'value="9"' in body  # what was typed stays
    db.session.expire_all()
    assert get_setting("audit_office_hours_end") == "18"  # nothing saved


def test_a_setting_and_its_log_event_fail_together(client, make_user, login_as, monkeypatch):
    login_as(make_user("admin"))
    state = fail_commit_with(monkeypatch, "setting.changed")
    response = post_form(client, "/beheer/instellingen",
                         {"privacy_checks_by_coordinator": "y", "waiting_too_long_days": "20", **LOG_SETTINGS})
    assert state["failed"] and response.status_code == 503
    monkeypatch.undo()
    db.session.expire_all()
    assert db.session.scalars(select(Setting)).all() == [] and events("setting.changed") == []


@pytest.mark.parametrize("days", ["0", "366", "tien", ""])
def test_the_number_of_days_must_be_between_1_and_365(client, make_user, login_as, days):
    login_as(make_user("admin"))
    response = post_form(client, "/beheer/instellingen", {"waiting_too_long_days": days})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Vul een aantal dagen" in body or "geldig geheel getal" in body
    assert db.session.scalars(select(Setting)).all() == []
    assert events("setting.changed") == []


@pytest.mark.parametrize("role", ["reporter", "member", "coordinator", "privacy_officer"])
def test_only_the_admin_changes_settings(client, make_user, role):
    user = make_user(role)
    login(client, user.email)
    assert client.get("/beheer/instellingen").status_code == 403
    assert post_form(client, "/beheer/instellingen", {"privacy_checks_by_coordinator": "y",
                                                      "waiting_too_long_days": "5"}).status_code == 403
    assert get_setting("privacy_checks_by_coordinator") == "0"
