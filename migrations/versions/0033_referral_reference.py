"""A referral's own reference, VS-YYYY-NNNN: the year it was recorded (Dutch calendar) and its
number in that year. Existing referrals are numbered per year in the order they were recorded.

Revision ID: 0033
Revises: 0032
"""
from collections import Counter
from datetime import UTC
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

LOCAL = ZoneInfo("Europe/Amsterdam")


def upgrade():
    with op.batch_alter_table("referral") as batch:
        batch.add_column(sa.Column("reference", sa.String(length=32), nullable=True))
    referral = sa.table("referral", sa.column("id", sa.Uuid()), sa.column("created_at", sa.DateTime()),
                        sa.column("reference", sa.String(32)))
    conn = op.get_bind()
    rows = conn.execute(sa.select(referral.c.id, referral.c.created_at)
                        .order_by(referral.c.created_at, referral.c.id)).all()
    numbers = Counter()
    for row_id, created_at in rows:
        year = created_at.replace(tzinfo=UTC).astimezone(LOCAL).year
        numbers[year] += 1
        conn.execute(referral.update().where(referral.c.id == row_id)
                     .values(reference=f"VS-{year}-{numbers[year]:04d}"))
    with op.batch_alter_table("referral") as batch:
        batch.alter_column("reference", existing_type=sa.String(length=32), nullable=False)
        batch.create_unique_constraint("uq_referral_reference", ["reference"])


def downgrade():
    with op.batch_alter_table("referral") as batch:
        batch.drop_constraint("uq_referral_reference", type_="unique")
        batch.drop_column("reference")
