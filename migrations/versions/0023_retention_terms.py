"""Retention keeps the case file: a term and a reminder for signals open too long without
activity (with the coordinator's reasons for keeping one open), a term for data-subject request
files, and the VNG Selectielijst result type on every destruction record. Existing destruction
records keep no result type: "niet vastgelegd".

Revision ID: 0023
Revises: 0022
"""
import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("signal") as batch:
        batch.add_column(sa.Column("long_open_reminded_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("subject_request") as batch:
        batch.add_column(sa.Column("destroyed_at", sa.DateTime(), nullable=True))
        batch.create_index(batch.f("ix_subject_request_destroyed_at"), ["destroyed_at"], unique=False)
    with op.batch_alter_table("destruction_record") as batch:
        batch.add_column(sa.Column("selectielijst", sa.String(length=160), nullable=True))
    op.create_table(
        "open_justification",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("signal_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("reason_enc", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["signal_id"], ["signal.id"], name=op.f("fk_open_justification_signal_id_signal"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"],
                                name=op.f("fk_open_justification_recorded_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_justification")),
    )
    with op.batch_alter_table("open_justification") as batch:
        batch.create_index(batch.f("ix_open_justification_signal_id"), ["signal_id"], unique=False)
        batch.create_index(batch.f("ix_open_justification_recorded_at"), ["recorded_at"], unique=False)


def downgrade():
    with op.batch_alter_table("open_justification") as batch:
        batch.drop_index(batch.f("ix_open_justification_recorded_at"))
        batch.drop_index(batch.f("ix_open_justification_signal_id"))
    op.drop_table("open_justification")
    with op.batch_alter_table("destruction_record") as batch:
        batch.drop_column("selectielijst")
    with op.batch_alter_table("subject_request") as batch:
        batch.drop_index(batch.f("ix_subject_request_destroyed_at"))
        batch.drop_column("destroyed_at")
    with op.batch_alter_table("signal") as batch:
        batch.drop_column("long_open_reminded_at")
