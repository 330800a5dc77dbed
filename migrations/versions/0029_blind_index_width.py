"""The blind-index width is stored: once for the installation (`blind_index_width`, with the
previous width while `flask blind-index rewidth` runs) and per indexed row (`bidx_bits` on
`subject` and `location`), so a lookup computes each index at the width its rows were made with.

Existing indexes were all made at one width, the configured one. It is read back from the data
(a few subjects' name indexes are recomputed at every width), so an upgrade together with a new
CASUSTAFEL_BLIND_INDEX_BITS or ..._EXPECTED_VALUES cannot stamp the rows with a width they were
not made with; the change itself is `flask blind-index rewidth` afterwards.

Revision ID: 0029
Revises: 0026
"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

SAMPLE = 25
INDEXED = ("subject", "location")
BIDX = {"subject": ("person_bidx", "organisation_bidx", "kvk_bidx", "address_bidx"), "location": ("address_bidx",)}


def _width_of_existing_indexes(conn, configured: int) -> int:
    """The width the stored name indexes were made with: the configured one when it fits them all."""
    subject = sa.table("subject", sa.column("id", sa.Uuid()), sa.column("name_enc", sa.LargeBinary()),
                       sa.column("organisation_bidx", sa.BigInteger()))
    rows = conn.execute(sa.select(subject.c.id, subject.c.name_enc, subject.c.organisation_bidx).where(
        subject.c.organisation_bidx.is_not(None), subject.c.name_enc.is_not(None)).limit(SAMPLE)).all()
    if not rows:
        return configured
    from casustafel import crypto
    from casustafel.models.base import keyring

    keys = keyring()
    fitting = set(range(8, 64))
    for row_id, blob, stored in rows:
        key = row_id if isinstance(row_id, uuid.UUID) else uuid.UUID(str(row_id))
        name = crypto.normalize_text(crypto.decrypt_field(keys, "subject", "name", key, bytes(blob)))
        widths = set()
        for kid in keys.kids("bidx"):
            full = crypto.blind_index(keys, "organisation", name, bits=63, kid=kid)
            widths |= {bits for bits in range(8, 64) if full >> (63 - bits) == stored}
        fitting &= widths
    if configured in fitting:
        return configured
    if len(fitting) == 1:
        return fitting.pop()
    raise RuntimeError(
        "De breedte van de bestaande blinde indexen is niet te bepalen "
        f"(passend: {sorted(fitting) or 'geen'}; geconfigureerd: {configured} bits). Zet "
        "CASUSTAFEL_BLIND_INDEX_BITS op de breedte waarmee ze zijn gemaakt en voer de migratie opnieuw uit."
    )


def upgrade():
    from flask import current_app

    from casustafel.dates import utcnow

    op.create_table(
        "blind_index_width",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("bits", sa.SmallInteger(), nullable=False),
        sa.Column("previous_bits", sa.SmallInteger(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blind_index_width")),
    )
    for name in INDEXED:
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column("bidx_bits", sa.SmallInteger(), nullable=True))
    conn = op.get_bind()
    bits = _width_of_existing_indexes(conn, int(current_app.config["BLIND_INDEX_BITS"]))
    width = sa.table("blind_index_width", sa.column("id", sa.Integer()), sa.column("bits", sa.SmallInteger()),
                     sa.column("previous_bits", sa.SmallInteger()), sa.column("changed_at", sa.DateTime()))
    conn.execute(width.insert().values(id=1, bits=bits, previous_bits=None, changed_at=utcnow()))
    for name in INDEXED:
        table = sa.table(name, sa.column("bidx_bits", sa.SmallInteger()), *(sa.column(c, sa.BigInteger())
                                                                           for c in BIDX[name]))
        conn.execute(table.update().where(sa.or_(*(table.c[c].is_not(None) for c in BIDX[name])))
                     .values(bidx_bits=bits))


def downgrade():
    for name in INDEXED:
        with op.batch_alter_table(name) as batch:
            batch.drop_column("bidx_bits")
    op.drop_table("blind_index_width")
