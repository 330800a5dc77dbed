"""Roles and the rules of who may do what. Views and templates ask these functions.

Deny by default: every endpoint needs a logged-in user unless it is in PUBLIC_ENDPOINTS,
and every blueprint endpoint names its roles with role_required().
"""

from functools import wraps

from flask import abort, current_app, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from casustafel.audit_log import record_denial
from casustafel.extensions import db
from casustafel.models import ExceptionStatus, PrivacyCheck
from casustafel.models.roles import Role
from casustafel.settings import get_setting

# Endpoints anyone may reach without logging in.
PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        "healthz",
        "main.logo",  # the organisation's look, shown on the login page too
        "main.theme_css",
        "auth.login",
        "auth.second_factor",
        "auth.enrol_totp",
        "auth.activate",
        "auth.sso_start",
        "auth.sso_callback",
    }
)

# Endpoints a logged-in user of any role may reach (their own account, logout, home).
ANY_ROLE_ENDPOINTS = frozenset(
    {"main.home", "auth.logout", "auth.account", "auth.change_password", "auth.reauthenticate"}
)


def role_required(*roles: Role):
    """Allow the view only for users holding one of `roles`; remember which one is active."""

    def decorator(view):
        view.allowed_roles = frozenset(roles)

        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            active = next((r for r in roles if current_user.has_role(r)), None)
            if active is None:
                record_denial(current_user, "endpoint", request.endpoint)
                abort(403)
            g.active_role = active
            return view(*args, **kwargs)

        return wrapped

    return decorator


def require_login() -> None:
    """before_request: send anyone not logged in to the login page, except public endpoints."""
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if current_user.must_change_password and request.endpoint not in (
        "auth.change_password",
        "auth.logout",
    ):
        return redirect(url_for("auth.change_password"))
    return None


def check_endpoint_declared() -> None:
    """before_request: refuse (500) an endpoint that neither is public nor names its roles."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS or endpoint in ANY_ROLE_ENDPOINTS:
        return
    view = current_app.view_functions.get(endpoint)
    if not getattr(view, "allowed_roles", None):
        abort(500)


# --- object policies -------------------------------------------------------------------


def can_manage_users(user) -> bool:
    return user.is_authenticated and user.has_role(Role.ADMIN)


def can_read_audit_log(user) -> bool:
    return user.is_authenticated and user.has_role(Role.PRIVACY_OFFICER)


def can_view_own_signal(user, signal) -> bool:
    """A reporter sees status and feedback of signals they reported themselves, nothing else."""
    return user.is_authenticated and signal.reporter_id is not None and signal.reporter_id == user.id


def can_view_signal_content(user, signal) -> bool:
    """The coordinator sees a signal's content; the privacy officer only while a privacy check
    on it is open. Members see agenda items through can_view_agenda_item, never the signal."""
    if not user.is_authenticated:
        return False
    return user.has_role(Role.COORDINATOR) or privacy_check_open_for(user, signal)


def can_view_bibob(user, signal) -> bool:
    """Art. 28 Wet Bibob: only the coordinator, who prepares the competent body's decision,
    sees a signal's Bibob records and its case-system links. Not the privacy officer during an
    open privacy check, not a member, not break-glass (models/bibob.py)."""
    return user.is_authenticated and user.has_role(Role.COORDINATOR)


def can_see_reporter(user, signal) -> bool:
    return user.is_authenticated and user.has_role(Role.COORDINATOR)


# --- workflow policies (README “Roles”) ------------------------------------------------------
# Each answers one question about one object, without side effects. Views and templates both
# use them; a view that gets False answers 404 and logs a denial.


def privacy_check_open_for(user, signal) -> bool:
    """True while a privacy check on the signal waits for this privacy officer's decision."""
    if not (user.is_authenticated and user.has_role(Role.PRIVACY_OFFICER)):
        return False
    return (
        db.session.scalar(
            select(PrivacyCheck.id)
            .where(PrivacyCheck.signal_id == signal.id, PrivacyCheck.status == "open")
            .limit(1)
        )
        is not None
    )


def can_read_signal_for_privacy_check(user, signal) -> bool:
    return privacy_check_open_for(user, signal)


def coordinator_records_privacy_checks() -> bool:
    """The setting for small municipalities: the coordinator records the privacy checks."""
    return get_setting("privacy_checks_by_coordinator") == "1"


def can_decide_privacy_checks(user) -> bool:
    """The privacy officer decides privacy checks, or the coordinator when the setting says so."""
    if not user.is_authenticated:
        return False
    return user.has_role(Role.PRIVACY_OFFICER) or (
        user.has_role(Role.COORDINATOR) and coordinator_records_privacy_checks()
    )


def can_decide_privacy_check(user, check) -> bool:
    """An open check; one a privacy officer reopened only by a privacy officer."""
    if check.reopened_from_id is not None and not (user.is_authenticated and user.has_role(Role.PRIVACY_OFFICER)):
        return False
    return check.status == "open" and can_decide_privacy_checks(user)


def can_review_privacy_check(user, check) -> bool:
    """A privacy officer sees the decisions the coordinator recorded (the decision, not the signal)."""
    return (user.is_authenticated and user.has_role(Role.PRIVACY_OFFICER)
            and check.decided_by_coordinator and check.status in ("besloten", "heropend"))


def can_reopen_privacy_check(user, check) -> bool:
    return can_review_privacy_check(user, check) and check.status == "besloten"


def can_open_privacy_check(user, check) -> bool:
    """An open check for whoever may decide it; a decided one for the user who decided it and,
    when the coordinator decided it, for the privacy officers."""
    return can_decide_privacy_check(user, check) or can_review_privacy_check(user, check) or (
        check.status == "besloten" and check.decided_by_id == user.id and can_decide_privacy_checks(user)
    )


def can_manage_meetings(user) -> bool:
    return user.is_authenticated and user.has_role(Role.COORDINATOR)


def invitation(user, meeting):
    """The user's invitation to the meeting, or None."""
    return next((i for i in meeting.invitees if i.user_id == user.id), None)


def can_view_agenda_item(user, item) -> bool:
    """A member sees an item only of a meeting they are invited to, from publication until
    the meeting is closed. The coordinator always."""
    if not user.is_authenticated:
        return False
    if user.has_role(Role.COORDINATOR):
        return True
    meeting = item.meeting
    return (
        user.has_role(Role.MEMBER)
        and meeting.status == "gepubliceerd"
        and invitation(user, meeting) is not None
    )


def can_view_meeting_agenda(user, meeting) -> bool:
    """Invited member, agenda published, meeting not closed; every item passes the policy."""
    return (
        user.has_role(Role.MEMBER)
        and meeting.status == "gepubliceerd"
        and invitation(user, meeting) is not None
        and all(can_view_agenda_item(user, item) for item in meeting.items)
    )


def can_view_action(user, action) -> bool:
    if not user.is_authenticated:
        return False
    if user.has_role(Role.COORDINATOR):
        return True
    if not user.has_role(Role.MEMBER):
        return False
    return action.owner_id == user.id or (
        action.owner_id is None
        and action.owner_department_id is not None
        and action.owner_department_id == user.department_id
    )


def can_read_action_content(user, action) -> bool:
    """The description and result of an action. An old Bibob-toets (type "bibob", before the
    Bibob track) holds Bibob information in free text: art. 28 Wet Bibob keeps it with the
    coordinator, never its owner, a department or the privacy officer (models/bibob.py)."""
    return user.is_authenticated and (not action.is_bibob or user.has_role(Role.COORDINATOR))


def can_update_action(user, action) -> bool:
    """The owner updates status and result; an old Bibob-toets only the coordinator (its owner
    would have to see and could overwrite the Bibob result)."""
    return can_view_action(user, action) and action.status != "afgerond" and can_read_action_content(user, action)


# --- privacy officer, break-glass, retention (README “Roles”, §10, §11) ---------------------


def can_review_audit_log(user) -> bool:
    """Filters, timelines, anomalies and their sign-off, CSV export: the privacy officer."""
    return can_read_audit_log(user)


def can_handle_subject_requests(user) -> bool:
    return user.is_authenticated and user.has_role(Role.PRIVACY_OFFICER)


def can_keep_processing_register(user) -> bool:
    """The register of processing activities and the DPIA annex: the privacy officer (FG) owns them."""
    return user.is_authenticated and user.has_role(Role.PRIVACY_OFFICER)


def can_view_retention(user) -> bool:
    """What is due, what was destroyed, dry runs, runs and the verklaring van vernietiging."""
    return user.is_authenticated and user.has_role(Role.PRIVACY_OFFICER)


def can_justify_open_signals(user) -> bool:
    """Signals open too long without activity: the coordinator closes them or records why they
    stay open (README “Retention and destruction”)."""
    return user.is_authenticated and user.has_role(Role.COORDINATOR)


def can_configure_retention(user) -> bool:
    """The retention terms are settings of the functional admin (README “Roles”)."""
    return user.is_authenticated and user.has_role(Role.ADMIN)


def can_request_break_glass(user) -> bool:
    """Any role may ask for time-limited content access with a stated reason; it is logged,
    shown as a warning and flagged for the privacy officer."""
    return user.is_authenticated and bool(user.roles)


def can_use_break_glass(user, grant, now) -> bool:
    """The grant is the user's own, not ended and not expired."""
    return (
        user.is_authenticated
        and grant.user_id == user.id
        and grant.ended_at is None
        and grant.expires_at > now
        and grant.signal_id is not None
    )


# --- restricted received information (models/received.py) -----------------------------------


def can_decide_received_exception(user, exception) -> bool:
    """A privacy officer decides an asked exception; never the one who asked it (four eyes)."""
    return (user.is_authenticated and user.has_role(Role.PRIVACY_OFFICER)
            and exception.status == ExceptionStatus.AANGEVRAAGD and exception.requested_by_id != user.id)


def can_open_received_exception(user, exception) -> bool:
    """An open exception for a privacy officer who may decide it; a decided one for who decided it."""
    return can_decide_received_exception(user, exception) or (
        user.is_authenticated and user.has_role(Role.PRIVACY_OFFICER) and exception.decided_by_id == user.id
    )
