"""The coordinator's start page is a worklist (issue 19): upcoming meetings with their agenda
cut-off and the checks 2A that block publishing, partners' feedback that is late, new answers
from reporters, overdue actions and the coordinator's own open signals waiting longest. Each
entry links to its page; each list is bounded and costs the same number of queries whatever
its length; other roles see none of it. Notifications link to what they are about.
"""

import re
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from casustafel.dates import from_local, long_date, utcnow
from casustafel.extensions import db
from casustafel.models import (
    AgendaItem,
    AuditEvent,
    InformationRequest,
    Meeting,
    MonitoringPeriod,
    Notification,
    Partner,
    PrivacyCheck,
    Referral,
    SignalEvent,
)
from tests.conftest import TODAY, csrf_from
from tests.helpers.queries import statements_of

pytestmark = pytest.mark.usefixtures("pinned_day")

BLOCKS = ("Terugkoppeling van partners te laat", "Nieuwe antwoorden van melders", "Uw meldingen als regisseur",
          'id="werk-overleggen"', "Alle overleggen")


def text_of(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", page).split())


def block(page: str, heading: str) -> str:
    """The part of the page from a worklist heading to the next heading."""
    return re.split(r"<h[23] ", page.split(f">{heading}</h3>", 1)[1], maxsplit=1)[0]


def log_out(client, page) -> None:
    client.post("/uitloggen", data={"csrf_token": csrf_from(page)})


def meeting(days: int, status: str = "concept", cutoff_days: int | None = None) -> Meeting:
    made = Meeting(held_at=from_local(datetime.combine(TODAY + timedelta(days=days), time(14, 30))), status=status,
                   agenda_cutoff=TODAY + timedelta(days=cutoff_days) if cutoff_days is not None else None)
    db.session.add(made)
    db.session.flush()
    return made


def on_agenda(made: Meeting, signal, decided: bool | None) -> None:
    """An agenda item; its check 2A decided (True), open (False) or never asked (None)."""
    db.session.add(AgendaItem(meeting_id=made.id, signal_id=signal.id))
    if decided is not None:
        db.session.add(PrivacyCheck(signal_id=signal.id, kind="2A", meeting_id=made.id,
                                    status="besloten" if decided else "open",
                                    approved=True if decided else None, decided_at=utcnow() if decided else None))


def referral(signal, due_days: int, status: str = "verstuurd", answered: bool = False) -> Referral:
    partner = db.session.scalar(select(Partner).order_by(Partner.position, Partner.id))
    made = Referral(signal_id=signal.id, partner_id=partner.id, status=status, legal_ground="avg_6_1_e_riec",
                    legal_ground_text="art. 6 lid 1 sub e AVG", data_categories=["fenomeen"],
                    sent_on=TODAY - timedelta(days=30), feedback_due=TODAY + timedelta(days=due_days),
                    answered_on=TODAY if answered else None)
    db.session.add(made)
    return made


def answered(signal, days_ago: float, *, changed_after: bool = False) -> InformationRequest:
    """A question the reporter answered `days_ago`, with the status change the answer made; and
    optionally a later status change by the coordinator."""
    moment = utcnow() - timedelta(days=days_ago)
    question = InformationRequest(signal_id=signal.id, asked_at=moment - timedelta(days=1), answered_at=moment)
    question.question = "Welke dagen zag u de busjes?"
    question.answer = "Maandag en donderdag, rond middernacht — bij café ’t Hoekje."
    db.session.add(question)
    db.session.add(SignalEvent(signal_id=signal.id, occurred_at=moment, from_status="aanvulling_gevraagd",
                               to_status=signal.status, reason_code="aanvulling_ontvangen"))
    if changed_after:
        db.session.add(SignalEvent(signal_id=signal.id, occurred_at=moment + timedelta(hours=2),
                                   from_status=signal.status, to_status=signal.status))
    return question


def status_changed(signal, days_ago: int) -> None:
    db.session.add(SignalEvent(signal_id=signal.id, occurred_at=utcnow() - timedelta(days=days_ago),
                               from_status="ingediend", to_status=signal.status))


@pytest.fixture
def world(make_user, make_signal):
    me = make_user("coordinator", name="Renée van ’t Regisseur")
    colleague = make_user("coordinator", name="Otto Ander")
    old = utcnow() - timedelta(days=90)

    def signal(**fields):
        fields.setdefault("received_at", old)
        return make_signal(description="KANARIE-omschrijving", person=("Kanarie Vogelaar", "1970-01-01"), **fields)

    # Meetings: next week with one check 2A open, one decided and one never asked; in six weeks
    # (published); in seven weeks, yesterday and a closed one are not listed.
    agenda = [signal(status="geagendeerd") for _ in range(3)]
    soon = meeting(7, cutoff_days=3)
    on_agenda(soon, agenda[0], decided=False)
    on_agenda(soon, agenda[1], decided=True)
    on_agenda(soon, agenda[2], decided=None)
    six_weeks = meeting(42, status="gepubliceerd", cutoff_days=35)
    seven_weeks = meeting(49)
    yesterday = meeting(-1)
    closed_meeting = meeting(2, status="gesloten")

    # Referrals: a day late; due tomorrow, answered or finished are not late.
    late_signal, tomorrow_signal, answered_signal, done_signal = (signal(status="doorgezet") for _ in range(4))
    late = referral(late_signal, -1, status="in_behandeling")
    referral(tomorrow_signal, 1)
    referral(answered_signal, -5, answered=True)
    referral(done_signal, -5, status="afgerond")

    # Answers: mine and an unowned one, unchanged since; one changed after, one too old, a colleague's.
    my_answer = signal(status="intake", owner_id=me.id)
    answered(my_answer, 2)
    unowned_answer = signal(status="weging")
    answered(unowned_answer, 1)
    changed = signal(status="intake", owner_id=me.id)
    answered(changed, 3, changed_after=True)
    too_old = signal(status="intake", owner_id=me.id)
    answered(too_old, 20)
    colleagues_answer = signal(status="intake", owner_id=colleague.id)
    answered(colleagues_answer, 1)

    # Mine, open: waiting 60 days, 5 days, none (receipt 90 days ago); closed and a colleague's not listed.
    waiting_long = signal(status="intake", owner_id=me.id)
    status_changed(waiting_long, 60)
    waiting_short = signal(status="bronnenonderzoek", owner_id=me.id, next_step=None)
    status_changed(waiting_short, 5)
    never_changed = signal(status="ingediend", owner_id=me.id, received_at=utcnow() - timedelta(days=80))
    closed = signal(status="afgesloten", owner_id=me.id, closing_reason="geen_hit", closed_at=old)
    status_changed(closed, 70)
    colleagues = signal(status="intake", owner_id=colleague.id)
    status_changed(colleagues, 100)
    db.session.commit()
    return {
        "me": me, "colleague": colleague, "soon": soon, "six_weeks": six_weeks, "seven_weeks": seven_weeks,
        "yesterday": yesterday, "closed_meeting": closed_meeting, "late": late, "late_signal": late_signal,
        "not_late": [tomorrow_signal, answered_signal, done_signal],
        "my_answer": my_answer, "unowned_answer": unowned_answer,
        "not_answers": [changed, too_old, colleagues_answer],
        "waiting_long": waiting_long, "waiting_short": waiting_short, "never_changed": never_changed,
        "closed": closed, "colleagues": colleagues,
    }


def test_upcoming_meetings_show_time_cutoff_and_the_checks_2a_that_block_publishing(client, login_as, world):
    page = login_as(world["me"]).get("/").get_data(as_text=True)
    meetings = block(page, "Komende overleggen")
    rows = [text_of(r) for r in re.findall(r"<tr class=\"utrecht-table__row\">(.*?)</tr>", meetings.split("<tbody")[1],
                                           re.S)]
    assert len(rows) == 2
    soon, six_weeks = rows
    assert soon.startswith(long_date(world["soon"].held_at, weekday=True, time=True))
    assert "om 14:30" in soon and long_date(TODAY + timedelta(days=3)) in soon
    # One open, one never asked: two items wait for check 2A; the decided one does not.
    assert "2 toetsen nog niet besloten" in soon and "kan nog niet worden gepubliceerd" in soon
    assert "Agenda gepubliceerd" in six_weeks and "Geen open toetsen" in six_weeks
    for hidden in ("seven_weeks", "yesterday", "closed_meeting"):
        assert f'/overleggen/{world[hidden].id}"' not in page, hidden
    assert f'href="/overleggen/{world["soon"].id}"' in meetings


def test_one_open_check_is_counted_in_the_singular(client, login_as, world):
    db.session.add(PrivacyCheck(signal_id=world["soon"].items[2].signal_id, kind="2A", meeting_id=world["soon"].id,
                                status="besloten", approved=False, decided_at=utcnow()))
    db.session.commit()
    soon = text_of(block(login_as(world["me"]).get("/").get_data(as_text=True), "Komende overleggen"))
    assert "1 toets nog niet besloten" in soon  # a refusal is a decision too


def test_late_partner_feedback_lists_only_sent_unanswered_referrals_past_their_date(client, login_as, world):
    page = login_as(world["me"]).get("/").get_data(as_text=True)
    late = block(page, "Terugkoppeling van partners te laat")
    text = text_of(late)
    assert "1 verstrekking waarvan de gevraagde terugkoppeling uitblijft" in text
    assert f'href="/verstrekkingen/{world["late"].id}"' in late
    assert world["late_signal"].reference in text and "In behandeling bij partner" in text
    assert (TODAY - timedelta(days=1)).strftime("%d-%m-%Y") in text
    for signal in world["not_late"]:
        assert signal.reference not in late


def test_new_answers_are_mine_or_unowned_and_unchanged_since(client, login_as, world):
    page = login_as(world["me"]).get("/").get_data(as_text=True)
    answers = block(page, "Nieuwe antwoorden van melders")
    assert "2 antwoorden uit de laatste 14 dagen" in text_of(answers)
    references = re.findall(r'href="/meldingen/([^"]+)">([^<]+)</a>', answers)
    # Newest answer first: the unowned one (a day ago), then mine (two days ago).
    assert [ref for _, ref in references] == [world["unowned_answer"].reference, world["my_answer"].reference]
    for signal in world["not_answers"]:
        assert signal.reference not in answers
    assert "Maandag en donderdag" not in page and "busjes" not in page  # no question, no answer


def test_the_colleague_sees_their_own_answer_and_not_mine(client, login_as, world):
    answers = block(login_as(world["colleague"]).get("/").get_data(as_text=True), "Nieuwe antwoorden van melders")
    assert world["not_answers"][2].reference in answers and world["unowned_answer"].reference in answers
    assert world["my_answer"].reference not in answers


def test_my_open_signals_wait_longest_first_and_not_closed_or_a_colleagues(client, login_as, world):
    page = login_as(world["me"]).get("/")
    mine = block(page.get_data(as_text=True), "Uw meldingen als regisseur")
    references = [ref for _, ref in re.findall(r'href="/meldingen/([^"]+)">([^<]+)</a>', mine)]
    order = [world[k].reference for k in ("never_changed", "waiting_long")]
    assert references[:2] == order  # received 80 days ago without a change, then changed 60 days ago
    assert references.index(world["waiting_long"].reference) < references.index(world["waiting_short"].reference)
    assert world["closed"].reference not in mine and world["colleagues"].reference not in mine
    # The answered ones (mine, open) count too: 3 answered + 3 waiting.
    assert "6 open meldingen met u als regisseur" in text_of(mine)
    log_out(client, page)
    assert world["colleagues"].reference in block(login_as(world["colleague"]).get("/").get_data(as_text=True),
                                                  "Uw meldingen als regisseur")


def test_at_most_ten_are_shown_and_the_total_is_told(client, login_as, make_signal, world):
    for _ in range(12):
        make_signal(status="intake", owner_id=world["me"].id)
    db.session.commit()
    mine = block(login_as(world["me"]).get("/").get_data(as_text=True), "Uw meldingen als regisseur")
    assert len(re.findall(r'href="/meldingen/', mine)) == 10
    assert "18 open meldingen met u als regisseur" in text_of(mine) and "(de eerste 10)" in mine


def test_every_link_of_the_worklist_opens_for_the_coordinator(client, login_as, world):
    client = login_as(world["me"])
    page = client.get("/").get_data(as_text=True)
    section = page.split('id="regie-titel"', 1)[1].split("</section>", 1)[0]
    links = set(re.findall(r'href="(/[^"]*)"', section))
    assert {f"/overleggen/{world['soon'].id}", f"/verstrekkingen/{world['late'].id}",
            f"/meldingen/{world['my_answer'].id}", f"/meldingen/{world['waiting_long'].id}", "/overleggen/"} <= links
    for href in sorted(links):
        assert client.get(href.replace("&amp;", "&")).status_code == 200, href


def test_empty_worklist_says_so_in_dutch(client, login_as, make_user):
    client = login_as(make_user("coordinator"))
    page = client.get("/").get_data(as_text=True)
    text = text_of(page)
    for empty in ("Geen overleggen in de komende 6 weken.",
                  "Geen verstrekkingen waarvan de terugkoppeling te laat is.",
                  "Geen nieuwe antwoorden van melders.",
                  "Geen open meldingen met u als regisseur."):
        assert empty in text
    assert "melding(en)" not in text and "app-table-scroll" not in page
    # Nothing listed, nothing logged as a listing.
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "signal.listed")).all()


def test_the_page_is_logged_as_a_listing_only_when_it_lists_signals(client, login_as, make_user, world):
    def listed() -> int:
        return len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "signal.listed")).all())

    client = login_as(world["me"])  # logging in lands on the start page
    before = listed()
    page = client.get("/")
    assert listed() == before + 1  # one event per view of the page
    logged = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "signal.listed")
                                .order_by(AuditEvent.seq.desc())).first()
    assert logged.actor_id == world["me"].id and logged.object_id is None
    log_out(client, page)
    before = listed()
    login_as(make_user("privacy_officer")).get("/")
    assert listed() == before


def test_the_worklist_costs_the_same_number_of_queries_however_long(client, login_as, make_user, make_signal):
    me = make_user("coordinator")
    client = login_as(me)

    def statements() -> int:
        return len(statements_of(client, "/"))

    def grow(n):
        """n more rows in every list: a signal of mine with a new answer, a late referral, a
        meeting with an item waiting for check 2A."""
        for i in range(n):
            mine = make_signal(status="intake", owner_id=me.id)
            answered(mine, 1)
            referral(make_signal(status="doorgezet"), -2)
            made = meeting(10 + i % 30)
            on_agenda(made, make_signal(status="geagendeerd"), decided=False)
        db.session.commit()

    grow(2)
    few = statements()
    grow(7)  # nine rows in each list: no query per row
    assert statements() == few
    grow(20)  # past every limit: at most one count per list more, and no more than that however long
    many = statements()
    assert many <= few + 3
    grow(15)
    assert statements() == many


@pytest.mark.parametrize("role", ["member", "reporter", "admin", "privacy_officer"])
def test_other_roles_see_none_of_the_coordinators_worklist(client, login_as, make_user, world, role):
    page = login_as(make_user(role)).get("/").get_data(as_text=True)
    for heading in BLOCKS:
        assert heading not in page, heading
    for key in ("late_signal", "my_answer", "unowned_answer", "waiting_long", "never_changed"):
        assert world[key].reference not in page
    assert f"/overleggen/{world['soon'].id}" not in page


def test_the_reporters_waiting_question_stays_on_their_start_page(client, login_as, make_user, make_signal):
    reporter = make_user("reporter")
    signal = make_signal(reporter, status="aanvulling_gevraagd", status_before_question="intake")
    question = InformationRequest(signal_id=signal.id)
    question.question = "Welke dagen?"
    db.session.add(question)
    db.session.commit()
    page = login_as(reporter).get("/").get_data(as_text=True)
    assert "Er wacht een vraag" in page and f'href="/mijn-meldingen/{signal.id}"' in page
    assert "Uw meldingen als regisseur" not in page


# --- notifications link to what they are about (content-free: an id in the path only) ---------


PUBLIC = "https://casustafel.gemeente.test"


@pytest.fixture
def public_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC + "/")


def bodies(recipient=None) -> list[str]:
    db.session.expire_all()
    stmt = select(Notification)
    if recipient is not None:
        stmt = stmt.where(Notification.recipient_id == recipient.id)
    return [n.body for n in db.session.scalars(stmt)]


def test_an_answer_tells_the_signals_coordinator_with_a_link(client, login_as, make_user, make_signal, public_url):
    owner, other = make_user("coordinator"), make_user("coordinator")
    reporter = make_user("reporter")
    signal = make_signal(reporter, status="aanvulling_gevraagd", status_before_question="intake", owner_id=owner.id)
    question = InformationRequest(signal_id=signal.id)
    question.question = "Welke dagen?"
    db.session.add(question)
    db.session.commit()
    client = login_as(reporter)
    url = f"/mijn-meldingen/{signal.id}"
    answer = "Maandag — bij café ’t Hoekje"
    assert client.post(url, data={"answer": answer, "csrf_token": csrf_from(client.get(url))}).status_code == 302

    (body,) = bodies(owner)
    assert body.endswith(f"{PUBLIC}/meldingen/{signal.id}")
    assert signal.reference not in body and "Hoekje" not in body and "Welke" not in body
    assert bodies(other) == [] and bodies(reporter) == []
    # And the answer stands on the owner's start page.
    log_out(client, client.get("/"))
    assert signal.reference in block(login_as(owner).get("/").get_data(as_text=True), "Nieuwe antwoorden van melders")


def test_an_answer_on_a_signal_without_a_coordinator_tells_every_coordinator(client, login_as, make_user,
                                                                              make_signal, public_url):
    first, second = make_user("coordinator"), make_user("coordinator")
    make_user("coordinator", active=False)
    reporter = make_user("reporter")
    signal = make_signal(reporter, status="aanvulling_gevraagd", status_before_question="intake")
    db.session.add(InformationRequest(signal_id=signal.id))
    db.session.commit()
    client = login_as(reporter)
    url = f"/mijn-meldingen/{signal.id}"
    client.post(url, data={"answer": "Ja.", "csrf_token": csrf_from(client.get(url))})
    assert len(bodies()) == 2 and bodies(first) == bodies(second) == [f"{bodies(first)[0]}"]
    assert bodies(first)[0].endswith(f"/meldingen/{signal.id}")


def test_a_monitoring_reminder_links_to_the_case_or_to_the_filtered_inbox(app, make_user, make_signal, public_url):
    from casustafel.signals import plan_services

    coordinator = make_user("coordinator")
    ended = make_signal(status="monitoring")
    db.session.add(MonitoringPeriod(signal_id=ended.id, number=1, ends_on=TODAY - timedelta(days=1)))
    db.session.commit()
    assert plan_services.remind(None, TODAY) == (1, 1)
    (body,) = bodies(coordinator)
    assert body.endswith(f"{PUBLIC}/meldingen/{ended.id}") and ended.reference not in body

    db.session.query(Notification).delete()
    for _ in range(2):
        more = make_signal(status="monitoring")
        db.session.add(MonitoringPeriod(signal_id=more.id, number=1, ends_on=TODAY - timedelta(days=2)))
    db.session.commit()
    assert plan_services.remind(None, TODAY + timedelta(days=1))[0] == 3
    (body,) = bodies(coordinator)
    assert body.endswith(f"{PUBLIC}/meldingen?status=monitoring")


def test_a_long_open_reminder_links_to_the_page_to_close_or_justify(app, make_user, make_signal, public_url):
    from casustafel.retention import services

    coordinator = make_user("coordinator")
    idle = make_signal(status="in_aanpak", received_at=utcnow() - timedelta(days=800))
    db.session.commit()
    later = utcnow() + timedelta(days=800)
    assert services.remind_long_open(None, later) == (1, 1)
    (body,) = bodies(coordinator)
    assert body.endswith(f"{PUBLIC}/bewaren/lang-open/{idle.id}") and idle.reference not in body
