"""Demo data for a trial run: departments, one account per role and a municipality's month of
work. Never in production.

Everything is made through the same services the pages use, and every optional field is
filled somewhere (observed periods, organisations with KvK, several subjects and addresses,
BAG ids, attachments, received information (police, Bibob) with an exception waiting, a
referral whose check 2B refused a category, meetings with items, decisions and actions, a
question answered, a data-subject request), so each page of the product can be seen in its
full state.
"""

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import click
from flask import current_app
from PIL import Image, ImageDraw
from sqlalchemy import select

from casustafel import dates
from casustafel.actions.services import update_action
from casustafel.admin.services import create_user, find_user_by_email
from casustafel.bibob.services import BibobInput, record_bibob
from casustafel.breakglass.services import end_access, grant_access
from casustafel.extensions import db
from casustafel.meetings import prepare_services
from casustafel.meetings import services as meetings
from casustafel.models import (
    Department,
    Indicator,
    OrganisationProfile,
    Partner,
    Phenomenon,
    Power,
    Signal,
    SourceRegister,
)
from casustafel.models.roles import ROLE_LABELS, Role
from casustafel.organisation import checked_logo
from casustafel.privacy.decisions import decide_privacy_check
from casustafel.privacy.services import open_check, request_privacy_check
from casustafel.referrals.pdf import render_package
from casustafel.referrals.received_services import add_received_information, request_exception
from casustafel.referrals.services import (
    create_referral,
    privacy_check,
    send_referral,
    update_progress,
)
from casustafel.retention.destruction import run_retention
from casustafel.signals.case_link_services import CaseLinkInput, add_case_link
from casustafel.signals.mailbox import add_concept
from casustafel.signals.plan_services import PlanInput, record_plan
from casustafel.signals.saved_filter_services import save_filter
from casustafel.signals.services import (
    LocationInput,
    SignalInput,
    SubjectInput,
    answer_question,
    ask_question,
    build_signal,
    record_summary,
    send_feedback,
    set_legal_hold,
)
from casustafel.signals.weighing import record_assessment, record_source_query
from casustafel.subject_requests import services as requests

DEMO_PASSWORD = "demo-casustafel-2026"  # printed demo login, refused in production  # noqa: S105  # nosec B105

DEPARTMENTS = [
    "Openbare orde en veiligheid",
    "Vergunningen, toezicht en handhaving",
    "Burgerzaken",
    "Belastingen",
    "Sociaal domein",
    "Juridische zaken",
]

ACCOUNTS = [
    ("melder@casustafel.test", "Mila Melder", ["reporter"], "Burgerzaken"),
    ("deelnemer@casustafel.test", "Daan Deelnemer", ["member"],
     "Vergunningen, toezicht en handhaving"),
    ("voorzitter@casustafel.test", "Vera Voorzitter", ["coordinator"],
     "Openbare orde en veiligheid"),
    ("privacy@casustafel.test", "Pim Privacy", ["privacy_officer"], "Juridische zaken"),
    ("beheer@casustafel.test", "Bo Beheer", ["admin"], None),
]
# Colleagues who make the data realistic: a second department at the table, a second reporter.
EXTRA_ACCOUNTS = [
    ("sociaal@casustafel.test", "Saïda El Amrani-van ’t Hoff", ["member"], "Sociaal domein"),
    ("belastingen@casustafel.test", "Zoë Çelik-Ødegård", ["reporter"], "Belastingen"),
]

# A one-page PDF and a 1×1 PNG: real files of the allowed types, small enough for any demo.
DEMO_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
            b"endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
DEMO_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000000000200017e7b5b3d0000000049454e44ae426082"
)


@dataclass
class Upload:
    """An already checked file, shaped like the uploads the meldpunt form passes on."""

    filename: str
    content_type: str
    data: bytes

    @property
    def stream(self):
        return io.BytesIO(self.data)


def _phenomenon(name: str) -> int | None:
    return db.session.scalar(select(Phenomenon.id).where(Phenomenon.name == name))


def _indicators(*groups: str, each: int = 2) -> list[int]:
    ids = []
    for group in groups:
        ids += list(db.session.scalars(select(Indicator.id).where(Indicator.group == group, Indicator.active.is_(True))
                                       .order_by(Indicator.position, Indicator.id).limit(each)))
    return ids


def _power_ids(*legal_bases: str) -> list[int]:
    return list(db.session.scalars(select(Power.id).where(Power.legal_basis.in_(legal_bases))))


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    """A meeting time as the chair types it (Dutch time), stored as UTC."""
    return dates.from_local(datetime.combine(day, time(hour, minute)))


def _demo_assessment(code: str) -> dict:
    """A, B and C of check 1 for one register, as a privacy officer would write them."""
    basis = db.session.scalar(select(SourceRegister.legal_basis).where(SourceRegister.code == code))
    return {"a": basis or "Wet waaronder de gegevens zijn verzameld",
            "b": "Verder gebruik past bij de taak waarvoor de gegevens zijn verzameld: toezicht op "
                 "de openbare orde en de bestuurlijke aanpak van ondermijning (art. 6 lid 4 AVG).",
            "c": "Nodig om te weten of het signaal klopt; eerst alleen hit / no hit, inhoud alleen "
                 "waar het besluit dat toestaat. Met minder gegevens kan het niet."}


def weigh_to_sources(coordinator, officer, signal, registers=("brp", "bag", "kvk"), content=("brp",)) -> None:
    """Intake and weging 3 passed, check 1 decided by the privacy officer, two source checks,
    weging 4 for the casustafel."""

    record_assessment(coordinator, signal, "intake", outcome="verder_naar_weging",
                      power=db.session.scalar(select(Power).where(Power.legal_basis == "Opiumwet art. 13b")),
                      answers={"ondermijning": True, "gemeentelijke_taak": True, "grondgebied": True},
                      rationale="Checklist CCV: gelegenheidsstructuren in de zakelijke omgeving (winkel met "
                                "bovenwoning) en meerdere indicatoren van signalering.")
    record_assessment(coordinator, signal, "weging", outcome="bronnenonderzoek",
                      answers={"concreet": True, "recent": True, "trend": True},
                      rationale="Concreet en recent; past in de trend van hennepteelt in bovenwoningen.")
    check = request_privacy_check(coordinator, signal, "1", note="Graag BRP, BAG en KvK raadplegen.")
    decide_privacy_check(officer, check, approved=True, rationale="Noodzakelijk voor de weging; BRP met inhoud.",
                         allowed_registers=registers, content_registers=content,
                         register_assessments={code: _demo_assessment(code) for code in registers})
    record_source_query(coordinator, signal, register="brp", hit=True, information_date=signal.received_at.date(),
                        summary="Op het adres staan vier personen ingeschreven, twee sinds vorige maand.")
    record_source_query(coordinator, signal, register="kvk", hit=False, summary=None)
    record_assessment(coordinator, signal, "vervolgstap", outcome="casusoverleg",
                      answers={"hits": True, "actueel": True},
                      rationale="Hit in de BRP van vorige maand: integraal bespreken met de afdelingen.")


def _world(users: dict) -> None:
    """A month of a municipality's work, through the real services."""

    reporter, colleague = users["melder@casustafel.test"], users["belastingen@casustafel.test"]
    coordinator, officer = users["voorzitter@casustafel.test"], users["privacy@casustafel.test"]
    member, social = users["deelnemer@casustafel.test"], users["sociaal@casustafel.test"]
    store, keyring = current_app.extensions["casustafel_store"], current_app.extensions["casustafel_keyring"]
    today = dates.today()

    # 1. The full case: hemp growing above a shop, reported by a colleague of Burgerzaken.
    hemp = build_signal(reporter, SignalInput(
        description=("Bij een controle van de afvalinzameling viel op dat de ramen van de bovenwoning zijn "
                     "afgeplakt en dat er een sterke hennepgeur hangt. ’s Avonds komen steeds andere auto’s, "
                     "vaak met Belgisch kenteken. De winkel beneden is overdag gesloten.\n\n"
                     "De bewoner betaalde vorige week € 4.850 aan gemeentelijke belastingen contant."),
        phenomenon_id=_phenomenon("Hennepteelt"),
        indicator_ids=_indicators("kenmerken", "lokale_verankering", "signalering", each=3),
        indicator_explanation="Afgeplakte ramen, geur, veel wisselend bezoek en contante betalingen.",
        observed_from=today - timedelta(days=40), observed_until=today - timedelta(days=3),
        urgent=False, reporter_phone="06 12345678",
        subjects=[
            SubjectInput(kind="persoon", role="vermoedelijk_betrokkene", name="Kees de Boer",
                         birth_date=date(1979, 5, 14), street="Voorbeeldstraat", house_number="12",
                         house_number_addition="A", postcode="3511 AB", city="Voorbeeldstad"),
            SubjectInput(kind="organisatie", role="eigenaar", name="Vastgoed Voorbeeld B.V.", kvk_number="12345678",
                         street="Havenweg", house_number="200", postcode="3512 CD", city="Voorbeeldstad"),
            SubjectInput(kind="persoon", role="huurder", name="Anouk Jansen-Müller", birth_date=date(1991, 11, 2)),
        ],
        locations=[
            LocationInput(street="Voorbeeldstraat", house_number="12", house_number_addition="A",
                          postcode="3511 AB", city="Voorbeeldstad", bag_id="0344010000123456"),
            LocationInput(street="Voorbeeldstraat", house_number="12", house_number_addition="3",
                          postcode="3511 AB", city="Voorbeeldstad"),
        ],
    ), store=store, files=[Upload("foto-ramen-bovenwoning.png", "image/png", DEMO_PNG),
                           Upload("kassabon belastingen.pdf", "application/pdf", DEMO_PDF)])
    db.session.flush()
    weigh_to_sources(coordinator, officer, hemp)
    # What members and the RIEC get instead of the reporter's words (who did the waste check,
    # and the tax payment seen at the desk, would point at the reporter).
    record_summary(coordinator, hemp, "Aanwijzingen voor hennepteelt in de bovenwoning: afgeplakte ramen, "
                                      "hennepgeur en veel wisselend bezoek in de avond. De bewoner doet grote "
                                      "contante betalingen aan de gemeente.")
    police = add_received_information(
        coordinator, hemp, ground="wpg_16_1_c", received_on=today - timedelta(days=10),
        content="Bij de politie is het pand bekend van een melding over stroomdiefstal in 2024.",
        provider_reference="PL0900-2024123456",
        conditions="Alleen voor de beoordeling van een maatregel van de burgemeester; niet verder verstrekken.",
        recipients="Burgemeester en de regisseur ondermijning",
    )
    add_received_information(
        coordinator, hemp, ground="bibob_28", received_on=today - timedelta(days=4),
        content="Bureau Bibob: advies over de exploitant, mindere mate van gevaar.", provider_reference="BB-2026-0117",
        recipients="Burgemeester (bestuursorgaan dat het advies vroeg)",
    )
    request_exception(coordinator, police, use="eigen_taak", referral=None,
                      task="Motivering van een besluit tot sluiting op grond van art. 13b Opiumwet",
                      reasoning="Het besluit moet de feiten noemen waarop de burgemeester zich baseert.")

    # 2. Same address, an organisation with a KvK number; urgent.
    build_signal(colleague, SignalInput(
        description="Op één adres staan volgens de balie veertien personen en drie bedrijven ingeschreven. "
                    "Het pand is een eengezinswoning.",
        phenomenon_id=_phenomenon("Woon- en adresfraude, overbewoning"),
        indicator_ids=_indicators("signalering", each=1), urgent=True,
        observed_from=today - timedelta(days=2),
        subjects=[SubjectInput(kind="organisatie", role="eigenaar", name="Vastgoed Voorbeeld B.V.",
                               kvk_number="12345678", postcode="3511 AB", house_number="12",
                               house_number_addition="A", street="Voorbeeldstraat", city="Voorbeeldstad")],
        locations=[LocationInput(street="Voorbeeldstraat", house_number="12", house_number_addition="A",
                                 postcode="3511 AB", city="Voorbeeldstad")],
    ))

    # 3. A possible victim of labour exploitation, with names as people really write them.
    exploitation = build_signal(colleague, SignalInput(
        description="Een nagelsalon waar medewerkers lijken te wonen. " + "Er slapen mensen in de achterkamer. " * 12,
        phenomenon_id=_phenomenon("Arbeidsuitbuiting"),
        indicator_ids=_indicators("kenmerken", "lokale_verankering", "signalering", each=1),
        observed_from=today - timedelta(days=20),
        subjects=[SubjectInput(kind="persoon", role="mogelijk_slachtoffer", name="Nguyễn Thị Hương",
                               birth_date=date(2001, 2, 28)),
                  SubjectInput(kind="organisatie", role="bestuurder", name="Nails & Beauty ’t Centrum V.O.F.",
                               kvk_number="87654321", street="Marktplein", house_number="7",
                               postcode="3513 EF", city="Voorbeeldstad")],
        locations=[LocationInput(street="Marktplein", house_number="7", postcode="3513 EF", city="Voorbeeldstad",
                                 bag_id="0344010000654321")],
    ))
    weigh_to_sources(coordinator, officer, exploitation, registers=("brp", "kvk", "wmo"),
                     content=("brp", "kvk"))
    record_summary(coordinator, exploitation, "Een nagelsalon waar medewerkers mogelijk ook wonen en slapen; "
                                              "aanwijzingen voor uitbuiting.")

    # 4. A question to the reporter, answered; the reporter is told the signal is being handled.
    question = build_signal(reporter, SignalInput(
        description="Een kapperszaak die nooit klanten heeft maar wel elke maand een nieuwe eigenaar.",
        phenomenon_id=_phenomenon("Witwassen en financieel-economische criminaliteit"),
        observed_from=today - timedelta(days=90),
        subjects=[SubjectInput(kind="organisatie", role="eigenaar", name="Kapsalon Voorbeeld",
                               kvk_number="11223344")],
    ))
    asked = ask_question(coordinator, question, "Weet u sinds wanneer de zaak zo weinig klanten heeft?")
    answer_question(reporter, question, asked, "Sinds de zomer; daarvoor was het een drukke zaak.")
    send_feedback(coordinator, question, "in_behandeling")

    # 5. Closed at intake, with the standard message to the reporter.
    closed = build_signal(reporter, SignalInput(description="Een buurman houdt veel kippen in de tuin.",
                                                phenomenon_id=_phenomenon("Overig")))
    record_assessment(coordinator, closed, "intake", outcome="afsluiten", closing_reason="geen_ondermijning",
                      answers={"ondermijning": False, "gemeentelijke_taak": True, "grondgebied": True},
                      rationale="Geen aanwijzingen voor ondermijning.")
    send_feedback(coordinator, closed, "afgesloten")

    # 6. Registered by the coordinator after a phone call; on hold for an objection.
    phoned = build_signal(coordinator, SignalInput(
        description="Telefonische melding van de wijkagent over een loods met veel nachtelijk verkeer.",
        phenomenon_id=_phenomenon("Synthetische drugs en drugsafval"),
        subjects=[SubjectInput(kind="persoon", role="vermoedelijk_betrokkene", name="Jan-Willem van den Berg",
                               birth_date=date(1968, 1, 31), postcode="3514 GH", house_number="1", city="Voorbeeldstad",
                               street="Industrieweg")],
        locations=[LocationInput(street="Industrieweg", house_number="1", postcode="3514 GH", city="Voorbeeldstad")],
    ), channel="telefoon")
    weigh_to_sources(coordinator, officer, phoned)
    set_legal_hold(coordinator, phoned, "bezwaar")
    db.session.flush()

    # Meetings: one held last week (closed, with decisions and actions), one published for next
    # week (members see its agenda), one in concept (check 2A still open).
    # The standing group the coordinator invites each time, each for their own department.
    core = prepare_services.create_group(coordinator, "Vaste kern casustafel")
    for person in (member, social):
        prepare_services.add_group_member(coordinator, core, person)

    def meeting(days: int, hour: int, cutoff_days: int):
        planned = meetings.create_meeting(coordinator, held_at=_local(today + timedelta(days=days), hour, 30),
                                          kind="regulier", chair_id=coordinator.id,
                                          agenda_cutoff=today + timedelta(days=cutoff_days),
                                          location="Stadhuis, vergaderzaal 2")
        prepare_services.invite_group(coordinator, planned, core)
        return planned

    held = meeting(-7, 9, -7)
    item = meetings.add_item(coordinator, held, hemp, held.agenda_cutoff)
    decide_privacy_check(officer, open_check(hemp, "2A", meeting=held), approved=True,
                         rationale="Handhaving ziet de adressen, sociaal domein alleen fenomeen en beschrijving.",
                         field_rules={member.department_id: ["fenomeen", "beschrijving", "adressen", "bronnen"],
                                      social.department_id: ["fenomeen", "beschrijving"]})
    meetings.publish(coordinator, held)
    meetings.record_notes(coordinator, item, "Handhaving kent het pand. Eerst een integrale controle, dan 13b.")
    meetings.record_decision(coordinator, item, "gemeentelijke_aanpak",
                             "Voldoende aanwijzingen voor een gemeentelijke aanpak met een 13b-traject.")
    action = meetings.add_action(coordinator, item, type="13b_opiumwet", deadline=today + timedelta(days=21),
                                 owner_department_id=member.department_id,
                                 description="Voorbereiden besluit sluiting op grond van art. 13b Opiumwet.")
    check_2b = open_check(hemp, "2B", action=action)
    decide_privacy_check(officer, check_2b, approved=True, rationale="Nodig voor het 13b-besluit.",
                         allowed_fields=["beschrijving", "adressen"],
                         powers=_power_ids("Opiumwet art. 13b"))
    control = meetings.add_action(coordinator, item, type="integrale_controle", deadline=today - timedelta(days=1),
                                  owner_id=member.id, description="Integrale controle met politie en Enexis.")
    update_action(member, control, status="in_uitvoering", result="Controle gepland, netbeheerder gaat mee.")
    meetings.record_attendance(coordinator, held, {member.id: "aanwezig", social.id: "afgemeld"})
    meetings.close(coordinator, held, today=today)
    # Step 4: the case is the municipality's own; its plan of approach.
    record_plan(coordinator, hemp, PlanInput(
        goal="Het pand boven de winkel sluiten en de hennepteelt in de wijk blijvend stoppen.",
        interventions="1. Integrale controle met politie en netbeheerder.\n2. Besluit sluiting art. 13b Opiumwet.\n"
                      "3. Stopgesprek met de eigenaar van het pand.",
        director_id=coordinator.id, review_on=today + timedelta(days=42)))
    # The 13b decision lives in the municipality's case system: only its zaaknummer here.
    add_case_link(coordinator, hemp, CaseLinkInput(kind="13b_besluit", zaaknummer="ZAAK-2026-004711",
                                                    decided_on=today - timedelta(days=2)))
    # The Bibob track of the salon's permit application: apart from the signal, only for the coordinator.
    record_bibob(coordinator, exploitation, BibobInput(
        body="burgemeester", decision_kind="vergunning", investigated_on=today - timedelta(days=30),
        advice_requested=True, advice_requested_on=today - timedelta(days=21),
        advice_received_on=today - timedelta(days=4), advice_outcome="mindere_mate",
        notes="Aanvraag omgevingsvergunning voor de verbouwing van de salon. Eigen onderzoek: financiering niet "
              "sluitend. Advies LBB: mindere mate van gevaar; voorschrift overwegen bij de vergunning.",
        zaaknummer="ZAAK-2026-003902"))

    upcoming = meeting(7, 14, 5)
    upcoming_item = meetings.add_item(coordinator, upcoming, exploitation, today)
    decide_privacy_check(officer, open_check(exploitation, "2A", meeting=upcoming), approved=True,
                         rationale="Sociaal domein ziet de betrokkenen vanwege mogelijk slachtofferschap.",
                         field_rules={member.department_id: ["fenomeen", "beschrijving", "kvk", "adressen"],
                                      social.department_id: ["fenomeen", "beschrijving", "betrokkenen",
                                                             "geboortedata"]})
    meetings.publish(coordinator, upcoming)
    meetings.record_notes(coordinator, upcoming_item, "Voorbereiding: contact met het Zorg- en Veiligheidshuis.")

    later = meeting(42, 9, 40)
    meetings.add_item(coordinator, later, phoned, today)  # check 2A waits for the privacy officer

    # The RIEC referral: asked for description, names and addresses; 2B refused the addresses.
    riec = db.session.scalar(select(Partner).where(Partner.name.like("RIEC%")))
    referral = create_referral(coordinator, hemp, partner=riec, purpose="Signaal aanbrengen bij het RIEC voor "
                               "een integrale analyse van het netwerk rond het pand.",
                               legal_ground="wgs_riec",
                               legal_ground_note="Aangebracht volgens de werkafspraken van het RIEC Midden-Nederland.",
                               data_categories=["beschrijving", "betrokkenen", "adressen"], channel="riec_portaal",
                               feedback_due=today + timedelta(days=28))
    decide_privacy_check(officer, privacy_check(referral), approved=True,
                         rationale="Beschrijving en namen zijn nodig; adressen kent het RIEC al.",
                         allowed_fields=["beschrijving", "betrokkenen"],
                         powers=_power_ids("Gemeentewet art. 172, 174 en 175", "Wet Bibob"))
    send_referral(coordinator, referral, store=store, keyring=keyring, render=render_package, today=today)
    update_progress(coordinator, referral, status="ontvangen", recipient_reference="RIEC-MN-2026-0117",
                    answer=None, today=today)

    # The coordinator's saved inbox filter, next to the built-in "Mijn werkvoorraad".
    save_filter(coordinator, "Urgent en open, oudste eerst", {"status": "open", "urgentie": "urgent",
                                                            "sorteren": "oudste"})

    # The privacy officer: a data-subject request about the person on the hemp case, an ended
    # break-glass grant to sign off, and a retention dry run.
    subject_request = requests.create_request(officer, type="inzage", received_on=today - timedelta(days=5),
                                              name="Kees de Boer", birth_date=date(1979, 5, 14))
    requests.lookup(officer, subject_request)
    requests.decide(officer, subject_request, restriction="gedeeltelijk", ground="opsporing",
                    note="Het lopende 13b-traject weegt zwaarder dan volledige inzage.")
    now = dates.utcnow()
    grant = grant_access(member, Role.MEMBER.value, exploitation,
                         "Spoed: controle vanavond, geen regisseur bereikbaar.", 15, now)
    db.session.flush()
    end_access(member, grant, now + timedelta(minutes=5))
    db.session.flush()
    _demo_mail(store, today)
    run_retention(officer, now, dry_run=True, origin="demo")


DEMO_ORGANISATION = {
    "name": "Gemeente Voorbeeldstad",
    "department": "Team Openbare Orde en Veiligheid",
    "postal_address": "Postbus 1234\n1000 AB Voorbeeldstad",
    "website": "https://www.voorbeeldstad.example",
    "contact_name": "Özlem Jansen-de Vries",
    "contact_role": "regisseur ondermijning",
    "contact_phone": "030 123 45 67",
    "contact_email": "ondermijning@voorbeeldstad.example",
    "signatory_name": "mr. drs. Aïcha van den Berg-Ó Súilleabháin",
    "signatory_role": "functionaris gegevensbescherming, namens de burgemeester van Voorbeeldstad",
}


def demo_logo() -> bytes:
    """A logo drawn here (no file to ship): a blue shield with a white stripe."""
    image = Image.new("RGBA", (240, 240), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.polygon([(20, 20), (220, 20), (220, 130), (120, 225), (20, 130)], fill=(21, 66, 115, 255))
    draw.rectangle([(20, 95), (220, 125)], fill=(255, 255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return checked_logo(out.getvalue())


def _organisation() -> None:
    if db.session.get(OrganisationProfile, 1) is None:
        db.session.add(OrganisationProfile(id=1, logo_png=demo_logo(), updated_at=dates.utcnow(), **DEMO_ORGANISATION))


def _demo_mail(store, today: date) -> None:
    """An e-mail to the meldpunt mailbox, waiting as a concept as `flask mail fetch` leaves it."""
    message = EmailMessage()
    message["From"] = "Fatima el Amrani <f.elamrani@ondernemer.test>"
    message["To"] = "ondermijning@voorbeeldstad.test"
    message["Subject"] = "Steeds wisselende huurders boven de kapsalon, Marktstraat"
    message["Date"] = format_datetime(datetime.combine(today - timedelta(days=1), time(8, 40), dates.LOCAL_ZONE))
    message["Message-ID"] = "<demo-meldpunt-1@ondernemer.test>"
    message.set_content(
        "Goedemorgen,\n\nBoven de kapsalon aan de Marktstraat wonen sinds de zomer steeds andere mensen;\n"
        "’s avonds laat wordt er veel gesjouwd met dozen. Foto van de achterkant bijgevoegd.\n\n"
        "Met vriendelijke groet,\nFatima el Amrani\nbuurtwinkel Marktstraat 3")
    message.add_attachment(DEMO_PNG, maintype="image", subtype="png", filename="achterkant-marktstraat.png")
    add_concept(bytes(message), store)


def load_demo() -> list[tuple[str, str, str]]:
    """Create what is missing (idempotent) and return (email, roles, password) per account."""
    if current_app.config.get("ENV_NAME") == "production":
        raise RuntimeError("Demo-gegevens zijn in productie niet toegestaan.")
    departments = {}
    for name in DEPARTMENTS:
        department = db.session.scalar(select(Department).where(Department.name == name))
        if department is None:
            department = Department(name=name)
            db.session.add(department)
            db.session.flush()
        departments[name] = department.id
    result, users = [], {}
    for email, name, roles, department in ACCOUNTS + EXTRA_ACCOUNTS:
        user = find_user_by_email(email)
        if user is None:
            user = create_user(None, email, name, roles, DEMO_PASSWORD,
                               department_id=departments.get(department), must_change_password=False)
        users[email] = user
        if (email, name, roles, department) in ACCOUNTS:
            result.append((email, ", ".join(ROLE_LABELS[Role(r)] for r in roles), DEMO_PASSWORD))
    db.session.flush()
    _organisation()
    if db.session.scalar(select(Signal.id).limit(1)) is None:
        _world(users)
    db.session.commit()
    return result


@click.command("demo")
def demo_cli():
    """Fill an empty database with demo data and one account per role; print the logins."""
    accounts = load_demo()
    click.echo("\nDemo-accounts (alleen voor proefomgevingen):")
    for email, role, password in accounts:
        click.echo(f"  {role:<28} {email:<32} wachtwoord: {password}")
    click.echo()
