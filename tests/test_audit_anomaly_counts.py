"""The anomaly counters (casustafel.audit.anomaly_counts): the list of anomalies read from
counters kept up to date from the log gives exactly what a full scan of the log gives, after
events arriving in batches between views, backdated events, retention, a lost cache and a
changed setting; and a later view reads only what was logged since the one before.

Times are UTC; 21-22 November 2026 is a weekend; summer time ends 25 October 2026 at 01:00 UTC.
"""

import random
from datetime import datetime, timedelta

from freezegun import freeze_time
from sqlalchemy import delete, func, select

from casustafel import dates
from casustafel.audit import anomalies, anomaly_counts
from casustafel.audit_log import prune_log, record
from casustafel.extensions import db
from casustafel.models import AuditAnomalyCount, AuditAnomalyState, AuditEvent, AuditHead
from casustafel.settings import set_setting
from tests.helpers.queries import captured_statements

WINDOWS = [
    dates.day_window(datetime(2026, 11, 16).date(), datetime(2026, 11, 22).date()),  # the page's week
    dates.day_window(datetime(2026, 10, 24).date(), datetime(2026, 10, 26).date()),  # summer time ends
    (datetime(2026, 11, 18, 10, 17, 23), datetime(2026, 11, 20, 3, 45)),  # not on whole hours
    (datetime(2026, 11, 18, 10, 5), datetime(2026, 11, 18, 10, 50)),  # inside one hour
    (datetime(2000, 1, 1), datetime(2100, 1, 1)),
]
ACTIONS = ["signal.viewed", "signal.viewed", "attachment.downloaded", "signal.listed", "meeting.viewed",
           "audit.viewed", "signal.exported"]


def facts(found):
    return [(a.key, a.kind, a.actor_id, a.first_at, a.last_at, a.count, a.object_id) for a in found]


def assert_same_as_a_full_scan():
    for start, end in WINDOWS:
        counted = facts(anomalies.detect(start, end))
        assert counted == facts(anomalies.detect_by_scan(start, end)), (start, end)


DAYS = [datetime(2026, 11, 14), datetime(2026, 11, 18), datetime(2026, 11, 19), datetime(2026, 11, 21),
        datetime(2026, 10, 24), datetime(2026, 10, 25)]


def add_events(rng, users, count, days=DAYS):
    """Reads, denials and shielded views at random moments (also in hours counted before)."""
    for _ in range(count):
        day = rng.choice(days)
        when = day + timedelta(hours=rng.randrange(24), minutes=rng.randrange(60), seconds=rng.randrange(60))
        user, role = rng.choice(users)
        roll = rng.random()
        if roll < 0.6:
            event = record(user, rng.choice(ACTIONS), object_type="signal", object_id=f"s-{rng.randrange(9)}",
                           role=role)
        elif roll < 0.8:
            target = rng.choice(["agenda_item", "endpoint", "signal", "meeting"])
            event = record(user if rng.random() < 0.8 else None, "access.denied", object_type=target,
                           object_id="x", result="denied", role=role)
        elif roll < 0.9:  # the act of reporting: never counted
            event = record(user, "signal.status_viewed", object_type="signal", object_id="s-1", role="reporter",
                           purpose="melding")
        else:
            event = record(user, "signal.viewed", object_type="signal", object_id="s-2", role=role,
                           result="denied")  # both a read and a denial
        event.occurred_at = when
    db.session.commit()


def people(make_user):
    return [(make_user("coordinator"), "coordinator"), (make_user("member"), "member"),
            (make_user("member"), "member"), (make_user("privacy_officer"), "privacy_officer")]


def test_counted_in_batches_between_views_equals_a_full_scan(app, make_user):
    set_setting("audit_bulk_reads_per_hour", "3")
    rng = random.Random(19)
    users = people(make_user)
    db.session.commit()
    for _ in range(5):
        add_events(rng, users, 120)
        assert_same_as_a_full_scan()
        db.session.commit()  # the views' transactions, with the counters they moved on
    assert len(anomalies.detect(*WINDOWS[-1])) > 20  # the comparison had something to compare
    kinds = {a.kind for a in anomalies.detect(*WINDOWS[-1])}
    assert {"bulk", "buiten_uren", "toewijzing", "geweigerd"} <= kinds
    # The mark reached the head: a further view counts nothing again.
    head = db.session.scalar(select(AuditHead.last_seq))
    assert db.session.scalar(select(AuditAnomalyState.last_seq)) == head
    assert anomaly_counts.catch_up() == 0
    # And the counters are exactly those of one count of the whole log.
    stored = db.session.execute(select(AuditAnomalyCount).order_by(
        AuditAnomalyCount.category, AuditAnomalyCount.actor, AuditAnomalyCount.hour)).scalars().all()
    stored = [(c.category, c.actor, c.hour, c.count, c.first_at, c.last_at) for c in stored]
    anomaly_counts.rebuild()
    again = db.session.execute(select(AuditAnomalyCount).order_by(
        AuditAnomalyCount.category, AuditAnomalyCount.actor, AuditAnomalyCount.hour)).scalars().all()
    assert stored == [(c.category, c.actor, c.hour, c.count, c.first_at, c.last_at) for c in again]


def test_a_changed_threshold_or_office_hours_apply_to_what_was_counted_before(app, make_user):
    rng = random.Random(7)
    users = people(make_user)
    add_events(rng, users, 300)
    before = anomalies.detect(*WINDOWS[0])
    db.session.commit()
    set_setting("audit_bulk_reads_per_hour", "2")
    set_setting("audit_office_hours_start", "6")
    set_setting("audit_office_hours_end", "22")
    db.session.commit()

    assert_same_as_a_full_scan()
    assert facts(anomalies.detect(*WINDOWS[0])) != facts(before)


def test_the_counters_rebuild_themselves_when_missing_or_when_the_log_was_replaced(app, make_user):
    set_setting("audit_bulk_reads_per_hour", "3")
    rng = random.Random(3)
    users = people(make_user)
    add_events(rng, users, 200)
    anomalies.detect(*WINDOWS[0])
    db.session.commit()

    db.session.execute(delete(AuditAnomalyState))  # the cache lost (or never made)
    db.session.execute(delete(AuditAnomalyCount).where(AuditAnomalyCount.category == "read"))
    db.session.commit()
    assert_same_as_a_full_scan()
    assert db.session.scalar(select(func.count()).select_from(AuditAnomalyState)) == 1

    # A stale cache against a shorter log (a restore) is counted anew, not added to.
    db.session.execute(AuditAnomalyState.__table__.update().values(last_seq=10**9))
    db.session.commit()
    assert_same_as_a_full_scan()

    result = app.test_cli_runner().invoke(args=["audit", "anomalies-rebuild"])
    assert result.exit_code == 0 and "opnieuw geteld" in result.output
    assert_same_as_a_full_scan()


def test_log_retention_removes_the_events_from_the_counters_too(app, make_user):
    set_setting("audit_bulk_reads_per_hour", "3")
    rng = random.Random(11)
    with freeze_time("2026-10-01 09:00:00"):
        users = people(make_user)
    add_events(rng, users, 150, days=DAYS[4:] + DAYS[:1])  # the oldest first, as a log grows
    add_events(rng, users, 150, days=DAYS[1:4])
    for hour in (13, 14):  # security events refused (the 6-month log): retention leaves a stub
        event = record(users[0][0], "auth.login", object_type="user_account", result="denied")
        event.occurred_at = datetime(2026, 11, 19, hour)
    db.session.commit()
    assert_same_as_a_full_scan()
    db.session.commit()

    removed = prune_log(datetime(2026, 12, 1), datetime(2026, 11, 18, 12), datetime(2026, 11, 20))
    db.session.commit()

    assert removed["log_removed"] > 150 and removed["security_stubbed"] == 2
    assert_same_as_a_full_scan()
    assert db.session.scalar(select(func.max(AuditAnomalyCount.security_count))) == 0  # the stubs left them
    add_events(rng, users, 50, days=DAYS[1:4])
    assert_same_as_a_full_scan()


def test_a_later_view_reads_only_what_was_logged_since_the_one_before(client, make_user, login_as):
    set_setting("audit_bulk_reads_per_hour", "3")
    rng = random.Random(5)
    users = people(make_user)
    add_events(rng, users, 300)
    login_as(make_user("privacy_officer"))
    url = "/logboek/afwijkingen?van=2026-11-16&tot=2026-11-22"
    assert client.get(url).status_code == 200
    add_events(rng, users, 5)

    with captured_statements() as statements:
        body = client.get(url).get_data(as_text=True)

    scans = [s for s in statements if "FROM audit_event" in s and "LIKE" in s]
    assert scans and all("audit_event.seq >" in s for s in scans)  # only the new events, by sequence
    assert "audit_event.occurred_at >=" not in " ".join(scans)
    for item in anomalies.detect_by_scan(*WINDOWS[0])[:5]:
        assert item.label in body


def test_events_of_the_viewing_transaction_itself_are_counted(app, make_user):
    actor = make_user("coordinator")
    db.session.commit()
    anomalies.detect(*WINDOWS[0])
    event = record(actor, "access.denied", object_type="endpoint", object_id="x", result="denied")
    event.occurred_at = datetime(2026, 11, 18, 10)

    assert [a.key for a in anomalies.detect(*WINDOWS[0])] == [f"geweigerd:{actor.id}:2026-11-18"]
    db.session.rollback()  # the event and the counters go back together
    assert anomalies.detect(*WINDOWS[0]) == []
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == \
        db.session.scalar(select(AuditAnomalyState.last_seq))
