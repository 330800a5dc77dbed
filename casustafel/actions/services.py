"""Actions (interventies): creating and updating them. The caller commits."""

from casustafel.audit import record
from casustafel.extensions import db
from casustafel.models import ACTION_TYPES, Action
from casustafel.models.base import utcnow


def create_action(actor, signal, *, type: str, deadline, owner_id=None, owner_department_id=None,
                  description: str | None = None, agenda_item=None) -> Action:
    """Create an action on a signal for a person or a department."""
    if type not in ACTION_TYPES:
        raise ValueError(f"unknown action type {type!r}")
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
    action.status = status
    if result is not None:
        action.result = result
    action.completed_at = utcnow() if status == "afgerond" else None
    record(actor, "action.updated", action, purpose="casustafel")
