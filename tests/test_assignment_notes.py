"""Assignment and notes (issue 19): a signal's owner among the coordinators (regisseur), handing
over a leaver's open signals, and the coordinators' internal notes: encrypted, append-only,
never shown to members or reporters, destroyed with the signal, every change logged without
names or text."""

import html
import re
import uuid
from datetime import date, datetime

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import AppendOnlyNoteError, AuditEvent, ProcessingRestriction, Signal, SignalNote
from casustafel.models.activity import activity_for
from casustafel.retention.destruction import destroy_signals
from casustafel.signals import assignment_services as assignment
from casustafel.signals.services import SignalInput, build_signal
from casustafel.signals.workflow import transition
from tests.conftest import csrf_from, login
from tests.crawler import Crawler
from tests.helpers.dumps import database_dump
from tests.helpers.meetings import published_scene

CANARY = "Notitiecanary Ẑøë-Ŀiñ 7Q"
NOT_A_COORDINATOR = assignment.NOT_A_COORDINATOR


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def fresh(signal) -> Signal:
    db.session.expire_all()
    return db.session.get(Signal, signal.id)


def post_owner(client, signal, owner, version=None):
    token = csrf_from(client.get(f"/meldingen/{signal.id}"))
    return client.post(f"/meldingen/{signal.id}/regisseur", data={
        "regisseur-csrf_token": token, "regisseur-owner": str(owner) if owner else "",
        "regisseur-version": version if version is not None else str(fresh(signal).version)})


def post_note(client, signal, text):
    token = csrf_from(client.get(f"/meldingen/{signal.id}"))
    return client.post(f"/meldingen/{signal.id}/notities", data={"notitie-csrf_token": token, "notitie-text": text})


def post_transfer(client, from_id, to_id):
    token = csrf_from(client.get("/meldingen/overdragen"))
    return client.post("/meldingen/overdragen", data={
        "overdragen-csrf_token": token, "overdragen-from_owner": str(from_id or ""),
        "overdragen-to_owner": str(to_id or "")})


def selected_owner(page: str) -> str | None:
    select_html = re.search(r'<select[^>]*name="regisseur-owner".*?</select>', page, re.S).group(0)
    match = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', select_html)
    return (match.group(1) or match.group(2)) if match else None


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator", name="Regisseur Ånne Ørsted")


@pytest.fixture
def colleague(make_user):
    return make_user("coordinator", name="Coördinator Zoë Çelik")


@pytest.fixture
def signal(make_user, make_signal):
    return make_signal(make_user("reporter"), description="Busjes laden 's nachts dozen uit")


# --- the owner --------------------------------------------------------------------------------


def test_the_coordinator_sets_changes_and_clears_the_owner_each_change_logged_without_names(
        client, coordinator, colleague, signal):
    login(client, coordinator.email)
    page = text_of(client.get(f"/meldingen/{signal.id}"))
    assert "Deze melding heeft nog geen regisseur." in page
    assert colleague.display_name in page and coordinator.display_name in page  # the select

    assert post_owner(client, signal, colleague.id).status_code == 302
    assert fresh(signal).owner_id == colleague.id
    page = text_of(client.get(f"/meldingen/{signal.id}"))
    assert f"{colleague.display_name} houdt deze melding bij" in " ".join(re.sub(r"<[^>]+>", "", page).split())

    assert post_owner(client, signal, coordinator.id).status_code == 302
    assert post_owner(client, signal, coordinator.id).status_code == 302  # the same again: no change
    assert post_owner(client, signal, None).status_code == 302
    assert fresh(signal).owner_id is None

    changed = events("signal.owner_changed")
    assert len(changed) == 3
    for event in changed:
        assert (event.object_type, event.object_id, event.actor_id) == ("signal", str(signal.id), coordinator.id)
        assert event.reason_code is None and event.result == "success"
        assert event.processing_activity == "signaalanalyse"
        stored = " ".join(str(v) for v in vars(event).values())
        for name in ("Ånne", "Ørsted", "Zoë", "Çelik", str(colleague.id)):
            assert name not in stored


def test_a_stale_owner_form_is_refused_with_409_and_keeps_the_choice(client, coordinator, colleague, signal):
    login(client, coordinator.email)
    stale = str(signal.version)
    transition(colleague, signal, "intake")  # someone else changes the signal meanwhile
    db.session.commit()

    response = post_owner(client, signal, colleague.id, version=stale)
    assert response.status_code == 409
    page = text_of(response)
    assert "Iemand anders heeft deze melding intussen gewijzigd" in page
    assert selected_owner(page) == str(colleague.id)  # what was chosen stays on the page
    assert fresh(signal).owner_id is None
    assert not events("signal.owner_changed")
    assert [e.reason_code for e in events("signal.change_refused")] == ["conflict"]

    # The reloaded form carries the new version: saving again works.
    assert post_owner(client, signal, colleague.id).status_code == 302
    assert fresh(signal).owner_id == colleague.id


@pytest.mark.parametrize("who", ["admin", "member", "privacy_officer", "reporter", "deactivated", "unknown",
                                 "garbage"])
def test_only_an_active_coordinator_can_be_the_owner(client, make_user, coordinator, signal, who):
    """The insider posts an id the select does not offer: a colleague of another role, a
    coordinator who left, an id that does not exist, or no id at all."""
    if who == "deactivated":
        owner = make_user("coordinator", active=False).id
    elif who == "unknown":
        owner = uuid.uuid4()
    elif who == "garbage":
        owner = "'; DROP TABLE signal; --"
    else:
        owner = make_user(who).id
    login(client, coordinator.email)
    response = post_owner(client, signal, owner)
    assert response.status_code == 200
    page = text_of(response)
    assert NOT_A_COORDINATOR in page
    assert re.search(r'id="regisseur-owner-error".*?' + re.escape(NOT_A_COORDINATOR), page, re.S)  # next to it
    assert fresh(signal).owner_id is None
    assert not events("signal.owner_changed")
    with pytest.raises(assignment.AssignmentError):  # the service refuses too, whoever calls it
        assignment.set_owner(coordinator, fresh(signal), owner)


def test_assignment_is_not_refused_while_processing_is_restricted_but_a_note_is(
        client, coordinator, colleague, signal):
    db.session.add(ProcessingRestriction(signal_id=signal.id))
    db.session.commit()
    login(client, coordinator.email)
    assert post_owner(client, signal, colleague.id).status_code == 302
    assert fresh(signal).owner_id == colleague.id
    response = post_note(client, signal, "Even nagaan bij Vergunningen")
    assert response.status_code == 200
    assert "is beperkt (art. 18 AVG)" in text_of(response)
    assert db.session.scalars(select(SignalNote)).all() == []


def test_a_coordinator_who_registers_a_signal_owns_it_a_meldpunt_signal_has_no_owner(make_user, coordinator):
    reporter = make_user("reporter")
    phoned = build_signal(coordinator, SignalInput(description="Telefonisch gemeld"), channel="telefoon")
    own = build_signal(coordinator, SignalInput(description="Zelf gezien"), channel="eigen_waarneming")
    meldpunt = build_signal(reporter, SignalInput(description="Via het meldpunt"), channel="meldpunt")
    # A coordinator reporting through the meldpunt reports like anyone: no owner either.
    as_reporter = build_signal(coordinator, SignalInput(description="Ook via het meldpunt"), channel="meldpunt")
    db.session.commit()
    assert (phoned.owner_id, own.owner_id) == (coordinator.id, coordinator.id)
    assert meldpunt.owner_id is None and as_reporter.owner_id is None
    # The owner is part of the (shielded) registration: no visible event names its moment.
    assert not events("signal.owner_changed")


# --- handing over -----------------------------------------------------------------------------


def test_handover_moves_exactly_the_open_signals_of_the_leaver_and_logs_each(
        client, make_user, make_signal, coordinator, colleague):
    leaver = make_user("coordinator", name="Vertrekkende Véronique")
    other = make_user("coordinator")
    open_ones = [make_signal(owner_id=leaver.id, status=status)
                 for status in ("ingediend", "in_aanpak", "aanvulling_gevraagd")]
    closed = make_signal(owner_id=leaver.id, status="afgesloten")
    destroyed = make_signal(owner_id=leaver.id, status="ingediend", destroyed_at=datetime(2026, 1, 1))
    others = make_signal(owner_id=other.id)
    unowned = make_signal()
    leaver.active = False  # left: deactivated before the hand-over
    db.session.commit()

    login(client, coordinator.email)
    page = text_of(client.get("/meldingen/overdragen"))
    assert "Vertrekkende Véronique (gedeactiveerd), 3 open meldingen" in page
    response = post_transfer(client, leaver.id, colleague.id)
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert f"3 open meldingen zijn overgedragen aan {colleague.display_name}." in page

    owners = {s.id: fresh(s).owner_id for s in [*open_ones, closed, destroyed, others, unowned]}
    assert [owners[s.id] for s in open_ones] == [colleague.id] * 3
    assert owners[closed.id] == owners[destroyed.id] == leaver.id  # closed and destroyed keep theirs
    assert owners[others.id] == other.id and owners[unowned.id] is None

    moved = events("signal.owner_changed")
    assert sorted(e.object_id for e in moved) == sorted(str(s.id) for s in open_ones)
    assert {(e.reason_code, e.actor_id, e.object_type) for e in moved} == {("overdracht", coordinator.id, "signal")}
    assert len({e.request_id for e in moved}) == 1  # one hand-over, one transaction

    # Again: nothing left to move, nothing logged.
    response = post_transfer(client, leaver.id, colleague.id)
    assert "geen open meldingen om over te dragen" in text_of(client.get(response.headers["Location"]))
    assert len(events("signal.owner_changed")) == 3


@pytest.mark.parametrize("case", ["to_member", "to_deactivated", "to_self", "from_member", "empty"])
def test_handover_refuses_what_the_lists_do_not_offer_and_moves_nothing(
        client, make_user, make_signal, coordinator, colleague, case):
    leaver = make_user("coordinator")
    member = make_user("member")
    signal = make_signal(owner_id=leaver.id)
    source, target, message = {
        "to_member": (leaver.id, member.id, NOT_A_COORDINATOR),
        "to_deactivated": (leaver.id, make_user("coordinator", active=False).id, NOT_A_COORDINATOR),
        "to_self": (leaver.id, leaver.id, assignment.SAME_COORDINATOR),
        "from_member": (member.id, colleague.id, assignment.NOT_A_FORMER_OWNER),
        "empty": (None, None, "Kies van wie u de meldingen overdraagt."),
    }[case]
    login(client, coordinator.email)
    response = post_transfer(client, source, target)
    assert response.status_code == 200
    assert message in text_of(response)
    assert fresh(signal).owner_id == leaver.id
    assert not events("signal.owner_changed")


# --- notes ------------------------------------------------------------------------------------


def test_a_note_is_added_shown_newest_first_with_author_and_dutch_time_and_logged_without_text(
        client, coordinator, colleague, signal, app):
    with freeze_time(datetime(2026, 7, 1, 10, 5)):  # 12:05 in the Netherlands (summer time)
        login(client, coordinator.email)
        assert post_note(client, signal, "Eerste: eigenaar pand gebeld, terugbellen na 15 juli").status_code == 302
    other = app.test_client()
    with freeze_time(datetime(2026, 12, 1, 10, 5)):  # 11:05 in winter time
        login(other, colleague.email)
        assert post_note(other, signal, f"Tweede notitie\nmet een regel erbij — {CANARY}").status_code == 302
        page = text_of(other.get(f"/meldingen/{signal.id}"))
    notes = page.split('id="notities"')[1]
    assert notes.index("Tweede notitie") < notes.index("Eerste: eigenaar")
    assert f"{colleague.display_name}</strong>, 01-12-2026 11:05" in notes
    assert f"{coordinator.display_name}</strong>, 01-07-2026 12:05" in notes

    added = events("signal_note.added")
    assert len(added) == 2
    notes_by_id = {str(n.id): n for n in db.session.scalars(select(SignalNote))}
    assert {e.object_id for e in added} == set(notes_by_id)
    assert {e.object_type for e in added} == {"signal_note"}
    assert {e.processing_activity for e in added} == {activity_for("signal_note.added")} == {"signaalanalyse"}
    for event in db.session.scalars(select(AuditEvent)):
        assert CANARY not in " ".join(str(v) for v in vars(event).values())


@pytest.mark.parametrize(("text", "message"), [
    ("", "Schrijf de notitie."),
    ("   \n\t ", "Schrijf de notitie."),
    ("ë" * 4001, "Gebruik hooguit 4000 tekens."),
])
def test_a_bad_note_gets_a_dutch_message_next_to_the_field_keeps_the_text_and_saves_nothing(
        client, coordinator, signal, text, message):
    login(client, coordinator.email)
    response = post_note(client, signal, text)
    assert response.status_code == 200
    page = text_of(response)
    assert re.search(r'id="notitie-text-error".*?' + re.escape(message), page, re.S)
    if text.strip():
        assert text in page  # what was typed stays
    assert db.session.scalars(select(SignalNote)).all() == []
    assert not events("signal_note.added")


def test_a_note_of_exactly_4000_characters_is_kept_whole(client, coordinator, signal):
    text = ("Ŀange notitie — " * 300)[:4000]
    login(client, coordinator.email)
    assert post_note(client, signal, text).status_code == 302
    (note,) = db.session.scalars(select(SignalNote))
    assert note.text == text.strip() and note.author_id == coordinator.id


def test_notes_are_append_only(app, client, coordinator, signal):
    """No route edits or removes a note, the service offers nothing to, and the model refuses
    a change or removal made through the ORM by anyone who tries."""
    rules = [r for r in app.url_map.iter_rules() if "notities" in r.rule]
    assert [(r.endpoint, r.methods - {"OPTIONS"}) for r in rules] == [("signals.add_note", {"POST"})]
    public = {name for name in vars(assignment) if callable(getattr(assignment, name)) and not name.startswith("_")}
    assert not {n for n in public if re.search(r"note", n, re.I)} - {"add_note", "notes_of", "NoteError", "SignalNote"}
    assert not {n for n in public if re.search(r"edit|update|delete|remove|change_note", n, re.I)}

    note = assignment.add_note(coordinator, signal, "Origineel")
    db.session.commit()
    login(client, coordinator.email)
    for method in (client.put, client.delete, client.patch):
        assert method(f"/meldingen/{signal.id}/notities").status_code == 405
    note.text = "Achteraf aangepast"
    with pytest.raises(AppendOnlyNoteError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(SignalNote, note.id))
    with pytest.raises(AppendOnlyNoteError):
        db.session.commit()
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(SignalNote, note.id).text == "Origineel"


def test_a_note_is_encrypted_at_rest(client, coordinator, signal):
    login(client, coordinator.email)
    assert post_note(client, signal, f"Vermoeden tegen {CANARY}").status_code == 302
    (note,) = db.session.scalars(select(SignalNote))
    assert note.text_enc and CANARY.encode() not in bytes(note.text_enc)
    dump, where = database_dump()
    assert bytes(note.text_enc).hex() in dump.lower()  # the check sees the stored ciphertext
    assert CANARY not in dump, f"note text in plain in the {where}"
    assert "Notitiecanary" not in dump


def test_members_and_reporters_never_see_notes(app, make_user, make_signal):
    """The insider: a member invited to the meeting that discusses the signal, and the signal's
    reporter, each following every link they can reach."""
    reporter = make_user("reporter", name="Melder Mirjam")
    scene = published_scene(make_user, make_signal, reporter=reporter)
    assignment.add_note(scene.coordinator, scene.signal, f"Alleen voor regisseurs: {CANARY}")
    db.session.commit()
    for user in (scene.member, reporter):
        client = app.test_client()
        assert login(client, user.email).status_code == 200
        crawler = Crawler(client, user.email)
        crawler.crawl("/")
        bodies = {v.url: v.response.get_data() for v in crawler.visits if getattr(v, "response", None) is not None}
        pages = [html.unescape(body.decode()) for url, body in bodies.items()
                 if body.lstrip().startswith(b"<!DOCTYPE html>")]
        assert any(scene.signal.reference in page for page in pages), user.email  # they do see the signal
        assert not [page for page in pages if CANARY in page or "Alleen voor regisseurs" in page]
        assert not [url for url, body in bodies.items() if CANARY.encode() in body]  # downloads too
        assert client.get(f"/meldingen/{scene.signal.id}").status_code in (403, 404)
        token = csrf_from(client.get("/"))
        assert client.post(f"/meldingen/{scene.signal.id}/notities",
                           data={"csrf_token": token, "notitie-csrf_token": token,
                                 "notitie-text": "van buiten"}).status_code in (403, 404)
    assert [n.text for n in db.session.scalars(select(SignalNote))] == [f"Alleen voor regisseurs: {CANARY}"]


def test_notes_are_destroyed_with_the_signal_and_cannot_be_added_after(client, make_signal, coordinator):
    signal = make_signal(status="afgesloten", owner_id=coordinator.id)
    kept = make_signal(status="afgesloten")
    assignment.add_note(coordinator, signal, f"Weg met de melding {CANARY}")
    assignment.add_note(coordinator, kept, "Blijft: andere melding")
    db.session.commit()
    destroy_signals([signal.id], datetime(2031, 6, 1), date(2026, 1, 1))
    db.session.commit()
    assert [n.signal_id for n in db.session.scalars(select(SignalNote))] == [kept.id]
    assert CANARY not in database_dump()[0]
    login(client, coordinator.email)
    page = text_of(client.get(f"/meldingen/{signal.id}"))
    assert f'action="/meldingen/{signal.id}/notities"' not in page  # no form on a tombstone
    response = post_note(client, signal, "Toch nog iets")
    assert "er kunnen geen notities meer bij" in text_of(response)
    assert db.session.scalars(select(SignalNote).where(SignalNote.signal_id == signal.id)).all() == []


# --- the inbox --------------------------------------------------------------------------------


def test_the_inbox_shows_the_owner_and_filters_mine_and_without_owner(client, make_signal, coordinator, colleague):
    mine = make_signal(owner_id=coordinator.id)
    theirs = make_signal(owner_id=colleague.id)
    nobodys = make_signal()
    login(client, coordinator.email)

    def references(query=None):
        page = text_of(client.get("/meldingen", query_string=query or {}))
        return {s.reference for s in (mine, theirs, nobodys) if s.reference in page}, page

    found, page = references()
    assert found == {mine.reference, theirs.reference, nobodys.reference}
    assert "Regisseur</th>" in page and colleague.display_name in page
    row = re.search(rf"{theirs.reference}.*?</tr>", page, re.S).group(0)
    assert colleague.display_name in row
    assert references({"regisseur": "mij"})[0] == {mine.reference}
    assert references({"regisseur": "geen"})[0] == {nobodys.reference}
    # Another coordinator's "mine" is theirs.
    other = client.application.test_client()
    login(other, colleague.email)
    page = text_of(other.get("/meldingen", query_string={"regisseur": "mij"}))
    assert theirs.reference in page and mine.reference not in page
    # A value the list does not offer filters nothing and breaks nothing.
    response = client.get("/meldingen", query_string={"regisseur": str(colleague.id)})
    assert response.status_code == 200
