"""A referral that hands the case over (model protocol weging 3/4, a meeting decision): only
sending one moves a signal to ‘doorgezet’. Sent referrals of signals that are (or were closed
as) doorgezet are marked as the handovers they were.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("referral") as batch:
        batch.add_column(sa.Column("hands_over", sa.Boolean(), nullable=False, server_default=sa.false()))
    referral = sa.table("referral", sa.column("signal_id"), sa.column("status"), sa.column("hands_over"))
    signal = sa.table("signal", sa.column("id"), sa.column("status"), sa.column("closing_reason"))
    handed_over = sa.select(signal.c.id).where(sa.or_(signal.c.status == "doorgezet",
                                                      signal.c.closing_reason == "doorgezet_afgerond"))
    op.execute(referral.update().where(referral.c.status != "concept", referral.c.signal_id.in_(handed_over))
               .values(hands_over=True))


def downgrade():
    with op.batch_alter_table("referral") as batch:
        batch.drop_column("hands_over")
