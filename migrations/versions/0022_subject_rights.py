"""Data-subject rights complete (issue 18): informing a subject (art. 14 AVG) or a reasoned
deferral with a review date (art. 41 UAVG); the restriction of processing on a signal (art. 18);
the notification of recipients (art. 19); the extension of a request (art. 12 lid 3) and the
weighing of an objection (art. 21). No seed data.

Revision ID: 0022
Revises: 0021
"""
import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

REQUEST_COLUMNS = (
    ("extended_at", sa.DateTime()),
    ("extended_by_id", sa.Uuid()),
    ("extension_reason_enc", sa.LargeBinary()),
    ("extension_told_on", sa.Date()),
    ("objection_outcome", sa.String(length=16)),
    ("objection_reasoning_enc", sa.LargeBinary()),
    ("objection_decided_at", sa.DateTime()),
    ("objection_decided_by_id", sa.Uuid()),
    ("carried_out_on", sa.Date()),
)


def upgrade():
    op.create_table(
        "informing_decision",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("signal_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("informed_on", sa.Date(), nullable=True),
        sa.Column("ground", sa.String(length=64), nullable=True),
        sa.Column("reason_enc", sa.LargeBinary(), nullable=True),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("last_reminded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["signal_id"], ["signal.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["subject_id"], ["subject.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["decided_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_informing_decision_signal_id", "informing_decision", ["signal_id"])
    op.create_index("ix_informing_decision_subject_id", "informing_decision", ["subject_id"])
    op.create_index("ix_informing_decision_review_on", "informing_decision", ["review_on"])
    op.create_index("ix_informing_decision_decided_at", "informing_decision", ["decided_at"])
    op.create_table(
        "processing_restriction",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("signal_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("set_by_id", sa.Uuid(), nullable=True),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.Column("reason_enc", sa.LargeBinary(), nullable=True),
        sa.Column("lifted_by_id", sa.Uuid(), nullable=True),
        sa.Column("lifted_at", sa.DateTime(), nullable=True),
        sa.Column("lift_reason_enc", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["signal_id"], ["signal.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["request_id"], ["subject_request.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["set_by_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["lifted_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_processing_restriction_signal_id", "processing_restriction", ["signal_id"])
    op.create_index("ix_processing_restriction_request_id", "processing_restriction", ["request_id"])
    op.create_index("ix_processing_restriction_lifted_at", "processing_restriction", ["lifted_at"])
    op.create_table(
        "recipient_notification",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("notified_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("note_enc", sa.LargeBinary(), nullable=True),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["subject_request.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", "partner_id", name="uq_recipient_notification_request_partner"),
    )
    op.create_index("ix_recipient_notification_request_id", "recipient_notification", ["request_id"])
    with op.batch_alter_table("subject_request") as batch:
        for name, type_ in REQUEST_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
        batch.create_foreign_key("fk_subject_request_extended_by_id_user_account", "user_account",
                                 ["extended_by_id"], ["id"])
        batch.create_foreign_key("fk_subject_request_objection_decided_by_id_user_account", "user_account",
                                 ["objection_decided_by_id"], ["id"])


def downgrade():
    with op.batch_alter_table("subject_request") as batch:
        batch.drop_constraint("fk_subject_request_objection_decided_by_id_user_account", type_="foreignkey")
        batch.drop_constraint("fk_subject_request_extended_by_id_user_account", type_="foreignkey")
        for name, _type in reversed(REQUEST_COLUMNS):
            batch.drop_column(name)
    op.drop_index("ix_recipient_notification_request_id", table_name="recipient_notification")
    op.drop_table("recipient_notification")
    for name in ("lifted_at", "request_id", "signal_id"):
        op.drop_index(f"ix_processing_restriction_{name}", table_name="processing_restriction")
    op.drop_table("processing_restriction")
    for name in ("decided_at", "review_on", "subject_id", "signal_id"):
        op.drop_index(f"ix_informing_decision_{name}", table_name="informing_decision")
    op.drop_table("informing_decision")
