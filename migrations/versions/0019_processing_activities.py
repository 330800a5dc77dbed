"""The register of processing activities (art. 30 AVG), seeded per step of the CCV model
protocol and for what the product does besides; every log event carries its activity's code
(Logboek Dataverwerkingen: processing_activity_id). Events from before this revision keep
none, and their MAC stays as it was (the chain adds the field only when set).

The seeded texts are the defaults the privacy officer adapts to the municipality's own register.
Controller: the municipal privacy protocols make burgemeester and college each controller
"voor zover het zijn bevoegdheden betreft" — the burgemeester for the openbare-orde powers
(Gemeentewet, Opiumwet art. 13b, Alcoholwet/APV with Wet Bibob), the college otherwise
(omgevingsrecht, BRP, belastingen, sociaal domein, the organisation and its archives). A step
that serves both (intake to approach) names both; the powers recorded at weging 2 and check
2B show which body holds the case. Where an article could not be checked, the text says
"te verifiëren" rather than guess.

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

BOTH = "burgemeester_en_college"
BOTH_NOTE = ("Burgemeester voor signalen die de openbare orde raken (Gemeentewet art. 172, Opiumwet art. 13b, "
             "Alcoholwet/APV met Wet Bibob); college voor de overige taken (omgevingsrecht, BRP, belastingen, "
             "sociaal domein). Welk orgaan het is, volgt uit de taak of bevoegdheid die bij weging 2 of "
             "privacytoets 2B is vastgelegd.")
AVG_6E = ("Art. 6 lid 1 sub e AVG (vervulling van een taak van algemeen belang of van openbaar gezag), in samenhang "
          "met de wettelijke taak of bevoegdheid van het bevoegde orgaan (zie de lijst taken en bevoegdheden).")
ART10 = ("Art. 10 AVG in samenhang met de UAVG (afdeling strafrechtelijke persoonsgegevens, art. 32 en 33; "
         "welk lid van toepassing is: te verifiëren door de privacyfunctionaris). Gegevens ontvangen onder de "
         "Wpg of de Wjsg worden verwerkt onder de voorwaarden van die verstrekking.")
STAFF = "Medewerkers van de gemeente die melden of aan de casustafel werken"
SUBJECTS = ("Betrokkenen bij een signaal (personen en organisaties: vermoedelijk betrokkene, eigenaar, huurder, "
            "bestuurder, mogelijk slachtoffer); " + STAFF.lower())
SELECTION = "VNG Selectielijst gemeenten en intergemeentelijke organen (procescategorie: te verifiëren)"

# (code, name, purpose, legal ground, art. 10 basis, controller, controller note,
#  data subjects, data categories, recipients, retention, selectielijst)
ACTIVITIES = [
    ("signaalanalyse", "Signaalanalyse: ontvangst en weging van signalen (stap 1 en 2)",
     "Signalen van ondermijning van medewerkers ontvangen, vastleggen en wegen (weging 1 tot en met 3 van het "
     "CCV-modelprotocol): is er lokale verankering en een signaal, is het een gemeentelijke taak, op het grondgebied, "
     "concreet en recent genoeg voor een vervolg. Terugkoppeling aan de melder met standaardberichten.",
     AVG_6E, ART10, BOTH, BOTH_NOTE, SUBJECTS,
     "Naam, geboortedatum, adres, KvK-nummer, rol bij het signaal; beschrijving en toelichting (vrije tekst, "
     "kan strafrechtelijke gegevens bevatten); bijlagen; naam, afdeling en telefoonnummer van de melder. "
     "Nooit bijzondere persoonsgegevens zoals nationaliteit, etniciteit of religie.",
     "Regisseur en voorzitter van de casustafel; de privacyfunctionaris alleen tijdens een privacytoets. "
     "Geen ontvangers buiten de gemeente in deze stap.",
     "Afgesloten bij intake of weging: 1 jaar na afsluiten (instelbaar); anders volgt de melding de zaak.",
     SELECTION + "; resultaattype ‘Afgebroken’ (1 jaar)"),
    ("bronnenonderzoek", "Bronnenonderzoek en weging 4 (stap 3)",
     "Na privacytoets 1 in de toegestane gemeentelijke registers nagaan of er informatie is die het signaal "
     "onderbouwt (eerst hit/no-hit) en op grond daarvan de vervolgstap wegen (weging 4). Vastleggen van "
     "informatie die de gemeente van de politie ontvangt.",
     AVG_6E + " Verdere verwerking van gegevens uit de registers alleen voor zover privacytoets 1 die "
              "verenigbaar en noodzakelijk acht (art. 6 lid 4 AVG).",
     ART10 + " Politie-informatie: Wpg (art. 16, 19 of 20; te verifiëren per verstrekking).",
     BOTH, "Het orgaan dat de geraadpleegde registratie beheert en de taak uitoefent: college voor BRP, WOZ, "
           "belastingen, omgevingsrecht en sociaal domein; burgemeester voor openbare-orde- en "
           "horecavergunningen.",
     SUBJECTS,
     "Per geraadpleegd register: hit of geen hit, datum, samenvatting van de gevonden informatie (versleuteld); "
     "informatie van de politie met datum, inhoud en kenmerk (versleuteld).",
     "Regisseur; de privacyfunctionaris voor privacytoets 1. Geen ontvangers buiten de gemeente.",
     "Als de melding: 1 jaar na afsluiten zonder hit; politie-informatie tot de zaak sluit.",
     SELECTION + "; resultaattype ‘Afgebroken’ (1 jaar)"),
    ("casusoverleg", "Casusoverleg (agendering, privacytoets 2A, bespreking en besluit)",
     "Signalen bespreken aan de casustafel met de afdelingen die voor de aanpak nodig zijn; per deelnemende "
     "afdeling alleen de velden die privacytoets 2A toestaat; besluit en motivering vastleggen.",
     AVG_6E, ART10, BOTH,
     "De voorzitter bereidt voor namens het orgaan dat de casus houdt; besluiten over interventies neemt het "
     "bevoegde orgaan (burgemeester of college) zelf.",
     SUBJECTS + "; deelnemers aan het overleg",
     "De velden die privacytoets 2A per afdeling toestaat; aantekeningen en motivering van het besluit "
     "(versleuteld); agenda en verslag als pdf met watermerk.",
     "Uitgenodigde deelnemers van de betrokken afdelingen, alleen van publicatie van de agenda tot sluiting "
     "van het overleg.",
     "Aantekeningen bij overleggen: 1 jaar na het overleg (instelbaar); de motivering van een besluit hoort bij "
     "de zaak.",
     SELECTION + "; ‘Intern ambtelijk overleg’ (1 jaar)"),
    ("aanpak", "Aanpak, acties en monitoring (stap 4)",
     "Het plan van aanpak, de interventies (zoals sluiting op grond van art. 13b Opiumwet, Bibob-toets, "
     "handhaving, adresonderzoek BRP, integrale controle) met eigenaar en termijn, en de monitoring tot afsluiting.",
     AVG_6E + " De bevoegdheid van de interventie (bijvoorbeeld Opiumwet art. 13b, Gemeentewet art. 174, "
              "Wet BRP, Omgevingswet).",
     ART10, BOTH, BOTH_NOTE, SUBJECTS,
     "Doel en interventies van het plan, beschrijving en resultaat van acties, reden van verlenging van de "
     "monitoring (versleuteld); termijnen en statussen.",
     "Regisseur; de eigenaar van een actie ziet zijn eigen acties. Gegevens naar een afdeling of partner alleen "
     "na privacytoets 2B (zie verstrekking).",
     "Zaak met gemeentelijke aanpak: 5 jaar na afsluiten na monitoring (instelbaar).",
     SELECTION + "; ‘Toezicht uitgevoerd’ (5 jaar); ‘Handhaving uitgevoerd’ (10 jaar)"),
    ("verstrekking", "Verstrekking aan afdelingen en partners (privacytoets 2B)",
     "Gegevens verstrekken aan een afdeling voor een actie of aan een partner (politie, RIEC, OM, "
     "Belastingdienst, Zorg- en Veiligheidshuis, …) met doel, grondslag en de categorieën die privacytoets 2B "
     "toestaat; het antwoord van de ontvanger vastleggen.",
     AVG_6E + " Voor het RIEC en het Zorg- en Veiligheidshuis: Wet gegevensverwerking door samenwerkingsverbanden "
              "(WGS, Stb. 2024, 198) en het Besluit (Stb. 2024, 380), sinds 1 maart 2025.",
     ART10, BOTH, "Het orgaan dat de gegevens verstrekt: burgemeester of college, naar de taak waarvoor ze "
                  "zijn verwerkt.",
     SUBJECTS,
     "De categorieën die privacytoets 2B toestaat; doel, toelichting op de grondslag, kenmerk en antwoord van "
     "de ontvanger (versleuteld); het verstrekkingspakket (pdf, versleuteld met hash).",
     "Politie, RIEC, OM, Belastingdienst, FIOD, NLA, UWV, Zorg- en Veiligheidshuis, afdelingen van de gemeente "
     "(volgens de lijst partners).",
     "Inhoud als de melding; registratie van de verstrekking 5 jaar na verstrekking (instelbaar).",
     SELECTION + "; registratie verstrekkingen (termijn: te verifiëren)"),
    ("rechten_betrokkenen", "Rechten van betrokkenen (inzage, rectificatie, wissing, bezwaar)",
     "Verzoeken van betrokkenen op grond van art. 15 tot en met 22 AVG registreren, de gegevens zoeken, "
     "beslissen (ook over uitzonderingen op grond van art. 41 UAVG) en beantwoorden.",
     "Art. 6 lid 1 sub c AVG (wettelijke verplichting: art. 12 tot en met 22 AVG).",
     "Art. 10 AVG: alleen voor zover het verzoek strafrechtelijke gegevens uit de zaak betreft (grondslag als "
     "bij de zaak).",
     BOTH, "Het orgaan dat verantwoordelijk is voor de verwerking waarop het verzoek ziet; de "
           "privacyfunctionaris behandelt het namens dat orgaan.",
     "Verzoekers (betrokkenen) en hun vertegenwoordigers",
     "Naam, geboortedatum, adres en KvK-nummer van de verzoeker (versleuteld, met blinde index om te zoeken); "
     "soort verzoek, termijnen, besluit en motivering.",
     "Privacyfunctionaris; de verzoeker zelf (antwoordbrief).",
     "Verzoekdossiers: termijn te bepalen door de gemeente (zie bewaartermijnen).",
     SELECTION + "; ‘Verzoeken – ingewilligd’ (5 jaar)"),
    ("bewaren_vernietigen", "Bewaren en vernietigen",
     "Bewaartermijnen bewaken, bewaarplicht (legal hold) vastleggen en gegevens na afloop vernietigen; een "
     "vernietigingsverklaring zonder persoonsgegevens bewaren.",
     "Art. 6 lid 1 sub c AVG, art. 5 lid 1 sub e AVG (opslagbeperking) en de Archiefwet (artikel: te verifiëren).",
     "n.v.t. (de vernietiging bewaart geen strafrechtelijke gegevens)",
     "college", "Het college als zorgdrager voor de archiefbescheiden van de gemeente (Archiefwet; artikel te "
                "verifiëren); voor de eigen verwerkingen ook de burgemeester.",
     SUBJECTS,
     "Kenmerk, fenomeen, data en uitkomst van vernietigde meldingen (geen persoonsgegevens).",
     "Privacyfunctionaris; geen ontvangers buiten de gemeente.",
     "Vernietigingsverklaringen: blijvend (zonder persoonsgegevens).",
     SELECTION + "; ‘Archiefvernietiging’ (blijvend)"),
    ("beveiliging_verantwoording", "Beveiliging en verantwoording (inloggen, logboek, noodtoegang)",
     "Gebruikers aanmelden met tweede factor, elke inzage en wijziging vastleggen in een onveranderbaar logboek, "
     "noodtoegang (break-glass) met reden, afwijkingen laten beoordelen door de privacyfunctionaris, het register "
     "van verwerkingen en de DPIA bijhouden.",
     "Art. 6 lid 1 sub c AVG in samenhang met art. 5 lid 2, 24 en 32 AVG (verantwoording en beveiliging); "
     "Baseline Informatiebeveiliging Overheid (BIO).",
     "n.v.t. (het logboek bevat geen inhoud, alleen kenmerken en pseudoniemen)",
     "college", "Het college voor de beveiliging van de informatievoorziening; het logboek legt ook de "
                "verwerkingen van de burgemeester vast.",
     STAFF + "; betrokkenen alleen als pseudoniem in het logboek",
     "Gebruikersnaam, rollen, tijdstip, handeling, kenmerk van het object, pseudoniemen van betrokkenen, "
     "IP-adres; reden van noodtoegang (versleuteld).",
     "Privacyfunctionaris; bij een datalek de Autoriteit Persoonsgegevens.",
     "Logboek: 5 jaar na de gebeurtenis; inlog- en beveiligingslog: 6 maanden (instelbaar).",
     SELECTION + "; ‘Login-gegevens’ (6 maanden)"),
    ("beheer", "Beheer van gebruikers en lijsten",
     "Accounts, rollen (met goedkeuring door een tweede persoon), afdelingen, partners, fenomenen, indicatoren, "
     "registers, bevoegdheden en instellingen beheren.",
     "Art. 6 lid 1 sub e AVG (de organisatie van de gemeentelijke taak) en art. 6 lid 1 sub c AVG (art. 32 AVG).",
     "n.v.t.",
     "college", "Het college als werkgever en beheerder van de voorziening.",
     STAFF,
     "Naam, e-mailadres, afdeling, rollen en de tweede factor (versleuteld) van gebruikers.",
     "Functioneel beheerder; geen ontvangers buiten de gemeente.",
     "Zolang het account bestaat; daarna volgens de termijn van het logboek.",
     SELECTION + " (termijn: te verifiëren)"),
    ("managementinformatie", "Managementinformatie en jaaroverzicht",
     "Geaggregeerde aantallen en doorlooptijden per fenomeen, kanaal, afdeling, uitkomst en maand voor sturing "
     "en voor de verantwoording aan de gemeenteraad.",
     "Art. 6 lid 1 sub e AVG; verdere verwerking voor statistiek (art. 5 lid 1 sub b en art. 89 AVG).",
     "n.v.t. (alleen aantallen, geen gegevens over personen)",
     BOTH, "Het orgaan dat de gegevens voor de zaak verwerkt; de gemeenteraad ontvangt alleen aantallen.",
     SUBJECTS,
     "Aantallen en doorlooptijden; geen persoonsgegevens.",
     "Regisseur; de gemeenteraad (jaaroverzicht, alleen aantallen).",
     "Overzichten zonder persoonsgegevens: volgens de termijn van de gemeente.",
     SELECTION + " (termijn: te verifiëren)"),
]

COLUMNS = ("code", "name", "purpose", "legal_ground", "criminal_data_basis", "controller", "controller_note",
           "data_subjects", "data_categories", "recipients", "retention", "selection_list")


def upgrade():
    activity = op.create_table(
        "processing_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("legal_ground", sa.Text(), nullable=False),
        sa.Column("criminal_data_basis", sa.Text(), nullable=False),
        sa.Column("controller", sa.String(length=32), nullable=False),
        sa.Column("controller_note", sa.Text(), nullable=False),
        sa.Column("data_subjects", sa.Text(), nullable=False),
        sa.Column("data_categories", sa.Text(), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("retention", sa.Text(), nullable=False),
        sa.Column("selection_list", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_processing_activity"),
        sa.UniqueConstraint("code", name="uq_processing_activity_code"),
    )
    op.bulk_insert(activity, [{**dict(zip(COLUMNS, row, strict=True)), "position": n, "active": True}
                              for n, row in enumerate(ACTIVITIES, start=1)])
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("processing_activity", sa.String(length=40), nullable=True))
        batch.create_index("ix_audit_event_processing_activity", ["processing_activity"])


def downgrade():
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_index("ix_audit_event_processing_activity")
        batch.drop_column("processing_activity")
    op.drop_table("processing_activity")
