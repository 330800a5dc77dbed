"""Fixtures: an app on SQLite (or TEST_DATABASE_URL), clean tables per test, users per role."""

import contextvars
import os
import re
from datetime import date, datetime

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from freezegun import freeze_time
from hypothesis import HealthCheck, settings
from sqlalchemy import select, text

from casustafel import create_app
from casustafel.extensions import db, limiter
from casustafel.keys import verify_keyring
from config import TestConfig

# Fixtures that several test modules share live with their helpers.
pytest_plugins = ("tests.helpers.referrals", "tests.helpers.rotation", "tests.helpers.signals")

PASSWORD = "correct horse battery staple"
# A UUID in text: random hex, so a test looking for digits (a birth year) in a page or a log row
# strips them first.
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ROLES = ("reporter", "member", "coordinator", "privacy_officer", "admin")
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

# The property tests check correctness, never speed. Hypothesis' per-example deadline
# (200 ms) and its too-slow health check fail a test when a loaded machine deschedules one
# example ("Unreliable test timings" once the rerun is fast): off for the whole suite.
# Derandomized: the same examples on every run, so a CI run passes or fails on the code, never on
# the draw (one CI run drew a house-number case no run before had: now an @example of its test).
settings.register_profile("casustafel", deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("casustafel")

# The day the suite started. Tests that put dates they compute (today, tomorrow, overdue,
# this year) next to dates the app computes run on this day, on a clock pinned to its noon
# that keeps ticking (the pinned_day fixture). Otherwise a suite that runs past midnight,
# or a test that straddles it, sees two different days: a module constant computed at
# import says yesterday, or the app's "today" is the test's "tomorrow".
TODAY = date.today()


@pytest.fixture
def pinned_day():
    """Run the test on TODAY, from 12:00 (UTC, also TODAY in the Netherlands) with time moving on.

    Request it before the fixtures that make data (`pytestmark = pytest.mark.usefixtures(
    "pinned_day")` does), so that users, sessions and records share the pinned clock.
    """
    with freeze_time(datetime.combine(TODAY, datetime.min.time()).replace(hour=12), tick=True):
        yield


# The default lists inserted by the migrations.
SEEDED_TABLES = ("phenomenon", "indicator", "partner", "power", "weighing_criterion", "source_register",
                 "legal_ground", "processing_activity", "blind_index_width")
_seed_rows: dict[str, list[dict]] = {}


def _snapshot_seeds() -> None:
    with db.engine.connect() as conn:
        for name in SEEDED_TABLES:
            table = db.metadata.tables[name]
            _seed_rows[name] = [dict(row._mapping) for row in conn.execute(table.select())]


def _reset_database() -> None:
    """Empty every table, restore the seeded lists and reset the audit chain head."""
    engine = db.engine
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))  # skip the append-only trigger
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(
            text("INSERT INTO audit_head (id, last_seq, last_mac) VALUES (1, 0, :mac)"),
            {"mac": "0" * 64},
        )
        for table in db.metadata.sorted_tables:
            if _seed_rows.get(table.name):
                conn.execute(table.insert(), _seed_rows[table.name])


class FreshContextClient(FlaskClient):
    """Run every request in its own app context, as in production.

    The tests keep an app context open for fixtures; without this, requests would share
    its `g` (CSRF token cache, request id) and its database session.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    files = tmp_path_factory.mktemp("files")

    class SuiteConfig(TestConfig):
        ATTACHMENT_DIR = str(files / "attachments")  # never the repository's instance/
        UPLOAD_TMP_DIR = str(files / "uploads-tmp")

    app = create_app(SuiteConfig)
    app.test_client_class = FreshContextClient
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        _snapshot_seeds()
        _reset_database()
    yield app


@pytest.fixture(autouse=True)
def _clean(app):
    with app.app_context():
        verify_keyring(app.extensions["casustafel_keyring"])
        limiter.reset()
        yield
        db.session.remove()
        _reset_database()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    """Create a user with the given role(s); the password is PASSWORD."""
    from casustafel.admin.services import create_user

    counter = iter(range(1, 10_000))

    def make(*roles, email=None, name=None, **fields):
        roles = roles or ("reporter",)
        n = next(counter)
        user = create_user(
            None,
            email or f"{'-'.join(roles)}{n}@gemeente.test",
            name or f"Test {roles[0]} {n}",
            roles,
            PASSWORD,
            must_change_password=False,
        )
        for key, value in fields.items():
            setattr(user, key, value)
        db.session.commit()
        return user

    return make


def status_events(signal_id) -> list:
    """The signal's status events in the order they happened.

    Two transitions in one request are flushed together and can carry the same timestamp
    (microseconds, wall clock), so ORDER BY occurred_at alone may return them either way.
    Each event starts where the previous one ended (from_status → to_status): follow that
    chain, and check that time never runs backwards along it.
    """
    from sqlalchemy import select

    from casustafel.models import SignalEvent

    events = list(db.session.scalars(select(SignalEvent).where(SignalEvent.signal_id == signal_id)))
    ended = {e.to_status for e in events}
    chain = [e for e in events if e.from_status is None or e.from_status not in ended]
    assert len(chain) == 1, [(e.from_status, e.to_status) for e in events]
    events.remove(chain[0])
    while events:
        (step,) = [e for e in events if e.from_status == chain[-1].to_status]
        events.remove(step)
        chain.append(step)
    assert [e.occurred_at for e in chain] == sorted(e.occurred_at for e in chain)
    return chain


def csrf_from(response) -> str:
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, email, password=PASSWORD, follow=True):
    token = csrf_from(client.get("/inloggen"))
    return client.post(
        "/inloggen",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=follow,
    )


def post_form(client, url, data=None, from_url="/", **kwargs):
    """POST with a CSRF token taken from a page the user can see."""
    payload = {"csrf_token": csrf_from(client.get(from_url))}
    payload.update(data or {})
    return client.post(url, data=payload, **kwargs)


@pytest.fixture
def login_as(client):
    def do(user):
        response = login(client, user.email)
        assert response.status_code == 200
        return client

    return do


@pytest.fixture
def make_signal(app):
    """Create a stored signal (with one person, one address and optionally an attachment).

    A signal made in bronnenonderzoek has weging 4 for the casustafel behind it (it may go on
    an agenda) unless `next_step=None`."""
    import io

    from casustafel import linking
    from casustafel.models import TO_CASE_MEETING, Assessment, Attachment, Location, Signal, Subject
    from casustafel.signals.services import next_reference

    def make(reporter=None, *, description="Beschrijving", person=("Jan Jansen", "1980-01-02"),
             address=("1234 AB", "1"), attachment: bytes | None = None, channel="meldpunt",
             next_step=TO_CASE_MEETING, **fields):
        signal = Signal(reference=next_reference(), channel=channel, status=fields.pop("status", "ingediend"))
        signal.description = description
        if reporter is not None:
            signal.reporter_id = reporter.id
            signal.registered_by_id = reporter.id
        for key, value in fields.items():
            setattr(signal, key, value)
        if person:
            subject = Subject(kind="persoon", role="vermoedelijk_betrokkene", position=0)
            signal.subjects.append(subject)
            subject.name, subject.birth_date = person
            linking.index_subject(subject)
        if address:
            location = Location(position=0)
            signal.locations.append(location)
            location.postcode, location.house_number = address
            linking.index_location(location)
        if attachment is not None:
            store = app.extensions["casustafel_store"]
            item = Attachment(content_type="application/pdf", size=len(attachment))
            item.filename = "bijlage.pdf"
            stored = store.save(item.id, io.BytesIO(attachment), app.extensions["casustafel_keyring"])
            item.wrapped_key, item.digest = stored.wrapped_key, stored.digest
            signal.attachments.append(item)
        db.session.add(signal)
        if signal.status == "bronnenonderzoek" and next_step:
            db.session.flush()
            weighing = Assessment(signal_id=signal.id, kind="vervolgstap", outcome=next_step,
                                  answers={"hits": True, "actueel": True})
            weighing.rationale = "Twee hits, recent."
            db.session.add(weighing)
        db.session.commit()
        return signal

    return make


# --- complete, hostile data ----------------------------------------------------------------

HOSTILE_TEXT = ("Zoë’s café <script>alert('x')</script> <b>vet</b> \"><img src=x> =HYPERLINK(\"http://x\") "
                "+31 @som -1 מידע עברית نص عربي 漢字 👩‍👩‍👧 e\u0301 zero\u200bwidth ")


ROLES_OF_SUBJECTS = ("vermoedelijk_betrokkene", "eigenaar", "huurder", "bestuurder", "mogelijk_slachtoffer")


def build_complete_signal(reporter, coordinator, officer, *, subjects: int = 20, locations: int = 20):
    """A signal with every optional field filled at its limits, made through the real
    services: long unicode text with markup and formulas, edge dates, 20 subjects and 20
    addresses (house numbers with additions, BAG ids), then weighed and source-checked."""
    from datetime import date

    from casustafel.demo import weigh_to_sources
    from casustafel.models import Indicator, Phenomenon
    from casustafel.signals.services import LocationInput, SignalInput, SubjectInput, build_signal

    people = [
        SubjectInput(kind="persoon" if n % 2 == 0 else "organisatie",
                     role=ROLES_OF_SUBJECTS[n % len(ROLES_OF_SUBJECTS)],
                     name=(f"{n} Ŝøren-Ægir van ’t Veld-Ğüneş <i>{n}</i> " * 6)[:200],
                     birth_date=date(1900, 1, 1) if n % 2 == 0 else None,
                     kvk_number=None if n % 2 == 0 else f"{10000000 + n}",
                     street=("Burgemeester van Heemstraweg" * 5)[:120], house_number=str(99999 - n),
                     house_number_addition=("A", "3", "bis", "ZW", "1-2")[n % 5], postcode=f"{1000 + n} AB",
                     city=("’s-Hertogenbosch " * 6)[:80])
        for n in range(subjects)
    ]
    places = [LocationInput(street=f"Straat {n}", house_number=str(n + 1), house_number_addition="a" if n % 2 else None,
                            postcode=f"{9999 - n} ZZ", city="Ĳsselstein", bag_id=f"{n + 1:016d}")
              for n in range(locations)]
    phenomenon = db.session.scalar(select(Phenomenon.id).where(Phenomenon.name == "Hennepteelt"))
    signal = build_signal(reporter, SignalInput(
        description=(HOSTILE_TEXT * 200)[:10000],
        phenomenon_id=phenomenon,
        indicator_ids=list(db.session.scalars(select(Indicator.id))),
        indicator_explanation=(HOSTILE_TEXT * 100)[:5000],
        observed_from=date(1900, 1, 1), observed_until=date.today(),
        urgent=True, reporter_phone="+31 (0)6-1234 5678",
        subjects=people, locations=places,
    ))
    db.session.flush()
    weigh_to_sources(coordinator, officer, signal, registers=("brp", "bag", "kvk", "woz"), content=("brp", "bag"))
    from casustafel.signals.services import record_summary
    record_summary(coordinator, signal, (HOSTILE_TEXT * 100)[:5000])  # what members and packages get
    return signal


@pytest.fixture
def complete_world(app):
    """The demo world (every page in its full state) plus a hostile, complete signal that is on a
    published agenda for two departments with every field open, has a decision, actions and a
    sent referral. Returns the users by e-mail address and the hostile signal."""
    from datetime import date, datetime, timedelta

    from casustafel.dates import from_local
    from casustafel.demo import load_demo
    from casustafel.meetings import services as meetings
    from casustafel.models import Partner, User
    from casustafel.models.checks import SHAREABLE_FIELDS
    from casustafel.privacy.decisions import decide_privacy_check
    from casustafel.privacy.services import open_check
    from casustafel.referrals.pdf import render_package
    from casustafel.referrals.services import create_referral, privacy_check, send_referral
    from tests.helpers.powers import power_ids

    load_demo()
    users = {u.email: u for u in db.session.scalars(select(User))}
    coordinator, officer = users["voorzitter@casustafel.test"], users["privacy@casustafel.test"]
    member, social = users["deelnemer@casustafel.test"], users["sociaal@casustafel.test"]
    signal = build_complete_signal(users["melder@casustafel.test"], coordinator, officer)
    today = date.today()
    late_evening = from_local(datetime.combine(today + timedelta(days=3), datetime.min.time()).replace(hour=23,
                                                                                                        minute=59))
    meeting = meetings.create_meeting(coordinator, held_at=late_evening,
                                      kind="ad_hoc", chair_id=coordinator.id, agenda_cutoff=today)
    for user in (member, social):
        meetings.invite(coordinator, meeting, user, department_id=user.department_id)
    item = meetings.add_item(coordinator, meeting, signal, today)
    everything = list(SHAREABLE_FIELDS)
    decide_privacy_check(officer, open_check(signal, "2A", meeting=meeting), approved=True, rationale="Alles open.",
                         field_rules={member.department_id: everything, social.department_id: everything})
    meetings.publish(coordinator, meeting)
    meetings.record_notes(coordinator, item, HOSTILE_TEXT * 20)
    meetings.record_decision(coordinator, item, "gemeentelijke_aanpak", HOSTILE_TEXT)
    meetings.add_action(coordinator, item, type="13b_opiumwet", deadline=date(2100, 12, 31), owner_id=member.id,
                        description=HOSTILE_TEXT)
    partner = db.session.scalar(select(Partner).where(Partner.name == "Politie"))
    referral = create_referral(coordinator, signal, partner=partner, purpose=HOSTILE_TEXT, legal_ground="overig",
                               legal_ground_note=HOSTILE_TEXT, data_categories=everything, channel="brief",
                               feedback_due=date(2100, 12, 31))
    decide_privacy_check(officer, privacy_check(referral), approved=True, rationale=HOSTILE_TEXT,
                         allowed_fields=everything[:-1], powers=power_ids())
    send_referral(coordinator, referral, store=app.extensions["casustafel_store"],
                  keyring=app.extensions["casustafel_keyring"], render=render_package, today=today)
    db.session.commit()
    return users, signal


def pytest_terminal_summary(terminalreporter):
    """The crawl's figures per role, so every CI run shows what was visited."""
    from tests.crawler import FIGURES

    if FIGURES:
        database = "PostgreSQL" if os.environ.get("TEST_DATABASE_URL") else "SQLite"
        terminalreporter.section(f"crawl per role ({database})")
        for email, figures in FIGURES.items():
            terminalreporter.write_line(f"{email:30} " + ", ".join(f"{k} {v}" for k, v in figures.items()))
