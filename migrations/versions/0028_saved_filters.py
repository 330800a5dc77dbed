"""Saved inbox filters per user ("mijn werkvoorraad"): a name, unique per user, and the inbox's
filter arguments (codes, ids and numbers of days only; never a search term).

Revision ID: 0028
Revises: 0026
"""
import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "saved_filter",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_saved_filter_user_id_user_account"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_filter")),
        sa.UniqueConstraint("user_id", "name", name="uq_saved_filter_user_id_name"),
    )
    with op.batch_alter_table("saved_filter") as batch:
        batch.create_index(batch.f("ix_saved_filter_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("saved_filter") as batch:
        batch.drop_index(batch.f("ix_saved_filter_user_id"))
    op.drop_table("saved_filter")
