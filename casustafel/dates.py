"""Time in one place: stored in UTC (naive), shown and cut into days in Europe/Amsterdam.

Every page, PDF and watermark formats through this module, so a user never sees UTC and a
filter "tot en met 31-12" ends at Dutch midnight whatever zone the server runs in. Only the
CSV export of the access log shows UTC, and says so in its header.
"""

from calendar import monthrange
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime

LOCAL_ZONE = ZoneInfo("Europe/Amsterdam")
LOCALE = "nl_NL"
# The dates a user may type anywhere: wide enough for any birth date or deadline, narrow
# enough that arithmetic on them (a day later, a month later) never leaves Python's range.
EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)

SHORT_DATE = "%d-%m-%Y"
SHORT_MOMENT = "%d-%m-%Y %H:%M"


def utcnow() -> datetime:
    """Now as a naive UTC timestamp, the form every timestamp column stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    """Today's date in the Netherlands (not the server's zone)."""
    return datetime.now(LOCAL_ZONE).date()


def to_local(moment: datetime) -> datetime:
    """A stored naive UTC timestamp (or an aware one) as Dutch local time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_ZONE)


def from_local(moment: datetime) -> datetime:
    """A Dutch wall-clock time (as typed in a form) as a naive UTC timestamp for storage."""
    return moment.replace(tzinfo=LOCAL_ZONE).astimezone(UTC).replace(tzinfo=None)


def local_time(moment: datetime | None, fmt: str = SHORT_MOMENT) -> str:
    """A stored timestamp as Dutch local time: `03-12-2026 14:05`."""
    if moment is None:
        return ""
    return to_local(moment).strftime(fmt)


def short_date(value: date | datetime | str | None) -> str:
    """`03-12-2026`; a timestamp gives its Dutch calendar day, an ISO text (a stored birth
    date) its date, and any other text is shown as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = to_local(value).date()
    return value.strftime(SHORT_DATE)


def long_date(value: date | datetime | None, *, weekday: bool = False, time: bool = False) -> str:
    """`dinsdag 3 maart 2026 om 09:30` (as far as asked), Dutch month and day names."""
    if value is None:
        return "—"
    pattern = ("EEEE " if weekday else "") + "d MMMM y"
    if isinstance(value, datetime):  # a stored naive UTC timestamp: shown in Dutch time
        value = to_local(value)
        if time:
            return _babel_datetime(value, pattern + " 'om' HH:mm", locale=LOCALE)
        value = value.date()
    return _babel_date(value, pattern, locale=LOCALE)


def watermark(name: str) -> str:
    """The line every downloaded PDF carries: who, and when in Dutch time."""
    return f"Gedownload door {name} op {local_time(utcnow(), '%d-%m-%Y om %H:%M')}"


def day_start_utc(day: date) -> datetime:
    """Dutch midnight at the start of `day` as a naive UTC timestamp."""
    return datetime.combine(day, time.min, LOCAL_ZONE).astimezone(UTC).replace(tzinfo=None)


def day_window(first: date, last: date) -> tuple[datetime, datetime]:
    """Whole Dutch days `first` up to and including `last` as a UTC window [start, end)."""
    return day_start_utc(first), day_start_utc(last + timedelta(days=1))


def in_range(value: date) -> bool:
    return EARLIEST <= value <= LATEST


def add_months(moment, count: int):
    """The same date (or moment) `count` calendar months later or earlier; a day that month
    lacks becomes its last day (31 January + 1 → 28/29 February)."""
    index = moment.year * 12 + moment.month - 1 + count
    year, month = index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


def init_app(app) -> None:
    """The template filters and globals: the same names everywhere, also inside macros."""
    app.jinja_env.filters["lokaal"] = local_time
    app.jinja_env.filters["datum"] = short_date
    app.jinja_env.globals["nl_date"] = long_date
