"""The start page per role: counts and links only, overdue actions for the coordinator.

README “The casustafel workflow” (overdue actions show on the chair's dashboard) and §12 (aggregates only, never
personal data).
"""

import re
from datetime import datetime, timedelta

import pytest

from casustafel.actions import services
from casustafel.dates import from_local, long_date, utcnow
from casustafel.extensions import db
from casustafel.models import Meeting, MeetingInvitee, PrivacyCheck
from casustafel.settings import set_setting
from tests.conftest import TODAY, csrf_from

# Dates computed here (today, tomorrow, overdue, this year) are checked against the app's:
# both on the same pinned day (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("pinned_day")

CANARY_NAME = "Kanarie Vogelaar"
CANARY_TEXT = "KANARIE-omschrijving"


def text_of(page: str) -> str:
    """The page as text: tags dropped, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", "", page).split())


@pytest.fixture
def seeded(make_user, make_signal):
    """Three new signals (one waiting 20 days), one in intake, two open privacy checks, one decided,
    and actions: two overdue, one overdue but finished, one due later."""
    member = make_user("member", name="Mo Deelnemer")
    other = make_user("member", name="Sam Anders")

    def signal(**fields):
        return make_signal(description=CANARY_TEXT, person=(CANARY_NAME, "1970-01-01"), **fields)

    old = signal(received_at=utcnow() - timedelta(days=20))
    signal()
    signal()
    in_aanpak = signal(status="in_aanpak")
    signal(status="intake")
    for status in ("open", "open", "besloten"):
        db.session.add(PrivacyCheck(signal_id=in_aanpak.id, kind="1", status=status))

    def action(owner, days, **extra):
        made = services.create_action(None, in_aanpak, type=extra.pop("type", "handhaving"),
                                      deadline=TODAY + timedelta(days=days), owner_id=owner.id,
                                      description=CANARY_TEXT)
        if extra:
            services.update_action(None, made, **extra)
        return made

    overdue = [action(member, -3, type="13b_opiumwet"), action(other, -1, type="stopgesprek")]
    action(member, -10, type="integrale_controle", status="afgerond", result="klaar")
    action(member, 5, type="adresonderzoek_brp")
    db.session.commit()
    return {"member": member, "other": other, "old": old, "signal": in_aanpak, "overdue": overdue}


def test_the_coordinator_sees_counts_and_the_overdue_actions(client, make_user, login_as, seeded):
    page = login_as(make_user("coordinator")).get("/").get_data(as_text=True)
    text = text_of(page)
    assert "3 nieuwe meldingen" in text
    assert "1 melding wacht langer dan 10 dagen op intake" in text
    assert "2 open privacytoetsen" in text
    assert "3 openstaande acties, waarvan 2 verlopen" in text

    table = page.split("Verlopen acties</h3>")[1].split("</table>")[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("<tbody")[1], re.S)
    assert len(rows) == 2
    first, second = (text_of(r) for r in rows)
    assert first.startswith(seeded["signal"].reference)
    assert "Sluiting art. 13b Opiumwet" in first and "Mo Deelnemer" in first
    assert "Stopgesprek" in second and "Sam Anders" in second
    assert "Integrale controle" not in table and "Adresonderzoek BRP" not in table


def test_the_waiting_too_long_setting_changes_the_count(client, make_user, login_as, seeded):
    set_setting("waiting_too_long_days", "30")
    db.session.commit()
    text = text_of(login_as(make_user("coordinator")).get("/").get_data(as_text=True))
    assert "0 meldingen wachten langer dan 30 dagen op intake" in text


def test_a_finished_overdue_action_leaves_the_coordinators_list(client, make_user, login_as, seeded):
    client = login_as(make_user("coordinator"))
    first = seeded["overdue"][0]
    assert "Sluiting art. 13b Opiumwet" in client.get("/").get_data(as_text=True)
    services.update_action(None, db.session.get(type(first), first.id), status="afgerond", result="klaar")
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "Sluiting art. 13b Opiumwet" not in page and "1 verlopen" in text_of(page)


@pytest.mark.parametrize("role", ["coordinator", "member", "privacy_officer", "reporter", "admin"])
def test_the_start_page_holds_no_personal_data_of_subjects(client, make_user, login_as, seeded, role):
    user = seeded["member"] if role == "member" else make_user(role)
    page = login_as(user).get("/").get_data(as_text=True)
    assert CANARY_NAME not in page and CANARY_TEXT not in page and "1234 AB" not in page


def test_a_member_sees_their_open_actions_and_upcoming_published_meetings(client, make_user, login_as, seeded):
    member = seeded["member"]
    now = datetime.now().replace(microsecond=0)

    def meeting(days, status="gepubliceerd", invited=True):
        made = Meeting(held_at=from_local((now + timedelta(days=days)).replace(hour=14, minute=0, second=0)),
                       status=status)
        db.session.add(made)
        db.session.flush()
        if invited:
            db.session.add(MeetingInvitee(meeting_id=made.id, user_id=member.id))
        return made

    upcoming = meeting(7)
    meeting(8, status="concept")
    meeting(9, invited=False)
    meeting(-7)
    db.session.commit()

    page = login_as(member).get("/").get_data(as_text=True)
    text = text_of(page)
    assert "2 openstaande acties voor u, waarvan 1 verlopen" in text
    assert 'href="/acties/mijn"' in page
    dates = re.findall(r"\d{1,2} \w+ \d{4} om 14:00", text)
    assert dates == [long_date(upcoming.held_at, time=True)]
    assert "Regie" not in text  # no coordinator section


def test_the_meetings_link_appears_only_when_that_page_exists(app, client, make_user, login_as):
    page = login_as(make_user("member")).get("/").get_data(as_text=True)
    assert ("Naar mijn overleggen" in page) == ("meetings.mine" in app.view_functions)


def test_a_department_action_counts_for_the_department_member(client, make_user, login_as, make_signal):
    from casustafel.models import Department

    dept = Department(name="Handhaving")
    db.session.add(dept)
    db.session.flush()
    member = make_user("member", department_id=dept.id)
    services.create_action(None, make_signal(status="in_aanpak"), type="handhaving",
                           deadline=TODAY + timedelta(days=1), owner_department_id=dept.id)
    db.session.commit()
    assert "1 openstaande actie voor u" in text_of(login_as(member).get("/").get_data(as_text=True))


def test_the_privacy_officer_sees_open_checks_and_the_log(client, make_user, login_as, seeded):
    page = login_as(make_user("privacy_officer")).get("/").get_data(as_text=True)
    assert "2 privacytoetsen wachten op een besluit" in text_of(page)
    assert 'href="/logboek/"' in page
    assert "Regie" not in page and "openstaande acties" not in page


def test_the_reporter_gets_links_to_the_meldpunt_only(client, make_user, login_as, seeded):
    page = login_as(make_user("reporter")).get("/").get_data(as_text=True)
    assert 'href="/meldpunt"' in page and 'href="/mijn-meldingen"' in page
    assert "nieuwe melding" not in page and "acties" not in text_of(page).lower()


def test_the_admin_gets_links_to_users_and_lists(client, make_user, login_as, seeded):
    page = login_as(make_user("admin")).get("/").get_data(as_text=True)
    for href in ("/beheer/gebruikers", "/beheer/lijsten", "/beheer/afdelingen"):
        assert f'href="{href}"' in page
    assert "nieuwe meldingen" not in page and "privacytoets" not in page


def test_the_privacy_checks_link_follows_the_page_and_the_setting(app, client, make_user, login_as):
    from flask import url_for

    with app.test_request_context():
        href = f'href="{url_for("privacy.checks")}"'
    assert href in login_as(make_user("privacy_officer")).get("/").get_data(as_text=True)
    client.post("/uitloggen", data={"csrf_token": csrf_from(client.get("/"))})
    client = login_as(make_user("coordinator"))
    assert href not in client.get("/").get_data(as_text=True)  # the privacy officer decides
    set_setting("privacy_checks_by_coordinator", "1")
    db.session.commit()
    assert href in client.get("/").get_data(as_text=True)
