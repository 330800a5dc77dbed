"""Taking a signal off an agenda: the signal returns to the status it had before, the open
check 2A for that meeting is withdrawn, both are logged; never by hand, never after publication."""

import pytest

from casustafel.dates import to_local
from casustafel.extensions import db
from casustafel.meetings import services
from casustafel.models import AgendaItem, PrivacyCheck, Signal, SignalEvent
from casustafel.privacy.services import open_check
from casustafel.signals import services as signal_services
from casustafel.signals.workflow import OFF_AGENDA, TransitionError, next_states, transition
from tests.helpers.meetings import add, decide_2a, events, plan_meeting, published_scene


@pytest.mark.parametrize("before", ["bronnenonderzoek", "besproken"])
def test_removing_an_item_restores_the_earlier_status_and_withdraws_its_check(make_user, make_signal, before):
    coordinator = make_user("coordinator")
    meeting = plan_meeting(coordinator)
    signal = make_signal(status=before)
    first, removed = add(coordinator, meeting, make_signal(status="bronnenonderzoek")), add(coordinator, meeting,
                                                                                             signal)
    third = add(coordinator, meeting, make_signal(status="bronnenonderzoek"))
    assert (signal.status, removed.previous_status) == ("geagendeerd", before)
    assert open_check(signal, "2A", meeting=meeting) is not None

    services.remove_item(coordinator, removed)
    db.session.commit()

    db.session.expire_all()
    assert db.session.get(Signal, signal.id).status == before
    assert db.session.get(AgendaItem, removed.id) is None
    assert db.session.query(PrivacyCheck).filter_by(signal_id=signal.id).count() == 0
    assert [(i.id, i.position) for i in meeting.items] == [(first.id, 1), (third.id, 2)]
    last = db.session.query(SignalEvent).filter_by(signal_id=signal.id).order_by(SignalEvent.occurred_at.desc()).first()
    assert (last.from_status, last.to_status, last.reason_code) == ("geagendeerd", before, OFF_AGENDA)
    assert len(events("agenda_item.removed", removed.id)) == 1
    assert len(events("privacy_check.withdrawn")) == 1


def test_an_older_item_without_a_recorded_status_is_restored_from_the_signals_history(make_user, make_signal):
    coordinator = make_user("coordinator")
    meeting = plan_meeting(coordinator)
    signal = make_signal(status="bronnenonderzoek")
    item = add(coordinator, meeting, signal)
    item.previous_status = None  # as rows from before migration 0030
    db.session.commit()
    services.remove_item(coordinator, item)
    db.session.commit()
    assert db.session.get(Signal, signal.id).status == "bronnenonderzoek"


def test_an_item_cannot_be_removed_once_the_agenda_is_published(make_user, make_signal):
    scene = published_scene(make_user, make_signal)
    with pytest.raises(services.MeetingError, match="gepubliceerd"):
        services.remove_item(scene.coordinator, scene.item)
    db.session.rollback()
    assert db.session.get(Signal, scene.signal.id).status == "geagendeerd"


def test_off_the_agenda_is_no_step_by_hand(make_user, make_signal):
    coordinator = make_user("coordinator")
    meeting = plan_meeting(coordinator)
    signal = make_signal(status="bronnenonderzoek")
    add(coordinator, meeting, signal)
    assert next_states(signal) == ["besproken"]
    with pytest.raises(TransitionError):
        transition(coordinator, signal, "bronnenonderzoek")
    with pytest.raises(TransitionError):
        transition(coordinator, signal, "in_aanpak", reason_code=OFF_AGENDA)


def test_an_item_carried_over_after_volgende_keer_goes_back_to_besproken_when_removed(make_user, make_signal):
    """‘Volgende keer opnieuw bespreken’ leaves the signal besproken; carried to the next meeting it
    is geagendeerd again. Taking it off that agenda returns it to besproken, not to the status it
    had before its first meeting."""
    scene = published_scene(make_user, make_signal)
    services.record_decision(scene.coordinator, scene.item, "volgende_keer", "Tijd was op — Ĳsbrand komt terug.")
    db.session.commit()
    services.close(scene.coordinator, scene.meeting, today=to_local(scene.meeting.held_at).date())
    db.session.commit()
    later = plan_meeting(scene.coordinator, days_ahead=42)
    [carried] = later.items
    assert carried.carried_from_id == scene.item.id
    assert (carried.previous_status, scene.signal.status) == ("besproken", "geagendeerd")

    services.remove_item(scene.coordinator, carried)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Signal, scene.signal.id).status == "besproken"


def test_an_undecided_item_carried_over_goes_back_to_its_status_before_the_first_meeting(make_user, make_signal):
    scene = published_scene(make_user, make_signal)  # bronnenonderzoek before the first meeting
    services.close(scene.coordinator, scene.meeting, today=to_local(scene.meeting.held_at).date())
    db.session.commit()
    later = plan_meeting(scene.coordinator, days_ahead=42)
    [carried] = later.items
    assert carried.previous_status == "bronnenonderzoek"
    services.remove_item(scene.coordinator, carried)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Signal, scene.signal.id).status == "bronnenonderzoek"


@pytest.mark.parametrize("how", ["remove", "cancel"])
def test_an_item_taken_off_while_the_reporter_is_asked_a_question_returns_there_after_the_answer(
        make_user, make_signal, how):
    """A question to the reporter puts an agenda item's signal on hold (aanvulling gevraagd). Taken off
    the agenda meanwhile, the answer must bring the signal back to its status before the agenda, not
    to ‘geagendeerd’ without any agenda."""
    coordinator = make_user("coordinator")
    reporter = make_user("reporter", name="Melder Ŀucía")
    meeting = plan_meeting(coordinator)
    signal = make_signal(reporter, status="bronnenonderzoek")
    item = add(coordinator, meeting, signal)
    question = signal_services.ask_question(coordinator, signal, "Weet u nog het huisnummer van ‘De Ĳzeren Man’?")
    db.session.commit()
    assert signal.status == "aanvulling_gevraagd"

    if how == "remove":
        services.remove_item(coordinator, item)
    else:
        services.cancel_meeting(coordinator, meeting)
    db.session.commit()
    assert db.session.query(PrivacyCheck).filter_by(signal_id=signal.id, status="open").count() == 0

    signal_services.answer_question(reporter, signal, question, "Nummer 7, achterom.")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Signal, signal.id).status == "bronnenonderzoek"


@pytest.mark.parametrize("how", ["remove", "cancel"])
def test_a_carried_item_taken_off_the_agenda_is_not_carried_back_on_by_a_new_meeting_or_a_close(
        make_user, make_signal, how):
    """The coordinator took the carried-over item off (or called that meeting off, whose page says to
    put the signals on an agenda again by hand): planning another meeting or closing one (both carry
    open items over) must not put it back on an agenda."""
    scene = published_scene(make_user, make_signal)
    services.record_decision(scene.coordinator, scene.item, "volgende_keer", "Geen tijd meer — volgende keer.")
    db.session.commit()
    services.close(scene.coordinator, scene.meeting, today=to_local(scene.meeting.held_at).date())
    db.session.commit()
    concept = plan_meeting(scene.coordinator, days_ahead=42)
    [carried] = concept.items
    if how == "remove":
        services.remove_item(scene.coordinator, carried)
    else:
        services.cancel_meeting(scene.coordinator, concept)
        concept = plan_meeting(scene.coordinator, days_ahead=50)
    db.session.commit()
    assert db.session.get(Signal, scene.signal.id).status == "besproken"

    assert services.pending_carry_over() == []
    later = plan_meeting(scene.coordinator, days_ahead=70)
    assert later.items == [] and concept.items == []
    assert db.session.get(Signal, scene.signal.id).status == "besproken"
    # It can still be put on an agenda by hand.
    add(scene.coordinator, concept, scene.signal)
    assert [i.signal_id for i in concept.items] == [scene.signal.id]


@pytest.mark.parametrize("how", ["remove", "cancel"])
def test_a_signal_taken_off_the_agenda_can_go_on_an_agenda_again_without_a_new_weighing(
        make_user, make_signal, how):
    """Back in bronnenonderzoek after being taken off, the signal keeps its weging 4 for the casustafel:
    it is in the list of candidates and goes on an agenda again (the cancel page says to do so)."""
    coordinator = make_user("coordinator")
    meeting = plan_meeting(coordinator)
    signal = make_signal(status="bronnenonderzoek")
    item = add(coordinator, meeting, signal)
    if how == "remove":
        services.remove_item(coordinator, item)
    else:
        services.cancel_meeting(coordinator, meeting)
        meeting = plan_meeting(coordinator, days_ahead=14)
    db.session.commit()
    assert db.session.get(Signal, signal.id).status == "bronnenonderzoek"
    assert signal.id in [s.id for s in services.agenda_candidates()]
    again = add(coordinator, meeting, signal)
    assert (again.previous_status, signal.status) == ("bronnenonderzoek", "geagendeerd")


def test_a_signal_removed_and_added_again_waits_for_its_new_check_2a_before_publication(make_user, make_signal):
    scene = published_scene(make_user, make_signal, publish=False)  # 2A decided for its item
    services.remove_item(scene.coordinator, scene.item)
    db.session.commit()
    add(scene.coordinator, scene.meeting, scene.signal)  # asks 2A again
    waiting = f"privacytoets 2A is nog niet besloten voor {scene.signal.reference}"
    with pytest.raises(services.MeetingError, match=waiting):
        services.publish(scene.coordinator, scene.meeting)
    db.session.rollback()
    decide_2a(scene.signal, scene.meeting, {scene.dept.id: ["fenomeen"]})
    services.publish(scene.coordinator, scene.meeting)
    db.session.commit()
    assert scene.meeting.status == "gepubliceerd"
