"""Helpers shared by the tests, moved from tests/test_meetings.py."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from casustafel.dates import to_local, utcnow
from casustafel.extensions import db
from casustafel.meetings import services
from casustafel.models import AgendaItem, AuditEvent, Department, Meeting, PrivacyCheck, Signal
from casustafel.privacy.services import open_check
from tests.conftest import TODAY, csrf_from, login

ALL_FIELDS = ["fenomeen", "beschrijving", "betrokkenen", "geboortedata", "kvk", "adressen", "bronnen"]


def department(name: str) -> Department:
    dept = Department(name=name)
    db.session.add(dept)
    db.session.commit()
    return dept


def events(action: str, object_id=None) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.action == action)
    if object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == str(object_id))
    return list(db.session.scalars(stmt.order_by(AuditEvent.seq)))


def decide_2a(signal, meeting, rules: dict, *, approved: bool = True) -> PrivacyCheck:
    """Decide the open check 2A as the privacy officer would (their UI is another feature)."""
    check = open_check(signal, "2A", meeting=meeting)
    assert check is not None, "no open privacy check 2A"
    check.status = "besloten"
    check.approved = approved
    check.field_rules = {str(dept_id): list(codes) for dept_id, codes in rules.items()}
    check.decided_at = utcnow()
    db.session.commit()
    return check


def plan_meeting(coordinator, *, days_ahead: int = 7, cutoff_days: int = 0) -> Meeting:
    held = datetime.combine(TODAY + timedelta(days=days_ahead), datetime.min.time()).replace(hour=10)
    meeting = services.create_meeting(coordinator, held_at=held, kind="regulier", chair_id=coordinator.id,
                                      agenda_cutoff=TODAY + timedelta(days=cutoff_days))
    db.session.commit()
    return meeting


def add(coordinator, meeting, signal) -> AgendaItem:
    item = services.add_item(coordinator, meeting, signal, TODAY)
    db.session.commit()
    return item


@dataclass
class Scene:
    coordinator: object
    member: object
    dept: Department
    meeting: Meeting
    signal: Signal
    item: AgendaItem


def published_scene(make_user, make_signal, *, fields=ALL_FIELDS, publish=True, **signal_fields) -> Scene:
    """A coordinator, a member of 'Vergunningen' invited, one signal on the agenda, 2A decided."""
    dept = department("Vergunningen")
    coordinator = make_user("coordinator", name="Regie Rianne")
    member = make_user("member", name="Deelnemer Daan", department_id=dept.id)
    meeting = plan_meeting(coordinator)
    signal = make_signal(status="bronnenonderzoek", **signal_fields)
    item = add(coordinator, meeting, signal)
    services.invite(coordinator, meeting, member)
    db.session.commit()
    decide_2a(signal, meeting, {dept.id: fields})
    if publish:
        services.publish(coordinator, meeting)
        db.session.commit()
    return Scene(coordinator, member, dept, meeting, signal, item)


def meeting_day(meeting):
    """The meeting's date in Dutch time: from that day on it may be closed without an override."""
    return to_local(meeting.held_at).date()


def close_on_the_day(coordinator, meeting) -> int:
    """Close the meeting as on its own date (before it, closing needs an override and a reason)."""
    return services.close(coordinator, meeting, today=meeting_day(meeting))


def post(client, url, data, from_url):
    return client.post(url, data={"csrf_token": csrf_from(client.get(from_url)), **data})


def logged_in(app, user):
    client = app.test_client()
    assert login(client, user.email).status_code == 200
    return client
