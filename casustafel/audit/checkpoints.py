"""Checkpoints of the hash chain: verify only what came after the newest stored one, and
write (seq, MAC) lines for storage outside the application (README “The privacy officer”)."""

import json

from sqlalchemy import select

from casustafel.audit_log import ChainStatus, verify_chain
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import AuditCheckpoint
from casustafel.models.base import keyring


def newest() -> AuditCheckpoint | None:
    return db.session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc(),
                                                              AuditCheckpoint.id.desc()).limit(1))


def verify_since_newest(actor=None, source: str | None = None) -> tuple[ChainStatus, AuditCheckpoint | None]:
    """Verify after the newest stored checkpoint. With a `source`, also store a new checkpoint
    when the chain is intact and grew (the caller commits); without one nothing is written, so
    the viewer can verify on a GET. Returns the status and the checkpoint it started from."""
    start = newest()
    status = verify_chain(keyring(), since=(start.seq, start.mac) if start else None)
    if source and status.ok and status.last_seq and (start is None or status.last_seq > start.seq):
        store(actor, status, source)
    return status, start


def store(actor, status: ChainStatus, source: str) -> AuditCheckpoint:
    checkpoint = AuditCheckpoint(seq=status.last_seq, mac=status.last_mac, created_at=utcnow(),
                                 created_by_id=getattr(actor, "id", None), source=source)
    db.session.add(checkpoint)
    return checkpoint


def as_line(checkpoint: AuditCheckpoint) -> str:
    return json.dumps({"seq": checkpoint.seq, "mac": checkpoint.mac,
                       "created_at": checkpoint.created_at.isoformat(timespec="seconds") + "Z"},
                      separators=(",", ":"))


def parse(text: str) -> tuple[int, str]:
    """A checkpoint from "seq:mac" or from the newest JSON line of a checkpoint file's text."""
    text = text.strip()
    if ":" in text and "{" not in text:
        seq, _, mac = text.partition(":")
        return _checked(seq, mac)
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("leeg controlepuntbestand")
    data = json.loads(lines[-1])
    return _checked(data["seq"], data["mac"])


def _checked(seq, mac) -> tuple[int, str]:
    seq = int(seq)
    mac = str(mac).strip().lower()
    if seq < 0 or len(mac) != 64 or any(c not in "0123456789abcdef" for c in mac):
        raise ValueError("ongeldig controlepunt")
    return seq, mac
