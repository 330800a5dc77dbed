"""Every subject's name gets a blind index, a person's too, so the coordinator's search finds a
person by name without a date of birth (issue 19). It lives in `subject.organisation_bidx` under
the organisation key (the same normalised name; the kind is checked after decryption). This fills
it for persons recorded before, under the primary `bidx` key; no schema change.

Revision ID: 0025
Revises: 0024
"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    conn = op.get_bind()
    subject = sa.table("subject", sa.column("id", sa.Uuid()), sa.column("kind", sa.String()),
                       sa.column("name_enc", sa.LargeBinary()), sa.column("organisation_bidx", sa.BigInteger()))
    rows = conn.execute(sa.select(subject.c.id, subject.c.name_enc).where(
        subject.c.kind == "persoon", subject.c.organisation_bidx.is_(None), subject.c.name_enc.is_not(None))).all()
    if not rows:
        return
    from flask import current_app

    from casustafel import crypto, linking
    from casustafel.models.base import keyring

    # The configured width: the installation's stored width (revision 0029) does not exist yet.
    bits = int(current_app.config["BLIND_INDEX_BITS"])

    keys = keyring()
    for row_id, blob in rows:
        key = row_id if isinstance(row_id, uuid.UUID) else uuid.UUID(str(row_id))
        name = crypto.decrypt_field(keys, "subject", "name", key, bytes(blob))
        conn.execute(subject.update().where(subject.c.id == row_id)
                     .values(organisation_bidx=linking.blind_index("name", name, bits=bits)))


def downgrade():
    conn = op.get_bind()
    subject = sa.table("subject", sa.column("kind", sa.String()), sa.column("organisation_bidx", sa.BigInteger()))
    conn.execute(subject.update().where(subject.c.kind == "persoon").values(organisation_bidx=None))
