"""A signal taken over from the former register (`flask import signals`) keeps a keyed hash of
its row, so importing the same file again creates nothing twice.

Revision ID: 0034
Revises: 0033
"""
import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("signal") as batch:
        batch.add_column(sa.Column("import_key", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("uq_signal_import_key", ["import_key"])


def downgrade():
    with op.batch_alter_table("signal") as batch:
        batch.drop_constraint("uq_signal_import_key", type_="unique")
        batch.drop_column("import_key")
