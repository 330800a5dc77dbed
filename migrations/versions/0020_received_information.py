"""Restricted received information: police information becomes received information with a
source (politie, OM, RIEC-partner, Bureau Bibob), the ground it came under, the provider's
conditions and authorised recipients (encrypted) and whether it goes when the case closes;
exceptions for using one record further, asked by the coordinator and decided by a privacy
officer. Existing police information becomes source "politie" with ground "onbekend".

The ciphertexts are bound to their table and column (associated data), so the rows are moved
to the new table and re-encrypted, not renamed in place; the downgrade moves them back.

Revision ID: 0020
Revises: 0019
"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def _move(source: str, target: str, columns: dict[str, str]) -> None:
    """Copy the rows of `source` into `target`, re-encrypting each column (old name → new name)."""
    conn = op.get_bind()
    meta = sa.MetaData()
    meta.reflect(bind=conn, only=[source, target])
    old, new = meta.tables[source], meta.tables[target]
    query = sa.select(old)
    if source == "received_information":  # back to police information: only what came from the police
        query = query.where(old.c.source == "politie")
    rows = conn.execute(query).mappings().all()
    if not rows:
        return
    from casustafel import crypto
    from casustafel.models.base import keyring

    keys = keyring()
    shared = [c.name for c in new.columns if c.name in old.columns and not c.name.endswith("_enc")]
    for row in rows:
        row_id = row["id"] if isinstance(row["id"], uuid.UUID) else uuid.UUID(str(row["id"]))
        values = {name: row[name] for name in shared}
        for old_name, new_name in columns.items():
            blob = row[f"{old_name}_enc"]
            values[f"{new_name}_enc"] = None if blob is None else crypto.encrypt_field(
                keys, target, new_name, row_id, crypto.decrypt_field(keys, source, old_name, row_id, bytes(blob)))
        if target == "received_information":
            values.update(source="politie", ground="onbekend", delete_on_close=True)
        conn.execute(new.insert().values(**values))


def _police_information_table():
    return op.create_table(
        "police_information",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("signal_id", sa.Uuid(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("content_enc", sa.LargeBinary(), nullable=True),
        sa.Column("police_reference_enc", sa.LargeBinary(), nullable=True),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"],
                                name="fk_police_information_recorded_by_id_user_account"),
        sa.ForeignKeyConstraint(["signal_id"], ["signal.id"], name="fk_police_information_signal_id_signal",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_police_information"),
    )


def upgrade():
    op.create_table(
        "received_information",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("signal_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("ground", sa.String(length=32), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("content_enc", sa.LargeBinary(), nullable=True),
        sa.Column("provider_reference_enc", sa.LargeBinary(), nullable=True),
        sa.Column("conditions_enc", sa.LargeBinary(), nullable=True),
        sa.Column("recipients_enc", sa.LargeBinary(), nullable=True),
        sa.Column("delete_on_close", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"],
                                name="fk_received_information_recorded_by_id_user_account"),
        sa.ForeignKeyConstraint(["signal_id"], ["signal.id"], name="fk_received_information_signal_id_signal",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_received_information"),
    )
    op.create_index("ix_received_information_signal_id", "received_information", ["signal_id"])
    op.create_table(
        "received_information_exception",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("information_id", sa.Uuid(), nullable=False),
        sa.Column("signal_id", sa.Uuid(), nullable=False),
        sa.Column("use", sa.String(length=16), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("task_enc", sa.LargeBinary(), nullable=True),
        sa.Column("reasoning_enc", sa.LargeBinary(), nullable=True),
        sa.Column("requested_by_id", sa.Uuid(), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_reasoning_enc", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["information_id"], ["received_information.id"],
                                name="fk_received_information_exception_information",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["signal_id"], ["signal.id"], name="fk_received_information_exception_signal_id_signal",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"],
                                name="fk_received_information_exception_referral_id_referral", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["requested_by_id"], ["user_account.id"],
                                name="fk_received_information_exception_requested_by_id_user_account"),
        sa.ForeignKeyConstraint(["decided_by_id"], ["user_account.id"],
                                name="fk_received_information_exception_decided_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_received_information_exception"),
    )
    op.create_index("ix_received_information_exception_information_id", "received_information_exception",
                    ["information_id"])
    op.create_index("ix_received_information_exception_signal_id", "received_information_exception", ["signal_id"])
    op.create_index("ix_received_information_exception_status", "received_information_exception", ["status"])
    _move("police_information", "received_information", {"content": "content", "police_reference": "provider_reference"})
    op.drop_index("ix_police_information_signal_id", table_name="police_information")
    op.drop_table("police_information")


def downgrade():
    # Back to police information only: records from the OM, RIEC partners or Bibob, and the
    # source, ground, conditions, recipients and exceptions, have no place there and are lost
    # (never written back as if the police had sent them).
    _police_information_table()
    op.create_index("ix_police_information_signal_id", "police_information", ["signal_id"])
    _move("received_information", "police_information", {"content": "content", "provider_reference": "police_reference"})
    op.drop_table("received_information_exception")
    op.drop_index("ix_received_information_signal_id", table_name="received_information")
    op.drop_table("received_information")
