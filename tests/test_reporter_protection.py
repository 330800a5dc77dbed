"""The reporter protected (issue 18): the reporter's own words never reach members or packages
while the setting is on (the coordinator's anonymised summary goes instead), the meldpunt says
truthfully who sees the reporter, the reporter hears only what the municipality's feedback level
allows, and the council figures suppress small cells by the reporter's department.

The insider: a member of the casustafel (or an action's owner, or a partner reading a package)
who knows the colleagues' way of writing and looks for the reporter's words with everything their
role can see: the agenda page, the agenda PDF, the action page and the referral package.
"""

import csv
import io
from datetime import date

import pytest
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.meetings import services as meetings
from casustafel.models import AuditEvent, Department, Feedback, Notification, Referral, Signal
from casustafel.referrals import services as referrals
from casustafel.reports import services as reports
from casustafel.reports.pdf import render_yearly
from casustafel.retention import destruction
from casustafel.settings import set_setting
from casustafel.signals import services as signals
from tests.conftest import csrf_from, login
from tests.helpers.meetings import ALL_FIELDS, logged_in, published_scene
from tests.helpers.referrals import create, decide_2b, make_scene, pdf_text

# The reporter's own words, with a turn of phrase a colleague would recognise.
VERBATIM = "Zoals ik áltijd zeg bij de balie van Burgerzaken: ‘ЖМ-кенмерк’ ✶ — Åsa’s kassabon №7"
SUMMARY = "Aanwijzingen voor adresfraude: veel inschrijvingen op één adres (Ĳsselstein)."
MISSING = "Nog geen geanonimiseerde samenvatting"


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def fresh(signal: Signal) -> Signal:
    db.session.expire_all()
    return db.session.get(Signal, signal.id)


def post_summary(client, signal, text, version=None):
    return client.post(f"/meldingen/{signal.id}/samenvatting", data={
        "samenvatting-csrf_token": csrf_from(client.get("/")),
        "samenvatting-version": str(fresh(signal).version if version is None else version),
        "samenvatting-summary": text,
    })


def everything_members_see(app, scene) -> str:
    """The agenda page and the agenda PDF, as the invited member gets them."""
    client = logged_in(app, scene.member)
    page = client.get(f"/overleggen/{scene.meeting.id}/agenda")
    assert page.status_code == 200
    pdf = client.get(f"/overleggen/{scene.meeting.id}/agenda.pdf")
    assert pdf.status_code == 200
    return page.get_data(as_text=True) + pdf_text(pdf.data)


# --- 1. the anonymised summary -------------------------------------------------------------------


def test_members_never_see_the_reporters_words_only_the_summary_once_written(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal, description=VERBATIM)
    seen = everything_members_see(app, scene)
    assert MISSING in seen and "Samenvatting" in seen
    assert "ЖМ-кенмерк" not in seen and "Burgerzaken" not in seen and "✶" not in seen

    coordinator = logged_in(app, scene.coordinator)
    assert post_summary(coordinator, scene.signal, SUMMARY).status_code == 302
    seen = everything_members_see(app, scene)
    assert "veel inschrijvingen op één adres (Ĳsselstein)" in seen
    assert MISSING not in seen and "ЖМ-кенмерк" not in seen and "Burgerzaken" not in seen

    # The coordinator still has the reporter's words in the workspace, and the summary beside them.
    page = coordinator.get(f"/meldingen/{scene.signal.id}").get_data(as_text=True)
    assert "ЖМ-кенмерк" in page and "veel inschrijvingen op één adres" in page


def test_with_the_setting_off_members_see_the_description_as_before(app, make_user, make_signal):
    set_setting("reporter_summary_required", "0")
    db.session.commit()
    scene = published_scene(make_user, make_signal, description=VERBATIM, summary=SUMMARY)
    seen = everything_members_see(app, scene)
    assert "ЖМ-кенмерк" in seen and "Beschrijving" in seen
    assert MISSING not in seen and "veel inschrijvingen" not in seen


def test_an_action_owner_with_check_2b_gets_the_summary_not_the_reporters_words(app, make_user, make_signal):
    from casustafel.privacy.decisions import decide_privacy_check
    from casustafel.privacy.services import open_check
    from tests.helpers.powers import power_ids

    scene = published_scene(make_user, make_signal, description=VERBATIM, summary=SUMMARY)
    officer = make_user("privacy_officer")
    action = meetings.add_action(scene.coordinator, scene.item, type="13b_opiumwet", deadline=date(2100, 1, 1),
                                 owner_id=scene.member.id, description="Bibob-toets voorbereiden")
    decide_privacy_check(officer, open_check(scene.signal, "2B", action=action), approved=True,
                         rationale="Nodig", allowed_fields=ALL_FIELDS, powers=power_ids())
    db.session.commit()
    page = logged_in(app, scene.member).get(f"/acties/{action.id}").get_data(as_text=True)
    assert "veel inschrijvingen op één adres" in page
    assert "ЖМ-кенмерк" not in page and "Burgerzaken" not in page


def test_a_package_with_the_description_waits_for_the_summary_and_never_holds_the_reporters_words(
        app, make_user, make_signal):
    coordinator, officer, signal = make_scene(make_user, make_signal)
    signal.description, signal.summary = VERBATIM, None
    db.session.commit()
    referral = create(app, coordinator, signal, data_categories=["beschrijving", "betrokkenen"])
    decide_2b(referral, ["beschrijving", "betrokkenen"], officer=officer)
    client = logged_in(app, coordinator)
    page = client.get(f"/verstrekkingen/{referral.id}").get_data(as_text=True)
    assert "nog geen geanonimiseerde samenvatting" in page
    assert "Pakket maken en versturen" not in page

    # The service refuses too (a crafted post, or the CLI): nothing is stored, nothing logged as sent.
    with pytest.raises(referrals.ReferralError, match="geanonimiseerde samenvatting"):
        referrals.send_referral(coordinator, referral, store=app.extensions["casustafel_store"],
                                keyring=app.extensions["casustafel_keyring"],
                                render=lambda r, c: pytest.fail("rendered"), today=date.today())
    db.session.rollback()
    response = client.post(f"/verstrekkingen/{referral.id}/versturen",
                           data={"csrf_token": csrf_from(client.get(f"/verstrekkingen/{referral.id}")),
                                 "version": str(db.session.get(Referral, referral.id).version),
                                 "bevestigen": "ja"})
    assert response.status_code == 302
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "De woorden van de melder gaan nooit mee" in flashed
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status == "concept" and not events("referral.sent")

    assert post_summary(client, signal, SUMMARY).status_code == 302
    client.post(f"/verstrekkingen/{referral.id}/versturen",
                data={"csrf_token": csrf_from(client.get(f"/verstrekkingen/{referral.id}")),
                      "version": str(db.session.get(Referral, referral.id).version), "bevestigen": "ja"})
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status == "verstuurd"
    text = pdf_text(client.get(f"/verstrekkingen/{referral.id}/pakket.pdf").data)
    assert "veel inschrijvingen op één adres" in text and "niet de tekst van de melder" in text
    assert "ЖМ" not in text and "Burgerzaken" not in text and "kassabon" not in text


def test_with_the_setting_off_the_package_holds_the_description_as_before(app, make_user, make_signal):
    set_setting("reporter_summary_required", "0")
    coordinator, officer, signal = make_scene(make_user, make_signal)
    signal.description, signal.summary = VERBATIM, None
    db.session.commit()
    referral = create(app, coordinator, signal, data_categories=["beschrijving"])
    decide_2b(referral, ["beschrijving"], officer=officer)
    referrals.send_referral(coordinator, referral, store=app.extensions["casustafel_store"],
                            keyring=app.extensions["casustafel_keyring"],
                            render=lambda r, c: b"%PDF-1.4", today=date.today())
    db.session.commit()
    from casustafel.referrals.pdf import package_view
    view = package_view(referral, ["beschrijving"])
    assert view.description == VERBATIM and not view.summary_only


def test_the_coordinator_writes_the_summary_with_checks_and_a_log_event_without_its_text(
        app, make_user, make_signal):
    coordinator = make_user("coordinator")
    signal = make_signal(make_user("reporter"), description=VERBATIM)
    client = logged_in(app, coordinator)

    empty = post_summary(client, signal, "  \n ")
    assert empty.status_code == 200 and "Schrijf de samenvatting." in empty.get_data(as_text=True)
    copied = post_summary(client, signal, "  " + VERBATIM.replace(" ", "   ") + "\n")
    assert "Dit is de letterlijke beschrijving van de melder" in copied.get_data(as_text=True)
    long = post_summary(client, signal, "Ĳ" * 5001)
    assert "Gebruik hooguit 5000 tekens." in long.get_data(as_text=True)
    assert "Ĳ" * 5001 in long.get_data(as_text=True)  # what was typed is kept
    assert fresh(signal).summary is None and not events("signal.summary_recorded")

    stale = post_summary(client, signal, SUMMARY, version=0)  # a form from before someone else's change
    assert stale.status_code == 409 and fresh(signal).summary is None

    assert post_summary(client, signal, SUMMARY).status_code == 302
    stored = fresh(signal)
    assert stored.summary == SUMMARY and stored.summary_recorded_at is not None
    assert "Ĳsselstein".encode() not in stored.summary_enc  # encrypted at rest
    (event,) = events("signal.summary_recorded")
    assert (event.actor_id, event.object_id) == (coordinator.id, str(signal.id))
    assert "Ĳsselstein" not in " ".join(str(v) for v in vars(event).values())


@pytest.mark.parametrize("role", ["reporter", "member", "privacy_officer", "admin"])
def test_no_other_role_can_write_the_summary(app, make_user, make_signal, role):
    signal = make_signal(make_user("reporter"), description=VERBATIM)
    client = app.test_client()
    user = make_user(role)
    assert login(client, user.email).status_code == 200
    response = client.post(f"/meldingen/{signal.id}/samenvatting", data={
        "samenvatting-csrf_token": csrf_from(client.get("/")), "samenvatting-version": str(signal.version),
        "samenvatting-summary": "Overschreven door een ander"})
    assert response.status_code in (403, 404)
    assert fresh(signal).summary is None


def test_retention_destroys_the_summary_with_the_signal(app, make_signal):
    from datetime import datetime
    signal = make_signal(description=VERBATIM, summary=SUMMARY, status="afgesloten",
                         closed_at=datetime(2020, 1, 1))
    destruction.destroy_signals([signal.id], datetime(2031, 1, 1), date(2026, 1, 1))
    db.session.commit()
    stored = fresh(signal)
    assert stored.summary_enc is None and stored.summary_recorded_at is None and stored.destroyed_at


# --- 2. the unnamed checkbox is gone; the meldpunt says who sees the name -------------------------


def test_the_meldpunt_has_no_unnamed_checkbox_and_says_who_sees_the_reporter(app, make_user):
    client = logged_in(app, make_user("reporter"))
    page = client.get("/meldpunt").get_data(as_text=True)
    assert 'name="reporter_unnamed"' not in page and "anoniem blijven" not in page
    assert "Alleen de regisseur ondermijning ziet wie de melding deed" in page
    assert "zij zien een samenvatting die de regisseur schrijft" in page
    assert "aantallen onder de 5" in page
    set_setting("reporter_summary_required", "0")
    db.session.commit()
    page = client.get("/meldpunt").get_data(as_text=True)
    assert "kunnen uw beschrijving wel letterlijk te zien krijgen" in page
    assert not hasattr(Signal, "reporter_unnamed")


# --- 3. feedback level per municipality ------------------------------------------------------------


@pytest.fixture
def handled(make_user, make_signal):
    """A signal reported by Rik, handed over, with every kind of message the coordinator sent."""
    reporter = make_user("reporter", name="Rik Rapport")
    coordinator = make_user("coordinator")
    signal = make_signal(reporter, description=VERBATIM, status="doorgezet")
    for code in ("ontvangen", "in_behandeling", "doorgezet"):
        db.session.add(Feedback(signal=signal, code=code, sent_by_id=coordinator.id))
    db.session.commit()
    return reporter, coordinator, signal


def reporter_pages(app, reporter, signal) -> str:
    client = logged_in(app, reporter)
    return client.get("/mijn-meldingen").get_data(as_text=True) + client.get(
        f"/mijn-meldingen/{signal.id}").get_data(as_text=True)


def test_feedback_level_statuses_shows_status_and_every_message_as_today(app, handled):
    reporter, _, signal = handled
    pages = reporter_pages(app, reporter, signal)
    assert "Doorgezet" in pages and "Uw melding is doorgezet naar een andere partij." in pages
    assert "Uw melding is in behandeling genomen." in pages


def test_feedback_level_standard_shows_only_the_fixed_texts(app, handled):
    set_setting("feedback_level", "standaard")
    db.session.commit()
    reporter, _, signal = handled
    pages = reporter_pages(app, reporter, signal)
    assert "Uw melding is afgehandeld" in pages and "Uw melding is in behandeling genomen." in pages
    assert "Uw melding is ontvangen." in pages
    assert "Doorgezet" not in pages and "doorgezet naar een andere partij" not in pages


def test_feedback_level_none_shows_only_received(app, handled):
    set_setting("feedback_level", "geen")
    db.session.commit()
    reporter, _, signal = handled
    pages = reporter_pages(app, reporter, signal)
    assert "Uw melding is ontvangen" in pages
    for hidden in ("Doorgezet", "doorgezet naar", "in behandeling", "afgehandeld"):
        assert hidden not in pages, hidden


@pytest.mark.parametrize(("level", "offered", "refused"), [
    ("statussen", ["ontvangen", "in_behandeling", "afgesloten", "doorgezet"], "afgehandeld"),
    ("standaard", ["in_behandeling", "afgehandeld"], "doorgezet"),
    ("geen", [], "in_behandeling"),
])
def test_the_coordinator_can_send_only_what_the_level_allows_and_mails_follow(app, handled, level, offered, refused):
    set_setting("feedback_level", level)
    db.session.commit()
    reporter, coordinator, signal = handled
    client = logged_in(app, coordinator)
    page = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    form = page.split(f'action="/meldingen/{signal.id}/terugkoppeling"')[1].split("</form>")[0] \
        if offered else ""
    for code in ("ontvangen", "in_behandeling", "afgesloten", "doorgezet", "afgehandeld"):
        assert (f'value="{code}"' in form) == (code in offered), code
    if level == "geen":
        assert "de melder geen terugkoppeling krijgt" in page

    before = len(events("feedback.sent"))
    response = client.post(f"/meldingen/{signal.id}/terugkoppeling", data={
        "terugkoppeling-csrf_token": csrf_from(client.get("/")), "terugkoppeling-code": refused})
    assert response.status_code == 200 and len(events("feedback.sent")) == before
    with pytest.raises(signals.FeedbackNotAllowedError):
        signals.send_feedback(coordinator, signal, refused)
    db.session.rollback()
    assert not db.session.scalars(select(Notification).where(Notification.recipient_id == reporter.id)).all()

    if offered:
        code = offered[-1] if level != "statussen" else "in_behandeling"
        response = client.post(f"/meldingen/{signal.id}/terugkoppeling", data={
            "terugkoppeling-csrf_token": csrf_from(client.get("/")), "terugkoppeling-code": code})
        assert response.status_code == 302
        (mail,) = db.session.scalars(select(Notification).where(Notification.recipient_id == reporter.id)).all()
        assert "nieuws" in mail.body and "afgehandeld" not in mail.body and "behandeling" not in mail.body


def test_a_question_reaches_the_reporter_at_every_level(app, make_user, make_signal):
    set_setting("feedback_level", "geen")
    reporter = make_user("reporter")
    coordinator = make_user("coordinator")
    signal = make_signal(reporter, status="intake")
    signals.ask_question(coordinator, signal, "Welke dag was het?")
    db.session.commit()
    page = logged_in(app, reporter).get(f"/mijn-meldingen/{signal.id}").get_data(as_text=True)
    assert "Welke dag was het?" in page and "Antwoord versturen" in page
    assert db.session.scalars(select(Notification).where(Notification.recipient_id == reporter.id)).all()


def test_the_admin_sets_the_protection_and_the_level_and_it_is_logged(app, make_user):
    admin = make_user("admin")
    client = logged_in(app, admin)
    page = client.get("/beheer/instellingen").get_data(as_text=True)
    assert "Bescherming van de melder" in page and "Terugkoppeling aan de melder" in page
    data = {"csrf_token": csrf_from(client.get("/beheer/instellingen")), "feedback_level": "standaard",
            "waiting_too_long_days": "10", "audit_bulk_reads_per_hour": "100", "audit_office_hours_start": "7",
            "audit_office_hours_end": "19"}  # reporter_summary_required unticked: switched off
    assert client.post("/beheer/instellingen", data=data).status_code == 302
    from casustafel.settings import feedback_level, reporter_summary_required
    assert feedback_level() == "standaard" and reporter_summary_required() is False
    changed = {e.object_id for e in events("setting.changed")}
    assert {"feedback_level", "reporter_summary_required"} <= changed
    bad = client.post("/beheer/instellingen", data={**data, "feedback_level": "alles",
                                                    "csrf_token": csrf_from(client.get("/beheer/instellingen"))})
    assert bad.status_code == 200 and feedback_level() == "standaard"


# --- 4. council figures suppress small cells --------------------------------------------------------


def cells(rows):
    return {r.label: r.shown for r in rows}


def count(label, n):
    return reports.Count(label, label, n)


def test_suppression_rule_small_cells_and_the_next_smallest_when_one_alone():
    # One small cell (3) among big ones: the next-smallest (6) goes too, or total − others = 3.
    rows = reports.suppress_small([count("A", 40), count("B", 6), count("C", 3), count("D", 12)])
    assert cells(rows) == {"A": 40, "B": "< 5", "C": "< 5", "D": 12}
    # Two small cells protect each other; nothing else is suppressed.
    assert cells(reports.suppress_small([count("A", 40), count("B", 1), count("C", 4)])) == \
        {"A": 40, "B": "< 5", "C": "< 5"}
    # A zero may serve as the second cell ("< 5" is true of it); otherwise zeros stay 0.
    assert cells(reports.suppress_small([count("A", 40), count("B", 2), count("C", 0), count("D", 0)])) == \
        {"A": 40, "B": "< 5", "C": "< 5", "D": 0}
    # 5 is shown; no small cell, nothing suppressed.
    assert cells(reports.suppress_small([count("A", 5), count("B", 0)])) == {"A": 5, "B": 0}
    # "Geen afdeling bekend" follows from the channel table, so it never counts as the second cell.
    none = reports.Count(reports.NONE_KEY, "Geen afdeling bekend", 2)
    rows = reports.suppress_small([count("A", 40), count("B", 3), none, count("C", 9)])
    assert cells(rows) == {"A": 40, "B": "< 5", "Geen afdeling bekend": "< 5", "C": "< 5"}
    # Suppressed cells come last, by name: their order would tell their sizes.
    assert [r.label for r in rows] == ["A", "B", "C", "Geen afdeling bekend"]


def test_no_suppressed_cell_can_be_reconstructed_from_the_total():
    for raw in ([40, 6, 3, 12], [1, 50], [4, 4, 30], [2, 0, 0, 7], [3, 3, 3, 3], [9, 1]):
        rows = reports.suppress_small([count(chr(65 + i), n) for i, n in enumerate(raw)])
        hidden = [r for r in rows if r.suppressed]
        assert all(r.suppressed for r in rows if 0 < r.count < reports.SMALL_CELL), raw
        assert len(hidden) != 1, raw  # total − shown cells gives a lone hidden cell away


@pytest.fixture
def council(make_user, make_signal):
    """Signals this year from Belastingen (23), Burgerzaken (3) and Handhaving (9)."""
    coordinator = make_user("coordinator")
    depts = {}
    for name in ("Belastingen", "Burgerzaken", "Handhaving"):
        dept = db.session.scalar(select(Department).where(Department.name == name))
        if dept is None:
            dept = Department(name=name)
            db.session.add(dept)
            db.session.flush()
        depts[name] = dept
    for name, n in (("Belastingen", 23), ("Burgerzaken", 3), ("Handhaving", 9)):
        for i in range(n):
            make_signal(description=f"{name} {i}", reporter_department_id=depts[name].id)
    others = db.session.scalars(select(Department).where(Department.name.not_in(list(depts)))).all()
    for other in others:
        other.active = False
    db.session.commit()
    return coordinator


def test_council_figures_suppress_small_cells_in_page_csv_and_pdf(app, council):
    client = logged_in(app, council)
    page = client.get("/cijfers/").get_data(as_text=True)
    section = page.split("Meldingen per afdeling van de melder", 1)[1].split("Meldingen per uitkomst")[0]
    assert "Burgerzaken" in section and "Handhaving" in section and "&lt; 5" in section
    assert ">3<" not in section and ">9<" not in section and ">23<" in section
    assert "35 meldingen" in page  # the total stays; 35 − 23 gives only Burgerzaken + Handhaving together

    csv_rows = list(csv.reader(io.StringIO(client.get("/cijfers/export.csv").data.decode("utf-8-sig")), delimiter=";"))
    departments = {row[1]: row[2] for row in csv_rows if row and row[0] == "Afdeling melder"}
    assert departments == {"Belastingen": "23", "Burgerzaken": "< 5", "Handhaving": "< 5"}

    text = pdf_text(render_yearly(date.today().year))
    part = text.split("Meldingen per afdeling van de melder", 1)[1].split("Meldingen per uitkomst")[0]
    assert "Burgerzaken < 5" in part and "Handhaving < 5" in part and "Belastingen 23" in part
    assert "Burgerzaken 3" not in part and "Handhaving 9" not in part
