"""The reporter protected: the coordinator's anonymised summary of a signal, which members and
referral packages get instead of the reporter's own words; the "anoniem voor deelnemers"
checkbox goes (members never saw the reporter, so it promised nothing). The settings
(reporter_summary_required, feedback_level) live in the setting table with defaults in code.

Revision ID: 0024
Revises: 0023
"""
import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("signal") as batch:
        batch.add_column(sa.Column("summary_enc", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("summary_recorded_at", sa.DateTime(), nullable=True))
        batch.drop_column("reporter_unnamed")


def downgrade():
    with op.batch_alter_table("signal") as batch:
        batch.add_column(sa.Column("reporter_unnamed", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.drop_column("summary_recorded_at")
        batch.drop_column("summary_enc")
