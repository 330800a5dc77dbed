"""Aggregate queries for the management information: GROUP BY in SQL, summed per breakdown.

Everything here returns counts, group labels from the admin lists (phenomena, departments,
partners) and code tables, and lead times in days: never a signal, reference, name or text.

Small cells: the breakdown by the reporter's department can point at a colleague, so its counts
from 1 to 4 show as "< 5" (`suppress_small`). So that the total cannot give a lone suppressed
cell away, when exactly one department is suppressed the next-smallest department is suppressed
too (a 0 as well: "< 5" is true of it). "Geen afdeling bekend" is suppressed when small but never
serves as that second cell, because its size follows roughly from the table per channel. Zeros
stay 0 otherwise: a department without signals points at nobody.
Portable between SQLite and PostgreSQL; the few dialect differences (month bucket, lead time
in days, median) are chosen by `db.engine.dialect.name`.
"""

import statistics
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import case, func, select

from casustafel import dates
from casustafel.extensions import db
from casustafel.models import CHANNELS, Action, Department, Phenomenon, Signal
from casustafel.models.referral import Partner, Referral
from casustafel.signals.workflow import CLOSED, CLOSING_REASONS

PURPOSE = "managementinformatie"
OPEN_OUTCOME = "open"
NONE_KEY = "__geen__"
SMALL_CELL = 5  # counts 1 .. SMALL_CELL - 1 are shown as SUPPRESSED
SUPPRESSED = "< 5"
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december")


@dataclass(frozen=True)
class Count:
    key: str
    label: str
    count: int
    suppressed: bool = False

    @property
    def shown(self) -> int | str:
        """The count as it may be published: "< 5" for a suppressed cell."""
        return SUPPRESSED if self.suppressed else self.count


@dataclass(frozen=True)
class LeadTime:
    key: str
    label: str
    count: int
    median: float
    average: float


@dataclass
class ReferralTable:
    years: list[int]
    rows: list[tuple[str, dict[int, int], int]]  # partner name, count per year, total
    totals: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ActionCounts:
    open: int
    overdue: int


@dataclass
class Report:
    start: date
    end: date
    total: int
    phenomena: list[Count]
    channels: list[Count]
    departments: list[Count]
    outcomes: list[Count]
    months: list[Count]
    lead_by_phenomenon: list[LeadTime]
    lead_by_outcome: list[LeadTime]
    referrals: ReferralTable
    actions: ActionCounts


# --- dialect helpers -------------------------------------------------------------------

def _dialect() -> str:
    return db.engine.dialect.name


def hour_bucket(column):
    """The UTC hour of a timestamp; its Dutch month is worked out in Python (the zone's
    offsets are whole hours, and SQLite knows no zones)."""
    if _dialect() == "postgresql":
        return func.date_trunc("hour", column)
    return func.strftime("%Y-%m-%d %H:00:00", column)


def year_bucket(column):
    if _dialect() == "postgresql":
        return func.to_char(column, "YYYY")
    return func.strftime("%Y", column)


def lead_days():
    """closed_at − received_at in (fractional) days."""
    if _dialect() == "postgresql":
        return func.extract("epoch", Signal.closed_at - Signal.received_at) / 86400.0
    return func.julianday(Signal.closed_at) - func.julianday(Signal.received_at)


# --- labels ------------------------------------------------------------------------------

def outcome_label(code: str | None) -> str:
    if code == OPEN_OUTCOME:
        return "Nog niet afgesloten"
    if code in CLOSING_REASONS:
        return CLOSING_REASONS[code][0]
    return "Afgesloten zonder reden"


def month_label(key: str) -> str:
    year, month = key.split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


def _names(model, attr="name") -> dict:
    return dict(db.session.execute(select(model.id, getattr(model, attr))).all())


# --- breakdowns --------------------------------------------------------------------------

def _window(start: date, end: date):
    start_utc, end_utc = dates.day_window(start, end)
    return Signal.received_at >= start_utc, Signal.received_at < end_utc


def _counts(raw: dict, label_of) -> list[Count]:
    rows = [Count(str(NONE_KEY if k is None else k), label_of(k), n) for k, n in raw.items()]
    return sorted(rows, key=lambda r: (-r.count, r.label))


def _first_level():
    return func.coalesce(Phenomenon.parent_id, Phenomenon.id)


_PHENOMENON_JOIN = (Phenomenon, Phenomenon.id == Signal.phenomenon_id)


def _outcome_expr():
    return case((Signal.status == CLOSED, func.coalesce(Signal.closing_reason, "")), else_=OPEN_OUTCOME)


def _month_key(hour) -> str:
    """The Dutch calendar month of a UTC hour bucket."""
    if not isinstance(hour, datetime):
        hour = datetime.fromisoformat(str(hour))
    return f"{dates.to_local(hour):%Y-%m}"


def _months_of(start: date, end: date) -> list[str]:
    keys, cursor = [], date(start.year, start.month, 1)
    while cursor <= end:
        keys.append(f"{cursor:%Y-%m}")
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    return keys


def suppress_small(rows: list[Count]) -> list[Count]:
    """Suppress counts 1–4 and, when exactly one real department is suppressed, the
    next-smallest department too; order the suppressed cells by name, after the others (their
    order would tell their sizes)."""
    small = {i for i, r in enumerate(rows) if 0 < r.count < SMALL_CELL}
    real = {i for i, r in enumerate(rows) if r.key != NONE_KEY}
    if len(small & real) == 1:
        others = sorted(real - small, key=lambda i: (rows[i].count, rows[i].label))
        small |= set(others[:1])
    shown = [replace(r, suppressed=True) if i in small else r for i, r in enumerate(rows)]
    return sorted(shown, key=lambda r: (r.suppressed, 0 if r.suppressed else -r.count, r.label))


def _department_counts(raw: dict) -> list[Count]:
    """Every active department (0 when it reported nothing) plus any other with signals."""
    if not raw:
        return []
    names = dict(db.session.execute(select(Department.id, Department.name)).all())
    active = db.session.scalars(select(Department.id).where(Department.active.is_(True))).all()
    counts = {**{department: 0 for department in active}, **raw}
    return suppress_small(_counts(counts, lambda k: names.get(k, "Geen afdeling bekend")))


def signal_breakdowns(start: date, end: date) -> dict[str, list[Count]]:
    """Signals received in the period per phenomenon, channel, department, outcome and month.

    One GROUP BY over all five dimensions (a single scan of the signal table; never more
    groups than signals), summed per breakdown here: five separate scans cost five times as
    much. Months are Dutch calendar months, so a signal at 00:30 on 1 April counts in April.
    """
    dims = (_first_level(), Signal.channel, Signal.reporter_department_id, _outcome_expr(),
            hour_bucket(Signal.received_at))
    stmt = (select(*dims, func.count()).select_from(Signal).outerjoin(*_PHENOMENON_JOIN)
            .where(*_window(start, end)).group_by(*dims))
    sums: list[dict] = [{}, {}, {}, {}, {}]
    for *keys, n in db.session.execute(stmt).all():
        keys[4] = _month_key(keys[4])
        for total, key in zip(sums, keys, strict=True):
            total[key] = total.get(key, 0) + n
    phenomena = _names(Phenomenon)
    return {
        "phenomena": _counts(sums[0], lambda k: phenomena.get(k, "Geen fenomeen gekozen")),
        "channels": _counts(sums[1], lambda k: CHANNELS.get(k, k or "Onbekend")),
        "departments": _department_counts(sums[2]),
        "outcomes": _counts(sums[3], outcome_label),
        "months": [Count(k, month_label(k), sums[4].get(k, 0)) for k in _months_of(start, end)],
    }


def per_month(start: date, end: date) -> list[Count]:
    """Every month of the period, also those without signals, oldest first."""
    return signal_breakdowns(start, end)["months"]


def _lead_times(key_expr, start, end, label_of, *joins) -> list[LeadTime]:
    days = lead_days()
    closed = (Signal.status == CLOSED, Signal.closed_at.is_not(None), *_window(start, end))
    if _dialect() == "postgresql":
        stmt = select(key_expr, func.count(), func.percentile_cont(0.5).within_group(days), func.avg(days))
        stmt = stmt.select_from(Signal)
        for target, on in joins:
            stmt = stmt.outerjoin(target, on)
        rows = [(k, n, float(med), float(avg)) for k, n, med, avg in
                db.session.execute(stmt.where(*closed).group_by(key_expr)).all()]
    else:  # SQLite has no median aggregate: one grouped, ordered read of the day counts
        stmt = select(key_expr, days).select_from(Signal)
        for target, on in joins:
            stmt = stmt.outerjoin(target, on)
        groups: dict = {}
        for k, d in db.session.execute(stmt.where(*closed).order_by(key_expr)).all():
            groups.setdefault(k, []).append(float(d))
        rows = [(k, len(v), statistics.median(v), statistics.fmean(v)) for k, v in groups.items()]
    result = [LeadTime(str(NONE_KEY if k is None else k), label_of(k), n, round(med, 1), round(avg, 1))
              for k, n, med, avg in rows]
    return sorted(result, key=lambda r: (-r.count, r.label))


def lead_by_phenomenon(start: date, end: date) -> list[LeadTime]:
    names = _names(Phenomenon)
    return _lead_times(_first_level(), start, end, lambda k: names.get(k, "Geen fenomeen gekozen"),
                       _PHENOMENON_JOIN)


def lead_by_outcome(start: date, end: date) -> list[LeadTime]:
    return _lead_times(func.coalesce(Signal.closing_reason, ""), start, end, outcome_label)


def referrals_per_partner(start: date, end: date) -> ReferralTable:
    """Referrals sent in the period, per recipient and calendar year (drafts do not count)."""
    year = year_bucket(Referral.sent_on)
    stmt = (select(Referral.partner_id, year, func.count())
            .where(Referral.sent_on.is_not(None), Referral.sent_on >= start, Referral.sent_on <= end)
            .group_by(Referral.partner_id, year))
    names = _names(Partner)
    per_partner: dict[str, dict[int, int]] = {}
    for partner_id, y, n in db.session.execute(stmt).all():
        per_partner.setdefault(names.get(partner_id, "Onbekende partner"), {})[int(y)] = n
    years = list(range(start.year, end.year + 1))
    rows = sorted(((name, counts, sum(counts.values())) for name, counts in per_partner.items()),
                  key=lambda r: (-r[2], r[0]))
    totals = {y: sum(c.get(y, 0) for _, c, _ in rows) for y in years}
    return ReferralTable(years, rows, totals)


def action_counts(today: date) -> ActionCounts:
    """Actions not finished now, and how many of those are past their deadline."""
    open_ = Action.status != "afgerond"
    stmt = select(func.count(), func.coalesce(func.sum(case((Action.deadline < today, 1), else_=0)), 0)).where(open_)
    n_open, n_overdue = db.session.execute(stmt).one()
    return ActionCounts(int(n_open), int(n_overdue))


def build_report(start: date, end: date, today: date) -> Report:
    counts = signal_breakdowns(start, end)
    return Report(
        start=start, end=end, total=sum(m.count for m in counts["months"]), **counts,
        lead_by_phenomenon=lead_by_phenomenon(start, end), lead_by_outcome=lead_by_outcome(start, end),
        referrals=referrals_per_partner(start, end), actions=action_counts(today),
    )


def export_rows(report: Report) -> tuple[list[str], list[list]]:
    """One flat table of aggregates: section, group, count, median, average (days)."""
    header = ["Onderdeel", "Groep", "Aantal", "Mediaan doorlooptijd (dagen)", "Gemiddelde doorlooptijd (dagen)"]
    rows: list[list] = [["Periode", f"{report.start:%d-%m-%Y} t/m {report.end:%d-%m-%Y}", report.total, None, None]]
    for section, items in (("Fenomeen", report.phenomena), ("Kanaal", report.channels),
                           ("Afdeling melder", report.departments), ("Uitkomst", report.outcomes),
                           ("Maand", report.months)):
        rows += [[section, c.label, c.shown, None, None] for c in items]
    for section, items in (("Doorlooptijd per fenomeen", report.lead_by_phenomenon),
                           ("Doorlooptijd per uitkomst", report.lead_by_outcome)):
        rows += [[section, t.label, t.count, t.median, t.average] for t in items]
    for name, counts, _ in report.referrals.rows:
        rows += [[f"Verstrekkingen {y}", name, counts.get(y, 0), None, None] for y in report.referrals.years]
    rows.append(["Acties", "Openstaand", report.actions.open, None, None])
    rows.append(["Acties", "Waarvan termijn verlopen", report.actions.overdue, None, None])
    return header, rows
