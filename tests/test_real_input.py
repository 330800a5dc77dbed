"""Real input: values out of range, Dutch time everywhere, and no log of a page that failed.

- Dates outside 1900–2100 and integers beyond their column get the normal Dutch field message
  or a 404, never a 500 (every URL a user could type or change).
- Every page and PDF shows Dutch time (Europe/Amsterdam) whatever zone the server runs in; the
  day boundaries of filters are Dutch midnights; only the log's CSV export is UTC, and says so.
- A page that fails to render leaves no access-log event of a view that never happened.
"""

import csv
import io
import re
import time
from datetime import UTC, date, datetime

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from casustafel import dates
from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.models import AuditEvent
from tests.conftest import csrf_from, login, post_form

FAR = "9999-12-31"


def logged_in(app, user):
    client = app.test_client()
    assert login(client, user.email).status_code == 200
    return client


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


# --- bounded input --------------------------------------------------------------------------

OUT_OF_RANGE_GETS = [
    ("coordinator", f"/cijfers/?start=9999-01-01&end={FAR}", 200),
    ("coordinator", f"/cijfers/export.csv?start=9999-01-01&end={FAR}", 302),
    ("coordinator", f"/cijfers/export.xlsx?start=9999-01-01&end={FAR}", 302),
    ("coordinator", "/cijfers/?start=0001-01-01&end=1899-12-31", 200),
    ("coordinator", "/cijfers/jaaroverzicht-99999.pdf", 404),
    ("coordinator", "/cijfers/jaaroverzicht-99999999999999999999.pdf", 404),
    ("coordinator", f"/verstrekkingen/?sent_from=0001-01-01&sent_until={FAR}", 200),
    ("coordinator", f"/verstrekkingen/export.csv?sent_until={FAR}", 200),
    ("coordinator", "/verstrekkingen/?pagina=99999999999999999999999999", 200),
    ("coordinator", "/meldingen?pagina=99999999999999999999999999", 200),
    ("coordinator", "/acties/?pagina=-99999999999999999999999999", 200),
    ("privacy_officer", f"/logboek/?tot={FAR}", 200),
    ("privacy_officer", f"/logboek/?van={FAR}&tot={FAR}", 200),
    ("privacy_officer", "/logboek/?voor=99999999999999999999999", 200),
    ("privacy_officer", f"/logboek/export.csv?tot={FAR}", 200),
    ("privacy_officer", "/logboek/gebruiker/{user}?tot=" + FAR, 200),
    ("privacy_officer", "/logboek/gebruiker/{user}?na=99999999999999999999999", 200),
    ("privacy_officer", f"/logboek/afwijkingen?tot={FAR}", 200),
    ("privacy_officer", f"/logboek/afwijkingen?van=0001-01-01&tot={FAR}", 200),
    ("privacy_officer", "/logboek/afwijkingen/bulk:{user}:" + FAR + "T23", 404),
    ("privacy_officer", "/logboek/afwijkingen/buiten_uren:{user}:" + FAR, 404),
    ("privacy_officer", f"/logboek/afwijkingen/geweigerd:anoniem:{FAR}", 404),
    ("privacy_officer", "/logboek/afwijkingen/break_glass:9223372036854775808", 404),
    ("privacy_officer", "/logboek/afwijkingen/break_glass:9999999999999999999", 404),
    ("admin", "/beheer/lijsten?x=" + "9" * 30, 200),
]


@pytest.mark.parametrize(("role", "url", "status"), OUT_OF_RANGE_GETS, ids=[u for _, u, _ in OUT_OF_RANGE_GETS])
def test_a_value_out_of_range_in_the_address_gets_a_message_or_404_never_500(app, make_user, role, url, status):
    user = make_user(role)
    response = logged_in(app, user).get(url.format(user=user.id))

    assert response.status_code == status
    if status == 200 and response.mimetype == "text/html":
        body = response.get_data(as_text=True)
        if FAR in url or "0001" in url:
            assert "Vul een datum in tussen 1900 en 2100." in body


@pytest.mark.parametrize("url", [
    "/beheer/lijsten/fenomeen/" + "9" * 30 + "/wisselen",
    "/beheer/lijsten/indicator/2147483648/wisselen",
    "/beheer/verstrekkingspartners/" + "1" * 25 + "/in-gebruik",
])
def test_an_id_beyond_its_column_is_not_found(app, make_user, url):
    admin = logged_in(app, make_user("admin"))
    token = csrf_from(admin.get("/beheer/lijsten"))

    assert admin.post(url, data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize(("url", "from_url", "data", "field"), [
    ("/overleggen/nieuw", "/overleggen/nieuw",
     {"held_on": FAR, "held_time": "10:00", "kind": "regulier", "agenda_cutoff": "0001-01-01"}, "held_on"),
    ("/verzoeken/nieuw", "/verzoeken/nieuw", {"type": "inzage", "received_on": FAR, "name": "A. Jansen",
                                              "birth_date": "1899-12-31"}, "received_on"),
])
def test_a_date_out_of_range_in_a_form_gets_the_field_message_and_saves_nothing(
        app, make_user, url, from_url, data, field):
    role = "coordinator" if url.startswith("/overleggen") else "privacy_officer"
    client = logged_in(app, make_user(role))
    before = db.session.scalar(select(db.func.count()).select_from(AuditEvent))

    response = post_form(client, url, data, from_url=from_url)

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert re.search(rf'id="{field}-error">.*?Vul een datum in tussen 1900 en 2100\.', body, re.DOTALL)
    assert f'value="{data[field]}"' in body  # what was typed is kept
    assert not events("meeting.created") and not events("subject_request.created")
    assert db.session.scalar(select(db.func.count()).select_from(AuditEvent)) >= before


# --- one time convention ---------------------------------------------------------------------

NEW_YEAR_UTC = datetime(2026, 12, 31, 23, 30)  # 00:30 on 1 January 2027 in the Netherlands


@pytest.fixture
def utc_server(monkeypatch):
    """Run as on a host whose zone is UTC, where the server's own zone differs from Dutch time."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.delenv("TZ")
    time.tzset()


def test_a_stored_time_is_shown_in_dutch_time_on_pages_whatever_the_servers_zone(
        app, make_user, make_signal, utc_server):
    signal = make_signal(received_at=NEW_YEAR_UTC)
    coordinator = logged_in(app, make_user("coordinator"))

    workspace = coordinator.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    inbox = coordinator.get("/meldingen").get_data(as_text=True)

    assert "01-01-2027 00:30" in workspace and "31-12-2026 23:30" not in workspace
    assert "01-01-2027" in inbox and "31-12-2026" not in inbox


def test_the_pdf_watermark_shows_dutch_time(app, make_user, monkeypatch, utc_server):
    summer = datetime(2026, 7, 1, 10, 0)  # 12:00 in Amsterdam
    monkeypatch.setattr(dates, "utcnow", lambda: summer)

    assert dates.watermark("Vera Voorzitter") == "Gedownload door Vera Voorzitter op 01-07-2026 om 12:00"


def test_filters_cut_days_at_dutch_midnight(app, make_user, utc_server):
    with freeze_time("2026-12-01 09:00:00"):  # every other time on the pages is 10:00, never 00:30
        actor = make_user("coordinator")
        event = record(actor, "signal.viewed", object_type="signal", object_id="s-1", role="coordinator")
        event.occurred_at = datetime(2026, 3, 1, 23, 30)  # 2 March, 00:30 Dutch time
        db.session.commit()
        officer = logged_in(app, make_user("privacy_officer"))

        second = officer.get("/logboek/?handeling=signal.viewed&van=2026-03-02&tot=2026-03-02").get_data(as_text=True)
        first = officer.get("/logboek/?handeling=signal.viewed&van=2026-03-01&tot=2026-03-01").get_data(as_text=True)

    assert "02-03-2026<br>00:30:00" in second  # the day above the time in the log table
    assert "00:30" not in first and "01-03-2026<br>23:30" not in first


def test_only_the_log_export_is_in_utc_and_says_so(app, make_user, utc_server):
    actor = make_user("coordinator")
    record(actor, "signal.viewed", object_type="signal", object_id="s-1", role="coordinator").occurred_at = NEW_YEAR_UTC
    db.session.commit()
    officer = logged_in(app, make_user("privacy_officer"))

    rows = list(csv.reader(io.StringIO(officer.get("/logboek/export.csv?handeling=signal.viewed")
                                       .get_data(as_text=True).lstrip("\ufeff"), newline=""), delimiter=";"))

    assert rows[0][0] == "Tijd (UTC)"
    assert rows[1][0] == "2026-12-31 23:30:00"


def test_a_retention_run_is_shown_in_dutch_time_on_a_utc_server(app, make_user, utc_server):
    from casustafel.retention.destruction import run_retention

    officer = make_user("privacy_officer")
    run_retention(officer, datetime(2026, 7, 1, 10, 0), dry_run=True, origin="test")
    db.session.commit()

    page = logged_in(app, officer).get("/bewaren/").get_data(as_text=True)

    assert "01-07-2026 12:00" in page and "01-07-2026 10:00" not in page


# --- the log tells only what happened ----------------------------------------------------------


def test_a_page_that_fails_to_render_leaves_no_event_of_a_view(app, make_user, make_signal, monkeypatch):
    signal = make_signal()
    coordinator = logged_in(app, make_user("coordinator"))

    def broken(*args, **kwargs):
        raise RuntimeError("template broke")

    monkeypatch.setitem(app.jinja_env.filters, "lokaal", broken)
    with pytest.raises(RuntimeError):
        coordinator.get(f"/meldingen/{signal.id}")
    monkeypatch.undo()

    assert events("signal.viewed") == []
    assert coordinator.get(f"/meldingen/{signal.id}").status_code == 200
    assert [e.object_id for e in events("signal.viewed")] == [str(signal.id)]


def test_every_id_in_an_address_is_a_uuid_or_bounded(app):
    """A typed id never reaches the database unchecked: UUIDs are parsed, integers bounded."""
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            kind = type(converter).__name__
            assert kind in {"UUIDConverter", "BoundedIntegerConverter", "UnicodeConverter", "AnyConverter",
                            "PathConverter"}, (rule.rule, name, kind)
            if kind == "BoundedIntegerConverter":
                assert converter.max is not None and converter.max <= 2**31 - 1, rule.rule


def test_today_is_the_dutch_date(monkeypatch):
    late = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return late.astimezone(tz) if tz else late.replace(tzinfo=None)

    monkeypatch.setattr(dates, "datetime", Frozen)

    assert dates.today() == date(2027, 1, 1)
