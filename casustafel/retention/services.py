"""Retention (README, “Retention and destruction”): the terms, what is due, and the runs and
destruction records to read back.

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

Destroying is casustafel/retention/destruction.py.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, exists, func, not_, or_, select

from casustafel.audit_log import SECURITY_ACTION_PREFIXES
from casustafel.dates import add_months
from casustafel.extensions import db
from casustafel.models import (
    AgendaItem,
    AuditEvent,
    DestructionRecord,
    Meeting,
    Referral,
    RetentionRun,
    Signal,
    SubjectRequest,
    SubjectRequestSignal,
)
from casustafel.settings import get_setting

PURPOSE = "bewaartermijnen"
SHORT_REASONS = ("geen_ondermijning", "geen_gemeentelijke_taak", "doorverwezen", "buiten_gemeente",
                 "geen_vervolg", "geen_hit", "besproken_geen_actie")
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


def has_text(model):
    return or_(model.notes_enc.is_not(None), model.decision_rationale_enc.is_not(None))


def due_meetings(cut: Cutoffs):
    item_due = (
        select(AgendaItem.id).join(Signal, Signal.id == AgendaItem.signal_id)
        .where(AgendaItem.meeting_id == Meeting.id, has_text(AgendaItem), not_(on_hold()))
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
    due.append(DueCategory("logboek", CATEGORIES["logboek"], term_text("logboek"), log_counts(cut)["total"]))
    held = db.session.execute(
        select(Signal.reference, Signal.legal_hold, Signal.legal_hold_reason, Signal.status)
        .where(Signal.destroyed_at.is_(None), on_hold()).order_by(Signal.reference).limit(500)
    ).all()
    held_due = sum(
        db.session.scalar(select(func.count()).select_from(due_signals(code, cut, held=True).subquery()))
        for code in SIGNAL_CATEGORIES
    )
    return {"due": due, "held": held, "held_due": held_due, "cutoffs": cut}


def log_counts(cut: Cutoffs) -> dict:
    access = db.session.scalar(select(func.count()).where(AuditEvent.occurred_at < cut.access_log)) or 0
    security = db.session.scalar(
        select(func.count()).where(_security_condition(), AuditEvent.occurred_at < cut.security_log,
                                   AuditEvent.occurred_at >= cut.access_log)
    ) or 0
    return {"log_removed": access, "security_stubbed": security, "total": access + security}


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
