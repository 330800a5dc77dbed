"""Start page per role, and /healthz for the load balancer.

The start page shows counts and links only: no content of signals and no personal data of
subjects. The coordinator's worklist (main/services.py) names signals by reference, partners
and colleagues by name, nothing more; when it lists any signal the page is logged as one
`signal.listed`, as the inbox is.
"""

from datetime import date

from flask import Blueprint, Response, abort, current_app, jsonify, render_template
from flask_login import current_user
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from casustafel import dates, organisation
from casustafel.actions.services import visible_to
from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.main.services import coordinator_worklist, shows_signals
from casustafel.models import Action, Meeting, MeetingInvitee, PrivacyCheck, Signal
from casustafel.models.roles import Role
from casustafel.permissions import coordinator_records_privacy_checks
from casustafel.signals import mailbox
from casustafel.signals.common import WAITING_STATES, waiting_days, waiting_since
from casustafel.signals.services import waiting_questions

bp = Blueprint("main", __name__)

OVERDUE_SHOWN = 20
MEETINGS_SHOWN = 5


# The privacy officer's list of checks, under the names it has had.
PRIVACY_LIST_ENDPOINTS = ("privacy.index", "privacy.checks")


def has_endpoint(name: str) -> bool:
    """Link to another feature's page only once it exists."""
    return name in current_app.view_functions


def first_endpoint(*names: str) -> str | None:
    return next((name for name in names if has_endpoint(name)), None)


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


def coordinator_overview(today: date) -> dict:
    days = waiting_days()
    new = select(Signal.id).where(Signal.status == "ingediend")
    waiting = select(Signal.id).where(Signal.status.in_(WAITING_STATES))
    unfinished = select(Action).where(Action.status != "afgerond")
    overdue = unfinished.where(Action.deadline < today)
    return {
        "new_signals": _count(new),
        # A number only, bounded like the inbox's: the e-mails themselves are in their own list.
        "mail_waiting": mailbox.waiting_count(),
        "mail_waiting_bound": mailbox.WAITING_BOUND,
        "waiting_days": days,
        # The same rule as the inbox's marker: new or in intake, received before the threshold.
        "waiting_too_long": _count(waiting.where(Signal.received_at < waiting_since(days))),
        "open_actions": _count(unfinished),
        "overdue_count": _count(overdue),
        "overdue_actions": db.session.scalars(
            overdue.options(
                selectinload(Action.signal), selectinload(Action.owner), selectinload(Action.owner_department)
            )
            .order_by(Action.deadline)
            .limit(OVERDUE_SHOWN)
        ).all(),
    }


def member_overview(user, today: date) -> dict:
    unfinished = visible_to(user).where(Action.status != "afgerond")
    meetings = db.session.scalars(
        select(Meeting)
        .join(MeetingInvitee, MeetingInvitee.meeting_id == Meeting.id)
        .where(
            MeetingInvitee.user_id == user.id,
            Meeting.status == "gepubliceerd",
            Meeting.held_at >= dates.day_start_utc(today),
        )
        .order_by(Meeting.held_at)
        .limit(MEETINGS_SHOWN)
    ).all()
    return {
        "open_actions": _count(unfinished),
        "overdue_actions": _count(unfinished.where(Action.deadline < today)),
        "meetings": meetings,
        "meetings_link": has_endpoint("meetings.mine"),
    }


def open_privacy_checks() -> int:
    return _count(select(PrivacyCheck.id).where(PrivacyCheck.status == "open"))


@bp.route("/")
def home():
    today = dates.today()
    user = current_user
    context = {"user": user, "today": today, "privacy_endpoint": first_endpoint(*PRIVACY_LIST_ENDPOINTS)}
    listed = False
    if user.has_role(Role.COORDINATOR):
        context["coordinator"] = coordinator_overview(today)
        context["worklist"] = coordinator_worklist(user, today)
        listed = shows_signals(context["worklist"], context["coordinator"]["overdue_actions"])
        # The coordinator opens the privacy checks only when the setting lets them decide.
        if coordinator_records_privacy_checks():
            context["coordinator"]["privacy_endpoint"] = context["privacy_endpoint"]
    if user.has_role(Role.COORDINATOR, Role.PRIVACY_OFFICER):
        context["open_privacy_checks"] = open_privacy_checks()
    if user.has_role(Role.MEMBER):
        context["member"] = member_overview(user, today)
    if user.has_role(Role.REPORTER):
        # Own signals only, by reference: nothing is logged here, so no event ties the
        # reporter to a signal (the acts of reporting stay shielded).
        context["questions_waiting"] = waiting_questions(user)
    page = render_template("main/home.html", **context)
    if listed:
        # Rendered before the event is added (as the inbox): the page leaves only when it is stored.
        record(user, "signal.listed", object_type="signal", purpose="casustafel")
        db.session.commit()
    return page


@bp.route("/huisstijl/logo.png")
def logo():
    """The organisation's logo (a PNG the app re-encoded) for the header and the login page:
    public, like the stylesheets, and cacheable: its address changes with it."""
    png = organisation.logo_png()
    if png is None:
        abort(404)
    return _cacheable(Response(png, mimetype="image/png"))


@bp.route("/huisstijl/thema.css")
def theme_css():
    """The organisation's own theme stylesheet, checked when it was set (casustafel/organisation.py)."""
    css = organisation.theme_css()
    if css is None:
        abort(404)
    return _cacheable(Response(css, mimetype="text/css"))


def _cacheable(response: Response) -> Response:
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def healthz():
    """Report only whether the database answers: no versions, no counts."""
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")
