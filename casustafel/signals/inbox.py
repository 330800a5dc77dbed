"""The coordinator's side of the meldpunt: registering signals from other channels and the
inbox of incoming signals with filters, sorting and a marker for signals waiting too long,
pages that never count the whole table (web/paging.window), columns that tell signals apart
(place, the coordinator's summary, owner, last activity: decrypted for the rows shown only,
with a fixed number of queries per page), and the search by reference, person, organisation,
KvK number or address (a POST form: what is typed never goes into a URL or a server log;
search_services logs the search). Above the filters: the coordinator's own saved filters
(saved_filters.py) and the built-in "Mijn werkvoorraad".
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from casustafel.audit_log import record
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.forms import AnyValue, FilterForm
from casustafel.models import CHANNELS, STATUSES, Phenomenon, Signal, SignalEvent
from casustafel.models.roles import Role
from casustafel.permissions import role_required
from casustafel.signals import mailbox
from casustafel.signals.common import waiting_days, waiting_since, waits_too_long
from casustafel.signals.filter_forms import SaveFilterForm
from casustafel.signals.saved_filter_services import saved_filters
from casustafel.signals.search_forms import SearchForm
from casustafel.signals.search_services import ROW_LOAD
from casustafel.signals.search_services import search as run_search
from casustafel.signals.workflow import CLOSED
from casustafel.web.paging import window
from casustafel.web.routes import Routes
from casustafel.wording import shortened

routes = Routes()

PAGE_SIZE = 25
COUNT_LIMIT = 500  # the first page counts the matching signals up to this many ("meer dan 500")
SUMMARY_LENGTH = 80
MAX_DAYS = 3650
OPEN = "open"
SORTS = {
    "nieuwste": ("Ontvangen: nieuwste eerst", (Signal.received_at.desc(),)),
    "oudste": ("Ontvangen: oudste eerst", (Signal.received_at.asc(),)),
    "status": (
        "Status (volgorde van de werkwijze)",
        (case({code: n for n, code in enumerate(STATUSES)}, value=Signal.status), Signal.received_at.asc()),
    ),
    "urgentie": ("Urgent eerst, dan oudste eerst", (Signal.urgent.desc(), Signal.received_at.asc())),
}
URGENCIES = {"urgent": "Alleen urgent", "niet_urgent": "Alleen niet urgent"}
MINE, NO_OWNER = "mij", "geen"
OWNERS = {MINE: "Mijn meldingen als regisseur", NO_OWNER: "Zonder regisseur"}
# "Mijn werkvoorraad": the open signals the coordinator holds, urgent first, then the oldest.
MY_WORKLOAD = {"status": OPEN, "regisseur": MINE, "sorteren": "urgentie"}
RETIRED = " (niet meer in gebruik)"


def whole_days(form, field):
    if not re.fullmatch(r"[0-9]{1,4}", field.data) or int(field.data) > MAX_DAYS:
        raise ValidationError(f"Vul een aantal dagen in van 0 tot en met {MAX_DAYS}.")


class InboxFilterForm(FilterForm):
    """The inbox filters: a GET form, so no CSRF token and nothing changes."""

    status = SelectField("Status", validators=[AnyValue()])
    phenomenon = SelectField("Fenomeen", name="fenomeen", validators=[AnyValue()])
    channel = SelectField(
        "Kanaal",
        name="kanaal",
        choices=[SelectChoice("", "Alle kanalen"), *(SelectChoice(k, v) for k, v in CHANNELS.items())],
        validators=[AnyValue()],
    )
    urgency = SelectField(
        "Urgentie",
        name="urgentie",
        choices=[SelectChoice("", "Urgent en niet urgent"), *(SelectChoice(k, v) for k, v in URGENCIES.items())],
        validators=[AnyValue()],
    )
    owner = SelectField(
        "Regisseur",
        name="regisseur",
        choices=[SelectChoice("", "Alle regisseurs"), *(SelectChoice(k, v) for k, v in OWNERS.items())],
        validators=[AnyValue()],
    )
    older_than = StringField(
        "Ontvangen meer dan … dagen geleden",
        name="ouder_dan",
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[AnyValue(), whole_days],
    )
    sort = SelectField(
        "Sorteren",
        name="sorteren",
        choices=[SelectChoice(k, label) for k, (label, _) in SORTS.items()],
        default="nieuwste",
        validators=[AnyValue()],
    )

    def fill_choices(self) -> None:
        self.status.choices = [
            SelectChoice("", "Alle statussen"),
            SelectChoice(OPEN, "Alle open meldingen (niet afgesloten)"),
            *(SelectChoice(k, v) for k, v in STATUSES.items()),
        ]
        phenomena = db.session.scalars(
            select(Phenomenon).options(joinedload(Phenomenon.parent)).order_by(Phenomenon.position)
        ).all()
        choices = [SelectChoice("", "Alle fenomenen")]
        # A phenomenon taken out of use stays a filter (its signals remain), marked as such: a
        # saved filter or an old link with it still works and says so.
        for parent in (p for p in phenomena if p.parent_id is None):
            children = [p for p in phenomena if p.parent_id == parent.id]
            label = f"{parent.name} (alle)" if children else parent.name
            choices.append(SelectChoice(str(parent.id), label + ("" if parent.active else RETIRED)))
            choices += [SelectChoice(str(c.id), c.full_name + ("" if c.active and parent.active else RETIRED))
                        for c in children]
        self.phenomenon.choices = choices

    def value(self, name: str):
        """A filter's value, or None when it is empty or was refused."""
        f = getattr(self, name)
        return None if f.errors or f.data in (None, "") else f.data

    def query_args(self) -> dict:
        """The valid filters as query-string arguments, for the page links."""
        args = {f.name: self.value(attr) for attr, f in self._fields.items()}
        return {k: v for k, v in args.items() if v is not None}


def filtered(form: InboxFilterForm, me=None):
    """The select for the inbox with every valid filter applied (no sorting, no paging);
    `me` is the user "mijn meldingen als regisseur" means."""
    stmt = select(Signal)
    status = form.value("status")
    if status == OPEN:
        stmt = stmt.where(Signal.status != CLOSED)
    elif status:
        stmt = stmt.where(Signal.status == status)
    if phenomenon := form.value("phenomenon"):
        family = select(Phenomenon.id).where(
            (Phenomenon.id == int(phenomenon)) | (Phenomenon.parent_id == int(phenomenon))
        )
        stmt = stmt.where(Signal.phenomenon_id.in_(family))
    if channel := form.value("channel"):
        stmt = stmt.where(Signal.channel == channel)
    if urgency := form.value("urgency"):
        stmt = stmt.where(Signal.urgent.is_(urgency == "urgent"))
    if (owner := form.value("owner")) == MINE:
        stmt = stmt.where(Signal.owner_id == getattr(me, "id", None))
    elif owner == NO_OWNER:
        stmt = stmt.where(Signal.owner_id.is_(None))
    if (days := form.value("older_than")) is not None:
        stmt = stmt.where(Signal.received_at < utcnow() - timedelta(days=int(days)))
    return stmt


@dataclass
class Row:
    """What the inbox table shows of a signal besides its own columns."""

    place: str | None
    summary: str | None
    last_activity: datetime


def _place(signal: Signal) -> str | None:
    """The city of the first location that has one, else of the first subject that has one."""
    for entity in (*signal.locations, *signal.subjects):
        if city := (entity.city or "").strip():
            return city
    return None


def rows(signals) -> dict:
    """The extra columns for `signals` (already loaded with ROW_LOAD), by signal id: decrypted for
    these rows only, the last activity in one query for them all. Never the reporter's own
    description: the summary is the coordinator's anonymised one."""
    ids = [s.id for s in signals]
    latest = dict(db.session.execute(
        select(SignalEvent.signal_id, func.max(SignalEvent.occurred_at))
        .where(SignalEvent.signal_id.in_(ids)).group_by(SignalEvent.signal_id)
    ).all()) if ids else {}
    return {
        s.id: Row(
            place=None if s.destroyed_at else _place(s),
            summary=None if s.destroyed_at else shortened(s.summary, SUMMARY_LENGTH),
            last_activity=max(filter(None, (s.received_at, latest.get(s.id)))),
        )
        for s in signals
    }


def _render(form: InboxFilterForm, signals, result=None, **context) -> str:
    """The inbox page: a page of the list (`signals`), or the search form with its `result`."""
    days = waiting_days()
    threshold = waiting_since(days)
    shown = [*signals, *(result.signals if result else ())]
    context.setdefault("search_form", SearchForm(formdata=None))
    context.setdefault("save_form", SaveFilterForm(formdata=None))
    return render_template(
        "signals/inbox.html",
        form=form,
        signals=signals,
        result=result,
        waiting={s.id for s in shown if waits_too_long(s, threshold)},
        rows=rows(shown),
        waiting_days=days,
        filters=form.query_args(),
        saved_filters=saved_filters(current_user),
        my_workload=MY_WORKLOAD,
        mail_waiting=mailbox.waiting_count(), mail_waiting_bound=mailbox.WAITING_BOUND,
        **context,
    )


@routes.route("/meldingen")
@role_required(Role.COORDINATOR)
def inbox():
    form = InboxFilterForm(request.args)
    form.fill_choices()
    form.validate()
    return list_page(form)


def list_page(form: InboxFilterForm, **context) -> str:
    """The inbox page for the filters of `form` (validated), its view logged and committed;
    `context` goes to the template (the save form with its messages)."""
    stmt = filtered(form, current_user)
    pages = window(stmt.options(*ROW_LOAD).order_by(*SORTS[form.value("sort") or "nieuwste"][1], Signal.reference),
                   PAGE_SIZE, count_from=stmt.with_only_columns(Signal.id), count_limit=COUNT_LIMIT)
    page_html = _render(form, pages.items, pages=pages, **context)
    # Rendered before the log event is added, so the page needs no reloads after the commit;
    # it leaves only when the event is stored.
    record(current_user, "signal.listed", object_type="signal", purpose="casustafel")
    db.session.commit()
    return page_html


@routes.route("/meldingen/zoeken", methods=["POST"])
@role_required(Role.COORDINATOR)
def search():
    """Show the signals that match the search in the inbox layout; bad input keeps what was typed."""
    search_form = SearchForm()
    form = InboxFilterForm(formdata=None)
    form.fill_choices()
    if not search_form.validate_on_submit():
        return _render(form, [], search_form=search_form, pages=None)
    result = run_search(current_user, search_form.query())
    with db.session.no_autoflush:  # the chain head is locked for the commit, not while rendering
        page_html = _render(form, [], result, search_form=search_form, pages=None)
    db.session.commit()  # the page leaves only when its log event is stored
    return page_html
