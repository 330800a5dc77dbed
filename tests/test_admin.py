"""Admin pages: users, roles, departments and the meldpunt lists. Never signal content."""

import re

from sqlalchemy import select

from casustafel.admin import services
from casustafel.extensions import db
from casustafel.models import AuditEvent, Department, Indicator, Phenomenon, User
from tests.conftest import login, post_form


def _events(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).all()


def test_admin_creates_a_user_who_must_choose_a_password_at_first_login(client, make_user, login_as, app):
    login_as(make_user("admin"))
    response = post_form(
        client, "/beheer/gebruikers/nieuw",
        {"email": "Nina@Gemeente.test", "display_name": "Nina Nieuw", "department_id": "0", "roles": ["member"]},
        from_url="/beheer/gebruikers/nieuw",
    )
    assert response.status_code == 200
    password = re.search(r'class="utrecht-code app-secret">([^<]+)<', response.get_data(as_text=True)).group(1)
    user = db.session.scalar(select(User).where(User.email == "nina@gemeente.test"))
    assert user is not None and user.must_change_password
    assert {r.value for r in user.roles} == {"member"}
    assert [e.object_id for e in _events("user.created")].count(str(user.id)) == 1

    other = app.test_client()
    login(other, "nina@gemeente.test", password)
    assert other.get("/").headers["Location"].endswith("/account/wachtwoord")


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


def test_reset_second_factor_clears_the_secret_and_ends_sessions(client, make_user, login_as):
    login_as(make_user("admin"))
    target = make_user("coordinator")
    target.totp_secret = "JBSWY3DPEHPK3PXP"
    target.totp_enabled = True
    db.session.commit()
    post_form(client, f"/beheer/gebruikers/{target.id}/tweede-factor-herstellen", from_url="/beheer/gebruikers")
    db.session.expire_all()
    fresh = db.session.get(User, target.id)
    assert fresh.totp_secret is None and not fresh.totp_enabled
    assert len(_events("user.second_factor_reset")) == 1


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
    assert groups == {"lokale_verankering", "signalering"}


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
