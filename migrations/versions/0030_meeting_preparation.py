"""The casustafel meeting, prepared and chaired: standing invitee groups, place and online link,
calendar invitations (sequence, cancellation), presence, the status an agenda item restores on
removal, the reason for closing before the date, the cut-off reminder; and meeting times in UTC.

Until now `meeting.held_at` held the wall-clock time the coordinator typed (Dutch time), while
every other timestamp is naive UTC. The upgrade reads each stored time as Europe/Amsterdam and
writes it as UTC (the downgrade does the reverse), so 09:30 in winter becomes 08:30 UTC.

Revision ID: 0030
Revises: 0029
"""
from datetime import UTC
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

LOCAL = ZoneInfo("Europe/Amsterdam")
meeting = sa.table("meeting", sa.column("id", sa.Uuid()), sa.column("held_at", sa.DateTime()))


def _convert(to_utc: bool) -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.select(meeting.c.id, meeting.c.held_at)).all():
        if to_utc:
            value = row.held_at.replace(tzinfo=LOCAL).astimezone(UTC).replace(tzinfo=None)
        else:
            value = row.held_at.replace(tzinfo=UTC).astimezone(LOCAL).replace(tzinfo=None)
        bind.execute(meeting.update().where(meeting.c.id == row.id).values(held_at=value))


def upgrade():
    with op.batch_alter_table("meeting") as batch:
        batch.add_column(sa.Column("location", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("online_link", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("calendar_sequence", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("cancelled_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("cutoff_reminded_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("close_override_reason_enc", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("meeting_invitee") as batch:
        batch.add_column(sa.Column("attendance", sa.String(length=16), nullable=True))
    with op.batch_alter_table("agenda_item") as batch:
        batch.add_column(sa.Column("previous_status", sa.String(length=32), nullable=True))
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("calendar", sa.Text(), nullable=True))
    op.create_table(
        "invitee_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitee_group")),
        sa.UniqueConstraint("name", name=op.f("uq_invitee_group_name")),
    )
    op.create_table(
        "invitee_group_member",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["group_id"], ["invitee_group.id"],
                                name=op.f("fk_invitee_group_member_group_id_invitee_group"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"],
                                name=op.f("fk_invitee_group_member_user_id_user_account"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"],
                                name=op.f("fk_invitee_group_member_department_id_department")),
        sa.PrimaryKeyConstraint("group_id", "user_id", name=op.f("pk_invitee_group_member")),
    )
    _convert(to_utc=True)


def downgrade():
    _convert(to_utc=False)
    op.drop_table("invitee_group_member")
    op.drop_table("invitee_group")
    with op.batch_alter_table("notification") as batch:
        batch.drop_column("calendar")
    with op.batch_alter_table("agenda_item") as batch:
        batch.drop_column("previous_status")
    with op.batch_alter_table("meeting_invitee") as batch:
        batch.drop_column("attendance")
    with op.batch_alter_table("meeting") as batch:
        for column in ("close_override_reason_enc", "cutoff_reminded_at", "cancelled_at", "calendar_sequence",
                       "online_link", "location"):
            batch.drop_column(column)
