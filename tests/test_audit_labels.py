"""The access log in Dutch (issue 19): one set of labels (casustafel/audit/labels.py) for every
action the code logs, used by the privacy officer's log viewer, its timelines and export, and
by the data-subject request page; Dutch local time; a select for the action; objects by their
kind with links to the signal and user timelines, never a raw id."""

import csv
import html
import io
import re
from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import update

from casustafel.audit import labels
from casustafel.audit_log import record
from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models import UserSession
from casustafel.models.roles import ROLE_LABELS, Role
from tests.conftest import csrf_from
from tests.test_processing_activities import actions_in_the_code

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)*\.[a-z_]+\b")  # signal.viewed, break_glass.signal_viewed, signal.


def page_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def table_of(body):
    return body.split("<table", 1)[1].split("</table>", 1)[0] if "<table" in body else ""


def text_of(fragment):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def at(moment, actor, action, obj=None, **fields):
    """Record an event at a pinned moment (the time is taken when the row is written)."""
    with freeze_time(moment):
        event = record(actor, action, obj, **fields)
        db.session.flush()
    return event


# --- every action has a Dutch label ---------------------------------------------------------


def test_every_action_in_the_code_has_a_dutch_label_and_no_label_falls_back_to_its_code(app):
    actions, prefixes, unresolved = actions_in_the_code()
    assert unresolved == [] and len(actions) > 120
    everything = actions | {f"{p}.{verb}" for p in prefixes for verb in ("created", "activated", "deactivated")}
    missing = sorted(a for a in everything if labels.explicit_label(a) is None)
    assert missing == [], "add these actions to casustafel/audit/labels.py ACTIONS"
    for action in everything:
        label = labels.action_label(action)
        assert label[0].isupper() and not CODE.search(label) and "_" not in label, (action, label)
        assert "gewijzigd of verwerkt" not in label, action  # the fallback for unknown actions
    # One label per action: the privacy officer can tell any two actions apart.
    assert len({labels.action_label(a) for a in everything}) == len(everything)
    # The list offers nothing the code never logs.
    listed = {a for group in labels.known_actions().values() for a in group}
    assert listed - everything == set()


def test_an_action_nobody_labelled_yet_still_reads_as_dutch_not_as_code():
    assert labels.action_label("signal.viewed") == "Melding ingezien"
    assert labels.action_label("referral.sent") == "Verstrekking verstuurd"
    assert labels.action_label("signal.") == "Alle gebeurtenissen over meldingen"
    for unknown in ("signal.reassigned", "note.created", "zz.yy"):
        label = labels.action_label(unknown)
        assert not CODE.search(label) and "_" not in label, label
    assert labels.action_label("note.created") == "Gegevens aangemaakt"


# --- the viewer -------------------------------------------------------------------------------


@pytest.mark.parametrize(("utc", "dutch"), [
    (datetime(2026, 1, 15, 13, 0, 0), "15-01-2026<br>14:00:00"),  # winter: UTC+1
    (datetime(2026, 7, 15, 13, 0, 0), "15-07-2026<br>15:00:00"),  # summer: UTC+2
])
def test_the_viewer_shows_a_known_event_in_dutch_with_dutch_time(client, make_user, make_signal, login_as,
                                                                  utc, dutch):
    coordinator = make_user("coordinator", name="Carla Ødegård-’t Hooft")
    signal = make_signal()
    at(utc, coordinator, "signal.viewed", signal, role="coordinator", purpose="casustafel")
    db.session.commit()
    login_as(make_user("privacy_officer"))

    body = page_of(client, f"/logboek/?kenmerk={signal.reference}")
    table = table_of(body)
    cells = text_of(table)

    assert "Melding ingezien" in cells and "Regisseur / voorzitter" in cells
    assert dutch in table
    assert f"{utc:%H:%M}" not in cells  # not UTC
    assert "signal.viewed" not in cells and "coordinator" not in cells
    assert "Doel: Weging en bespreking aan de casustafel" in cells
    for header in ("Tijd", "Gebruiker (rol)", "Handeling", "Object", "Verwerking", "Resultaat"):
        assert f'scope="col">{header}</th>' in table
    assert table.count('scope="col"') == 6
    assert f'href="/logboek/melding/{signal.reference}"' in table  # the signal, to its timeline
    assert f'href="/logboek/gebruiker/{coordinator.id}"' in table  # the user, to theirs
    assert html.escape("Carla Ødegård-’t Hooft") in table or "Carla Ødegård-’t Hooft" in table


def test_the_action_is_chosen_from_a_labelled_list_that_filters(client, make_user, make_signal, login_as):
    viewer = make_user("coordinator", name="Vera Kijker")
    sender = make_user("coordinator", name="Stijn Verstrekker")
    signal = make_signal()
    record(viewer, "signal.viewed", signal, role="coordinator")
    record(viewer, "signal.listed", object_type="signal", role="coordinator")
    record(sender, "referral.sent", object_type="referral", role="coordinator")
    db.session.commit()
    login_as(make_user("privacy_officer"))

    body = page_of(client, "/logboek/")
    select = body.split('<select', 1)[0].rsplit("<label", 1)[1] + body.split("<select", 1)[1].split("</select>")[0]
    assert 'for="handeling">Handeling</label>' in select
    assert '<option value="">Alle handelingen</option>' in select
    assert '<optgroup label="Melding">' in select
    assert '<option value="signal.">Alle gebeurtenissen over meldingen</option>' in select
    assert '<option value="signal.viewed">Melding ingezien</option>' in select
    assert '<option value="referral.sent">Verstrekking verstuurd</option>' in select
    assert "<input" not in select.split("<select", 1)[-1]  # no free text any more

    def who(url):
        table = table_of(page_of(client, url))
        return {name for name in ("Vera Kijker", "Stijn Verstrekker") if name in table}, table

    names, table = who("/logboek/?handeling=referral.sent")
    assert names == {"Stijn Verstrekker"} and "Verstrekking verstuurd" in table
    names, table = who("/logboek/?handeling=signal.")  # the group: every signal event
    assert names == {"Vera Kijker"} and "Melding ingezien" in table and "Overzicht meldingen bekeken" in table
    chosen = page_of(client, "/logboek/?handeling=signal.viewed")
    assert '<option selected value="signal.viewed">Melding ingezien</option>' in chosen
    assert "Overzicht meldingen bekeken" not in table_of(chosen)


def test_an_action_not_in_the_list_gets_a_dutch_message_and_filters_nothing(client, make_user, login_as):
    record(make_user("coordinator", name="Wim Willekeurig"), "meeting.listed", object_type="meeting",
           role="coordinator")
    db.session.commit()
    login_as(make_user("privacy_officer"))

    body = page_of(client, "/logboek/?handeling=" + "%3Cscript%3E")

    assert "Kies een handeling uit de lijst." in body
    assert "Wim Willekeurig" in table_of(body)  # an invalid field filters nothing
    assert "<script>" not in body.split("<main", 1)[-1]


def test_the_privacy_officer_choosing_an_act_of_reporting_gets_a_count_never_the_reporter(
        client, make_user, make_signal, login_as):
    with freeze_time("2026-12-01 09:00:00"):  # every other time on the page is 10:00, never 14:00
        reporter = make_user("reporter", name="Verborgen Melder")
        signal = make_signal(reporter)
        at(datetime(2026, 1, 15, 13, 0, 0), reporter, "signal.created", signal, role="reporter", purpose="melding")
        db.session.commit()
        login_as(make_user("privacy_officer"))

        body = page_of(client, "/logboek/?handeling=signal.created")

    assert '<option selected value="signal.created">Melding gedaan</option>' in body
    assert "Geen gebeurtenissen gevonden." in body and "Daarnaast 1 afgeschermde handeling" in " ".join(body.split())
    assert "Verborgen Melder" not in body.split("</select>", 2)[-1]  # (the user filter lists every account)
    assert "14:00" not in body


def test_objects_show_their_kind_and_signal_never_a_raw_id(client, make_user, make_signal, login_as):
    coordinator = make_user("coordinator", name="Olga Objecten")
    member = make_user("member", name="Mees Lid")
    signal = make_signal()
    record(coordinator, "signal.viewed", signal, role="coordinator")
    record(coordinator, "attachment.downloaded", object_type="subject", object_id=signal.subjects[0].id,
           role="coordinator")
    record(coordinator, "user.viewed", member, role="coordinator")
    record(coordinator, "meeting.viewed", object_type="meeting", object_id="6f1c2a3b-0000-4000-8000-00000000abcd",
           role="coordinator")
    record(None, "keys.rotated", object_type="key", object_id="field:2026-01", reason_code="rotatie")
    record(coordinator, "signal.viewed", object_type="signal", object_id="1d2e3f40-1111-4111-8111-111111111111",
           role="coordinator")  # a signal since destroyed: no reference to show
    db.session.commit()
    login_as(make_user("privacy_officer"))

    table = table_of(page_of(client, "/logboek/"))
    cells = text_of(table)

    assert not UUID.search(cells), UUID.search(cells)
    assert "field:2026-01" not in cells
    assert f"Melding {signal.reference}" in cells
    assert f"Betrokkene bij {signal.reference}" in cells
    assert "Gebruiker Mees Lid" in cells and f'href="/logboek/gebruiker/{member.id}"' in table
    assert "Overleg" in cells and "Sleutel" in cells
    assert cells.count(signal.reference) == 2
    # The signal's own timeline links its objects the same way, without raw ids either.
    timeline = table_of(page_of(client, f"/logboek/melding/{signal.reference}"))
    assert not UUID.search(text_of(timeline)) and f"Betrokkene bij {signal.reference}" in text_of(timeline)


def test_the_export_keeps_the_codes_and_adds_the_dutch_labels(client, make_user, make_signal, login_as):
    coordinator = make_user("coordinator", name="Export Regisseur")
    signal = make_signal()
    at(datetime(2026, 1, 15, 13, 0, 0), coordinator, "signal.viewed", signal, role="coordinator",
       purpose="casustafel")
    db.session.commit()
    officer = make_user("privacy_officer")
    login_as(officer)
    db.session.execute(update(UserSession).where(UserSession.user_id == officer.id)
                       .values(authenticated_at=utcnow() + timedelta(hours=2)))
    db.session.commit()

    response = client.get("/logboek/export.csv?handeling=signal.viewed")

    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    header, row = rows[0], rows[1]
    assert header[:4] == ["Tijd (UTC)", "Gebruiker", "Rol", "Handeling"]  # machines keep their columns
    assert (row[0], row[2], row[3], row[7]) == ("2026-01-15 13:00:00", "coordinator", "signal.viewed", "casustafel")
    named = dict(zip(header, row, strict=True))
    assert named["Handeling (omschrijving)"] == "Melding ingezien"
    assert named["Rol (omschrijving)"] == "Regisseur / voorzitter"
    assert named["Doel (omschrijving)"] == "Weging en bespreking aan de casustafel"


# --- one place: the data-subject request page uses the same labels ---------------------------


@pytest.mark.usefixtures("pinned_day")
def test_a_label_changed_in_the_one_place_shows_on_the_log_viewer_and_the_subject_request_page(
        app, client, make_user, make_signal, login_as, monkeypatch):
    coordinator = make_user("coordinator", name="Carla Coördinator")
    signal = make_signal(None, person=("Jan Jansen", "1980-01-02"), address=None)
    record(coordinator, "signal.viewed", signal, role="coordinator", purpose="casustafel")
    db.session.commit()
    login_as(make_user("privacy_officer"))
    form = {"csrf_token": csrf_from(client.get("/verzoeken/nieuw")), "type": "inzage",
            "received_on": datetime.now().date().isoformat(), "name": "Jan Jansen", "birth_date": "1980-01-02",
            "organisation": "", "kvk_number": "", "postcode": "", "house_number": ""}
    created = client.post("/verzoeken/nieuw", data=form)
    assert created.status_code == 302
    request_url = created.headers["Location"]

    def subject_log():
        body = page_of(client, request_url)
        return text_of(body.split("Logboekregels over deze meldingen", 1)[1].split("</table>", 1)[0])

    assert "Melding ingezien Regisseur / voorzitter Weging en bespreking aan de casustafel" in subject_log()
    assert "Melding ingezien" in text_of(table_of(page_of(client, f"/logboek/?kenmerk={signal.reference}")))

    monkeypatch.setitem(labels.OVERRIDES, "signal.viewed", "Melding bekeken door een medewerker")
    monkeypatch.setitem(ROLE_LABELS, Role.COORDINATOR, "Casusregisseur")

    assert "Melding bekeken door een medewerker Casusregisseur" in subject_log()
    viewer = text_of(table_of(page_of(client, f"/logboek/?kenmerk={signal.reference}")))
    assert "Melding bekeken door een medewerker" in viewer and "Casusregisseur" in viewer
