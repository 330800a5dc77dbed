"""Weging 2 and check 2B (weging 5) record the municipal task or power and so the competent body (burgemeester,
college) from a list the municipality maintains, seeded here; a signal outside the
municipality's tasks can be closed as "niet in behandeling — doorverwezen" naming to whom.
Existing intake weighings keep no power: the record shows "niet vastgelegd".

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

POWERS = [
    ("burgemeester", "Handhaving van de openbare orde", "Gemeentewet art. 172, 174 en 175"),
    ("burgemeester", "Sluiting van een drugspand", "Opiumwet art. 13b"),
    ("burgemeester", "Sluiting van een woning of lokaal bij verstoring van de openbare orde",
     "Gemeentewet art. 174a"),
    ("burgemeester", "Exploitatie- en alcoholvergunningen, met Bibob-toets", "APV, Alcoholwet, Wet Bibob"),
    ("burgemeester", "Cameratoezicht op openbare plaatsen", "Gemeentewet art. 151c"),
    ("college", "Handhaving van het omgevingsrecht", "Omgevingswet, Awb hoofdstuk 5"),
    ("college", "Vergunningverlening, met Bibob-toets", "Omgevingswet, APV, Wet Bibob"),
    ("college", "Subsidies en vastgoedtransacties, met Bibob-toets", "Wet Bibob"),
    ("college", "Adresonderzoek en bijhouding van de basisregistratie personen", "Wet BRP"),
    ("college", "Sociaal domein: bijstand en re-integratie", "Participatiewet"),
    ("college", "Sociaal domein: maatschappelijke ondersteuning", "Wmo 2015"),
    ("college", "Sociaal domein: jeugdhulp", "Jeugdwet"),
    ("college", "Gemeentelijke belastingen en WOZ", "Gemeentewet, Wet WOZ"),
    ("college", "Bestuursrechtelijke handhaving van de APV", "Gemeentewet art. 125, APV"),
]


def upgrade():
    power = op.create_table(
        "power",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("legal_basis", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_power"),
    )
    op.bulk_insert(power, [{"body": body, "label": label, "legal_basis": basis, "position": n, "active": True}
                           for n, (body, label, basis) in enumerate(POWERS, start=1)])
    with op.batch_alter_table("assessment") as batch:
        batch.add_column(sa.Column("power_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("referred_to_enc", sa.LargeBinary(), nullable=True))
        batch.create_foreign_key("fk_assessment_power_id_power", "power", ["power_id"], ["id"])
    with op.batch_alter_table("privacy_check") as batch:
        batch.add_column(sa.Column("powers", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("privacy_check") as batch:
        batch.drop_column("powers")
    with op.batch_alter_table("assessment") as batch:
        batch.drop_constraint("fk_assessment_power_id_power", type_="foreignkey")
        batch.drop_column("referred_to_enc")
        batch.drop_column("power_id")
    op.drop_table("power")
