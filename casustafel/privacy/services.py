"""Privacy checks 1, 2A and 2B: requesting them. Deciding lives with the privacy views."""

from sqlalchemy import select

from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.models import PRIVACY_CHECK_KINDS, PrivacyCheck


def open_check(signal, kind: str, *, meeting=None, action=None, referral=None) -> PrivacyCheck | None:
    stmt = select(PrivacyCheck).where(
        PrivacyCheck.signal_id == signal.id, PrivacyCheck.kind == kind, PrivacyCheck.status == "open"
    )
    if meeting is not None:
        stmt = stmt.where(PrivacyCheck.meeting_id == meeting.id)
    if action is not None:
        stmt = stmt.where(PrivacyCheck.action_id == action.id)
    if referral is not None:
        stmt = stmt.where(PrivacyCheck.referral_id == referral.id)
    return db.session.scalar(stmt.limit(1))


def request_privacy_check(actor, signal, kind: str, *, meeting=None, action=None, referral=None,
                          note: str | None = None) -> PrivacyCheck:
    """Ask for a privacy check; an identical open request is reused instead of duplicated."""
    if kind not in PRIVACY_CHECK_KINDS:
        raise ValueError(f"unknown privacy check {kind!r}")
    existing = open_check(signal, kind, meeting=meeting, action=action, referral=referral)
    if existing is not None:
        return existing
    check = PrivacyCheck(
        signal_id=signal.id,
        kind=kind,
        status="open",
        meeting_id=getattr(meeting, "id", None),
        action_id=getattr(action, "id", None),
        referral_id=getattr(referral, "id", None),
        requested_by_id=getattr(actor, "id", None),
    )
    check.request_note = note
    db.session.add(check)
    db.session.flush()
    record(actor, "privacy_check.requested", check, purpose="casustafel")
    return check


def latest_decision(signal, kind: str, *, meeting=None, action=None) -> PrivacyCheck | None:
    """The most recent decided check of this kind (for 2A: for this meeting; 2B: this action)."""
    stmt = select(PrivacyCheck).where(
        PrivacyCheck.signal_id == signal.id, PrivacyCheck.kind == kind, PrivacyCheck.status == "besloten"
    )
    if meeting is not None:
        stmt = stmt.where(PrivacyCheck.meeting_id == meeting.id)
    if action is not None:
        stmt = stmt.where(PrivacyCheck.action_id == action.id)
    return db.session.scalar(stmt.order_by(PrivacyCheck.decided_at.desc()).limit(1))
