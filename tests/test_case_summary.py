"""The case summary (zaakoverzicht, issue 19): one watermarked A4 page per signal for the
coordinator with where it stands and the internal notes; fresh login, logged once, changes
nothing else; not for a destroyed or restricted signal, not for any other role."""

import io
from datetime import date, datetime, timedelta

import pytest
from freezegun import freeze_time
from pypdf import PdfReader
from sqlalchemy import func, select, update

from casustafel.actions.services import create_action
from casustafel.dates import utcnow
from casustafel.demo import weigh_to_sources
from casustafel.extensions import db
from casustafel.models import (
    AuditEvent,
    Partner,
    Phenomenon,
    ProcessingRestriction,
    Signal,
    SignalNote,
    UserSession,
)
from casustafel.models.activity import activity_for
from casustafel.referrals.services import create_referral
from casustafel.retention.destruction import destroy_signals
from casustafel.signals import assignment_services as assignment
from casustafel.signals.case_summary_content import NOTES_SHOWN, PLACES_SHOWN, SUBJECTS_SHOWN
from casustafel.signals.services import (
    LocationInput,
    SignalInput,
    SubjectInput,
    build_signal,
    record_summary,
    set_legal_hold,
)
from tests.conftest import HOSTILE_TEXT, build_complete_signal, login
from tests.helpers.legal_grounds import RIEC_GROUND
from tests.helpers.meetings import add, plan_meeting
from tests.helpers.referrals import pdf_text

COORDINATOR = "Cora Ŀiñ-Ørsted van ’t Hooft"
SUMMARY = "Samenvatting-7c1e: contante betalingen bij een horecazaak, bovenwoning met afgeplakte ramen."
DESCRIPTION = "Beschrijving-0b9a van de melder: ik zag vanuit mijn raam elke nacht busjes."
PEOPLE = ("Zoë Ğüneş-Çelik", "Ŝøren Ægir Jansen", "Horeca Ĳsselstein B.V.")
STREET = "Burgemeester Ĳzerdraatstraat"
# Markup and a formula a note or summary may hold. (Emoji and CJK are left out where the text is
# read back: the PDF fonts have no glyph for them, and pypdf then cannot read the whole font.)
MARKUP = "<script>alert('x')</script> <b>vet</b> \"><img src=x> =HYPERLINK(\"http://x\")"
LONG = ("Ŝøren Ægir van ’t Veld-Ğüneş overlegde met de wijkagent over het pand aan de Ĳzerdraatstraat; "
        "מידע עברית نص عربي e\u0301 ")


def _pages(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)


def _events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def _client(app, user):
    client = app.test_client()
    assert login(client, user.email).status_code == 200
    return client


def _url(signal) -> str:
    return f"/meldingen/{signal.id}/zaakoverzicht.pdf"


def _notes(coordinator, signal, texts, start=datetime(2026, 3, 2, 8, 0)):
    """One note per text, a minute apart (so "the latest" is well defined)."""
    for n, text in enumerate(texts):
        with freeze_time(start + timedelta(minutes=n)):
            assignment.add_note(coordinator, signal, text)
    db.session.commit()


@pytest.fixture
def people(make_user):
    return {"coordinator": make_user("coordinator", name=COORDINATOR),
            "officer": make_user("privacy_officer", name="Paula Privacy"),
            "member": make_user("member", name="Mo Handhaving"),
            "reporter": make_user("reporter", name="Rosa Melder-Ζ")}


def _typical(people, *, summary=SUMMARY) -> Signal:
    """A signal as a coordinator has it after a few weeks: three subjects, two addresses,
    weighed and source-checked, on an agenda, an action, a referral, legal hold, three notes."""
    coordinator, officer = people["coordinator"], people["officer"]
    signal = build_signal(people["reporter"], SignalInput(
        description=DESCRIPTION, urgent=True,
        phenomenon_id=db.session.scalar(select(Phenomenon.id).where(Phenomenon.name == "Hennepteelt")),
        subjects=[SubjectInput(kind="persoon", name=PEOPLE[0], birth_date=date(1984, 2, 29), street=STREET,
                               house_number="12", house_number_addition="bis", postcode="3401 AB", city="Ĳsselstein"),
                  SubjectInput(kind="persoon", role="huurder", name=PEOPLE[1], birth_date=date(1999, 12, 31)),
                  SubjectInput(kind="organisatie", role="eigenaar", name=PEOPLE[2], kvk_number="12345678")],
        locations=[LocationInput(street=STREET, house_number="12", house_number_addition="bis", postcode="3401 AB",
                                 city="Ĳsselstein", bag_id="0353010000123456"),
                   LocationInput(street="Wijde Doelen", house_number="7", postcode="3401 EZ", city="Ĳsselstein")],
    ))
    db.session.flush()
    signal.owner_id = coordinator.id
    weigh_to_sources(coordinator, officer, signal)
    if summary:
        record_summary(coordinator, signal, summary)
    db.session.commit()
    add(coordinator, plan_meeting(coordinator), signal)  # asks privacy check 2A: open
    create_action(coordinator, signal, type="handhaving", deadline=date(2026, 1, 5), owner_id=people["member"].id,
                  description="Controle ter plaatse")
    partner = db.session.scalar(select(Partner).where(Partner.name == "Politie"))
    create_referral(coordinator, signal, partner=partner, purpose="Doel", legal_ground=RIEC_GROUND,
                    legal_ground_note=None, data_categories=["betrokkenen"], channel="brief", feedback_due=None)
    set_legal_hold(coordinator, signal, "inzageverzoek")
    db.session.commit()
    _notes(coordinator, signal, ["Notitie-een: eigenaar gebeld, geen gehoor.",
                                 "Notitie-twee: wijkagent kent het pand; zie verslag.",
                                 "Notitie-drie: Zoë Ğüneş-Çelik is verhuisd naar Ĳsselstein."])
    return signal


def test_one_page_with_where_the_signal_stands_and_the_notes(app, people):
    signal = _typical(people)
    response = _client(app, people["coordinator"]).get(_url(signal))

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="zaakoverzicht-{signal.reference}.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    assert _pages(response.data) == 1
    text = pdf_text(response.data)
    for expected in (f"Zaakoverzicht {signal.reference}", "Status Geagendeerd (urgent)", f"Regisseur {COORDINATOR}",
                     "Fenomeen Drugs — Hennepteelt", *PEOPLE, "geboren 29-02-1984", "KvK 12345678",
                     f"{STREET} 12 bis, 3401 AB Ĳsselstein", "Wijde Doelen 7, 3401 EZ Ĳsselstein", SUMMARY,
                     "Intake (weging 1 en 2)", "Weging 3", "Bronnenonderzoek starten",
                     "Weging 4 (vervolgstap)", "Bespreken in het gemeentelijk casusoverleg",
                     "Privacytoets 2A, aangevraagd", "Privacytoets 2B, aangevraagd", "Casustafel (regulier) op",
                     "Handhaving – Mo Handhaving", "uiterlijk 05-01-2026 (te laat)", "Politie – concept",
                     "Legal hold Ja, sinds", "reden: inzageverzoek",
                     "Notitie-een", "Notitie-twee", "Notitie-drie: Zoë Ğüneş-Çelik is verhuisd",
                     f"Gedownload door {COORDINATOR}"):
        assert expected in text, expected
    assert "eerdere notitie" not in text  # three notes: all of them
    # The latest first, with author and Dutch time.
    assert text.index("Notitie-drie") < text.index("Notitie-twee") < text.index("Notitie-een")
    assert f"{COORDINATOR}, 02-03-2026 09:02: Notitie-drie" in text
    # Never the reporter, nor the reporter's words when there is a summary.
    assert "Rosa Melder" not in text and DESCRIPTION not in text


def test_without_a_summary_it_shows_the_description_marked_as_the_reporters_words(app, people):
    signal = _typical(people, summary=None)
    text = pdf_text(_client(app, people["coordinator"]).get(_url(signal)).data)
    assert "Beschrijving door de melder" in text and DESCRIPTION in text
    assert "nog geen geanonimiseerde samenvatting" in text and "Rosa Melder" not in text


def test_thirty_long_notes_twenty_subjects_and_long_texts_still_make_one_page(app, people):
    coordinator = people["coordinator"]
    # 20 subjects and 20 addresses with names and streets at their maximum length, every field filled.
    signal = build_complete_signal(people["reporter"], coordinator, people["officer"])
    record_summary(coordinator, signal, (LONG * 60)[:5000])
    db.session.commit()
    _notes(coordinator, signal, [f"N{n:02d}-{(LONG * 40)[:3995]}" for n in range(30)])

    response = _client(app, coordinator).get(_url(signal))
    assert response.status_code == 200
    assert _pages(response.data) == 1
    text = pdf_text(response.data)
    for n in range(30 - NOTES_SHOWN, 30):  # the latest notes ...
        assert f"N{n:02d}-Ŝøren Ægir" in text, n
    for n in range(30 - NOTES_SHOWN):  # ... not the earlier ones
        assert f"N{n:02d}-" not in text, n
    assert f"en {30 - NOTES_SHOWN} eerdere notities (zie de werkruimte)" in text
    assert f"en {20 - SUBJECTS_SHOWN} andere betrokkenen" in text and f"en {20 - PLACES_SHOWN} andere adressen" in text
    # Long texts are cut between words and marked: no note is printed whole.
    assert (LONG * 3).strip() not in text and text.count("…") >= NOTES_SHOWN + 1
    assert f"Gedownload door {COORDINATOR}" in text
    # The log names the subjects whose data the page shows, not the others.
    [event] = _events("signal.case_summary_downloaded")
    assert event.subject_pseudonyms == ",".join(str(s.id) for s in signal.subjects[:SUBJECTS_SHOWN])


def test_texts_without_a_glyph_in_the_fonts_still_make_one_page(app, people):
    coordinator = people["coordinator"]
    signal = build_complete_signal(people["reporter"], coordinator, people["officer"])  # emoji, CJK, RTL
    db.session.commit()
    _notes(coordinator, signal, [(HOSTILE_TEXT * 40)[:4000] for _ in range(30)])
    response = _client(app, coordinator).get(_url(signal))
    assert response.status_code == 200 and _pages(response.data) == 1


def test_the_download_is_logged_once_and_changes_nothing_else(app, people):
    signal = _typical(people)
    client = _client(app, people["coordinator"])
    db.session.expire_all()
    before = (db.session.get(Signal, signal.id).version, db.session.scalar(select(func.count(SignalNote.id))),
              db.session.scalar(select(func.max(AuditEvent.seq))))

    assert client.get(_url(signal)).status_code == 200

    db.session.expire_all()
    assert db.session.get(Signal, signal.id).version == before[0]
    assert db.session.scalar(select(func.count(SignalNote.id))) == before[1]
    new = db.session.scalars(select(AuditEvent).where(AuditEvent.seq > before[2])).all()
    assert [e.action for e in new] == ["signal.case_summary_downloaded"]
    [event] = new
    assert (event.actor_id, event.object_id, event.purpose, event.result) == (
        people["coordinator"].id, str(signal.id), "casustafel", "success")
    assert event.subject_pseudonyms == ",".join(str(s.id) for s in signal.subjects)
    assert activity_for(event.action) == "signaalanalyse"


def test_a_stale_login_asks_for_the_password_first_and_nothing_is_logged(app, people):
    signal = _typical(people)
    coordinator = people["coordinator"]
    client = _client(app, coordinator)
    db.session.execute(update(UserSession).where(UserSession.user_id == coordinator.id)
                       .values(authenticated_at=datetime(2020, 1, 1)))
    db.session.commit()
    stale = client.get(_url(signal))
    assert stale.status_code == 302 and "/inloggen/bevestigen" in stale.headers["Location"]
    assert "zaakoverzicht.pdf" in stale.headers["Location"]  # back to the download afterwards
    assert _events("signal.case_summary_downloaded") == []

    db.session.execute(update(UserSession).where(UserSession.user_id == coordinator.id)
                       .values(authenticated_at=utcnow()))
    db.session.commit()
    assert client.get(_url(signal)).status_code == 200
    assert len(_events("signal.case_summary_downloaded")) == 1


@pytest.mark.parametrize("role", ["privacy_officer", "member", "reporter", "admin"])
def test_no_other_role_gets_it(app, people, make_user, role):
    signal = _typical(people)
    user = people["officer"] if role == "privacy_officer" else make_user(role)  # the officer has a check open
    response = _client(app, user).get(_url(signal))
    assert response.status_code == 403 and b"%PDF" not in response.data
    assert _events("signal.case_summary_downloaded") == []


def test_the_workspace_links_to_it(app, people):
    signal = _typical(people)
    page = _client(app, people["coordinator"]).get(f"/meldingen/{signal.id}").get_data(as_text=True)
    assert f'href="{_url(signal)}"' in page and "Zaakoverzicht (pdf)" in page


def test_a_destroyed_signal_has_no_summary_and_says_why(app, people):
    signal = _typical(people)
    destroy_signals([signal.id], datetime(2031, 6, 1), date(2026, 1, 1))
    db.session.commit()
    client = _client(app, people["coordinator"])
    assert f'href="{_url(signal)}"' not in client.get(f"/meldingen/{signal.id}").get_data(as_text=True)

    response = client.get(_url(signal))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/meldingen/{signal.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "er is geen zaakoverzicht" in page
    assert _events("signal.case_summary_downloaded") == []


def test_a_restricted_signal_has_no_summary_and_says_why(app, people):
    signal = _typical(people)
    db.session.add(ProcessingRestriction(signal_id=signal.id, set_by_id=people["officer"].id))
    db.session.commit()
    client = _client(app, people["coordinator"])
    response = client.get(_url(signal))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "beperkt (art. 18 AVG)" in page and "geen zaakoverzicht te downloaden" in page
    assert _events("signal.case_summary_downloaded") == []


def test_markup_in_a_summary_or_note_is_printed_as_text(app, people):
    signal = _typical(people, summary=f"Samenvatting {MARKUP}")
    _notes(people["coordinator"], signal, [f"Notitie {MARKUP}"], start=datetime(2026, 3, 3, 8, 0))
    text = pdf_text(_client(app, people["coordinator"]).get(_url(signal)).data)
    assert text.count(MARKUP) == 2
