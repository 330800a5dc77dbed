"""The registers of the source checks become a list the admin maintains, with the law each
register's data were collected under; "sociaal domein" is split per law (Participatiewet,
Wmo 2015, Jeugdwet) and the old lump stays, out of use, so existing checks and source checks
keep their label. Privacy check 1 records A, B and C per allowed register (encrypted); checks
decided before this keep their data and have none ("A/B/C niet vastgelegd").

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# (code, label, legal basis, in use): the fixed list up to now, sociaal domein split per law.
REGISTERS = [
    ("brp", "BRP (personen)", "Wet basisregistratie personen (Wet BRP)", True),
    ("bag", "BAG (adressen en gebouwen)", "Wet basisregistratie adressen en gebouwen (Wet BAG)", True),
    ("woz", "WOZ", "Wet waardering onroerende zaken (Wet WOZ)", True),
    ("kvk", "KvK / Handelsregister", "Handelsregisterwet 2007", True),
    ("kadaster", "Kadaster", "Kadasterwet", True),
    ("belastingen", "Belastingen", "Gemeentewet (gemeentelijke belastingen) en Algemene wet inzake rijksbelastingen",
     True),
    ("vergunningen", "Vergunningen", "De wet of verordening waaronder de vergunning is verleend (Omgevingswet, "
     "Alcoholwet, APV)", True),
    ("handhaving", "Toezicht en handhaving", "Algemene wet bestuursrecht, Omgevingswet, Opiumwet en APV", True),
    ("sociaal_domein", "Sociaal domein", "Participatiewet, Wmo 2015 of Jeugdwet", False),
    ("participatiewet", "Sociaal domein — Participatiewet", "Participatiewet", True),
    ("wmo", "Sociaal domein — Wmo 2015", "Wet maatschappelijke ondersteuning 2015 (Wmo 2015)", True),
    ("jeugdwet", "Sociaal domein — Jeugdwet", "Jeugdwet", True),
    ("open_bronnen", "Open bronnen", "Geen registratie van de gemeente: openbaar gemaakte informatie", True),
]


def upgrade():
    source_register = op.create_table(
        "source_register",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("legal_basis", sa.String(length=300), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.bulk_insert(source_register, [
        {"id": i, "code": code, "label": label, "legal_basis": basis, "position": i, "active": active}
        for i, (code, label, basis, active) in enumerate(REGISTERS, start=1)
    ])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('source_register', 'id'), "
                   "(SELECT max(id) FROM source_register))")
    op.create_table(
        "privacy_check_register",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("privacy_check_id", sa.Uuid(), nullable=False),
        sa.Column("signal_id", sa.Uuid(), nullable=False),
        sa.Column("register", sa.String(length=32), nullable=False),
        sa.Column("legal_basis_enc", sa.LargeBinary(), nullable=True),
        sa.Column("compatibility_enc", sa.LargeBinary(), nullable=True),
        sa.Column("necessity_enc", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["privacy_check_id"], ["privacy_check.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["signal_id"], ["signal.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("privacy_check_id", "register", name="uq_privacy_check_register"),
    )
    with op.batch_alter_table("privacy_check_register") as batch:
        batch.create_index(batch.f("ix_privacy_check_register_privacy_check_id"), ["privacy_check_id"],
                           unique=False)
        batch.create_index(batch.f("ix_privacy_check_register_signal_id"), ["signal_id"], unique=False)


def downgrade():
    with op.batch_alter_table("privacy_check_register") as batch:
        batch.drop_index(batch.f("ix_privacy_check_register_signal_id"))
        batch.drop_index(batch.f("ix_privacy_check_register_privacy_check_id"))
    op.drop_table("privacy_check_register")
    op.drop_table("source_register")
