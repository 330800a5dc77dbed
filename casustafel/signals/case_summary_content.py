"""The case summary (zaakoverzicht): where one signal stands, on one A4 page, for the coordinator.

Every list is cut to what fits the page, with the number left out ("en 3 eerdere notities"),
and every free text is shortened between words (`wording.shortened`), so a signal with twenty
subjects or thirty long notes still gives one page; the workspace has the rest. Never in it:
the reporter, received information (not to be passed on) and the Bibob file (art. 28 Wet Bibob).
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from casustafel.dates import short_date
from casustafel.extensions import db
from casustafel.models import (
    LEGAL_HOLD_REASONS,
    Action,
    AgendaItem,
    Assessment,
    Meeting,
    PrivacyCheck,
    Referral,
    Signal,
    SignalNote,
)
from casustafel.models.action import ActionStatus
from casustafel.models.checks import CheckStatus
from casustafel.models.meeting import MeetingStatus
from casustafel.signals.assessment_forms import KIND_LABELS, outcome_label
from casustafel.wording import shortened

SUBJECTS_SHOWN = 5
PLACES_SHOWN = 4
CHECKS_SHOWN = 3
MEETINGS_SHOWN = 2
ACTIONS_SHOWN = 5
REFERRALS_SHOWN = 3
NOTES_SHOWN = 5
NAME_LENGTH = 40  # a subject's name, an owner's
ADDRESS_LENGTH = 64
TEXT_LENGTH = 420  # the anonymised summary (or the description)
NOTE_LENGTH = 140
LINE_LENGTH = 80  # anything else on one line


@dataclass
class Part:
    """The first items of a list that fit the page, and how many were left out."""

    items: list
    more: int = 0


def _part(items, shown: int, total: int | None = None) -> Part:
    """`items` are the first ones already when `total` (the number of all) is given."""
    items = list(items)
    total = len(items) if total is None else total
    return Part(items=items[:shown], more=max(total - shown, 0))


@dataclass
class Line:
    """One line of a list: what, and its details (a date, a name, an outcome)."""

    text: str
    detail: str | None = None
    when: date | datetime | None = None
    late: bool = False


@dataclass
class CaseSummary:
    signal: Signal
    owner: str | None
    subjects: Part
    places: Part
    text: str | None  # the anonymised summary, else the reporter's description
    text_is_description: bool
    weighings: list[Line] = field(default_factory=list)  # the latest of each weighing
    checks: Part = field(default_factory=lambda: Part([]))
    meetings: Part = field(default_factory=lambda: Part([]))
    decision: Line | None = None  # the casustafel's latest decision
    actions: Part = field(default_factory=lambda: Part([]))
    referrals: Part = field(default_factory=lambda: Part([]))
    legal_hold: Line | None = None
    notes: Part = field(default_factory=lambda: Part([]))
    subject_ids: list[str] = field(default_factory=list)  # pseudonyms of the subjects shown, for the log


def _subject_line(subject) -> Line:
    details = [subject.kind_label, subject.role_label.lower()]
    if subject.birth_date:
        details.append(f"geboren {short_date(subject.birth_date)}")
    if subject.kvk_number:
        details.append(f"KvK {subject.kvk_number}")
    if subject.address_line:
        details.append(shortened(subject.address_line, ADDRESS_LENGTH))
    return Line(text=shortened(subject.name, NAME_LENGTH) or subject.kind_label, detail=", ".join(details))


def _weighings(signal: Signal) -> list[Line]:
    latest = {}
    for assessment in db.session.scalars(
        select(Assessment).options(joinedload(Assessment.assessed_by))
        .where(Assessment.signal_id == signal.id).order_by(Assessment.assessed_at)
    ):
        latest[assessment.kind] = assessment
    return [
        Line(text=KIND_LABELS.get(kind, kind), detail=shortened(outcome_label(kind, a.outcome), LINE_LENGTH),
             when=a.assessed_at)
        for kind in KIND_LABELS if (a := latest.get(kind))
    ]


def _open_checks(signal: Signal) -> Part:
    checks = db.session.scalars(
        select(PrivacyCheck).where(PrivacyCheck.signal_id == signal.id, PrivacyCheck.status == CheckStatus.OPEN.value)
        .order_by(PrivacyCheck.requested_at)
    ).all()
    return _part([Line(text=c.short_label, when=c.requested_at) for c in checks],
                 CHECKS_SHOWN)


def _meetings(signal: Signal) -> tuple[Part, Line | None]:
    """The meetings not yet closed that have the signal on their agenda, and the latest decision."""
    items = db.session.scalars(
        select(AgendaItem).join(Meeting).options(joinedload(AgendaItem.meeting))
        .where(AgendaItem.signal_id == signal.id).order_by(Meeting.held_at)
    ).all()
    upcoming = [Line(text=f"Casustafel ({i.meeting.kind_label.lower()})", detail=i.meeting.status_label,
                     when=i.meeting.held_at)
                for i in items if i.meeting.status != MeetingStatus.GESLOTEN.value]
    decided = [i for i in items if i.decided_at is not None]
    decision = None
    if decided:
        last = max(decided, key=lambda i: i.decided_at)
        decision = Line(text=last.decision_label, when=last.meeting.held_at)
    return _part(upcoming, MEETINGS_SHOWN), decision


def _actions(signal: Signal, today: date) -> Part:
    actions = db.session.scalars(
        select(Action).options(joinedload(Action.owner), joinedload(Action.owner_department))
        .where(Action.signal_id == signal.id, Action.status != ActionStatus.AFGEROND.value).order_by(Action.deadline)
    ).all()
    lines = [Line(text=a.type_label,
                  detail=shortened(a.owner.display_name if a.owner else
                                   (a.owner_department.name if a.owner_department else "geen eigenaar"), NAME_LENGTH),
                  when=a.deadline, late=a.is_overdue(today))
             for a in actions]
    return _part(lines, ACTIONS_SHOWN)


def _referrals(signal: Signal) -> Part:
    referrals = db.session.scalars(
        select(Referral).options(joinedload(Referral.partner))
        .where(Referral.signal_id == signal.id).order_by(Referral.created_at.desc())
    ).all()
    return _part([Line(text=r.partner.name, detail=r.status_label, when=r.sent_on) for r in referrals],
                 REFERRALS_SHOWN)


def _notes(signal: Signal) -> Part:
    """The latest notes (only those are decrypted) and the number of earlier ones."""
    total = db.session.scalar(select(func.count(SignalNote.id)).where(SignalNote.signal_id == signal.id))
    notes = db.session.scalars(
        select(SignalNote).options(joinedload(SignalNote.author)).where(SignalNote.signal_id == signal.id)
        .order_by(SignalNote.created_at.desc()).limit(NOTES_SHOWN)
    ).all()
    lines = [Line(text=shortened(n.text, NOTE_LENGTH) or "",
                  detail=n.author.display_name if n.author else "Onbekend", when=n.created_at)
             for n in notes]
    return _part(lines, NOTES_SHOWN, total)


def _legal_hold(signal: Signal) -> Line | None:
    if not signal.legal_hold:
        return None
    reason = LEGAL_HOLD_REASONS.get(signal.legal_hold_reason, signal.legal_hold_reason)
    return Line(text=f"reden: {(reason or 'niet vastgelegd').lower()}", when=signal.legal_hold_since)


def case_summary(signal: Signal, today: date) -> CaseSummary:
    """What the one page shows of `signal` (not destroyed: its content is gone)."""
    text = shortened(signal.summary, TEXT_LENGTH)
    meetings, decision = _meetings(signal)
    shown = signal.subjects[:SUBJECTS_SHOWN]  # only the subjects and addresses shown are decrypted
    return CaseSummary(
        signal=signal,
        owner=signal.owner.display_name if signal.owner else None,
        subjects=_part([_subject_line(s) for s in shown], SUBJECTS_SHOWN, len(signal.subjects)),
        subject_ids=[str(s.id) for s in shown],
        places=_part([shortened(loc.address_line, LINE_LENGTH) or "—" for loc in signal.locations[:PLACES_SHOWN]],
                     PLACES_SHOWN, len(signal.locations)),
        text=text or shortened(signal.description, TEXT_LENGTH),
        text_is_description=text is None,
        weighings=_weighings(signal),
        checks=_open_checks(signal),
        meetings=meetings,
        decision=decision,
        actions=_actions(signal, today),
        referrals=_referrals(signal),
        legal_hold=_legal_hold(signal),
        notes=_notes(signal),
    )
