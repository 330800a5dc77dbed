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
- "overleg": the discussion notes of a meeting's agenda items (intern ambtelijk overleg): from
  the meeting. The decision and its rationale belong to the case file: they stay as long as the
  signal and are destroyed with it, under the signal's own term.
- "verzoek": a handled data-subject request file (name, date of birth, identifiers, texts; the
  found signals): from its handling. Number, type and dates stay.
- "e-mail": an e-mail of the meldpunt mailbox that waits as a concept (MailConcept) and that
  nobody registered or discarded: from its receipt. Its file, subject and sender go; the marker
  (keyed Message-ID, dates) stays, so the same e-mail fetched again is still known. No legal
  hold: it is no signal yet. The same run removes registration stagings (`.mail-*` in
  UPLOAD_TMP_DIR) older than their life (signals/mail_register.py).
- "logboek": access log (from the event) and security log (auth.*), by prune_log.
Every category names its VNG Selectielijst result type (SELECTIELIJST), shown on the page, in
the verklaring van vernietiging and in each destruction record.

An open signal without activity for "retention_long_open_months" is "lang open": it is listed
on the page and the coordinators are reminded (once per quiet stretch) to close it or record why
it stays open (OpenJustification). Nothing of it is destroyed while it is open.
A signal closed with an unknown reason is never due (safe side). A signal is on legal hold
when Signal.legal_hold is set or it is linked to an open data-subject request; held signals,
their meeting notes and their referral records are skipped.

Destroying is casustafel/retention/destruction.py.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, time

from sqlalchemy import and_, exists, func, not_, or_, select, update

from casustafel.audit_log import SECURITY_ACTION_PREFIXES, record
from casustafel.dates import add_months, short_date
from casustafel.extensions import db
from casustafel.models import (
    STATUSES,
    Action,
    AgendaItem,
    Assessment,
    Attachment,
    AuditEvent,
    CasePlan,
    DestructionRecord,
    Feedback,
    InformationRequest,
    MailConcept,
    Meeting,
    MonitoringPeriod,
    OpenJustification,
    PrivacyCheck,
    ProcessingRestriction,
    Referral,
    RetentionRun,
    Role,
    Signal,
    SignalEvent,
    SignalStatus,
    SourceQuery,
    SubjectRequest,
    SubjectRequestSignal,
    SubjectRequestStatus,
)
from casustafel.models.user import active_with_role
from casustafel.notifications import app_link, notify
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
    "retention_meeting_months": ("Aantekeningen bij overleggen, zonder de motivering van besluiten "
                                 "(maanden na het overleg)", 1, 120),
    "retention_request_months": ("Dossier van een verzoek van een betrokkene (maanden na afhandelen)", 1, 240),
    "retention_mail_months": ("E-mail in de meldpunt-inbox, niet geregistreerd (maanden na ontvangst)", 1, 120),
    "retention_access_log_months": ("Logboek (maanden na de gebeurtenis)", 12, 240),
    "retention_security_log_months": ("Inlog- en beveiligingslog (maanden na de gebeurtenis)", 1, 120),
}
# Not a retention term (nothing is destroyed while a signal is open): when an open signal
# without activity is "lang open", listed and reminded about. Set on the same admin page.
REMINDER_TERMS = {
    "retention_long_open_months": ("Melding open zonder activiteit: herinnering aan de regisseur "
                                   "(maanden na de laatste activiteit)", 1, 120),
}
FORM_TERMS = {**TERMS, **REMINDER_TERMS}

CATEGORIES = {
    "afgesloten": "Afgesloten bij intake, weging of zonder actie",
    "doorgezet": "Doorgezet zonder eigen gemeentelijke zaak",
    "aanpak": "Zaak met gemeentelijke aanpak",
    "verstrekking": "Registratie van verstrekkingen",
    "overleg": "Aantekeningen bij overleggen",
    "verzoek": "Dossiers van verzoeken van betrokkenen",
    "e-mail": "E-mails in de meldpunt-inbox die niet zijn geregistreerd",
    "logboek": "Logboek en beveiligingslog",
}
SIGNAL_CATEGORIES = ("afgesloten", "doorgezet", "aanpak")
CATEGORY_TERM = {
    "afgesloten": "retention_closed_months",
    "doorgezet": "retention_referred_months",
    "aanpak": "retention_case_months",
    "verstrekking": "retention_referral_record_months",
    "overleg": "retention_meeting_months",
    "verzoek": "retention_request_months",
    "e-mail": "retention_mail_months",
}


@dataclass(frozen=True)
class SelectielijstReference:
    """The VNG Selectielijst gemeenten en intergemeentelijke organen result type behind a
    category, by its name (no result-type numbers: see docs/retention.md)."""

    result_type: str
    term: str
    note: str = ""

    @property
    def text(self) -> str:
        return f"‘{self.result_type}’ ({self.term}){f'; {self.note}' if self.note else ''}"


SELECTIELIJST_NAME = "VNG Selectielijst gemeenten en intergemeentelijke organen"
SELECTIELIJST = {
    "afgesloten": SelectielijstReference("Afgebroken", "1 jaar"),
    "doorgezet": SelectielijstReference("Afgebroken", "1 jaar", "de gemeente zelf deed niets verder"),
    "aanpak": SelectielijstReference("Toezicht uitgevoerd", "5 jaar",
                                     "een handhavingsbesluit: ‘Handhaving uitgevoerd’ (10 jaar), in het zaaksysteem"),
    "verstrekking": SelectielijstReference("Toezicht uitgevoerd", "5 jaar", "te verifiëren"),
    "overleg": SelectielijstReference("Intern ambtelijk overleg", "1 jaar"),
    "verzoek": SelectielijstReference("Verzoeken – ingewilligd", "5 jaar"),
    "e-mail": SelectielijstReference("Afgebroken", "1 jaar", "geen melding van gemaakt"),
    "logboek": SelectielijstReference("Login-gegevens", "6 maanden", "geldt voor het inloglog; logboek: te verifiëren"),
}


def selectielijst_text(category: str) -> str:
    reference = SELECTIELIJST.get(category)
    return reference.text if reference else "niet vastgelegd"
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
    start = {"doorgezet": "verstrekking", "verstrekking": "verstrekking", "overleg": "overleg",
             "verzoek": "afhandelen", "e-mail": "ontvangst"}.get(category, "afsluiten")
    return f"{months(key)} maanden na {start}"


_CUTOFF_TERMS = {
    "closed": "retention_closed_months",
    "referred": "retention_referred_months",
    "referral_record": "retention_referral_record_months",
    "case": "retention_case_months",
    "meeting": "retention_meeting_months",
    "request": "retention_request_months",
    "mail": "retention_mail_months",
    "long_open": "retention_long_open_months",
    "access_log": "retention_access_log_months",
    "security_log": "retention_security_log_months",
}


@dataclass(frozen=True)
class Cutoffs:
    closed: datetime
    referred: datetime
    referral_record: datetime
    case: datetime
    meeting: datetime
    request: datetime
    mail: datetime
    long_open: datetime
    access_log: datetime
    security_log: datetime

    @classmethod
    def at(cls, now: datetime) -> "Cutoffs":
        return cls(**{name: months_before(now, months(key)) for name, key in _CUTOFF_TERMS.items()})


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


def has_meeting_text(model):
    """The meeting-level text of an agenda item: its discussion notes. The decision and its
    rationale are the case file's and are not meeting-level."""
    return model.notes_enc.is_not(None)


def due_meetings(cut: Cutoffs):
    item_due = (
        select(AgendaItem.id).join(Signal, Signal.id == AgendaItem.signal_id)
        .where(AgendaItem.meeting_id == Meeting.id, has_meeting_text(AgendaItem), not_(on_hold()))
    )
    return select(Meeting.id, Meeting.held_at).where(Meeting.held_at < cut.meeting, exists(item_due))


def due_requests(cut: Cutoffs):
    """Handled data-subject request files past their term, not yet destroyed. An open request
    is never due, nor one with a restriction of processing (art. 18 AVG) still in force on a
    signal that is not destroyed: the file is what the restriction is lifted from."""
    restriction_in_force = exists().where(
        ProcessingRestriction.request_id == SubjectRequest.id, ProcessingRestriction.lifted_at.is_(None),
        ProcessingRestriction.signal_id == Signal.id, Signal.destroyed_at.is_(None),
    )
    return select(SubjectRequest.id, SubjectRequest.number, SubjectRequest.closed_at).where(
        SubjectRequest.status == SubjectRequestStatus.AFGEHANDELD.value, SubjectRequest.destroyed_at.is_(None),
        SubjectRequest.closed_at.is_not(None), SubjectRequest.closed_at < cut.request, not_(restriction_in_force),
    )


def due_mail_concepts(cut: Cutoffs):
    """E-mails of the meldpunt mailbox still waiting as a concept (nobody registered or discarded
    them) and received before the term: (id, received_at, file_id)."""
    return select(MailConcept.id, MailConcept.received_at, MailConcept.file_id).where(
        MailConcept.handled_at.is_(None), MailConcept.received_at < cut.mail,
    )


def mail_reference(received_at: datetime) -> str:
    """What a run's summary shows of a destroyed e-mail: its date only."""
    return f"E-mail {short_date(received_at)}"


# --- open too long ---------------------------------------------------------------------------


LONG_OPEN_SUBJECT = "Melding lang open zonder activiteit"
LONG_OPEN_BODY = ("In casustafel staat een melding lang open zonder activiteit. Sluit de melding af of leg vast "
                  "waarom zij openblijft (Meldingen, ‘Lang open zonder activiteit’).")


def open_condition():
    """SQL condition: the signal is open (not closed, not destroyed)."""
    return and_(Signal.status != SignalStatus.AFGESLOTEN.value, Signal.destroyed_at.is_(None))


def _activity_moments():
    """(signal id column, moment column) of every recorded step on a signal: a status change, a
    weighing, a privacy or source check, a decision, an action, a plan, a monitoring period, a
    referral, feedback, a question to the reporter, an attachment, a recorded reason to keep it open."""
    return (
        (SignalEvent.signal_id, SignalEvent.occurred_at),
        (Assessment.signal_id, Assessment.assessed_at),
        (PrivacyCheck.signal_id, PrivacyCheck.requested_at),
        (PrivacyCheck.signal_id, PrivacyCheck.decided_at),
        (SourceQuery.signal_id, SourceQuery.queried_at),
        (AgendaItem.signal_id, AgendaItem.decided_at),
        (Action.signal_id, Action.created_at),
        (Action.signal_id, Action.completed_at),
        (CasePlan.signal_id, CasePlan.recorded_at),
        (MonitoringPeriod.signal_id, MonitoringPeriod.set_at),
        (Referral.signal_id, Referral.created_at),
        (Feedback.signal_id, Feedback.sent_at),
        (InformationRequest.signal_id, InformationRequest.asked_at),
        (InformationRequest.signal_id, InformationRequest.answered_at),
        (Attachment.signal_id, Attachment.created_at),
        (OpenJustification.signal_id, OpenJustification.recorded_at),
    )


def last_activity(now: datetime) -> dict:
    """{signal id: the latest activity} of every open signal. A meeting counts once held; a
    monitoring period counts until its end date (a case watched on purpose is not idle)."""
    open_ids = select(Signal.id).where(open_condition())
    latest: dict = {}

    def take(rows):
        for signal_id, moment in rows:
            if moment is None:
                continue
            if not isinstance(moment, datetime):
                moment = datetime.combine(moment, time())
            if signal_id not in latest or moment > latest[signal_id]:
                latest[signal_id] = moment

    take(db.session.execute(select(Signal.id, Signal.received_at).where(open_condition())))
    for signal_col, moment_col in _activity_moments():
        take(db.session.execute(select(signal_col, func.max(moment_col))
                                .where(signal_col.in_(open_ids)).group_by(signal_col)))
    take(db.session.execute(
        select(AgendaItem.signal_id, func.max(Meeting.held_at)).join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(AgendaItem.signal_id.in_(open_ids), Meeting.held_at <= now).group_by(AgendaItem.signal_id)
    ))
    take(db.session.execute(select(MonitoringPeriod.signal_id, func.max(MonitoringPeriod.ends_on))
                            .where(MonitoringPeriod.signal_id.in_(open_ids)).group_by(MonitoringPeriod.signal_id)))
    return {signal_id: min(moment, now) for signal_id, moment in latest.items()}


@dataclass
class LongOpen:
    signal_id: object
    reference: str
    status: str
    last_activity: datetime
    reminded_at: datetime | None

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def needs_reminder(self) -> bool:
        """Once per quiet stretch: not reminded since the last activity."""
        return self.reminded_at is None or self.reminded_at < self.last_activity


def long_open(now: datetime, cut: Cutoffs | None = None) -> list[LongOpen]:
    """Open signals whose latest activity lies before the long-open term, oldest first."""
    cut = cut or Cutoffs.at(now)
    idle = {signal_id: moment for signal_id, moment in last_activity(now).items() if moment < cut.long_open}
    if not idle:
        return []
    rows = db.session.execute(
        select(Signal.id, Signal.reference, Signal.status, Signal.long_open_reminded_at)
        .where(Signal.id.in_(list(idle)))
    ).all()
    found = [LongOpen(row.id, row.reference, row.status, idle[row.id], row.long_open_reminded_at) for row in rows]
    return sorted(found, key=lambda item: (item.last_activity, item.reference))


def long_open_signal(signal_id, now: datetime) -> LongOpen | None:
    return next((item for item in long_open(now) if item.signal_id == signal_id), None)


def remind_long_open(actor, now: datetime) -> tuple[int, int]:
    """Queue one content-free message per active coordinator when a signal became long open and
    was not reminded of since its last activity; log each signal. Return (signals, messages).
    The caller commits."""
    due = [item for item in long_open(now) if item.needs_reminder]
    if not due:
        return 0, 0
    coordinators = active_with_role(Role.COORDINATOR)
    # One signal: the page to close it or say why it stays open; more: the list. The id only.
    link = (app_link("retention.justify_open", signal_id=due[0].signal_id) if len(due) == 1
            else app_link("retention.long_open"))
    for user in coordinators:
        notify(user, LONG_OPEN_SUBJECT, LONG_OPEN_BODY, link=link)
    for item in due:
        record(actor, "signal.long_open_reminded", object_type="signal", object_id=item.signal_id, purpose=PURPOSE)
    db.session.execute(
        update(Signal).where(Signal.id.in_([item.signal_id for item in due]))
        .values(long_open_reminded_at=now, updated_at=Signal.updated_at),
        execution_options={"synchronize_session": False},
    )
    return len(due), len(coordinators)


class JustificationError(ValueError):
    pass


MAX_JUSTIFICATION = 2000
NEED_JUSTIFICATION = "Geef aan waarom de melding openblijft."
TOO_LONG_JUSTIFICATION = f"Gebruik hoogstens {MAX_JUSTIFICATION} tekens."
NOT_OPEN = "Deze melding is niet (meer) open; er valt niets te motiveren."


def justify_open(actor, signal: Signal, reason: str) -> OpenJustification:
    """Record why an open signal stays open; it counts as activity. Never overwrites an earlier
    reason. Logged without the text. The caller commits."""
    text = (reason or "").strip()
    if signal.status == SignalStatus.AFGESLOTEN.value or signal.destroyed_at is not None:
        raise JustificationError(NOT_OPEN)
    if not text:
        raise JustificationError(NEED_JUSTIFICATION)
    if len(text) > MAX_JUSTIFICATION:
        raise JustificationError(TOO_LONG_JUSTIFICATION)
    item = OpenJustification(signal_id=signal.id, recorded_by_id=getattr(actor, "id", None))
    item.reason = text
    db.session.add(item)
    record(actor, "signal.open_justified", signal, purpose=PURPOSE)
    return item


def _security_condition():
    return or_(*(AuditEvent.action.startswith(p) for p in SECURITY_ACTION_PREFIXES))


@dataclass
class DueCategory:
    code: str
    label: str
    term: str
    count: int
    references: list[str] = field(default_factory=list)

    @property
    def selectielijst(self) -> str:
        return selectielijst_text(self.code)


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
        [f"Overleg {short_date(held_at)}" for _id, held_at in meetings],
    ))
    requests = due_requests(cut)
    due.append(DueCategory(
        "verzoek", CATEGORIES["verzoek"], term_text("verzoek"),
        db.session.scalar(select(func.count()).select_from(requests.subquery())),
        list(db.session.scalars(select(requests.subquery().c.number).order_by("number").limit(sample))),
    ))
    mails = due_mail_concepts(cut)
    due.append(DueCategory(
        "e-mail", CATEGORIES["e-mail"], term_text("e-mail"),
        db.session.scalar(select(func.count()).select_from(mails.subquery())),
        [mail_reference(row.received_at) for row in
         db.session.execute(mails.order_by(MailConcept.received_at, MailConcept.id).limit(sample))],
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
    return {"due": due, "held": held, "held_due": held_due, "cutoffs": cut,
            "long_open": long_open(now, cut), "long_open_months": months("retention_long_open_months")}


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


def all_records() -> list[DestructionRecord]:
    """The whole destruction register, oldest first (for the export)."""
    return list(db.session.scalars(
        select(DestructionRecord).order_by(DestructionRecord.destroyed_at, DestructionRecord.category,
                                           DestructionRecord.object_ref)
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
