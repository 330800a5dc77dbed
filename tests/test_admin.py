"""Admin pages: users, roles, departments and the meldpunt lists. Never signal content."""

import re
from datetime import UTC, datetime, timedelta

from freezegun import freeze_time
from sqlalchemy import select

from casustafel.admin import services
from casustafel.extensions import db
from casustafel.models import AuditEvent, Department, Indicator, Notification, Phenomenon, RoleRequest, User
from casustafel.models.roles import Role
from casustafel.settings import set_setting
from tests.conftest import PASSWORD, csrf_from, login, post_form
from tests.helpers.audit import detected


def _events(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).all()


def activation_link(user) -> str:
    """The link in the newest e-mail to `user` (the only place it exists)."""
    mail = db.session.scalars(select(Notification).where(Notification.recipient_id == user.id)
                              .order_by(Notification.created_at.desc())).first()
    return re.search(r"/activeren/\S+", mail.body).group(0)


def choose_password(app, link: str, password: str = PASSWORD):
    browser = app.test_client()
    page = browser.get(link)
    if page.status_code != 200:
        return page
    token = csrf_from(page)
    return browser.post(link, data={"csrf_token": token, "new_password": password, "repeat_password": password})


def test_admin_creates_a_user_who_gets_an_activation_link_and_no_password_is_shown(
        client, make_user, login_as, app):
    login_as(make_user("admin"))
    response = post_form(
        client, "/beheer/gebruikers/nieuw",
        {"email": "Nina@Gemeente.test", "display_name": "Nina Nieuw", "department_id": "0", "roles": ["reporter"]},
        from_url="/beheer/gebruikers/nieuw", follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "krijgt een e-mail met een link" in page
    assert "app-secret" not in page and "wachtwoord:" not in page.lower()
    user = db.session.scalar(select(User).where(User.email == "nina@gemeente.test"))
    assert {r.value for r in user.roles} == {"reporter"}
    assert login(app.test_client(), "nina@gemeente.test").request.path == "/inloggen"  # no password works yet
    assert [e.object_id for e in _events("user.created")].count(str(user.id)) == 1

    assert choose_password(app, activation_link(user)).headers["Location"].endswith("/inloggen")
    assert login(app.test_client(), "nina@gemeente.test").request.path == "/"


def test_an_activation_link_works_once_and_not_after_72_hours(client, make_user, login_as, app):
    login_as(make_user("admin"))
    target = make_user("reporter")
    post_form(client, f"/beheer/gebruikers/{target.id}/wachtwoord-herstellen", from_url="/beheer/gebruikers")
    link = activation_link(target)

    assert choose_password(app, link).status_code == 302
    assert choose_password(app, link, "nog een ander wachtwoord 2").status_code == 404  # used
    post_form(client, f"/beheer/gebruikers/{target.id}/wachtwoord-herstellen", from_url="/beheer/gebruikers")
    with freeze_time(datetime.now(UTC) + timedelta(hours=73)):
        assert app.test_client().get(activation_link(target)).status_code == 404
    assert app.test_client().get("/activeren/verzonnen").status_code == 404


def test_creating_a_user_twice_gives_a_field_message_and_keeps_the_input(client, make_user, login_as):
    login_as(make_user("admin"))
    make_user("reporter", email="dubbel@gemeente.test")
    response = post_form(
        client, "/beheer/gebruikers/nieuw",
        {"email": "dubbel@gemeente.test", "display_name": "Twee", "department_id": "0", "roles": ["reporter"]},
        from_url="/beheer/gebruikers/nieuw",
    )
    body = response.get_data(as_text=True)
    assert "Er bestaat al een account met dit e-mailadres." in body
    assert 'value="Twee"' in body


def test_new_user_form_gives_dutch_messages_for_every_missing_field(client, make_user, login_as):
    login_as(make_user("admin"))
    body = post_form(client, "/beheer/gebruikers/nieuw", {}, from_url="/beheer/gebruikers/nieuw").get_data(
        as_text=True
    )
    for message in ("Vul het e-mailadres in.", "Vul de naam in.", "Kies minstens één rol."):
        assert message in body
    assert db.session.scalar(select(User).where(User.display_name == "")) is None


def test_the_last_active_admin_cannot_be_removed_or_deactivated(client, make_user, login_as):
    admin = make_user("admin")
    login_as(admin)
    response = post_form(client, f"/beheer/gebruikers/{admin.id}/deactiveren", from_url="/beheer/gebruikers")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, admin.id).active
    edit = post_form(
        client, f"/beheer/gebruikers/{admin.id}",
        {"display_name": "Beheer", "department_id": "0", "roles": ["reporter"], "version": str(admin.version)},
        from_url=f"/beheer/gebruikers/{admin.id}",
    )
    assert "Er moet minstens één actieve functioneel beheerder blijven." in edit.get_data(as_text=True)
    db.session.expire_all()
    assert {r.value for r in db.session.get(User, admin.id).roles} == {"admin"}


def test_a_stale_edit_is_refused_with_a_clear_message_and_changes_nothing(client, make_user, login_as):
    login_as(make_user("admin"))
    target = make_user("reporter", name="Oude Naam")
    seen_version = target.version
    services.set_roles(None, target, ["reporter", "member"])  # someone else saves first
    db.session.commit()
    response = post_form(
        client, f"/beheer/gebruikers/{target.id}",
        {"display_name": "Nieuwe Naam", "department_id": "0", "roles": ["reporter"], "version": str(seen_version)},
        from_url=f"/beheer/gebruikers/{target.id}", follow_redirects=True,
    )
    assert "Iemand anders heeft deze gebruiker intussen gewijzigd" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, target.id).display_name == "Oude Naam"


def test_reset_second_factor_of_a_reporter_clears_the_secret_at_once(client, make_user, login_as):
    login_as(make_user("admin"))
    target = make_user("reporter")
    target.totp_secret = "JBSWY3DPEHPK3PXP"
    target.totp_enabled = True
    db.session.commit()
    post_form(client, f"/beheer/gebruikers/{target.id}/tweede-factor-herstellen", from_url="/beheer/gebruikers")
    db.session.expire_all()
    fresh = db.session.get(User, target.id)
    assert fresh.totp_secret is None and not fresh.totp_enabled
    assert len(_events("user.second_factor_reset")) == 1


# Four eyes on content roles (finding 2 of the accountability review) -------------------------


def roles_anomalies() -> list[str]:
    found = [a for a in detected(datetime(2000, 1, 1), datetime(2100, 1, 1)) if a.kind == "rollen"]
    return [db.session.get(AuditEvent, int(a.key.split(":")[1])).action for a in found]


def decide(app, approver, request_id, choice="goedkeuren"):
    other = app.test_client()
    login(other, approver.email)
    return post_form(other, f"/beheer/goedkeuringen/{request_id}", {"besluit": choice},
                     from_url="/beheer/goedkeuringen")


def test_an_admin_cannot_make_a_coordinator_alone(client, make_user, login_as, app):
    admin, second = make_user("admin", name="Eerste Beheerder"), make_user("admin", name="Tweede Beheerder")
    login_as(admin)
    post_form(client, "/beheer/gebruikers/nieuw",
              {"email": "stroman@gemeente.test", "display_name": "Stro Man", "department_id": "0",
               "roles": ["coordinator"]}, from_url="/beheer/gebruikers/nieuw")
    account = db.session.scalar(select(User).where(User.email == "stroman@gemeente.test"))

    assert account.roles == set()  # nothing until a second person approves
    request = db.session.scalars(select(RoleRequest)).one()
    assert (request.role, request.status, request.requested_by_id) == ("coordinator", "open", admin.id)
    assert "app-secret" not in client.get(f"/beheer/gebruikers/{account.id}").get_data(as_text=True)
    assert roles_anomalies() == ["user.role_requested"]
    assert decide(app, admin, request.id).status_code == 404  # not by who asked

    assert decide(app, second, request.id).status_code == 302
    db.session.expire_all()
    assert {r.value for r in db.session.get(User, account.id).roles} == {"coordinator"}
    assert [e.action for e in _events("user.role_approved")] == ["user.role_approved"]
    assert roles_anomalies() == ["user.role_approved", "user.role_requested"]


def test_granting_a_content_role_to_an_existing_account_waits_and_can_be_refused(client, make_user, login_as, app):
    admin, second = make_user("admin"), make_user("admin")
    colleague = make_user("reporter")
    login_as(admin)
    post_form(client, f"/beheer/gebruikers/{colleague.id}",
              {"display_name": "Collega", "department_id": "0", "roles": ["reporter", "member"],
               "version": str(colleague.version)}, from_url=f"/beheer/gebruikers/{colleague.id}")
    request = db.session.scalars(select(RoleRequest)).one()
    db.session.expire_all()
    assert {r.value for r in db.session.get(User, colleague.id).roles} == {"reporter"}

    assert decide(app, second, request.id, "afwijzen").status_code == 302
    db.session.expire_all()
    assert {r.value for r in db.session.get(User, colleague.id).roles} == {"reporter"}
    assert db.session.get(RoleRequest, request.id).status == "refused"
    assert len(_events("user.role_refused")) == 1


def test_a_password_reset_shows_no_password_and_the_old_one_stops_working(client, make_user, login_as, app):
    login_as(make_user("admin"))
    target = make_user("coordinator")

    response = post_form(client, f"/beheer/gebruikers/{target.id}/wachtwoord-herstellen",
                         from_url="/beheer/gebruikers", follow_redirects=True)

    assert "app-secret" not in response.get_data(as_text=True)
    assert login(app.test_client(), target.email).request.path == "/inloggen"  # the old password is gone
    assert choose_password(app, activation_link(target), "een eigen nieuw wachtwoord").status_code == 302
    assert login(app.test_client(), target.email, "een eigen nieuw wachtwoord").request.path == "/"


def test_a_second_factor_reset_of_a_content_role_needs_a_second_person(client, make_user, login_as, app):
    admin, second = make_user("admin"), make_user("admin")
    target = make_user("privacy_officer")
    target.totp_secret, target.totp_enabled = "JBSWY3DPEHPK3PXP", True
    db.session.commit()
    login_as(admin)

    post_form(client, f"/beheer/gebruikers/{target.id}/tweede-factor-herstellen", from_url="/beheer/gebruikers")

    db.session.expire_all()
    assert db.session.get(User, target.id).totp_enabled  # still linked
    request = db.session.scalars(select(RoleRequest)).one()
    assert request.kind == "second_factor_reset"
    assert decide(app, second, request.id).status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, target.id).totp_enabled


def test_the_privacy_officer_approves_only_where_the_municipality_chose_so(client, make_user, login_as, app):
    admin, officer = make_user("admin"), make_user("privacy_officer")
    colleague = make_user("reporter")
    login_as(admin)
    services.set_roles(admin, colleague, ["reporter", "member"])
    db.session.commit()
    request = db.session.scalars(select(RoleRequest)).one()

    assert decide(app, officer, request.id).status_code == 404
    set_setting("role_approval_by_privacy_officer", "1")
    db.session.commit()
    assert decide(app, officer, request.id).status_code == 302
    db.session.expire_all()
    assert Role.MEMBER in db.session.get(User, colleague.id).roles


def test_no_one_approves_a_role_for_their_own_account(make_user, app):
    admin, second = make_user("admin"), make_user("admin")
    member_to_be = make_user("reporter")
    _, (request,) = services.set_roles(admin, member_to_be, ["reporter", "member"])
    db.session.commit()
    assert not services.may_decide(member_to_be, request) and not services.may_decide(admin, request)
    assert services.may_decide(second, request)


def test_departments_are_added_once(client, make_user, login_as):
    login_as(make_user("admin"))
    post_form(client, "/beheer/afdelingen", {"name": "Handhaving"}, from_url="/beheer/afdelingen")
    again = post_form(client, "/beheer/afdelingen", {"name": "Handhaving"}, from_url="/beheer/afdelingen")
    assert "Deze afdeling bestaat al." in again.get_data(as_text=True)
    assert len(db.session.scalars(select(Department).where(Department.name == "Handhaving")).all()) == 1


def test_default_lists_are_seeded_by_the_migration():
    names = set(db.session.scalars(select(Phenomenon.name)))
    assert {"Hennepteelt", "Arbeidsuitbuiting", "Zorgfraude (pgb, Wmo, Jeugdwet)", "Overig"} <= names
    groups = set(db.session.scalars(select(Indicator.group)))
    assert groups == {"kenmerken", "lokale_verankering", "signalering"}


def test_admin_adds_a_phenomenon_that_the_meldpunt_form_then_offers(client, make_user, login_as, app):
    login_as(make_user("admin"))
    drugs = db.session.scalar(select(Phenomenon).where(Phenomenon.name == "Drugs"))
    post_form(
        client, "/beheer/lijsten", {"fenomeen-name": "Drugsdumping", "fenomeen-parent_id": str(drugs.id)},
        from_url="/beheer/lijsten",
    )
    added = db.session.scalar(select(Phenomenon).where(Phenomenon.name == "Drugsdumping"))
    assert added is not None and added.parent_id == drugs.id
    reporter = app.test_client()
    login(reporter, make_user("reporter").email)
    assert "Drugsdumping" in reporter.get("/meldpunt").get_data(as_text=True)


def test_a_deactivated_indicator_disappears_from_the_form(client, make_user, login_as, app):
    login_as(make_user("admin"))
    indicator = db.session.scalar(select(Indicator).where(Indicator.label == "Grote contante betalingen"))
    post_form(client, f"/beheer/lijsten/indicator/{indicator.id}/wisselen", from_url="/beheer/lijsten")
    db.session.expire_all()
    assert not db.session.get(Indicator, indicator.id).active
    reporter = app.test_client()
    login(reporter, make_user("reporter").email)
    assert "Grote contante betalingen" not in reporter.get("/meldpunt").get_data(as_text=True)


def test_admin_never_reaches_signal_content(client, make_user, make_signal, login_as):
    signal = make_signal(make_user("reporter"), description="GEHEIM-INHOUD")
    login_as(make_user("admin"))
    for url in (f"/meldingen/{signal.id}", "/meldingen", f"/mijn-meldingen/{signal.id}"):
        response = client.get(url)
        assert response.status_code in (403, 404)
        assert "GEHEIM-INHOUD" not in response.get_data(as_text=True)


def test_an_admin_cannot_give_themselves_a_role_that_sees_signal_content(client, make_user, login_as):
    admin = make_user("admin")
    make_user("admin")  # not the last admin, so only the content rule can refuse
    login_as(admin)
    db.session.expire_all()
    response = post_form(
        client, f"/beheer/gebruikers/{admin.id}",
        {"display_name": "Beheer", "department_id": "0", "roles": ["reporter", "coordinator"],
         "version": str(db.session.get(User, admin.id).version)},
        from_url=f"/beheer/gebruikers/{admin.id}",
    )
    assert "U kunt uzelf geen rol geven waarmee u meldingen kunt inzien." in response.get_data(as_text=True)
    db.session.expire_all()
    assert {r.value for r in db.session.get(User, admin.id).roles} == {"admin"}


def test_no_account_is_both_admin_and_coordinator(client, make_user, login_as):
    login_as(make_user("admin"))
    response = post_form(
        client, "/beheer/gebruikers/nieuw",
        {"email": "beide@gemeente.test", "display_name": "Beide", "department_id": "0",
         "roles": ["admin", "coordinator"]},
        from_url="/beheer/gebruikers/nieuw",
    )
    assert "beheer en inhoud blijven gescheiden" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "beide@gemeente.test")) is None
