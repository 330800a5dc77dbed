"""Write and verify the access log. Events join the caller's transaction; the view commits.

The chain: mac(n) = HMAC(audit key, mac(n-1) ‖ canonical(event n)). Appends are serialised
by locking the single audit_head row first, on SQLite and PostgreSQL alike.
"""

import itertools
import json
from dataclasses import dataclass

from flask import g, has_request_context, request
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from casustafel import crypto
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import AuditEvent, AuditHead, AuditPruned
from casustafel.models.activity import ACTIVITY_CODES, UnmappedActionError, activity_for
from casustafel.models.base import keyring as current_keyring

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
    processing_activity: str | None = None,
) -> AuditEvent:
    """Add one log event to the current transaction. Never pass field values or search terms.

    Every event carries its processing activity (register of art. 30 AVG): from the action
    (models/activity.py), or `processing_activity` where the action alone is ambiguous. An
    action that maps to no activity raises UnmappedActionError: no event without one.
    """
    processing_activity = processing_activity or activity_for(action, obj)
    if processing_activity not in ACTIVITY_CODES:
        raise UnmappedActionError(f"Verwerkingsactiviteit {processing_activity!r} staat niet in het register")
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
        processing_activity=processing_activity,
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
    if ev.processing_activity is not None:  # events from before revision 0019 keep their MAC
        fields["processing_activity"] = ev.processing_activity
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
    last_seq: int = 0
    last_mac: str = GENESIS_MAC


SECURITY_ACTION_PREFIXES = ("auth.",)  # the login/security log (6 months), README “Retention and destruction”


def _seal(keyring, kid: int, label: bytes, *parts) -> str:
    payload = json.dumps([str(p) for p in parts], separators=(",", ":")).encode()
    return crypto.audit_mac(keyring, kid, label, payload).hex()


def base_seal(keyring, kid: int, seq: int, mac: str) -> str:
    return _seal(keyring, kid, b"casustafel/audit-base", seq, mac)


def stub_seal(keyring, kid: int, seq: int, mac: str, occurred_at, category: str) -> str:
    return _seal(keyring, kid, b"casustafel/audit-pruned", seq, mac,
                 occurred_at.isoformat(timespec="microseconds"), category)


def _sealed(keyring, kid, seal, expected) -> bool:
    try:
        return seal is not None and crypto.constant_time_equal(
            bytes.fromhex(seal), bytes.fromhex(expected(keyring, kid))
        )
    except (crypto.KeyringError, ValueError, TypeError):
        return False


def chain_base(keyring) -> tuple[int, str] | ChainStatus:
    """Where verification starts: (0, genesis), or the sealed anchor left by log retention."""
    head = db.session.get(AuditHead, 1)
    if head is None or not head.base_seq:
        return 0, GENESIS_MAC
    if not _sealed(keyring, head.base_key_id, head.base_seal,
                   lambda k, kid: base_seal(k, kid, head.base_seq, head.base_mac)):
        return ChainStatus(False, 0, head.base_seq, "Het beginpunt van het logboek is gewijzigd")
    return head.base_seq, head.base_mac


def _entries_after(prev_seq: int, batch_size: int):
    """Events and pruned stubs in sequence order, in keyset pages (flat memory)."""
    while True:
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.seq > prev_seq).order_by(AuditEvent.seq).limit(batch_size)
        ).all()
        upper = events[-1].seq if len(events) == batch_size else None
        stubs_q = select(AuditPruned).where(AuditPruned.seq > prev_seq)
        if upper is not None:
            stubs_q = stubs_q.where(AuditPruned.seq < upper)
        stubs = db.session.scalars(stubs_q.order_by(AuditPruned.seq).limit(batch_size)).all()
        if stubs and len(stubs) == batch_size:  # many stubs in a row: page through them first
            events = [e for e in events if e.seq < stubs[-1].seq]
        merged = sorted([*events, *stubs], key=lambda e: e.seq)
        if not merged:
            return
        yield from merged
        prev_seq = merged[-1].seq
        for obj in merged:
            db.session.expunge(obj)


def verify_chain(keyring, batch_size: int = 5000, checkpoint: tuple[int, str] | None = None,
                 since: tuple[int, str] | None = None):
    """Recompute every MAC in order; name the first entry that does not match.

    `since` = (seq, mac) of a stored checkpoint that was verified before: only what came
    after it is recomputed. `checkpoint` = (seq, mac) kept outside the application: the
    chain must still reach it with the same MAC (detects removal of the newest entries).
    """
    base = chain_base(keyring)
    if isinstance(base, ChainStatus):
        return base
    prev_seq, prev_mac = base
    if since is not None and since[0] > prev_seq:
        prev_seq, prev_mac = since
        anchor = db.session.get(AuditEvent, prev_seq)
        if anchor is not None and anchor.mac != prev_mac:
            return ChainStatus(False, 0, prev_seq, f"Regel {prev_seq} wijkt af van het controlepunt")
    count = 0
    for ev in _entries_after(prev_seq, batch_size):
        count += 1
        if ev.seq != prev_seq + 1:
            return ChainStatus(False, count, prev_seq + 1, f"Regel {prev_seq + 1} ontbreekt in het logboek")
        if isinstance(ev, AuditPruned):
            if not _sealed(keyring, ev.key_id, ev.seal,
                           lambda k, kid, ev=ev: stub_seal(k, kid, ev.seq, ev.mac, ev.occurred_at, ev.category)):
                return ChainStatus(False, count, ev.seq, f"Regel {ev.seq} (opgeschoond) is gewijzigd")
        elif not _entry_matches(keyring, ev, prev_mac):
            return ChainStatus(False, count, ev.seq, f"Regel {ev.seq} is gewijzigd")
        prev_seq, prev_mac = ev.seq, ev.mac
    head = db.session.get(AuditHead, 1)
    if head is not None and (head.last_seq, head.last_mac) != (prev_seq, prev_mac):
        return ChainStatus(False, count, prev_seq + 1, f"Regels na {prev_seq} zijn verwijderd")
    if checkpoint is not None:
        cp_seq, cp_mac = checkpoint
        if cp_seq > prev_seq:
            return ChainStatus(
                False, count, prev_seq + 1, f"Regels na {prev_seq} ontbreken (controlepunt {cp_seq})"
            )
        base_seq = base[0]
        if cp_seq > base_seq:  # older checkpoints point into the part retention removed
            entry = db.session.get(AuditEvent, cp_seq) or db.session.get(AuditPruned, cp_seq)
            if entry is None or entry.mac != cp_mac:
                return ChainStatus(False, count, cp_seq, f"Regel {cp_seq} wijkt af van het controlepunt")
    return ChainStatus(True, count, None, f"Logboek intact: {count} regels",
                       last_seq=prev_seq, last_mac=prev_mac)


def prune_log(now, access_cutoff, security_cutoff, batch_size: int = 5000) -> dict:
    """Log retention that keeps the chain verifiable (README “Retention and destruction”).

    Events older than `access_cutoff` form a prefix that is removed; the MAC of its last entry
    becomes the sealed anchor in audit_head. Security events (login and the like) older than
    `security_cutoff` are replaced by a sealed stub holding only sequence number, time and
    MAC. The caller commits. Returns counts.
    """
    keyring = current_keyring()
    kid = keyring.primary_kid("audit")
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL casustafel.audit_retention = 'on'")
    # Lock the head first, as appends do.
    conn.execute(update(AuditHead.__table__).where(AuditHead.id == 1)
                 .values(last_seq=AuditHead.__table__.c.last_seq))
    head = db.session.get(AuditHead, 1)
    db.session.refresh(head)
    first_young = db.session.scalar(
        select(AuditEvent.seq).where(AuditEvent.occurred_at >= access_cutoff).order_by(AuditEvent.seq).limit(1)
    )
    prefix_end = (first_young - 1) if first_young is not None else head.last_seq
    removed_prefix = stubbed = 0
    if prefix_end > head.base_seq:
        last = db.session.get(AuditEvent, prefix_end) or db.session.get(AuditPruned, prefix_end)
        if last is not None:
            removed_prefix = db.session.execute(
                AuditEvent.__table__.delete().where(AuditEvent.seq <= prefix_end)
            ).rowcount
            db.session.execute(AuditPruned.__table__.delete().where(AuditPruned.seq <= prefix_end))
            head.base_seq, head.base_mac, head.base_key_id = prefix_end, last.mac, kid
            head.base_seal = base_seal(keyring, kid, prefix_end, last.mac)
    security = or_(*(AuditEvent.action.startswith(p) for p in SECURITY_ACTION_PREFIXES))
    while True:
        batch = db.session.scalars(
            select(AuditEvent).where(security, AuditEvent.occurred_at < security_cutoff)
            .order_by(AuditEvent.seq).limit(batch_size)
        ).all()
        if not batch:
            break
        for ev in batch:
            db.session.add(AuditPruned(
                seq=ev.seq, occurred_at=ev.occurred_at, category="beveiliging", mac=ev.mac, key_id=kid,
                seal=stub_seal(keyring, kid, ev.seq, ev.mac, ev.occurred_at, "beveiliging"),
            ))
        db.session.flush()
        seqs = [ev.seq for ev in batch]
        for ev in batch:
            db.session.expunge(ev)
        stubbed += db.session.execute(AuditEvent.__table__.delete().where(AuditEvent.seq.in_(seqs))).rowcount
    return {"log_removed": removed_prefix, "security_stubbed": stubbed}
