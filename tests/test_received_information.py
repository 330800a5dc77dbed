"""Restricted received information (README “Received information”): what the police (Wpg), the
OM (Wjsg), a RIEC partner (WGS) or Bureau Bibob (art. 28 Wet Bibob) gave the municipality leaves
only through an exception the coordinator asks with reasons and another person, a privacy
officer, approves: for that one record and that one named use. Bibob information never goes to
others. Members, packages without an exception and answers to data subjects never hold it.
"""

from datetime import date

import pytest
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import Partner, ReceivedInformation, ReceivedInformationException, Referral
from casustafel.referrals import received_services as received
from casustafel.referrals.pdf import render_package
from casustafel.referrals.services import create_referral
from casustafel.signals.workflow import transition
from tests.helpers.meetings import published_scene
from tests.helpers.referrals import (
    client_for,
    create,
    decide_2b,
    events,
    make_scene,
    pdf_text,
    post,
    sent_referral,
)

pytestmark = pytest.mark.usefixtures("pinned_day")

EVERY = ["fenomeen", "beschrijving", "betrokkenen", "geboortedata", "kvk", "adressen", "bronnen"]
# One marked record per source: (source, ground, content marker).
SOURCES = [
    ("politie", "wpg_16_1_c", "POLITIEMARK"),
    ("om", "wjsg", "OMMARK"),
    ("riec", "wgs", "RIECMARK"),
    ("bibob", "bibob_28", "BIBOBMARK"),
]
MARKS = [mark for _source, _ground, mark in SOURCES] + ["CONDMARK", "PROVREFMARK", "RECIPMARK"]


@pytest.fixture
def scene(app, make_user, make_signal):
    return make_scene(make_user, make_signal)


def add(coordinator, signal, ground, mark, **fields):
    item = received.add_received_information(
        coordinator, signal, ground=ground, received_on=date(2026, 1, 31), content=f"Inhoud {mark} ontvangen",
        provider_reference=fields.pop("provider_reference", "PV-PROVREFMARK"),
        conditions=fields.pop("conditions", "Voorwaarde CONDMARK"), recipients="Burgemeester RECIPMARK", **fields)
    db.session.commit()
    return item


def ask(client, item, use, referral=None, *, task="Motivering besluit art. 13b Opiumwet", reasoning="Nodig"):
    return post(client, f"/verstrekkingen/ontvangen-informatie/{item.id}/uitzondering", {
        "use": use, "referral_id": str(referral.id) if referral else "", "task": task, "reasoning": reasoning,
    })


def decide(client, exception, approved: bool, reasoning="Afgewogen tegen de voorwaarden"):
    return post(client, f"/verstrekkingen/uitzonderingen/{exception.id}",
                {"approved": "ja" if approved else "nee", "reasoning": reasoning})


def exception_of(item, referral=None) -> ReceivedInformationException:
    db.session.expire_all()  # the pages changed it in their own transaction
    stmt = select(ReceivedInformationException).where(ReceivedInformationException.information_id == item.id)
    if referral is not None:
        stmt = stmt.where(ReceivedInformationException.referral_id == referral.id)
    return db.session.scalars(stmt.order_by(ReceivedInformationException.requested_at.desc())).first()


def package_text(app, referral) -> str:
    with app.test_request_context():
        return pdf_text(render_package(referral, EVERY))


def second_referral(coordinator, signal) -> Referral:
    partner = db.session.scalar(select(Partner).where(Partner.name == "Politie"))
    referral = create_referral(coordinator, signal, partner=partner, purpose="Aangifte", legal_ground="avg_aangifte",
                               legal_ground_note=None, data_categories=["beschrijving"], channel="brief",
                               feedback_due=None)
    db.session.commit()
    return referral


# --- the must-show: it leaves only through an approved exception ------------------------------


def test_restricted_police_information_leaves_only_through_an_approved_exception(app, scene, make_user):
    coordinator, officer, signal = scene
    alpha = add(coordinator, signal, "wpg_20", "ALPHAMARK", conditions="Alleen voor het RIEC CONDMARK")
    beta = add(coordinator, signal, "wpg_19", "BETAMARK")
    referral = create(app, coordinator, signal, data_categories=EVERY)
    decide_2b(referral, EVERY, officer=officer)
    other = second_referral(coordinator, signal)
    coordinator_client, officer_client = client_for(app, coordinator), client_for(app, officer)

    # No exception: the real package holds everything approved, nothing received.
    text = package_text(app, referral)
    assert "SUMMARYMARK" in text and "ALPHAMARK" not in text and "BETAMARK" not in text

    # Asked, not yet decided: still absent.
    assert ask(coordinator_client, alpha, "verstrekking", referral).status_code == 302
    assert ask(coordinator_client, beta, "verstrekking", referral).status_code == 302
    asked = exception_of(alpha)
    assert asked.status == "aangevraagd" and asked.referral_id == referral.id
    assert asked.task == "Motivering besluit art. 13b Opiumwet" and b"13b" not in asked.task_enc
    requested = events("received_information.exception_requested", asked.id)
    assert len(requested) == 1 and requested[0].purpose == "privacytoets" and requested[0].reason_code == "verstrekking"
    assert "ALPHAMARK" not in package_text(app, referral)

    # Refused: absent.
    assert decide(officer_client, exception_of(beta), approved=False).status_code == 302
    assert exception_of(beta).status == "afgewezen"
    assert "BETAMARK" not in package_text(app, referral)

    # Approved: present, with the provider's conditions, only in the named referral's package.
    assert decide(officer_client, asked, approved=True).status_code == 302
    db.session.expire_all()
    decided = exception_of(alpha)
    assert decided.status == "goedgekeurd" and decided.decided_by_id == officer.id
    assert decided.decision_reasoning == "Afgewogen tegen de voorwaarden"
    logged = events("received_information.exception_decided", decided.id)
    assert len(logged) == 1 and logged[0].reason_code == "goedgekeurd" and logged[0].actor_id == officer.id
    text = package_text(app, referral)
    assert "ALPHAMARK" in text and "Alleen voor het RIEC CONDMARK" in text and "Art. 20 Wpg" in text
    assert "BETAMARK" not in text and "PROVREFMARK" not in text and "RECIPMARK" not in text
    assert "ALPHAMARK" not in package_text(app, db.session.get(Referral, other.id))

    # Sending through the page stores exactly that package.
    assert post(coordinator_client, f"/verstrekkingen/{referral.id}/versturen",
                {"bevestigen": "ja"}).status_code == 302
    stored = pdf_text(coordinator_client.get(f"/verstrekkingen/{referral.id}/pakket.pdf").data)
    assert "ALPHAMARK" in stored and "BETAMARK" not in stored
    provided = events("received_information.provided")
    assert [(e.object_id, e.purpose, e.reason_code) for e in provided] == [(str(alpha.id), "verstrekking", "politie")]
    page = coordinator_client.get(f"/verstrekkingen/{referral.id}").get_data(as_text=True)
    assert "ging ook deze ontvangen informatie mee" in page and "ALPHAMARK" not in page


def test_an_exception_for_one_use_opens_no_other(app, scene):
    """Approved for the municipality's own task, the record still stays out of every package."""
    coordinator, officer, signal = scene
    item = add(coordinator, signal, "wpg_16_1_c", "OWNTASKMARK")
    referral = create(app, coordinator, signal, data_categories=EVERY)
    decide_2b(referral, EVERY, officer=officer)
    assert ask(client_for(app, coordinator), item, "eigen_taak", referral).status_code == 302
    exception = exception_of(item)
    assert exception.use == "eigen_taak" and exception.referral_id is None  # no referral rides along
    assert decide(client_for(app, officer), exception, approved=True).status_code == 302
    assert "OWNTASKMARK" not in package_text(app, referral)


def test_the_coordinator_cannot_approve_their_own_request(app, make_user, make_signal):
    """Four eyes: a coordinator who is also privacy officer asks; they cannot decide, another can."""
    both = make_user("coordinator", "privacy_officer", name="Dubbel Dirk")
    officer = make_user("privacy_officer")
    signal = make_signal(status="doorgezet")
    item = add(both, signal, "wpg_19", "SELFMARK")
    client = client_for(app, both)
    assert ask(client, item, "eigen_taak").status_code == 302
    exception = exception_of(item)

    assert client.get(f"/verstrekkingen/uitzonderingen/{exception.id}").status_code == 404
    assert decide(client, exception, approved=True).status_code == 404
    listing = client.get("/verstrekkingen/uitzonderingen").get_data(as_text=True)
    assert "wacht op een andere privacyfunctionaris" in listing and str(exception.id) not in listing
    with pytest.raises(received.ReceivedError, match="vier ogen"):
        received.decide_exception(both, exception, approved=True, reasoning="Zelf")
    db.session.rollback()
    assert exception_of(item).status == "aangevraagd" and not events("received_information.exception_decided")

    # A plain coordinator has no way in either.
    coordinator = make_user("coordinator")
    assert decide(client_for(app, coordinator), exception, approved=True).status_code == 403
    with pytest.raises(received.ReceivedError, match="Alleen een privacyfunctionaris"):
        received.decide_exception(coordinator, exception, approved=True, reasoning="Ik mag het")
    db.session.rollback()

    # The other privacy officer sees the record while deciding, then only the decision.
    other = client_for(app, officer)
    page = other.get(f"/verstrekkingen/uitzonderingen/{exception.id}").get_data(as_text=True)
    assert "SELFMARK" in page and events("received_information.viewed", item.id)
    assert decide(other, exception, approved=True).status_code == 302
    page = other.get(f"/verstrekkingen/uitzonderingen/{exception.id}").get_data(as_text=True)
    assert "Goedgekeurd" in page and "SELFMARK" not in page
    assert decide(other, exception, approved=False).status_code == 302
    assert exception_of(item).status == "goedgekeurd"  # decided once


# --- Bibob: never to others -------------------------------------------------------------------


def test_a_bibob_exception_for_a_package_is_refused(app, scene):
    coordinator, officer, signal = scene
    item = add(coordinator, signal, "bibob_28", "BIBOBMARK")
    assert item.source == "bibob"
    referral = create(app, coordinator, signal, data_categories=EVERY)
    decide_2b(referral, EVERY, officer=officer)

    response = ask(client_for(app, coordinator), item, "verstrekking", referral)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "art. 28 Wet Bibob" in page and "gesloten kring" in page
    assert db.session.scalar(select(ReceivedInformationException.id)) is None

    # A request that got in some other way cannot be approved either, and a forged approval
    # still opens no package.
    forged = ReceivedInformationException(information_id=item.id, signal_id=signal.id, use="verstrekking",
                                          referral_id=referral.id, status="aangevraagd")
    db.session.add(forged)
    db.session.commit()
    response = decide(client_for(app, officer), forged, approved=True)
    assert response.status_code == 200 and "art. 28 Wet Bibob" in response.get_data(as_text=True)
    assert db.session.get(ReceivedInformationException, forged.id).status == "aangevraagd"
    forged.status = "goedgekeurd"
    db.session.commit()
    assert "BIBOBMARK" not in package_text(app, referral)

    # Its own use by the municipality (the decision Bibob advised on) may be asked and approved.
    assert ask(client_for(app, coordinator), item, "eigen_taak").status_code == 302


def test_the_privacy_officer_deciding_a_bibob_exception_never_sees_its_content(app, scene):
    """Art. 28 Wet Bibob keeps the content with the coordinator: the privacy officer who decides an
    exception for the municipality's own task decides on the task and the reasoning only."""
    coordinator, officer, signal = scene
    item = add(coordinator, signal, "bibob_28", "BIBOBMARK", provider_reference="LBB-PROVREFMARK-Ø")
    police = add(coordinator, signal, "wpg_19", "POLITIEMARK")
    client = client_for(app, coordinator)
    task = "Besluit op de exploitatievergunning van café «Zeeŭw»"
    assert ask(client, item, "eigen_taak", task=task, reasoning="Onderbouwing REASONMARK").status_code == 302
    assert ask(client, police, "eigen_taak").status_code == 302
    officer_client = client_for(app, officer)

    exception = exception_of(item)
    page = officer_client.get(f"/verstrekkingen/uitzonderingen/{exception.id}").get_data(as_text=True)
    assert "REASONMARK" in page and "Zeeŭw" in page and "art. 28 Wet Bibob" in page  # what she decides on
    for mark in ("BIBOBMARK", "PROVREFMARK", "CONDMARK", "RECIPMARK"):
        assert mark not in page, mark
    assert not events("received_information.viewed", item.id)  # nothing of it was shown
    assert events("received_information.exception_viewed", exception.id)
    # She can still decide it, and the decided page shows the decision only.
    assert decide(officer_client, exception, approved=True).status_code == 302
    page = officer_client.get(f"/verstrekkingen/uitzonderingen/{exception.id}").get_data(as_text=True)
    assert "Goedgekeurd" in page and "BIBOBMARK" not in page

    # Another source's record is shown to who decides it, as before.
    other = officer_client.get(f"/verstrekkingen/uitzonderingen/{exception_of(police).id}").get_data(as_text=True)
    assert "POLITIEMARK" in other and "CONDMARK" in other and "RECIPMARK" in other
    assert events("received_information.viewed", police.id)


# --- members and data subjects never see it ---------------------------------------------------


def test_a_member_of_the_casustafel_never_sees_received_information(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal)
    officer = make_user("privacy_officer")
    for _source, ground, mark in SOURCES:
        item = add(scene.coordinator, scene.signal, ground, mark)
        exception = received.request_exception(scene.coordinator, item, use="eigen_taak", referral=None,
                                               task="Taak", reasoning="Nodig")
        received.decide_exception(officer, exception, approved=True, reasoning="Goed")
    db.session.commit()
    member = client_for(app, scene.member)
    agenda = member.get(f"/overleggen/{scene.meeting.id}/agenda")
    assert agenda.status_code == 200
    body = agenda.get_data(as_text=True)
    assert "Beschrijving" in body or scene.signal.reference in body  # the item itself is shown
    for mark in MARKS:
        assert mark not in body, mark
    item = db.session.scalars(select(ReceivedInformation)).first()
    exception = db.session.scalars(select(ReceivedInformationException)).first()
    for url in (f"/verstrekkingen/ontvangen-informatie/{scene.signal.id}",
                f"/verstrekkingen/ontvangen-informatie/{item.id}/uitzondering",
                "/verstrekkingen/uitzonderingen", f"/verstrekkingen/uitzonderingen/{exception.id}",
                f"/meldingen/{scene.signal.id}"):
        response = member.get(url)
        assert response.status_code in (403, 404), url
        assert not any(mark in response.get_data(as_text=True) for mark in MARKS), url


def test_the_answer_to_a_data_subject_never_holds_received_information(app, make_user, make_signal):
    coordinator, officer = make_user("coordinator"), make_user("privacy_officer")
    signal = make_signal(person=("Jan Jansen", "1980-01-02"), address=("1234 AB", "1"), status="in_aanpak")
    for _source, ground, mark in SOURCES:
        item = add(coordinator, signal, ground, mark)
        exception = received.request_exception(coordinator, item, use="eigen_taak", referral=None, task="Taak",
                                               reasoning="Nodig")
        received.decide_exception(officer, exception, approved=True, reasoning="Goed")
    db.session.commit()
    client = client_for(app, officer)
    assert post(client, "/verzoeken/nieuw", {
        "type": "inzage", "received_on": date.today().isoformat(), "name": "Jan Jansen", "birth_date": "1980-01-02",
        "organisation": "", "kvk_number": "", "postcode": "", "house_number": "",
    }).status_code == 302
    from casustafel.models import SubjectRequest

    request = db.session.scalars(select(SubjectRequest)).one()
    url = f"/verzoeken/{request.id}"
    post(client, f"{url}/besluit", {"restriction": "geen", "ground": "", "note": ""}, from_url=url)
    page = client.get(url).get_data(as_text=True)
    assert signal.reference in page
    answer = pdf_text(client.get(f"{url}/antwoord.pdf").data)
    assert signal.reference in answer and "Jan Jansen" in answer
    for text in (page, answer):
        for mark in MARKS:
            assert mark not in text, mark


# --- closing deletes every source ---------------------------------------------------------------


def test_closing_the_case_deletes_the_records_of_every_source_and_their_exceptions(app, scene):
    coordinator, officer, signal = scene
    for _source, ground, mark in SOURCES:
        item = add(coordinator, signal, ground, mark)
        exception = received.request_exception(coordinator, item, use="eigen_taak", referral=None,
                                               task="Taak TASKMARK", reasoning="Nodig")
        received.decide_exception(officer, exception, approved=True, reasoning="Besluit DECISIONMARK")
    db.session.commit()
    assert {i.source for i in db.session.scalars(select(ReceivedInformation))} == {"politie", "om", "riec", "bibob"}
    transition(coordinator, signal, "afgesloten", reason_code="doorgezet_afgerond")
    db.session.commit()
    assert db.session.scalar(select(ReceivedInformation.id)) is None
    assert db.session.scalar(select(ReceivedInformationException.id)) is None
    deleted = events("received_information.deleted", signal.id)
    assert len(deleted) == 1 and deleted[0].reason_code == "melding_afgesloten"


def test_a_record_whose_ground_keeps_it_outlives_closing(app, scene):
    """The ground decides (GROUNDS[...].deleted_on_close); a record kept past closing is destroyed
    with the case file by retention."""
    coordinator, _, signal = scene
    kept = add(coordinator, signal, "wgs", "KEPTMARK")
    kept.delete_on_close = False
    add(coordinator, signal, "wpg_19", "GONEMARK")
    db.session.commit()
    transition(coordinator, signal, "afgesloten", reason_code="doorgezet_afgerond")
    db.session.commit()
    assert [i.content for i in db.session.scalars(select(ReceivedInformation))] == ["Inhoud KEPTMARK ontvangen"]


# --- input ------------------------------------------------------------------------------------


def test_unicode_and_long_texts_are_kept_exactly_and_too_long_is_refused(app, scene):
    coordinator, _, signal = scene
    client = client_for(app, coordinator)
    # Exactly at the limits, ending in a letter (the form strips surrounding white space).
    content = ("Zoë Ærøskøbing-Łódź meldt: „Ğül & <b>Søren</b>” 🚨 " * 200)[:3999] + "!"
    conditions = ("Uitsluitend voor de burgemeester — niet naar derden; ‘art. 20 Wpg’. " * 40)[:1999] + "."
    url = f"/verstrekkingen/ontvangen-informatie/{signal.id}"
    response = post(client, url, {"ground": "wjsg", "received_on": "2026-01-01", "provider_reference": "OM-Ø-1",
                                  "content": content + "x", "conditions": conditions + "y", "recipients": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Gebruik hooguit 4000 tekens." in page
    assert "Gebruik hooguit 2000 tekens." in page
    assert db.session.scalar(select(ReceivedInformation.id)) is None
    response = post(client, url, {"ground": "wjsg", "received_on": "2026-01-01", "provider_reference": "OM-Ø-1",
                                  "content": content, "conditions": conditions, "recipients": ""})
    assert response.status_code == 302
    item = db.session.scalars(select(ReceivedInformation)).one()
    assert (item.source, item.content, item.conditions, item.recipients) == ("om", content, conditions, None)
    page = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    assert "&lt;b&gt;Søren&lt;/b&gt;" in page and "<b>Søren</b>" not in page

    long_reason = "Onderbouwing met ümlauts en 🚨 " * 140 + "."
    response = ask(client, item, "eigen_taak", task="Taak " * 500, reasoning=long_reason[-4000:])
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Gebruik hooguit 2000 tekens." in page
    assert ask(client, item, "eigen_taak", task="Bestuurlijke rapportage Ærø", reasoning=long_reason[-4000:]
               ).status_code == 302
    assert exception_of(item).reasoning == long_reason[-4000:]


def test_an_exception_for_a_package_names_a_referral_not_yet_sent(app, scene):
    coordinator, _, signal = scene
    item = add(coordinator, signal, "wpg_19", "REFMARK")
    client = client_for(app, coordinator)
    response = ask(client, item, "verstrekking")
    assert response.status_code == 200
    assert "Kies de verstrekking (nog niet verstuurd)" in response.get_data(as_text=True)
    response = ask(client, item, "", task="", reasoning="")
    page = response.get_data(as_text=True)
    assert "Kies waarvoor de informatie nodig is." in page and "Noem de wettelijke taak" in page
    assert db.session.scalar(select(ReceivedInformationException.id)) is None
    # Asking twice for the same use is refused.
    assert ask(client, item, "eigen_taak").status_code == 302
    assert "al een uitzondering aangevraagd" in ask(client, item, "eigen_taak").get_data(as_text=True)
    # A sent referral is no longer offered, nor accepted.
    sent = sent_referral(app, scene)
    form = client.get(f"/verstrekkingen/ontvangen-informatie/{item.id}/uitzondering").get_data(as_text=True)
    assert str(sent.id) not in form
    response = ask(client, item, "verstrekking", sent)
    assert response.status_code == 200
    assert "Kies de verstrekking (nog niet verstuurd)" in response.get_data(as_text=True)
    assert [e.use for e in db.session.scalars(select(ReceivedInformationException))] == ["eigen_taak"]


# --- the privacy officer's work list ----------------------------------------------------------


def test_the_privacy_officer_sees_pending_exceptions_in_their_work_list(app, scene):
    coordinator, officer, signal = scene
    item = add(coordinator, signal, "wpg_19", "LISTMARK")
    received.request_exception(coordinator, item, use="eigen_taak", referral=None, task="Taak", reasoning="Nodig")
    db.session.commit()
    client = client_for(app, officer)
    home = client.get("/").get_data(as_text=True)
    assert "1 uitzondering voor ontvangen informatie wacht" in home and "/verstrekkingen/uitzonderingen" in home
    checks = client.get("/privacy/").get_data(as_text=True)
    assert "/verstrekkingen/uitzonderingen" in checks
    listing = client.get("/verstrekkingen/uitzonderingen").get_data(as_text=True)
    assert signal.reference in listing and "LISTMARK" not in listing  # the list shows no content
    assert events("received_information.exceptions_listed")
