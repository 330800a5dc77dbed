"""Retention and destruction (README “Retention and destruction”): what is due, what a run destroys and keeps,
legal hold, dry runs, resumable batches, the log part, the pages and the terms."""

import io
import json
from datetime import date, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import MetaData, func, select, text

from casustafel.audit_log import record, verify_chain
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import (
    Action,
    AgendaItem,
    Assessment,
    AuditEvent,
    AuditPruned,
    BibobRecord,
    BreakGlass,
    CasePlan,
    CaseSystemLink,
    DestructionRecord,
    InformationRequest,
    InformingDecision,
    Location,
    Meeting,
    MonitoringPeriod,
    OpenJustification,
    PrivacyCheck,
    PrivacyCheckRegister,
    ProcessingRestriction,
    ReceivedInformation,
    ReceivedInformationException,
    Referral,
    RetentionRun,
    Signal,
    SignalEvent,
    SignalNote,
    SourceQuery,
    Subject,
    SubjectRequest,
    SubjectRequestSignal,
)
from casustafel.models.base import Encrypted
from casustafel.retention import destruction, services
from casustafel.settings import set_setting
from tests.conftest import csrf_from
from tests.helpers.dumps import database_dump

NOW = datetime(2031, 6, 1, 12, 0)
LONG_AGO = datetime(2029, 1, 10, 9, 0)  # more than a year, less than five before NOW
MARK = "RETMARK"


def keyring(app):
    return app.extensions["casustafel_keyring"]


def store(app):
    return app.extensions["casustafel_store"]


def closed(make_signal, reason="geen_ondermijning", closed_at=LONG_AGO, **fields):
    return make_signal(status="afgesloten", closing_reason=reason, closed_at=closed_at, **fields)


def run(now=NOW, dry_run=False, **kwargs):
    return destruction.run_retention(None, now, dry_run=dry_run, origin="cli", **kwargs)


def events(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).all()


# --- the categories and their terms ------------------------------------------------------------


def test_months_before_keeps_the_day_or_takes_the_last_day_of_the_month():
    assert services.months_before(datetime(2031, 3, 31, 8), 1) == datetime(2031, 2, 28, 8)
    assert services.months_before(datetime(2031, 6, 1), 60) == datetime(2026, 6, 1)
    assert services.months_before(datetime(2031, 1, 15), 13) == datetime(2029, 12, 15)


def test_each_category_is_due_only_after_its_own_term(make_signal):
    short_due = closed(make_signal, "geen_hit", NOW - timedelta(days=366))
    short_young = closed(make_signal, "geen_vervolg", NOW - timedelta(days=300))
    case_young = closed(make_signal, "aanpak_afgerond", NOW - timedelta(days=4 * 365))
    case_due = closed(make_signal, "aanpak_afgerond", NOW - timedelta(days=5 * 365 + 2))
    still_open = make_signal(status="in_aanpak", closed_at=None)
    unknown = closed(make_signal, "iets_anders", NOW - timedelta(days=3000))
    due = {row.reference for code in services.SIGNAL_CATEGORIES
           for row in db.session.execute(services.due_signals(code, services.Cutoffs.at(NOW)))}
    assert due == {short_due.reference, case_due.reference}
    assert not due & {short_young.reference, case_young.reference, still_open.reference, unknown.reference}


def test_a_referred_signal_counts_from_its_latest_referral(make_signal):
    old_referral = closed(make_signal, "doorgezet_afgerond", NOW - timedelta(days=10))
    recent_referral = closed(make_signal, "doorgezet_afgerond", NOW - timedelta(days=10))
    none_sent = closed(make_signal, "doorgezet_afgerond", NOW - timedelta(days=400))
    for signal, sent in ((old_referral, date(2030, 5, 1)), (recent_referral, date(2030, 7, 1))):
        db.session.add(Referral(signal_id=signal.id, partner_id=1, status="verstuurd", legal_ground="avg_6_1_c",
                                legal_ground_text="art. 6 lid 1 sub c AVG", data_categories=["fenomeen"],
                                sent_on=sent))
    db.session.commit()
    due = {row.reference for row in db.session.execute(services.due_signals("doorgezet", services.Cutoffs.at(NOW)))}
    assert due == {old_referral.reference, none_sent.reference}


def test_the_admin_terms_change_what_is_due(make_signal):
    signal = closed(make_signal, "geen_ondermijning", NOW - timedelta(days=200))
    assert services.overview(NOW)["due"][0].count == 0
    set_setting("retention_closed_months", "6")
    db.session.commit()
    due = services.overview(NOW)["due"][0]
    assert (due.code, due.count, due.references) == ("afgesloten", 1, [signal.reference])


# --- destroying one signal, completely -------------------------------------------------------


def encrypted_attributes():
    """(model, attribute name) of every Encrypted attribute of every model."""
    found = []
    for mapper in db.Model.registry.mappers:
        cls = mapper.class_
        for klass in cls.__mro__:
            for name, value in vars(klass).items():
                if isinstance(value, Encrypted) and (cls, name) not in found:
                    found.append((cls, name))
    return found


def tied_to_signal(cls) -> bool:
    # An e-mail concept gets its signal_id only as its sender, subject and file are emptied
    # (signals/mailbox.py `mark_registered`; tests/test_mail_concepts.py checks the columns are
    # NULL): it never holds encrypted data of a signal for retention to destroy.
    return "signal_id" in cls.__table__.c and cls.__tablename__ != "mail_concept"


def full_signal(app, make_signal, make_user):
    """A signal due for destruction with a marker in every encrypted field tied to it."""
    coordinator = make_user("coordinator")
    signal = closed(make_signal, "besproken_geen_actie", description=f"{MARK} beschrijving",
                    person=(f"Jan {MARK} Jansen", "1980-01-02"), address=("1234 AB", "1"),
                    attachment=b"%PDF-1.4 " + MARK.encode())
    signal.indicator_explanation = f"{MARK} toelichting"
    signal.summary = f"{MARK} geanonimiseerde samenvatting"
    signal.reporter_phone = f"06-{MARK}"
    subject = signal.subjects[0]
    subject.kvk_number, subject.postcode, subject.house_number = f"{MARK}kvk", f"{MARK}pc", f"{MARK}nr"
    subject.house_number_addition, subject.street, subject.city = f"{MARK}a", f"{MARK}straat", f"{MARK}stad"
    location = signal.locations[0]
    location.bag_id, location.house_number_addition = f"{MARK}bag", f"{MARK}a"
    location.street, location.city = f"{MARK}straat", f"{MARK}stad"
    location.postcode, location.house_number = f"{MARK}pc", f"{MARK}nr"
    subject.birth_date = f"{MARK}-01-02"
    signal.attachments[0].filename = f"{MARK}.pdf"
    event = SignalEvent(signal=signal, to_status="afgesloten")
    event.reason = f"{MARK} reden"
    question = InformationRequest(signal=signal)
    question.question, question.answer = f"{MARK} vraag", f"{MARK} antwoord"
    assessment = Assessment(signal=signal, kind="intake", answers={}, outcome="doorverwijzen")
    assessment.rationale, assessment.referred_to = f"{MARK} onderbouwing", f"{MARK} doorverwezen naar"
    check = PrivacyCheck(signal=signal, kind="1")
    check.request_note, check.rationale = f"{MARK} verzoek", f"{MARK} besluit"
    db.session.add_all([event, question, assessment, check])
    db.session.flush()
    assessment_1 = PrivacyCheckRegister(privacy_check_id=check.id, signal_id=signal.id, register="brp")
    assessment_1.legal_basis, assessment_1.compatibility = f"{MARK} grondslag", f"{MARK} verenigbaar"
    assessment_1.necessity = f"{MARK} noodzaak"
    db.session.add(assessment_1)
    query = SourceQuery(signal=signal, privacy_check_id=check.id, register="brp", hit=True)
    query.summary = f"{MARK} samenvatting"
    meeting = Meeting(held_at=NOW - timedelta(days=30), status="gesloten")
    item = AgendaItem(signal_id=signal.id, position=1, decision="geen_actie")
    item.notes, item.decision_rationale = f"{MARK} aantekening", f"{MARK} motivering"
    meeting.items.append(item)
    db.session.add_all([query, meeting])
    db.session.flush()
    action = Action(signal=signal, agenda_item_id=item.id, type="overig", deadline=date(2029, 1, 1))
    action.description, action.result = f"{MARK} actie", f"{MARK} resultaat"
    referral = Referral(signal=signal, partner_id=1, status="verstuurd", legal_ground="overig",
                        legal_ground_text="Anders (toelichting verplicht)", data_categories=["beschrijving"],
                        sent_on=date(2028, 12, 1))
    referral.purpose, referral.legal_ground_note = f"{MARK} doel", f"{MARK} grond"
    referral.recipient_reference, referral.answer = f"{MARK} kenmerk", f"{MARK} antwoord"
    db.session.add(referral)
    db.session.flush()
    stored = store(app).save(referral.id, io.BytesIO(b"%PDF-1.4 pakket " + MARK.encode()), keyring(app))
    referral.package_wrapped_key, referral.package_digest = stored.wrapped_key, stored.digest
    referral.package_sha256, referral.package_size = "0" * 64, stored.size
    check.referral_id = referral.id
    police = ReceivedInformation(signal_id=signal.id, source="politie", ground="wpg_20", received_on=date(2028, 11, 1))
    police.content, police.provider_reference = f"{MARK} politie", f"{MARK} pv"
    police.conditions, police.recipients = f"{MARK} voorwaarden", f"{MARK} ontvangers"
    bibob_received = ReceivedInformation(signal_id=signal.id, source="bibob", ground="bibob_28",
                                         received_on=date(2028, 11, 2), delete_on_close=False)
    bibob_received.content = f"{MARK} bibob ontvangen"
    exception = ReceivedInformationException(information_id=police.id, signal_id=signal.id, use="verstrekking",
                                             referral_id=referral.id, status="goedgekeurd")
    exception.task, exception.reasoning = f"{MARK} taak", f"{MARK} onderbouwing"
    exception.decision_reasoning = f"{MARK} besluit"
    grant = BreakGlass(user_id=coordinator.id, role="coordinator", signal_id=signal.id,
                       signal_reference=signal.reference, expires_at=LONG_AGO)
    grant.reason = f"{MARK} noodtoegang"
    plan = CasePlan(signal_id=signal.id, number=1, review_on=date(2029, 1, 1))
    plan.goal, plan.interventions = f"{MARK} doel", f"{MARK} interventies"
    extension = MonitoringPeriod(signal_id=signal.id, number=2, ends_on=date(2029, 6, 1))
    extension.reason = f"{MARK} verlenging"
    bibob = BibobRecord(signal_id=signal.id, body="burgemeester", decision_kind="vergunning")
    bibob.notes, bibob.zaaknummer = f"{MARK} bibob", f"{MARK} zaak"
    link = CaseSystemLink(signal_id=signal.id, kind="bibob_besluit", decided_on=date(2028, 12, 1))
    link.zaaknummer = f"{MARK} zaaknummer"
    kept_open = OpenJustification(signal_id=signal.id, recorded_by_id=coordinator.id)
    kept_open.reason = f"{MARK} openhouden"
    deferral = InformingDecision(signal_id=signal.id, subject_id=subject.id, outcome="uitgesteld", ground="opsporing",
                                 review_on=date(2029, 1, 1))
    deferral.reason = f"{MARK} uitstel"
    restriction = ProcessingRestriction(signal_id=signal.id, lifted_at=LONG_AGO)
    restriction.reason, restriction.lift_reason = f"{MARK} beperking", f"{MARK} opgeheven"
    note = SignalNote(signal_id=signal.id, author_id=coordinator.id)
    note.text = f"{MARK} interne notitie"
    signal.owner_id = coordinator.id
    db.session.add_all([action, police, bibob_received, grant, plan, extension, bibob, link, kept_open, deferral,
                        restriction, note])
    db.session.flush()
    db.session.add(exception)
    db.session.commit()
    return signal, referral


def marker_values():
    """{(table, attribute): [plaintexts holding the marker]} over the whole database."""
    found = {}
    for cls, name in encrypted_attributes():
        for row in db.session.scalars(select(cls)):
            value = getattr(row, name)
            if value is not None and MARK in str(value):
                found.setdefault((cls.__tablename__, name), []).append(value)
    return found


def test_after_destruction_no_encrypted_column_anywhere_holds_data_of_the_signal(app, make_signal, make_user):
    full_signal(app, make_signal, make_user)
    before = marker_values()
    expected = {(cls.__tablename__, name) for cls, name in encrypted_attributes() if tied_to_signal(cls)}
    assert expected <= set(before), f"fill these too: {expected - set(before)}"  # the marker is in every field

    run()
    db.session.expire_all()
    assert marker_values() == {}


def columns_holding(blind) -> list[tuple[str, str]]:
    """The blind-index columns of any table holding one of these values. Blind indexes are short
    integers (BLIND_INDEX_BITS): searched where they are stored, not as digits anywhere in a dump,
    where an id or a sequence value can match by chance."""
    meta = MetaData()
    meta.reflect(bind=db.engine)
    values = [int(b) for b in blind]
    with db.engine.connect() as conn:
        return [(table.name, column.name) for table in meta.sorted_tables for column in table.columns
                if column.name.endswith("_bidx")
                and conn.execute(select(func.count()).select_from(table).where(column.in_(values))).scalar()]


def test_after_destruction_the_dump_and_the_store_hold_nothing_of_it(app, make_signal, make_user):
    signal, referral = full_signal(app, make_signal, make_user)
    ciphertexts, blind = [], []
    for cls, name in encrypted_attributes():
        if not tied_to_signal(cls):
            continue
        for row in db.session.scalars(select(cls).where(cls.signal_id == signal.id)):
            blob = getattr(row, getattr(cls, name).column)
            if blob:
                ciphertexts.append(bytes(blob).hex())
    for row in [*signal.subjects, *signal.locations]:
        blind += [str(v) for v in (getattr(row, c, None) for c in ("person_bidx", "organisation_bidx", "kvk_bidx",
                                                                   "address_bidx")) if v]
    files = [store(app).path(signal.attachments[0].id), store(app).path(referral.id)]
    assert all(path.exists() for path in files) and blind and len(ciphertexts) > 30
    dump_before, _ = database_dump()
    assert ciphertexts[0] in dump_before.lower()  # the check can see ciphertext in a dump
    assert ("subject", "person_bidx") in columns_holding(blind)  # the check can see a blind index

    run()
    dump, where = database_dump()
    lowered = dump.lower()
    assert [c for c in ciphertexts if c in lowered] == [], f"ciphertext of the signal in the {where}"
    left = columns_holding(blind)
    assert left == [], f"blind index left in {left}"
    assert not any(path.exists() for path in files)
    assert signal.reference in dump  # the tombstone is there


def test_the_tombstone_keeps_the_statistics_and_the_records_are_written(app, make_signal, make_user):
    signal, referral = full_signal(app, make_signal, make_user)
    signal.phenomenon_id = 1
    db.session.commit()
    signal_id, reference, received = signal.id, signal.reference, signal.received_at

    result = run()
    db.session.expire_all()
    tomb = db.session.get(Signal, signal_id)
    assert (tomb.reference, tomb.phenomenon_id, tomb.channel, tomb.status, tomb.closing_reason) == (
        reference, 1, "meldpunt", "afgesloten", "besproken_geen_actie")
    assert tomb.received_at == received and tomb.closed_at == LONG_AGO and tomb.destroyed_at == NOW
    assert tomb.description is None and tomb.reporter_id is None
    for model in (Subject, Location, InformationRequest, ReceivedInformation, ReceivedInformationException):
        assert db.session.scalars(select(model).where(model.signal_id == signal_id)).all() == []
    assert tomb.attachments == []
    # The referral record stays for its own 5 years: partner, date, ground, categories, no content.
    kept = db.session.get(Referral, referral.id)
    assert (kept.partner_id, kept.sent_on, kept.legal_ground, kept.data_categories) == (
        1, date(2028, 12, 1), "overig", ["beschrijving"])
    assert kept.purpose is None and kept.package_digest is None
    record_ = db.session.scalars(select(DestructionRecord)).one()
    assert (record_.category, record_.object_type, record_.object_ref, record_.due_since) == (
        "afgesloten", "signal", reference, LONG_AGO.date())
    assert record_.run_id == result.run.id and MARK not in (record_.details or "")
    run_row = db.session.get(RetentionRun, result.run.id)
    assert run_row.finished_at is not None and not run_row.dry_run
    assert json.loads(run_row.summary)["categories"]["afgesloten"]["references"] == [reference]
    logged = events("retention.run")
    assert [(e.reason_code, e.object_id) for e in logged] == [("run", str(result.run.id))]
    assert events("signal.destroyed") == []  # the destruction records cover each signal
    assert verify_chain(keyring(app)).ok


def test_the_referral_record_goes_when_its_own_term_ends(app, make_signal):
    signal = closed(make_signal, "doorgezet_afgerond", datetime(2030, 1, 5))
    db.session.add(Referral(signal_id=signal.id, partner_id=1, status="verstuurd", legal_ground="avg_6_1_c",
                            legal_ground_text="art. 6 lid 1 sub c AVG", data_categories=["fenomeen"],
                            sent_on=date(2029, 12, 1)))
    db.session.commit()
    run()
    assert db.session.scalars(select(Referral)).one().sent_on == date(2029, 12, 1)
    later = datetime(2035, 1, 2)
    result = run(later)
    assert db.session.scalars(select(Referral)).all() == []
    records = db.session.scalars(select(DestructionRecord).where(DestructionRecord.run_id == result.run.id,
                                                                 DestructionRecord.category != "logboek")).all()
    assert [(r.category, r.object_ref) for r in records] == [("verstrekking", signal.reference)]


def test_meeting_notes_go_a_year_after_the_meeting_and_the_decision_stays(make_signal):
    signal = make_signal(status="in_aanpak")
    old = Meeting(held_at=NOW - timedelta(days=400), status="gesloten")
    young = Meeting(held_at=NOW - timedelta(days=100), status="gesloten")
    for meeting in (old, young):
        item = AgendaItem(signal_id=signal.id, position=1, decision="gemeentelijke_aanpak")
        item.notes = "Aantekening"
        meeting.items.append(item)
        db.session.add(meeting)
    db.session.commit()
    run()
    db.session.expire_all()
    assert old.items[0].notes is None and old.items[0].decision == "gemeentelijke_aanpak"
    assert young.items[0].notes == "Aantekening"
    assert db.session.get(Signal, signal.id).description == "Beschrijving"  # the open case is untouched
    assert db.session.scalars(select(DestructionRecord.category)).all() == ["overleg"]


# --- legal hold, dry run, batches -------------------------------------------------------------


def test_a_signal_on_legal_hold_survives_and_so_does_one_with_an_open_request(make_signal, make_user):
    officer = make_user("privacy_officer")
    flagged = closed(make_signal, legal_hold=True, legal_hold_reason="onderzoek", legal_hold_since=LONG_AGO)
    requested = closed(make_signal)
    answered = closed(make_signal)
    for number, (signal, status) in enumerate(((requested, "open"), (answered, "afgehandeld"))):
        request = SubjectRequest(number=f"AVG-2031-000{number}", type="inzage", received_on=date(2031, 5, 1),
                                 due_on=date(2031, 6, 1), status=status, created_by_id=officer.id)
        request.signals.append(SubjectRequestSignal(signal_id=signal.id))
        db.session.add(request)
    db.session.commit()

    data = services.overview(NOW)
    assert {row.reference for row in data["held"]} == {flagged.reference, requested.reference}
    assert data["held_due"] == 2
    result = run()
    db.session.expire_all()
    assert db.session.get(Signal, flagged.id).description == "Beschrijving"
    assert db.session.get(Signal, flagged.id).subjects
    assert db.session.get(Signal, requested.id).destroyed_at is None
    assert db.session.get(Signal, answered.id).destroyed_at == NOW
    assert result.summary["on_hold_skipped"] == 2


def test_a_dry_run_changes_nothing_and_is_logged_as_one(app, make_signal):
    signal = closed(make_signal, attachment=b"%PDF-1.4 x")
    path = store(app).path(signal.attachments[0].id)
    result = run(dry_run=True, batch_size=1)
    db.session.expire_all()
    assert db.session.get(Signal, signal.id).destroyed_at is None and path.exists()
    assert db.session.scalars(select(DestructionRecord)).all() == []
    assert result.summary["categories"]["afgesloten"] == {"count": 1, "references": [signal.reference]}
    assert [e.reason_code for e in events("retention.run")] == ["dry_run"]
    assert db.session.get(RetentionRun, result.run.id).dry_run


def test_a_run_commits_per_batch_and_the_next_run_resumes(make_signal, monkeypatch):
    signals = [closed(make_signal) for _ in range(5)]
    real = destruction.destroy_signals
    calls = []

    def fail_second(ids, now, cutoff):
        calls.append(len(ids))
        if len(calls) == 2:
            raise RuntimeError("stroomstoring")
        return real(ids, now, cutoff)

    monkeypatch.setattr(destruction, "destroy_signals", fail_second)
    with pytest.raises(RuntimeError):
        run(batch_size=2)
    db.session.rollback()
    assert len(db.session.scalars(select(Signal).where(Signal.destroyed_at.is_not(None))).all()) == 2
    monkeypatch.setattr(destruction, "destroy_signals", real)
    lines = []
    run(batch_size=2, progress=lines.append)
    assert all(db.session.get(Signal, s.id).destroyed_at for s in signals)
    assert len(db.session.scalars(select(DestructionRecord)).all()) == 5
    assert "  2 van 3" in lines and "  3 van 3" in lines


def test_the_command_line_prints_progress(app, make_signal):
    signals = [closed(make_signal, closed_at=utcnow() - timedelta(days=800)) for _ in range(3)]
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["retention", "run", "--dry-run", "--batch-size", "2"])
    assert dry.exit_code == 0, dry.output
    assert "3 meldingen (proefrun)" in dry.output and "proefrun, niets vernietigd" in dry.output
    assert all(db.session.get(Signal, s.id).destroyed_at is None for s in signals)
    real = runner.invoke(args=["retention", "run", "--batch-size", "2"])
    assert real.exit_code == 0, real.output
    assert "  2 van 3" in real.output and "  3 van 3" in real.output
    db.session.expire_all()
    assert all(db.session.get(Signal, s.id).destroyed_at for s in signals)


# --- the log part keeps the chain verifiable ------------------------------------------------


def old_events():
    """Access events from 6 years ago, security events from 8 months ago, recent ones."""
    spec = [(NOW - timedelta(days=6 * 365), "signal.viewed")] * 3 + [
        (NOW - timedelta(days=240), "auth.login"), (NOW - timedelta(days=230), "signal.viewed"),
        (NOW - timedelta(days=220), "auth.login_failed"), (NOW - timedelta(days=10), "auth.login"),
        (NOW - timedelta(days=5), "signal.viewed"), (NOW - timedelta(days=1), "signal.viewed"),
    ]
    for when, action in spec:
        ev = record(None, action, object_type="signal", object_id="x")
        ev.occurred_at = when
        db.session.commit()


def test_the_chain_verifies_after_log_retention(app):
    old_events()
    result = run()
    assert result.summary["categories"]["logboek"]["removed"] == {"log_removed": 3, "security_stubbed": 2}
    assert db.session.scalars(select(AuditPruned.seq)).all()
    status = verify_chain(keyring(app))
    assert status.ok, status.message
    assert db.session.scalars(select(DestructionRecord.category)).all() == ["logboek"]


def test_deleting_an_event_that_was_not_due_still_breaks_the_chain(app):
    old_events()
    run()
    victim = db.session.scalar(
        select(AuditEvent.seq)
        .where(AuditEvent.action == "signal.viewed", AuditEvent.occurred_at > NOW - timedelta(days=7))
        .order_by(AuditEvent.seq).limit(1)
    )
    db.session.commit()
    with db.engine.begin() as conn:  # an attacker with database access, past the append-only trigger
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(AuditEvent.__table__.delete().where(AuditEvent.seq == victim))
    db.session.expire_all()
    status = verify_chain(keyring(app))
    assert not status.ok and status.first_broken_seq == victim


# --- the pages --------------------------------------------------------------------------------


def test_the_privacy_officer_sees_what_is_due_runs_a_dry_run_and_gets_the_statement(
        client, make_user, login_as, make_signal):
    officer = make_user("privacy_officer")
    due = closed(make_signal, closed_at=utcnow() - timedelta(days=800))
    held = closed(make_signal, closed_at=utcnow() - timedelta(days=800), legal_hold=True)
    login_as(officer)
    page = client.get("/bewaren/").get_data(as_text=True)
    assert due.reference in page and held.reference in page and "Jan Jansen" not in page
    assert events("retention.viewed")

    response = client.post("/bewaren/proefrun", data={"csrf_token": csrf_from(client.get("/bewaren/"))})
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Proefrun" in shown and due.reference in shown and held.reference not in shown.split("bewaarplicht")[0]
    assert db.session.get(Signal, due.id).destroyed_at is None
    dry = db.session.scalars(select(RetentionRun)).one()
    assert client.get(f"/bewaren/runs/{dry.id}/verklaring.pdf").status_code == 302  # nothing destroyed

    result = destruction.run_retention(None, utcnow(), dry_run=False, origin="cli")
    pdf = client.get(f"/bewaren/runs/{result.run.id}/verklaring.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    words = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Verklaring van vernietiging" in words and due.reference in words and held.reference not in words
    assert [e.object_id for e in events("retention.statement_exported")] == [str(result.run.id)]


def test_a_post_without_csrf_runs_nothing(client, make_user, login_as):
    login_as(make_user("privacy_officer"))
    response = client.post("/bewaren/proefrun", data={})
    assert response.status_code in (302, 400)
    assert db.session.scalars(select(RetentionRun)).all() == []


def test_the_admin_sets_the_terms_with_checks_and_a_log_event(client, make_user, login_as):
    login_as(make_user("admin"))
    page = client.get("/beheer/bewaartermijnen")
    assert page.status_code == 200 and 'value="60"' in page.get_data(as_text=True)
    form = dict((
        ("retention_closed_months", "18"), ("retention_referred_months", "12"),
        ("retention_referral_record_months", "60"), ("retention_case_months", "60"),
        ("retention_meeting_months", "12"), ("retention_request_months", "60"),
        ("retention_mail_months", "12"), ("retention_long_open_months", "12"), ("retention_access_log_months", "60"),
        ("retention_security_log_months", "6")))
    bad = client.post("/beheer/bewaartermijnen",
                      data={**form, "retention_case_months": "0", "csrf_token": csrf_from(page)})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "Vul een aantal maanden van 1 tot en met 240 in." in body
    assert 'value="18"' in body  # what was typed stays
    assert services.months("retention_closed_months") == 12  # nothing half saved
    good = client.post("/beheer/bewaartermijnen", data={**form, "csrf_token": csrf_from(page)})
    assert good.status_code == 302
    db.session.expire_all()
    assert services.months("retention_closed_months") == 18
    assert [e.object_id for e in events("retention.settings_changed")] == ["retention_closed_months"]


def test_a_tombstone_says_it_was_destroyed_and_cannot_be_reopened(client, make_signal, make_user, login_as):
    from casustafel.signals.workflow import TransitionError, transition

    signal = closed(make_signal)
    run()
    login_as(make_user("coordinator"))
    page = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    assert "De bewaartermijn van deze melding is verlopen" in page
    assert "(vernietigd)" in client.get("/meldingen?status=afgesloten").get_data(as_text=True)
    db.session.expire_all()
    tomb = db.session.get(Signal, signal.id)
    with pytest.raises(TransitionError, match="vernietigd"):
        transition(None, tomb, "intake", reason="Toch weer openen")
    db.session.rollback()
    assert db.session.get(Signal, signal.id).status == "afgesloten"


def test_every_closing_reason_has_a_retention_term():
    """A signal closed for any reason the workflow knows is destroyed in time: no reason is
    missing from the retention categories (weging 2's "doorverwezen" once was)."""
    from casustafel.retention.services import CASE_REASON, REFERRED_REASON, SHORT_REASONS
    from casustafel.signals.workflow import CLOSING_REASONS

    assert set(CLOSING_REASONS) == {*SHORT_REASONS, REFERRED_REASON, CASE_REASON}


def test_a_meeting_is_named_by_its_dutch_date_in_the_overview_and_the_destruction_record(make_signal):
    """held_at is UTC since 0030: a meeting at 00:30 Dutch summer time is stored on the day before."""
    signal = make_signal(status="in_aanpak")
    meeting = Meeting(held_at=datetime(2030, 5, 13, 22, 30), status="gesloten")  # 14-05-2030 00:30 CEST
    item = AgendaItem(signal_id=signal.id, position=1, decision="gemeentelijke_aanpak")
    item.notes = "Aantekening"
    meeting.items.append(item)
    db.session.add(meeting)
    db.session.commit()
    [due] = [row for row in services.overview(NOW)["due"] if row.code == "overleg"]
    assert due.references == ["Overleg 14-05-2030"]
    assert run(dry_run=True).summary["categories"]["overleg"]["references"] == ["Overleg 14-05-2030"]
    result = run()
    assert result.summary["categories"]["overleg"]["references"] == ["Overleg 14-05-2030"]
    [record_] = db.session.scalars(select(DestructionRecord).where(DestructionRecord.category == "overleg")).all()
    assert record_.due_since == date(2030, 5, 14)
