"""Log viewer: composite indexes for one user over a period and one object's history.

The single-column indexes on actor_id and object_id are replaced: the composite ones
serve the same lookups and keep appends cheaper.

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_audit_event_actor_id_occurred_at", "audit_event", ["actor_id", "occurred_at"])
    op.create_index("ix_audit_event_object_id_seq", "audit_event", ["object_id", "seq"])
    op.drop_index("ix_audit_event_actor_id", table_name="audit_event")
    op.drop_index("ix_audit_event_object_id", table_name="audit_event")


def downgrade():
    op.create_index("ix_audit_event_object_id", "audit_event", ["object_id"])
    op.create_index("ix_audit_event_actor_id", "audit_event", ["actor_id"])
    op.drop_index("ix_audit_event_object_id_seq", table_name="audit_event")
    op.drop_index("ix_audit_event_actor_id_occurred_at", table_name="audit_event")
