"""Referrals record the data categories their package held (sent_categories).

The register of disclosures showed the categories the coordinator asked for, including those
privacy check 2B refused. Already-sent referrals are backfilled with the rule their package
was rendered with: chosen ∩ allowed by the referral's latest check 2B, if it was decided and
approved. A sent referral without such a check keeps NULL ("niet vastgelegd"): nothing is
guessed. The category order is copied here so that this revision never changes meaning.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# casustafel.models.checks.SHAREABLE_FIELDS as it stood at this revision (the package's order).
CATEGORIES = ("fenomeen", "beschrijving", "betrokkenen", "geboortedata", "kvk", "adressen", "bronnen")

referral = sa.table(
    "referral",
    sa.column("id", sa.Uuid),
    sa.column("sent_on", sa.Date),
    sa.column("data_categories", sa.JSON),
    sa.column("sent_categories", sa.JSON),
)
privacy_check = sa.table(
    "privacy_check",
    sa.column("referral_id", sa.Uuid),
    sa.column("kind", sa.String),
    sa.column("status", sa.String),
    sa.column("approved", sa.Boolean),
    sa.column("allowed_fields", sa.JSON),
    sa.column("requested_at", sa.DateTime),
)


def _codes(value) -> set:
    return set(value) if isinstance(value, list) else set()


def upgrade():
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_categories", sa.JSON(), nullable=True))

    conn = op.get_bind()
    sent = conn.execute(sa.select(referral.c.id, referral.c.data_categories).where(referral.c.sent_on.is_not(None)))
    for referral_id, chosen in sent.all():
        check = conn.execute(
            sa.select(privacy_check.c.status, privacy_check.c.approved, privacy_check.c.allowed_fields)
            .where(privacy_check.c.referral_id == referral_id, privacy_check.c.kind == "2B")
            .order_by(privacy_check.c.requested_at.desc())
            .limit(1)
        ).first()
        if check is None or check.status != "besloten" or not check.approved:
            continue
        allowed = _codes(check.allowed_fields) & _codes(chosen)
        conn.execute(
            referral.update().where(referral.c.id == referral_id)
            .values(sent_categories=[code for code in CATEGORIES if code in allowed])
        )


def downgrade():
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_column("sent_categories")
