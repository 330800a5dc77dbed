"""The municipality's own look and letterhead: name, department, address, contact person,
signatory, theme class, logo (a re-encoded PNG) and an optional theme stylesheet, in one row.

Revision ID: 0032
Revises: 0031
"""
import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "organisation_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=True),
        sa.Column("department", sa.String(length=120), nullable=True),
        sa.Column("postal_address", sa.String(length=300), nullable=True),
        sa.Column("website", sa.String(length=200), nullable=True),
        sa.Column("contact_name", sa.String(length=120), nullable=True),
        sa.Column("contact_role", sa.String(length=120), nullable=True),
        sa.Column("contact_phone", sa.String(length=40), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("signatory_name", sa.String(length=120), nullable=True),
        sa.Column("signatory_role", sa.String(length=200), nullable=True),
        sa.Column("theme_class", sa.String(length=64), nullable=True),
        sa.Column("logo_png", sa.LargeBinary(), nullable=True),
        sa.Column("theme_css", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_profile")),
    )


def downgrade():
    op.drop_table("organisation_profile")
