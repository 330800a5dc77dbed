"""The plan of approach and the monitoring period of a case the municipality handles itself
(model protocol step 4): every version of the plan and every end date of the monitoring is a
row of its own, so nothing recorded is lost. Existing cases start without either.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "case_plan",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("signal_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("goal_enc", sa.LargeBinary(), nullable=True),
        sa.Column("interventions_enc", sa.LargeBinary(), nullable=True),
        sa.Column("director_id", sa.Uuid(), nullable=True),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["signal_id"], ["signal.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["director_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("signal_id", "number", name="uq_case_plan_signal_id"),
    )
    op.create_index("ix_case_plan_signal_id", "case_plan", ["signal_id"])
    op.create_table(
        "monitoring_period",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("signal_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("reason_enc", sa.LargeBinary(), nullable=True),
        sa.Column("set_by_id", sa.Uuid(), nullable=True),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.Column("last_reminded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["signal_id"], ["signal.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["set_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("signal_id", "number", name="uq_monitoring_period_signal_id"),
    )
    op.create_index("ix_monitoring_period_signal_id", "monitoring_period", ["signal_id"])


def downgrade():
    op.drop_index("ix_monitoring_period_signal_id", table_name="monitoring_period")
    op.drop_table("monitoring_period")
    op.drop_index("ix_case_plan_signal_id", table_name="case_plan")
    op.drop_table("case_plan")
