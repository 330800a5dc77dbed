"""The date of the information a source check found (model protocol step 3: old information
may not justify a next step). Existing checks keep no date: "niet vastgelegd".

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("source_query") as batch:
        batch.add_column(sa.Column("information_date", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("source_query") as batch:
        batch.drop_column("information_date")
