"""Retention keeps the case file (README “Retention and destruction”): the decision and its
rationale stay as long as the signal and go with it; signals open too long are listed and the
coordinators reminded once per quiet stretch; data-subject request files are destroyed after
their own term; every category names its VNG Selectielijst result type."""

import csv
import html
import io
from datetime import date, datetime, timedelta

from pypdf import PdfReader
from sqlalchemy import select

from casustafel.audit_log import record
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import (
    Action,
    AgendaItem,
    AuditEvent,
    DestructionRecord,
    Meeting,
    MonitoringPeriod,
    Notification,
    OpenJustification,
    ProcessingRestriction,
    Signal,
    SignalEvent,
    SubjectRequest,
    SubjectRequestSignal,
)
from casustafel.models.base import Encrypted
from casustafel.retention import destruction, services
from casustafel.settings import set_setting
from tests.conftest import csrf_from

NOW = datetime(2031, 6, 1, 12, 0)
RATIONALE = "Zoë Ümit-de Vries exploiteert mogelijk een dekmantel; gemeentelijke aanpak via 13b. " * 20
NOTES = "Besproken: signalen van buren over ’s nachts laden en lossen, café ‘De Ĳzeren Man’."


def run(now=NOW, dry_run=False):
    return destruction.run_retention(None, now, dry_run=dry_run, origin="cli")


def events(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).all()


def notifications():
    db.session.expire_all()
    return list(db.session.scalars(select(Notification)))


def discussed(signal, held_at, decision="gemeentelijke_aanpak"):
    meeting = Meeting(held_at=held_at, status="gesloten")
    item = AgendaItem(signal_id=signal.id, position=1, decision=decision, decided_at=held_at)
    item.notes, item.decision_rationale = NOTES, RATIONALE
    meeting.items.append(item)
    db.session.add(meeting)
    db.session.commit()
    return item.id


# --- the decision and its rationale belong to the case file -----------------------------------


def test_the_rationale_survives_while_the_case_is_open_and_goes_with_the_signal_after_its_own_term(make_signal):
    signal = make_signal(status="in_aanpak", received_at=datetime(2029, 1, 5))
    item_id = discussed(signal, datetime(2029, 2, 1, 14, 0))

    # Years after the meeting, the case still open: the notes of the meeting go, the decision stays.
    for later in (datetime(2030, 2, 2), NOW, datetime(2034, 3, 1)):
        run(later)
        db.session.expire_all()
        item = db.session.get(AgendaItem, item_id)
        assert item.decision_rationale == RATIONALE, later
        assert item.decision == "gemeentelijke_aanpak" and item.notes is None
    assert [r.category for r in db.session.scalars(select(DestructionRecord))
            if r.category != "logboek"] == ["overleg"]

    # The case closes; the rationale stays through the case's own term (60 months) …
    signal = db.session.get(Signal, signal.id)
    signal.status, signal.closing_reason, signal.closed_at = "afgesloten", "aanpak_afgerond", datetime(2034, 6, 1, 9)
    db.session.commit()
    run(datetime(2039, 6, 1, 8, 59))
    db.session.expire_all()
    assert db.session.get(AgendaItem, item_id).decision_rationale == RATIONALE
    assert db.session.get(Signal, signal.id).destroyed_at is None

    # … and is destroyed with the signal when that term passes.
    result = run(datetime(2039, 6, 1, 9, 1))
    db.session.expire_all()
    item = db.session.get(AgendaItem, item_id)
    assert item.decision_rationale is None and item.decision_rationale_enc is None
    assert db.session.get(Signal, signal.id).destroyed_at == datetime(2039, 6, 1, 9, 1)
    kept = db.session.scalars(select(DestructionRecord).where(DestructionRecord.run_id == result.run.id,
                                                              DestructionRecord.category != "logboek")).one()
    assert (kept.category, kept.object_ref) == ("aanpak", signal.reference)
    assert "Toezicht uitgevoerd" in kept.selectielijst


def test_a_short_term_signal_keeps_its_rationale_for_its_own_year_not_the_meetings(make_signal):
    """Discussed, then closed without action half a year later: the meeting's year passes
    first, the rationale waits for the signal's own year from closing."""
    signal = make_signal(status="afgesloten", closing_reason="besproken_geen_actie",
                         closed_at=datetime(2030, 1, 10, 10), received_at=datetime(2029, 5, 1))
    item_id = discussed(signal, datetime(2029, 7, 1, 14), decision="geen_actie")
    run(datetime(2030, 7, 2))
    db.session.expire_all()
    item = db.session.get(AgendaItem, item_id)
    assert item.notes is None and item.decision_rationale == RATIONALE
    run(datetime(2031, 1, 10, 10, 1))
    db.session.expire_all()
    assert db.session.get(AgendaItem, item_id).decision_rationale is None


# --- signals open too long ------------------------------------------------------------------


def test_a_long_open_signal_is_reminded_once_not_a_closed_or_recently_active_one(app, make_signal, make_user):
    first, second = make_user("coordinator"), make_user("coordinator")
    make_user("member")
    old = datetime(2029, 3, 1)
    idle = make_signal(status="in_aanpak", received_at=old)
    stepped = make_signal(status="weging", received_at=old)
    db.session.add(SignalEvent(signal_id=stepped.id, from_status="intake", to_status="weging",
                               occurred_at=NOW - timedelta(days=30)))
    acted = make_signal(status="in_aanpak", received_at=old)
    db.session.add(Action(signal_id=acted.id, type="overig", deadline=date(2031, 7, 1),
                          created_at=NOW - timedelta(days=10)))
    watched = make_signal(status="monitoring", received_at=old)
    db.session.add(MonitoringPeriod(signal_id=watched.id, number=1, ends_on=date(2031, 9, 1), set_at=old))
    closed = make_signal(status="afgesloten", closing_reason="geen_hit", closed_at=old, received_at=old)
    discussed_recently = make_signal(status="besproken", received_at=old)
    db.session.commit()
    discussed(discussed_recently, NOW - timedelta(days=60))

    assert [item.reference for item in services.long_open(NOW)] == [idle.reference]
    page_data = services.overview(NOW)
    assert [item.reference for item in page_data["long_open"]] == [idle.reference]
    assert closed.id not in {item.signal_id for item in page_data["long_open"]}

    dry = run(dry_run=True)
    assert dry.summary["long_open"] == {"count": 1, "reminded": 1}
    assert notifications() == [] and events("signal.long_open_reminded") == []  # a dry run reminds nobody

    result = run()
    assert result.summary["long_open"] == {"count": 1, "reminded": 1}
    messages = notifications()
    assert {m.recipient_id for m in messages} == {first.id, second.id}
    for message in messages:
        assert message.subject == services.LONG_OPEN_SUBJECT
        assert idle.reference not in message.body + message.subject and "Beschrijving" not in message.body
    assert [e.object_id for e in events("signal.long_open_reminded")] == [str(idle.id)]
    assert db.session.get(Signal, idle.id).long_open_reminded_at == NOW

    # Once per quiet stretch: the next nights say nothing again. (Later runs prune the
    # access log of today's events: the runs' summaries and the messages tell.)
    for later in (NOW + timedelta(days=1), NOW + timedelta(days=200)):
        assert run(later).summary["long_open"] == {"count": 1, "reminded": 0}
    assert len(notifications()) == 2 and db.session.get(Signal, idle.id).long_open_reminded_at == NOW

    # Activity starts the clock again; a new quiet stretch brings one new reminder.
    db.session.add(SignalEvent(signal_id=idle.id, from_status="in_aanpak", to_status="in_aanpak",
                               occurred_at=NOW + timedelta(days=201)))
    db.session.commit()
    assert run(NOW + timedelta(days=202)).summary["long_open"] == {"count": 0, "reminded": 0}
    # By 2033 every one of the open signals has been quiet for a year: each is reminded once,
    # in one message per coordinator; the closed one never.
    assert run(datetime(2033, 1, 1)).summary["long_open"] == {"count": 5, "reminded": 5}
    assert db.session.get(Signal, closed.id).long_open_reminded_at is None
    assert len(notifications()) == 4 and db.session.get(Signal, idle.id).long_open_reminded_at == datetime(2033, 1, 1)


def test_the_long_open_term_counts_from_the_last_activity_to_the_minute(make_signal):
    cut = services.months_before(NOW, 12)
    make_signal(status="intake", received_at=cut)  # exactly the term: not yet
    just_over = make_signal(status="intake", received_at=cut - timedelta(minutes=1))
    assert [item.reference for item in services.long_open(NOW)] == [just_over.reference]
    set_setting("retention_long_open_months", "24")
    db.session.commit()
    assert services.long_open(NOW) == []


def test_the_coordinator_records_why_a_long_open_signal_stays_open(client, make_user, login_as, make_signal):
    coordinator = make_user("coordinator")
    idle = make_signal(status="in_aanpak", received_at=utcnow() - timedelta(days=800))
    login_as(coordinator)
    inbox = client.get("/meldingen").get_data(as_text=True)
    assert "/bewaren/lang-open" in inbox
    page = client.get("/bewaren/lang-open").get_data(as_text=True)
    assert idle.reference in page and "Jan Jansen" not in page and "Beschrijving" not in page
    form_page = client.get(f"/bewaren/lang-open/{idle.id}")
    assert form_page.status_code == 200

    empty = client.post(f"/bewaren/lang-open/{idle.id}", data={"reason": "   ", "csrf_token": csrf_from(form_page)})
    assert empty.status_code == 200 and services.NEED_JUSTIFICATION in empty.get_data(as_text=True)
    too_long = "Wacht op de strafzaak tegen Zoë. " + "x" * services.MAX_JUSTIFICATION
    long_answer = client.post(f"/bewaren/lang-open/{idle.id}",
                              data={"reason": too_long, "csrf_token": csrf_from(form_page)})
    body = long_answer.get_data(as_text=True)
    assert services.TOO_LONG_JUSTIFICATION in body and "Wacht op de strafzaak tegen Zoë." in body  # kept
    assert db.session.scalars(select(OpenJustification)).all() == []  # nothing half saved

    reason = "Wacht op de uitkomst van de strafzaak (parket Noord-Nederland); daarna 13b-besluit."
    done = client.post(f"/bewaren/lang-open/{idle.id}", data={"reason": reason, "csrf_token": csrf_from(form_page)})
    assert done.status_code == 302
    saved = db.session.scalars(select(OpenJustification)).one()
    assert (saved.signal_id, saved.recorded_by_id, saved.reason) == (idle.id, coordinator.id, reason)
    logged = events("signal.open_justified")
    assert [e.object_id for e in logged] == [str(idle.id)]
    assert all("strafzaak" not in (e.reason_code or "") for e in logged)
    assert services.long_open(utcnow()) == []  # the reason counts as activity: the clock restarts
    assert events("retention.long_open_viewed")


def test_a_closed_signal_cannot_be_justified_and_others_cannot_reach_the_page(
        client, make_user, login_as, make_signal):
    closed = make_signal(status="afgesloten", closing_reason="geen_hit", closed_at=utcnow() - timedelta(days=10))
    login_as(make_user("coordinator"))
    form_page = client.get(f"/bewaren/lang-open/{closed.id}")
    response = client.post(f"/bewaren/lang-open/{closed.id}",
                           data={"reason": "Toch open houden", "csrf_token": csrf_from(form_page)})
    assert response.status_code == 200 and services.NOT_OPEN in response.get_data(as_text=True)
    assert db.session.scalars(select(OpenJustification)).all() == []
    client.post("/uitloggen", data={"csrf_token": csrf_from(client.get("/account"))})
    # The reporter of a signal, a member and the privacy officer cannot record a reason.
    for role in ("reporter", "member", "privacy_officer"):
        other = make_user(role)
        login_as(other)
        assert client.get(f"/bewaren/lang-open/{closed.id}").status_code == 403
        assert client.post(f"/bewaren/lang-open/{closed.id}", data={"reason": "x"}).status_code in (400, 403)
        client.post("/uitloggen", data={"csrf_token": csrf_from(client.get("/account"))})
    assert db.session.scalars(select(OpenJustification)).all() == []


# --- data-subject request files -----------------------------------------------------------------


def request_file(officer, signal, *, closed_at, status="afgehandeld", number="AVG-2026-0001"):
    request = SubjectRequest(number=number, type="inzage", received_on=date(2025, 12, 20),
                             due_on=date(2026, 1, 20), status=status, created_by_id=officer.id,
                             closed_at=closed_at if status == "afgehandeld" else None,
                             restriction="gedeeltelijk", restriction_ground="opsporing")
    request.name, request.birth_date = "Zoë Ümit-de Vries", "1975-02-28"
    request.kvk_number, request.postcode, request.house_number = "12345678", "9712 AB", "12-bis"
    request.restriction_note = "Lopend onderzoek; de melder is een buurvrouw."
    request.extension_reason = "Veel meldingen gevonden; de verzoeker is op 2 januari ingelicht."
    request.objection_reasoning = "Dwingende gerechtvaardigde gronden: lopende sluiting (art. 13b Opiumwet)."
    request.signals.append(SubjectRequestSignal(signal_id=signal.id))
    db.session.add(request)
    db.session.commit()
    return request


def encrypted_values(request) -> dict:
    return {name: getattr(request, name) for klass in type(request).__mro__
            for name, value in vars(klass).items() if isinstance(value, Encrypted)}


def test_a_request_file_is_destroyed_after_its_term_and_not_before(make_user, make_signal):
    officer = make_user("privacy_officer")
    signal = make_signal(status="in_aanpak")
    handled = request_file(officer, signal, closed_at=datetime(2026, 1, 31, 10, 0))
    still_open = request_file(officer, signal, closed_at=None, status="open", number="AVG-2026-0002")
    recent = request_file(officer, signal, closed_at=datetime(2027, 3, 1), number="AVG-2027-0001")
    assert all(encrypted_values(handled).values())

    # Sixty months after handling, to the minute: not yet, not at the very moment.
    for early in (datetime(2031, 1, 31, 9, 59), datetime(2031, 1, 31, 10, 0)):
        run(early)
        db.session.expire_all()
        assert db.session.get(SubjectRequest, handled.id).name == "Zoë Ümit-de Vries", early
    assert db.session.scalars(select(DestructionRecord).where(DestructionRecord.category == "verzoek")).all() == []

    result = run(datetime(2031, 1, 31, 10, 1))
    db.session.expire_all()
    gone = db.session.get(SubjectRequest, handled.id)
    assert set(encrypted_values(gone).values()) == {None}
    assert all(getattr(gone, getattr(SubjectRequest, name).column) is None for name in encrypted_values(gone))
    assert gone.signals == []  # which signals were about this person: gone too
    assert (gone.number, gone.type, gone.received_on, gone.closed_at) == (
        "AVG-2026-0001", "inzage", date(2025, 12, 20), datetime(2026, 1, 31, 10, 0))
    assert gone.destroyed_at == datetime(2031, 1, 31, 10, 1)
    for kept in (still_open, recent):
        assert db.session.get(SubjectRequest, kept.id).name == "Zoë Ümit-de Vries"
        assert db.session.get(SubjectRequest, kept.id).signals
    record_ = db.session.scalars(select(DestructionRecord).where(DestructionRecord.category == "verzoek")).one()
    assert (record_.object_type, record_.object_ref, record_.due_since, record_.run_id) == (
        "subject_request", "AVG-2026-0001", date(2026, 1, 31), result.run.id)
    assert record_.selectielijst == services.SELECTIELIJST["verzoek"].text
    assert "Verzoeken – ingewilligd" in record_.selectielijst and "Zoë" not in (record_.details or "")
    assert result.summary["categories"]["verzoek"] == {"count": 1, "references": ["AVG-2026-0001"]}

    run(datetime(2040, 1, 1))  # a second run destroys nothing twice; the open one stays forever
    assert len(db.session.scalars(select(DestructionRecord).where(DestructionRecord.category == "verzoek")).all()) == 2
    assert db.session.get(SubjectRequest, still_open.id).name == "Zoë Ümit-de Vries"


def test_a_request_file_with_a_restriction_in_force_is_kept_until_it_is_lifted(make_user, make_signal):
    """Art. 18 AVG: the file is what the restriction is lifted from, and the restriction's
    reason belongs to the signal: neither goes while the restriction is in force."""
    officer = make_user("privacy_officer")
    signal = make_signal(status="in_aanpak")
    handled = request_file(officer, signal, closed_at=datetime(2026, 1, 31, 10, 0))
    restriction = ProcessingRestriction(signal_id=signal.id, request_id=handled.id, set_by_id=officer.id,
                                        set_at=datetime(2026, 1, 20, 9, 0))
    restriction.reason = "Zoë Ümit-de Vries betwist de juistheid van het adres."
    db.session.add(restriction)
    db.session.commit()
    assert ProcessingRestriction not in destruction.request_columns()

    for when in (datetime(2031, 1, 31, 10, 1), datetime(2040, 1, 1)):
        result = run(when)
        db.session.expire_all()
        assert result.summary["categories"]["verzoek"]["count"] == 0, when
        kept = db.session.get(SubjectRequest, handled.id)
        assert kept.destroyed_at is None and kept.name == "Zoë Ümit-de Vries" and kept.signals
        assert db.session.get(ProcessingRestriction, restriction.id).reason.startswith("Zoë Ümit-de Vries betwist")

    # Lifted: the file goes after its term; the restriction's record and reason stay with the signal.
    restriction = db.session.get(ProcessingRestriction, restriction.id)
    restriction.lifted_at, restriction.lifted_by_id = datetime(2040, 1, 2), officer.id
    restriction.lift_reason = "Juistheid vastgesteld; Zoë ingelicht."
    db.session.commit()
    assert run(datetime(2040, 1, 3)).summary["categories"]["verzoek"]["count"] == 1
    db.session.expire_all()
    assert db.session.get(SubjectRequest, handled.id).name is None
    kept = db.session.get(ProcessingRestriction, restriction.id)
    assert kept.reason.startswith("Zoë Ümit-de Vries betwist") and kept.lift_reason.startswith("Juistheid")


def test_a_restriction_on_a_destroyed_signal_keeps_no_request_file(make_user, make_signal):
    officer = make_user("privacy_officer")
    signal = make_signal(status="afgesloten", destroyed_at=datetime(2027, 1, 1))
    handled = request_file(officer, signal, closed_at=datetime(2026, 1, 31, 10, 0))
    db.session.add(ProcessingRestriction(signal_id=signal.id, request_id=handled.id, set_by_id=officer.id))
    db.session.commit()
    assert run(datetime(2031, 1, 31, 10, 1)).summary["categories"]["verzoek"]["count"] == 1


def test_a_destroyed_request_file_shows_it_and_gives_no_answer(client, make_user, login_as, make_signal):
    officer = make_user("privacy_officer")
    handled = request_file(officer, make_signal(status="in_aanpak"), closed_at=datetime(2020, 1, 2))
    run(utcnow())
    login_as(officer)
    page = client.get(f"/verzoeken/{handled.id}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "vernietigd" in body and "Zoë" not in body and "Jan Jansen" not in body
    answer = client.get(f"/verzoeken/{handled.id}/antwoord.pdf")
    assert answer.status_code in (302, 303) and not answer.data.startswith(b"%PDF")


# --- the selectielijst behind every category ---------------------------------------------------


def test_every_category_names_its_selectielijst_result_type_on_the_page_and_in_the_records(
        client, make_user, login_as, make_signal):
    assert set(services.SELECTIELIJST) == set(services.CATEGORIES)
    for code in services.CATEGORIES:
        assert services.SELECTIELIJST[code].result_type.strip() and services.SELECTIELIJST[code].term.strip()
    ev = record(None, "signal.viewed", object_type="signal", object_id="x")  # the oldest event: due first
    ev.occurred_at = utcnow() - timedelta(days=7 * 366)
    db.session.commit()
    officer = make_user("privacy_officer")
    login_as(officer)
    page = client.get("/bewaren/").get_data(as_text=True)
    shown = html.unescape(page.split("Over de termijn</h2>")[1].split("Proefrun starten")[0])
    for code, label in services.CATEGORIES.items():
        row = shown.split(label)[1].split("</tr>")[0]
        assert services.SELECTIELIJST[code].text in row, code
    assert "VNG Selectielijst gemeenten en intergemeentelijke organen" in html.unescape(page)

    signal = make_signal(status="afgesloten", closing_reason="geen_hit", closed_at=utcnow() - timedelta(days=800))
    request_file(officer, make_signal(status="in_aanpak"), closed_at=utcnow() - timedelta(days=6 * 366))
    result = run(utcnow())
    records = db.session.scalars(select(DestructionRecord).where(DestructionRecord.run_id == result.run.id)).all()
    assert {r.category for r in records} == {"afgesloten", "verzoek", "logboek"}
    assert all(r.selectielijst == services.SELECTIELIJST[r.category].text for r in records)

    pdf = client.get(f"/bewaren/runs/{result.run.id}/verklaring.pdf")
    words = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).split())
    assert "Afgebroken" in words and "Verzoeken – ingewilligd" in words and "Login-gegevens" in words
    assert signal.reference in words and "AVG-2026-0001" in words

    export = client.get("/bewaren/vernietigingsregistratie.csv")
    assert export.status_code == 200 and export.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["vernietigd_op", "soort", "kenmerk", "termijn", "selectielijst", "termijn_liep_vanaf", "run"]
    by_ref = {row[2]: row for row in rows[1:]}
    assert by_ref[signal.reference][4] == services.SELECTIELIJST["afgesloten"].text
    assert by_ref["AVG-2026-0001"][4] == services.SELECTIELIJST["verzoek"].text
    assert "Zoë" not in export.data.decode("utf-8-sig")
    assert [e.reason_code for e in events("retention.records_exported")] == ["csv"]
