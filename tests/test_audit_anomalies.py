"""Anomalies in the access log and the privacy officer's sign-off (issue 6, README “The privacy officer”).

Times are UTC; 18 November 2026 is a Wednesday, 21 November a Saturday (Amsterdam is UTC+1).
"""

from datetime import datetime

import pytest
from sqlalchemy import select

from casustafel.audit_log import record
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import AnomalyReview, AuditEvent
from casustafel.settings import set_setting
from tests.conftest import post_form
from tests.helpers.audit import detected

WEEK = "van=2026-11-16&tot=2026-11-22"
START, END = datetime(2026, 11, 16), datetime(2026, 11, 23)



def at(event, when):
    event.occurred_at = when
    return event


def read(actor, when, role="coordinator", action="signal.viewed", object_id="s-1"):
    return at(record(actor, action, object_type="signal", object_id=object_id, role=role), when)


def kinds(found):
    return sorted(a.kind for a in found)


def test_more_reads_in_one_hour_than_the_setting_is_one_bulk_anomaly(app, make_user):
    set_setting("audit_bulk_reads_per_hour", "5")
    actor = make_user("coordinator")
    for n in range(6):
        read(actor, datetime(2026, 11, 18, 10, n), object_id=f"s-{n}")
    for n in range(5):  # the next hour stays at the threshold
        read(actor, datetime(2026, 11, 18, 11, n), object_id=f"t-{n}")
    record(actor, "signal.listed", object_type="signal", role="coordinator")  # not a content read
    db.session.commit()

    found = detected(START, END)

    assert kinds(found) == ["bulk"]
    assert found[0].key == f"bulk:{actor.id}:2026-11-18T10"
    assert (found[0].count, found[0].actor_id) == (6, actor.id)
    set_setting("audit_bulk_reads_per_hour", "6")
    db.session.commit()
    assert detected(START, END) == []


def test_reads_at_night_and_at_the_weekend_are_off_hours_per_user_and_day(app, make_user):
    actor = make_user("coordinator")
    read(actor, datetime(2026, 11, 18, 9))  # 10:00 local, Wednesday: office hours
    read(actor, datetime(2026, 11, 18, 1))  # 02:00 local
    read(actor, datetime(2026, 11, 18, 1, 30))
    read(actor, datetime(2026, 11, 21, 9))  # Saturday
    db.session.commit()

    found = detected(START, END)

    assert [(a.key, a.count) for a in sorted(found, key=lambda a: a.key)] == [
        (f"buiten_uren:{actor.id}:2026-11-18", 2), (f"buiten_uren:{actor.id}:2026-11-21", 1)]
    set_setting("audit_office_hours_start", "0")
    set_setting("audit_office_hours_end", "24")
    db.session.commit()
    assert kinds(detected(START, END)) == ["buiten_uren"]  # the weekend stays outside


def test_denials_and_a_members_denial_for_meetings_not_theirs(app, make_user):
    member, coordinator = make_user("member"), make_user("coordinator")
    at(record(member, "access.denied", object_type="agenda_item", object_id="p-1", result="denied", role="member"),
       datetime(2026, 11, 18, 10))
    at(record(coordinator, "access.denied", object_type="endpoint", object_id="audit.log", result="denied",
              role="coordinator"), datetime(2026, 11, 18, 10))
    db.session.commit()

    found = {a.kind: a for a in detected(START, END)}

    assert set(found) == {"toewijzing", "geweigerd"}
    assert found["toewijzing"].actor_id == member.id
    assert found["geweigerd"].actor_id == coordinator.id


def test_every_break_glass_grant_is_an_anomaly(app, make_user, make_signal):
    actor, signal = make_user("coordinator"), make_signal()
    for hour in (10, 11):
        at(record(actor, "break_glass.granted", signal, role="coordinator"), datetime(2026, 11, 18, hour))
    at(record(actor, "break_glass.signal_viewed", signal, role="coordinator"), datetime(2026, 11, 18, 10, 5))
    db.session.commit()

    found = detected(START, END)

    assert kinds(found) == ["break_glass", "break_glass"]
    assert {a.object_id for a in found} == {str(signal.id)}


def test_a_reporters_denials_are_named_but_their_own_views_raise_no_anomaly(client, make_user, login_as):
    reporter = make_user("reporter", name="Nieuwsgierige Melder")
    at(record(reporter, "access.denied", object_type="signal", object_id="x", result="denied", role="reporter"),
       datetime(2026, 11, 18, 10))
    for n in range(200):  # Mijn meldingen at night: the act of reporting, shielded
        at(record(reporter, "signal.status_viewed", object_type="signal", object_id="s-1", role="reporter",
                  purpose="melding"), datetime(2026, 11, 18, 2, 0, n % 60))
    db.session.commit()
    login_as(make_user("privacy_officer"))

    found = detected(START, END)
    body = client.get(f"/logboek/afwijkingen?{WEEK}").get_data(as_text=True)

    assert [a.key for a in found] == [f"geweigerd:{reporter.id}:2026-11-18"]  # no bulk or off-hours
    assert "Nieuwsgierige Melder" in body


def test_the_list_shows_anomalies_of_the_period_and_is_logged(client, make_user, make_signal, login_as):
    actor = make_user("coordinator", name="Noodgeval Regisseur")
    at(record(actor, "break_glass.granted", make_signal(), role="coordinator"), datetime(2026, 11, 18, 10))
    db.session.commit()
    officer = make_user("privacy_officer")
    login_as(officer)

    body = client.get(f"/logboek/afwijkingen?{WEEK}").get_data(as_text=True)
    later = client.get("/logboek/afwijkingen?van=2026-12-01&tot=2026-12-07").get_data(as_text=True)

    assert "Noodtoegang (break-glass)" in body and "Noodgeval Regisseur" in body and "Nog niet beoordeeld" in body
    assert "Geen afwijkingen in deze periode." in later
    viewed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.anomalies_viewed")).all()
    assert [e.actor_id for e in viewed] == [officer.id, officer.id]


def test_sign_off_records_who_when_outcome_and_an_encrypted_comment(client, make_user, make_signal, login_as):
    actor = make_user("coordinator")
    at(record(actor, "break_glass.granted", make_signal(), role="coordinator"), datetime(2026, 11, 18, 10))
    db.session.commit()
    key = detected(START, END)[0].key
    officer = make_user("privacy_officer", name="Paula Privacy")
    login_as(officer)
    url = f"/logboek/afwijkingen/{key}"

    before = utcnow()
    response = post_form(client, url, {"outcome": "verklaard", "comment": "Spoedoverleg met de politie GEHEIMWOORD"},
                         from_url=url, follow_redirects=True)
    after = utcnow()

    body = response.get_data(as_text=True)
    assert "De beoordeling is vastgelegd." in body
    assert "Spoedoverleg met de politie" in body and "Paula Privacy" in body
    review = db.session.scalars(select(AnomalyReview)).one()
    assert (review.anomaly_key, review.kind, review.reviewed_by_id, review.outcome) == (
        key, "break_glass", officer.id, "verklaard")
    assert before <= review.reviewed_at <= after  # stamped during this request, however long it took
    assert b"GEHEIMWOORD" not in review.comment_enc
    logged = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.anomaly_reviewed")).one()
    assert (logged.actor_id, logged.object_id, logged.reason_code) == (officer.id, key, "verklaard")
    assert "GEHEIMWOORD" not in str(logged.__dict__)

    listing = client.get(f"/logboek/afwijkingen?{WEEK}&status=beoordeeld").get_data(as_text=True)
    assert "Verklaard, geen actie nodig" in listing and "Paula Privacy" in listing
    assert "Geen afwijkingen" in client.get(f"/logboek/afwijkingen?{WEEK}&status=open").get_data(as_text=True)
    # A second sign-off changes nothing.
    post_form(client, url, {"outcome": "onderzoek", "comment": "anders"}, from_url="/logboek/")
    assert db.session.scalars(select(AnomalyReview.outcome)).all() == ["verklaard"]


def test_a_sign_off_without_outcome_or_comment_saves_nothing(client, make_user, make_signal, login_as):
    at(record(make_user("coordinator"), "break_glass.granted", make_signal(), role="coordinator"),
       datetime(2026, 11, 18, 10))
    db.session.commit()
    key = detected(START, END)[0].key
    login_as(make_user("privacy_officer"))

    response = post_form(client, f"/logboek/afwijkingen/{key}", {"comment": "bewaard"}, from_url="/logboek/")

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Kies een uitkomst." in body and "bewaard" in body
    assert db.session.scalars(select(AnomalyReview)).all() == []


@pytest.mark.parametrize("key", ["onzin", "break_glass:999", "bulk:00000000-0000-4000-8000-000000000000:2026-11-18T10",
                                 "geweigerd:melder:2026-13-45"])
def test_an_anomaly_that_does_not_exist_answers_404(client, make_user, login_as, key):
    login_as(make_user("privacy_officer"))
    assert client.get(f"/logboek/afwijkingen/{key}").status_code == 404


def test_an_anomaly_page_recomputes_it_from_the_log(client, make_user, login_as):
    set_setting("audit_bulk_reads_per_hour", "2")
    actor = make_user("coordinator", name="Snelle Lezer")
    for n in range(3):
        read(actor, datetime(2026, 11, 18, 10, n), object_id=f"s-{n}")
    db.session.commit()
    login_as(make_user("privacy_officer"))

    body = client.get(f"/logboek/afwijkingen/bulk:{actor.id}:2026-11-18T10").get_data(as_text=True)

    assert "Veel inzagen in één uur" in body and "Snelle Lezer" in body
    assert "<dd class=\"utrecht-data-list__item-value\">3</dd>" in body


def test_thresholds_are_settings_with_labels():
    from casustafel.settings import DEFAULTS, LABELS

    for key in ("audit_bulk_reads_per_hour", "audit_office_hours_start", "audit_office_hours_end"):
        assert key in DEFAULTS and key in LABELS
