"""Legal grounds for referrals (issue 18): a list the functional admin maintains, seeded with
current law (the WGS and its Besluit for the RIEC and the Zorg- en Veiligheidshuis; a report
to police or OM under the AVG, without the Wpg), offered to the coordinator while in use; a
referral keeps the text of its ground as it was, whatever the list says later."""

import csv
import html
import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from casustafel.extensions import db
from casustafel.models import AuditEvent, LegalGround, PrivacyCheck, Referral
from casustafel.referrals import services
from casustafel.referrals.pdf import render_package
from casustafel.signals.weighing import weighing_record
from tests.conftest import csrf_from, login
from tests.helpers.legal_grounds import FORMER_RIEC_TEXT, RIEC_GROUND, RIEC_GROUND_TEXT, legal_ground
from tests.helpers.referrals import (
    PURPOSE,
    client_for,
    create,
    decide_2b,
    partner,
    pdf_text,
    post,
    referral_form,
)

pytestmark = pytest.mark.usefixtures("pinned_day")

ZVH_TEXT = ("Delen met het Zorg- en Veiligheidshuis — Wet gegevensverwerking door samenwerkingsverbanden "
            "(WGS, Stb. 2024, 198) en Besluit gegevensverwerking door samenwerkingsverbanden (BGS, Stb. 2024, 380)")
NEW_GROUND = {"label": "Delen met het FEC – Ærøskøbing-overleg", "law": "Wet gegevensverwerking door "
              "samenwerkingsverbanden (WGS, Stb. 2024, 198)", "article": "",
              "explanation": "Voor het Financieel Expertisecentrum. Artikel te verifiëren."}


def _admin_client(app, make_user):
    client = app.test_client()
    assert login(client, make_user("admin").email).status_code == 200
    return client


def _offered(client, signal) -> list[str]:
    page = client.get(f"/verstrekkingen/nieuw/{signal.id}").get_data(as_text=True)
    select_html = page.split('name="legal_ground"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option[^>]*value="([^"]*)"', select_html)


def _plain(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(response.get_data(as_text=True))).split())


# --- the seeded list --------------------------------------------------------------------------


def test_the_migration_seeds_current_law_with_the_wgs_and_bgs_and_no_covenant_or_bibob():
    grounds = db.session.scalars(select(LegalGround).order_by(LegalGround.position)).all()
    by_code = {g.code: g for g in grounds}
    assert all(g.active for g in grounds)
    for code in ("wgs_riec", "wgs_zvh"):
        law = by_code[code].law
        assert "Wet gegevensverwerking door samenwerkingsverbanden" in law and "Stb. 2024, 198" in law
        assert "Besluit gegevensverwerking door samenwerkingsverbanden" in law and "Stb. 2024, 380" in law
    assert by_code["wgs_riec"].full_label == RIEC_GROUND_TEXT and by_code["wgs_zvh"].full_label == ZVH_TEXT
    report = by_code["avg_aangifte"]
    assert report.article == "art. 6 lid 1 sub e en art. 10 AVG"
    assert "politie" in report.label.lower()
    # The Wpg governs what the municipality receives, not what it gives: not in the ground itself.
    assert not re.search(r"wpg|politiegegevens", f"{report.label} {report.law} {report.article}", re.I)
    assert by_code["avg_6_1_c"].article == "art. 6 lid 1 sub c AVG"
    assert by_code["overig"].label == "Anders (toelichting verplicht)"
    for ground in grounds:  # what one offers and a referral keeps: no covenant, no Bibob as a sharing ground
        offered = f"{ground.code} {ground.full_label}".casefold()
        assert "bibob" not in offered and "convenant" not in offered, ground.code
        if not ground.article and ground.code != "overig":  # no article invented: the lead verifies it
            assert "Artikel te verifiëren" in ground.explanation, ground.code
    assert {"avg_6_1_e_riec", "zvh_convenant", "bibob", "wpg_aangifte", "jeugdwet_wmo"}.isdisjoint(by_code)


# --- the admin's list -------------------------------------------------------------------------


def test_the_admin_adds_a_ground_and_takes_it_out_of_use_with_events(app, make_user, make_signal):
    client = _admin_client(app, make_user)
    token = csrf_from(client.get("/beheer/grondslagen"))
    too_long = client.post("/beheer/grondslagen", data={"csrf_token": token, **NEW_GROUND, "law": "Ø" * 251})
    body = too_long.get_data(as_text=True)
    assert too_long.status_code == 200 and "Gebruik hooguit 250 tekens." in body and "Ø" * 251 in body
    assert "Ærøskøbing" in body  # what was typed stays
    missing = client.post("/beheer/grondslagen", data={"csrf_token": token, **NEW_GROUND, "explanation": " "})
    assert "Vul de toelichting in" in missing.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(LegalGround)) == 8  # nothing half-saved

    assert client.post("/beheer/grondslagen", data={"csrf_token": token, **NEW_GROUND}).status_code == 302
    ground = db.session.scalar(select(LegalGround).where(LegalGround.label == NEW_GROUND["label"]))
    assert ground.active and ground.code == "delen_met_het_fec_aeroskobing"[:28] and ground.article == ""
    assert ground.full_label == f"{NEW_GROUND['label']} — {NEW_GROUND['law']}"

    coordinator = make_user("coordinator")
    signal = make_signal(status="doorgezet")
    coordinator_client = client_for(app, coordinator)
    assert ground.code in _offered(coordinator_client, signal)

    assert client.post(f"/beheer/grondslagen/{ground.id}/in-gebruik", data={"csrf_token": token}).status_code == 302
    db.session.refresh(ground)
    assert not ground.active
    assert ground.code not in _offered(coordinator_client, signal)
    page = _plain(client.get("/beheer/grondslagen"))
    assert f"{NEW_GROUND['explanation']} nee Weer gebruiken : {NEW_GROUND['label']}" in page  # still readable
    assert client.post(f"/beheer/grondslagen/{ground.id}/in-gebruik", data={"csrf_token": token}).status_code == 302
    logged = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("legal_ground.%"))
                                .order_by(AuditEvent.seq)).all()
    assert [e.action for e in logged] == ["legal_ground.created", "legal_ground.deactivated",
                                          "legal_ground.activated"]
    assert {(e.purpose, e.object_type, e.object_id) for e in logged} == {("beheer", "legal_ground", str(ground.id))}


def test_a_ground_with_the_same_name_in_other_letters_is_refused_in_dutch(app, make_user):
    client = _admin_client(app, make_user)
    token = csrf_from(client.get("/beheer/grondslagen"))
    assert client.post("/beheer/grondslagen", data={"csrf_token": token, **NEW_GROUND}).status_code == 302
    for label in ("delen met het fec – ærøskøbing-overleg", "  DELEN MET HET FEC – ÆRØSKØBING-OVERLEG ",
                  "Delen met het RIEC"):
        twice = client.post("/beheer/grondslagen", data={"csrf_token": token, **NEW_GROUND, "label": label})
        body = twice.get_data(as_text=True)
        assert twice.status_code == 200 and "Deze grondslag staat al in de lijst." in body, label
        assert 'id="label-error"' in body
    assert db.session.scalar(select(func.count()).select_from(LegalGround)) == 9


def test_a_new_ground_never_takes_the_code_of_a_former_ground_old_referrals_hold(app, make_user, make_signal):
    """A former code (here the old ‘Jeugdwet, Wmo’ one) and the seeded ‘overig’ keep their meaning."""
    signal = make_signal(status="doorgezet")
    db.session.add(Referral(signal_id=signal.id, partner_id=partner("RIEC").id, legal_ground="jeugdwet_wmo",
                            legal_ground_text="Sectorale wet sociaal domein (Jeugdwet, Wmo, Participatiewet)",
                            data_categories=["fenomeen"], status="verstuurd", sent_on=date(2025, 1, 6)))
    db.session.commit()
    client = _admin_client(app, make_user)
    token = csrf_from(client.get("/beheer/grondslagen"))
    for label in ("Jeugdwet Wmo", "Overig"):
        assert client.post("/beheer/grondslagen",
                           data={"csrf_token": token, **NEW_GROUND, "label": label}).status_code == 302
    codes = set(db.session.scalars(select(LegalGround.code).where(LegalGround.label.in_(["Jeugdwet Wmo", "Overig"]))))
    assert codes == {"jeugdwet_wmo_2", "overig_2"}


@pytest.mark.parametrize("role", ["coordinator", "privacy_officer", "member", "reporter"])
def test_only_the_functional_admin_adds_or_retires_a_ground(app, make_user, role):
    """The coordinator, who would like a convenient ground, cannot add one nor retire one."""
    client = app.test_client()
    assert login(client, make_user(role).email).status_code == 200
    token = csrf_from(client.get("/"))
    ground = legal_ground(RIEC_GROUND)
    assert client.get("/beheer/grondslagen").status_code == 403
    assert client.post("/beheer/grondslagen", data={"csrf_token": token, **NEW_GROUND}).status_code == 403
    assert client.post(f"/beheer/grondslagen/{ground.id}/in-gebruik", data={"csrf_token": token}).status_code == 403
    db.session.refresh(ground)
    assert ground.active and db.session.scalar(select(func.count()).select_from(LegalGround)) == 8
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("legal_ground.%"))).all()


def test_the_last_ground_in_use_cannot_be_retired(app, make_user):
    client = _admin_client(app, make_user)
    last = legal_ground(RIEC_GROUND)
    for ground in db.session.scalars(select(LegalGround).where(LegalGround.id != last.id)):
        ground.active = False
    db.session.commit()
    token = csrf_from(client.get("/beheer/grondslagen"))
    assert client.post(f"/beheer/grondslagen/{last.id}/in-gebruik", data={"csrf_token": token}).status_code == 302
    db.session.refresh(last)
    assert last.active
    assert "laatste grondslag in gebruik" in client.get("/beheer/grondslagen").get_data(as_text=True)


# --- the referral form ------------------------------------------------------------------------


def test_the_form_offers_the_grounds_in_use_with_their_law_and_article(app, scene):
    coordinator, _, signal = scene
    client = client_for(app, coordinator)
    offered = _offered(client, signal)
    active = list(db.session.scalars(select(LegalGround.code).where(LegalGround.active.is_(True))
                                     .order_by(LegalGround.position)))
    assert offered == ["", *active]
    page = client.get(f"/verstrekkingen/nieuw/{signal.id}").get_data(as_text=True)
    assert f">{RIEC_GROUND_TEXT}</option>" in page
    assert ">Aangifte of melding bij politie of Openbaar Ministerie — Algemene verordening gegevensbescherming " \
           "(AVG) en Uitvoeringswet AVG (UAVG), art. 6 lid 1 sub e en art. 10 AVG</option>" in page


@pytest.mark.parametrize("value", ["bestaat_niet", "avg_6_1_e_riec", "bibob", "zvh_convenant", "x" * 400, "wgs_zvh"])
def test_the_form_refuses_an_inactive_former_or_unknown_ground_and_saves_nothing(app, scene, value):
    coordinator, _, signal = scene
    zvh = legal_ground("wgs_zvh")
    zvh.active = False  # taken out of use after the coordinator opened the form
    db.session.commit()
    client = client_for(app, coordinator)
    response = post(client, f"/verstrekkingen/nieuw/{signal.id}",
                    referral_form(legal_ground=value, purpose="Doel — getypt blijft staan ✓"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="legal_ground-error"' in body
    assert "Deze grondslag staat niet (meer) in de lijst. Kies een grondslag uit de lijst." in body
    assert "Doel — getypt blijft staan ✓" in body
    assert db.session.scalars(select(Referral)).all() == [] and db.session.scalars(select(PrivacyCheck)).all() == []
    with pytest.raises(services.ReferralError, match="staat niet \\(meer\\) in de lijst"):  # the service too
        services.create_referral(coordinator, signal, partner=partner("RIEC"), purpose="x", legal_ground=value,
                                 legal_ground_note=None, data_categories=["beschrijving"], channel="brief",
                                 feedback_due=None)
    db.session.rollback()
    assert db.session.scalars(select(Referral)).all() == []


def test_the_ground_other_needs_its_note_also_in_the_service(app, scene):
    coordinator, _, signal = scene
    with pytest.raises(services.ReferralError, match="Licht de grondslag toe"):
        services.create_referral(coordinator, signal, partner=partner("RIEC"), purpose="x", legal_ground="overig",
                                 legal_ground_note="   ", data_categories=["beschrijving"], channel="brief",
                                 feedback_due=None)
    db.session.rollback()
    assert db.session.scalars(select(Referral)).all() == []


# --- old referrals keep their text ------------------------------------------------------------


def test_a_referral_keeps_its_ground_text_when_the_ground_is_retired_or_the_list_changes(app, scene, make_user):
    coordinator, officer, signal = scene
    referral = create(app, coordinator, signal)  # through the form, with the WGS ground for the RIEC
    assert (referral.legal_ground, referral.legal_ground_text) == (RIEC_GROUND, RIEC_GROUND_TEXT)
    decide_2b(referral, ["beschrijving", "betrokkenen"], officer=officer)
    services.send_referral(coordinator, referral, store=app.extensions["casustafel_store"],
                           keyring=app.extensions["casustafel_keyring"], render=render_package, today=date.today())
    db.session.commit()

    # The admin retires the ground; and should its row ever read otherwise, the referral does not follow.
    admin = _admin_client(app, make_user)
    ground = legal_ground(RIEC_GROUND)
    token = csrf_from(admin.get("/beheer/grondslagen"))
    assert admin.post(f"/beheer/grondslagen/{ground.id}/in-gebruik", data={"csrf_token": token}).status_code == 302
    ground.label, ground.law = "Iets anders", "Een andere wet"
    db.session.commit()
    db.session.expire_all()
    referral = db.session.get(Referral, referral.id)
    client = client_for(app, coordinator)
    assert RIEC_GROUND not in _offered(client, signal)

    assert RIEC_GROUND_TEXT in _plain(client.get(f"/verstrekkingen/{referral.id}"))
    assert RIEC_GROUND_TEXT in _plain(client.get("/verstrekkingen/"))
    rows = list(csv.reader(io.StringIO(client.get("/verstrekkingen/export.csv").data.decode("utf-8-sig")),
                           delimiter=";"))
    assert rows[1][4] == RIEC_GROUND_TEXT
    [step] = [s for s in weighing_record(signal) if s.title.startswith("Verstrekking aan")]
    assert ("Grondslag", RIEC_GROUND_TEXT) in step.details
    package = client.get(f"/verstrekkingen/{referral.id}/pakket.pdf")
    assert package.status_code == 200
    assert "Stb. 2024, 198" in pdf_text(package.data) and "Een andere wet" not in pdf_text(package.data)
    assert "Iets anders" not in _plain(client.get(f"/verstrekkingen/{referral.id}"))


def test_a_referral_with_a_former_code_shows_its_former_text(app, scene):
    """A referral recorded before the list (code avg_6_1_e_riec, text filled by migration 0018)
    keeps saying what it said; its former code is not offered any more."""
    coordinator, _, signal = scene
    referral = Referral(signal_id=signal.id, partner_id=partner("RIEC").id, legal_ground="avg_6_1_e_riec",
                        legal_ground_text=FORMER_RIEC_TEXT, data_categories=["beschrijving"], status="verstuurd",
                        sent_on=date(2025, 2, 3), sent_categories=["beschrijving"])
    referral.purpose = PURPOSE
    db.session.add(referral)
    db.session.commit()
    client = client_for(app, coordinator)
    assert referral.legal_ground_label == FORMER_RIEC_TEXT
    assert FORMER_RIEC_TEXT in _plain(client.get(f"/verstrekkingen/{referral.id}"))
    assert FORMER_RIEC_TEXT in _plain(client.get("/verstrekkingen/"))
    [step] = [s for s in weighing_record(signal) if s.title.startswith("Verstrekking aan")]
    assert ("Grondslag", FORMER_RIEC_TEXT) in step.details
    assert "avg_6_1_e_riec" not in _offered(client, signal)
