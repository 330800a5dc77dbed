"""Source checks (bronnenonderzoek): only after an approved privacy check 1, only in the
registers it allowed, content only where it allowed content. README “The casustafel workflow”.
"""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import AuditEvent, PrivacyCheck, SourceQuery
from casustafel.privacy.decisions import decide_privacy_check
from casustafel.privacy.services import request_privacy_check
from casustafel.signals.weighing import SourceQueryError, record_source_query
from tests.helpers.assessments import events, fail_commit_with, post_prefixed
from tests.helpers.registers import assessments

SUMMARY = "Samenvatting-2f6d: 14 inschrijvingen op dit adres."


@pytest.fixture
def coordinator(make_user, login_as):
    user = make_user("coordinator", name="Cora Regisseur")
    login_as(user)
    return user


@pytest.fixture
def officer(make_user):
    return make_user("privacy_officer")


def decided_check(coordinator, officer, signal, approved=True, allowed=("brp", "bag"), content=("bag",)):
    check = request_privacy_check(coordinator, signal, "1")
    decide_privacy_check(officer, check, approved=approved, rationale="r", allowed_registers=list(allowed),
                         content_registers=list(content), register_assessments=assessments(*allowed))
    db.session.commit()
    return check


FOUND_ON = "2026-01-15"  # the date of the information a hit found


def query(client, signal, register, hit, summary="", found_on=None):
    if found_on is None:
        found_on = FOUND_ON if hit == "ja" else ""
    return post_prefixed(client, f"/meldingen/{signal.id}/bronnen", "bron",
                         {"register": register, "hit": hit, "summary": summary, "information_date": found_on})


def queries():
    db.session.expire_all()
    return db.session.scalars(select(SourceQuery).order_by(SourceQuery.queried_at)).all()


def test_a_no_hit_and_a_hit_with_a_summary_are_recorded(client, coordinator, officer, make_signal):
    signal = make_signal(status="bronnenonderzoek")
    check = decided_check(coordinator, officer, signal)
    assert query(client, signal, "brp", "nee").status_code == 302
    assert query(client, signal, "bag", "ja", SUMMARY).status_code == 302
    brp, bag = queries()
    assert (brp.register, brp.hit, brp.summary, brp.privacy_check_id) == ("brp", False, None, check.id)
    assert (bag.register, bag.hit, bag.summary, bag.queried_by_id) == ("bag", True, SUMMARY, coordinator.id)
    assert b"2f6d" not in bag.summary_enc


def test_each_source_check_writes_a_log_event_without_the_summary(client, coordinator, officer, make_signal):
    signal = make_signal(status="bronnenonderzoek")
    decided_check(coordinator, officer, signal)
    query(client, signal, "bag", "ja", SUMMARY)
    [bag] = queries()
    [event] = events("source_query.recorded", bag.id)
    assert (event.reason_code, event.actor_id) == ("bag", coordinator.id)
    for ev in db.session.scalars(select(AuditEvent)):
        assert "2f6d" not in " ".join(str(v) for v in vars(ev).values())


@pytest.mark.parametrize("situation", ["no check", "open check", "refused check", "refused after approved"])
def test_a_source_check_needs_an_approved_check_1(client, coordinator, officer, make_signal, situation):
    signal = make_signal(status="bronnenonderzoek")
    if situation == "open check":
        request_privacy_check(coordinator, signal, "1")
        db.session.commit()
    elif situation == "refused check":
        decided_check(coordinator, officer, signal, approved=False)
    elif situation == "refused after approved":
        decided_check(coordinator, officer, signal)
        decided_check(coordinator, officer, signal, approved=False)
    response = query(client, signal, "brp", "nee")
    assert response.status_code == 302
    assert "na een goedgekeurde privacytoets 1" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert queries() == [] and events("source_query.recorded") == []


def test_a_source_check_needs_the_bronnenonderzoek_status(client, coordinator, officer, make_signal):
    signal = make_signal(status="weging")
    decided_check(coordinator, officer, signal)
    query(client, signal, "brp", "nee")
    assert queries() == []


def test_a_register_the_check_did_not_allow_is_refused(client, coordinator, officer, make_signal):
    signal = make_signal(status="bronnenonderzoek")
    decided_check(coordinator, officer, signal)
    body = query(client, signal, "woz", "ja").get_data(as_text=True)
    assert "Deze bron is in de privacytoets niet toegestaan." in body
    assert queries() == []


def test_a_summary_is_refused_where_only_hit_or_no_hit_is_allowed(client, coordinator, officer, make_signal):
    signal = make_signal(status="bronnenonderzoek")
    decided_check(coordinator, officer, signal)
    response = query(client, signal, "brp", "ja", SUMMARY)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="bron-summary-error"' in body
    assert "Voor deze bron is alleen hit / no hit toegestaan." in body
    assert "2f6d" in body  # kept, so the coordinator can move it
    assert queries() == []


def test_hit_or_no_hit_is_required(client, coordinator, officer, make_signal):
    signal = make_signal(status="bronnenonderzoek")
    decided_check(coordinator, officer, signal)
    assert "Kies hit of no hit." in query(client, signal, "brp", "").get_data(as_text=True)
    assert queries() == []


@pytest.mark.parametrize(("register", "summary", "message"), [
    ("woz", None, "niet toegestaan"),
    ("brp", "inhoud", "alleen hit / no hit"),
])
def test_the_service_enforces_the_check_without_the_form(coordinator, officer, make_signal, register, summary,
                                                         message):
    signal = make_signal(status="bronnenonderzoek")
    decided_check(coordinator, officer, signal)
    with pytest.raises(SourceQueryError, match=message):
        record_source_query(coordinator, signal, register=register, hit=True, summary=summary,
                            information_date=date(2026, 1, 15))
    db.session.rollback()


def test_a_source_check_and_its_log_event_fail_together(client, coordinator, officer, make_signal, monkeypatch):
    signal = make_signal(status="bronnenonderzoek")
    decided_check(coordinator, officer, signal)
    state = fail_commit_with(monkeypatch, "source_query.recorded")
    assert query(client, signal, "bag", "ja", SUMMARY).status_code == 503
    monkeypatch.undo()
    assert state["failed"] and queries() == [] and events("source_query.recorded") == []


def test_the_workspace_lists_the_checks_done_and_offers_only_allowed_registers(client, coordinator, officer,
                                                                               make_signal):
    signal = make_signal(status="bronnenonderzoek")
    decided_check(coordinator, officer, signal)
    query(client, signal, "brp", "nee")
    query(client, signal, "bag", "ja", SUMMARY)
    body = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    section = body.split('id="bronnenonderzoek"')[1]
    assert "BRP (personen)" in section and "No hit" in section and "2f6d" in section
    options = section.split('id="bron-register"')[1].split("</select>")[0]
    assert 'value="brp"' in options and 'value="bag"' in options and 'value="woz"' not in options
    assert "Alleen toegestaan voor: BAG (adressen en gebouwen)" in section


def test_the_workspace_explains_why_no_source_can_be_checked_yet(client, coordinator, make_signal):
    signal = make_signal(status="bronnenonderzoek")
    request_privacy_check(coordinator, signal, "1")
    db.session.commit()
    body = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    assert "die toets wacht nog op een besluit" in body
    assert 'id="bron-register"' not in body
    assert db.session.scalars(select(PrivacyCheck)).one().status == "open"


# The date of the information found (weging 4 weighs whether it is recent enough) -----------------


def test_a_hit_records_the_date_of_the_information_found(client, coordinator, officer, make_signal):
    signal = make_signal(status="bronnenonderzoek")
    decided_check(coordinator, officer, signal)
    query(client, signal, "bag", "ja", SUMMARY, found_on="2025-11-30")
    query(client, signal, "brp", "nee")
    bag, brp = queries()
    assert (bag.information_date, brp.information_date) == (date(2025, 11, 30), None)
    body = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    assert "Informatie van" in body and "30-11-2025" in body


@pytest.mark.parametrize(("hit", "found_on", "message"), [
    ("ja", "", "Vul in van wanneer de gevonden informatie is"),
    ("nee", "2026-01-15", "Bij een no hit is er geen gevonden informatie"),
    ("ja", (date.today() + timedelta(days=2)).isoformat(), "Deze datum ligt in de toekomst"),
    ("ja", "31-02-2026", "Vul een geldige datum in"),
    ("ja", "1850-01-01", "Vul een datum in tussen 1900 en 2100"),
])
def test_a_wrong_or_missing_date_is_explained_next_to_the_field_and_nothing_is_saved(
        client, coordinator, officer, make_signal, hit, found_on, message):
    signal = make_signal(status="bronnenonderzoek")
    decided_check(coordinator, officer, signal)
    response = query(client, signal, "bag", hit, SUMMARY, found_on=found_on)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="bron-information_date-error"' in body and message in body
    assert "2f6d" in body  # what was typed is kept
    assert queries() == [] and events("source_query.recorded") == []


def test_the_service_refuses_a_hit_without_a_date_and_a_no_hit_with_one(coordinator, officer, make_signal):
    signal = make_signal(status="bronnenonderzoek")
    decided_check(coordinator, officer, signal)
    with pytest.raises(SourceQueryError, match="van wanneer"):
        record_source_query(coordinator, signal, register="bag", hit=True, summary=None)
    with pytest.raises(SourceQueryError, match="no hit"):
        record_source_query(coordinator, signal, register="brp", hit=False, summary=None,
                            information_date=date(2026, 1, 15))
    db.session.rollback()
    assert queries() == []
