"""References: a permutation key per year, so a signal's number no longer shows its order.

A year that already has references keeps counting (its key stays empty); the next year gets a
key. Nothing is renumbered: references are printed on packages and in letters.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("reference_counter", schema=None) as batch_op:
        batch_op.add_column(sa.Column("permutation_key", sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table("reference_counter", schema=None) as batch_op:
        batch_op.drop_column("permutation_key")
