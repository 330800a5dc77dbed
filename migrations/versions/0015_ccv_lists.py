"""The CCV's own lists (model protocol, issue 17): the indicators of the checklist
beoordelingskader with their source, and the criteria of weging 3 as a list the municipality
keeps.

Indicators get a source. The old "lokale verankering" indicators were territory tests (a
building, company or person "in onze gemeente") that made weging 1 pass almost by itself: they
are put out of use, never deleted, so signals keep what was ticked. The CCV's kenmerken,
indicatoren van situationele en lokale verankering and indicatoren van signalering are added
(once: an upgrade after a downgrade adds nothing twice). The three example criteria of weging 3
(concreet, recent, trend) become rows of weighing_criterion under the codes old assessments use.

The downgrade drops the source and the criteria table and keeps every indicator row: signals
refer to them.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

CCV_SOURCE = (
    "CCV, Modelprotocol ondermijning — checklist beoordelingskader (hetccv.nl): "
    "https://hetccv.nl/themas/georganiseerde-criminaliteit-en-ondermijning/modelprotocol-ondermijning/"
    "signalen-aanpak-ondermijning/"
)

TERRITORY_TESTS = (
    "Het gaat om een pand of perceel in onze gemeente",
    "Het gaat om een onderneming of instelling in onze gemeente",
    "Betrokkene woont of staat ingeschreven in onze gemeente",
    "Er is een vergunning, subsidie of uitkering van onze gemeente bij betrokken",
)

CCV_INDICATORS = [
    ("kenmerken", "Aantasten van instituten"),
    ("kenmerken", "Aantasten van gezag of openbare orde"),
    ("kenmerken", "Ontwrichten van maatschappelijke, politieke of economische structuren"),
    ("kenmerken", "Onrechtmatigheden"),
    ("kenmerken", "Georganiseerde criminaliteit"),
    ("lokale_verankering", "Gelegenheidsstructuren in de bestuurlijke omgeving"),
    ("lokale_verankering", "Gelegenheidsstructuren in de (sociaal-)maatschappelijke omgeving"),
    ("lokale_verankering", "Gelegenheidsstructuren in de zakelijke of economische omgeving"),
    ("lokale_verankering", "Faciliterende processen of procedures in een organisatie"),
    ("lokale_verankering", "Betrokkenheid van een locatie, persoon, groep, familie of netwerk"),
    ("signalering", "Incongruenties: dingen kloppen niet met elkaar"),
    ("signalering", "Malafide of criminele activiteiten"),
    ("signalering", "Systematisch of structureel: het gebeurt vaker of volgens een patroon"),
    ("signalering", "Latent aanwezig: nog niet zichtbaar, wel aanwijzingen"),
    ("signalering", "Complex: veel partijen, schakels of constructies"),
]

WEIGHING_CRITERIA = [
    ("concreet", "Is het signaal voldoende concreet?"),
    ("recent", "Is het signaal recent?"),
    ("trend", "Past het in een trend of fenomeen dat extra aandacht vraagt?"),
]

indicator = sa.table(
    "indicator", sa.column("id", sa.Integer), sa.column("group", sa.String), sa.column("label", sa.String),
    sa.column("source", sa.String), sa.column("position", sa.Integer), sa.column("active", sa.Boolean),
)


def upgrade():
    with op.batch_alter_table("indicator") as batch:
        batch.add_column(sa.Column("source", sa.String(length=300), nullable=True))
    criterion = op.create_table(
        "weighing_criterion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weighing_criterion")),
        sa.UniqueConstraint("kind", "code", name=op.f("uq_weighing_criterion_kind")),
    )
    op.bulk_insert(criterion, [
        {"id": i, "kind": "weging", "code": code, "question": question, "position": i, "active": True}
        for i, (code, question) in enumerate(WEIGHING_CRITERIA, start=1)
    ])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('weighing_criterion', 'id'), "
                   "(SELECT max(id) FROM weighing_criterion))")

    bind.execute(indicator.update().where(indicator.c.group == "lokale_verankering",
                                          indicator.c.label.in_(TERRITORY_TESTS)).values(active=False))
    present = {tuple(row) for row in bind.execute(sa.select(indicator.c.group, indicator.c.label))}
    position = bind.execute(sa.select(sa.func.max(indicator.c.position))).scalar() or 0
    rows = []
    for group, label in CCV_INDICATORS:
        if (group, label) not in present:
            position += 1
            rows.append({"group": group, "label": label, "position": position, "active": True})
    if rows:
        bind.execute(indicator.insert(), rows)
    for group, label in CCV_INDICATORS:
        bind.execute(indicator.update().where(indicator.c.group == group, indicator.c.label == label)
                     .values(source=CCV_SOURCE))


def downgrade():
    # The territory tests come back into use (the CCV rows stay: signals may have them ticked).
    op.get_bind().execute(indicator.update().where(indicator.c.group == "lokale_verankering",
                                                   indicator.c.label.in_(TERRITORY_TESTS)).values(active=True))
    op.drop_table("weighing_criterion")
    with op.batch_alter_table("indicator") as batch:
        batch.drop_column("source")
