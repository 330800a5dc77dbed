"""Management information (README, “Referrals and management information”): the numbers equal
a direct count over a seeded
data set with a known distribution; the period filter has inclusive boundaries; exports
and the yearly PDF hold aggregates only (never a name, reference or text); coordinator only;
every view and download is logged."""

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from casustafel.dates import LOCAL_ZONE, day_start_utc, to_local
from casustafel.extensions import db
from casustafel.models import Action, AuditEvent, Department, Phenomenon, Signal, UserSession
from casustafel.models.referral import Partner, Referral
from casustafel.reports import services
from tests.conftest import TODAY, login

# Dates computed here (today, tomorrow, overdue, this year) are checked against the app's:
# both on the same pinned day (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("pinned_day")

Y = TODAY.year - 1  # a full past year, so the yearly PDF exists
PERIOD = {"start": f"{Y}-03-01", "end": f"{Y}-04-30"}
MARKERS = ("MARKERDESC", "Markeerpersoon", "Geheimstraat")


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def logged_in(app, user):
    client = app.test_client()
    assert login(client, user.email).status_code == 200
    return client


class Scene:
    pass


@pytest.fixture
def scene(make_user, make_signal):
    """10 signals in March–April of year Y (7 of A, 3 of B), 2 just outside, known closures."""
    s = Scene()
    s.coordinator = make_user("coordinator")
    a = Phenomenon(name="Fenomeen Alfa")
    b = Phenomenon(name="Fenomeen Beta")
    db.session.add_all([a, b])
    db.session.flush()
    a_child = Phenomenon(name="Alfa sub", parent_id=a.id)
    dept_x, dept_y = Department(name="Afdeling X"), Department(name="Afdeling Y")
    p, q = Partner(name="Partner P"), Partner(name="Partner Q")
    db.session.add_all([a_child, dept_x, dept_y, p, q])
    db.session.commit()

    def at(month, day, hour=12, minute=0, second=0):
        """A Dutch wall-clock moment as the naive UTC time the database stores."""
        return datetime(Y, month, day, hour, minute, second, tzinfo=LOCAL_ZONE).astimezone(UTC).replace(tzinfo=None)

    def add(phenomenon, dept, received, channel="meldpunt", closed_days=None, reason=None):
        n = len(s.signals)
        fields = {}
        if closed_days is not None:
            fields = {"status": "afgesloten", "closed_at": received + timedelta(days=closed_days),
                      "closing_reason": reason}
        signal = make_signal(description=f"MARKERDESC {n}", person=(f"Markeerpersoon {n}", "1970-01-01"),
                             address=("1234 AB", str(n + 1)), channel=channel, received_at=received,
                             phenomenon_id=phenomenon.id, reporter_department_id=dept.id, **fields)
        s.signals.append(signal)
        return signal

    s.signals = []
    # Phenomenon A (parent and child count together): 5 in March, 2 in April; 2 via politie.
    add(a, dept_x, at(3, 1, 0, 0, 0), closed_days=2, reason="geen_ondermijning")  # first moment
    add(a_child, dept_x, at(3, 5), closed_days=4, reason="geen_ondermijning")
    add(a_child, dept_x, at(3, 9), closed_days=9, reason="geen_ondermijning")
    add(a, dept_x, at(3, 15), channel="politie")
    add(a_child, dept_x, at(3, 31, 23, 59, 59), channel="politie")
    add(a, dept_x, at(4, 2))
    add(a_child, dept_x, at(4, 30, 23, 59, 59))  # last moment of the period
    # Phenomenon B: 1 in March, 2 in April, by telephone; one closed after 10 days.
    add(b, dept_y, at(3, 20), channel="telefoon", closed_days=10, reason="geen_hit")
    add(b, dept_y, at(4, 10), channel="telefoon")
    add(b, dept_y, at(4, 11), channel="telefoon")
    # Just outside the period.
    add(a, dept_x, at(2, 28, 23, 59, 59), closed_days=1, reason="geen_ondermijning")
    add(b, dept_y, at(5, 1, 0, 0, 0), channel="telefoon")

    def refer(partner, sent_on):
        db.session.add(Referral(signal_id=s.signals[0].id, partner_id=partner.id, legal_ground="avg_6_1_c",
                                legal_ground_text="art. 6 lid 1 sub c AVG", data_categories=[], sent_on=sent_on,
                                status="verstuurd" if sent_on else "concept"))

    refer(p, date(Y, 3, 1))
    refer(p, date(Y, 3, 20))
    refer(p, date(Y, 4, 30))
    refer(q, date(Y, 4, 1))
    refer(q, None)  # a draft: not sent
    refer(q, date(Y, 5, 1))  # outside
    today = date.today()
    for status, deadline in (("open", today + timedelta(days=3)), ("open", today - timedelta(days=1)),
                             ("in_uitvoering", today - timedelta(days=5)), ("afgerond", today - timedelta(days=9))):
        db.session.add(Action(signal_id=s.signals[1].id, type="bibob", deadline=deadline, status=status))
    db.session.commit()
    s.a, s.b, s.dept_x, s.dept_y = a, b, dept_x, dept_y
    return s


def as_dict(rows):
    return {r.label: r.count for r in rows}


def row_value(html: str, label: str) -> list[str]:
    """The cells after the row header `label` in the first table that has it."""
    match = re.search(r'scope="row">' + re.escape(label) + r"</th>(.*?)</tr>", html, re.S)
    assert match, f"no row {label!r}"
    return re.findall(r"<td[^>]*>([^<]*)</td>", match.group(1))


# --- the numbers --------------------------------------------------------------------------


def test_counts_per_breakdown_equal_the_known_distribution(scene):
    report = services.build_report(date(Y, 3, 1), date(Y, 4, 30), date.today())
    assert report.total == 10
    assert as_dict(report.phenomena) == {"Fenomeen Alfa": 7, "Fenomeen Beta": 3}
    assert as_dict(report.channels) == {"Meldpunt (intern formulier)": 5, "Politie": 2, "Telefoon": 3}
    assert as_dict(report.departments) == {"Afdeling X": 7, "Afdeling Y": 3}
    # Y's 3 could point at a colleague, and with only two departments the total gives X away
    # too, so both are published as "< 5" (tests/test_reporter_protection.py has the rule).
    assert [(c.label, c.shown) for c in report.departments] == [("Afdeling X", "< 5"), ("Afdeling Y", "< 5")]
    assert as_dict(report.outcomes) == {"Geen ondermijning": 3, "Geen hit in het bronnenonderzoek": 1,
                                        "Nog niet afgesloten": 6}
    assert [(m.key, m.count) for m in report.months] == [(f"{Y}-03", 6), (f"{Y}-04", 4)]
    assert [(m.label) for m in report.months] == [f"maart {Y}", f"april {Y}"]


def test_counts_equal_a_direct_count_over_the_signals(scene):
    report = services.build_report(date(Y, 3, 1), date(Y, 4, 30), date.today())
    in_period = [s for s in db.session.scalars(select(Signal))
                 if date(Y, 3, 1) <= to_local(s.received_at).date() < date(Y, 5, 1)]
    by_channel: dict[str, int] = {}
    for s in in_period:
        by_channel[s.channel] = by_channel.get(s.channel, 0) + 1
    assert {r.key: r.count for r in report.channels} == by_channel
    assert sum(r.count for r in report.phenomena) == len(in_period) == report.total
    assert sum(r.count for r in report.outcomes) == len(in_period)


def test_lead_times_are_the_median_and_average_in_days(scene):
    report = services.build_report(date(Y, 3, 1), date(Y, 4, 30), date.today())
    by_phenomenon = {t.label: (t.count, t.median, t.average) for t in report.lead_by_phenomenon}
    assert by_phenomenon == {"Fenomeen Alfa": (3, 4.0, 5.0), "Fenomeen Beta": (1, 10.0, 10.0)}
    by_outcome = {t.label: (t.count, t.median, t.average) for t in report.lead_by_outcome}
    assert by_outcome == {"Geen ondermijning": (3, 4.0, 5.0), "Geen hit in het bronnenonderzoek": (1, 10.0, 10.0)}


def test_referrals_count_per_partner_per_year_only_when_sent_in_the_period(scene):
    table = services.referrals_per_partner(date(Y, 3, 1), date(Y, 4, 30))
    assert table.years == [Y]
    assert [(name, counts, total) for name, counts, total in table.rows] == [
        ("Partner P", {Y: 3}, 3), ("Partner Q", {Y: 1}, 1)]
    wider = services.referrals_per_partner(date(Y, 1, 1), date(Y + 1, 12, 31))
    assert dict((n, t) for n, _, t in wider.rows) == {"Partner P": 3, "Partner Q": 2}
    assert wider.years == [Y, Y + 1]


def test_open_and_overdue_actions_are_counted_not_listed(scene):
    counts = services.action_counts(date.today())
    assert (counts.open, counts.overdue) == (3, 2)


def test_the_page_shows_the_same_numbers_in_tables_and_charts(app, scene):
    html = logged_in(app, scene.coordinator).get("/cijfers/", query_string=PERIOD).get_data(as_text=True)
    assert "10 meldingen van 01-03-" in html
    assert row_value(html, "Fenomeen Alfa")[0] == "7"
    assert row_value(html, "Telefoon") == ["3"]
    assert row_value(html, "Afdeling Y") == ["&lt; 5"] and row_value(html, "Afdeling X") == ["&lt; 5"]
    assert row_value(html, "Nog niet afgesloten")[0] == "6"
    assert row_value(html, f"maart {Y}") == ["6"]
    assert row_value(html, "Geen ondermijning")[0] == "3"
    assert "4,0" in html and "5,0" in html  # median and average for A
    assert row_value(html, "Partner P") == ["3", "3"]
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" role="img"') == 7
    assert '<title id="chart-' in html and "<desc id=" in html
    assert "<script" not in html.split("<main", 1)[-1]


# --- the period filter ----------------------------------------------------------------------


def test_the_period_boundaries_are_inclusive_to_the_second(scene):
    assert services.build_report(date(Y, 3, 1), date(Y, 3, 1), date.today()).total == 1
    assert services.build_report(date(Y, 4, 30), date(Y, 4, 30), date.today()).total == 1
    assert services.build_report(date(Y, 2, 28), date(Y, 5, 1), date.today()).total == 12
    assert services.build_report(date(Y, 3, 2), date(Y, 4, 29), date.today()).total == 8


def test_months_without_signals_are_shown_as_zero(scene):
    months = services.per_month(date(Y, 1, 15), date(Y, 6, 1))
    assert [(m.key, m.count) for m in months] == [
        (f"{Y}-01", 0), (f"{Y}-02", 1), (f"{Y}-03", 6), (f"{Y}-04", 4), (f"{Y}-05", 1), (f"{Y}-06", 0)]


def test_the_default_period_is_the_current_year(app, make_user, make_signal):
    coordinator = make_user("coordinator")
    year = to_local(datetime.now(UTC)).year
    make_signal(received_at=day_start_utc(date(year, 1, 1)) + timedelta(seconds=1))  # 00:00:01 Dutch time
    make_signal(received_at=day_start_utc(date(year, 1, 1)) - timedelta(minutes=1))  # 23:59 the day before
    html = logged_in(app, coordinator).get("/cijfers/").get_data(as_text=True)
    assert f"1 meldingen van 01-01-{date.today().year} tot en met 31-12-{date.today().year}" in html
    assert f'value="{date.today().year}-01-01"' in html


@pytest.mark.parametrize("args, message", [
    ({"start": f"{Y}-05-01", "end": f"{Y}-04-01"}, "De einddatum ligt vóór de begindatum"),
    ({"start": "gisteren", "end": f"{Y}-04-01"}, "Vul een geldige begindatum in"),
    ({"start": f"{Y}-01-01", "end": ""}, "Vul een geldige einddatum in"),
    ({"start": "2000-01-01", "end": f"{Y}-01-01"}, "hooguit tien jaar"),
])
def test_a_wrong_period_gets_a_dutch_message_and_keeps_the_input(app, scene, args, message):
    html = logged_in(app, scene.coordinator).get("/cijfers/", query_string=args).get_data(as_text=True)
    assert message in html
    assert 'aria-invalid="true"' in html
    assert f'value="{args["start"]}"' in html
    assert "meldingen van" not in html


# --- exports and the yearly PDF --------------------------------------------------------------


def test_the_csv_export_holds_the_aggregates(app, scene):
    response = logged_in(app, scene.coordinator).get("/cijfers/export.csv", query_string=PERIOD)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    text = response.data.decode("utf-8-sig")
    assert "Fenomeen;Fenomeen Alfa;7;;" in text
    assert "Kanaal;Telefoon;3;;" in text
    assert "Doorlooptijd per fenomeen;Fenomeen Alfa;3;4.0;5.0" in text
    assert f"Verstrekkingen {Y};Partner P;3;;" in text
    assert "Acties;Waarvan termijn verlopen;2;;" in text


def test_the_xlsx_export_holds_the_same_aggregates(app, scene):
    response = logged_in(app, scene.coordinator).get("/cijfers/export.xlsx", query_string=PERIOD)
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0][0] == "Onderdeel"
    assert ("Afdeling melder", "Afdeling X", "< 5", None, None) in rows  # 7, suppressed with Y's 3
    assert ("Doorlooptijd per uitkomst", "Geen hit in het bronnenonderzoek", 1, 10.0, 10.0) in rows


def test_export_cells_that_look_like_formulas_are_neutralised(app, scene):
    db.session.add(Department(name="=HYPERLINK(\"http://evil\")"))
    db.session.commit()
    dept = db.session.scalar(select(Department).where(Department.name.like("=%")))
    scene.signals[3].reporter_department_id = dept.id
    db.session.commit()
    client = logged_in(app, scene.coordinator)
    text = client.get("/cijfers/export.csv", query_string=PERIOD).data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ";=HYPERLINK" not in text
    sheet = load_workbook(io.BytesIO(client.get("/cijfers/export.xlsx", query_string=PERIOD).data)).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "'=HYPERLINK(\"http://evil\")" in cells
    assert not any(c.startswith("=") for c in cells)


def test_an_unknown_export_format_is_not_found(app, scene):
    assert logged_in(app, scene.coordinator).get("/cijfers/export.pdf").status_code == 404


def test_an_export_with_a_wrong_period_goes_back_to_the_form(app, scene):
    response = logged_in(app, scene.coordinator).get("/cijfers/export.csv?start=x&end=y")
    assert response.status_code == 302 and "/cijfers/" in response.headers["Location"]
    assert not events("report.exported")


def pdf_text(response) -> str:
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(response.data)).pages)


def test_the_yearly_pdf_holds_the_years_numbers(app, scene):
    response = logged_in(app, scene.coordinator).get(f"/cijfers/jaaroverzicht-{Y}.pdf")
    assert response.headers["Content-Disposition"] == f'attachment; filename="jaaroverzicht-casustafel-{Y}.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    text = pdf_text(response)
    assert f"Jaaroverzicht casustafel {Y}" in text
    assert "12 meldingen" in text  # the whole year, also the two outside March–April
    assert "Fenomeen Alfa 8" in text and "Partner P 3 3" in text


@pytest.mark.parametrize("year", [1999, date.today().year + 1])
def test_a_yearly_pdf_outside_the_known_years_is_not_found(app, scene, year):
    assert logged_in(app, scene.coordinator).get(f"/cijfers/jaaroverzicht-{year}.pdf").status_code == 404


def test_no_name_reference_or_text_of_a_signal_appears_anywhere(app, scene):
    client = logged_in(app, scene.coordinator)
    outputs = [
        client.get("/cijfers/", query_string=PERIOD).get_data(as_text=True),
        client.get("/cijfers/", query_string={"start": f"{Y}-01-01", "end": f"{Y}-12-31"}).get_data(as_text=True),
        client.get("/cijfers/export.csv", query_string=PERIOD).data.decode("utf-8-sig"),
        " ".join(str(c) for row in load_workbook(io.BytesIO(
            client.get("/cijfers/export.xlsx", query_string=PERIOD).data)).active.iter_rows(values_only=True)
            for c in row),
        pdf_text(client.get(f"/cijfers/jaaroverzicht-{Y}.pdf")),
    ]
    forbidden = [*MARKERS, *(s.reference for s in scene.signals), *(str(s.id) for s in scene.signals),
                 scene.coordinator.display_name, scene.coordinator.email]
    for output in outputs:
        for value in forbidden:
            assert value not in output.split("<main", 1)[-1], value


# --- access and the log ----------------------------------------------------------------------

URLS = ("/cijfers/", "/cijfers/export.csv", "/cijfers/export.xlsx", f"/cijfers/jaaroverzicht-{Y}.pdf")


@pytest.mark.parametrize("role", ["reporter", "member", "privacy_officer", "admin"])
def test_only_the_coordinator_sees_the_numbers(app, make_user, role):
    client = logged_in(app, make_user(role))
    for url in URLS:
        assert client.get(url).status_code == 403, url
    assert len(events("access.denied")) == len(URLS)


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    for url in URLS:
        response = client.get(url)
        assert response.status_code == 302 and "/inloggen" in response.headers["Location"]


@pytest.mark.parametrize("url", URLS[1:])
def test_downloads_need_a_fresh_login(app, scene, url):
    client = logged_in(app, scene.coordinator)
    for row in db.session.query(UserSession).filter_by(user_id=scene.coordinator.id):
        row.authenticated_at -= app.config["FRESH_LOGIN_WINDOW"] + timedelta(minutes=1)
    db.session.commit()
    response = client.get(url)
    assert response.status_code == 302 and "/inloggen/bevestigen" in response.headers["Location"]
    assert not events("report.exported") and not events("report.yearly_downloaded")


def test_viewing_exporting_and_downloading_are_logged_without_values(app, scene):
    client = logged_in(app, scene.coordinator)
    client.get("/cijfers/", query_string=PERIOD)
    client.get("/cijfers/export.csv", query_string=PERIOD)
    client.get("/cijfers/export.xlsx", query_string=PERIOD)
    client.get(f"/cijfers/jaaroverzicht-{Y}.pdf")
    viewed, exported, yearly = events("report.viewed"), events("report.exported"), events("report.yearly_downloaded")
    assert len(viewed) == 1 and viewed[0].actor_id == scene.coordinator.id
    assert [e.reason_code for e in exported] == ["csv", "xlsx"]
    assert [e.object_id for e in yearly] == [str(Y)]
    for event in (*viewed, *exported, *yearly):
        assert event.actor_role == "coordinator" and event.purpose == "managementinformatie"
        assert event.subject_pseudonyms is None


def test_chart_labels_are_escaped_and_the_chart_is_an_accessible_image():
    from casustafel.reports.charts import bar_chart

    svg = str(bar_chart("Per <afdeling>", [("<script>x</script>", 3), ("Ander", 1.5)]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'role="img"' in svg and "<title id=" in svg and "Per &lt;afdeling&gt;" in svg
    assert "de grootste is &lt;script&gt;x&lt;/script&gt; met 3" in svg and ">1,5</text>" in svg
    assert "style=" not in svg
