"""The CCV model protocol to the letter in a real browser (issue 17, "Must show"): one signal
through all five weighings and the three privacy checks, ending in a handover to the RIEC that
appears in the register of disclosures, and the wegingsverslag PDF read back with every step.

weging 1–2 (with the power and competent body) → weging 3 → check 1 (A/B/C per register) →
source check with the date of the information → weging 4 → check 2A → the casustafel decides
"RIEC" → the handover: a referral (check 2B = weging 5, with the powers) sent → doorgezet.
axe-core runs on every page of the journey.
"""

from datetime import date, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from casustafel import demo
from casustafel.extensions import db
from casustafel.models import Referral, Signal
from tests.browser.test_casustafel_journey import (
    DESCRIPTION,
    PERSON,
    VTH,
    _decide,
    _flash,
    _login,
    _nav,
    _open_privacy_check,
    _weigh,
    open_browser,  # noqa: F401 (a fixture)
)
from tests.helpers.referrals import pdf_text
from tests.helpers.registers import fill_abc

PURPOSE = "Protocol-Doel: het RIEC neemt de regie over dit hennepnetwerk."


def test_five_weighings_three_checks_and_a_handover_to_the_riec(browser, open_browser, make_signal):  # noqa: F811
    demo.load_demo()
    signal = make_signal(description=DESCRIPTION, person=(PERSON, "1975-03-09"), address=("3512 JJ", "7"))
    reference, workspace = signal.reference, f"/meldingen/{signal.id}"
    coordinator, officer = browser, open_browser()
    day = date.today() + timedelta(days=10)

    # Weging 1 and 2: ondermijning, the municipal task with its power and competent body, territory.
    _login(coordinator, "voorzitter@casustafel.test", "Vera Voorzitter")
    page = coordinator.page
    coordinator.goto(workspace)
    intake = page.get_by_role("form", name="Intake (weging 1 en 2) vastleggen")
    expect(intake.get_by_label("Taak of bevoegdheid van de gemeente")).to_be_visible()
    _weigh(page, "intake", "Intake (weging 1 en 2) vastleggen", "Verder naar de weging",
           "Protocol-W1: verankering via het pand; 13b is een bevoegdheid van de burgemeester.")
    _flash(coordinator, "Status: Weging.")
    # Weging 3 on the municipality's criteria, then privacy check 1.
    _weigh(page, "weging", "Weging 3 vastleggen", "Bronnenonderzoek starten", "Protocol-W3: concreet en recent.")
    _flash(coordinator, "Status: Bronnenonderzoek.")
    request = page.get_by_role("form", name="Privacytoets 1 aanvragen")
    request.get_by_role("button", name="Privacytoets 1 aanvragen").click()
    _flash(coordinator, "Privacytoets 1 is aangevraagd.")
    coordinator.assert_accessible("protocol: weging 1-3")

    # Check 1 per register: A (prefilled from the list), B and C.
    _login(officer, "privacy@casustafel.test", "Pim Privacy")
    _open_privacy_check(officer, reference, "1")
    officer.page.get_by_role("group", name="Bronnen die mogen worden geraadpleegd") \
        .get_by_label("BRP (personen)").check()
    fill_abc(officer.page, "BRP (personen)")
    _decide(officer, "1", "Protocol-T1: alleen de BRP.")

    # A hit with the date of its information, then weging 4: the casustafel.
    coordinator.goto(workspace)
    form = page.get_by_role("form", name="Bron raadplegen")
    form.get_by_label("Bron", exact=True).select_option(label="BRP (personen)")
    form.get_by_label("Hit: er is iets gevonden").check()
    form.get_by_label("Datum van de gevonden informatie").fill((date.today() - timedelta(days=20)).isoformat())
    form.get_by_role("button", name="Resultaat vastleggen").click()
    _flash(coordinator, "Het resultaat van de bron is vastgelegd.")
    _weigh(page, "vervolgstap", "Weging 4 (vervolgstap) vastleggen",
           "Bespreken in het gemeentelijk casusoverleg (casustafel)", "Protocol-W4: de hit onderbouwt het signaal.")
    _flash(coordinator, "De weging 4 (vervolgstap) is vastgelegd.")
    coordinator.assert_accessible("protocol: weging 4")

    # The casustafel: check 2A for the invited department, published, decision "RIEC".
    _nav(coordinator, "Overleggen")
    coordinator.follow(page.get_by_role("link", name="Nieuw overleg plannen"))
    page.get_by_label("Datum", exact=True).fill(day.isoformat())
    page.get_by_label("Begintijd").fill("10:00")
    page.get_by_label("Voorzitter").select_option(label="Vera Voorzitter")
    page.get_by_label("Sluitingsdatum agenda").fill((day - timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Opslaan").click()
    _flash(coordinator, "Het overleg is aangemaakt.")
    page.get_by_label("Deelnemer", exact=True).select_option(label=f"Daan Deelnemer ({VTH})")
    coordinator.follow(page.get_by_role("button", name="Uitnodigen", exact=True))
    page.get_by_role("checkbox", name=signal.reference, exact=True).check()
    page.get_by_role("button", name="Op de agenda zetten").click()
    _flash(coordinator, "Privacytoets 2A is aangevraagd.")
    _open_privacy_check(officer, reference, "2A")
    officer.page.get_by_role("group", name=f"Wat mogen deelnemers van {VTH} zien?") \
        .get_by_label("Adressen en panden").check()
    _decide(officer, "2A", "Protocol-T2A: alleen het adres.")
    page.get_by_role("button", name="Agenda publiceren").click()
    _flash(coordinator, "De agenda is gepubliceerd.")
    coordinator.follow(page.get_by_role("link", name=reference))
    page.get_by_label("Melden bij het RIEC").check()
    page.get_by_label("Onderbouwing").fill("Protocol-B: georganiseerd; het RIEC neemt de regie.")
    page.get_by_role("button", name="Besluit vastleggen").click()
    expect(page.locator("main")).to_contain_text("Dit kan niet ongedaan worden gemaakt.")
    page.get_by_role("button", name="Besluit vastleggen").click()  # confirmed
    _flash(coordinator, "Leg nu de overdracht vast")
    coordinator.assert_accessible("protocol: besluit RIEC")
    db.session.expire_all()
    assert db.session.get(Signal, signal.id).status == "besproken"  # not doorgezet before the handover

    # The handover: the referral form starts as one, to the RIEC; check 2B (weging 5) with the powers.
    page.get_by_role("link", name="Overdracht vastleggen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nieuwe verstrekking")
    expect(page.get_by_label("Ontvanger")).to_have_value(str(_riec_id()))
    expect(page.get_by_label("Hiermee draagt de gemeente de zaak over")).to_be_checked()
    coordinator.assert_accessible("protocol: overdracht aan het RIEC")
    page.get_by_label("Doel van de verstrekking").fill(PURPOSE)
    page.get_by_label("Grondslag", exact=True).select_option(index=1)
    categories = page.get_by_role("group", name="Gegevens die u wilt verstrekken")
    categories.get_by_label("Beschrijving van de melding").check()
    categories.get_by_label("Namen en rol van betrokkenen").check()
    page.get_by_label("Kanaal").select_option(label="RIEC-portaal / iKGO")
    page.get_by_role("button", name="Verstrekking vastleggen").click()
    _flash(coordinator, "Privacytoets 2B is aangevraagd")
    referral_page = page.url.removeprefix(coordinator.origin)

    _open_privacy_check(officer, reference, "2B")
    shared = officer.page.get_by_role("group", name="Gegevens die mogen worden gedeeld")
    for box in shared.get_by_role("checkbox").all():  # opened with what the referral asked for ticked
        box.uncheck()
    shared.get_by_label("Beschrijving van de melding").check()
    officer.page.get_by_role("group", name="Bevoegdheden waarvoor de gegevens worden ingezet") \
        .get_by_label("Burgemeester — Handhaving van de openbare orde (Gemeentewet art. 172, 174 en 175)").check()
    _decide(officer, "2B", "Protocol-T2B: de beschrijving, voor de openbare orde.")

    # The description leaves only as the coordinator's anonymised summary (setting on by default).
    coordinator.goto(workspace)
    summary = coordinator.reveal(page.get_by_label("Geanonimiseerde samenvatting"))
    summary.fill("Protocol-S: aanwijzingen voor hennepteelt in een pand.")
    page.get_by_role("button", name="Samenvatting opslaan").click()
    _flash(coordinator, "De geanonimiseerde samenvatting is opgeslagen")
    coordinator.goto(referral_page)
    page.get_by_role("link", name="Pakket maken en versturen").click()
    expect(page.locator("main")).to_contain_text("krijgt de status ‘doorgezet’")
    coordinator.assert_accessible("protocol: pakket versturen bevestigen")
    page.get_by_role("button", name="Pakket maken en als verstuurd vastleggen").click()
    _flash(coordinator, "De melding is doorgezet.")
    db.session.expire_all()
    assert db.session.get(Signal, signal.id).status == "doorgezet"
    referral = db.session.scalars(select(Referral).where(Referral.signal_id == signal.id)).one()
    assert referral.hands_over and referral.sent_categories == ["beschrijving"]

    # The register of disclosures counts it.
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Verstrekkingen", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verstrekkingenregister")
    register = page.get_by_role("region", name="Verstrekkingen")
    expect(register.get_by_role("row").filter(has_text=reference)).to_contain_text("RIEC")
    coordinator.assert_accessible("protocol: register")

    # The wegingsverslag: every weighing and check, as a page and as the PDF for the AP.
    coordinator.goto(workspace)
    page.get_by_role("link", name="Wegingsverslag", exact=True).click()
    coordinator.assert_accessible("protocol: wegingsverslag")
    pdf = page.request.get(coordinator.origin + f"/meldingen/{signal.id}/wegingsverslag.pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(pdf_text(pdf.body()).split())
    for expected in ("Intake (weging 1 en 2)", "Protocol-W1", "Bevoegd orgaan", "Burgemeester",
                     "Sluiting van een drugspand", "Weging 3", "Protocol-W3",
                     "Privacytoets 1", "Protocol-T1", "B. verenigbaarheid", "C. noodzaak",
                     "Bronnenonderzoek: BRP", "informatie van", "Weging 4 (vervolgstap)", "Protocol-W4",
                     "Privacytoets 2A", "Protocol-T2A", "Besluit van de casustafel", "Melden bij het RIEC",
                     "Privacytoets 2B", "Protocol-T2B", "Bevoegdheden (weging 5)", "Handhaving van de openbare orde",
                     "Verstrekking aan RIEC", "Gedownload door Vera Voorzitter"):
        assert expected in text, expected
    assert "Niet vastgelegd" not in text  # no weighing skipped


def _riec_id() -> int:
    from casustafel.models import Partner

    return db.session.scalar(select(Partner.id).where(Partner.name == "RIEC"))
