"""The plan of approach and the monitoring period (CCV model protocol step 4) of a case the
municipality handles itself: in aanpak → monitoring → afgesloten.

Services take the actor and never commit. Nothing recorded is overwritten: a revised plan is
a new version, an extension a new end date with its reason. The daily reminder tells the
coordinators (without content) that a monitoring period has ended.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select, update

from casustafel import dates
from casustafel.audit_log import record
from casustafel.dates import day_start_utc, utcnow
from casustafel.extensions import db
from casustafel.models import CasePlan, MonitoringPeriod, Signal, User
from casustafel.models.roles import Role
from casustafel.models.user import active_with_role
from casustafel.notifications import app_link, notify
from casustafel.processing import refuse_if_restricted
from casustafel.signals.workflow import NEEDS_MONITORING_END, TransitionError, transition

PURPOSE = "casustafel"
# The statuses in which the coordinator records or revises the plan of approach.
PLAN_STATUSES = ("in_aanpak", "monitoring")
MAX_TEXT = 5000
MAX_REASON = 2000

NEED_GOAL = "Vul het doel van de aanpak in."
NEED_INTERVENTIONS = "Beschrijf de interventies van de aanpak."
NEED_DIRECTOR = "Kies de casusregisseur uit de lijst."
NEED_REVIEW = "Vul de evaluatiedatum in."
REVIEW_IN_PAST = "De evaluatiedatum ligt in het verleden. Kies vandaag of een latere datum."
END_IN_PAST = "De einddatum van de monitoring ligt in het verleden. Kies vandaag of een latere datum."
NEED_REASON = "Geef aan waarom de monitoring wordt verlengd."
PLAN_CHANGED = ("Het plan van aanpak is intussen door iemand anders vastgelegd of herzien. "
                "Bekijk de nieuwste versie en leg uw herziening daarna opnieuw vast.")

REMINDER_SUBJECT = "Monitoring van een zaak afgelopen"
REMINDER_BODY = ("Voor een zaak in casustafel is de monitoringsperiode afgelopen. Sluit de zaak af of "
                 "verleng de monitoring.")


class PlanError(ValueError):
    """A refused plan or monitoring change, with a Dutch message for the user."""


@dataclass
class PlanInput:
    goal: str
    interventions: str
    director_id: object  # a user id (uuid.UUID)
    review_on: date | None


# --- reading ---------------------------------------------------------------------------------


def plans_of(signal) -> list[CasePlan]:
    """Every version of the plan, newest first."""
    return list(db.session.scalars(
        select(CasePlan).where(CasePlan.signal_id == signal.id).order_by(CasePlan.number.desc())
    ))


def current_plan(signal) -> CasePlan | None:
    return db.session.scalar(
        select(CasePlan).where(CasePlan.signal_id == signal.id).order_by(CasePlan.number.desc()).limit(1)
    )


def periods_of(signal) -> list[MonitoringPeriod]:
    """Every end date the monitoring had, oldest first (the start, then each extension)."""
    return list(db.session.scalars(
        select(MonitoringPeriod).where(MonitoringPeriod.signal_id == signal.id).order_by(MonitoringPeriod.number)
    ))


def current_period(signal) -> MonitoringPeriod | None:
    return db.session.scalar(
        select(MonitoringPeriod).where(MonitoringPeriod.signal_id == signal.id)
        .order_by(MonitoringPeriod.number.desc()).limit(1)
    )


def possible_directors() -> list[User]:
    """The casusregisseur directs the case and so works in its workspace: an active coordinator."""
    return active_with_role(Role.COORDINATOR)


# --- the plan of approach ------------------------------------------------------------------------


def record_plan(actor, signal, data: PlanInput, *, based_on: int | None = None) -> CasePlan:
    """Record the plan, or a revision as its next version. `based_on` is the version the form
    showed: a plan recorded meanwhile by someone else refuses this one (nothing is lost)."""
    refuse_if_restricted(signal, PlanError)
    if signal.status not in PLAN_STATUSES:
        raise PlanError("Een plan van aanpak hoort bij een zaak die in aanpak of in monitoring is.")
    goal, interventions = (data.goal or "").strip(), (data.interventions or "").strip()
    if not goal:
        raise PlanError(NEED_GOAL)
    if not interventions:
        raise PlanError(NEED_INTERVENTIONS)
    if len(goal) > MAX_TEXT or len(interventions) > MAX_TEXT:
        raise PlanError(f"Gebruik hooguit {MAX_TEXT} tekens.")
    if data.review_on is None:
        raise PlanError(NEED_REVIEW)
    if data.review_on < dates.today():
        raise PlanError(REVIEW_IN_PAST)
    director = db.session.get(User, data.director_id) if data.director_id else None
    if director is None or not director.active or not director.has_role(Role.COORDINATOR):
        raise PlanError(NEED_DIRECTOR)
    latest = db.session.scalar(select(func.max(CasePlan.number)).where(CasePlan.signal_id == signal.id)) or 0
    if based_on is not None and based_on != latest:
        raise PlanError(PLAN_CHANGED)
    plan = CasePlan(signal_id=signal.id, number=latest + 1, director_id=director.id, review_on=data.review_on,
                    recorded_by_id=getattr(actor, "id", None))
    plan.goal, plan.interventions = goal, interventions
    db.session.add(plan)
    db.session.flush()
    record(actor, "case_plan.recorded", plan, purpose=PURPOSE, reason_code="herzien" if latest else "vastgelegd")
    return plan


# --- the monitoring period -------------------------------------------------------------------------


def _new_period(actor, signal, ends_on: date, reason: str | None = None) -> MonitoringPeriod:
    latest = db.session.scalar(select(func.max(MonitoringPeriod.number))
                               .where(MonitoringPeriod.signal_id == signal.id)) or 0
    period = MonitoringPeriod(signal_id=signal.id, number=latest + 1, ends_on=ends_on,
                              set_by_id=getattr(actor, "id", None), set_at=utcnow())
    period.reason = reason
    db.session.add(period)
    db.session.flush()
    return period


def start_monitoring(actor, signal, ends_on: date | None, reason: str | None = None) -> MonitoringPeriod:
    """Move a case in aanpak to monitoring with the last day of the monitoring."""
    if signal.status != "in_aanpak":
        raise TransitionError(f"Van ‘{signal.status}’ naar ‘monitoring’ is geen toegestane stap.")
    if ends_on is None:
        raise TransitionError(NEEDS_MONITORING_END)
    if ends_on < dates.today():
        raise TransitionError(END_IN_PAST)
    period = _new_period(actor, signal, ends_on)
    transition(actor, signal, "monitoring", reason=reason)
    record(actor, "monitoring_period.started", period, purpose=PURPOSE)
    return period


def extend_monitoring(actor, signal, ends_on: date | None, reason: str | None) -> MonitoringPeriod:
    """A new end date for the monitoring, later than the current one, with the reason."""
    refuse_if_restricted(signal, PlanError)
    current = current_period(signal)
    if signal.status != "monitoring" or current is None:
        raise PlanError("Alleen een zaak in monitoring kan worden verlengd.")
    if ends_on is None:
        raise PlanError("Vul de nieuwe einddatum van de monitoring in.")
    if ends_on < dates.today():
        raise PlanError(END_IN_PAST)
    if ends_on <= current.ends_on:
        raise PlanError(f"Kies een datum na de huidige einddatum ({current.ends_on:%d-%m-%Y}).")
    reason = (reason or "").strip()
    if not reason:
        raise PlanError(NEED_REASON)
    if len(reason) > MAX_REASON:
        raise PlanError(f"Gebruik hooguit {MAX_REASON} tekens.")
    period = _new_period(actor, signal, ends_on, reason)
    record(actor, "monitoring_period.extended", period, purpose=PURPOSE)
    return period


# --- prompts and the daily reminder ---------------------------------------------------------------


@dataclass
class Overdue:
    """What the workspace prompts the coordinator about: a passed review date, an ended monitoring."""

    review_on: date | None = None
    monitoring_ended_on: date | None = None

    def __bool__(self) -> bool:
        return bool(self.review_on or self.monitoring_ended_on)


def overdue(signal, plan: CasePlan | None, period: MonitoringPeriod | None, today: date) -> Overdue:
    if signal.status not in PLAN_STATUSES:
        return Overdue()
    return Overdue(
        review_on=plan.review_on if plan is not None and plan.review_passed(today) else None,
        monitoring_ended_on=period.ends_on if (signal.status == "monitoring" and period is not None
                                               and period.ended(today)) else None,
    )


def ended_monitoring(today: date) -> list[MonitoringPeriod]:
    """The current period of each case still in monitoring whose end date has passed and that
    was not yet reminded of today."""
    latest = (select(MonitoringPeriod.signal_id, func.max(MonitoringPeriod.number).label("number"))
              .group_by(MonitoringPeriod.signal_id).subquery())
    return list(db.session.scalars(
        select(MonitoringPeriod)
        .join(latest, (latest.c.signal_id == MonitoringPeriod.signal_id) & (latest.c.number == MonitoringPeriod.number))
        .join(Signal, Signal.id == MonitoringPeriod.signal_id)
        .where(Signal.status == "monitoring", Signal.destroyed_at.is_(None), MonitoringPeriod.ends_on < today,
               or_(MonitoringPeriod.last_reminded_at.is_(None),
                   MonitoringPeriod.last_reminded_at < day_start_utc(today)))
        .order_by(MonitoringPeriod.ends_on)
    ))


def remind(actor, today: date) -> tuple[int, int]:
    """Queue one content-free message per active coordinator when a monitoring period has
    ended; at most once a day per case. Return (cases, messages)."""
    periods = ended_monitoring(today)
    if not periods:
        return 0, 0
    coordinators = possible_directors()
    # One case: its workspace; more: the inbox filtered on monitoring. Ids and codes only.
    link = (app_link("signals.detail", signal_id=periods[0].signal_id) if len(periods) == 1
            else app_link("signals.inbox", status="monitoring"))
    for user in coordinators:
        notify(user, REMINDER_SUBJECT, REMINDER_BODY, link=link)
    for period in periods:
        record(actor, "signal.monitoring_reminded", object_type="signal", object_id=period.signal_id,
               purpose=PURPOSE)
    db.session.execute(update(MonitoringPeriod).where(MonitoringPeriod.id.in_([p.id for p in periods]))
                       .values(last_reminded_at=utcnow()), execution_options={"synchronize_session": False})
    return len(periods), len(coordinators)
