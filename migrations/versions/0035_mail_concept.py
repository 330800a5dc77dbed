"""The meldpunt mailbox as a channel: every e-mail fetched by `flask mail fetch` waits as a concept
(subject and sender encrypted, the mail itself in the encrypted file store) until the coordinator
registers a signal from it or discards it; then only a marker is left (the keyed Message-ID and
the dates), so the same e-mail fetched again is still known.

Revision ID: 0035
Revises: 0034
"""
import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mail_concept",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("message_key", sa.String(length=64), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("subject_enc", sa.LargeBinary(), nullable=True),
        sa.Column("sender_enc", sa.LargeBinary(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("too_large", sa.Boolean(), nullable=False),
        sa.Column("file_id", sa.Uuid(), nullable=True),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        sa.Column("signal_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["signal_id"], ["signal.id"], name=op.f("fk_mail_concept_signal_id_signal"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_concept")),
        sa.UniqueConstraint("message_key", name=op.f("uq_mail_concept_message_key")),
        sa.UniqueConstraint("file_id", name=op.f("uq_mail_concept_file_id")),
    )
    op.create_index("ix_mail_concept_fetched_at", "mail_concept", ["fetched_at"])
    op.create_index("ix_mail_concept_received_at", "mail_concept", ["received_at"])
    op.create_index("ix_mail_concept_handled_at", "mail_concept", ["handled_at"])


def downgrade():
    op.drop_index("ix_mail_concept_handled_at", table_name="mail_concept")
    op.drop_index("ix_mail_concept_received_at", table_name="mail_concept")
    op.drop_index("ix_mail_concept_fetched_at", table_name="mail_concept")
    op.drop_table("mail_concept")
