"""Need-to-know for members (README “Roles”, §9; docs/security.md "Access control").

A member sees only the agenda items of meetings they are invited to, from publication until
the meeting closes, each with only the fields privacy check 2A opened to their department.
The reporter is never shown. Anything else answers 404 and writes a denial event.
"""

import pytest

from casustafel.extensions import db
from casustafel.meetings import services
from tests.helpers.meetings import (
    ALL_FIELDS,
    add,
    close_on_the_day,
    decide_2a,
    department,
    events,
    logged_in,
    plan_meeting,
    published_scene,
)
from tests.helpers.meetings_access import MARKERS, agenda_url, assert_only, marked_scene

# One marker per shareable field: present exactly when check 2A opened that field.








# --- the fields check 2A allows --------------------------------------------------------------


@pytest.mark.parametrize("field", ALL_FIELDS)
def test_a_member_sees_exactly_the_field_check_2a_opened_to_their_department(app, make_user, make_signal, field):
    scene = marked_scene(make_user, make_signal, [field])
    response = logged_in(app, scene.member).get(agenda_url(scene.meeting))
    assert response.status_code == 200
    assert_only(response.get_data(as_text=True), {field})


def test_with_every_field_open_the_reporter_is_still_not_shown(app, make_user, make_signal):
    scene = marked_scene(make_user, make_signal, ALL_FIELDS)
    body = logged_in(app, scene.member).get(agenda_url(scene.meeting)).get_data(as_text=True)
    assert_only(body, set(ALL_FIELDS))
    assert "Naam-Markeerling Holding" in body


def test_another_department_sees_nothing_the_check_did_not_open_to_it(app, make_user, make_signal):
    scene = marked_scene(make_user, make_signal, ALL_FIELDS, publish=False)
    handhaving = department("Handhaving")
    colleague = make_user("member", department_id=handhaving.id)
    services.invite(scene.coordinator, scene.meeting, colleague)  # late: check 2A is asked again
    db.session.commit()
    decide_2a(scene.signal, scene.meeting, {scene.dept.id: ALL_FIELDS})  # again nothing for Handhaving
    services.publish(scene.coordinator, scene.meeting)
    db.session.commit()
    body = logged_in(app, colleague).get(agenda_url(scene.meeting)).get_data(as_text=True)
    assert_only(body, set())
    assert scene.signal.reference in body
    assert "geen gegevens van deze melding vrijgegeven" in body


def test_the_department_chosen_at_the_invitation_counts_not_the_users_own(app, make_user, make_signal):
    scene = marked_scene(make_user, make_signal, ["beschrijving"], publish=False)
    handhaving = department("Handhaving")
    guest = make_user("member", department_id=handhaving.id)
    services.invite(scene.coordinator, scene.meeting, guest, department_id=scene.dept.id)
    services.publish(scene.coordinator, scene.meeting)
    db.session.commit()
    assert_only(logged_in(app, guest).get(agenda_url(scene.meeting)).get_data(as_text=True), {"beschrijving"})


def test_a_rejected_check_2a_opens_nothing(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal, publish=False, summary=MARKERS["beschrijving"])
    other = make_signal(status="bronnenonderzoek", description="Tweede-marker")
    add(scene.coordinator, scene.meeting, other)
    decide_2a(other, scene.meeting, {scene.dept.id: ["beschrijving"]}, approved=False)
    services.publish(scene.coordinator, scene.meeting)
    db.session.commit()
    body = logged_in(app, scene.member).get(agenda_url(scene.meeting)).get_data(as_text=True)
    assert MARKERS["beschrijving"] in body and "Tweede-marker" not in body


def test_every_item_shown_is_logged_with_subject_pseudonyms_only(app, make_user, make_signal):
    scene = marked_scene(make_user, make_signal, ["betrokkenen"])
    logged_in(app, scene.member).get(agenda_url(scene.meeting))
    [event] = events("agenda_item.viewed", scene.item.id)
    assert event.actor_id == scene.member.id and event.actor_role == "member"
    assert set(event.subject_pseudonyms.split(",")) == {str(s.id) for s in scene.signal.subjects}
    serialised = " ".join(str(v) for v in vars(event).values())
    assert all(marker not in serialised for marker in MARKERS.values())


def test_an_item_showing_no_personal_data_logs_no_subjects(app, make_user, make_signal):
    scene = marked_scene(make_user, make_signal, ["fenomeen"])
    logged_in(app, scene.member).get(agenda_url(scene.meeting))
    [event] = events("agenda_item.viewed", scene.item.id)
    assert event.subject_pseudonyms is None


# --- when and which meetings -----------------------------------------------------------------


def test_mijn_overleggen_lists_only_published_open_meetings_the_member_is_invited_to(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal)
    concept = plan_meeting(scene.coordinator, days_ahead=20)
    services.invite(scene.coordinator, concept, scene.member)
    not_invited = plan_meeting(scene.coordinator, days_ahead=30)
    db.session.commit()
    body = logged_in(app, scene.member).get("/overleggen/mijn").get_data(as_text=True)
    assert agenda_url(scene.meeting) in body
    assert str(concept.id) not in body and str(not_invited.id) not in body
    close_on_the_day(scene.coordinator, scene.meeting)
    db.session.commit()
    body = logged_in(app, scene.member).get("/overleggen/mijn").get_data(as_text=True)
    assert "Er staat nu geen agenda voor u klaar." in body


def test_a_member_invited_to_x_gets_404_for_y_and_for_x_once_closed(app, make_user, make_signal):
    x = published_scene(make_user, make_signal, summary="Punt van overleg X")
    y = plan_meeting(x.coordinator, days_ahead=21)
    y_signal = make_signal(status="bronnenonderzoek", summary="Punt van overleg Y")
    add(x.coordinator, y, y_signal)
    other = make_user("member", department_id=x.dept.id)
    services.invite(x.coordinator, y, other)
    db.session.commit()
    decide_2a(y_signal, y, {x.dept.id: ALL_FIELDS})
    services.publish(x.coordinator, y)
    db.session.commit()

    client = logged_in(app, x.member)
    assert "Punt van overleg X" in client.get(agenda_url(x.meeting)).get_data(as_text=True)
    response = client.get(agenda_url(y))
    assert response.status_code == 404 and "Punt van overleg Y" not in response.get_data(as_text=True)
    assert [e.result for e in events("access.denied", y.id)] == ["denied"]

    close_on_the_day(x.coordinator, x.meeting)
    db.session.commit()
    response = client.get(agenda_url(x.meeting))
    assert response.status_code == 404 and "Punt van overleg X" not in response.get_data(as_text=True)
    assert len(events("access.denied", x.meeting.id)) == 1


def test_a_concept_agenda_answers_404_even_to_an_invited_member(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal, publish=False)
    response = logged_in(app, scene.member).get(agenda_url(scene.meeting))
    assert response.status_code == 404
    assert events("access.denied", scene.meeting.id)


def test_withdrawing_an_invitation_ends_access(app, client, make_user, make_signal, login_as):
    scene = published_scene(make_user, make_signal)
    member_client = logged_in(app, scene.member)
    assert member_client.get(agenda_url(scene.meeting)).status_code == 200
    login_as(scene.coordinator)
    page = f"/overleggen/{scene.meeting.id}"
    from tests.helpers.meetings import post

    assert post(client, f"{page}/deelnemers/{scene.member.id}/verwijderen", {}, page).status_code == 302
    assert member_client.get(agenda_url(scene.meeting)).status_code == 404


def test_an_unknown_meeting_answers_404_with_a_denial(app, make_user):
    import uuid

    member = make_user("member")
    missing = uuid.uuid4()
    assert logged_in(app, member).get(f"/overleggen/{missing}/agenda").status_code == 404
    assert events("access.denied", missing)


@pytest.mark.parametrize("path", ["", "/agendapunten/{item}", "/wijzigen"])
def test_members_never_reach_the_coordinators_pages(app, make_user, make_signal, path):
    scene = published_scene(make_user, make_signal)
    url = f"/overleggen/{scene.meeting.id}" + path.format(item=scene.item.id)
    response = logged_in(app, scene.member).get(url)
    assert response.status_code == 403
    assert "Jan Jansen" not in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["reporter", "privacy_officer", "admin"])
def test_other_roles_never_see_an_agenda(app, make_user, make_signal, role):
    scene = published_scene(make_user, make_signal)
    client = logged_in(app, make_user(role))
    assert client.get(agenda_url(scene.meeting)).status_code == 403
    assert client.get("/overleggen/mijn").status_code == 403
