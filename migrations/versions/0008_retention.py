"""Retention (additions): none. Revision 0005 already holds retention_run, destruction_record,
Signal.destroyed_at and the legal-hold columns; the terms are rows in `setting`.

Revision ID: 0008
Revises: 0007
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
