"""Granting, listing and ending break-glass access. Services take the actor and the time
explicitly and never commit: the view commits the grant and its log event together."""

import re
from datetime import datetime, timedelta

from sqlalchemy import select

from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.models import AuditEvent, BreakGlass, Signal, User
from casustafel.models.roles import Role
from casustafel.notifications import notify

PURPOSE = "noodtoegang"
DURATIONS = (15, 30, 60)  # minutes
REFERENCE_RE = re.compile(r"^SIG-\d{4}-\d{4,}$")
NOTICE_SUBJECT = "Noodtoegang gebruikt in casustafel"
NOTICE_BODY = ("Iemand heeft noodtoegang tot een melding gekregen. Beoordeel dit in de afwijkingen "
               "van het logboek in casustafel.")


def normalise_reference(value: str | None) -> str:
    return (value or "").strip().upper()


def find_signal(reference: str) -> Signal | None:
    """The signal with this reference, unless retention destroyed its content."""
    return db.session.scalar(
        select(Signal).where(Signal.reference == reference, Signal.destroyed_at.is_(None))
    )


def _active(query, now: datetime):
    return query.where(
        BreakGlass.ended_at.is_(None), BreakGlass.expires_at > now, BreakGlass.signal_id.is_not(None)
    )


def active_grants(user, now: datetime) -> list[BreakGlass]:
    return list(db.session.scalars(
        _active(select(BreakGlass).where(BreakGlass.user_id == user.id), now).order_by(BreakGlass.expires_at)
    ))


def active_grant_for(user, signal: Signal, now: datetime) -> BreakGlass | None:
    return db.session.scalar(
        _active(select(BreakGlass).where(BreakGlass.user_id == user.id, BreakGlass.signal_id == signal.id), now)
        .limit(1)
    )


def grants_of(user, limit: int = 50) -> list[BreakGlass]:
    """The user's own grants, newest first."""
    return list(db.session.scalars(
        select(BreakGlass).where(BreakGlass.user_id == user.id).order_by(BreakGlass.started_at.desc()).limit(limit)
    ))


def is_active(grant: BreakGlass, now: datetime) -> bool:
    return grant.ended_at is None and grant.expires_at > now and grant.signal_id is not None


def grant_access(actor: User, role: str, signal: Signal, reason: str, minutes: int, now: datetime) -> BreakGlass:
    """Open break-glass access to `signal` for `minutes`; log it and tell the privacy officers
    (content-free: not who, not which signal, not why)."""
    if minutes not in DURATIONS:
        raise ValueError(f"duration {minutes} not allowed")
    grant = BreakGlass(
        user_id=actor.id, role=str(role), signal_id=signal.id, signal_reference=signal.reference,
        started_at=now, expires_at=now + timedelta(minutes=minutes),
    )
    grant.reason = reason
    db.session.add(grant)
    record(actor, "break_glass.granted", signal, purpose=PURPOSE, reason_code=str(minutes), role=str(role))
    for officer in db.session.scalars(select(User).where(User.active.is_(True))):
        if officer.has_role(Role.PRIVACY_OFFICER):
            notify(officer, NOTICE_SUBJECT, NOTICE_BODY)
    return grant


def record_refusal(actor: User, role: str, signal: Signal | None, reason_code: str) -> None:
    """Log a refused request under the user's name: also a probe of a reference that does not
    exist (never the typed reference itself)."""
    record(actor, "break_glass.refused", signal, object_type=None if signal else "signal", result="denied",
           purpose=PURPOSE, reason_code=reason_code, role=str(role))


def grant_for_event(actor_id, signal_id, at: datetime) -> BreakGlass | None:
    """The grant a `break_glass.granted` event recorded (same user and signal, started then)."""
    candidates = db.session.scalars(select(BreakGlass).where(BreakGlass.user_id == actor_id,
                                                             BreakGlass.signal_id == signal_id)).all()
    return min(candidates, key=lambda g: abs((g.started_at - at).total_seconds()), default=None)


def reads_under(grant: BreakGlass) -> list:
    """Every page of the signal read under the grant, oldest first (for the privacy officer)."""
    until = grant.ended_at or grant.expires_at
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.actor_id == grant.user_id, AuditEvent.action == "break_glass.signal_viewed",
        AuditEvent.object_id == str(grant.signal_id), AuditEvent.occurred_at >= grant.started_at,
        AuditEvent.occurred_at <= until).order_by(AuditEvent.occurred_at, AuditEvent.seq)))


def record_signal_viewed(actor: User, grant: BreakGlass, signal: Signal) -> None:
    record(actor, "break_glass.signal_viewed", signal, purpose=PURPOSE,
           subjects=[str(s.id) for s in signal.subjects], role=grant.role)


def end_access(actor: User, grant: BreakGlass, now: datetime) -> None:
    """End the grant before it expires."""
    grant.ended_at = now
    if grant.signal_id is not None:
        record(actor, "break_glass.ended", object_type="signal", object_id=grant.signal_id,
               purpose=PURPOSE, role=grant.role)
    else:
        record(actor, "break_glass.ended", grant, purpose=PURPOSE, role=grant.role)
