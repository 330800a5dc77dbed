"""Helpers shared by the tests, moved from tests/test_meeting_access.py."""

from sqlalchemy import select

from casustafel.extensions import db
from casustafel.meetings import services
from casustafel.models import Phenomenon, PrivacyCheck, SourceQuery, Subject
from tests.helpers.meetings import published_scene

MARKERS = {
    "fenomeen": "Hennepteelt",
    # Members get the coordinator's anonymised summary for "beschrijving", never the reporter's
    # own words (VERBATIM; setting reporter_summary_required, on by default).
    "beschrijving": "Samenvattingsmarker-Q7",
    "betrokkenen": "Naam-Markeerling",
    "geboortedata": "13-07-1971",  # as shown; stored as BIRTH_DATE
    "kvk": "87654321",
    "adressen": "9999 ZZ",
    "bronnen": "BAG (adressen en gebouwen)",
}


BIRTH_DATE = "1971-07-13"


REPORTER = "Melder Geheimhouder"


VERBATIM = "Beschrijvingsmarker-Q7 van de melder zelf"


def marked_scene(make_user, make_signal, fields, *, publish=True):
    """A published scene whose signal carries a marker in every shareable field."""
    reporter = make_user("reporter", name=REPORTER)
    hennep = db.session.scalar(select(Phenomenon.id).where(Phenomenon.name == "Hennepteelt"))
    scene = published_scene(
        make_user, make_signal, fields=fields, publish=False, reporter=reporter,
        description=VERBATIM, summary=MARKERS["beschrijving"], person=("Naam-Markeerling", BIRTH_DATE),
        address=("9999 ZZ", "77"), phenomenon_id=hennep,
    )
    organisation = Subject(kind="organisatie", role="eigenaar", position=1)
    scene.signal.subjects.append(organisation)
    organisation.name, organisation.kvk_number = "Naam-Markeerling Holding", MARKERS["kvk"]
    check_1 = PrivacyCheck(signal_id=scene.signal.id, kind="1", status="besloten", approved=True)
    db.session.add(check_1)
    db.session.flush()
    db.session.add(SourceQuery(signal_id=scene.signal.id, privacy_check_id=check_1.id, register="bag", hit=True))
    db.session.commit()
    if publish:
        services.publish(scene.coordinator, scene.meeting)
        db.session.commit()
    return scene


def assert_only(body: str, fields) -> None:
    for code, marker in MARKERS.items():
        if code in fields:
            assert marker in body, f"{code} should be shown"
        else:
            assert marker not in body, f"{code} leaked"
    assert BIRTH_DATE not in body
    assert REPORTER not in body
    assert "Beschrijvingsmarker" not in body


def agenda_url(meeting) -> str:
    return f"/overleggen/{meeting.id}/agenda"
