"""Retention (README, “Retention and destruction”): find what is due, destroy it, keep tombstones
and destruction records.

Categories and where their term starts:
- "afgesloten": closed at intake, weging, source check or after discussion without action
  (closing reasons in SHORT_REASONS): term from closing.
- "doorgezet": closed as "doorgezet_afgerond" (referred, no own municipal case): term from the
  latest referral sent, or from closing when none was sent. The referral record (partner,
  date, legal ground, the categories sent; no content, no package) is kept for its own term.
- "aanpak": closed as "aanpak_afgerond" (municipal approach, after monitoring): from closing.
- "verstrekking": the kept referral record of a destroyed signal: from its send date.
- "overleg": notes and decision rationales of a meeting's agenda items: from the meeting.
- "logboek": access log (from the event) and security log (auth.*), by prune_log.
A signal closed with an unknown reason is never due (safe side). A signal is on legal hold
when Signal.legal_hold is set or it is linked to an open data-subject request; held signals,
their meeting notes and their referral records are skipped.

Destruction works in batches with set-based statements, one commit per batch, so a run that
stops halfway is resumed by the next one. Files (attachments, referral packages) are removed
before the batch commits: a failed commit leaves rows whose files are gone, never files
whose rows say they were destroyed. No "signal.destroyed" log event per signal: the
destruction records (permanent, no personal data) are that record; the run itself is logged
once as "retention.run" when it starts.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import and_, delete, exists, func, insert, not_, or_, select, update

from casustafel import dates
from casustafel.audit_log import SECURITY_ACTION_PREFIXES, prune_log, record
from casustafel.dates import add_months
from casustafel.extensions import db
from casustafel.models import (
    Action,
    AgendaItem,
    Assessment,
    Attachment,
    AuditEvent,
    BreakGlass,
    DestructionRecord,
    Feedback,
    InformationRequest,
    Location,
    Meeting,
    PoliceInformation,
    PrivacyCheck,
    Referral,
    RetentionRun,
    Signal,
    SignalEvent,
    SourceQuery,
    Subject,
    SubjectRequest,
    SubjectRequestSignal,
)
from casustafel.settings import get_setting

PURPOSE = "bewaartermijnen"
SHORT_REASONS = ("geen_ondermijning", "geen_gemeentelijke_taak", "buiten_gemeente", "geen_vervolg",
                 "geen_hit", "besproken_geen_actie")
REFERRED_REASON = "doorgezet_afgerond"
CASE_REASON = "aanpak_afgerond"

# setting key -> (label, minimum months, maximum months)
_AFTER_CLOSING = "(maanden na afsluiten)"
_AFTER_REFERRAL = "(maanden na verstrekking)"
TERMS = {
    "retention_closed_months": (f"Afgesloten bij intake, weging of zonder actie {_AFTER_CLOSING}", 1, 120),
    "retention_referred_months": (f"Doorgezet zonder eigen gemeentelijke zaak: inhoud {_AFTER_REFERRAL}", 1, 120),
    "retention_referral_record_months": (f"Doorgezet: registratie van de verstrekking {_AFTER_REFERRAL}", 1, 240),
    "retention_case_months": (f"Zaak met gemeentelijke aanpak {_AFTER_CLOSING}", 1, 240),
    "retention_meeting_months": ("Aantekeningen bij overleggen (maanden na het overleg)", 1, 120),
    "retention_access_log_months": ("Logboek (maanden na de gebeurtenis)", 12, 240),
    "retention_security_log_months": ("Inlog- en beveiligingslog (maanden na de gebeurtenis)", 1, 120),
}

CATEGORIES = {
    "afgesloten": "Afgesloten bij intake, weging of zonder actie",
    "doorgezet": "Doorgezet zonder eigen gemeentelijke zaak",
    "aanpak": "Zaak met gemeentelijke aanpak",
    "verstrekking": "Registratie van verstrekkingen",
    "overleg": "Aantekeningen bij overleggen",
    "logboek": "Logboek en beveiligingslog",
}
SIGNAL_CATEGORIES = ("afgesloten", "doorgezet", "aanpak")
CATEGORY_TERM = {
    "afgesloten": "retention_closed_months",
    "doorgezet": "retention_referred_months",
    "aanpak": "retention_case_months",
    "verstrekking": "retention_referral_record_months",
    "overleg": "retention_meeting_months",
}
REFERENCE_SAMPLE = 200  # references kept per category in a run's summary


def months(key: str) -> int:
    return int(get_setting(key))


def months_before(moment: datetime, count: int) -> datetime:
    """The same moment `count` calendar months earlier (the 31st becomes the month's last day)."""
    return add_months(moment, -count)


def term_text(category: str) -> str:
    key = CATEGORY_TERM.get(category)
    if key is None:
        return f"{months('retention_access_log_months')} mnd / {months('retention_security_log_months')} mnd"
    start = {"doorgezet": "verstrekking", "verstrekking": "verstrekking", "overleg": "overleg"}.get(category,
                                                                                                 "afsluiten")
    return f"{months(key)} maanden na {start}"


@dataclass(frozen=True)
class Cutoffs:
    closed: datetime
    referred: datetime
    referral_record: datetime
    case: datetime
    meeting: datetime
    access_log: datetime
    security_log: datetime

    @classmethod
    def at(cls, now: datetime) -> "Cutoffs":
        return cls(*(months_before(now, months(key)) for key in TERMS))


# --- what is due ----------------------------------------------------------------------------


def on_hold():
    """SQL condition: the signal is on legal hold (flag, or linked to an open subject request)."""
    open_request = exists().where(
        SubjectRequestSignal.signal_id == Signal.id,
        SubjectRequestSignal.request_id == SubjectRequest.id,
        SubjectRequest.status == "open",
    )
    return or_(Signal.legal_hold.is_(True), open_request)


def _signal_condition(category: str, cut: Cutoffs):
    closed = and_(Signal.status == "afgesloten", Signal.destroyed_at.is_(None))
    if category == "afgesloten":
        return and_(closed, Signal.closing_reason.in_(SHORT_REASONS), Signal.closed_at < cut.closed)
    if category == "aanpak":
        return and_(closed, Signal.closing_reason == CASE_REASON, Signal.closed_at < cut.case)
    if category == "doorgezet":
        sent = exists().where(Referral.signal_id == Signal.id, Referral.sent_on.is_not(None))
        sent_recently = exists().where(Referral.signal_id == Signal.id, Referral.sent_on >= cut.referred.date())
        return and_(closed, Signal.closing_reason == REFERRED_REASON,
                    or_(and_(sent, not_(sent_recently)), and_(not_(sent), Signal.closed_at < cut.referred)))
    raise KeyError(category)


def due_signals(category: str, cut: Cutoffs, *, held: bool = False):
    """SELECT of (id, reference, due date column) for signals of `category` past their term."""
    hold = on_hold()
    return select(Signal.id, Signal.reference, Signal.closed_at).where(
        _signal_condition(category, cut), hold if held else not_(hold)
    )


def due_referral_records(cut: Cutoffs):
    return (
        select(Referral.id, Signal.reference, Referral.sent_on, Referral.partner_id)
        .join(Signal, Signal.id == Referral.signal_id)
        .where(Signal.destroyed_at.is_not(None), Referral.sent_on < cut.referral_record.date(), not_(on_hold()))
    )


def _has_text(model):
    return or_(model.notes_enc.is_not(None), model.decision_rationale_enc.is_not(None))


def due_meetings(cut: Cutoffs):
    item_due = (
        select(AgendaItem.id).join(Signal, Signal.id == AgendaItem.signal_id)
        .where(AgendaItem.meeting_id == Meeting.id, _has_text(AgendaItem), not_(on_hold()))
    )
    return select(Meeting.id, Meeting.held_at).where(Meeting.held_at < cut.meeting, exists(item_due))


def _security_condition():
    return or_(*(AuditEvent.action.startswith(p) for p in SECURITY_ACTION_PREFIXES))


@dataclass
class DueCategory:
    code: str
    label: str
    term: str
    count: int
    references: list[str] = field(default_factory=list)


def overview(now: datetime, sample: int = 50) -> dict:
    """What is due per category (counts and a sample of references) and what is on legal hold."""
    cut = Cutoffs.at(now)
    due = []
    for code in SIGNAL_CATEGORIES:
        stmt = due_signals(code, cut)
        count = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
        refs = db.session.scalars(select(stmt.subquery().c.reference).order_by("reference").limit(sample)).all()
        due.append(DueCategory(code, CATEGORIES[code], term_text(code), count, list(refs)))
    records = due_referral_records(cut)
    due.append(DueCategory(
        "verstrekking", CATEGORIES["verstrekking"], term_text("verstrekking"),
        db.session.scalar(select(func.count()).select_from(records.subquery())),
        list(db.session.scalars(select(records.subquery().c.reference).order_by("reference").limit(sample))),
    ))
    meetings = db.session.execute(due_meetings(cut).order_by(Meeting.held_at).limit(sample)).all()
    due.append(DueCategory(
        "overleg", CATEGORIES["overleg"], term_text("overleg"),
        db.session.scalar(select(func.count()).select_from(due_meetings(cut).subquery())),
        [f"Overleg {held_at:%d-%m-%Y}" for _id, held_at in meetings],
    ))
    due.append(DueCategory("logboek", CATEGORIES["logboek"], term_text("logboek"), _log_counts(cut)["total"]))
    held = db.session.execute(
        select(Signal.reference, Signal.legal_hold, Signal.legal_hold_reason, Signal.status)
        .where(Signal.destroyed_at.is_(None), on_hold()).order_by(Signal.reference).limit(500)
    ).all()
    held_due = sum(
        db.session.scalar(select(func.count()).select_from(due_signals(code, cut, held=True).subquery()))
        for code in SIGNAL_CATEGORIES
    )
    return {"due": due, "held": held, "held_due": held_due, "cutoffs": cut}


def _log_counts(cut: Cutoffs) -> dict:
    access = db.session.scalar(select(func.count()).where(AuditEvent.occurred_at < cut.access_log)) or 0
    security = db.session.scalar(
        select(func.count()).where(_security_condition(), AuditEvent.occurred_at < cut.security_log,
                                   AuditEvent.occurred_at >= cut.access_log)
    ) or 0
    return {"log_removed": access, "security_stubbed": security, "total": access + security}


# --- destroying -----------------------------------------------------------------------------


def _store():
    return current_app.extensions["casustafel_store"]


def destroy_signals(ids: list, now: datetime, record_cutoff: date) -> dict:
    """Destroy the content of these signals (set-based; the caller commits). Returns counts."""
    store = _store()
    counts = {}
    for attachment_id in db.session.scalars(select(Attachment.id).where(Attachment.signal_id.in_(ids))):
        store.delete(attachment_id)
    packages = db.session.scalars(
        select(Referral.id).where(Referral.signal_id.in_(ids), Referral.package_digest.is_not(None))
    ).all()
    for referral_id in packages:
        store.delete(referral_id)
    for model in (Attachment, Subject, Location, InformationRequest, Feedback, PoliceInformation):
        counts[model.__tablename__] = db.session.execute(
            delete(model).where(model.signal_id.in_(ids)), execution_options={"synchronize_session": False}
        ).rowcount
    for model, columns in (
        (SignalEvent, ("reason_enc",)),
        (Assessment, ("rationale_enc",)),
        (PrivacyCheck, ("request_note_enc", "rationale_enc")),
        (SourceQuery, ("summary_enc",)),
        (AgendaItem, ("notes_enc", "decision_rationale_enc")),
        (Action, ("description_enc", "result_enc")),
        (BreakGlass, ("reason_enc",)),
    ):
        db.session.execute(update(model).where(model.signal_id.in_(ids)).values(**dict.fromkeys(columns)),
                           execution_options={"synchronize_session": False})
    # Referrals: content and package go now; the record stays while its own term runs.
    db.session.execute(
        update(Referral).where(Referral.signal_id.in_(ids)).values(
            purpose_enc=None, legal_ground_note_enc=None, recipient_reference_enc=None, answer_enc=None,
            package_wrapped_key=None, package_digest=None, version=Referral.version + 1,
        ), execution_options={"synchronize_session": False},
    )
    gone = select(Referral.id).where(
        Referral.signal_id.in_(ids), or_(Referral.sent_on.is_(None), Referral.sent_on < record_cutoff)
    )
    counts["referral_deleted"] = _delete_referrals(gone)
    counts["packages"] = len(packages)
    db.session.execute(
        update(Signal).where(Signal.id.in_(ids)).values(
            description_enc=None, indicator_explanation_enc=None, reporter_phone_enc=None, reporter_id=None,
            destroyed_at=now, version=Signal.version + 1,
        ), execution_options={"synchronize_session": False},
    )
    return counts


def _delete_referrals(id_select) -> int:
    ids = db.session.scalars(id_select).all()
    if not ids:
        return 0
    db.session.execute(update(PrivacyCheck).where(PrivacyCheck.referral_id.in_(ids)).values(referral_id=None),
                       execution_options={"synchronize_session": False})
    return db.session.execute(delete(Referral).where(Referral.id.in_(ids)),
                              execution_options={"synchronize_session": False}).rowcount


def _as_date(value) -> date | None:
    return value.date() if isinstance(value, datetime) else value


@dataclass
class RunResult:
    run: RetentionRun
    summary: dict


Progress = Callable[[str], None]


def run_retention(actor, now: datetime, *, dry_run: bool, origin: str, batch_size: int = 500,
                  progress: Progress | None = None) -> RunResult:
    """One retention run. Commits: the run row and its log event first, then once per batch."""
    say = progress or (lambda _line: None)
    cut = Cutoffs.at(now)
    run = RetentionRun(started_at=now, dry_run=dry_run, actor_id=getattr(actor, "id", None), origin=origin)
    db.session.add(run)
    db.session.flush()
    record(actor, "retention.run", run, purpose=PURPOSE, reason_code="dry_run" if dry_run else "run")
    db.session.commit()
    run_id = run.id
    summary: dict = {"categories": {}, "on_hold_skipped": 0}

    for code in SIGNAL_CATEGORIES:
        summary["categories"][code] = _run_signal_category(code, cut, now, run_id, dry_run, batch_size, say)
    summary["categories"]["verstrekking"] = _run_referral_records(cut, now, run_id, dry_run, batch_size, say)
    summary["categories"]["overleg"] = _run_meetings(cut, now, run_id, dry_run, batch_size, say)
    summary["categories"]["logboek"] = _run_log(cut, now, run_id, dry_run)
    summary["on_hold_skipped"] = sum(
        db.session.scalar(select(func.count()).select_from(due_signals(code, cut, held=True).subquery()))
        for code in SIGNAL_CATEGORIES
    )
    run = db.session.get(RetentionRun, run_id)
    run.finished_at = now if dry_run else max(now, _clock())
    run.summary = json.dumps(summary)
    db.session.commit()
    say(f"Klaar: {sum(c['count'] for c in summary['categories'].values())} onderdelen"
        f"{' zouden worden' if dry_run else ''} vernietigd; {summary['on_hold_skipped']} meldingen onder bewaarplicht.")
    return RunResult(run, summary)


def _clock() -> datetime:
    return dates.utcnow()


def _batches(stmt, key_column, batch_size: int):
    """Yield batches of due rows until none is left. Each batch is destroyed and committed
    before the next query, so the query starts from the top again (destroyed rows drop out)."""
    while True:
        rows = db.session.execute(stmt.order_by(key_column).limit(batch_size)).all()
        if not rows:
            return
        yield rows
        if len(rows) < batch_size:
            return


def _run_signal_category(code, cut, now, run_id, dry_run, batch_size, say) -> dict:
    stmt = due_signals(code, cut)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    result = {"count": 0, "references": []}
    if not total:
        return result
    say(f"{CATEGORIES[code]}: {total} melding(en){' (proefrun)' if dry_run else ''}")
    if dry_run:  # counts and a sample of references are enough; fast enough for a web request
        sample = stmt.order_by(Signal.reference).limit(REFERENCE_SAMPLE)
        return {"count": total, "references": [row.reference for row in db.session.execute(sample)]}
    term = term_text(code)
    for rows in _batches(stmt, Signal.id, batch_size):
        counts = destroy_signals([row.id for row in rows], now, cut.referral_record.date())
        db.session.execute(insert(DestructionRecord), [
            {"run_id": run_id, "destroyed_at": now, "category": code, "object_type": "signal",
             "object_ref": row.reference, "term": term, "due_since": _as_date(row.closed_at),
             "details": None} for row in rows
        ])
        result.setdefault("removed", {})
        for key, value in counts.items():
            result["removed"][key] = result["removed"].get(key, 0) + value
        db.session.commit()
        result["count"] += len(rows)
        room = REFERENCE_SAMPLE - len(result["references"])
        result["references"].extend(row.reference for row in rows[:max(room, 0)])
        say(f"  {result['count']} van {total}")
    return result


def _run_referral_records(cut, now, run_id, dry_run, batch_size, say) -> dict:
    stmt = due_referral_records(cut)
    if dry_run:
        sub = stmt.subquery()
        return {"count": db.session.scalar(select(func.count()).select_from(sub)),
                "references": list(db.session.scalars(select(sub.c.reference).order_by(sub.c.reference)
                                                      .limit(REFERENCE_SAMPLE)))}
    result = {"count": 0, "references": []}
    term = term_text("verstrekking")
    for rows in _batches(stmt, Referral.id, batch_size):
        _delete_referrals(select(Referral.id).where(Referral.id.in_([row.id for row in rows])))
        db.session.execute(insert(DestructionRecord), [
            {"run_id": run_id, "destroyed_at": now, "category": "verstrekking", "object_type": "referral",
             "object_ref": row.reference, "term": term, "due_since": row.sent_on,
             "details": json.dumps({"partner_id": row.partner_id})} for row in rows
        ])
        db.session.commit()
        result["count"] += len(rows)
        room = REFERENCE_SAMPLE - len(result["references"])
        result["references"].extend(row.reference for row in rows[:max(room, 0)])
    if result["count"]:
        say(f"{CATEGORIES['verstrekking']}: {result['count']}")
    return result


def _run_meetings(cut, now, run_id, dry_run, batch_size, say) -> dict:
    stmt = due_meetings(cut)
    if dry_run:
        rows = db.session.execute(stmt.order_by(Meeting.held_at).limit(REFERENCE_SAMPLE)).all()
        return {"count": db.session.scalar(select(func.count()).select_from(stmt.subquery())),
                "references": [f"Overleg {row.held_at:%d-%m-%Y}" for row in rows]}
    result = {"count": 0, "references": []}
    term = term_text("overleg")
    for rows in _batches(stmt, Meeting.id, batch_size):
        for row in rows:
            held_signals = select(Signal.id).where(on_hold())
            cleared = db.session.execute(
                update(AgendaItem).where(AgendaItem.meeting_id == row.id, _has_text(AgendaItem),
                                         AgendaItem.signal_id.not_in(held_signals))
                .values(notes_enc=None, decision_rationale_enc=None, version=AgendaItem.version + 1),
                execution_options={"synchronize_session": False},
            ).rowcount
            db.session.add(DestructionRecord(
                run_id=run_id, destroyed_at=now, category="overleg", object_type="meeting",
                object_ref=str(row.id), term=term, due_since=row.held_at.date(),
                details=json.dumps({"agenda_items": cleared}),
            ))
            result["count"] += 1
            if len(result["references"]) < REFERENCE_SAMPLE:
                result["references"].append(f"Overleg {row.held_at:%d-%m-%Y}")
        db.session.commit()
    if result["count"]:
        say(f"{CATEGORIES['overleg']}: {result['count']}")
    return result


def _run_log(cut, now, run_id, dry_run) -> dict:
    if dry_run:
        counts = _log_counts(cut)
        return {"count": counts["total"], "references": [], "removed": counts}
    counts = prune_log(now, cut.access_log, cut.security_log)
    total = counts["log_removed"] + counts["security_stubbed"]
    if total:
        db.session.add(DestructionRecord(
            run_id=run_id, destroyed_at=now, category="logboek", object_type="audit_event",
            object_ref=f"tot {cut.access_log:%Y-%m-%d}", term=term_text("logboek"), due_since=None,
            details=json.dumps(counts),
        ))
    db.session.commit()
    return {"count": total, "references": [], "removed": counts}


# --- reading runs ---------------------------------------------------------------------------


def run_summary(run: RetentionRun) -> dict:
    return json.loads(run.summary) if run.summary else {"categories": {}, "on_hold_skipped": 0}


def recent_runs(limit: int = 20) -> list[RetentionRun]:
    return list(db.session.scalars(select(RetentionRun).order_by(RetentionRun.started_at.desc()).limit(limit)))


def recent_records(limit: int = 50) -> list[DestructionRecord]:
    return list(db.session.scalars(
        select(DestructionRecord).order_by(DestructionRecord.destroyed_at.desc(), DestructionRecord.object_ref)
        .limit(limit)
    ))


def records_of(run_id, limit: int | None = None) -> list[DestructionRecord]:
    stmt = (select(DestructionRecord).where(DestructionRecord.run_id == run_id)
            .order_by(DestructionRecord.category, DestructionRecord.object_ref))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def record_counts_of(run_id) -> dict[str, int]:
    rows = db.session.execute(
        select(DestructionRecord.category, func.count()).where(DestructionRecord.run_id == run_id)
        .group_by(DestructionRecord.category)
    ).all()
    return dict(rows)
