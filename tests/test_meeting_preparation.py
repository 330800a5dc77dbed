"""Preparing a casustafel meeting in a few steps (issue 13, "Prepare"): standing groups of
invitees, inviting a group or the previous meeting's invitees at once, several signals on the
agenda at once (all or nothing), the agenda's order, taking an item off a concept agenda,
check 2A asked again for a department invited late, and the reminder before the cut-off.

Every route is the coordinator's: a member or a reporter who posts to it gets 403 and nothing
changes (the full role matrix is in test_permissions.py)."""

import html
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from casustafel import dates
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.meetings import preparation, prepare_services, services, visibility
from casustafel.models import (
    AgendaItem,
    InviteeGroup,
    InviteeGroupMember,
    Meeting,
    MeetingInvitee,
    Notification,
    Phenomenon,
    PrivacyCheck,
    ProcessingRestriction,
    Signal,
)
from casustafel.privacy.services import open_check, request_privacy_check
from tests.conftest import TODAY
from tests.helpers.meetings import add, decide_2a, department, events, logged_in, plan_meeting, post

pytestmark = pytest.mark.usefixtures("pinned_day")

LONG_NAME = "Vaste kern casustafel – ’s-Hertogenbosch, Zuid-Oost & Sint-Michielsgestel (ondermijning)"[:80]


def body_of(client, url) -> str:
    return html.unescape(client.get(url).get_data(as_text=True))


def invitees(meeting) -> dict:
    db.session.expire_all()
    return {i.user_id: i.department_id for i in db.session.get(Meeting, meeting.id).invitees}


def open_2a_count(meeting=None) -> int:
    stmt = select(func.count()).select_from(PrivacyCheck).where(PrivacyCheck.kind == "2A",
                                                                PrivacyCheck.status == "open")
    if meeting is not None:
        stmt = stmt.where(PrivacyCheck.meeting_id == meeting.id)
    return db.session.scalar(stmt)


def positions(meeting) -> list:
    db.session.expire_all()
    return [(i.signal_id, i.position) for i in db.session.get(Meeting, meeting.id).items]


# --- standing groups ---------------------------------------------------------------------------


def test_the_coordinator_keeps_a_standing_group_and_invites_it_in_one_step(app, make_user):
    vth, social = department("Vergunningen, Toezicht & Handhaving"), department("Sociaal domein (Wmo/Jeugd)")
    coordinator = make_user("coordinator", name="Regie Rianne")
    daan = make_user("member", name="Daan Deelnemer", department_id=vth.id)
    saida = make_user("member", name="Saïda El Amrani-van ’t Hoff", department_id=vth.id)
    client = logged_in(app, coordinator)

    assert "Vaste groepen deelnemers" in body_of(client, "/overleggen/")
    assert post(client, "/overleggen/groepen", {"group-name": f"  {LONG_NAME}  "}, "/overleggen/groepen"
                ).status_code == 302
    group = db.session.scalar(select(InviteeGroup))
    assert group.name == LONG_NAME
    page = f"/overleggen/groepen/{group.id}"
    assert post(client, f"{page}/leden", {"member-user_id": str(daan.id)}, page).status_code == 302
    # Saïda sits in the group for the social domain, not for her own department.
    assert post(client, f"{page}/leden", {"member-user_id": str(saida.id), "member-department_id": str(social.id)},
                page).status_code == 302
    assert post(client, f"{page}/naam", {"name-name": "Vaste kern"}, page).status_code == 302
    db.session.expire_all()
    group = db.session.get(InviteeGroup, group.id)
    assert group.name == "Vaste kern"
    assert {m.user_id: m.department_id for m in group.members} == {daan.id: vth.id, saida.id: social.id}
    assert "Saïda El Amrani-van ’t Hoff" in body_of(client, page)

    meeting = plan_meeting(coordinator)
    services.invite(coordinator, meeting, daan)  # already invited by hand
    db.session.commit()
    detail = f"/overleggen/{meeting.id}"
    response = post(client, f"{detail}/deelnemers/groep", {"group-group_id": str(group.id)}, detail)
    assert response.status_code == 302
    assert invitees(meeting) == {daan.id: vth.id, saida.id: social.id}
    assert "Groep ‘Vaste kern’: 1 deelnemer uitgenodigd; 1 was al uitgenodigd." in body_of(client, detail)
    assert len(events("meeting.member_invited")) == 2
    assert [len(events(f"invitee_group.{verb}", group.id)) for verb in ("created", "member_added", "updated")] \
        == [1, 2, 1]


def test_only_active_members_join_a_group_and_an_inactive_one_is_skipped_when_inviting(app, make_user):
    vth = department("Vergunningen")
    coordinator = make_user("coordinator")
    reporter = make_user("reporter", name="Melder Mo")
    leaver = make_user("member", name="Vertrokken Vera", department_id=vth.id)
    stayer = make_user("member", name="Blijvende Bram", department_id=vth.id)
    group = prepare_services.create_group(coordinator, "Kern")
    prepare_services.add_group_member(coordinator, group, leaver)
    prepare_services.add_group_member(coordinator, group, stayer)
    db.session.commit()
    client = logged_in(app, coordinator)
    page = f"/overleggen/groepen/{group.id}"

    # A reporter is no choice on the form; posted anyway, the form refuses it and nothing is added.
    assert "Melder Mo" not in body_of(client, page)
    assert post(client, f"{page}/leden", {"member-user_id": str(reporter.id)}, page).status_code == 200
    with pytest.raises(services.MeetingError, match="actieve deelnemers"):
        prepare_services.add_group_member(coordinator, group, reporter)
    with pytest.raises(services.MeetingError, match="al lid"):
        prepare_services.add_group_member(coordinator, group, stayer)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(InviteeGroupMember)) == 2

    leaver.active = False
    db.session.commit()
    meeting = plan_meeting(coordinator)
    detail = f"/overleggen/{meeting.id}"
    post(client, f"{detail}/deelnemers/groep", {"group-group_id": str(group.id)}, detail)
    assert invitees(meeting) == {stayer.id: vth.id}
    assert ("1 deelnemer uitgenodigd; 1 is geen actieve deelnemer meer en is overgeslagen."
            in body_of(client, detail))


def test_a_group_name_is_unique_and_what_was_typed_stays(app, make_user):
    coordinator = make_user("coordinator")
    prepare_services.create_group(coordinator, "Vaste kern casustafel")
    db.session.commit()
    client = logged_in(app, coordinator)
    body = html.unescape(post(client, "/overleggen/groepen", {"group-name": "VASTE KERN   casustafel"},
                              "/overleggen/groepen").get_data(as_text=True))
    assert "Er is al een groep met de naam ‘VASTE KERN casustafel’." in body
    assert 'value="VASTE KERN   casustafel"' in body
    body = html.unescape(post(client, "/overleggen/groepen", {"group-name": "x" * 81},
                              "/overleggen/groepen").get_data(as_text=True))
    assert "hooguit 80 tekens" in body
    assert db.session.scalar(select(func.count()).select_from(InviteeGroup)) == 1


def test_deleting_a_group_or_a_member_keeps_the_invitations_made_with_it(app, make_user):
    vth = department("Vergunningen")
    coordinator = make_user("coordinator")
    member = make_user("member", department_id=vth.id)
    group = prepare_services.create_group(coordinator, "Kern")
    prepare_services.add_group_member(coordinator, group, member)
    meeting = plan_meeting(coordinator)
    prepare_services.invite_group(coordinator, meeting, group)
    db.session.commit()
    group_id = group.id
    client = logged_in(app, coordinator)
    page = f"/overleggen/groepen/{group_id}"
    assert post(client, f"{page}/leden/{member.id}/verwijderen", {}, page).status_code == 302
    assert post(client, f"{page}/leden/{member.id}/verwijderen", {}, page).status_code == 404  # not a member now
    assert post(client, f"{page}/verwijderen", {}, page).status_code == 302
    assert db.session.scalar(select(InviteeGroup)) is None
    assert invitees(meeting) == {member.id: vth.id}
    assert len(events("invitee_group.member_removed", group_id)) == len(events("invitee_group.deleted")) == 1
    assert client.get(page).status_code == 404


# --- the previous meeting's invitees ---------------------------------------------------------


def test_copying_takes_the_invitees_and_departments_of_the_most_recent_earlier_meeting(app, make_user):
    vth, social = department("Vergunningen"), department("Sociaal domein")
    coordinator = make_user("coordinator")
    a, b, c, late = (make_user("member", department_id=vth.id) for _ in range(4))
    older = plan_meeting(coordinator, days_ahead=-60, cutoff_days=-62)
    services.invite(coordinator, older, c)
    previous = plan_meeting(coordinator, days_ahead=-20, cutoff_days=-22)
    services.invite(coordinator, previous, a)
    services.invite(coordinator, previous, b, social.id)  # for another department than her own
    meeting = plan_meeting(coordinator)
    later = plan_meeting(coordinator, days_ahead=30, cutoff_days=20)
    services.invite(coordinator, later, late)
    services.invite(coordinator, meeting, a)
    db.session.commit()
    assert prepare_services.previous_meeting(meeting).id == previous.id

    client = logged_in(app, coordinator)
    detail = f"/overleggen/{meeting.id}"
    assert "Deelnemers van het vorige overleg overnemen" in body_of(client, detail)
    assert post(client, f"{detail}/deelnemers/vorig-overleg", {}, detail).status_code == 302
    assert invitees(meeting) == {a.id: vth.id, b.id: social.id}
    when = dates.short_date(previous.held_at)
    assert (f"Deelnemers van het overleg van {when} overgenomen: 1 deelnemer uitgenodigd; 1 was al uitgenodigd."
            in body_of(client, detail))

    # The first meeting there is has nothing to copy: a message, nothing changes.
    first = older
    page = f"/overleggen/{first.id}"
    post(client, f"{page}/deelnemers/vorig-overleg", {}, page)
    assert "Er is geen eerder overleg met deelnemers om over te nemen." in body_of(client, page)
    assert invitees(first) == {c.id: vth.id}


# --- several signals at once --------------------------------------------------------------------


def test_several_ticked_signals_go_on_the_agenda_in_one_submit(app, make_user, make_signal):
    coordinator = make_user("coordinator")
    officer = make_user("privacy_officer")
    phenomenon = db.session.scalar(select(Phenomenon).order_by(Phenomenon.id).limit(1))
    first = make_signal(status="bronnenonderzoek", phenomenon_id=phenomenon.id)
    second = make_signal(status="besproken", next_step=None)
    third = make_signal(status="bronnenonderzoek")
    request_privacy_check(coordinator, third, "1")
    not_now = make_signal(status="bronnenonderzoek")
    db.session.commit()
    meeting = plan_meeting(coordinator)
    client = logged_in(app, coordinator)
    detail = f"/overleggen/{meeting.id}"

    page = body_of(client, detail)
    for signal in (first, second, third, not_now):
        assert f'value="{signal.id}"' in page
    assert phenomenon.full_name in page and "Besproken" in page and "Bronnenonderzoek" in page
    assert "privacytoets 1: nog geen besluit; privacytoets 2A wordt aangevraagd" in page

    response = post(client, f"{detail}/agendapunten", {"item-signal_id": [str(third.id), str(first.id),
                                                                          str(second.id), str(first.id)]}, detail)
    assert response.status_code == 302
    db.session.expire_all()
    assert positions(meeting) == [(third.id, 1), (first.id, 2), (second.id, 3)]
    assert all(open_check(s, "2A", meeting=meeting) for s in (first, second, third))
    assert db.session.get(Signal, not_now.id).status == "bronnenonderzoek"
    assert "3 meldingen staan op de agenda. Privacytoets 2A is aangevraagd." in body_of(client, detail)
    assert len(events("agenda_item.added")) == 3
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.recipient_id == officer.id)) >= 1


def test_one_refused_signal_adds_none_names_it_and_keeps_the_ticks(app, make_user, make_signal):
    coordinator = make_user("coordinator")
    fine, restricted = make_signal(status="bronnenonderzoek"), make_signal(status="bronnenonderzoek")
    db.session.add(ProcessingRestriction(signal_id=restricted.id))
    db.session.commit()
    meeting = plan_meeting(coordinator)
    client = logged_in(app, coordinator)
    detail = f"/overleggen/{meeting.id}"
    assert "verwerking beperkt (art. 18 AVG): kan niet op de agenda" in body_of(client, detail)

    response = post(client, f"{detail}/agendapunten",
                    {"item-signal_id": [str(fine.id), str(restricted.id)]}, detail)
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert f"De verwerking van melding {restricted.reference} is beperkt" in body
    box = 'class="utrecht-checkbox utrecht-checkbox--html-input utrecht-checkbox--invalid"'
    assert f'value="{fine.id}" {box} checked' in body and f'value="{restricted.id}" {box} checked' in body
    db.session.expire_all()
    assert db.session.scalar(select(AgendaItem)) is None
    assert db.session.get(Signal, fine.id).status == "bronnenonderzoek"
    assert open_2a_count() == 0
    assert events("agenda_item.added") == []


def test_a_signal_that_left_the_list_meanwhile_is_named(app, make_user, make_signal):
    coordinator = make_user("coordinator")
    signal = make_signal(status="bronnenonderzoek")
    other = plan_meeting(coordinator, days_ahead=14, cutoff_days=10)
    meeting = plan_meeting(coordinator)
    client = logged_in(app, coordinator)
    detail = f"/overleggen/{meeting.id}"
    token_page = detail
    add(coordinator, other, signal)  # a colleague put it on another agenda in the meantime
    body = html.unescape(post(client, f"{detail}/agendapunten", {"item-signal_id": str(signal.id)},
                              token_page).get_data(as_text=True))
    assert f"Melding {signal.reference} kan niet worden geagendeerd" in body
    body = html.unescape(post(client, f"{detail}/agendapunten", {"item-signal_id": "geen-uuid"},
                              token_page).get_data(as_text=True))
    assert "Een gekozen melding bestaat niet (meer)." in body
    body = html.unescape(post(client, f"{detail}/agendapunten", {}, token_page).get_data(as_text=True))
    assert "Kies een of meer meldingen." in body
    assert [i.meeting_id for i in db.session.scalars(select(AgendaItem))] == [other.id]


# --- the agenda's order -------------------------------------------------------------------------


def test_moving_items_keeps_the_positions_one_to_n(app, make_user, make_signal):
    coordinator = make_user("coordinator")
    meeting = plan_meeting(coordinator)
    a, b, c = (make_signal(status="bronnenonderzoek") for _ in range(3))
    items = [add(coordinator, meeting, s) for s in (a, b, c)]
    items[1].position, items[2].position = 5, 9  # gaps, as rows from before could have
    db.session.commit()
    client = logged_in(app, coordinator)
    detail = f"/overleggen/{meeting.id}"
    page = body_of(client, detail)
    assert page.count(">Omhoog<") == 2 and page.count(">Omlaag<") == 2

    move = f"{detail}/agendapunten/{items[2].id}/verplaatsen"
    assert post(client, move, {"richting": "omhoog"}, detail).status_code == 302
    assert positions(meeting) == [(a.id, 1), (c.id, 2), (b.id, 3)]
    assert f"Melding {c.reference} staat nu op plaats 2." in body_of(client, detail)
    post(client, move, {"richting": "omhoog"}, detail)
    assert positions(meeting) == [(c.id, 1), (a.id, 2), (b.id, 3)]
    post(client, move, {"richting": "omhoog"}, detail)  # already at the top
    assert f"Melding {c.reference} staat al bovenaan." in body_of(client, detail)
    post(client, f"{detail}/agendapunten/{items[0].id}/verplaatsen", {"richting": "omlaag"}, detail)
    assert positions(meeting) == [(c.id, 1), (b.id, 2), (a.id, 3)]
    post(client, move, {"richting": "zijwaarts"}, detail)
    assert "Kies omhoog of omlaag." in body_of(client, detail)
    assert positions(meeting) == [(c.id, 1), (b.id, 2), (a.id, 3)]
    assert len(events("agenda_item.moved")) == 3


def test_the_chair_may_reorder_a_published_agenda_but_not_a_closed_one(app, make_user, make_signal):
    vth = department("Vergunningen")
    coordinator = make_user("coordinator")
    member = make_user("member", department_id=vth.id)
    meeting = plan_meeting(coordinator)
    a, b = make_signal(status="bronnenonderzoek"), make_signal(status="bronnenonderzoek")
    first, second = add(coordinator, meeting, a), add(coordinator, meeting, b)
    services.invite(coordinator, meeting, member)
    db.session.commit()
    decide_2a(a, meeting, {vth.id: ["fenomeen"]})
    decide_2a(b, meeting, {vth.id: ["fenomeen"]})
    services.publish(coordinator, meeting)
    db.session.commit()
    client = logged_in(app, coordinator)
    detail = f"/overleggen/{meeting.id}"
    assert post(client, f"{detail}/agendapunten/{second.id}/verplaatsen", {"richting": "omhoog"}, detail
                ).status_code == 302
    assert positions(meeting) == [(b.id, 1), (a.id, 2)]
    assert "Van de agenda halen" not in body_of(client, detail)  # only until publication

    services.close(coordinator, db.session.get(Meeting, meeting.id), today=TODAY,
                   override_reason="Eerder gehouden.")
    db.session.commit()
    post(client, f"{detail}/agendapunten/{first.id}/verplaatsen", {"richting": "omhoog"}, detail)
    assert "alleen worden gewijzigd tot het overleg is gesloten" in body_of(client, detail)
    assert positions(meeting) == [(b.id, 1), (a.id, 2)]
    assert ">Omhoog<" not in body_of(client, detail)


# --- taking an item off -----------------------------------------------------------------------------


def test_the_confirmation_says_what_happens_and_only_the_post_does_it(app, make_user, make_signal):
    coordinator = make_user("coordinator")
    meeting = plan_meeting(coordinator)
    keep, signal = make_signal(status="besproken", next_step=None), make_signal(status="bronnenonderzoek")
    kept, item = add(coordinator, meeting, keep), add(coordinator, meeting, signal)
    kept_id, item_id = kept.id, item.id
    client = logged_in(app, coordinator)
    detail = f"/overleggen/{meeting.id}"
    confirm = f"{detail}/agendapunten/{item.id}/van-de-agenda"
    assert confirm in body_of(client, detail)

    page = body_of(client, confirm)
    assert f"Melding {signal.reference} gaat terug naar de status ‘bronnenonderzoek’." in page
    assert "De aangevraagde privacytoets 2A voor dit overleg vervalt." in page
    db.session.expire_all()
    assert db.session.get(Signal, signal.id).status == "geagendeerd"  # the GET changed nothing
    assert open_check(signal, "2A", meeting=meeting) is not None

    assert post(client, confirm, {}, confirm).status_code == 302
    db.session.expire_all()
    assert db.session.get(Signal, signal.id).status == "bronnenonderzoek"
    assert db.session.get(AgendaItem, item_id) is None
    assert open_check(signal, "2A", meeting=meeting) is None
    assert positions(meeting) == [(keep.id, 1)]
    assert len(events("agenda_item.removed", item_id)) == 1
    assert (f"Melding {signal.reference} is van de agenda gehaald en heeft weer de status ‘bronnenonderzoek’. "
            "De aangevraagde privacytoets 2A is vervallen.") in body_of(client, detail)
    assert client.get(confirm).status_code == 404  # gone
    assert [i.id for i in db.session.get(Meeting, meeting.id).items] == [kept_id]


def test_after_publication_an_item_stays_on_the_agenda(app, make_user, make_signal):
    vth = department("Vergunningen")
    coordinator = make_user("coordinator")
    member = make_user("member", department_id=vth.id)
    meeting = plan_meeting(coordinator)
    signal = make_signal(status="bronnenonderzoek")
    item = add(coordinator, meeting, signal)
    services.invite(coordinator, meeting, member)
    db.session.commit()
    decide_2a(signal, meeting, {vth.id: ["fenomeen"]})
    services.publish(coordinator, meeting)
    db.session.commit()
    client = logged_in(app, coordinator)
    confirm = f"/overleggen/{meeting.id}/agendapunten/{item.id}/van-de-agenda"
    assert client.get(confirm).status_code == 302
    assert post(client, confirm, {}, f"/overleggen/{meeting.id}").status_code == 302
    assert "een punt kan er niet meer af" in body_of(client, f"/overleggen/{meeting.id}")
    db.session.expire_all()
    assert db.session.get(AgendaItem, item.id) is not None
    assert db.session.get(Signal, signal.id).status == "geagendeerd"


# --- a department invited late ---------------------------------------------------------------------


def test_a_department_invited_after_2a_was_decided_gets_a_new_check_2a(app, make_user, make_signal):
    vth, social = department("Vergunningen"), department("Sociaal domein")
    coordinator = make_user("coordinator")
    officer = make_user("privacy_officer")
    daan = make_user("member", name="Daan Deelnemer", department_id=vth.id)
    colleague = make_user("member", name="Collega Cor", department_id=vth.id)
    saida = make_user("member", name="Saïda Sociaal", department_id=social.id)
    meeting = plan_meeting(coordinator)
    decided, refused = make_signal(status="bronnenonderzoek"), make_signal(status="bronnenonderzoek")
    waiting = make_signal(status="bronnenonderzoek")
    for signal in (decided, refused, waiting):
        add(coordinator, meeting, signal)
    services.invite(coordinator, meeting, daan)
    db.session.commit()
    first = decide_2a(decided, meeting, {vth.id: ["fenomeen", "beschrijving"]})
    decide_2a(refused, meeting, {}, approved=False)  # nothing shared with anyone: nothing to ask again
    before_messages = db.session.scalar(select(func.count()).select_from(Notification))
    client = logged_in(app, coordinator)
    detail = f"/overleggen/{meeting.id}"

    # A colleague of a covered department: nothing new.
    post(client, f"{detail}/deelnemers", {"invite-user_id": str(colleague.id)}, detail)
    assert "Collega Cor is uitgenodigd." in body_of(client, detail)
    assert "opnieuw aangevraagd" not in body_of(client, detail)
    assert open_2a_count(meeting) == 1  # only the one that was still waiting

    # The social domain was not invited when 2A was decided: 2A is asked again for that item only.
    post(client, f"{detail}/deelnemers", {"invite-user_id": str(saida.id)}, detail)
    page = body_of(client, detail)
    assert "Saïda Sociaal is uitgenodigd. Privacytoets 2A is opnieuw aangevraagd voor 1 agendapunt" in page
    new = open_check(decided, "2A", meeting=meeting)
    assert new is not None and new.id != first.id
    assert open_check(refused, "2A", meeting=meeting) is None
    assert open_2a_count(meeting) == 2
    officer_messages = db.session.scalars(select(Notification).where(Notification.recipient_id == officer.id)).all()
    assert officer_messages and all(decided.reference not in m.body for m in officer_messages)
    assert db.session.scalar(select(func.count()).select_from(Notification)) > before_messages

    # Until the new check is decided the social domain sees nothing; the earlier rule still holds for VTH.
    meeting = db.session.get(Meeting, meeting.id)
    item = next(i for i in meeting.items if i.signal_id == decided.id)
    as_invited = {i.user_id: i for i in meeting.invitees}
    assert visibility.member_fields(item, as_invited[saida.id]) == frozenset()
    assert visibility.member_fields(item, as_invited[daan.id]) == {"fenomeen", "beschrijving"}
    decide_2a(decided, meeting, {vth.id: ["fenomeen"], social.id: ["fenomeen", "betrokkenen"]})
    assert visibility.member_fields(item, as_invited[saida.id]) == {"fenomeen", "betrokkenen"}

    # Inviting another member of the social domain now asks nothing: the new decision covers it.
    another = make_user("member", department_id=social.id)
    services.invite(coordinator, meeting, another)
    db.session.commit()
    assert open_check(decided, "2A", meeting=meeting) is None


def test_a_group_invitation_asks_2a_once_for_all_new_departments(make_user, make_signal):
    vth, social, police = department("Vergunningen"), department("Sociaal domein"), department("Politie")
    coordinator = make_user("coordinator")
    meeting = plan_meeting(coordinator)
    signal = make_signal(status="bronnenonderzoek")
    add(coordinator, meeting, signal)
    services.invite(coordinator, meeting, make_user("member", department_id=vth.id))
    db.session.commit()
    decide_2a(signal, meeting, {vth.id: ["fenomeen"]})
    group = prepare_services.create_group(coordinator, "Kern")
    for dept in (social, police):
        prepare_services.add_group_member(coordinator, group, make_user("member", department_id=dept.id))
    result = prepare_services.invite_group(coordinator, meeting, group)
    db.session.commit()
    assert len(result.invited) == 2
    assert db.session.scalar(select(func.count()).select_from(PrivacyCheck)
                             .where(PrivacyCheck.signal_id == signal.id, PrivacyCheck.status == "open")) == 1


# --- the cut-off reminder ---------------------------------------------------------------------------


def _meeting(coordinator, *, cutoff_days: int, chair=None):
    held = datetime.combine(TODAY + timedelta(days=cutoff_days + 3), datetime.min.time()).replace(hour=9)
    meeting = services.create_meeting(coordinator, held_at=held, kind="regulier", chair_id=getattr(chair, "id", None),
                                      agenda_cutoff=TODAY + timedelta(days=cutoff_days))
    db.session.commit()
    return meeting


def messages_to(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.recipient_id == user.id,
                                                              Notification.subject == preparation.CUTOFF_SUBJECT)))


def test_the_chair_is_reminded_once_when_the_cutoff_nears_and_2a_still_waits(make_user, make_signal):
    chair = make_user("coordinator", name="Voorzitter Vera")
    other = make_user("coordinator", name="Collega Coen")
    due = {days: _meeting(chair, cutoff_days=days, chair=chair) for days in (0, 1, 2, 3, -1)}
    decided = _meeting(chair, cutoff_days=1, chair=chair)
    empty = _meeting(chair, cutoff_days=1, chair=chair)
    secret = make_signal(status="bronnenonderzoek", description="Geheime beschrijving")
    for days, meeting in due.items():  # each added on its cut-off day at the latest
        services.add_item(chair, meeting, secret if days == 0 else make_signal(status="bronnenonderzoek"),
                          min(TODAY, meeting.agenda_cutoff))
    db.session.commit()
    done = make_signal(status="bronnenonderzoek")
    add(chair, decided, done)
    decide_2a(done, decided, {})
    del empty  # no items: nothing waits

    assert preparation.remind_cutoff(None, TODAY) == (3, 3)
    db.session.commit()
    assert len(messages_to(chair)) == 3 and messages_to(other) == []
    for message in messages_to(chair):
        assert secret.reference not in message.body and "Geheime" not in message.body + message.subject
    reminded = {m.id for m in db.session.scalars(select(Meeting).where(Meeting.cutoff_reminded_at.is_not(None)))}
    assert reminded == {due[0].id, due[1].id, due[2].id}
    assert len(events("meeting.cutoff_reminded")) == 3

    assert preparation.remind_cutoff(None, TODAY) == (0, 0)  # once only
    db.session.commit()
    # A day later the meeting that closes in three days is due.
    assert preparation.remind_cutoff(None, TODAY + timedelta(days=1)) == (1, 1)


def test_without_an_active_chair_every_coordinator_is_reminded_and_the_cli_does_it(app, make_user, make_signal,
                                                                                     monkeypatch):
    first, second = make_user("coordinator"), make_user("coordinator")
    gone = make_user("coordinator")
    without = _meeting(first, cutoff_days=2)
    inactive_chair = _meeting(first, cutoff_days=1, chair=gone)
    for meeting in (without, inactive_chair):
        add(first, meeting, make_signal(status="bronnenonderzoek"))
    gone.active = False
    db.session.commit()
    day = TODAY
    monkeypatch.setattr(dates, "today", lambda: day)
    result = app.test_cli_runner().invoke(args=["meetings", "remind-cutoff"])
    assert result.exit_code == 0, result.output
    assert "2 overleggen herinnerd, 4 berichten klaargezet." in result.output
    assert len(messages_to(first)) == len(messages_to(second)) == 2 and messages_to(gone) == []
    again = app.test_cli_runner().invoke(args=["meetings", "remind-cutoff"])
    assert "0 overleggen herinnerd, 0 berichten klaargezet." in again.output


# --- who may prepare ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["member", "reporter"])
def test_a_member_or_reporter_cannot_prepare_a_meeting(app, make_user, make_signal, role):
    vth = department("Vergunningen")
    coordinator = make_user("coordinator")
    insider = make_user(role, department_id=vth.id)
    colleague = make_user("member", department_id=vth.id)
    group = prepare_services.create_group(coordinator, "Kern")
    prepare_services.add_group_member(coordinator, group, colleague)
    earlier = plan_meeting(coordinator, days_ahead=-14, cutoff_days=-16)
    services.invite(coordinator, earlier, colleague)
    meeting = plan_meeting(coordinator)
    a, b = make_signal(status="bronnenonderzoek"), make_signal(status="bronnenonderzoek")
    first, second = add(coordinator, meeting, a), add(coordinator, meeting, b)
    if role == "member":
        services.invite(coordinator, meeting, insider)  # invited, and still not the coordinator
    db.session.commit()
    ready = make_signal(status="bronnenonderzoek")
    before = (invitees(meeting), positions(meeting), len(events("invitee_group.created")))
    client = logged_in(app, insider)
    base, item = f"/overleggen/{meeting.id}", f"/overleggen/{meeting.id}/agendapunten/{second.id}"
    attempts = [
        ("/overleggen/groepen", {"group-name": "Eigen groep"}),
        (f"/overleggen/groepen/{group.id}/naam", {"name-name": "Overgenomen"}),
        (f"/overleggen/groepen/{group.id}/leden", {"member-user_id": str(insider.id)}),
        (f"/overleggen/groepen/{group.id}/leden/{colleague.id}/verwijderen", {}),
        (f"/overleggen/groepen/{group.id}/verwijderen", {}),
        (f"{base}/deelnemers/groep", {"group-group_id": str(group.id)}),
        (f"{base}/deelnemers/vorig-overleg", {}),
        (f"{base}/agendapunten", {"item-signal_id": str(ready.id)}),
        (f"{item}/verplaatsen", {"richting": "omhoog"}),
        (f"{item}/van-de-agenda", {}),
    ]
    for url, data in attempts:
        assert post(client, url, data, "/").status_code == 403, url
    for url in ("/overleggen/groepen", f"/overleggen/groepen/{group.id}", f"{item}/van-de-agenda"):
        assert client.get(url).status_code == 403, url
    db.session.expire_all()
    assert (invitees(meeting), positions(meeting), len(events("invitee_group.created"))) == before
    group = db.session.get(InviteeGroup, group.id)
    assert group.name == "Kern" and [m.user_id for m in group.members] == [colleague.id]
    assert db.session.get(Signal, ready.id).status == "bronnenonderzoek"
    assert db.session.get(AgendaItem, first.id) is not None
    assert db.session.scalar(select(func.count()).select_from(MeetingInvitee)
                             .where(MeetingInvitee.user_id == insider.id)) == (1 if role == "member" else 0)


def test_the_reminders_timer_runs_the_cutoff_reminder():
    from pathlib import Path

    unit = (Path(__file__).resolve().parents[1] / "docs" / "deploy" / "systemd" / "casustafel-reminders.service")
    assert "flask --app casustafel meetings remind-cutoff" in unit.read_text()


def test_a_new_cutoff_earns_a_new_reminder(make_user):
    coordinator = make_user("coordinator")
    meeting = plan_meeting(coordinator)
    meeting.cutoff_reminded_at = utcnow()
    db.session.commit()
    services.update_meeting(coordinator, meeting, held_at=meeting.held_at, kind=meeting.kind,
                            chair_id=coordinator.id, agenda_cutoff=meeting.agenda_cutoff)
    assert meeting.cutoff_reminded_at is not None  # the same cut-off: reminded already
    services.update_meeting(coordinator, meeting, held_at=meeting.held_at, kind=meeting.kind,
                            chair_id=coordinator.id, agenda_cutoff=meeting.agenda_cutoff + timedelta(days=1))
    assert meeting.cutoff_reminded_at is None
