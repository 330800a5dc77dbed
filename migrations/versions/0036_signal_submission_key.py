"""A signal made with a form (meldpunt, the coordinator's registration) keeps a keyed hash of the
form's one-time submission key, so a double-clicked submit creates nothing twice.

Revision ID: 0036
Revises: 0035
"""
import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("signal") as batch:
        batch.add_column(sa.Column("submission_key", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("uq_signal_submission_key", ["submission_key"])


def downgrade():
    with op.batch_alter_table("signal") as batch:
        batch.drop_constraint("uq_signal_submission_key", type_="unique")
        batch.drop_column("submission_key")
