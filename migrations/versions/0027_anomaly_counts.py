"""Anomaly counters: a derived cache of the access log per category, user and hour, and the
sequence number up to which it has counted, so the anomaly page no longer scans the log.

Revision ID: 0027
Revises: 0026
"""
import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "audit_anomaly_count",
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=36), nullable=False),
        sa.Column("hour", sa.DateTime(), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("local_hour", sa.Integer(), nullable=False),
        sa.Column("local_weekday", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.Column("min_seq", SEQ, nullable=False),
        sa.Column("max_seq", SEQ, nullable=False),
        sa.Column("security_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("category", "actor", "hour", name=op.f("pk_audit_anomaly_count")),
    )
    with op.batch_alter_table("audit_anomaly_count") as batch:
        batch.create_index("ix_audit_anomaly_count_category_hour", ["category", "hour"], unique=False)
    op.create_table(
        "audit_anomaly_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", SEQ, nullable=False),
        sa.Column("base_seq", SEQ, nullable=False),
        sa.Column("pruned_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_anomaly_state")),
    )


def downgrade():
    op.drop_table("audit_anomaly_state")
    with op.batch_alter_table("audit_anomaly_count") as batch:
        batch.drop_index("ix_audit_anomaly_count_category_hour")
    op.drop_table("audit_anomaly_count")
