"""Bibob as its own track: a Bibob record per signal (art. 28 Wet Bibob: only the coordinator
sees it) and links to decisions in the municipality's case system (zaaknummer, encrypted).
Existing "Bibob-toets" actions stay as they are; new actions no longer offer that type.

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "bibob_record",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("signal_id", sa.Uuid(), nullable=False),
        sa.Column("body", sa.String(length=16), nullable=False),
        sa.Column("decision_kind", sa.String(length=24), nullable=False),
        sa.Column("investigated_on", sa.Date(), nullable=True),
        sa.Column("advice_requested", sa.Boolean(), nullable=False),
        sa.Column("advice_requested_on", sa.Date(), nullable=True),
        sa.Column("advice_received_on", sa.Date(), nullable=True),
        sa.Column("advice_outcome", sa.String(length=16), nullable=True),
        sa.Column("notes_enc", sa.LargeBinary(), nullable=True),
        sa.Column("zaaknummer_enc", sa.LargeBinary(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["signal_id"], ["signal.id"], name="fk_bibob_record_signal_id_signal",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"],
                                name="fk_bibob_record_created_by_id_user_account"),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user_account.id"],
                                name="fk_bibob_record_updated_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_bibob_record"),
    )
    op.create_index("ix_bibob_record_signal_id", "bibob_record", ["signal_id"])
    op.create_table(
        "case_system_link",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("signal_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("zaaknummer_enc", sa.LargeBinary(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("added_by_id", sa.Uuid(), nullable=True),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["signal_id"], ["signal.id"], name="fk_case_system_link_signal_id_signal",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["added_by_id"], ["user_account.id"],
                                name="fk_case_system_link_added_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_case_system_link"),
    )
    op.create_index("ix_case_system_link_signal_id", "case_system_link", ["signal_id"])


def downgrade():
    op.drop_index("ix_case_system_link_signal_id", table_name="case_system_link")
    op.drop_table("case_system_link")
    op.drop_index("ix_bibob_record_signal_id", table_name="bibob_record")
    op.drop_table("bibob_record")
