"""The legal grounds for referrals become a list the functional admin maintains, seeded with
current law: the WGS and its Besluit (BGS) for the RIEC and the Zorg- en Veiligheidshuis, a
report to police or OM under the AVG (art. 6(1)(e) with art. 10), art. 6(1)(c) and the sectoral
laws of the social domain. The RIEC and ZVH covenants and "Wet Bibob" are no longer offered.

A referral keeps the text of its ground as it was when recorded (`legal_ground_text`); the
existing ones get the label the application showed for their code until now.

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

WGS_BGS = ("Wet gegevensverwerking door samenwerkingsverbanden (WGS, Stb. 2024, 198) en Besluit "
           "gegevensverwerking door samenwerkingsverbanden (BGS, Stb. 2024, 380)")
AVG = "Algemene verordening gegevensbescherming (AVG)"

# (code, label, law, article, explanation). An empty article: the article is still to be
# verified against the text of the law; the explanation says so.
LEGAL_GROUNDS = [
    ("wgs_riec", "Delen met het RIEC", WGS_BGS, "",
     "Voor het aanbrengen van een signaal of casus bij het Regionaal Informatie- en Expertisecentrum (RIEC). "
     "Sinds 1 maart 2025 geven de WGS en het BGS de gegevensverwerking in het RIEC een wettelijke grondslag "
     "(eerder het RIEC-convenant). Artikel te verifiëren."),
    ("wgs_zvh", "Delen met het Zorg- en Veiligheidshuis", WGS_BGS, "",
     "Voor het inbrengen van een casus in het Zorg- en Veiligheidshuis, bijvoorbeeld bij een mogelijk slachtoffer "
     "van mensenhandel of uitbuiting. Sinds 1 maart 2025 geven de WGS en het BGS de gegevensverwerking in het "
     "Zorg- en Veiligheidshuis een wettelijke grondslag (eerder het convenant). Artikel te verifiëren."),
    ("avg_aangifte", "Aangifte of melding bij politie of Openbaar Ministerie",
     "Algemene verordening gegevensbescherming (AVG) en Uitvoeringswet AVG (UAVG)",
     "art. 6 lid 1 sub e en art. 10 AVG",
     "De gemeente verstrekt vanuit haar eigen publieke taak aan politie of OM. Strafrechtelijke gegevens: "
     "art. 10 AVG met de UAVG (artikel in de UAVG te verifiëren). De Wet politiegegevens geldt voor wat de "
     "gemeente van de politie ontvangt, niet voor wat zij verstrekt."),
    ("avg_6_1_c", "Wettelijke verplichting tot verstrekken", AVG, "art. 6 lid 1 sub c AVG",
     "Een wet verplicht de gemeente tot deze verstrekking. Noem die wet en het artikel in de toelichting bij de "
     "verstrekking."),
    ("participatiewet", "Sociaal domein: bijstand en re-integratie", "Participatiewet", "",
     "Gegevens uit de uitvoering van de Participatiewet. Artikel te verifiëren."),
    ("wmo_2015", "Sociaal domein: maatschappelijke ondersteuning",
     "Wet maatschappelijke ondersteuning 2015 (Wmo 2015)", "",
     "Gegevens uit de uitvoering van de Wmo 2015. Artikel te verifiëren."),
    ("jeugdwet", "Sociaal domein: jeugdhulp", "Jeugdwet", "",
     "Gegevens uit de uitvoering van de Jeugdwet. Artikel te verifiëren."),
    ("overig", "Anders (toelichting verplicht)", "", "",
     "Een grondslag die niet in de lijst staat: de regisseur noemt de wet en het artikel in de toelichting bij "
     "de verstrekking."),
]

# The labels the application showed for its former fixed list, kept here for the referrals
# recorded with them (a frozen copy: the application no longer holds this list).
FORMER_LABELS = {
    "avg_6_1_e_riec": "Art. 6 lid 1 sub e AVG en het RIEC-convenant",
    "avg_6_1_c": "Art. 6 lid 1 sub c AVG (wettelijke verplichting)",
    "wpg_aangifte": "Aangifte of melding bij politie/OM (art. 6 lid 1 sub e AVG, Wpg)",
    "bibob": "Wet Bibob",
    "jeugdwet_wmo": "Sectorale wet sociaal domein (Jeugdwet, Wmo, Participatiewet)",
    "zvh_convenant": "Convenant Zorg- en Veiligheidshuis",
    "overig": "Anders (toelichting verplicht)",
}


def upgrade():
    legal_ground = op.create_table(
        "legal_ground",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("law", sa.String(length=250), nullable=False),
        sa.Column("article", sa.String(length=120), nullable=False),
        sa.Column("explanation", sa.String(length=1000), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_legal_ground"),
        sa.UniqueConstraint("code", name="uq_legal_ground_code"),
    )
    op.bulk_insert(legal_ground, [
        {"code": code, "label": label, "law": law, "article": article, "explanation": explanation,
         "position": n, "active": True}
        for n, (code, label, law, article, explanation) in enumerate(LEGAL_GROUNDS, start=1)
    ])
    with op.batch_alter_table("referral") as batch:
        batch.add_column(sa.Column("legal_ground_text", sa.String(length=500), nullable=True))
    referral = sa.table("referral", sa.column("legal_ground", sa.String), sa.column("legal_ground_text", sa.String))
    for code, label in FORMER_LABELS.items():
        op.execute(referral.update().where(referral.c.legal_ground == code).values(legal_ground_text=label))
    # An unknown code was shown as itself; it keeps doing so.
    op.execute(referral.update().where(referral.c.legal_ground_text.is_(None))
               .values(legal_ground_text=referral.c.legal_ground))
    with op.batch_alter_table("referral") as batch:
        batch.alter_column("legal_ground_text", existing_type=sa.String(length=500), nullable=False)


def downgrade():
    with op.batch_alter_table("referral") as batch:
        batch.drop_column("legal_ground_text")
    op.drop_table("legal_ground")
