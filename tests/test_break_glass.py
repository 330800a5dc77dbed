"""Break-glass (noodtoegang): any role asks for time-limited access to one signal with a reason;
the grant shows the content (never the reporter) only while it runs, a warning banner is on
every page meanwhile, and requesting, reading and ending are logged; the reason is encrypted."""

import re
from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import AuditEvent, BreakGlass, Notification
from tests.conftest import ROLES, login, post_form
from tests.helpers.markers import assert_no_marker, new_marker, postgresql_dump, sqlite_dump

REASON = "Dringende vraag van de politie buiten kantoortijd, regisseur onbereikbaar"
T0 = "2026-07-01 10:00:00"  # summer time: Amsterdam is UTC+2


def ask(client, reference, reason=REASON, duration="30", **kwargs):
    data = {"signal_reference": reference, "reason": reason, "duration": duration}
    return post_form(client, "/noodtoegang/", data, from_url="/noodtoegang/", **kwargs)


def events(action=None):
    query = select(AuditEvent).order_by(AuditEvent.seq)
    if action:
        query = query.where(AuditEvent.action == action)
    return db.session.scalars(query).all()


def only_grant() -> BreakGlass:
    db.session.expire_all()
    return db.session.scalars(select(BreakGlass)).one()


@pytest.fixture
def signal(make_user, make_signal):
    reporter = make_user("reporter", name="Rina MELDERNAAM")
    return make_signal(reporter, description="Contante betalingen OMSCHRIJVING",
                       person=("Jan BETROKKENE", "1980-01-02"), attachment=b"%PDF-1.4 x")


@pytest.mark.parametrize("role", ROLES)
def test_every_role_can_open_a_grant_and_read_the_signal_without_the_reporter(
        client, make_user, login_as, signal, role):
    officer = make_user("privacy_officer")
    user = make_user(role)
    login_as(user)
    response = ask(client, signal.reference.lower() + " ")  # typed in lower case, with a space
    assert response.status_code == 302
    grant = only_grant()
    assert response.headers["Location"].endswith(f"/noodtoegang/{grant.id}")
    assert (grant.user_id, grant.role, grant.signal_id) == (user.id, role, signal.id)
    assert grant.expires_at - grant.started_at == timedelta(minutes=30)
    assert grant.reason == REASON

    page = client.get(f"/noodtoegang/{grant.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for content in ("OMSCHRIJVING", "BETROKKENE", "bijlage.pdf", "Ingediend"):
        assert content in text
    assert "MELDERNAAM" not in text and signal.reporter.email not in text

    granted = events("break_glass.granted")
    assert len(granted) == 1
    assert (granted[0].actor_id, granted[0].actor_role, granted[0].object_type, granted[0].object_id,
            granted[0].purpose, granted[0].reason_code) == (user.id, role, "signal", str(signal.id),
                                                            "noodtoegang", "30")
    viewed = events("break_glass.signal_viewed")
    assert len(viewed) == 1
    assert viewed[0].subject_pseudonyms == ",".join(str(s.id) for s in signal.subjects)
    assert viewed[0].object_id == str(signal.id) and viewed[0].purpose == "noodtoegang"

    notices = db.session.scalars(select(Notification).where(Notification.recipient_id == officer.id)).all()
    assert len(notices) == 1
    assert signal.reference not in notices[0].subject + notices[0].body
    assert "Jan" not in notices[0].body and user.display_name not in notices[0].body


def test_a_short_reason_keeps_what_was_typed_and_saves_nothing(client, make_user, login_as, signal):
    login_as(make_user("member"))
    response = ask(client, signal.reference, reason="Even kijken graag", duration="15")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Schrijf de reden in 20 tot 2000 tekens." in text
    assert "Even kijken graag</textarea>" in text
    assert f'value="{signal.reference}"' in text
    assert re.search(r'value="15"[^>]*checked', text)
    assert db.session.scalars(select(BreakGlass)).all() == []
    assert events("break_glass.granted") == []


def test_a_missing_duration_or_an_unlisted_one_is_refused(client, make_user, login_as, signal):
    login_as(make_user("member"))
    assert "Kies hoe lang" in ask(client, signal.reference, duration="").get_data(as_text=True)
    assert ask(client, signal.reference, duration="600").status_code == 200
    assert db.session.scalars(select(BreakGlass)).all() == []


def test_an_unknown_or_destroyed_reference_gets_a_field_message(client, make_user, login_as, signal):
    login_as(make_user("admin"))
    for reference in ("SIG-1999-0001", "niet-een-kenmerk"):
        text = ask(client, reference).get_data(as_text=True)
        assert 'id="signal_reference-error"' in text
    signal.destroyed_at = utcnow()
    db.session.commit()
    text = ask(client, signal.reference).get_data(as_text=True)
    assert "Er is geen melding met dit kenmerk die u kunt openen" in text
    assert db.session.scalars(select(BreakGlass)).all() == []


def test_a_second_grant_for_the_same_signal_while_one_runs_is_refused(client, make_user, login_as, signal):
    login_as(make_user("reporter"))
    assert ask(client, signal.reference).status_code == 302
    text = ask(client, signal.reference).get_data(as_text=True)
    assert "U hebt al noodtoegang tot deze melding" in text
    assert len(db.session.scalars(select(BreakGlass)).all()) == 1


def test_after_expiry_the_grant_page_is_404_and_logged_as_a_denial(client, make_user, login_as, signal):
    with freeze_time(T0) as frozen:
        login_as(make_user("member"))
        ask(client, signal.reference, duration="15")
        grant = only_grant()
        frozen.tick(timedelta(minutes=14))
        assert client.get(f"/noodtoegang/{grant.id}").status_code == 200
        frozen.tick(timedelta(minutes=2))
        assert client.get(f"/noodtoegang/{grant.id}").status_code == 404
        denial = events("access.denied")[-1]
        assert (denial.object_type, denial.object_id, denial.result) == ("break_glass", str(grant.id), "denied")
        assert "Noodtoegang actief" not in client.get("/").get_data(as_text=True)
        listing = client.get("/noodtoegang/").get_data(as_text=True)
        assert "Verlopen" in listing and "Actief" not in listing


def test_the_banner_is_on_every_page_while_active_and_gone_after_ending(client, make_user, login_as, signal):
    with freeze_time(T0):
        login_as(make_user("coordinator"))
        ask(client, signal.reference)
        grant = only_grant()
        for url in ("/", "/account", "/noodtoegang/", "/meldingen"):
            text = client.get(url).get_data(as_text=True)
            # 10:00 UTC + 30 minutes, shown in Amsterdam summer time
            assert f"Noodtoegang actief tot 12:30 voor {signal.reference}" in text, url
            assert 'class="utrecht-alert utrecht-alert--warning app-break-glass" role="status"' in text
            assert f"/noodtoegang/{grant.id}/beeindigen" in text
        listing = client.get("/noodtoegang/").get_data(as_text=True)
        assert "Actief" in listing and signal.reference in listing

        response = post_form(client, f"/noodtoegang/{grant.id}/beeindigen", from_url="/")
        assert response.status_code == 302
        assert only_grant().ended_at is not None
        ended = events("break_glass.ended")
        assert len(ended) == 1 and ended[0].object_id == str(signal.id)
        assert "Noodtoegang actief" not in client.get("/").get_data(as_text=True)
        assert "Beëindigd" in client.get("/noodtoegang/").get_data(as_text=True)
        assert client.get(f"/noodtoegang/{grant.id}").status_code == 404
        # ending twice changes nothing and logs nothing more
        assert post_form(client, f"/noodtoegang/{grant.id}/beeindigen", from_url="/").status_code == 302
        assert len(events("break_glass.ended")) == 1


def test_the_banner_shows_winter_time_too(client, make_user, login_as, signal):
    with freeze_time("2026-01-15 10:00:00"):
        login_as(make_user("reporter"))
        ask(client, signal.reference, duration="60")
        # 10:00 UTC + 60 minutes = 11:00 UTC = 12:00 in Amsterdam (CET, UTC+1)
        assert f"Noodtoegang actief tot 12:00 voor {signal.reference}" in client.get("/").get_data(as_text=True)


def test_a_grant_of_another_user_is_404_for_view_and_end(app, client, make_user, login_as, signal):
    owner_client = app.test_client()
    login(owner_client, make_user("coordinator").email)
    assert ask(owner_client, signal.reference).status_code == 302
    grant = only_grant()

    other = make_user("coordinator")
    login_as(other)
    assert client.get(f"/noodtoegang/{grant.id}").status_code == 404
    assert post_form(client, f"/noodtoegang/{grant.id}/beeindigen", from_url="/").status_code == 404
    assert only_grant().ended_at is None
    denials = [e for e in events("access.denied") if e.actor_id == other.id]
    assert [(e.object_type, e.object_id) for e in denials] == [("break_glass", str(grant.id))] * 2
    assert "Noodtoegang actief" not in client.get("/").get_data(as_text=True)
    assert "Noodtoegang actief" in owner_client.get("/").get_data(as_text=True)


def test_the_reason_is_never_in_the_log_the_notifications_or_a_database_dump(client, make_user, login_as, signal):
    make_user("privacy_officer")
    marker = new_marker()
    login_as(make_user("member"))
    assert ask(client, signal.reference, reason=f"Reden met een merkteken {marker} erin").status_code == 302
    grant = only_grant()
    reference = grant.signal_reference
    client.get(f"/noodtoegang/{grant.id}")
    assert marker in grant.reason  # stored, and readable through the model

    for event in events():
        assert_no_marker(repr([getattr(event, c.key) for c in AuditEvent.__table__.columns]), marker, "log")
    for notice in db.session.scalars(select(Notification)):
        assert_no_marker(notice.subject + notice.body, marker, "notification")
    db.session.remove()
    if db.engine.dialect.name == "postgresql":
        dump, where = postgresql_dump(), "pg_dump"
    else:
        dump, where = sqlite_dump(), "SQLite dump"
    assert reference in dump  # the dump is real and holds the grant
    assert_no_marker(dump, marker, where)


def test_the_account_page_links_to_break_glass(client, make_user, login_as):
    login_as(make_user("admin"))
    assert 'href="/noodtoegang/"' in client.get("/account").get_data(as_text=True)
    assert 'href="/noodtoegang/"' not in client.get("/").get_data(as_text=True).split("</nav>")[0]


def test_nothing_changes_on_get_and_a_post_without_csrf_is_refused(client, make_user, login_as, signal):
    login_as(make_user("reporter"))
    ask(client, signal.reference)
    grant = only_grant()
    assert client.get(f"/noodtoegang/{grant.id}/beeindigen").status_code == 405
    assert client.post(f"/noodtoegang/{grant.id}/beeindigen").status_code == 400
    assert client.post("/noodtoegang/", data={"signal_reference": signal.reference, "reason": REASON,
                                              "duration": "30"}).status_code == 400
    assert only_grant().ended_at is None
    assert len(db.session.scalars(select(BreakGlass)).all()) == 1


def test_expires_at_is_stored_in_utc(client, make_user, login_as, signal):
    with freeze_time(T0):
        login_as(make_user("reporter"))
        ask(client, signal.reference, duration="60")
        assert only_grant().expires_at == datetime(2026, 7, 1, 11, 0)


# Always named (findings 1 and 5 of the accountability review) ------------------------------


def test_break_glass_by_someone_with_only_the_reporter_role_is_named_everywhere_the_officer_looks(
        app, client, make_user, login_as, signal):
    """Finding 1: grants and reads in the reporter role were masked as "melder (afgeschermd)"."""
    snoop = make_user("reporter", name="Nieuwsgierige Medewerker")
    login_as(snoop)
    ask(client, signal.reference)
    grant = only_grant()
    client.get(f"/noodtoegang/{grant.id}")
    client.get(f"/noodtoegang/{grant.id}")
    officer = app.test_client()
    login(officer, make_user("privacy_officer").email)

    log = officer.get(f"/logboek/?kenmerk={signal.reference}").get_data(as_text=True)
    export = officer.get(f"/logboek/export.csv?kenmerk={signal.reference}").get_data(as_text=True)
    granted = next(e for e in events("break_glass.granted"))
    anomaly = officer.get(f"/logboek/afwijkingen/break_glass:{granted.seq}").get_data(as_text=True)

    assert "Nieuwsgierige Medewerker" in log.split("<table", 1)[1] and "melder (afgeschermd)" not in log
    rows = [line for line in export.splitlines() if "break_glass." in line]
    assert len(rows) == 3 and all("Nieuwsgierige Medewerker" in r and "127.0.0.1" in r for r in rows)
    assert "Nieuwsgierige Medewerker" in anomaly and REASON in anomaly and "30 minuten" in anomaly
    assert anomaly.count("de melding ingezien") == 2
    assert [e.object_id for e in events("break_glass.reason_viewed")] == [str(grant.id)]


def test_an_admin_who_gives_itself_the_reporter_role_is_named_when_it_breaks_the_glass(
        client, make_user, login_as, signal):
    admin = make_user("admin", "reporter", name="Beheerder Met Meldrol")
    login_as(admin)
    ask(client, signal.reference)

    granted = events("break_glass.granted")[-1]
    assert (granted.actor_id, granted.actor_role, granted.purpose) == (admin.id, "admin", "noodtoegang")


def test_break_glass_needs_a_fresh_login_and_every_attempt_is_logged(client, make_user, login_as, signal):
    """Finding 5: no fresh login was asked, and probing references left no trace."""
    user = make_user("member")
    with freeze_time(T0) as frozen:
        login_as(user)
        frozen.tick(timedelta(minutes=11))
        stale = ask(client, signal.reference)
        assert stale.status_code == 302 and "/inloggen/bevestigen" in stale.headers["Location"]
        assert db.session.scalars(select(BreakGlass)).all() == []
        post_form(client, "/inloggen/bevestigen", {"password": "correct horse battery staple"},
                  from_url="/inloggen/bevestigen")

        ask(client, "SIG-2026-9999")  # does not exist
        ask(client, "geen kenmerk")  # not even a reference
        ask(client, signal.reference)
        ask(client, signal.reference)  # already running

    refused = events("break_glass.refused")
    assert [(e.reason_code, e.actor_id, e.result) for e in refused] == [
        ("onbekend_kenmerk", user.id, "denied"), ("formulier", user.id, "denied"), ("al_actief", user.id, "denied")]
    assert refused[-1].object_id == str(signal.id)
    assert all("SIG-2026-9999" not in (e.object_id or "") + (e.reason_code or "") for e in refused)
    assert len(events("break_glass.granted")) == 1
