"""The Bibob track and the zaaknummer links (issue 18): art. 28 Wet Bibob keeps Bibob
information with the coordinator. Must show: a Bibob record never reaches a member, a referral
package or a data-subject answer letter."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from casustafel.actions.services import create_action
from casustafel.bibob.services import BibobInput, record_bibob
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.meetings import services as meetings
from casustafel.models import Action, AuditEvent, BibobRecord, CaseSystemLink, PrivacyCheck
from casustafel.referrals import received_services as received
from casustafel.referrals import services as referrals
from casustafel.referrals.pdf import render_package
from casustafel.retention.destruction import destroy_signals
from casustafel.signals.case_link_services import CaseLinkInput, add_case_link
from casustafel.subject_requests import package as answer
from casustafel.subject_requests import services as subject_requests
from tests.conftest import TODAY, csrf_from, login
from tests.crawler import Crawler
from tests.helpers.dumps import database_dump
from tests.helpers.markers import assert_no_marker, new_marker
from tests.helpers.meetings import logged_in, published_scene
from tests.helpers.meetings_access import agenda_url
from tests.helpers.referrals import decide_2b, partner, pdf_text

# Distinctive, unicode, and nothing any other field holds.
NOTES = "Geheim Bibob-verslag: Žofie Łukasiewicz-Ørsted financiert via «Ærø Holding» ✓ 7Q"
ZAAKNUMMER = "ZK-ÆØÅ-2026-004242-ß"
DECISION_ZAAKNUMMER = "BIBOB-BESLUIT-Ŋ-777"
PERSON = ("Gülsüm Van der Brügge-Çelik", "1975-02-28")


def post(client, url, data, from_url):
    return client.post(url, data={"csrf_token": csrf_from(client.get(from_url)), **data})


def bibob_form(**overrides) -> dict:
    data = {
        "bibob-body": "burgemeester", "bibob-decision_kind": "vergunning",
        "bibob-investigated_on": (TODAY - timedelta(days=30)).isoformat(),
        "bibob-advice_requested": "ja", "bibob-advice_requested_on": (TODAY - timedelta(days=20)).isoformat(),
        "bibob-advice_received_on": (TODAY - timedelta(days=2)).isoformat(),
        "bibob-advice_outcome": "ernstige_mate", "bibob-zaaknummer": ZAAKNUMMER, "bibob-notes": NOTES,
    }
    data.update(overrides)
    return data


def events(action, object_id=None) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.action == action)
    if object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == str(object_id))
    return list(db.session.scalars(stmt.order_by(AuditEvent.seq)))


def recorded_through_the_page(app, coordinator, signal) -> BibobRecord:
    client = logged_in(app, coordinator)
    page = f"/meldingen/{signal.id}/bibob"
    assert post(client, page, bibob_form(), page).status_code == 302
    response = post(client, f"/meldingen/{signal.id}/zaaksysteem", {
        "zaak-kind": "bibob_besluit", "zaak-zaaknummer": DECISION_ZAAKNUMMER,
        "zaak-decided_on": TODAY.isoformat()}, f"/meldingen/{signal.id}")
    assert response.status_code == 302
    return db.session.scalars(select(BibobRecord).where(BibobRecord.signal_id == signal.id)).one()


def assert_secret_absent(text: str, where: str) -> None:
    for marker in (NOTES, ZAAKNUMMER, DECISION_ZAAKNUMMER, "Łukasiewicz", "Ærø Holding", "004242"):
        assert marker not in text, f"Bibob marker {marker!r} in {where}"


# --- the must-show --------------------------------------------------------------------------


def test_a_bibob_record_never_reaches_a_member_a_package_or_an_answer_letter(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal, person=PERSON, description="Afgeplakte ramen boven de winkel.")
    record = recorded_through_the_page(app, scene.coordinator, scene.signal)
    # The coordinator does see it: the markers are really there to be found.
    coordinator = logged_in(app, scene.coordinator)
    shown = coordinator.get(f"/meldingen/{scene.signal.id}/bibob").get_data(as_text=True)
    assert NOTES.replace("«", "&laquo;") in shown or "Łukasiewicz" in shown
    assert ZAAKNUMMER in shown and "Ernstige mate van gevaar" in shown
    assert DECISION_ZAAKNUMMER in coordinator.get(f"/meldingen/{scene.signal.id}").get_data(as_text=True)

    # 1. The member invited to the meeting with the signal on its agenda: every page, every PDF.
    client = app.test_client()
    assert login(client, scene.member.email).status_code == 200
    crawler = Crawler(client, scene.member.email)
    crawler.crawl("/")
    reached = [v for v in crawler.visits if getattr(v, "response", None) is not None and v.status == 200]
    assert any(v.url == agenda_url(scene.meeting) for v in reached), "the member never reached the agenda"
    assert any(v.kind == "pdf" for v in reached), "the member's agenda PDF was not reached"
    for visit in reached:
        body = visit.response.get_data()
        text = pdf_text(body) if visit.kind == "pdf" else body.decode()
        assert_secret_absent(text, f"member page {visit.url}")
    for path in (f"/meldingen/{scene.signal.id}/bibob", f"/meldingen/{scene.signal.id}/bibob/{record.id}"):
        refused = client.get(path)
        assert refused.status_code == 403
        assert_secret_absent(refused.get_data(as_text=True), path)

    # 2. A referral package with every category, built by the real builder.
    officer = make_user("privacy_officer")
    referral = referrals.create_referral(
        scene.coordinator, scene.signal, partner=partner("RIEC"), purpose="Signaal aanbrengen bij het RIEC",
        legal_ground="wgs_riec", legal_ground_note=None,
        data_categories=["beschrijving", "betrokkenen", "adressen"], channel="riec_portaal", feedback_due=None)
    db.session.commit()
    decide_2b(referral, ["beschrijving", "betrokkenen", "adressen"], officer=officer)
    built = render_package(referral, ["beschrijving", "betrokkenen", "adressen"])
    package_text = pdf_text(built)
    assert "Brügge" in package_text  # the package does carry the signal's content
    assert_secret_absent(package_text, "the referral package")

    # 3. The data-subject's answer letter (and the privacy officer's page about the request).
    request = subject_requests.create_request(officer, type="inzage", received_on=TODAY, name=PERSON[0],
                                              birth_date=date.fromisoformat(PERSON[1]))
    findings = subject_requests.lookup(officer, request)
    assert [f.signal.id for f in findings] == [scene.signal.id]
    subject_requests.decide(officer, request, restriction="geen", ground=None, note=None)
    db.session.commit()
    letter = pdf_text(answer.render(answer.build(request, findings)))
    assert scene.signal.reference in letter  # the letter is about this signal
    assert_secret_absent(letter, "the answer letter")
    assert "bibob" not in letter.lower()  # not even that a Bibob track exists (its log events)
    officer_client = logged_in(app, officer)
    page = officer_client.get(f"/verzoeken/{request.id}").get_data(as_text=True)
    assert_secret_absent(page, "the privacy officer's request page")
    download = officer_client.get(f"/verzoeken/{request.id}/antwoord.pdf")
    if download.status_code == 302:  # a fresh login for the export
        post(officer_client, "/inloggen/bevestigen", {"password": "correct horse battery staple"},
             "/inloggen/bevestigen")
        download = officer_client.get(f"/verzoeken/{request.id}/antwoord.pdf")
    assert download.status_code == 200
    assert_secret_absent(pdf_text(download.data), "the downloaded answer letter")

    # 4. The weighing record the coordinator may hand to others.
    record_pdf = coordinator.get(f"/meldingen/{scene.signal.id}/wegingsverslag.pdf")
    if record_pdf.status_code == 200:
        assert_secret_absent(pdf_text(record_pdf.data), "the weighing record")
    assert_secret_absent(coordinator.get(f"/meldingen/{scene.signal.id}/wegingsverslag").get_data(as_text=True),
                         "the weighing record page")


@pytest.mark.parametrize("role", ["member", "reporter", "admin", "privacy_officer"])
def test_no_other_role_reaches_the_bibob_page(app, make_user, make_signal, role):
    coordinator = make_user("coordinator")
    signal = make_signal(status="in_aanpak")
    record = record_bibob(coordinator, signal, BibobInput(body="college", decision_kind="subsidie", notes=NOTES))
    db.session.commit()
    client = logged_in(app, make_user(role))
    for path in (f"/meldingen/{signal.id}/bibob", f"/meldingen/{signal.id}/bibob/{record.id}"):
        response = client.get(path)
        assert response.status_code == 403
        assert_secret_absent(response.get_data(as_text=True), path)
    response = post(client, f"/meldingen/{signal.id}/bibob/{record.id}", bibob_form(**{"bibob-notes": "x"}), "/")
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(BibobRecord, record.id).notes == NOTES


def test_the_privacy_officer_with_an_open_check_on_the_signal_still_gets_no_bibob(app, make_user, make_signal):
    """The insider: an open privacy check lets the privacy officer read the signal's content;
    it does not open the Bibob record (art. 28)."""
    coordinator, officer = make_user("coordinator"), make_user("privacy_officer")
    signal = make_signal(status="bronnenonderzoek")
    record = record_bibob(coordinator, signal, BibobInput(body="burgemeester", decision_kind="vergunning",
                                                          notes=NOTES, zaaknummer=ZAAKNUMMER))
    db.session.add(PrivacyCheck(signal_id=signal.id, kind="1", status="open"))
    db.session.commit()
    client = logged_in(app, officer)
    check = db.session.scalar(select(PrivacyCheck).where(PrivacyCheck.signal_id == signal.id))
    content = client.get(f"/privacy/toetsen/{check.id}")
    assert_secret_absent(content.get_data(as_text=True), "the privacy check page")
    assert client.get(f"/meldingen/{signal.id}/bibob").status_code == 403
    assert client.get(f"/meldingen/{signal.id}/bibob/{record.id}").status_code == 403
    assert events("access.denied")


def test_a_record_of_another_signal_answers_404(app, make_user, make_signal):
    coordinator = make_user("coordinator")
    one, other = make_signal(), make_signal()
    record = record_bibob(coordinator, one, BibobInput(body="burgemeester", decision_kind="vergunning"))
    db.session.commit()
    client = logged_in(app, coordinator)
    assert client.get(f"/meldingen/{other.id}/bibob/{record.id}").status_code == 404
    assert events("access.denied", record.id)


# --- recording, changing, the log ---------------------------------------------------------------


def test_recording_viewing_and_changing_are_logged_without_values(app, make_user, make_signal):
    coordinator = make_user("coordinator")
    signal = make_signal(status="in_aanpak")
    client = logged_in(app, coordinator)
    page = f"/meldingen/{signal.id}/bibob"
    assert post(client, page, bibob_form(**{"bibob-advice_received_on": "", "bibob-advice_outcome": ""}),
                page).status_code == 302
    record = db.session.scalars(select(BibobRecord)).one()
    assert (record.advice_requested, record.advice_outcome, record.zaaknummer) == (True, None, ZAAKNUMMER)
    assert record.created_by_id == coordinator.id
    assert len(events("bibob_record.recorded", record.id)) == 1
    assert client.get(page).status_code == 200
    edit = f"{page}/{record.id}"
    form_page = client.get(edit).get_data(as_text=True)
    assert ZAAKNUMMER in form_page  # the form starts from the record
    response = post(client, edit, bibob_form(**{"bibob-version": str(record.version)}), edit)
    assert response.status_code == 302
    db.session.expire_all()
    record = db.session.get(BibobRecord, record.id)
    assert (record.advice_outcome, record.advice_received_on) == ("ernstige_mate", TODAY - timedelta(days=2))
    assert record.updated_by_id == coordinator.id
    assert len(events("bibob_record.updated", record.id)) == 1
    assert len(events("bibob_record.viewed", record.id)) >= 3  # the page, the edit form, the page after
    for event in db.session.scalars(select(AuditEvent)):
        assert_secret_absent(" ".join(str(v) for v in vars(event).values()), f"log event {event.action}")


def test_a_change_from_an_old_form_is_refused_and_keeps_what_was_typed(app, make_user, make_signal):
    coordinator = make_user("coordinator")
    signal = make_signal()
    record = record_bibob(coordinator, signal, BibobInput(body="burgemeester", decision_kind="vergunning"))
    db.session.commit()
    client = logged_in(app, coordinator)
    edit = f"/meldingen/{signal.id}/bibob/{record.id}"
    response = post(client, edit, bibob_form(**{"bibob-version": "0"}), edit)
    assert response.status_code == 409
    assert "Iemand anders heeft dit Bibob-dossier intussen gewijzigd" in response.get_data(as_text=True)
    assert ZAAKNUMMER in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(BibobRecord, record.id).zaaknummer is None


@pytest.mark.parametrize(("overrides", "message"), [
    ({"bibob-advice_requested": "nee", "bibob-advice_requested_on": ""},
     "Een advies kan pas binnenkomen als het is gevraagd"),
    ({"bibob-advice_requested_on": ""}, "Vul de datum in waarop het advies is gevraagd."),
    ({"bibob-advice_outcome": ""}, "Kies de conclusie van het advies."),
    ({"bibob-advice_received_on": ""}, "Vul de datum in waarop het advies is ontvangen."),
    ({"bibob-advice_received_on": (TODAY - timedelta(days=25)).isoformat()},
     "Het advies kan niet eerder zijn ontvangen dan het is gevraagd."),
    ({"bibob-investigated_on": (TODAY + timedelta(days=1)).isoformat()}, "Deze datum ligt in de toekomst."),
    ({"bibob-advice_requested_on": "9999-12-31"}, "Vul een datum in tussen"),
    ({"bibob-body": "gemeenteraad"}, "Kies het bestuursorgaan dat het besluit neemt."),
    ({"bibob-decision_kind": ""}, "Kies waarvoor het Bibob-onderzoek is."),
    ({"bibob-advice_outcome": "heel_erg"}, "Kies de conclusie van het advies."),
    ({"bibob-zaaknummer": "Z" * 65}, "Een zaaknummer is hooguit 64 tekens."),
])
def test_bad_input_gets_a_message_keeps_what_was_typed_and_saves_nothing(app, make_user, make_signal, overrides,
                                                                           message):
    coordinator = make_user("coordinator")
    signal = make_signal()
    client = logged_in(app, coordinator)
    page = f"/meldingen/{signal.id}/bibob"
    response = post(client, page, bibob_form(**overrides), page)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in body
    assert "Łukasiewicz" in body  # the notes typed are still there
    assert db.session.scalar(select(BibobRecord.id)) is None
    assert not events("bibob_record.recorded")


# --- the zaaknummer links ---------------------------------------------------------------------------


def test_a_zaaknummer_link_is_added_shown_to_the_coordinator_and_logged(app, make_user, make_signal):
    coordinator = make_user("coordinator")
    signal = make_signal(status="in_aanpak")
    client = logged_in(app, coordinator)
    workspace = f"/meldingen/{signal.id}"
    response = post(client, f"{workspace}/zaaksysteem", {"zaak-kind": "13b_besluit", "zaak-zaaknummer": ZAAKNUMMER,
                                                         "zaak-decided_on": (TODAY - timedelta(days=3)).isoformat()},
                    workspace)
    assert response.status_code == 302
    link = db.session.scalars(select(CaseSystemLink)).one()
    assert (link.kind, link.zaaknummer, link.added_by_id) == ("13b_besluit", ZAAKNUMMER, coordinator.id)
    assert events("case_system_link.added", link.id)
    page = client.get(workspace).get_data(as_text=True)
    assert ZAAKNUMMER in page and "Besluit art. 13b Opiumwet" in page
    assert events("case_system_link.viewed", link.id)


@pytest.mark.parametrize(("data", "message"), [
    ({"zaak-kind": "", "zaak-zaaknummer": "Z-1", "zaak-decided_on": TODAY.isoformat()}, "Kies de soort besluit."),
    ({"zaak-kind": "13b_besluit", "zaak-zaaknummer": " ", "zaak-decided_on": TODAY.isoformat()},
     "Vul het zaaknummer in."),
    ({"zaak-kind": "overig", "zaak-zaaknummer": "Z-1", "zaak-decided_on": (TODAY + timedelta(days=1)).isoformat()},
     "Deze datum ligt in de toekomst."),
    ({"zaak-kind": "overig", "zaak-zaaknummer": "Z-1", "zaak-decided_on": "9999-01-01"}, "Vul een datum in tussen"),
])
def test_a_bad_zaaknummer_link_saves_nothing(app, make_user, make_signal, data, message):
    coordinator = make_user("coordinator")
    signal = make_signal()
    client = logged_in(app, coordinator)
    response = post(client, f"/meldingen/{signal.id}/zaaksysteem", data, f"/meldingen/{signal.id}")
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(CaseSystemLink.id)) is None


# --- at rest, retention ---------------------------------------------------------------------------


def test_the_bibob_record_and_the_zaaknummers_are_encrypted_at_rest(app, make_user, make_signal):
    notes, zaaknummer, link_number = new_marker(), new_marker(), new_marker()
    coordinator = make_user("coordinator")
    signal = make_signal()
    record_bibob(coordinator, signal, BibobInput(body="college", decision_kind="vastgoedtransactie", notes=notes,
                                                 zaaknummer=zaaknummer))
    add_case_link(coordinator, signal, CaseLinkInput(kind="bibob_besluit", zaaknummer=link_number, decided_on=TODAY))
    db.session.commit()
    dump, where = database_dump()
    assert "bibob_record" in dump and "case_system_link" in dump
    for marker in (notes, zaaknummer, link_number):
        assert_no_marker(dump, marker, where)
    db.session.expire_all()
    assert db.session.scalars(select(BibobRecord)).one().notes == notes


def test_destruction_removes_the_bibob_record_and_the_links(app, make_user, make_signal):
    coordinator = make_user("coordinator")
    signal, kept = make_signal(status="afgesloten"), make_signal()
    for s in (signal, kept):
        record_bibob(coordinator, s, BibobInput(body="burgemeester", decision_kind="vergunning", notes=NOTES,
                                                zaaknummer=ZAAKNUMMER))
        add_case_link(coordinator, s, CaseLinkInput(kind="bibob_besluit", zaaknummer=ZAAKNUMMER, decided_on=TODAY))
    db.session.commit()
    destroy_signals([signal.id], utcnow(), TODAY)
    db.session.commit()
    for model in (BibobRecord, CaseSystemLink):
        assert db.session.scalars(select(model.signal_id)).all() == [kept.id]
    client = logged_in(app, coordinator)
    page = client.get(f"/meldingen/{signal.id}/bibob").get_data(as_text=True)
    assert "Er is nog geen Bibob-onderzoek vastgelegd." in page and "Bibob-onderzoek vastleggen" not in page


# --- Bibob-toets is no longer an action ------------------------------------------------------------------


def test_a_new_action_cannot_be_a_bibob_toets_but_an_old_one_stays_readable(app, make_user, make_signal):
    coordinator, member = make_user("coordinator"), make_user("member")
    signal = make_signal(status="in_aanpak")
    with pytest.raises(ValueError, match="not offered"):
        create_action(coordinator, signal, type="bibob", deadline=TODAY, owner_id=member.id)
    client = logged_in(app, coordinator)
    new = f"/acties/nieuw/{signal.id}"
    form_page = client.get(new).get_data(as_text=True)
    assert 'value="bibob"' not in form_page and "Bibob-dossier" in form_page
    response = post(client, new, {"type": "bibob", "owner_id": str(member.id),
                                  "deadline": (TODAY + timedelta(days=7)).isoformat(), "description": "Toets"}, new)
    assert response.status_code == 200
    assert "leg het vast in het Bibob-dossier" in response.get_data(as_text=True)
    assert db.session.scalar(select(Action.id)) is None
    # An action stored before the change keeps its type and label.
    old = Action(signal_id=signal.id, type="bibob", deadline=TODAY, owner_id=member.id)
    db.session.add(old)
    db.session.commit()
    assert "Bibob-toets" in client.get(f"/acties/{old.id}").get_data(as_text=True)


def test_a_meeting_item_cannot_get_a_bibob_toets_either(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal)
    with pytest.raises(ValueError):
        meetings.add_action(scene.coordinator, scene.item, type="bibob", deadline=TODAY, owner_id=scene.member.id)
    db.session.rollback()
    client = logged_in(app, scene.coordinator)
    page = f"/overleggen/{scene.meeting.id}/agendapunten/{scene.item.id}"
    response = post(client, f"{page}/acties", {"action-type": "bibob", "action-owner_id": str(scene.member.id),
                                               "action-deadline": TODAY.isoformat()}, page)
    assert "leg het vast in het Bibob-dossier" in response.get_data(as_text=True)
    assert db.session.scalar(select(Action.id)) is None


# --- the answer letter's log summary -------------------------------------------------------------------

SECRET_PREFIXES = ("bibob_record.", "received_information.", "case_system_link.")


def test_the_answer_letter_counts_no_received_information_or_zaaksysteem_link_events(app, make_user, make_signal):
    """Bibob-source received information and a Bibob-besluit link on the subject's signal: the letter
    and its log summary mention neither, not even as a number of entries (art. 28 Wet Bibob; the
    restricted received information is not told to the subject here)."""
    coordinator, officer = make_user("coordinator"), make_user("privacy_officer")
    signal = make_signal(status="in_aanpak", person=PERSON)
    item = received.add_received_information(
        coordinator, signal, ground="bibob_28", received_on=TODAY - timedelta(days=3),
        content="Advies LBB: «ernstige mate» ŁUKMARK", provider_reference="LBB-2026-ß", conditions=None,
        recipients=None)
    exception = received.request_exception(coordinator, item, use="eigen_taak", referral=None,
                                            task="Besluit op de vergunning", reasoning="Nodig voor het besluit")
    received.decide_exception(officer, exception, approved=True, reasoning="Eigen taak van de burgemeester")
    add_case_link(coordinator, signal, CaseLinkInput(kind="bibob_besluit", zaaknummer=DECISION_ZAAKNUMMER,
                                                     decided_on=TODAY))
    db.session.commit()
    workspace = logged_in(app, coordinator)
    for _ in range(3):  # every load logs the Bibob-besluit link viewed
        assert DECISION_ZAAKNUMMER in workspace.get(f"/meldingen/{signal.id}").get_data(as_text=True)

    request = subject_requests.create_request(officer, type="inzage", received_on=TODAY, name=PERSON[0],
                                              birth_date=date.fromisoformat(PERSON[1]))
    findings = subject_requests.lookup(officer, request)
    subject_requests.decide(officer, request, restriction="geen", ground=None, note=None)
    db.session.commit()

    logged = subject_requests.log_entries(findings, limit=None)
    secret = [e for e in logged if e.action.startswith(SECRET_PREFIXES)]
    assert {e.action for e in secret} >= {
        "received_information.recorded", "received_information.exception_requested",
        "received_information.exception_decided", "case_system_link.added", "case_system_link.viewed"}
    told = [e for e in logged if not e.action.startswith(SECRET_PREFIXES)]
    built = answer.build(request, findings)
    assert built.log and sum(n for _day, _purpose, n in built.log) == len(told)  # the signal's own events count
    # The exception's events were the only "privacytoets" ones: no row for them either.
    assert "Privacytoets" not in {purpose for _day, purpose, _n in built.log}

    letter = pdf_text(answer.render(built))
    assert signal.reference in letter and "Weging en bespreking aan de casustafel" in letter
    assert "bibob" not in letter.lower() and "Privacytoets" not in letter
    assert_secret_absent(letter, "the answer letter")
    assert "ŁUKMARK" not in letter and "LBB-2026" not in letter


# --- an old Bibob-toets's free text stays with the coordinator ----------------------------------------

OLD_DESCRIPTION = "Bibob-toets: vragenformulier van Ŧomasz Øberg, «Ærø Holding» OLDDESCMARK"
OLD_RESULT = "Advies LBB: ernstige mate van gevaar, zie dossier OLDRESULTMARK"


def test_an_old_bibob_toets_shows_its_description_and_result_only_to_the_coordinator(app, make_user, make_signal):
    """Actions of type "bibob" from before the Bibob track: their owner (a person or a department)
    sees the action but not its free text, cannot update it, and the privacy officer deciding its
    check 2B and the minutes PDF do not show it either; the coordinator sees all of it."""
    scene = published_scene(make_user, make_signal)
    colleague = make_user("member", name="Collega Cas", department_id=scene.dept.id)
    officer = make_user("privacy_officer")
    personal = Action(signal_id=scene.signal.id, agenda_item_id=scene.item.id, type="bibob", deadline=TODAY,
                      owner_id=scene.member.id, status="in_uitvoering")
    departmental = Action(signal_id=scene.signal.id, agenda_item_id=scene.item.id, type="bibob", deadline=TODAY,
                          owner_department_id=scene.dept.id)
    plain = Action(signal_id=scene.signal.id, type="handhaving", deadline=TODAY, owner_id=scene.member.id)
    for action in (personal, departmental):
        action.description, action.result = OLD_DESCRIPTION, OLD_RESULT
    plain.description = "Gewone handhaving PLAINMARK"
    db.session.add_all([personal, departmental, plain])
    db.session.flush()
    # Check 2B shared the description with the owners (as it did for old actions); one still open.
    for action in (personal, plain):
        db.session.add(PrivacyCheck(signal_id=scene.signal.id, kind="2B", status="besloten", action_id=action.id,
                                    approved=True, allowed_fields=["beschrijving"], decided_at=utcnow(),
                                    decided_by_id=officer.id))
    db.session.add(PrivacyCheck(signal_id=scene.signal.id, kind="2B", status="open", action_id=departmental.id))
    db.session.commit()
    secrets = ("OLDDESCMARK", "OLDRESULTMARK", "Ŧomasz", "Øberg", "ernstige mate")

    for user, action in ((scene.member, personal), (colleague, departmental)):
        client = logged_in(app, user)
        url = f"/acties/{action.id}"
        page = client.get(url)
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "Bibob-toets" in text and "Bibob-informatie: alleen bij de regisseur" in text
        assert 'name="result"' not in text  # no update form, so no result in a text area either
        for secret in secrets:
            assert secret not in text, (user.display_name, secret)
        # The insider posts an update anyway: refused, the Bibob result is kept.
        response = post(client, url, {"status": "afgerond", "result": "", "version": str(action.version)}, url)
        assert response.status_code == 302
        db.session.expire_all()
        assert db.session.get(Action, action.id).result == OLD_RESULT
        assert db.session.get(Action, action.id).status != "afgerond"
    # The owner's other actions show their text as before.
    assert "PLAINMARK" in logged_in(app, scene.member).get(f"/acties/{plain.id}").get_data(as_text=True)

    # The privacy officer deciding check 2B for it sees the signal, not the Bibob text.
    check = db.session.scalar(select(PrivacyCheck).where(PrivacyCheck.action_id == departmental.id))
    text = logged_in(app, officer).get(f"/privacy/toetsen/{check.id}").get_data(as_text=True)
    assert "Bibob-informatie: alleen bij de regisseur" in text
    assert "OLDDESCMARK" not in text and "Ŧomasz" not in text

    # The coordinator sees both; the minutes that go around do not hold them.
    coordinator = logged_in(app, scene.coordinator)
    text = coordinator.get(f"/acties/{personal.id}").get_data(as_text=True)
    assert "OLDDESCMARK" in text and "OLDRESULTMARK" in text
    minutes = pdf_text(coordinator.get(f"/overleggen/{scene.meeting.id}/verslag.pdf").data)
    assert "Bibob-toets" in minutes and "Bibob-informatie: alleen bij de regisseur" in minutes
    assert "OLDDESCMARK" not in minutes and "Ŧomasz" not in minutes
    # The coordinator can still complete it.
    url = f"/acties/{personal.id}"
    db.session.expire_all()
    version = db.session.get(Action, personal.id).version
    response = post(coordinator, url, {"status": "afgerond", "result": OLD_RESULT + " Afgerond.",
                                       "version": str(version)}, url)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Action, personal.id).status == "afgerond"
