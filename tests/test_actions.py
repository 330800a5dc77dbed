"""Actions: Mijn acties, the action page and its update, the coordinator's overview and new
action, privacy check 2B before a department sees the description, and the daily reminder.

README “Roles” (a member sees and updates actions assigned to them), §4 (in aanpak; 2B before
data goes to a department or partner), §8 (notifications say only that there is news);
docs/security.md "Access control" (foreign object → 404 + denial) and "Proving it" (concurrent edits).
"""

import html
from datetime import date, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from casustafel.actions import services
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import Action, AuditEvent, Department, Notification, PrivacyCheck
from tests.conftest import TODAY, UUID_TEXT, csrf_from

# Dates computed here (today, tomorrow, overdue, this year) are checked against the app's:
# both on the same pinned day (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("pinned_day")

SIGNAL_TEXT = "SIGNAALTEKST-kanarie"
ACTION_TEXT = "Controleer de vergunning van het pand aan de Kanariestraat"


@pytest.fixture
def department():
    def make(name="Vergunningen"):
        dept = Department(name=name)
        db.session.add(dept)
        db.session.commit()
        return dept

    return make


@pytest.fixture
def make_action(make_signal, make_user):
    """An action stored through the service, as the coordinator would create it."""

    def make(owner=None, *, dept=None, signal=None, deadline=None, status="open", description=ACTION_TEXT,
             type="handhaving", result=None):
        signal = signal or make_signal(description=SIGNAL_TEXT, status="in_aanpak")
        action = services.create_action(
            None, signal, type=type, deadline=deadline or TODAY + timedelta(days=14),
            owner_id=owner.id if owner else None, owner_department_id=dept.id if dept else None,
            description=description,
        )
        if status != "open" or result:
            services.update_action(None, action, status=status, result=result)
        db.session.commit()
        return action

    return make


def events(action_name):
    db.session.expire_all()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action_name).order_by(AuditEvent.seq)).all()


def post(client, url, data):
    token = csrf_from(client.get(url))
    return client.post(url, data={"csrf_token": token, **data})


def reload(action):
    db.session.expire_all()
    return db.session.get(Action, action.id)


# --- who sees which action ---------------------------------------------------------------


def test_mijn_acties_lists_own_and_department_actions_and_marks_overdue_ones(
    client, make_user, login_as, make_action, department
):
    dept, other_dept = department("Handhaving"), department("Belastingen")
    member = make_user("member", department_id=dept.id)
    colleague = make_user("member", department_id=dept.id)
    own = make_action(member, type="overig", deadline=TODAY - timedelta(days=2))
    make_action(dept=dept, type="stopgesprek")
    make_action(colleague, dept=dept, type="integrale_controle")  # a colleague's own action
    make_action(colleague, type="adresonderzoek_brp")
    make_action(dept=other_dept, type="13b_opiumwet")

    page = login_as(member).get("/acties/mijn").get_data(as_text=True)

    assert ">Overig</a>" in page and "Stopgesprek" in page
    for hidden in ("Integrale controle", "Adresonderzoek BRP", "Sluiting art. 13b Opiumwet"):
        assert hidden not in page
    assert f"{own.deadline.strftime('%d-%m-%Y')} — <strong>verlopen</strong>" in page
    assert page.count("verlopen</strong>") == 1
    assert events("action.listed")


def test_another_members_action_answers_404_and_logs_a_denial(client, make_user, login_as, make_action):
    owner, stranger = make_user("member"), make_user("member")
    action = make_action(owner)

    client = login_as(stranger)
    assert client.get(f"/acties/{action.id}").status_code == 404
    response = client.post(f"/acties/{action.id}", data={"csrf_token": csrf_from(client.get("/acties/mijn")),
                                                         "status": "afgerond", "result": "x"})
    assert response.status_code == 404
    denials = [e for e in events("access.denied") if e.object_type == "action"]
    assert len(denials) == 2 and all(e.object_id == str(action.id) for e in denials)
    assert reload(action).status == "open"


def test_a_department_member_sees_the_departments_action_but_not_another_departments(
    client, make_user, login_as, make_action, department
):
    dept, other = department("Handhaving"), department("Sociaal domein")
    member = make_user("member", department_id=dept.id)
    ours, theirs = make_action(dept=dept), make_action(dept=other)
    client = login_as(member)
    assert client.get(f"/acties/{ours.id}").status_code == 200
    assert client.get(f"/acties/{theirs.id}").status_code == 404


def test_the_coordinator_sees_every_action_and_the_overview(client, make_user, login_as, make_action):
    action = make_action(make_user("member"))
    client = login_as(make_user("coordinator"))
    assert client.get(f"/acties/{action.id}").status_code == 200
    assert "Handhaving" in client.get("/acties/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["reporter", "privacy_officer", "admin"])
def test_other_roles_have_no_action_pages(client, make_user, login_as, make_action, role):
    action = make_action(make_user("member"))
    client = login_as(make_user(role))
    for url in ("/acties/mijn", f"/acties/{action.id}", "/acties/", f"/acties/nieuw/{action.signal_id}"):
        assert client.get(url).status_code == 403, url


def test_a_member_sees_nothing_of_the_signal_or_the_action_text_before_check_2b(
        client, make_user, login_as, make_action):
    member = make_user("member")
    action = make_action(member)
    page = login_as(member).get(f"/acties/{action.id}").get_data(as_text=True)
    assert action.signal.reference in page and "Privacytoets 2B is nog niet aangevraagd" in page
    assert html.escape(ACTION_TEXT) not in page
    assert SIGNAL_TEXT not in page and "Jan Jansen" not in page and "1234 AB" not in page
    viewed = events("action.viewed")
    assert len(viewed) == 1 and viewed[0].object_id == str(action.id) and viewed[0].subject_pseudonyms is None


@pytest.mark.parametrize("owner", ["person", "department"])
def test_an_action_owner_sees_only_the_fields_check_2b_allowed(client, make_user, login_as, make_action,
                                                               department, owner):
    from casustafel.privacy.services import request_privacy_check

    dept = department("Vergunningen")
    member = make_user("member", department_id=dept.id)
    action = make_action(member) if owner == "person" else make_action(dept=dept)
    decide(request_privacy_check(None, action.signal, "2B", action=action), approved=True, fields=["adressen"])
    page = login_as(member).get(f"/acties/{action.id}").get_data(as_text=True)
    assert "Gegevens uit de melding" in page and "1234 AB" in page  # the address 2B allowed
    assert html.escape(ACTION_TEXT) not in page  # the action's own text: only with "beschrijving"
    assert SIGNAL_TEXT not in page and "Jan Jansen" not in page
    assert "1980" not in UUID_TEXT.sub("", page)  # the birth year; ids in links are random hex
    [viewed] = events("action.viewed")
    assert viewed.subject_pseudonyms == str(action.signal.subjects[0].id)  # an address of a subject was shown


# --- updating ----------------------------------------------------------------------------


def test_the_owner_updates_status_and_result_and_the_result_is_encrypted(client, make_user, login_as, make_action):
    member = make_user("member")
    action = make_action(member)
    client = login_as(member)
    url = f"/acties/{action.id}"

    response = post(client, url, {"status": "in_uitvoering", "result": "", "version": "1"})
    assert response.status_code == 302
    assert reload(action).status == "in_uitvoering"

    response = post(client, url, {"status": "afgerond", "result": "Pand gesloten op last van de burgemeester",
                                  "version": str(reload(action).version)})
    assert response.status_code == 302
    action = reload(action)
    assert action.status == "afgerond" and action.completed_at is not None
    assert action.result == "Pand gesloten op last van de burgemeester"
    assert b"Pand gesloten" not in action.result_enc
    assert len(events("action.updated")) == 2
    page = client.get(url).get_data(as_text=True)
    assert "Pand gesloten op last van de burgemeester" in page and "Opslaan" not in page


def test_completing_an_action_needs_a_result_and_keeps_the_input(client, make_user, login_as, make_action):
    member = make_user("member")
    action = make_action(member)
    response = post(login_as(member), f"/acties/{action.id}", {"status": "afgerond", "result": "", "version": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Vul het resultaat in als de actie is afgerond." in page
    assert '<option selected value="afgerond">' in page
    assert reload(action).status == "open"


def test_the_status_only_moves_forward(client, make_user, login_as, make_action):
    member = make_user("member")
    action = make_action(member, status="in_uitvoering")
    response = post(login_as(member), f"/acties/{action.id}", {"status": "open", "result": "", "version": "2"})
    assert response.status_code == 200
    assert "Ongeldige keuze" in response.get_data(as_text=True)
    assert reload(action).status == "in_uitvoering"


def test_a_member_cannot_change_owner_deadline_or_description(client, make_user, login_as, make_action):
    member, other = make_user("member"), make_user("member")
    action = make_action(member)
    post(login_as(member), f"/acties/{action.id}", {
        "status": "in_uitvoering", "result": "", "version": "1",
        "owner_id": str(other.id), "deadline": "2000-01-01", "description": "overschreven",
    })
    action = reload(action)
    assert action.status == "in_uitvoering"
    assert (action.owner_id, action.deadline, action.description) == (member.id, TODAY + timedelta(days=14),
                                                                       ACTION_TEXT)


def test_a_stale_version_gets_a_dutch_conflict_and_keeps_the_typed_result(client, make_user, login_as, make_action):
    member, coordinator = make_user("member"), make_user("coordinator")
    action = make_action(member)
    client = login_as(member)
    url = f"/acties/{action.id}"
    token = csrf_from(client.get(url))
    services.update_action(coordinator, reload(action), status="in_uitvoering")  # meanwhile, elsewhere
    db.session.commit()

    response = client.post(url, data={"csrf_token": token, "status": "afgerond",
                                      "result": "Mijn getypte resultaat", "version": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Iemand anders heeft deze actie intussen gewijzigd" in page
    assert "Mijn getypte resultaat" in page
    assert 'name="version" type="hidden" value="2"' in page
    action = reload(action)
    assert action.status == "in_uitvoering" and action.result is None

    # Saving again on purpose, from the new version, goes through.
    client.post(url, data={"csrf_token": token, "status": "afgerond", "result": "Mijn getypte resultaat",
                           "version": "2"})
    assert reload(action).status == "afgerond"


def test_a_finished_action_cannot_be_changed(client, make_user, login_as, make_action):
    member = make_user("member")
    action = make_action(member, status="afgerond", result="Klaar")
    response = post(login_as(member), f"/acties/{action.id}", {"status": "afgerond", "result": "Anders",
                                                                "version": str(action.version)})
    assert response.status_code == 302
    assert reload(action).result == "Klaar"


def test_an_update_by_the_coordinator_notifies_the_owner_without_content(client, make_user, login_as, make_action):
    member = make_user("member")
    action = make_action(member)
    post(login_as(make_user("coordinator")), f"/acties/{action.id}",
         {"status": "in_uitvoering", "result": "Geheime voortgang", "version": "1"})
    messages = db.session.scalars(select(Notification).where(Notification.recipient_id == member.id)).all()
    assert len(messages) == 1
    assert "Geheime" not in messages[0].body and action.signal.reference not in messages[0].body


# --- the coordinator creates an action -------------------------------------------------------


def new_action_data(**overrides):
    return {"type": "handhaving", "owner_id": "", "owner_department_id": "",
            "deadline": (TODAY + timedelta(days=7)).isoformat(), "description": ACTION_TEXT} | overrides


def test_the_coordinator_creates_an_action_for_a_member_who_is_notified_without_content(
    client, make_user, login_as, make_signal
):
    member = make_user("member", name="Mo Deelnemer")
    officer = make_user("privacy_officer")
    signal = make_signal(description=SIGNAL_TEXT, status="in_aanpak")
    client = login_as(make_user("coordinator"))
    url = f"/acties/nieuw/{signal.id}"
    assert "Mo Deelnemer" in client.get(url).get_data(as_text=True)

    response = post(client, url, new_action_data(owner_id=str(member.id)))
    assert response.status_code == 302
    action = db.session.scalar(select(Action).where(Action.signal_id == signal.id))
    assert response.headers["Location"].endswith(f"/acties/{action.id}")
    assert (action.owner_id, action.owner_department_id, action.type) == (member.id, None, "handhaving")
    assert action.description == ACTION_TEXT and b"Kanarie" not in action.description_enc
    check = db.session.scalar(select(PrivacyCheck))  # a person gets data too: check 2B first
    assert (check.kind, check.status, check.action_id) == ("2B", "open", action.id)
    told = db.session.scalars(select(Notification).where(Notification.recipient_id == officer.id))
    assert [n.subject for n in told] == ["Nieuwe privacytoets"]  # a check waits; nothing more
    [message] = db.session.scalars(select(Notification).where(Notification.recipient_id == member.id)).all()
    assert message.body.startswith("Er staat een actie voor u open in casustafel")
    assert "Kanarie" not in message.body + message.subject and signal.reference not in message.body
    assert events("action.created")


def test_a_new_action_refuses_a_deadline_in_the_past_and_keeps_the_input(client, make_user, login_as, make_signal):
    member = make_user("member")
    signal = make_signal(status="in_aanpak")
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    response = post(login_as(make_user("coordinator")), f"/acties/nieuw/{signal.id}",
                    new_action_data(owner_id=str(member.id), deadline=yesterday))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Deze datum ligt in het verleden" in page
    assert f'value="{yesterday}"' in page and html.escape(ACTION_TEXT) in page
    assert db.session.scalar(select(Action)) is None


@pytest.mark.parametrize("both", [True, False])
def test_a_new_action_needs_exactly_one_person_or_department(
    client, make_user, login_as, make_signal, department, both
):
    member, dept = make_user("member"), department()
    signal = make_signal(status="in_aanpak")
    data = new_action_data(owner_id=str(member.id), owner_department_id=str(dept.id)) if both else new_action_data()
    response = post(login_as(make_user("coordinator")), f"/acties/nieuw/{signal.id}", data)
    assert "Kies óf een persoon óf een afdeling" in response.get_data(as_text=True)
    assert db.session.scalar(select(Action)) is None


def test_only_members_can_be_chosen_as_owner(client, make_user, login_as, make_signal):
    reporter = make_user("reporter", name="Rik Melder")
    signal = make_signal(status="in_aanpak")
    client = login_as(make_user("coordinator"))
    assert "Rik Melder" not in client.get(f"/acties/nieuw/{signal.id}").get_data(as_text=True)
    response = post(client, f"/acties/nieuw/{signal.id}", new_action_data(owner_id=str(reporter.id)))
    assert response.status_code == 200 and db.session.scalar(select(Action)) is None


def test_no_action_on_a_closed_signal(client, make_user, login_as, make_signal):
    signal = make_signal(status="afgesloten")
    response = post(login_as(make_user("coordinator")), f"/acties/nieuw/{signal.id}",
                    new_action_data(owner_id=str(make_user("member").id)))
    assert "Deze melding is afgesloten" in response.get_data(as_text=True)
    assert db.session.scalar(select(Action)) is None


def test_a_new_action_on_an_unknown_signal_answers_404_with_a_denial(client, make_user, login_as):
    unknown = "00000000-0000-4000-8000-000000000000"
    assert login_as(make_user("coordinator")).get(f"/acties/nieuw/{unknown}").status_code == 404
    assert [e.object_id for e in events("access.denied")] == [unknown]


# --- privacy check 2B --------------------------------------------------------------------


def decide(check, approved, fields=()):
    check.status, check.approved, check.decided_at = "besloten", approved, utcnow()
    check.allowed_fields = list(fields) if approved else []
    db.session.commit()


def test_a_department_action_asks_privacy_check_2b_and_hides_the_description_until_approved(
    client, make_user, login_as, make_signal, department
):
    dept = department("Handhaving")
    member = make_user("member", department_id=dept.id)
    make_user("member", department_id=dept.id, active=False)
    make_user("reporter", department_id=dept.id)
    signal = make_signal(status="in_aanpak")
    coordinator_client = login_as(make_user("coordinator"))
    response = post(coordinator_client, f"/acties/nieuw/{signal.id}", new_action_data(owner_department_id=str(dept.id)))
    assert response.status_code == 302
    action = db.session.scalar(select(Action))
    check = db.session.scalar(select(PrivacyCheck))
    assert (check.kind, check.status, check.action_id, check.signal_id) == ("2B", "open", action.id, signal.id)
    assert [n.recipient_id for n in db.session.scalars(select(Notification))] == [member.id]
    coordinator_page = coordinator_client.get(f"/acties/{action.id}").get_data(as_text=True)
    assert "Wacht op privacytoets 2B" in coordinator_page and html.escape(ACTION_TEXT) in coordinator_page

    client.post("/uitloggen", data={"csrf_token": csrf_from(client.get("/"))})
    member_client = login_as(member)
    page = member_client.get(f"/acties/{action.id}").get_data(as_text=True)
    assert "Wacht op privacytoets 2B" in page
    assert "Kanariestraat" not in page

    decide(check, approved=True, fields=["beschrijving"])
    page = member_client.get(f"/acties/{action.id}").get_data(as_text=True)
    assert html.escape(ACTION_TEXT) in page and "goedgekeurd" in page


def test_a_rejected_privacy_check_2b_keeps_the_description_hidden(client, make_user, login_as, make_action, department):
    dept = department()
    member = make_user("member", department_id=dept.id)
    action = make_action(dept=dept)
    from casustafel.privacy.services import request_privacy_check

    decide(request_privacy_check(None, action.signal, "2B", action=action), approved=False)
    page = login_as(member).get(f"/acties/{action.id}").get_data(as_text=True)
    assert "afgewezen" in page and "Kanariestraat" not in page


def test_an_action_for_a_person_needs_privacy_check_2b_too_but_one_for_a_coordinator_does_not(
        make_user, make_action):
    member, coordinator = make_user("member"), make_user("coordinator")
    action = make_action(member)
    assert services.needs_privacy_check(action) and not services.description_released(member, action)
    assert services.privacy_status(action) == "Privacytoets 2B is nog niet aangevraagd"
    own = make_action(coordinator)
    assert not services.needs_privacy_check(own) and services.privacy_status(own) is None
    assert services.description_released(coordinator, own)


# --- the overview --------------------------------------------------------------------------


def test_the_overview_filters_on_status_overdue_and_type(client, make_user, login_as, make_action):
    member = make_user("member")
    make_action(member, type="overig", deadline=TODAY - timedelta(days=1))
    make_action(member, type="stopgesprek", status="in_uitvoering")
    make_action(member, type="handhaving", status="afgerond", result="klaar")
    client = login_as(make_user("coordinator"))

    def shown(query=""):
        page = client.get(f"/acties/{query}").get_data(as_text=True)  # rows link their type
        return {label for label in ("Overig", "Stopgesprek", "Handhaving") if f">{label}</a>" in page}

    assert shown() == {"Overig", "Stopgesprek"}  # open ones by default
    assert shown("?status=afgerond") == {"Handhaving"}
    assert shown("?status=in_uitvoering") == {"Stopgesprek"}
    assert shown("?overdue=1") == {"Overig"}
    assert shown("?type=stopgesprek") == {"Stopgesprek"}
    assert shown("?status=onzin&type=onzin") == {"Overig", "Stopgesprek"}  # a bad filter is ignored


# --- reminders -------------------------------------------------------------------------------


def remind(app, *args):
    result = app.test_cli_runner().invoke(args=["actions", "remind", *args])
    assert result.exit_code == 0, result.output
    return result.output


def notifications():
    db.session.expire_all()
    return db.session.scalars(select(Notification)).all()


@freeze_time("2026-03-10 09:00:00")
def test_reminders_go_to_due_and_overdue_actions_once_a_day(app, make_user, make_action):
    member = make_user("member")
    today = date(2026, 3, 10)
    due = make_action(member, deadline=today + timedelta(days=3))
    overdue = make_action(member, deadline=today - timedelta(days=5))
    later = make_action(member, deadline=today + timedelta(days=4))
    done = make_action(member, deadline=today - timedelta(days=1), status="afgerond", result="klaar")

    assert "2 acties herinnerd, 2 berichten klaargezet." in remind(app)
    messages = notifications()
    assert {m.recipient_id for m in messages} == {member.id}
    for message in messages:
        assert message.body.startswith("Er staat een actie voor u open in casustafel")
        assert "Kanarie" not in message.body + message.subject
        assert due.signal.reference not in message.body
    assert {e.object_id for e in events("action.reminded")} == {str(due.id), str(overdue.id)}
    assert reload(due).last_reminded_at == datetime(2026, 3, 10, 9, 0)
    assert reload(later).last_reminded_at is None and reload(done).last_reminded_at is None
    assert reload(due).version == due.version  # a reminder does not make an open form stale

    assert "0 acties herinnerd" in remind(app)  # not twice a day
    assert len(notifications()) == 2

    with freeze_time("2026-03-11 07:00:00"):
        assert "3 acties herinnerd" in remind(app)  # the next day, `later` is due within 3 days


@freeze_time("2026-03-10 09:00:00")
def test_the_days_option_widens_the_window(app, make_user, make_action):
    make_action(make_user("member"), deadline=date(2026, 3, 20))
    assert "0 acties" in remind(app)
    assert "1 actie herinnerd" in remind(app, "--days", "10")


@freeze_time("2026-03-10 09:00:00")
def test_a_department_action_reminds_each_active_member_of_the_department(app, make_user, make_action, department):
    dept = department()
    first = make_user("member", department_id=dept.id)
    second = make_user("member", department_id=dept.id)
    make_user("member", department_id=dept.id, active=False)
    make_user("reporter", department_id=dept.id)
    make_user("member")  # another department
    make_action(dept=dept, deadline=date(2026, 3, 9))
    assert "1 actie herinnerd, 2 berichten klaargezet." in remind(app)
    assert {m.recipient_id for m in notifications()} == {first.id, second.id}
