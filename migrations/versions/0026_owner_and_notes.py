"""Assignment and notes: a signal's owner among the coordinators (regisseur), and the
coordinators' internal notes on a signal (encrypted, append-only, destroyed with the signal).

Revision ID: 0026
Revises: 0025
"""
import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("signal") as batch:
        batch.add_column(sa.Column("owner_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key("fk_signal_owner_id_user_account", "user_account", ["owner_id"], ["id"])
        batch.create_index(batch.f("ix_signal_owner_id"), ["owner_id"], unique=False)
    op.create_table(
        "signal_note",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("signal_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("text_enc", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["signal_id"], ["signal.id"], name=op.f("fk_signal_note_signal_id_signal"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["user_account.id"], name=op.f("fk_signal_note_author_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signal_note")),
    )
    with op.batch_alter_table("signal_note") as batch:
        batch.create_index(batch.f("ix_signal_note_signal_id"), ["signal_id"], unique=False)
        batch.create_index(batch.f("ix_signal_note_created_at"), ["created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("signal_note") as batch:
        batch.drop_index(batch.f("ix_signal_note_created_at"))
        batch.drop_index(batch.f("ix_signal_note_signal_id"))
    op.drop_table("signal_note")
    with op.batch_alter_table("signal") as batch:
        batch.drop_index(batch.f("ix_signal_owner_id"))
        batch.drop_constraint("fk_signal_owner_id_user_account", type_="foreignkey")
        batch.drop_column("owner_id")
