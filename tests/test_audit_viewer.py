"""The privacy officer's log viewer: filters, keyset pages, masking, subject lookup, timelines,
CSV export, checkpoints in the viewer and on the command line (issue 6, README “The privacy officer”)."""

import csv
import io
import json
import re
from datetime import datetime, timedelta

from freezegun import freeze_time
from sqlalchemy import delete, event, select, update

from casustafel.audit_log import record
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import AuditCheckpoint, AuditEvent, AuditHead, UserSession
from tests.conftest import post_form
from tests.helpers.audit import EVENTS, HEAD, as_attacker

# Made-up actions belong to no processing activity: the tests name one (record() refuses none).
TEST_ACTIVITY = "beveiliging_verantwoording"

PERSON = ("Willemijn Zoekbaar", "1975-05-05")


def _words(value) -> str:
    """A log column as searchable text; timestamps and hex ids/hashes (random digits) left out."""
    if value is None or isinstance(value, datetime):
        return ""
    text = str(value)
    return "" if re.fullmatch(r"[0-9a-f-]{32,}", text) else text


def page_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def table_of(body):
    """The events table only (the page also lists users in its filter form)."""
    return body.split("<table", 1)[1].split("</table>", 1)[0] if "<table" in body else ""


def last_event():
    return db.session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))


# Filters ---------------------------------------------------------------------------------


def test_filter_by_reference_shows_who_viewed_that_signal_and_nothing_else(
        client, make_user, make_signal, login_as):
    viewer = make_user("coordinator", name="Kijkende Regisseur")
    other = make_user("coordinator", name="Andere Regisseur")
    signal, unrelated = make_signal(), make_signal()
    record(viewer, "signal.viewed", signal, role="coordinator")
    record(viewer, "attachment.downloaded", object_type="subject", object_id=signal.subjects[0].id,
           role="coordinator")
    record(other, "signal.viewed", unrelated, role="coordinator")
    db.session.commit()
    login_as(make_user("privacy_officer"))

    body = table_of(page_of(client, f"/logboek/?kenmerk={signal.reference}"))

    assert "Kijkende Regisseur" in body
    assert "Bijlage gedownload" in body  # an event about one of the signal's subjects
    assert f">{signal.reference}</a>" in body and "Betrokkene bij" in body
    assert "Andere Regisseur" not in body
    assert unrelated.reference not in body


def test_an_unknown_reference_finds_nothing_and_says_so(client, make_user, login_as):
    login_as(make_user("privacy_officer"))
    body = page_of(client, "/logboek/?kenmerk=SIG-1999-0001")
    assert "Er is geen melding met dit kenmerk." in body
    assert "Geen gebeurtenissen gevonden." in body


def test_filter_by_user_leaves_out_what_they_did_as_reporter(client, make_user, make_signal, login_as):
    both = make_user("reporter", "coordinator", name="Twee Petten")
    signal = make_signal(both)
    record(both, "signal.created", signal, role="reporter", purpose="melding")
    record(both, "meeting.listed", object_type="meeting", role="coordinator")
    db.session.commit()
    login_as(make_user("privacy_officer"))

    body = page_of(client, f"/logboek/?gebruiker={both.id}")

    assert "Overzicht overleggen bekeken" in table_of(body)
    assert "Melding gedaan" not in table_of(body)  # would tell who reported the signal
    assert f'value="{both.id}"' in body  # listed in the user filter


def test_accounts_that_only_report_are_offered_in_the_user_filter_but_their_reporting_is_not_found(
        client, make_user, make_signal, login_as):
    reporter = make_user("reporter", name="Alleen Melder")
    record(reporter, "auth.login", reporter, role="reporter")
    record(reporter, "signal.created", make_signal(reporter), role="reporter", purpose="melding")
    db.session.commit()
    login_as(make_user("privacy_officer"))

    body = page_of(client, f"/logboek/?gebruiker={reporter.id}")

    assert f'value="{reporter.id}"' in body.split("<table", 1)[0]  # a login is not an act of reporting
    assert "Ingelogd" in table_of(body) and "Melding gedaan" not in table_of(body)


def test_filter_by_action_prefix_result_and_period(client, make_user, login_as):
    names = {key: f"Kijker {key.capitalize()}" for key in ("oud", "nieuw", "lijst", "overleg")}
    actors = {key: make_user("coordinator", name=name) for key, name in names.items()}
    old = record(actors["oud"], "signal.viewed", object_type="signal", object_id="obj-oud", role="coordinator")
    old.occurred_at = datetime(2024, 1, 10, 12)
    record(actors["nieuw"], "signal.viewed", object_type="signal", object_id="obj-nieuw", role="coordinator")
    record(actors["lijst"], "signal.listed", object_type="signal", role="coordinator")
    record(actors["overleg"], "meeting.viewed", object_type="meeting", object_id="obj-overleg", result="denied",
           role="coordinator")
    db.session.commit()
    login_as(make_user("privacy_officer"))

    def shown(url):
        return {key for key, name in names.items() if name in table_of(page_of(client, url))}

    assert shown("/logboek/?handeling=signal.") == {"oud", "nieuw", "lijst"}
    assert shown("/logboek/?handeling=signal.viewed&van=2025-01-01") == {"nieuw"}
    assert shown("/logboek/?van=2024-01-10&tot=2024-01-10") == {"oud"}
    assert shown("/logboek/?resultaat=denied") == {"overleg"}


def test_a_period_that_ends_before_it_starts_gets_a_message_and_filters_nothing(client, make_user, login_as):
    login_as(make_user("privacy_officer"))
    body = page_of(client, "/logboek/?van=2026-02-01&tot=2026-01-01")
    assert "Deze datum ligt voor de begindatum." in body
    assert 'value="2026-01-01"' in body  # keeps what was typed


# Keyset pages ----------------------------------------------------------------------------


def test_pages_are_keyset_based_cover_every_event_once_and_never_use_offset(app, client, make_user, login_as):
    actor = make_user("coordinator")
    start = datetime(2026, 1, 5, 8, 0, 17)  # winter: 09:00:17 in Dutch time
    moments = [start + timedelta(minutes=n) for n in range(120)]
    with freeze_time(start) as clock:
        for moment in moments:
            clock.move_to(moment)
            record(actor, "test.bulk", object_type="test", object_id="item", role="coordinator",
                   processing_activity=TEST_ACTIVITY)
            db.session.flush()  # the time is taken when the row is written
        db.session.commit()
    login_as(make_user("privacy_officer"))
    statements = []
    # Each event by its time in the table (object ids are not shown): 05-01-2026<br>09:00:17, ...
    cells = {f"{(m + timedelta(hours=1)):%d-%m-%Y<br>%H:%M:%S}": m for m in moments}

    def remember(conn, cursor, statement, parameters, *args):
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        seen, url = [], f"/logboek/?gebruiker={actor.id}"
        while url:
            body = page_of(client, url)
            seen += [m for cell, m in cells.items() if cell in table_of(body)]
            marker = 'href="/logboek/?voor='
            url = None
            if marker in body:
                url = body[body.index(marker) + 6:].split('"', 1)[0].replace("&amp;", "&")
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)

    assert sorted(seen) == moments
    assert len(seen) == 120  # no event on two pages
    # SQLite renders every LIMIT as "LIMIT ? OFFSET ?" with offset 0; any other offset is a bug.
    offsets = [p for s, p in statements if "audit_event" in s and "OFFSET" in s.upper()]
    assert all(isinstance(p, (tuple, list)) and p[-1] == 0 for p in offsets)


# Masking ---------------------------------------------------------------------------------


def test_acts_of_reporting_show_no_name_origin_time_or_place_in_pages_timelines_and_export(
        client, make_user, make_signal, login_as):
    # Every other event at a known time (09:00 UTC), so the reporting act's 13:47 UTC (14:47 Dutch)
    # can only be found if its own time leaked, never because another event fell on that minute.
    with freeze_time("2026-12-01 09:00:00"):
        reporter = make_user("reporter", name="Verborgen Melder")
        signal = make_signal(reporter)
        ev = record(reporter, "signal.created", signal, role="reporter", purpose="melding")
        ev.origin, ev.occurred_at = "10.9.8.7", datetime(2026, 11, 18, 13, 47, 21)
        db.session.commit()
        login_as(make_user("privacy_officer"))

        log = page_of(client, "/logboek/")
        timeline = page_of(client, f"/logboek/melding/{signal.reference}")
        export = client.get("/logboek/export.csv").get_data(as_text=True)

    assert "signal.created" not in table_of(log)
    assert "Daarnaast 1 afgeschermde handeling van melders" in " ".join(log.split())
    assert "Melding gedaan" in timeline and "18-11-2026" in timeline
    row = next(line for line in export.splitlines() if "signal.created" in line)
    assert row.startswith("2026-11-18;melder (afgeschermd);")
    assert export.splitlines()[-1] == row  # after every other event, not in its place among them
    for body in (table_of(log), timeline, export):  # (the user filter lists every account)
        assert "10.9.8.7" not in body and "13:47" not in body and "14:47" not in body
    assert "Verborgen Melder" not in timeline and str(reporter.id) not in timeline
    assert "Verborgen Melder" not in row and str(reporter.id) not in row


# Subject lookup --------------------------------------------------------------------------


def test_subject_lookup_finds_the_person_logs_the_purpose_and_never_the_search_values(
        client, make_user, make_signal, login_as):
    coordinator = make_user("coordinator", name="Nieuwsgierige Regisseur")
    signal = make_signal(person=PERSON)
    other = make_signal(person=("Iemand Anders", "1960-01-01"))
    record(coordinator, "signal.viewed", signal, subjects=[str(s.id) for s in signal.subjects], role="coordinator")
    record(coordinator, "signal.viewed", other, role="coordinator")
    db.session.commit()
    officer = make_user("privacy_officer")
    login_as(officer)

    response = post_form(client, "/logboek/betrokkene", {
        "soort": "person", "naam": "willemijn  ZOEKBAAR", "geboortedatum": PERSON[1], "doel": "inzageverzoek",
    }, from_url="/logboek/betrokkene")

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert signal.reference in body and other.reference not in body
    assert "willemijn" not in body.casefold()  # the form is emptied after the search
    lookup = last_event()
    assert (lookup.action, lookup.purpose, lookup.actor_id) == ("audit.subject_lookup", "inzageverzoek", officer.id)
    assert lookup.subject_pseudonyms == str(signal.subjects[0].id)
    # Every column as text, but not the moment, ids and the chain hash: their random digits
    # contained "1975" once (microseconds …819751…), which is no leak.
    columns = " ".join(text for c in EVENTS.columns if (text := _words(getattr(lookup, c.key)))).casefold()
    assert "zoekbaar" not in columns and "1975" not in columns

    link = body.split('href="/logboek/?betrokkene=', 1)[1].split('"', 1)[0]
    log = page_of(client, "/logboek/?betrokkene=" + link.replace("&amp;", "&"))
    assert "Nieuwsgierige Regisseur" in log
    assert other.reference not in log


def test_subject_lookup_needs_a_purpose_and_the_fields_of_its_kind_and_logs_nothing_then(
        client, make_user, login_as):
    login_as(make_user("privacy_officer"))
    before = last_event().seq

    response = post_form(client, "/logboek/betrokkene", {"soort": "address", "postcode": "1234 AB"},
                         from_url="/logboek/betrokkene")

    body = response.get_data(as_text=True)
    assert "Kies het doel van deze zoekvraag." in body
    assert "Vul het huisnummer in." in body
    assert 'value="1234 AB"' in body  # keeps what was typed
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.seq > before,
                                                           AuditEvent.action == "audit.subject_lookup")).all()


def test_subject_lookup_by_address_finds_the_location(client, make_user, make_signal, login_as):
    signal = make_signal(person=None, address=("9999 ZZ", "7"))
    login_as(make_user("privacy_officer"))
    body = post_form(client, "/logboek/betrokkene", {
        "soort": "address", "postcode": "9999zz", "huisnummer": "7", "doel": "datalek",
    }, from_url="/logboek/betrokkene").get_data(as_text=True)
    assert signal.reference in body
    assert last_event().reason_code == "address"


# Timelines -------------------------------------------------------------------------------


def test_signal_timeline_is_chronological_and_logged(client, make_user, make_signal, login_as):
    coordinator = make_user("coordinator")
    signal = make_signal()
    record(coordinator, "signal.viewed", signal, role="coordinator")
    record(coordinator, "signal.status_changed", signal, role="coordinator")
    db.session.commit()
    login_as(make_user("privacy_officer"))

    body = page_of(client, f"/logboek/melding/{signal.reference}")

    assert f"Tijdlijn van melding {signal.reference}" in body
    assert body.index("Melding ingezien") < body.index("Status van melding gewijzigd")
    assert (last_event().action, last_event().object_id) == ("audit.timeline_viewed", str(signal.id))
    assert client.get("/logboek/melding/SIG-1999-0404").status_code == 404


def test_user_timeline_shows_what_they_did_and_what_was_done_to_their_account(client, make_user, login_as):
    member = make_user("member", name="Lid Tijdlijn")
    record(member, "agenda_item.viewed", object_type="agenda_item", object_id="punt-1", role="member")
    db.session.commit()
    login_as(make_user("privacy_officer"))

    body = page_of(client, f"/logboek/gebruiker/{member.id}")

    assert "Tijdlijn van Lid Tijdlijn" in body
    assert "Gebruiker aangemaakt" in body and "Agendapunt ingezien" in body
    assert body.index("Gebruiker aangemaakt") < body.index("Agendapunt ingezien")
    assert "punt-1" not in body  # an object id is never shown, only its kind


# Export ----------------------------------------------------------------------------------


def test_export_needs_a_fresh_login_and_is_logged_with_the_filtered_rows(client, make_user, login_as):
    actor = make_user("coordinator", name="Export Regisseur")
    record(actor, "signal.viewed", object_type="signal", object_id="=HYPERLINK(1)", role="coordinator")
    record(actor, "meeting.listed", object_type="meeting", role="coordinator")
    db.session.commit()
    officer = make_user("privacy_officer")
    login_as(officer)
    db.session.execute(update(UserSession).where(UserSession.user_id == officer.id)
                       .values(authenticated_at=datetime(2020, 1, 1)))
    db.session.commit()

    stale = client.get("/logboek/export.csv?handeling=signal.viewed")
    assert stale.status_code == 302 and "/inloggen/bevestigen" in stale.headers["Location"]
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.exported")).all()

    db.session.execute(update(UserSession).where(UserSession.user_id == officer.id)
                       .values(authenticated_at=utcnow() + timedelta(hours=2)))
    db.session.commit()
    response = client.get("/logboek/export.csv?handeling=signal.viewed")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:4] == ["Tijd (UTC)", "Gebruiker", "Rol", "Handeling"]
    assert [r[3] for r in rows[1:]] == ["signal.viewed"]
    assert rows[1][1] == "Export Regisseur"
    assert rows[1][5] == "'=HYPERLINK(1)"  # neutralised
    exported = last_event()
    assert (exported.action, exported.actor_id, exported.purpose) == ("audit.exported", officer.id, "toezicht")


# Chain status and checkpoints ------------------------------------------------------------


def test_the_viewer_verifies_only_after_the_newest_checkpoint_and_stores_none(client, make_user, login_as):
    login_as(make_user("privacy_officer"))

    first = page_of(client, "/logboek/")
    assert "Keten gecontroleerd: het logboek is intact." in first
    assert db.session.scalars(select(AuditCheckpoint)).all() == []  # a GET changes nothing

    # post_form reads the CSRF token from the log (audit.viewed 4), then stores up to 4
    response = post_form(client, "/logboek/controlepunt", from_url="/logboek/")
    assert response.status_code == 302
    stored = db.session.scalars(select(AuditCheckpoint)).all()
    assert [(c.seq, c.source) for c in stored] == [(4, "viewer")]
    assert last_event().action == "audit.checkpoint_stored"

    second = page_of(client, "/logboek/")  # verified from the checkpoint on
    assert "het logboek is intact sinds het laatste controlepunt" in second


def test_no_checkpoint_is_stored_from_a_broken_chain(client, make_user, login_as):
    actor = make_user("coordinator")
    login_as(make_user("privacy_officer"))
    record(actor, "signal.viewed", object_type="signal", object_id="x", role="coordinator")
    db.session.commit()
    seq = last_event().seq
    as_attacker(update(EVENTS).where(EVENTS.c.seq == seq).values(result="denied"))

    post_form(client, "/logboek/controlepunt", from_url="/logboek/")

    assert db.session.scalars(select(AuditCheckpoint)).all() == []


def test_the_viewer_names_a_change_after_the_checkpoint(client, make_user, login_as):
    actor = make_user("coordinator")
    login_as(make_user("privacy_officer"))
    post_form(client, "/logboek/controlepunt", from_url="/logboek/")
    record(actor, "signal.viewed", object_type="signal", object_id="x", role="coordinator")
    db.session.commit()
    seq = last_event().seq
    as_attacker(update(EVENTS).where(EVENTS.c.seq == seq).values(result="denied"))

    body = page_of(client, "/logboek/")

    assert f"Het logboek is niet intact: Regel {seq} is gewijzigd" in body
    # Still reported on the next view: no checkpoint is stored after a broken chain.
    assert f"Regel {seq} is gewijzigd" in page_of(client, "/logboek/")


def test_the_viewer_detects_removal_of_the_newest_entries_behind_its_checkpoint(client, make_user, login_as):
    login_as(make_user("privacy_officer"))
    page_of(client, "/logboek/")
    post_form(client, "/logboek/controlepunt", from_url="/logboek/")
    checkpoint = db.session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1))
    keep = db.session.get(AuditEvent, checkpoint.seq - 2)
    as_attacker(delete(EVENTS).where(EVENTS.c.seq > keep.seq),
                update(HEAD).where(HEAD.c.id == 1).values(last_seq=keep.seq, last_mac=keep.mac))

    body = page_of(client, "/logboek/")

    assert "Het logboek is niet intact" in body


def test_cli_checkpoint_prints_and_appends_a_json_line_and_stores_it(app, tmp_path):
    for n in range(3):
        record(None, "test.event", object_type="test", object_id=str(n), processing_activity=TEST_ACTIVITY)
    db.session.commit()
    target = tmp_path / "controlepunten.jsonl"

    result = app.test_cli_runner().invoke(args=["audit", "checkpoint", "--output", str(target)])

    assert result.exit_code == 0, result.output
    line = json.loads(result.output.strip().splitlines()[-1])
    head = db.session.get(AuditHead, 1)
    assert (line["seq"], line["mac"]) == (head.last_seq, head.last_mac) == (3, head.last_mac)
    assert line["created_at"].endswith("Z")
    assert json.loads(target.read_text().splitlines()[-1]) == line
    stored = db.session.scalars(select(AuditCheckpoint)).all()
    assert [(c.seq, c.mac, c.source) for c in stored] == [(3, head.last_mac, "cli")]
    app.test_cli_runner().invoke(args=["audit", "checkpoint", "--output", str(target)])
    assert len(target.read_text().splitlines()) == 2  # appended, not overwritten


def test_cli_verify_against_an_external_checkpoint_detects_truncation(app, tmp_path):
    for n in range(5):
        record(None, "test.event", object_type="test", object_id=str(n), processing_activity=TEST_ACTIVITY)
    db.session.commit()
    target = tmp_path / "controlepunten.jsonl"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "checkpoint", "--output", str(target)]).exit_code == 0
    third = db.session.get(AuditEvent, 3)
    as_attacker(delete(EVENTS).where(EVENTS.c.seq > 3),
                update(HEAD).where(HEAD.c.id == 1).values(last_seq=3, last_mac=third.mac))

    assert runner.invoke(args=["audit", "verify"]).exit_code == 0  # invisible without the checkpoint
    by_file = runner.invoke(args=["audit", "verify", "--checkpoint", str(target)])
    assert by_file.exit_code == 1
    assert "Regels na 3 ontbreken (controlepunt 5)" in by_file.output
    head_mac = json.loads(target.read_text())["mac"]
    by_value = runner.invoke(args=["audit", "verify", "--checkpoint", f"5:{head_mac}"])
    assert by_value.exit_code == 1


def test_cli_verify_accepts_a_matching_checkpoint_and_refuses_an_unreadable_one(app):
    for n in range(2):
        record(None, "test.event", object_type="test", object_id=str(n), processing_activity=TEST_ACTIVITY)
    db.session.commit()
    head = db.session.get(AuditHead, 1)
    runner = app.test_cli_runner()

    ok = runner.invoke(args=["audit", "verify", "--checkpoint", f"{head.last_seq}:{head.last_mac}"])
    assert ok.exit_code == 0, ok.output
    assert "Controlepunt 2 klopt." in ok.output

    bad = runner.invoke(args=["audit", "verify", "--checkpoint", "2:nothex"])
    assert bad.exit_code != 0
    assert "niet te lezen" in bad.output
