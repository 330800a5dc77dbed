"""The coordinator's worklist on the start page: what needs doing this week, each entry a link.

Every list is bounded (LIMIT) and loads what it shows in a fixed number of queries, whatever
the number of signals. Only references, dates, statuses and partner names: no content of a
signal and no personal data of subjects.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import load_only, selectinload

from casustafel.dates import day_start_utc, utcnow
from casustafel.extensions import db
from casustafel.models import (
    AgendaItem,
    InformationRequest,
    Meeting,
    PrivacyCheck,
    Referral,
    Signal,
    SignalEvent,
)
from casustafel.models.meeting import MeetingStatus
from casustafel.models.referral import AWAITING_ANSWER
from casustafel.signals.workflow import OPEN_STATES

SHOWN = 10
MEETING_WEEKS = 6
ANSWER_DAYS = 14
# The status change an answer makes itself (back to the status before the question).
ANSWER_REASON = "aanvulling_ontvangen"


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


@dataclass(frozen=True)
class UpcomingMeeting:
    meeting: Meeting
    undecided_2a: int  # agenda items whose check 2A for this meeting is not decided: they block publishing

    @property
    def blocks_publication(self) -> bool:
        return self.meeting.status == MeetingStatus.CONCEPT and self.undecided_2a > 0


def upcoming_meetings(today: date) -> list[UpcomingMeeting]:
    """Meetings not closed or called off from today up to and including six weeks ahead, soonest
    first, with per meeting the number of agenda items still waiting for check 2A (one grouped query)."""
    meetings = db.session.scalars(
        select(Meeting)
        .where(
            Meeting.status.in_((MeetingStatus.CONCEPT, MeetingStatus.GEPUBLICEERD)),
            Meeting.held_at >= day_start_utc(today),
            Meeting.held_at < day_start_utc(today + timedelta(weeks=MEETING_WEEKS, days=1)),
        )
        .order_by(Meeting.held_at)
        .limit(SHOWN)
    ).all()
    if not meetings:
        return []
    decided = exists().where(
        PrivacyCheck.signal_id == AgendaItem.signal_id,
        PrivacyCheck.meeting_id == AgendaItem.meeting_id,
        PrivacyCheck.kind == "2A",
        PrivacyCheck.status == "besloten",
    )
    undecided = dict(db.session.execute(
        select(AgendaItem.meeting_id, func.count())
        .where(AgendaItem.meeting_id.in_([m.id for m in meetings]), ~decided)
        .group_by(AgendaItem.meeting_id)
    ).all())
    return [UpcomingMeeting(m, undecided.get(m.id, 0)) for m in meetings]


def _overdue_referrals(today: date):
    return select(Referral).where(
        Referral.status.in_(AWAITING_ANSWER),
        Referral.answered_on.is_(None),
        Referral.feedback_due < today,
    )


def overdue_referrals(today: date) -> tuple[list[Referral], int]:
    """Sent referrals whose requested feedback date has passed without an answer, oldest date first."""
    stmt = _overdue_referrals(today)
    shown = db.session.scalars(
        stmt.options(selectinload(Referral.signal).load_only(Signal.reference), selectinload(Referral.partner))
        .order_by(Referral.feedback_due, Referral.id)
        .limit(SHOWN)
    ).all()
    return shown, (len(shown) if len(shown) < SHOWN else _count(stmt))


def _new_answers(user, now: datetime):
    later_change = exists().where(
        SignalEvent.signal_id == InformationRequest.signal_id,
        SignalEvent.occurred_at > InformationRequest.answered_at,
        or_(SignalEvent.reason_code.is_(None), SignalEvent.reason_code != ANSWER_REASON),
    )
    return (
        select(InformationRequest)
        .join(Signal, Signal.id == InformationRequest.signal_id)
        .where(
            InformationRequest.answered_at >= now - timedelta(days=ANSWER_DAYS),
            Signal.destroyed_at.is_(None),
            # The owner's, or nobody's yet: a colleague's signal is on the colleague's list.
            or_(Signal.owner_id == user.id, Signal.owner_id.is_(None)),
            ~later_change,
        )
    )


def new_answers(user, now: datetime | None = None) -> tuple[list[InformationRequest], int]:
    """Questions the reporter answered in the last 14 days on a signal whose status has not
    changed since (other than the change the answer made itself): newest answer first."""
    stmt = _new_answers(user, now or utcnow())
    shown = db.session.scalars(
        stmt.options(
            load_only(InformationRequest.signal_id, InformationRequest.answered_at),
            selectinload(InformationRequest.signal).load_only(Signal.reference, Signal.status),
        )
        .order_by(InformationRequest.answered_at.desc(), InformationRequest.id)
        .limit(SHOWN)
    ).all()
    return shown, (len(shown) if len(shown) < SHOWN else _count(stmt))


@dataclass(frozen=True)
class Assigned:
    signal: Signal
    last_change: datetime  # the latest status change, or receipt when there is none


def assigned_waiting(user) -> tuple[list[Assigned], int]:
    """The user's open signals, waiting longest first (oldest last status change)."""
    last = (
        select(SignalEvent.signal_id, func.max(SignalEvent.occurred_at).label("at"))
        .group_by(SignalEvent.signal_id)
        .subquery()
    )
    moment = func.coalesce(last.c.at, Signal.received_at)
    mine = select(Signal.id).where(
        Signal.owner_id == user.id, Signal.status.in_(sorted(OPEN_STATES)), Signal.destroyed_at.is_(None)
    )
    rows = db.session.execute(
        select(Signal, moment.label("moment"))
        .options(load_only(Signal.reference, Signal.status, Signal.received_at))
        .outerjoin(last, last.c.signal_id == Signal.id)
        .where(Signal.id.in_(mine))
        .order_by(moment, Signal.reference)
        .limit(SHOWN)
    ).all()
    shown = [Assigned(signal, at) for signal, at in rows]
    return shown, (len(shown) if len(shown) < SHOWN else _count(mine))


def coordinator_worklist(user, today: date) -> dict:
    meetings = upcoming_meetings(today)
    referrals, referrals_total = overdue_referrals(today)
    answers, answers_total = new_answers(user)
    assigned, assigned_total = assigned_waiting(user)
    return {
        "meetings": meetings,
        "meeting_weeks": MEETING_WEEKS,
        "referrals": referrals,
        "referrals_total": referrals_total,
        "answers": answers,
        "answers_total": answers_total,
        "answer_days": ANSWER_DAYS,
        "assigned": assigned,
        "assigned_total": assigned_total,
    }


def shows_signals(worklist: dict, overdue_actions) -> bool:
    """Whether the page lists signal references (then it is logged as a listing)."""
    return bool(worklist["referrals"] or worklist["answers"] or worklist["assigned"] or overdue_actions)

