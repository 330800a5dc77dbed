"""Actions (interventies): creating, updating, finding and reminding. The caller commits.

Notifications say only that there is something in casustafel, never what.
"""

from datetime import date, timedelta

from sqlalchemy import Select, and_, or_, select, update

from casustafel.audit_log import record
from casustafel.dates import day_start_utc, utcnow
from casustafel.extensions import db
from casustafel.models import NEW_ACTION_TYPES, Action, PrivacyCheck, User, UserRole
from casustafel.models.roles import Role
from casustafel.notifications import app_link, notify
from casustafel.processing import refuse_if_restricted
from casustafel.signals.visibility import EVERYTHING

# The statuses an action may move to from each status: forward only.
NEXT_STATUSES = {
    "open": ("open", "in_uitvoering", "afgerond"),
    "in_uitvoering": ("in_uitvoering", "afgerond"),
    "afgerond": (),
}

OPEN_ACTION_SUBJECT = "Actie in casustafel"
OPEN_ACTION_BODY = "Er staat een actie voor u open in casustafel"
NEWS_SUBJECT = "Nieuws in casustafel"
NEWS_BODY = "Er is nieuws over een actie voor u in casustafel"


class ActionError(ValueError):
    """A refused action, with a Dutch message for the user."""


def create_action(actor, signal, *, type: str, deadline, owner_id=None, owner_department_id=None,
                  description: str | None = None, agenda_item=None) -> Action:
    """Create an action on a signal for a person or a department. A retired type ("bibob":
    the Bibob track) or an unknown one is refused; old actions keep theirs. Refused while the
    signal's processing is restricted (art. 18 AVG)."""
    refuse_if_restricted(signal, ActionError)
    if type not in NEW_ACTION_TYPES:
        raise ValueError(f"action type {type!r} is not offered for new actions")
    if owner_id is None and owner_department_id is None:
        raise ValueError("an action needs an owner or a department")
    action = Action(
        signal_id=signal.id,
        type=type,
        deadline=deadline,
        owner_id=owner_id,
        owner_department_id=owner_department_id,
        agenda_item_id=getattr(agenda_item, "id", None),
        created_by_id=getattr(actor, "id", None),
    )
    action.description = description
    db.session.add(action)
    db.session.flush()
    record(actor, "action.created", action, purpose="casustafel")
    return action


def update_action(actor, action: Action, *, status: str, result: str | None = None) -> None:
    refuse_if_restricted(action.signal, ActionError)  # art. 18 AVG: only stored while restricted
    action.status = status
    if result is not None:
        action.result = result
    action.completed_at = utcnow() if status == "afgerond" else None
    record(actor, "action.updated", action, purpose="casustafel")


# --- who sees which action -------------------------------------------------------------


def visible_to(user) -> Select:
    """Actions assigned to the user, or to the user's department without a personal owner.

    The query form of permissions.can_view_action for a member.
    """
    mine = Action.owner_id == user.id
    if user.department_id is None:
        return select(Action).where(mine)
    department = and_(Action.owner_id.is_(None), Action.owner_department_id == user.department_id)
    return select(Action).where(or_(mine, department))


def owners(action: Action) -> list[User]:
    """The people an action is for: its owner, or every active member of its department."""
    if action.owner_id is not None:
        owner = db.session.get(User, action.owner_id)
        return [owner] if owner is not None and owner.active else []
    if action.owner_department_id is None:
        return []
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                User.department_id == action.owner_department_id,
                User.active.is_(True),
                UserRole.role == Role.MEMBER.value,
            )
            .order_by(User.display_name)
        )
    )


def notify_owners(actor, action: Action, *, created: bool) -> int:
    """Tell the owner(s), except the actor, that there is news; never what. Return the count."""
    subject, body = (OPEN_ACTION_SUBJECT, OPEN_ACTION_BODY) if created else (NEWS_SUBJECT, NEWS_BODY)
    recipients = [u for u in owners(action) if u.id != getattr(actor, "id", None)]
    link = app_link("actions.mine") if recipients else None  # "Mijn acties": no id, no content
    for user in recipients:
        notify(user, subject, body, link=link)
    return len(recipients)


# --- privacy check 2B --------------------------------------------------------------------


def needs_privacy_check(action: Action) -> bool:
    """Data goes to someone outside the casustafel's regie, a department or a person alike:
    privacy check 2B (weging 5) comes first. Only an action a coordinator owns needs none."""
    if action.owner_id is not None:
        owner = action.owner or db.session.get(User, action.owner_id)
        return owner is None or not owner.has_role(Role.COORDINATOR)
    return True


def privacy_check_2b(action: Action) -> PrivacyCheck | None:
    """The most recent privacy check 2B asked for this action."""
    return db.session.scalar(
        select(PrivacyCheck)
        .where(PrivacyCheck.action_id == action.id, PrivacyCheck.kind == "2B")
        .order_by(PrivacyCheck.requested_at.desc())
        .limit(1)
    )


def _status_line(check: PrivacyCheck | None) -> str:
    if check is None:
        return "Privacytoets 2B is nog niet aangevraagd"
    if check.status == "open":
        return "Wacht op privacytoets 2B"
    if check.approved:
        return "Privacytoets 2B: goedgekeurd"
    return "Privacytoets 2B: afgewezen; er worden geen gegevens gedeeld"


def privacy_status(action: Action) -> str | None:
    """A Dutch line about privacy check 2B for this action, or None when it needs none."""
    if not needs_privacy_check(action):
        return None
    return _status_line(privacy_check_2b(action))


def privacy_statuses(actions) -> dict:
    """privacy_status for many actions in one query: {action id: line or None}."""
    ids = [a.id for a in actions if needs_privacy_check(a)]
    latest = {}
    if ids:
        checks = db.session.scalars(
            select(PrivacyCheck)
            .where(PrivacyCheck.action_id.in_(ids), PrivacyCheck.kind == "2B")
            .order_by(PrivacyCheck.requested_at)
        )
        latest = {c.action_id: c for c in checks}  # the newest wins
    return {a.id: _status_line(latest.get(a.id)) if a.id in ids else None for a in actions}


def released_fields(user, action: Action) -> frozenset[str]:
    """The fields of the signal the user may see with this action: all of them for the
    coordinator (and an action a coordinator owns), else exactly what the latest approved
    check 2B allowed; nothing while it is open or refused."""
    if user.has_role(Role.COORDINATOR) or not needs_privacy_check(action):
        return EVERYTHING
    check = privacy_check_2b(action)
    if check is None or check.status != "besloten" or not check.approved:
        return frozenset()
    return frozenset(check.allowed_fields or ())


def description_released(user, action: Action) -> bool:
    """The action's own text may hold anything of the signal: the owner sees it only where
    check 2B allowed sharing the description. The coordinator wrote it and always sees it."""
    return "beschrijving" in released_fields(user, action)


# --- reminders ---------------------------------------------------------------------------


def actions_to_remind(today: date, days: int) -> list[Action]:
    """Unfinished actions due within `days` days (or overdue) not yet reminded today."""
    since = day_start_utc(today)
    return list(
        db.session.scalars(
            select(Action)
            .where(
                Action.status != "afgerond",
                Action.deadline <= today + timedelta(days=days),
                or_(Action.last_reminded_at.is_(None), Action.last_reminded_at < since),
            )
            .order_by(Action.deadline)
        )
    )


def remind(actor, today: date, days: int = 3) -> tuple[int, int]:
    """Queue a content-free reminder per owner; return (actions reminded, messages queued)."""
    actions = actions_to_remind(today, days)
    messages = 0
    for action in actions:
        for user in owners(action):
            notify(user, OPEN_ACTION_SUBJECT, OPEN_ACTION_BODY)
            messages += 1
        record(actor, "action.reminded", action, purpose="casustafel")
    if actions:
        # Bookkeeping, not a change of the action: leave its version alone so an owner's
        # open form does not turn stale because a reminder went out.
        table = Action.__table__
        db.session.execute(
            update(table).where(table.c.id.in_([a.id for a in actions])).values(last_reminded_at=utcnow())
        )
    return len(actions), messages
