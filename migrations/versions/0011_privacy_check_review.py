"""Four eyes on privacy checks the coordinator records: the role a check was decided in, and
the check a privacy officer reopened in its place. Existing decisions get the role their
decider holds now (privacy officer, else coordinator).

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("privacy_check") as batch:
        batch.add_column(sa.Column("decided_role", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("reopened_from_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key("fk_privacy_check_reopened_from_id_privacy_check", "privacy_check", ["reopened_from_id"], ["id"])
    officers = "SELECT user_id FROM user_role WHERE role = 'privacy_officer'"
    op.execute(f"UPDATE privacy_check SET decided_role = 'privacy_officer' "
               f"WHERE decided_by_id IS NOT NULL AND decided_by_id IN ({officers})")
    op.execute("UPDATE privacy_check SET decided_role = 'coordinator' "
               "WHERE decided_by_id IS NOT NULL AND decided_role IS NULL")


def downgrade():
    with op.batch_alter_table("privacy_check") as batch:
        batch.drop_constraint("fk_privacy_check_reopened_from_id_privacy_check", type_="foreignkey")
        batch.drop_column("reopened_from_id")
        batch.drop_column("decided_role")
