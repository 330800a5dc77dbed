"""The weighing record (wegingsverslag): per signal every weighing, privacy check, source check
and decision with who, when, outcome and reasons, for the coordinator and the privacy officer,
as a page and a watermarked PDF (fresh login); every view and download logged."""

from datetime import date, datetime

from sqlalchemy import select, update

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import AuditEvent, Power, SignalEvent, UserSession
from casustafel.privacy.decisions import decide_privacy_check
from casustafel.privacy.services import request_privacy_check
from casustafel.signals.weighing import record_assessment, record_source_query, weighing_record
from casustafel.signals.workflow import transition
from tests.conftest import login
from tests.helpers.referrals import pdf_text
from tests.helpers.registers import assessments

INTAKE = "Intake-4b1c: pand in onze gemeente, rode vlaggen."
WEGING = "Weging-77e0: concreet en recent."
CHECK = "Toets-0a9d: BRP noodzakelijk."
NEXT = "Vervolg-5f3e: integraal bespreken."
REPORTER = "Rosa Melder-Ζ"


def _client(app, user):
    client = app.test_client()
    assert login(client, user.email).status_code == 200
    return client


def _events(action):
    db.session.expire_all()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def _weighed(make_user, make_signal):
    coordinator = make_user("coordinator", name="Cora Regisseur")
    officer = make_user("privacy_officer", name="Paula Privacy")
    reporter = make_user("reporter", name=REPORTER)
    signal = make_signal(reporter, next_step=None)
    record_assessment(coordinator, signal, "intake", outcome="verder_naar_weging", rationale=INTAKE,
                      answers={"ondermijning": True, "gemeentelijke_taak": True, "grondgebied": True},
                      power=db.session.scalar(select(Power).where(Power.legal_basis == "Opiumwet art. 13b")))
    record_assessment(coordinator, signal, "weging", outcome="bronnenonderzoek", rationale=WEGING,
                      answers={"concreet": True, "recent": True, "trend": False})
    check = request_privacy_check(coordinator, signal, "1")
    decide_privacy_check(officer, check, approved=True, rationale=CHECK, allowed_registers=["brp"],
                         register_assessments=assessments("brp"))
    record_source_query(coordinator, signal, register="brp", hit=True, summary=None,
                        information_date=date(2026, 1, 15))
    record_assessment(coordinator, signal, "vervolgstap", outcome="casusoverleg", rationale=NEXT,
                      answers={"hits": True, "actueel": True})
    db.session.commit()
    return coordinator, officer, signal


def test_the_record_lists_every_step_in_order_with_who_when_outcome_and_reasons(app, make_user, make_signal):
    coordinator, _, signal = _weighed(make_user, make_signal)
    assert [step.title for step in weighing_record(signal)] == [
        "Intake (weging 1 en 2)", "Weging 3", "Privacytoets 1: welke bronnen mogen worden geraadpleegd",
        "Bronnenonderzoek: BRP (personen)", "Weging 4 (vervolgstap)"]

    client = _client(app, coordinator)
    page = client.get(f"/meldingen/{signal.id}/wegingsverslag").get_data(as_text=True)
    order = [page.index(text) for text in (INTAKE, WEGING, CHECK, "informatie van 15-01-2026", NEXT)]
    assert order == sorted(order)
    assert "Cora Regisseur" in page and "Paula Privacy" in page
    assert "Past het in een trend of fenomeen dat extra aandacht vraagt?" in page  # the criteria, answered
    assert REPORTER not in page and "<strong>Niet vastgelegd</strong>" not in page
    [viewed] = _events("signal.weighing_record_viewed")
    assert (viewed.actor_id, viewed.purpose, viewed.object_id) == (coordinator.id, "casustafel", str(signal.id))
    assert viewed.subject_pseudonyms and viewed.subject_pseudonyms == ",".join(str(s.id) for s in signal.subjects)
    assert f"/meldingen/{signal.id}/wegingsverslag" in client.get(f"/meldingen/{signal.id}").get_data(as_text=True)


def test_a_weighing_the_signal_passed_without_is_marked_not_recorded(make_user, make_signal):
    coordinator = make_user("coordinator")
    signal = make_signal(status="intake", next_step=None)
    transition(coordinator, signal, "weging")
    transition(coordinator, signal, "bronnenonderzoek")
    db.session.add(SignalEvent(signal_id=signal.id, from_status="bronnenonderzoek", to_status="geagendeerd"))
    signal.status = "geagendeerd"  # as before weging 4 existed
    db.session.commit()
    missing = [(s.title, s.outcome) for s in weighing_record(signal) if not s.recorded]
    assert missing == [("Intake (weging 1 en 2)", "Niet vastgelegd"), ("Weging 3", "Niet vastgelegd"),
                       ("Weging 4 (vervolgstap)", "Niet vastgelegd")]


def test_the_privacy_officer_reads_it_from_the_timeline_for_supervision(app, make_user, make_signal):
    _, officer, signal = _weighed(make_user, make_signal)
    client = _client(app, officer)
    timeline = client.get(f"/logboek/melding/{signal.reference}").get_data(as_text=True)
    assert f"/meldingen/{signal.id}/wegingsverslag" in timeline
    page = client.get(f"/meldingen/{signal.id}/wegingsverslag").get_data(as_text=True)
    assert INTAKE in page and NEXT in page and REPORTER not in page
    [viewed] = _events("signal.weighing_record_viewed")
    assert (viewed.actor_id, viewed.purpose) == (officer.id, "toezicht")


def test_the_pdf_needs_a_fresh_login_carries_the_downloader_and_every_step(app, make_user, make_signal):
    _, officer, signal = _weighed(make_user, make_signal)
    client = _client(app, officer)
    url = f"/meldingen/{signal.id}/wegingsverslag.pdf"
    db.session.execute(update(UserSession).where(UserSession.user_id == officer.id)
                       .values(authenticated_at=datetime(2020, 1, 1)))
    db.session.commit()
    stale = client.get(url)
    assert stale.status_code == 302 and "/inloggen/bevestigen" in stale.headers["Location"]
    assert _events("signal.weighing_record_downloaded") == []

    db.session.execute(update(UserSession).where(UserSession.user_id == officer.id)
                       .values(authenticated_at=utcnow()))  # the password confirmed just now
    db.session.commit()
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="wegingsverslag-{signal.reference}.pdf"'
    text = " ".join(pdf_text(response.data).split())
    for expected in ("Intake-4b1c", "Weging-77e0", "Toets-0a9d", "informatie van 15-01-2026", "Vervolg-5f3e",
                     "Gedownload door Paula Privacy"):
        assert expected in text, expected
    assert "Melder" not in text
    [downloaded] = _events("signal.weighing_record_downloaded")
    assert (downloaded.actor_id, downloaded.purpose) == (officer.id, "toezicht")
    assert downloaded.subject_pseudonyms == ",".join(str(s.id) for s in signal.subjects)


def test_a_destroyed_signal_has_no_record(app, make_user, make_signal):
    coordinator, officer, signal = _weighed(make_user, make_signal)
    signal.destroyed_at = datetime(2026, 1, 1)
    db.session.commit()
    for user in (coordinator, officer):
        assert _client(app, user).get(f"/meldingen/{signal.id}/wegingsverslag").status_code == 404
    assert len(_events("access.denied")) == 2
