"""Chairing a meeting from one screen (issue 13): the agenda beside the current item, previous
and next item, notes, decision and actions recorded in place, presence, and a confirmation page
before every irreversible step (closing the meeting, recording a decision, sending a referral
package). Closing before the meeting's date needs an explicit override with a reason."""

import re
from datetime import datetime, time, timedelta

import pytest

from casustafel.dates import from_local
from casustafel.extensions import db
from casustafel.meetings import services
from casustafel.meetings.chair_forms import PRESENCE_CHOICE
from casustafel.models import Action, AgendaItem, Meeting, MeetingInvitee, Notification, Referral, Signal
from tests.conftest import TODAY, csrf_from
from tests.helpers.meetings import add, decide_2a, department, events, logged_in, plan_meeting, published_scene
from tests.helpers.referrals import create, decide_2b, make_scene

pytestmark = pytest.mark.usefixtures("pinned_day")

RATIONALE = ("Besproken met alle disciplines — ‘geen aanwijzingen’ meer; de eigenaar (Ünal Çelik-de Vries) "
             "heeft het pand verkocht.\nTweede regel met <b>opmaak</b> & tekens. " * 12).strip()


def three_items(make_user, make_signal, **signal_fields):
    """A published meeting with three items (2A decided); returns the scene and the items in order."""
    scene = published_scene(make_user, make_signal, publish=False, summary="Samenvatting EERSTEMARK")
    for n in (2, 3):
        signal = make_signal(status="bronnenonderzoek", summary=f"Samenvatting PUNT{n}MARK")
        add(scene.coordinator, scene.meeting, signal)
        decide_2a(signal, scene.meeting, {scene.dept.id: ["fenomeen", "beschrijving"]})
    services.publish(scene.coordinator, scene.meeting)
    db.session.commit()
    return scene, list(scene.meeting.items)


def chair_url(meeting, item=None) -> str:
    base = f"/overleggen/{meeting.id}/voorzitten"
    return base if item is None else f"{base}/{item.id}"


def send(client, url, data, from_url):
    return client.post(url, data={"csrf_token": csrf_from(client.get(from_url)), **data})


def fresh(model, key):
    db.session.expire_all()
    return db.session.get(model, key)


# --- the chair's screen -------------------------------------------------------------------------


def test_the_chair_screen_shows_the_agenda_beside_the_current_item(app, make_user, make_signal):
    scene, (first, second, third) = three_items(make_user, make_signal)
    services.record_decision(scene.coordinator, first, "monitoren", "Eerst monitoren")
    db.session.commit()
    client = logged_in(app, scene.coordinator)

    # The start is the first item without a decision.
    start = client.get(chair_url(scene.meeting))
    assert start.status_code == 302 and start.headers["Location"].endswith(chair_url(scene.meeting, second))

    page = client.get(chair_url(scene.meeting, second)).get_data(as_text=True)
    agenda = page[page.index('id="agenda-kop"'):page.index('class="app-chair__item"')]
    references = re.findall(r'<span class="app-reference">([^<]+)</span>', agenda)
    assert references == [first.signal.reference, second.signal.reference, third.signal.reference]
    assert "Monitoren" in agenda and agenda.count("Nog geen besluit") == 2
    current = re.findall(r'<a [^>]*href="([^"]+)"\s*aria-current="true"', page)
    assert current == [chair_url(scene.meeting, second)]
    assert page.count('aria-current="true"') == 1
    # The right column: this item's signal as shared at the meeting, and its forms posting here.
    assert "Agendapunt 2 van 3" in page and "PUNT2MARK" in page
    assert "EERSTEMARK" not in page and "PUNT3MARK" not in page
    for form in ("aantekeningen", "besluit", "acties"):
        assert f'action="{chair_url(scene.meeting, second)}/{form}"' in page
    assert re.search(rf'rel="prev" href="{chair_url(scene.meeting, first)}"', page)
    assert re.search(rf'rel="next" href="{chair_url(scene.meeting, third)}"', page)
    assert "Aanwezigheid: 1 niet vastgelegd." in page
    assert events("agenda_item.viewed", second.id)


def test_previous_and_next_stop_at_both_ends(app, make_user, make_signal):
    scene, (first, second, third) = three_items(make_user, make_signal)
    client = logged_in(app, scene.coordinator)
    at_first = client.get(chair_url(scene.meeting, first)).get_data(as_text=True)
    assert 'rel="prev"' not in at_first and "Vorig punt" not in at_first
    assert f'rel="next" href="{chair_url(scene.meeting, second)}"' in at_first
    at_last = client.get(chair_url(scene.meeting, third)).get_data(as_text=True)
    assert 'rel="next"' not in at_last and "Volgend punt" not in at_last
    assert f'rel="prev" href="{chair_url(scene.meeting, second)}"' in at_last
    # All decided: the start is the first item.
    for item in (first, second, third):
        services.record_decision(scene.coordinator, item, "monitoren", "Monitoren")
    db.session.commit()
    assert client.get(chair_url(scene.meeting)).headers["Location"].endswith(chair_url(scene.meeting, first))


def test_the_chair_screen_is_linked_from_the_meeting_and_the_item_page(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal)
    client = logged_in(app, scene.coordinator)
    detail = client.get(f"/overleggen/{scene.meeting.id}").get_data(as_text=True)
    assert f'href="{chair_url(scene.meeting)}">Overleg voorzitten</a>' in detail
    assert f'href="/overleggen/{scene.meeting.id}/sluiten"' in detail
    assert f'action="/overleggen/{scene.meeting.id}/sluiten"' not in detail  # no one-click close any more
    item_page = client.get(f"/overleggen/{scene.meeting.id}/agendapunten/{scene.item.id}").get_data(as_text=True)
    assert f'href="{chair_url(scene.meeting, scene.item)}"' in item_page


def test_an_item_of_another_meeting_is_not_found_on_this_chair_screen(app, make_user, make_signal):
    scene, _ = three_items(make_user, make_signal)
    other = plan_meeting(scene.coordinator, days_ahead=21)
    elsewhere = add(scene.coordinator, other, make_signal(status="bronnenonderzoek"))
    client = logged_in(app, scene.coordinator)
    assert client.get(chair_url(scene.meeting, elsewhere)).status_code == 404
    response = send(client, f"{chair_url(scene.meeting, elsewhere)}/besluit",
                    {"decision-decision": "geen_actie", "decision-rationale": RATIONALE, "bevestigen": "ja"},
                    chair_url(scene.meeting, scene.item))
    assert response.status_code == 404
    assert fresh(AgendaItem, elsewhere.id).decision is None


def test_notes_and_actions_are_recorded_in_place(app, make_user, make_signal):
    scene, (_, second, _) = three_items(make_user, make_signal)
    client = logged_in(app, scene.coordinator)
    here = chair_url(scene.meeting, second)
    response = send(client, f"{here}/aantekeningen", {"notes-notes": RATIONALE, "notes-version": str(second.version)},
                    here)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{here}#aantekeningen")
    assert fresh(AgendaItem, second.id).notes == RATIONALE

    deadline = TODAY + timedelta(days=14)
    response = send(client, f"{here}/acties", {"action-type": "integrale_controle",
                                               "action-owner_id": str(scene.member.id),
                                               "action-deadline": deadline.isoformat(),
                                               "action-description": "Controle — met brandweer"}, here)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{here}#acties")
    action = db.session.query(Action).filter_by(agenda_item_id=second.id).one()
    assert action.owner_id == scene.member.id and action.deadline == deadline
    # The owner hears there is an action, with a link to "Mijn acties" and nothing of the content.
    [notice] = db.session.query(Notification).filter_by(recipient_id=scene.member.id).filter(
        Notification.subject == "Actie in casustafel").all()
    assert "/acties/mijn" in notice.body
    assert "brandweer" not in notice.body and second.signal.reference not in notice.body

    # A refused action keeps what was typed and stays on the chair's screen.
    page = send(client, f"{here}/acties", {"action-type": "integrale_controle", "action-owner_id": "",
                                           "action-owner_department_id": "", "action-deadline": deadline.isoformat(),
                                           "action-description": "Bewaar mij"}, here)
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Kies een deelnemer of een afdeling als eigenaar." in body
    assert "Bewaar mij" in body and 'aria-current="true"' in body


def test_a_notes_conflict_on_the_chair_screen_keeps_both_texts(app, make_user, make_signal):
    scene, (first, _, _) = three_items(make_user, make_signal)
    client = logged_in(app, scene.coordinator)
    here = chair_url(scene.meeting, first)
    stale = str(first.version)
    services.record_notes(scene.coordinator, first, "Van een collega")
    db.session.commit()
    response = send(client, f"{here}/aantekeningen", {"notes-notes": "Mijn tekst", "notes-version": stale}, here)
    body = response.get_data(as_text=True)
    assert response.status_code == 409 and "Van een collega" in body and "Mijn tekst" in body
    assert fresh(AgendaItem, first.id).notes == "Van een collega"


# --- recording a decision: confirmation first ---------------------------------------------------


@pytest.mark.parametrize("page", ["chair", "item"])
def test_a_decision_is_confirmed_before_it_is_recorded(app, make_user, make_signal, page):
    scene, (first, _, _) = three_items(make_user, make_signal)
    client = logged_in(app, scene.coordinator)
    here = chair_url(scene.meeting, first) if page == "chair" else \
        f"/overleggen/{scene.meeting.id}/agendapunten/{first.id}"
    data = {"decision-decision": "geen_actie", "decision-rationale": RATIONALE}

    # The form's own post only shows what will happen.
    confirm = send(client, f"{here}/besluit", data, here)
    body = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert "Besluit bevestigen" in body and "Geen actie, afsluiten" in body
    assert f"De melding {first.signal.reference} wordt afgesloten" in body
    assert "Dit kan niet ongedaan worden gemaakt." in body
    assert "Ünal Çelik-de Vries" in body and "&lt;b&gt;opmaak&lt;/b&gt;" in body and "<b>opmaak</b>" not in body
    assert f'action="{here}/besluit"' in body and 'name="bevestigen" value="ja"' in body
    assert fresh(AgendaItem, first.id).decision is None
    assert fresh(Signal, first.signal_id).status == "geagendeerd"
    assert not events("agenda_item.decided")

    # "Terug": the form again, with what was typed.
    back = send(client, f"{here}/besluit", {**data, "terug": "ja"}, here)
    body = back.get_data(as_text=True)
    assert back.status_code == 200 and "Besluit bevestigen" not in body
    assert re.search(r'<input[^>]*value="geen_actie"[^>]*checked', body, re.S)
    assert "Ünal Çelik-de Vries" in body
    assert fresh(AgendaItem, first.id).decision is None

    # Only the confirmation's button records it, and leads back to where the chair was.
    done = send(client, f"{here}/besluit", {**data, "bevestigen": "ja"}, here)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"{here}#besluit" if page == "chair" else here)
    item = fresh(AgendaItem, first.id)
    assert item.decision == "geen_actie" and item.decision_rationale == RATIONALE
    assert fresh(Signal, first.signal_id).status == "afgesloten"
    assert [e.reason_code for e in events("agenda_item.decided", first.id)] == ["geen_actie"]


@pytest.mark.parametrize(("decision", "effect"), [
    ("monitoren", "krijgt de status ‘in aanpak’"),
    ("riec", "na het versturen (met privacytoets 2B) is de melding doorgezet"),
    ("volgende_keer", "naar het volgende overleg"),
])
def test_the_confirmation_says_what_the_decision_does_to_the_signal(app, make_user, make_signal, decision, effect):
    scene = published_scene(make_user, make_signal)
    client = logged_in(app, scene.coordinator)
    here = chair_url(scene.meeting, scene.item)
    body = send(client, f"{here}/besluit", {"decision-decision": decision, "decision-rationale": "Kort"},
                here).get_data(as_text=True)
    assert effect in body
    assert fresh(AgendaItem, scene.item.id).decision is None


# --- presence -----------------------------------------------------------------------------------


def test_presence_is_recorded_for_all_invitees_at_once_and_shown(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal)
    social = department("Sociaal domein")
    excused = make_user("member", name="Şükrü Özdemir", department_id=social.id)
    absent = make_user("member", name="Ægir Ødegård", department_id=social.id)
    for user in (excused, absent):
        services.invite(scene.coordinator, scene.meeting, user)
    db.session.commit()
    client = logged_in(app, scene.coordinator)
    url = f"/overleggen/{scene.meeting.id}/aanwezigheid"
    form = client.get(url).get_data(as_text=True)
    assert form.count("<fieldset") == 3 and form.count("<legend") == 3
    assert "Şükrü Özdemir (Sociaal domein)" in form and "Afwezig met bericht van verhindering" in form
    assert f'href="{url}"' in client.get(chair_url(scene.meeting, scene.item)).get_data(as_text=True)

    field = "aanwezigheid-i_{}".format
    response = send(client, url, {field(scene.member.id.hex): "aanwezig", field(excused.id.hex): "afgemeld",
                                  field(absent.id.hex): "afwezig"}, url)
    assert response.status_code == 302 and response.headers["Location"].endswith(chair_url(scene.meeting))
    db.session.expire_all()
    invitees = db.session.query(MeetingInvitee).filter_by(meeting_id=scene.meeting.id)
    recorded = {i.user_id: i.attendance for i in invitees}
    assert recorded == {scene.member.id: "aanwezig", excused.id: "afgemeld", absent.id: "afwezig"}
    assert len(events("meeting.attendance_recorded", scene.meeting.id)) == 1
    summary = "1 aanwezig, 1 afwezig met bericht van verhindering, 1 afwezig"
    assert summary in client.get(chair_url(scene.meeting, scene.item)).get_data(as_text=True)
    assert summary in client.get(f"/overleggen/{scene.meeting.id}").get_data(as_text=True)
    again = client.get(url).get_data(as_text=True)  # the form shows what was recorded
    assert re.search(rf'<input[^>]*name="{field(excused.id.hex)}" value="afgemeld"[^>]*checked', again, re.S)


def test_presence_refuses_an_unknown_value_and_a_meeting_that_is_not_running(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal, publish=False)
    client = logged_in(app, scene.coordinator)
    url = f"/overleggen/{scene.meeting.id}/aanwezigheid"
    field = f"aanwezigheid-i_{scene.member.id.hex}"
    assert send(client, url, {field: "aanwezig"}, f"/overleggen/{scene.meeting.id}").status_code == 302  # concept
    assert fresh(MeetingInvitee, (scene.meeting.id, scene.member.id)).attendance is None
    services.publish(scene.coordinator, scene.meeting)
    db.session.commit()
    response = send(client, url, {field: "half"}, url)
    assert response.status_code == 200 and PRESENCE_CHOICE in response.get_data(as_text=True)
    assert fresh(MeetingInvitee, (scene.meeting.id, scene.member.id)).attendance is None
    assert not events("meeting.attendance_recorded")


# --- closing: confirmation, and not before the date without an override -------------------------


def close_url(meeting) -> str:
    return f"/overleggen/{meeting.id}/sluiten"


def test_the_close_page_says_what_happens_and_a_post_without_confirmation_closes_nothing(
        app, make_user, make_signal):
    scene, (first, _, _) = three_items(make_user, make_signal)
    services.record_decision(scene.coordinator, first, "monitoren", "Monitoren")
    db.session.commit()
    client = logged_in(app, scene.coordinator)
    page = client.get(close_url(scene.meeting)).get_data(as_text=True)
    assert "De uitgenodigde deelnemer ziet de agenda niet meer" in page
    assert "2 agendapunten zonder besluit" in page and "kan niet ongedaan worden gemaakt" in page.lower()
    assert "Het overleg is nog niet gehouden" in page  # seven days ahead: the override is offered
    response = send(client, close_url(scene.meeting), {"override": "y", "override_reason": "Vervroegd"},
                    close_url(scene.meeting))
    assert response.status_code == 200
    assert fresh(Meeting, scene.meeting.id).status == "gepubliceerd" and not events("meeting.closed")


def test_closing_before_the_date_is_refused_without_override_next_to_the_field(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal)
    client = logged_in(app, scene.coordinator)
    response = send(client, close_url(scene.meeting), {"bevestigen": "ja"}, close_url(scene.meeting))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'id="override-error">\s*<p><span class="visually-hidden">Fout: </span>Dit overleg is pas op',
                     body)
    # Ticked without a reason: the message is next to the reason.
    response = send(client, close_url(scene.meeting), {"bevestigen": "ja", "override": "y", "override_reason": "  "},
                    close_url(scene.meeting))
    assert 'id="override_reason-error"' in response.get_data(as_text=True)
    meeting = fresh(Meeting, scene.meeting.id)
    assert meeting.status == "gepubliceerd" and meeting.closed_at is None and meeting.close_override_reason is None
    assert not events("meeting.closed")


def test_closing_before_the_date_with_override_stores_the_reason_encrypted_and_logs_it(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal)
    client = logged_in(app, scene.coordinator)
    reason = "Vervroegd gehouden wegens de zomer — overleg met Ærøskøbing afgestemd"
    response = send(client, close_url(scene.meeting), {"bevestigen": "ja", "override": "y", "override_reason": reason},
                    close_url(scene.meeting))
    assert response.status_code == 302
    meeting = fresh(Meeting, scene.meeting.id)
    assert meeting.status == "gesloten" and meeting.close_override_reason == reason
    assert b"zomer" not in meeting.close_override_reason_enc
    [closed] = events("meeting.closed", meeting.id)
    assert closed.reason_code == "voor_datum"
    # Members lose access at once.
    assert logged_in(app, scene.member).get(f"/overleggen/{meeting.id}/agenda").status_code == 404


def test_on_the_meetings_dutch_date_it_closes_without_override(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal)
    scene.meeting.held_at = from_local(datetime.combine(TODAY, time(9, 30)))
    db.session.commit()
    client = logged_in(app, scene.coordinator)
    page = client.get(close_url(scene.meeting)).get_data(as_text=True)
    assert "Het overleg is nog niet gehouden" not in page and 'name="override"' not in page
    assert send(client, close_url(scene.meeting), {"bevestigen": "ja"}, close_url(scene.meeting)).status_code == 302
    meeting = fresh(Meeting, scene.meeting.id)
    assert meeting.status == "gesloten" and meeting.close_override_reason is None
    assert [e.reason_code for e in events("meeting.closed", meeting.id)] == [None]


def test_a_meeting_just_after_midnight_dutch_time_is_tomorrow_even_if_utc_says_today(make_user, make_signal):
    scene = published_scene(make_user, make_signal)
    scene.meeting.held_at = from_local(datetime.combine(TODAY + timedelta(days=1), time(0, 30)))
    db.session.commit()
    assert scene.meeting.held_at.date() == TODAY  # naive UTC: still today
    with pytest.raises(services.MeetingError, match="Dit overleg is pas op"):
        services.close(scene.coordinator, scene.meeting, today=TODAY)
    db.session.rollback()
    assert services.close(scene.coordinator, scene.meeting, today=TODAY + timedelta(days=1)) == 0


# --- sending a referral package: confirmation first ---------------------------------------------


def test_a_referral_package_is_sent_only_from_its_confirmation_page(app, make_user, make_signal):
    coordinator, officer, signal = make_scene(make_user, make_signal)
    referral = create(app, coordinator, signal)
    decide_2b(referral, ["beschrijving", "betrokkenen"], officer=officer)
    client = logged_in(app, coordinator)
    detail = client.get(f"/verstrekkingen/{referral.id}").get_data(as_text=True)
    assert f'href="/verstrekkingen/{referral.id}/versturen"' in detail
    assert f'action="/verstrekkingen/{referral.id}/versturen"' not in detail

    url = f"/verstrekkingen/{referral.id}/versturen"
    page = client.get(url).get_data(as_text=True)
    assert "Pakket versturen aan RIEC" in page and "Het pakket bevat alleen:" in page
    assert "register van verstrekkingen" in page and "Dit kan niet ongedaan worden gemaakt." in page
    assert 'name="bevestigen" value="ja"' in page
    # Without the confirmation: the page again, nothing made, nothing sent, nothing logged as sent.
    version = str(fresh(Referral, referral.id).version)
    assert send(client, url, {"version": version}, url).status_code == 200
    referral = fresh(Referral, referral.id)
    assert referral.status == "concept" and referral.package_digest is None and not events("referral.sent")
    assert not app.extensions["casustafel_store"].path(referral.id).exists()

    response = send(client, url, {"version": version, "bevestigen": "ja"}, url)
    assert response.status_code == 302
    referral = fresh(Referral, referral.id)
    assert referral.status == "verstuurd" and referral.package_digest and len(events("referral.sent")) == 1
    # Sent: the confirmation page is gone.
    assert client.get(url).status_code == 302


# --- who may: the coordinator only --------------------------------------------------------------


@pytest.mark.parametrize("role", ["member", "reporter", "privacy_officer"])
def test_other_roles_cannot_chair_record_presence_decide_or_close(app, make_user, make_signal, role):
    scene = published_scene(make_user, make_signal)
    # The insider: the member is even invited to this meeting and sees its agenda.
    intruder = scene.member if role == "member" else make_user(role, department_id=scene.dept.id)
    client = logged_in(app, intruder)
    meeting, item = scene.meeting, scene.item
    token = csrf_from(client.get("/"))
    for url in (chair_url(meeting), chair_url(meeting, item), f"/overleggen/{meeting.id}/aanwezigheid",
                close_url(meeting)):
        assert client.get(url).status_code == 403, url
    posts = {
        f"{chair_url(meeting, item)}/besluit": {"decision-decision": "geen_actie", "decision-rationale": "x",
                                                "bevestigen": "ja"},
        f"{chair_url(meeting, item)}/aantekeningen": {"notes-notes": "x", "notes-version": str(item.version)},
        f"{chair_url(meeting, item)}/acties": {"action-type": "integrale_controle",
                                              "action-owner_id": str(scene.member.id),
                                              "action-deadline": (TODAY + timedelta(days=3)).isoformat()},
        f"/overleggen/{meeting.id}/agendapunten/{item.id}/besluit": {
            "decision-decision": "geen_actie", "decision-rationale": "x", "bevestigen": "ja"},
        f"/overleggen/{meeting.id}/aanwezigheid": {f"aanwezigheid-i_{scene.member.id.hex}": "aanwezig"},
        close_url(meeting): {"bevestigen": "ja", "override": "y", "override_reason": "Ik sluit het"},
    }
    for url, data in posts.items():
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).status == "gepubliceerd"
    assert db.session.get(AgendaItem, item.id).decision is None and db.session.get(AgendaItem, item.id).notes is None
    assert db.session.get(MeetingInvitee, (meeting.id, scene.member.id)).attendance is None
    assert db.session.query(Action).count() == 0
    assert not events("meeting.closed") and not events("agenda_item.decided")
    assert not events("meeting.attendance_recorded")


@pytest.mark.parametrize("role", ["member", "reporter", "privacy_officer"])
def test_other_roles_cannot_confirm_a_referral_package(app, make_user, make_signal, role):
    coordinator, officer, signal = make_scene(make_user, make_signal)
    referral = create(app, coordinator, signal)
    decide_2b(referral, ["beschrijving"], officer=officer)
    client = logged_in(app, make_user(role))
    url = f"/verstrekkingen/{referral.id}/versturen"
    assert client.get(url).status_code == 403
    response = client.post(url, data={"csrf_token": csrf_from(client.get("/")), "bevestigen": "ja"})
    assert response.status_code == 403
    assert fresh(Referral, referral.id).status == "concept" and not events("referral.sent")
