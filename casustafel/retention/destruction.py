"""Retention: destroying what is due (casustafel/retention/services.py says what is).

Destruction works in batches with set-based statements, one commit per batch, so a run that
stops halfway is resumed by the next one. Files (attachments, referral packages, the e-mails of
concepts nobody handled) are removed
before the batch commits: a failed commit leaves rows whose files are gone, never files
whose rows say they were destroyed. No "signal.destroyed" log event per signal: the
destruction records (permanent, no personal data) are that record; the run itself is logged
once as "retention.run" when it starts. The run also removes registration stagings of
e-mails (`.mail-*` in UPLOAD_TMP_DIR) past their life (signals/mail_register.py); they are
transient copies under a key the server never kept, so they get no destruction record.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, func, insert, or_, select, update

from casustafel import dates
from casustafel.audit_log import prune_log, record
from casustafel.extensions import db
from casustafel.models import (
    Action,
    AgendaItem,
    Assessment,
    Attachment,
    BibobRecord,
    BreakGlass,
    CasePlan,
    CaseSystemLink,
    DestructionRecord,
    Feedback,
    InformationRequest,
    InformingDecision,
    Location,
    MailConcept,
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
from casustafel.retention.services import (
    CATEGORIES,
    PURPOSE,
    REFERENCE_SAMPLE,
    SIGNAL_CATEGORIES,
    Cutoffs,
    due_mail_concepts,
    due_meetings,
    due_referral_records,
    due_requests,
    due_signals,
    has_meeting_text,
    log_counts,
    long_open,
    mail_reference,
    on_hold,
    remind_long_open,
    selectielijst_text,
    term_text,
)
from casustafel.spool import MAIL_STAGE_SECONDS, sweep_staged
from casustafel.wording import counted


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
    # Bibob records and case-system links go whole: nothing in them is needed for the figures.
    # Received information goes whole, with its exceptions (their task and reasoning), before
    # the referrals an exception may name.
    # The coordinators' internal notes go whole: free text, nothing the figures need.
    for model in (InformingDecision, Attachment, Subject, Location, InformationRequest, Feedback, SignalNote,
                  ReceivedInformationException, ReceivedInformation, BibobRecord, CaseSystemLink, OpenJustification):
        counts[model.__tablename__] = db.session.execute(
            delete(model).where(model.signal_id.in_(ids)), execution_options={"synchronize_session": False}
        ).rowcount
    for model, columns in (
        (SignalEvent, ("reason_enc",)),
        (Assessment, ("rationale_enc", "referred_to_enc")),
        (PrivacyCheck, ("request_note_enc", "rationale_enc")),
        (PrivacyCheckRegister, ("legal_basis_enc", "compatibility_enc", "necessity_enc")),
        (SourceQuery, ("summary_enc",)),
        (AgendaItem, ("notes_enc", "decision_rationale_enc")),
        (Action, ("description_enc", "result_enc")),
        (BreakGlass, ("reason_enc",)),
        (CasePlan, ("goal_enc", "interventions_enc")),
        (MonitoringPeriod, ("reason_enc",)),
        (ProcessingRestriction, ("reason_enc", "lift_reason_enc")),
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
            description_enc=None, indicator_explanation_enc=None, summary_enc=None, summary_recorded_at=None,
            reporter_phone_enc=None, reporter_id=None, submission_key=None,
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
    db.session.execute(delete(ReceivedInformationException).where(ReceivedInformationException.referral_id.in_(ids)),
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
    summary["categories"]["verzoek"] = _run_requests(cut, now, run_id, dry_run, batch_size, say)
    summary["categories"]["e-mail"] = _run_mail_concepts(cut, now, run_id, dry_run, batch_size, say)
    summary["staged_mail_removed"] = _sweep_staged_mail(dry_run, say)
    summary["categories"]["logboek"] = _run_log(cut, now, run_id, dry_run)
    summary["long_open"] = _remind_long_open(now, dry_run, say)
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
    say(f"{CATEGORIES[code]}: {counted(total, 'melding', 'meldingen')}{' (proefrun)' if dry_run else ''}")
    if dry_run:  # counts and a sample of references are enough; fast enough for a web request
        sample = stmt.order_by(Signal.reference).limit(REFERENCE_SAMPLE)
        return {"count": total, "references": [row.reference for row in db.session.execute(sample)]}
    term = term_text(code)
    for rows in _batches(stmt, Signal.id, batch_size):
        counts = destroy_signals([row.id for row in rows], now, cut.referral_record.date())
        db.session.execute(insert(DestructionRecord), [
            {"run_id": run_id, "destroyed_at": now, "category": code, "object_type": "signal",
             "object_ref": row.reference, "term": term, "due_since": _as_date(row.closed_at),
             "selectielijst": selectielijst_text(code), "details": None} for row in rows
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
             "selectielijst": selectielijst_text("verstrekking"),
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
                "references": [f"Overleg {dates.short_date(row.held_at)}" for row in rows]}
    result = {"count": 0, "references": []}
    term = term_text("overleg")
    for rows in _batches(stmt, Meeting.id, batch_size):
        for row in rows:
            held_signals = select(Signal.id).where(on_hold())
            cleared = db.session.execute(
                update(AgendaItem).where(AgendaItem.meeting_id == row.id, has_meeting_text(AgendaItem),
                                         AgendaItem.signal_id.not_in(held_signals))
                .values(notes_enc=None, version=AgendaItem.version + 1),
                execution_options={"synchronize_session": False},
            ).rowcount
            db.session.add(DestructionRecord(
                run_id=run_id, destroyed_at=now, category="overleg", object_type="meeting",
                object_ref=str(row.id), term=term, due_since=dates.to_local(row.held_at).date(),
                selectielijst=selectielijst_text("overleg"), details=json.dumps({"agenda_items": cleared}),
            ))
            result["count"] += 1
            if len(result["references"]) < REFERENCE_SAMPLE:
                result["references"].append(f"Overleg {dates.short_date(row.held_at)}")
        db.session.commit()
    if result["count"]:
        say(f"{CATEGORIES['overleg']}: {result['count']}")
    return result


def request_columns() -> dict:
    """{model: encrypted columns} of a request file: the request's own and those of any table
    that hangs from it (so a text added to the file later is destroyed with it). A restriction of
    processing only points at the request it came from: its texts belong to the signal and go
    with it (destroy_signals)."""
    found = {}
    for mapper in db.Model.registry.mappers:
        cls = mapper.class_
        table = cls.__table__
        if cls is ProcessingRestriction:
            continue
        if cls is not SubjectRequest and not any(fk.column.table.name == SubjectRequest.__tablename__
                                                 for fk in table.foreign_keys):
            continue
        columns = sorted({value.column for klass in cls.__mro__ for value in vars(klass).values()
                          if isinstance(value, Encrypted)})
        if columns:
            found[cls] = columns
    return found


def destroy_requests(ids: list) -> None:
    """Destroy the personal data of these request files (set-based; the caller commits): every
    encrypted field, and the links to the signals found for the subject. The number, type,
    dates and decision codes stay."""
    db.session.execute(delete(SubjectRequestSignal).where(SubjectRequestSignal.request_id.in_(ids)),
                       execution_options={"synchronize_session": False})
    for model, columns in request_columns().items():
        key = model.id if model is SubjectRequest else next(
            getattr(model, column.name) for column in model.__table__.columns
            if any(fk.column.table.name == SubjectRequest.__tablename__ for fk in column.foreign_keys))
        values = dict.fromkeys(columns)
        if model is SubjectRequest:
            values.update(version=SubjectRequest.version + 1)
        db.session.execute(update(model).where(key.in_(ids)).values(**values),
                           execution_options={"synchronize_session": False})


def _run_requests(cut, now, run_id, dry_run, batch_size, say) -> dict:
    stmt = due_requests(cut)
    if dry_run:
        sub = stmt.subquery()
        return {"count": db.session.scalar(select(func.count()).select_from(sub)),
                "references": list(db.session.scalars(select(sub.c.number).order_by(sub.c.number)
                                                      .limit(REFERENCE_SAMPLE)))}
    result = {"count": 0, "references": []}
    term = term_text("verzoek")
    for rows in _batches(stmt, SubjectRequest.id, batch_size):
        ids = [row.id for row in rows]
        destroy_requests(ids)
        db.session.execute(update(SubjectRequest).where(SubjectRequest.id.in_(ids)).values(destroyed_at=now),
                           execution_options={"synchronize_session": False})
        db.session.execute(insert(DestructionRecord), [
            {"run_id": run_id, "destroyed_at": now, "category": "verzoek", "object_type": "subject_request",
             "object_ref": row.number, "term": term, "due_since": _as_date(row.closed_at),
             "selectielijst": selectielijst_text("verzoek"), "details": None} for row in rows
        ])
        db.session.commit()
        result["count"] += len(rows)
        room = REFERENCE_SAMPLE - len(result["references"])
        result["references"].extend(row.number for row in rows[:max(room, 0)])
    if result["count"]:
        say(f"{CATEGORIES['verzoek']}: {result['count']}")
    return result


def destroy_mail_concepts(rows, now: datetime) -> None:
    """Destroy e-mails nobody handled (set-based; the caller commits): the file goes from the
    store first, then subject, sender and the file's key; `handled_at` is set, so the marker
    (keyed Message-ID, dates) stays and the same e-mail fetched again is still known."""
    store = _store()
    for row in rows:
        if row.file_id is not None:
            store.delete(row.file_id)
    db.session.execute(
        update(MailConcept).where(MailConcept.id.in_([row.id for row in rows]), MailConcept.handled_at.is_(None))
        .values(subject_enc=None, sender_enc=None, file_id=None, wrapped_key=None, digest=None, handled_at=now),
        execution_options={"synchronize_session": False},
    )


def _run_mail_concepts(cut, now, run_id, dry_run, batch_size, say) -> dict:
    stmt = due_mail_concepts(cut)
    if dry_run:
        rows = db.session.execute(stmt.order_by(MailConcept.received_at, MailConcept.id)
                                  .limit(REFERENCE_SAMPLE)).all()
        return {"count": db.session.scalar(select(func.count()).select_from(stmt.subquery())),
                "references": [mail_reference(row.received_at) for row in rows]}
    result = {"count": 0, "references": []}
    term = term_text("e-mail")
    for rows in _batches(stmt, MailConcept.id, batch_size):
        destroy_mail_concepts(rows, now)
        # The concept's id only: no sender, subject or Message-ID in the record.
        db.session.execute(insert(DestructionRecord), [
            {"run_id": run_id, "destroyed_at": now, "category": "e-mail", "object_type": "mail_concept",
             "object_ref": str(row.id), "term": term, "due_since": dates.to_local(row.received_at).date(),
             "selectielijst": selectielijst_text("e-mail"), "details": None} for row in rows
        ])
        db.session.commit()
        result["count"] += len(rows)
        room = REFERENCE_SAMPLE - len(result["references"])
        result["references"].extend(mail_reference(row.received_at) for row in rows[:max(room, 0)])
    if result["count"]:
        say(f"{CATEGORIES['e-mail']}: {counted(result['count'], 'e-mail', 'e-mails')}")
    return result


def _sweep_staged_mail(dry_run, say) -> int:
    """Remove (a dry run: count) e-mails staged for registration longer ago than their life."""
    folder = Path(current_app.config["UPLOAD_TMP_DIR"])
    if not folder.is_dir():
        return 0
    removed = sweep_staged(folder, MAIL_STAGE_SECONDS, remove=not dry_run)
    if removed:
        say(f"Klaargezette e-mails ouder dan {MAIL_STAGE_SECONDS // 3600} uur: {removed}"
            f"{' (proefrun)' if dry_run else ' verwijderd'}.")
    return removed


def _remind_long_open(now, dry_run, say) -> dict:
    """The coordinators are reminded of signals open too long; a dry run only counts them."""
    if dry_run:
        items = long_open(now)
        return {"count": len(items), "reminded": sum(item.needs_reminder for item in items)}
    reminded, messages = remind_long_open(None, now)
    count = len(long_open(now))
    db.session.commit()
    if reminded:
        say(f"Lang open zonder activiteit: {counted(reminded, 'melding', 'meldingen')}, "
            f"{counted(messages, 'bericht', 'berichten')} aan regisseurs.")
    return {"count": count, "reminded": reminded}


def _run_log(cut, now, run_id, dry_run) -> dict:
    if dry_run:
        counts = log_counts(cut)
        return {"count": counts["total"], "references": [], "removed": counts}
    counts = prune_log(now, cut.access_log, cut.security_log)
    total = counts["log_removed"] + counts["security_stubbed"]
    if total:
        db.session.add(DestructionRecord(
            run_id=run_id, destroyed_at=now, category="logboek", object_type="audit_event",
            object_ref=f"tot {cut.access_log:%Y-%m-%d}", term=term_text("logboek"), due_since=None,
            selectielijst=selectielijst_text("logboek"), details=json.dumps(counts),
        ))
    db.session.commit()
    return {"count": total, "references": [], "removed": counts}


