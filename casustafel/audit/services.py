"""Write and verify the access log. Events join the caller's transaction; the view commits.

The chain: mac(n) = HMAC(audit key, mac(n-1) ‖ canonical(event n)). Appends are serialised
by locking the single audit_head row first, on SQLite and PostgreSQL alike.
"""

import itertools
import json
from dataclasses import dataclass

from flask import g, has_request_context, request
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from casustafel import crypto
from casustafel.extensions import db
from casustafel.models import AuditEvent, AuditHead
from casustafel.models.base import keyring as current_keyring
from casustafel.models.base import utcnow

GENESIS_MAC = "0" * 64
_order = itertools.count()

RESULT_SUCCESS = "success"
RESULT_DENIED = "denied"
RESULT_FAILED = "failed"


def record(
    actor,
    action: str,
    obj=None,
    *,
    result: str = RESULT_SUCCESS,
    purpose: str | None = None,
    subjects: list[str] | None = None,
    object_type: str | None = None,
    object_id=None,
    reason_code: str | None = None,
    role: str | None = None,
) -> AuditEvent:
    """Add one log event to the current transaction. Never pass field values or search terms."""
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = obj.id if object_id is None else object_id
    in_request = has_request_context()
    if role is None and in_request:
        role = g.get("active_role")
    if role is None and actor is not None and getattr(actor, "roles", None):
        role = sorted(actor.roles)[0] if len(actor.roles) == 1 else None
    event_ = AuditEvent(
        actor_id=getattr(actor, "id", None),
        actor_role=str(role) if role else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        subject_pseudonyms=",".join(subjects) if subjects else None,
        purpose=purpose,
        result=result,
        reason_code=reason_code,
        request_id=g.get("request_id") if in_request else None,
        origin=request.remote_addr if in_request else "cli",
    )
    event_._order = next(_order)
    db.session.add(event_)
    return event_


def record_denial(actor, object_type: str, object_id, action: str = "access.denied") -> None:
    """Log a refused access and commit it at once: the request is about to end in 403/404."""
    db.session.rollback()
    record(actor, action, object_type=object_type, object_id=object_id, result=RESULT_DENIED)
    db.session.commit()


def canonical(ev: AuditEvent) -> bytes:
    fields = {
        "seq": ev.seq,
        "occurred_at": ev.occurred_at.isoformat(timespec="microseconds"),
        "actor_id": str(ev.actor_id) if ev.actor_id else None,
        "actor_role": ev.actor_role,
        "action": ev.action,
        "object_type": ev.object_type,
        "object_id": ev.object_id,
        "subject_pseudonyms": ev.subject_pseudonyms,
        "purpose": ev.purpose,
        "result": ev.result,
        "reason_code": ev.reason_code,
        "request_id": ev.request_id,
        "origin": ev.origin,
        "key_id": ev.key_id,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def compute_mac(keyring, ev: AuditEvent, prev_mac: str) -> str:
    return crypto.audit_mac(keyring, ev.key_id, bytes.fromhex(prev_mac), canonical(ev)).hex()


@event.listens_for(Session, "before_flush")
def _chain_new_events(session, flush_context, instances) -> None:
    new = sorted(
        (o for o in session.new if isinstance(o, AuditEvent) and o.seq is None),
        key=lambda o: getattr(o, "_order", 0),
    )
    if not new:
        return
    keyring = current_keyring()
    head = AuditHead.__table__
    conn = session.connection()
    # Take the write lock first (row lock on PostgreSQL, RESERVED lock on SQLite).
    conn.execute(update(head).where(head.c.id == 1).values(last_seq=head.c.last_seq))
    last_seq, last_mac = conn.execute(
        select(head.c.last_seq, head.c.last_mac).where(head.c.id == 1)
    ).one()
    kid = keyring.primary_kid("audit")
    for ev in new:
        last_seq += 1
        ev.seq = last_seq
        ev.key_id = kid
        if ev.occurred_at is None:
            ev.occurred_at = utcnow()
        ev.mac = last_mac = compute_mac(keyring, ev, last_mac)
    conn.execute(
        update(head).where(head.c.id == 1).values(last_seq=last_seq, last_mac=last_mac)
    )


def _entry_matches(keyring, ev: AuditEvent, prev_mac: str) -> bool:
    """False for a wrong MAC, a MAC that is not hex, or a key id not in the keyring."""
    try:
        expected = bytes.fromhex(compute_mac(keyring, ev, prev_mac))
        return crypto.constant_time_equal(bytes.fromhex(ev.mac), expected)
    except (crypto.KeyringError, ValueError, TypeError):
        return False


@dataclass
class ChainStatus:
    ok: bool
    count: int
    first_broken_seq: int | None = None
    message: str = ""


def verify_chain(keyring, batch_size: int = 5000, checkpoint: tuple[int, str] | None = None):
    """Recompute every MAC in order; name the first entry that does not match."""
    prev_seq, prev_mac, count = 0, GENESIS_MAC, 0
    while True:  # keyset pages, so memory stays flat over millions of events
        batch = db.session.scalars(
            select(AuditEvent).where(AuditEvent.seq > prev_seq).order_by(AuditEvent.seq).limit(batch_size)
        ).all()
        if not batch:
            break
        for ev in batch:
            count += 1
            if ev.seq != prev_seq + 1:
                return ChainStatus(
                    False, count, prev_seq + 1, f"Regel {prev_seq + 1} ontbreekt in het logboek"
                )
            if not _entry_matches(keyring, ev, prev_mac):
                return ChainStatus(False, count, ev.seq, f"Regel {ev.seq} is gewijzigd")
            prev_seq, prev_mac = ev.seq, ev.mac
        for ev in batch:
            db.session.expunge(ev)
    head = db.session.get(AuditHead, 1)
    if head is not None and (head.last_seq, head.last_mac) != (prev_seq, prev_mac):
        return ChainStatus(
            False, count, prev_seq + 1, f"Regels na {prev_seq} zijn verwijderd"
        )
    if checkpoint is not None:
        cp_seq, cp_mac = checkpoint
        if cp_seq > prev_seq:
            return ChainStatus(
                False, count, prev_seq + 1, f"Regels na {prev_seq} ontbreken (controlepunt {cp_seq})"
            )
        # The checkpoint's entry must still carry the same MAC.
        ev = db.session.get(AuditEvent, cp_seq)
        if ev is None or ev.mac != cp_mac:
            return ChainStatus(False, count, cp_seq, f"Regel {cp_seq} wijkt af van het controlepunt")
    return ChainStatus(True, count, None, f"Logboek intact: {count} regels")
