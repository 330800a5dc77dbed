"""Helpers shared by the tests, moved from tests/test_audit.py."""

from sqlalchemy import text

from casustafel.extensions import db
from casustafel.models import AuditEvent, AuditHead

EVENTS = AuditEvent.__table__


HEAD = AuditHead.__table__


def as_attacker(*statements):
    """Run Core statements in one transaction, as someone with direct database access.

    On PostgreSQL the superuser switches the append-only trigger off for this transaction
    only (`SET LOCAL session_replication_role = replica`).
    """
    db.session.remove()
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in statements:
            conn.execute(statement)


def detected(start, end):
    """The anomalies of the period, with the counters they brought up to date committed as the
    page commits them (on PostgreSQL an uncommitted count holds the counters' row lock against
    the next request's own session)."""
    from casustafel.audit import anomalies

    found = anomalies.detect(start, end)
    db.session.commit()
    return found
