"""Data-subject rights complete (issue 18): the restriction flag that stops processing
(art. 18 AVG), the notification of recipients (art. 19), the extension (art. 12 lid 3), the
objection weighed (art. 21), informing or a reasoned deferral (art. 14 AVG / art. 41 UAVG) and
the answer letter with the Awb objection route."""

import html
import io
import re
from datetime import date, datetime, time, timedelta

import pytest
from flask import current_app
from freezegun import freeze_time
from pypdf import PdfReader
from sqlalchemy import func, select

from casustafel.actions.services import ActionError, create_action, update_action
from casustafel.bibob.services import BibobError, BibobInput, record_bibob, update_bibob
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.meetings import services as meetings
from casustafel.models import (
    Action,
    AgendaItem,
    Assessment,
    AuditEvent,
    CasePlan,
    InformingDecision,
    Notification,
    Partner,
    PrivacyCheck,
    ProcessingRestriction,
    RecipientNotification,
    Referral,
    SignalEvent,
    SourceQuery,
    SubjectRequest,
)
from casustafel.privacy.decisions import DecisionError, decide_privacy_check
from casustafel.privacy.services import request_privacy_check
from casustafel.processing import is_restricted
from casustafel.referrals.received_services import (
    ReceivedError,
    add_received_information,
    decide_exception,
    request_exception,
)
from casustafel.referrals.services import ReferralError, create_referral, send_referral
from casustafel.signals.case_link_services import CaseLinkError, CaseLinkInput, add_case_link
from casustafel.signals.informing_services import InformingError, record_informing, remind_deferrals
from casustafel.signals.plan_services import PlanError, PlanInput, record_plan
from casustafel.signals.services import SummaryError, record_summary
from casustafel.signals.weighing import SourceQueryError, record_assessment, record_source_query
from casustafel.signals.workflow import TransitionError, transition
from casustafel.subject_requests import package, rights_services, services
from casustafel.subject_requests.services import SubjectRequestError
from tests.conftest import TODAY, csrf_from, login
from tests.helpers import meetings as meeting_helpers
from tests.helpers.powers import power_ids
from tests.helpers.referrals import client_for

pytestmark = pytest.mark.usefixtures("pinned_day")

PERSON = ("Jürgen Ñúñez-Ørsted", "1979-02-28")


def plain(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(response.get_data(as_text=True))).split())


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    pages = (re.sub(r"-\n", "-", p.extract_text()) for p in PdfReader(io.BytesIO(content)).pages)
    return " ".join(" ".join(page.split()) for page in pages)


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def partner(name: str) -> Partner:
    return db.session.scalar(select(Partner).where(Partner.name == name))


def request_for(officer, *, type="beperking", received_on=None) -> SubjectRequest:
    """A request about PERSON, its signals found (and linked) by the real lookup."""
    request = services.create_request(officer, type=type, received_on=received_on or TODAY,
                                      name=PERSON[0], birth_date=date.fromisoformat(PERSON[1]))
    services.lookup(officer, request)
    db.session.commit()
    return request


def approved_referral(coordinator, officer, signal, name="RIEC") -> Referral:
    if signal.summary is None:  # the package carries the summary, never the reporter's words
        record_summary(coordinator, signal, "Geanonimiseerde samenvatting van de feiten.")
    referral = create_referral(coordinator, signal, partner=partner(name), purpose="Signaal aanbrengen",
                               legal_ground="wgs_riec", legal_ground_note=None,
                               data_categories=["beschrijving", "betrokkenen"], channel="brief", feedback_due=None)
    db.session.commit()
    check = db.session.scalar(select(PrivacyCheck).where(PrivacyCheck.referral_id == referral.id))
    decide_privacy_check(officer, check, approved=True, rationale="Afgewogen", allowed_fields=["beschrijving"],
                         powers=power_ids())
    db.session.commit()
    return referral


def send(coordinator, referral, today=TODAY):
    referral.signal.summary = referral.signal.summary or "Geanonimiseerde samenvatting van de melding"
    send_referral(coordinator, referral, store=current_app.extensions["casustafel_store"],
                  keyring=current_app.extensions["casustafel_keyring"], render=lambda r, c: b"%PDF-1.4 pakket",
                  today=today)


def counts() -> dict:
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (SignalEvent, Assessment, SourceQuery, AgendaItem, Action, Referral, CasePlan)}


@pytest.fixture
def scene(make_user, make_signal):
    officer = make_user("privacy_officer")
    coordinator = make_user("coordinator")
    signal = make_signal(None, person=PERSON, status="bronnenonderzoek")
    prepared = approved_referral(coordinator, officer, signal)  # approved before the restriction
    request = request_for(officer)
    return officer, coordinator, signal, prepared, request


# --- the restriction flag blocks processing (must show) -------------------------------------------


def test_a_restriction_flag_blocks_every_processing_service_and_saves_nothing(scene):
    officer, coordinator, signal, prepared, request = scene
    rights_services.restrict(officer, request, signal, "De betrokkene betwist de juistheid van het adres.")
    db.session.commit()
    assert is_restricted(signal)
    before, status, seq = counts(), signal.status, db.session.scalar(select(func.max(AuditEvent.seq)))
    meeting = meetings.create_meeting(coordinator, held_at=datetime.combine(TODAY + timedelta(days=7), time(10)),
                                      kind="regulier", chair_id=coordinator.id, agenda_cutoff=TODAY + timedelta(days=3))
    db.session.commit()
    seq = db.session.scalar(select(func.max(AuditEvent.seq)))
    attempts = {
        "statuswijziging": (TransitionError, lambda: transition(coordinator, signal, "afgesloten",
                                                                reason_code="geen_hit")),
        "weging": (TransitionError, lambda: record_assessment(
            coordinator, signal, "vervolgstap", answers={}, outcome="casusoverleg", rationale="Weging")),
        "bronnenonderzoek": (SourceQueryError, lambda: record_source_query(
            coordinator, signal, register="brp", hit=False, summary=None)),
        "agendapunt": (meetings.MeetingError, lambda: meetings.add_item(coordinator, meeting, signal, TODAY)),
        "actie": (ActionError, lambda: create_action(coordinator, signal, type="overig", deadline=TODAY,
                                                     owner_id=coordinator.id)),
        "verstrekking": (ReferralError, lambda: create_referral(
            coordinator, signal, partner=partner("Politie"), purpose="Doel", legal_ground="wgs_riec",
            legal_ground_note=None, data_categories=["beschrijving"], channel="brief", feedback_due=None)),
        "pakket": (ReferralError, lambda: send(coordinator, prepared)),
        "plan": (PlanError, lambda: record_plan(coordinator, signal, PlanInput(
            goal="Doel", interventions="Interventies", director_id=coordinator.id, review_on=TODAY))),
    }
    for name, (error, attempt) in attempts.items():
        with pytest.raises(error, match=r"is beperkt \(art\. 18 AVG\)"):
            attempt()
        db.session.rollback()
        assert counts() == before, name
        assert db.session.get(type(signal), signal.id).status == status, name
        assert db.session.get(Referral, prepared.id).status == "concept" and prepared.package_digest is None, name
        assert db.session.scalar(select(func.max(AuditEvent.seq))) == seq, name  # nothing logged as done


def test_lifting_the_restriction_restores_processing(scene):
    officer, coordinator, signal, prepared, request = scene
    rights_services.restrict(officer, request, signal, "Juistheid betwist.")
    db.session.commit()
    rights_services.lift(officer, request, signal, "Juistheid vastgesteld; betrokkene op de hoogte gebracht.")
    db.session.commit()
    assert not is_restricted(signal)
    send(coordinator, prepared)
    create_action(coordinator, signal, type="overig", deadline=TODAY, owner_id=coordinator.id)
    transition(coordinator, signal, "afgesloten", reason_code="geen_hit")
    db.session.commit()
    assert signal.status == "afgesloten" and prepared.status == "verstuurd" and prepared.package_digest
    restriction = db.session.scalars(select(ProcessingRestriction)).one()
    assert restriction.lifted_by_id == officer.id and restriction.lift_reason.startswith("Juistheid vastgesteld")
    assert [e.action for e in events("processing_restriction.set")] == ["processing_restriction.set"]
    assert len(events("processing_restriction.lifted")) == 1


def test_the_restriction_reason_is_encrypted_and_twice_is_refused(scene):
    officer, _coordinator, signal, _prepared, request = scene
    rights_services.restrict(officer, request, signal, "Betwist: adres RESTRICTMARK klopt niet")
    db.session.commit()
    row = db.session.scalars(select(ProcessingRestriction)).one()
    assert b"RESTRICTMARK" not in row.reason_enc and "RESTRICTMARK" in row.reason
    with pytest.raises(SubjectRequestError, match="al beperkt"):
        rights_services.restrict(officer, request, signal, "Nog eens")
    with pytest.raises(SubjectRequestError, match="reden"):
        rights_services.lift(officer, request, signal, "   ")


@pytest.mark.parametrize("role", ["coordinator", "member", "reporter", "admin"])
def test_only_the_privacy_officer_sets_or_lifts_a_restriction(client, make_user, scene, role):
    officer, _coordinator, signal, _prepared, request = scene
    other = make_user(role)
    assert login(client, other.email).status_code == 200
    token = csrf_from(client.get("/", follow_redirects=True))
    url = f"/verzoeken/{request.id}/beperking/{signal.id}"
    assert client.post(url, data={"csrf_token": token, "reason": "Ik beperk"}).status_code == 403
    assert not is_restricted(signal)
    rights_services.restrict(officer, request, signal, "Juistheid betwist.")
    db.session.commit()
    assert client.post(url + "/opheffen", data={"csrf_token": token, "reason": "Ik hef op"}).status_code == 403
    assert is_restricted(signal)


def test_the_privacy_officer_sets_and_lifts_through_the_page_and_the_coordinator_is_refused(
        app, client, make_user, make_signal, scene):
    officer, coordinator, signal, _prepared, request = scene
    stranger = make_signal(None, person=("Iemand Anders", "1990-01-01"))
    assert login(client, officer.email).status_code == 200
    page = client.get(f"/verzoeken/{request.id}")
    token = csrf_from(page)
    url = f"/verzoeken/{request.id}/beperking/{signal.id}"
    empty = client.post(url, data={"csrf_token": token, "reason": ""})
    assert empty.status_code == 200 and "Geef de reden van de beperking" in plain(empty) and not is_restricted(signal)
    assert client.post(f"/verzoeken/{request.id}/beperking/{stranger.id}",
                       data={"csrf_token": token, "reason": "Niet van dit verzoek"}).status_code == 404
    assert not is_restricted(stranger)
    done = client.post(url, data={"csrf_token": token, "reason": "Juistheid betwist (art. 18 lid 1 sub a)."})
    assert done.status_code == 302 and is_restricted(signal)
    assert "Beperkt" in plain(client.get(f"/verzoeken/{request.id}"))

    member = make_user("member")
    officer_client, client = client, client_for(app, coordinator)
    detail = plain(client.get(f"/meldingen/{signal.id}"))
    assert "Verwerking beperkt (art. 18 AVG)" in detail
    token = csrf_from(client.get(f"/acties/nieuw/{signal.id}"))
    refused = client.post(f"/acties/nieuw/{signal.id}", data={
        "csrf_token": token, "type": "overig", "deadline": TODAY.isoformat(), "owner_id": str(member.id),
        "owner_department_id": "", "description": "Controle"})
    assert refused.status_code == 200 and "is beperkt (art. 18 AVG)" in plain(refused)
    assert db.session.scalar(select(func.count()).select_from(Action)) == 0

    client = officer_client
    token = csrf_from(client.get(f"/verzoeken/{request.id}"))
    lifted = client.post(url + "/opheffen", data={"csrf_token": token, "reason": "Betrokkene ingelicht op 1-3."})
    assert lifted.status_code == 302 and not is_restricted(signal)


# --- notification of recipients (art. 19) ---------------------------------------------------------


def test_art19_lists_exactly_the_partners_the_signals_were_sent_to(make_user, make_signal):
    officer, coordinator = make_user("privacy_officer"), make_user("coordinator")
    signal = make_signal(None, person=PERSON, status="bronnenonderzoek")
    second = make_signal(None, person=PERSON, status="in_aanpak")
    other = make_signal(None, person=("Anna de Vries", "1985-05-05"), status="in_aanpak")
    send(coordinator, approved_referral(coordinator, officer, signal, "RIEC"))
    send(coordinator, approved_referral(coordinator, officer, second, "Politie"))
    send(coordinator, approved_referral(coordinator, officer, second, "Politie"))  # twice to one partner
    approved_referral(coordinator, officer, signal, "Openbaar Ministerie")  # a concept: went nowhere
    send(coordinator, approved_referral(coordinator, officer, other, "Belastingdienst"))  # someone else
    db.session.commit()
    request = request_for(officer, type="rectificatie", received_on=TODAY - timedelta(days=3))
    assert rights_services.recipients(request) == []  # nothing carried out yet: nobody to tell
    with pytest.raises(SubjectRequestError):
        rights_services.carried_out(officer, request, TODAY + timedelta(days=1), TODAY)
    rights_services.carried_out(officer, request, TODAY, TODAY)
    db.session.commit()
    assert sorted(p.name for p in rights_services.recipients(request)) == ["Politie", "RIEC"]
    assert rights_services.notification_tasks() == [(request, 2)]

    with pytest.raises(SubjectRequestError, match="Kies een ontvanger"):
        rights_services.record_notification(officer, request, partner_id=partner("Openbaar Ministerie").id,
                                            notified_on=TODAY, method="brief", note=None, today=TODAY)
    with pytest.raises(SubjectRequestError, match="onevenredig"):
        rights_services.record_notification(officer, request, partner_id=partner("RIEC").id, notified_on=TODAY,
                                            method="onevenredig", note="", today=TODAY)
    rights_services.record_notification(officer, request, partner_id=partner("RIEC").id, notified_on=TODAY,
                                        method="beveiligde_mail", note="Via het RIEC-portaal", today=TODAY)
    db.session.commit()
    with pytest.raises(SubjectRequestError, match="al vastgelegd"):
        rights_services.record_notification(officer, request, partner_id=partner("RIEC").id, notified_on=TODAY,
                                            method="brief", note=None, today=TODAY)
    assert rights_services.notification_tasks() == [(request, 1)]
    rights_services.record_notification(officer, request, partner_id=partner("Politie").id, notified_on=TODAY,
                                        method="brief", note=None, today=TODAY)
    db.session.commit()
    assert rights_services.notification_tasks() == []
    assert len(events("recipient_notification.recorded")) == 2


def test_a_restriction_makes_its_signals_partners_recipients_and_the_task_shows(client, scene):
    officer, coordinator, signal, prepared, request = scene
    send(coordinator, prepared)
    db.session.commit()
    rights_services.restrict(officer, request, signal, "Juistheid betwist.")
    db.session.commit()
    assert [p.name for p in rights_services.recipients(request)] == ["RIEC"]
    assert login(client, officer.email).status_code == 200
    index = plain(client.get("/verzoeken/"))
    assert f"{request.number} : 1 ontvanger nog niet ingelicht" in index
    token = csrf_from(client.get(f"/verzoeken/{request.id}"))
    bad = client.post(f"/verzoeken/{request.id}/ontvangers", data={
        "csrf_token": token, "partner_id": str(partner("RIEC").id), "notified_on": "", "method": "brief", "note": ""})
    assert bad.status_code == 200 and "Vul de datum in waarop de ontvanger is ingelicht." in plain(bad)
    ok = client.post(f"/verzoeken/{request.id}/ontvangers", data={
        "csrf_token": token, "partner_id": str(partner("RIEC").id), "notified_on": TODAY.isoformat(),
        "method": "brief", "note": ""})
    assert ok.status_code == 302
    assert db.session.scalars(select(RecipientNotification)).one().partner.name == "RIEC"
    assert "nog niet ingelicht" not in plain(client.get("/verzoeken/"))


# --- the extension (art. 12 lid 3) ------------------------------------------------------------------


@pytest.mark.parametrize("received, extended", [
    (date(2026, 12, 31), date(2027, 3, 31)),
    (date(2027, 11, 29), date(2028, 2, 29)),  # into a leap day
    (date(2027, 11, 30), date(2028, 2, 29)),  # clamped to the month's end
    (date(2028, 2, 29), date(2028, 5, 29)),  # from a leap day
    (date(2028, 1, 31), date(2028, 4, 30)),  # not 29 April from a clamped first month
])
def test_the_extension_adds_two_months_once(make_user, received, extended):
    officer = make_user("privacy_officer")
    request = services.create_request(officer, type="inzage", received_on=received, kvk_number="12345678")
    first_month = services.due_date(received)
    with pytest.raises(SubjectRequestError, match="binnen de eerste maand"):
        rights_services.extend(officer, request, reason="Complex", told_on=first_month + timedelta(days=1),
                               today=first_month + timedelta(days=1))
    with pytest.raises(SubjectRequestError, match="ingelicht"):
        rights_services.extend(officer, request, reason="Complex", told_on=None, today=first_month)
    rights_services.extend(officer, request, reason="Veel meldingen en verstrekkingen uit te zoeken",
                           told_on=first_month, today=first_month)
    db.session.commit()
    assert request.due_on == extended and request.extension_told_on == first_month
    assert b"Veel meldingen" not in request.extension_reason_enc
    with pytest.raises(SubjectRequestError, match="maar één keer"):
        rights_services.extend(officer, request, reason="Nog eens", told_on=first_month, today=first_month)
    assert request.due_on == extended
    assert len(events("subject_request.extended")) == 1


def test_the_list_and_the_letter_show_the_extended_deadline(client, make_user):
    officer = make_user("privacy_officer")
    assert login(client, officer.email).status_code == 200
    request = services.create_request(officer, type="inzage", received_on=TODAY, kvk_number="12345678")
    db.session.commit()
    token = csrf_from(client.get(f"/verzoeken/{request.id}"))
    late = client.post(f"/verzoeken/{request.id}/verlenging", data={
        "csrf_token": token, "reason": "Complex verzoek", "told_on": (TODAY + timedelta(days=1)).isoformat()})
    assert late.status_code == 200 and "Deze datum ligt in de toekomst." in plain(late)
    assert db.session.get(SubjectRequest, request.id).extended_at is None
    done = client.post(f"/verzoeken/{request.id}/verlenging", data={
        "csrf_token": token, "reason": "Complex verzoek", "told_on": TODAY.isoformat()})
    assert done.status_code == 302
    db.session.expire_all()
    new_due = rights_services.extended_due_date(TODAY)
    assert f"{new_due:%d-%m-%Y} (verlengd)" in plain(client.get("/verzoeken/"))
    services.decide(officer, request, restriction="geen", ground=None, note=None)
    text = pdf_text(package.render(package.build(request, [])))
    assert "met twee maanden verlengd" in text and f"{new_due:%d-%m-%Y}" in text


# --- the objection (art. 21) -----------------------------------------------------------------------


def test_an_upheld_objection_stops_processing_of_every_found_signal(make_user, make_signal):
    officer, coordinator = make_user("privacy_officer"), make_user("coordinator")
    first = make_signal(None, person=PERSON, status="weging")
    second = make_signal(None, person=PERSON, status="in_aanpak")
    request = request_for(officer, type="bezwaar")
    rights_services.weigh_objection(officer, request, outcome="gehonoreerd", reasoning=None)
    db.session.commit()
    assert is_restricted(first) and is_restricted(second)
    with pytest.raises(TransitionError):
        transition(coordinator, first, "afgesloten", reason_code="geen_vervolg")
    with pytest.raises(SubjectRequestError, match="al beslist"):
        rights_services.weigh_objection(officer, request, outcome="afgewezen", reasoning="Toch niet")
    assert events("subject_request.objection_weighed")[0].reason_code == "gehonoreerd"


def test_a_rejected_objection_needs_the_compelling_grounds_and_they_reach_the_letter(make_user, make_signal):
    officer = make_user("privacy_officer")
    signal = make_signal(None, person=PERSON, status="weging")
    request = request_for(officer, type="bezwaar")
    with pytest.raises(SubjectRequestError, match="dwingende gerechtvaardigde gronden"):
        rights_services.weigh_objection(officer, request, outcome="afgewezen", reasoning="  ")
    assert request.objection_outcome is None
    with pytest.raises(SubjectRequestError):
        rights_services.weigh_objection(officer, request, outcome="misschien", reasoning="x")
    rights_services.weigh_objection(officer, request, outcome="afgewezen",
                                    reasoning="Het onderzoek naar een mogelijk drugspand loopt nog.")
    services.decide(officer, request, restriction="geen", ground=None, note=None)
    db.session.commit()
    assert b"drugspand" not in request.objection_reasoning_enc
    assert not is_restricted(signal)  # a rejected objection leaves processing as it was
    text = pdf_text(package.render(package.build(request, services.lookup(officer, request))))
    assert "bezwaar (artikel 21 AVG) afgewezen" in text and "mogelijk drugspand loopt nog" in text


def test_only_an_objection_is_weighed(make_user):
    officer = make_user("privacy_officer")
    request = services.create_request(officer, type="inzage", received_on=TODAY, kvk_number="12345678")
    with pytest.raises(SubjectRequestError, match="Alleen een bezwaar"):
        rights_services.weigh_objection(officer, request, outcome="gehonoreerd", reasoning=None)


# --- the answer letter --------------------------------------------------------------------------------


@pytest.mark.parametrize("restriction, ground", [("geen", None), ("volledig", "toezicht")])
def test_the_answer_letter_names_the_bezwaar_route_six_weeks_and_the_ap(make_user, restriction, ground):
    officer = make_user("privacy_officer")
    request = services.create_request(officer, type="inzage", received_on=TODAY, kvk_number="12345678")
    services.decide(officer, request, restriction=restriction, ground=ground, note=None)
    text = pdf_text(package.render(package.build(request, [])))
    assert "besluit in de zin van de Algemene wet bestuursrecht (artikel 34 Uitvoeringswet AVG)" in text
    assert "binnen zes weken" in text and "bezwaar maken" in text and "artikel 6:7 en 6:8" in text
    assert "in beroep gaan bij de rechtbank" in text
    assert "klacht indienen bij de Autoriteit Persoonsgegevens" in text
    if ground:
        assert "art. 41 lid 1 sub h UAVG" in text and "toezicht, inspectie of regelgeving" in text


def test_the_supervision_ground_cites_sub_h_of_art_41_uavg():
    assert services.RESTRICTION_GROUNDS["toezicht"].endswith("(art. 41 lid 1 sub h UAVG)")
    assert all("art. 41 lid 1 sub" in label for label in services.RESTRICTION_GROUNDS.values())


# --- informing (art. 14) or a reasoned deferral (art. 41 UAVG) ------------------------------------------


def test_a_deferral_needs_a_ground_a_reason_and_a_later_review_date(make_user, make_signal):
    coordinator = make_user("coordinator")
    signal = make_signal(None, person=PERSON, status="weging")
    subject = signal.subjects[0]
    common = dict(subject_id=subject.id, outcome="uitgesteld", informed_on=None, today=TODAY)
    with pytest.raises(InformingError, match="grond"):
        record_informing(coordinator, signal, ground=None, reason="Schaadt", review_on=TODAY + timedelta(days=30),
                         **common)
    with pytest.raises(InformingError, match="Licht toe"):
        record_informing(coordinator, signal, ground="opsporing", reason=" ", review_on=TODAY + timedelta(days=30),
                         **common)
    with pytest.raises(InformingError, match="herbeoordelingsdatum"):
        record_informing(coordinator, signal, ground="opsporing", reason="Schaadt", review_on=TODAY, **common)
    with pytest.raises(InformingError, match="betrokkene van deze melding"):
        record_informing(coordinator, signal, ground="opsporing", reason="Schaadt",
                         review_on=TODAY + timedelta(days=30),
                         **{**common, "subject_id": make_signal(None).subjects[0].id})
    assert db.session.scalars(select(InformingDecision)).all() == []
    decision = record_informing(coordinator, signal, ground="opsporing", reason="Onderzoek REASONMARK loopt",
                                review_on=TODAY + timedelta(days=30), **common)
    db.session.commit()
    assert b"REASONMARK" not in decision.reason_enc
    assert events("informing.recorded")[0].reason_code == "uitgesteld"


def test_the_deferral_reminder_fires_when_the_review_date_has_come(make_user, make_signal):
    coordinator, other_coordinator = make_user("coordinator"), make_user("coordinator")
    make_user("member")
    signal = make_signal(None, person=PERSON, status="weging")
    review = TODAY + timedelta(days=5)
    record_informing(coordinator, signal, subject_id=signal.subjects[0].id, outcome="uitgesteld", informed_on=None,
                     ground="bescherming_anderen", reason="De melder is herkenbaar", review_on=review, today=TODAY)
    db.session.commit()

    def remind_on(day):
        with freeze_time(datetime.combine(day, time(12))):  # the timer runs at noon that day
            result = remind_deferrals(None, day)
            db.session.commit()
            return result

    assert remind_on(review - timedelta(days=1)) == (0, 0)
    assert remind_on(review) == (1, 2)
    messages = db.session.scalars(select(Notification)).all()
    assert {m.recipient_id for m in messages} == {coordinator.id, other_coordinator.id}
    assert all(PERSON[0] not in m.body and signal.reference not in m.body for m in messages)
    assert len(events("informing.review_due")) == 1
    assert remind_on(review) == (0, 0)  # not twice the same day
    assert remind_on(review + timedelta(days=1))[0] == 1  # still deferred: again the next day
    record_informing(coordinator, signal, subject_id=signal.subjects[0].id, outcome="geinformeerd",
                     informed_on=TODAY, ground=None, reason=None, review_on=None, today=TODAY)
    db.session.commit()
    assert remind_on(review + timedelta(days=2)) == (0, 0)  # informed since: nothing to review


def test_the_coordinator_records_informing_on_the_signal_page(client, make_user, make_signal):
    coordinator = make_user("coordinator")
    signal = make_signal(None, person=PERSON, status="weging")
    assert login(client, coordinator.email).status_code == 200
    assert "Betrokkenen informeren (art. 14 AVG)" in plain(client.get(f"/meldingen/{signal.id}"))
    url = f"/meldingen/{signal.id}/informeren"
    token = csrf_from(client.get(url))
    bad = client.post(url, data={"csrf_token": token, "subject_id": str(signal.subjects[0].id),
                                 "outcome": "uitgesteld", "informed_on": "", "ground": "opsporing",
                                 "reason": "Typed TYPEDMARK", "review_on": ""})
    assert bad.status_code == 200 and "herbeoordelingsdatum" in plain(bad) and "Typed TYPEDMARK" in plain(bad)
    assert db.session.scalars(select(InformingDecision)).all() == []
    ok = client.post(url, data={"csrf_token": token, "subject_id": "", "outcome": "geinformeerd",
                                "informed_on": TODAY.isoformat(), "ground": "", "reason": "", "review_on": ""})
    assert ok.status_code == 302
    assert "Alle betrokkenen" in plain(client.get(url))


# --- the restriction reaches the meetings, the later changes and the lifting (review of issue 18) --


def restricted_meeting_scene(make_user, make_signal):
    """A published agenda with two signals of PERSON: `waiting` without a decision (geagendeerd),
    `later` with 'volgende keer' (besproken); then the privacy officer restricts both."""
    officer, coordinator = make_user("privacy_officer"), make_user("coordinator")
    dept = meeting_helpers.department("Vergunningen")
    member = make_user("member", department_id=dept.id)
    meeting = meeting_helpers.plan_meeting(coordinator)
    waiting = make_signal(None, person=PERSON, status="bronnenonderzoek")
    later = make_signal(None, person=PERSON, status="bronnenonderzoek")
    items = [meeting_helpers.add(coordinator, meeting, s) for s in (waiting, later)]
    meetings.invite(coordinator, meeting, member)
    db.session.commit()
    for s in (waiting, later):
        meeting_helpers.decide_2a(s, meeting, {dept.id: meeting_helpers.ALL_FIELDS})
    meetings.publish(coordinator, meeting)
    meetings.record_decision(coordinator, items[1], "volgende_keer", "Volgende keer verder")
    db.session.commit()
    request = request_for(officer)
    for s in (waiting, later):
        rights_services.restrict(officer, request, s, "De betrokkene betwist de juistheid.")
    db.session.commit()
    return officer, coordinator, member, meeting, (waiting, later), request


def test_restricted_signals_stay_off_new_agendas_and_meetings_are_still_closed_and_made(app, make_user, make_signal):
    officer, coordinator, _member, meeting, (waiting, later), request = restricted_meeting_scene(make_user, make_signal)
    assert (waiting.status, later.status) == ("geagendeerd", "besproken")
    next_one = meeting_helpers.plan_meeting(coordinator, days_ahead=14)
    client = client_for(app, coordinator)
    closed = meeting_helpers.post(client, f"/overleggen/{meeting.id}/sluiten", {
        "bevestigen": "ja", "override": "y", "override_reason": "Eerder gehouden."}, f"/overleggen/{meeting.id}")
    assert closed.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(meeting), meeting.id).status == "gesloten"
    assert next_one.items == [] and (waiting.status, later.status) == ("geagendeerd", "besproken")
    day = TODAY + timedelta(days=21)
    made = meeting_helpers.post(client, "/overleggen/nieuw", {
        "held_on": day.isoformat(), "held_time": "09:30", "kind": "regulier", "chair_id": str(coordinator.id),
        "agenda_cutoff": (day - timedelta(days=2)).isoformat()}, "/overleggen/nieuw")
    assert made.status_code == 302
    flashed = plain(client.get(made.headers["Location"]))
    assert "Het overleg is aangemaakt." in flashed and "overgebracht" not in flashed
    assert db.session.scalar(select(func.count()).select_from(AgendaItem).where(
        AgendaItem.meeting_id != meeting.id)) == 0
    assert db.session.scalar(select(func.count()).select_from(PrivacyCheck).where(
        PrivacyCheck.kind == "2A", PrivacyCheck.meeting_id != meeting.id)) == 0
    assert not meetings.pending_carry_over()

    # Lifted: the items wait no longer and go onto the next meeting made.
    for s in (waiting, later):
        rights_services.lift(officer, request, s, "Juistheid vastgesteld; betrokkene ingelicht.")
    db.session.commit()
    assert {i.signal_id for i in meetings.pending_carry_over()} == {waiting.id, later.id}
    fresh = meeting_helpers.plan_meeting(coordinator, days_ahead=28)
    assert {i.signal_id for i in fresh.items} == {waiting.id, later.id}
    assert later.status == "geagendeerd"


def test_publishing_refuses_a_restricted_agenda_signal_and_members_see_none_of_its_content(
        app, make_user, make_signal):
    officer, coordinator = make_user("privacy_officer"), make_user("coordinator")
    dept = meeting_helpers.department("Vergunningen")
    member = make_user("member", department_id=dept.id)
    meeting = meeting_helpers.plan_meeting(coordinator)
    signal = make_signal(None, person=PERSON, status="bronnenonderzoek", description="Beschrijving BESCHRIJFMARK")
    item = meeting_helpers.add(coordinator, meeting, signal)
    meetings.invite(coordinator, meeting, member)
    db.session.commit()
    meeting_helpers.decide_2a(signal, meeting, {dept.id: meeting_helpers.ALL_FIELDS})
    request = request_for(officer)
    rights_services.restrict(officer, request, signal, "Juistheid betwist.")
    db.session.commit()

    client = client_for(app, coordinator)
    refused = meeting_helpers.post(client, f"/overleggen/{meeting.id}/publiceren", {}, f"/overleggen/{meeting.id}")
    assert refused.status_code == 302
    page = plain(client.get(refused.headers["Location"]))
    assert (f"De agenda kan niet worden gepubliceerd: de verwerking van melding {signal.reference} is beperkt "
            "(art. 18 AVG)") in page
    db.session.expire_all()
    assert meeting.status == "concept" and meeting.published_at is None
    assert not events("meeting.published")
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.recipient_id == member.id)) == 0

    # Published before the restriction: the member sees that it is restricted, nothing of it.
    rights_services.lift(officer, request, signal, "Juistheid vastgesteld; betrokkene ingelicht.")
    meetings.publish(coordinator, meeting)
    db.session.commit()
    member_client = client_for(app, member)
    assert PERSON[0] in plain(member_client.get(f"/overleggen/{meeting.id}/agenda"))
    rights_services.restrict(officer, request, signal, "Opnieuw betwist.")
    db.session.commit()
    agenda = plain(member_client.get(f"/overleggen/{meeting.id}/agenda"))
    assert "De verwerking van deze melding is beperkt" in agenda and signal.reference in agenda
    for secret in (PERSON[0], "28-02-1979", "1234 AB", "BESCHRIJFMARK"):
        assert secret not in agenda
    pdf = pdf_text(member_client.get(f"/overleggen/{meeting.id}/agenda.pdf").data)
    assert "De verwerking van deze melding is beperkt" in pdf and PERSON[0] not in pdf
    viewed = [e for e in events("agenda_item.viewed") if e.object_id == str(item.id) and e.actor_id == member.id]
    assert viewed[-1].subject_pseudonyms is None  # nobody's data shown, nobody logged as seen


def test_a_restriction_also_blocks_changing_what_was_recorded_before_and_the_pages_say_so(
        app, make_user, make_signal):
    officer, other_officer = make_user("privacy_officer"), make_user("privacy_officer")
    coordinator = make_user("coordinator")
    dept = meeting_helpers.department("Handhaving")
    member = make_user("member", department_id=dept.id)
    signal = make_signal(None, person=PERSON, status="bronnenonderzoek", description="Beschrijving van de melder")
    meeting = meeting_helpers.plan_meeting(coordinator)
    item = meeting_helpers.add(coordinator, meeting, signal)
    check_2a = db.session.scalar(select(PrivacyCheck).where(PrivacyCheck.kind == "2A"))
    action = create_action(coordinator, signal, type="overig", deadline=TODAY, owner_id=member.id)
    check_2b = request_privacy_check(coordinator, signal, "2B", action=action)
    bibob = record_bibob(coordinator, signal, BibobInput(body="college", decision_kind="subsidie", notes="Notitie"))
    info = add_received_information(coordinator, signal, ground="wpg_19", received_on=TODAY, content="Inhoud")
    asked = request_exception(coordinator, info, use="eigen_taak", referral=None, task="Taak", reasoning="Nodig")
    db.session.commit()
    request = request_for(officer)
    rights_services.restrict(officer, request, signal, "Juistheid betwist.")
    db.session.commit()
    seq = db.session.scalar(select(func.max(AuditEvent.seq)))
    attempts = {
        "actie bijwerken": (ActionError, lambda: update_action(member, action, status="afgerond", result="Klaar")),
        "aantekeningen": (meetings.MeetingError, lambda: meetings.record_notes(coordinator, item, "Notities")),
        "bibob nieuw": (BibobError, lambda: record_bibob(coordinator, signal, BibobInput(
            body="burgemeester", decision_kind="vergunning"))),
        "bibob bijwerken": (BibobError, lambda: update_bibob(coordinator, bibob, BibobInput(
            body="college", decision_kind="subsidie", notes="Gewijzigd"))),
        "ontvangen informatie": (ReceivedError, lambda: add_received_information(
            coordinator, signal, ground="wpg_19", received_on=TODAY, content="Meer")),
        "uitzondering vragen": (ReceivedError, lambda: request_exception(
            coordinator, info, use="verstrekking", referral=None, task="Taak", reasoning="Nodig")),
        "uitzondering besluiten": (ReceivedError, lambda: decide_exception(
            other_officer, asked, approved=True, reasoning="Goed")),
        "zaaknummer": (CaseLinkError, lambda: add_case_link(coordinator, signal, CaseLinkInput(
            kind="bibob_besluit", zaaknummer="ZAAK-1", decided_on=TODAY))),
        "samenvatting": (SummaryError, lambda: record_summary(coordinator, signal, "Samenvatting")),
        "toets 2A": (DecisionError, lambda: decide_privacy_check(
            officer, check_2a, approved=True, rationale="Afgewogen", field_rules={})),
        "toets 2B": (DecisionError, lambda: decide_privacy_check(
            officer, check_2b, approved=True, rationale="Afgewogen", allowed_fields=["beschrijving"],
            powers=power_ids())),
    }
    for name, (error, attempt) in attempts.items():
        with pytest.raises(error, match=r"is beperkt \(art\. 18 AVG\)"):
            attempt()
        db.session.rollback()
        assert db.session.scalar(select(func.max(AuditEvent.seq))) == seq, name
    db.session.expire_all()
    assert (action.status, item.notes, bibob.notes, signal.summary) == ("open", None, "Notitie", None)
    assert (check_2a.status, check_2b.status, asked.status) == ("open", "open", "aangevraagd")

    # Through the pages: the Dutch message, nothing saved, never a 500.
    owner = client_for(app, member)
    url = f"/acties/{action.id}"
    page = owner.get(url)
    assert "De verwerking van deze melding is beperkt" in plain(page)
    done = owner.post(url, data={"csrf_token": csrf_from(page), "status": "afgerond", "result": "Klaar",
                                 "version": str(action.version)})
    assert done.status_code == 200 and "is beperkt (art. 18 AVG)" in plain(done)
    client = client_for(app, coordinator)
    token = csrf_from(client.get(f"/meldingen/{signal.id}"))
    for url, data in (
        (f"/meldingen/{signal.id}/samenvatting", {"samenvatting-summary": "Feiten in eigen woorden",
                                                  "samenvatting-version": str(signal.version)}),
        (f"/meldingen/{signal.id}/zaaksysteem", {"zaak-kind": "bibob_besluit", "zaak-zaaknummer": "ZAAK-2",
                                                 "zaak-decided_on": TODAY.isoformat()}),
        (f"/verstrekkingen/ontvangen-informatie/{signal.id}", {"ground": "wpg_19",
                                                               "received_on": TODAY.isoformat(), "content": "Meer"}),
        (f"/overleggen/{meeting.id}/agendapunten/{item.id}/aantekeningen", {
            "notes-notes": "Notities", "notes-version": str(item.version)}),
    ):
        response = client.post(url, data={"csrf_token": token, **data})
        assert response.status_code == 200 and "is beperkt (art. 18 AVG)" in plain(response), url
    privacy = client_for(app, officer)
    decided = meeting_helpers.post(privacy, f"/privacy/toetsen/{check_2b.id}", {
        "approved": "ja", "rationale": "Afgewogen", "allowed_fields": "beschrijving",
        "powers": str(power_ids()[0])}, f"/privacy/toetsen/{check_2b.id}")
    assert decided.status_code == 302
    assert "is beperkt (art. 18 AVG)" in plain(privacy.get(decided.headers["Location"]))
    db.session.expire_all()
    assert (action.status, item.notes, signal.summary, check_2b.status) == ("open", None, None, "open")
    assert db.session.scalar(select(func.max(AuditEvent.seq))) > seq  # the views and refusals were logged
    assert not events("received_information.recorded")[1:] and not events("case_system_link.added")


def test_only_the_request_that_set_a_restriction_lifts_it_and_not_from_a_destroyed_file(scene):
    officer, _coordinator, signal, _prepared, request = scene
    rights_services.restrict(officer, request, signal, "Juistheid betwist.")
    db.session.commit()
    other = request_for(officer, type="bezwaar")
    with pytest.raises(SubjectRequestError, match="hoort bij een ander verzoek"):
        rights_services.lift(officer, other, signal, "Vanuit een ander verzoek")
    db.session.rollback()
    assert is_restricted(signal) and not events("processing_restriction.lifted")

    # The other request's page shows the restriction but offers no lifting.
    request.status, request.destroyed_at = "afgehandeld", utcnow()
    db.session.commit()
    with pytest.raises(SubjectRequestError, match="vernietigd"):
        rights_services.lift(officer, request, signal, "Uit een vernietigd dossier")
    db.session.rollback()
    assert is_restricted(signal)
    request.destroyed_at = None  # handled, not destroyed: the restriction outlasts the answer
    db.session.commit()
    rights_services.lift(officer, request, signal, "Juistheid vastgesteld; betrokkene ingelicht.")
    db.session.commit()
    assert not is_restricted(signal) and len(events("processing_restriction.lifted")) == 1


def test_the_request_page_offers_lifting_only_on_the_request_that_set_it(client, scene):
    officer, _coordinator, signal, _prepared, request = scene
    rights_services.restrict(officer, request, signal, "Juistheid betwist REASONMARK.")
    db.session.commit()
    other = request_for(officer, type="bezwaar")
    assert login(client, officer.email).status_code == 200
    own = client.get(f"/verzoeken/{request.id}").get_data(as_text=True)
    assert f"/verzoeken/{request.id}/beperking/{signal.id}/opheffen" in own and "REASONMARK" in own
    page = client.get(f"/verzoeken/{other.id}")
    text = plain(page)
    assert "ingesteld vanuit een ander verzoek" in text and "REASONMARK" not in text
    assert f"/verzoeken/{other.id}/beperking/{signal.id}/opheffen" not in page.get_data(as_text=True)
    refused = client.post(f"/verzoeken/{other.id}/beperking/{signal.id}/opheffen",
                          data={"csrf_token": csrf_from(page), "reason": "Toch opheffen"})
    assert refused.status_code == 200 and "hoort bij een ander verzoek" in plain(refused)
    assert is_restricted(signal)


# --- a full restriction hides the objection's outcome too (art. 41 UAVG) ---------------------------------


@pytest.mark.parametrize("outcome, reasoning", [
    ("gehonoreerd", None),
    ("afgewezen", "Het onderzoek naar een mogelijk drugspand aan de Ærøstraat loopt nog."),
])
def test_under_a_full_restriction_the_letter_tells_only_that_art_41_was_applied(make_user, make_signal,
                                                                                outcome, reasoning):
    """Neither "we no longer process the data about you" nor the compelling grounds: both would tell
    the subject that data exists, which a full restriction withholds."""
    officer = make_user("privacy_officer")
    signal = make_signal(None, person=PERSON, status="weging")
    request = request_for(officer, type="bezwaar")
    rights_services.weigh_objection(officer, request, outcome=outcome, reasoning=reasoning)
    services.decide(officer, request, restriction="volledig", ground="opsporing", note=None)
    db.session.commit()
    built = package.build(request, services.lookup(officer, request))
    assert built.objection_outcome is None and built.objection_reasoning is None
    addressee, text = pdf_text(package.render(built)).split("Ons kenmerk", 1)
    assert PERSON[0] in addressee  # the name the requester gave addresses the letter, and nothing more
    assert "artikel 41 van de Uitvoeringswet AVG beperken wij uw recht volledig" in text
    assert "niet meedelen of, en zo ja welke, persoonsgegevens over u worden verwerkt" in text
    for told in ("Uw bezwaar tegen de verwerking", "artikel 21 AVG", "niet langer", "dwingende gerechtvaardigde",
                 "drugspand", "Ærøstraat", signal.reference, PERSON[0]):
        assert told not in text, told
    # Without the restriction the same weighing does reach the letter (the test sees real text).
    request.restriction = "geen"
    shown = pdf_text(package.render(package.build(request, services.lookup(officer, request))))
    assert "Uw bezwaar tegen de verwerking" in shown and "artikel 21 AVG" in shown
