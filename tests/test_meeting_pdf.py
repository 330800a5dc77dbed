"""Agenda and minutes as PDF: watermarked with the downloader's name and the time on every
page, limited per member like the agenda page, served as an attachment, never cached, and
every download logged (README “The casustafel workflow”, docs/security.md "Access log")."""

import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader

from casustafel.extensions import db
from casustafel.meetings import services
from casustafel.models import UserSession
from casustafel.web.pdf import NoFetching
from tests.helpers.meetings import (
    ALL_FIELDS,
    TODAY,
    add,
    close_on_the_day,
    decide_2a,
    department,
    events,
    logged_in,
    published_scene,
)
from tests.helpers.meetings_access import MARKERS, REPORTER, assert_only, marked_scene

# Dates computed here (today, tomorrow, overdue, this year) are checked against the app's:
# both on the same pinned day (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("pinned_day")

STAMP = re.compile(r"Gedownload door (.+?) op \d{2}-\d{2}-\d{4} om \d{2}:\d{2}")


def pages_of(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    assert response.data.startswith(b"%PDF-")
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(response.data)).pages]


def agenda_pdf(meeting) -> str:
    return f"/overleggen/{meeting.id}/agenda.pdf"


def minutes_pdf(meeting) -> str:
    return f"/overleggen/{meeting.id}/verslag.pdf"


def test_the_agenda_pdf_carries_the_downloaders_name_and_time_on_every_page(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal, publish=False, summary="Lange tekst. " * 400)
    for n in range(3):
        signal = make_signal(status="bronnenonderzoek", summary=f"Punt {n}. " + "Meer tekst. " * 300)
        add(scene.coordinator, scene.meeting, signal)
        decide_2a(signal, scene.meeting, {scene.dept.id: ALL_FIELDS})
    services.publish(scene.coordinator, scene.meeting)
    db.session.commit()
    for user in (scene.member, scene.coordinator):
        pages = pages_of(logged_in(app, user).get(agenda_pdf(scene.meeting)))
        assert len(pages) > 2
        for text in pages:
            assert [m.group(1) for m in STAMP.finditer(text)][-1:] == [user.display_name], text[-300:]


def test_a_pdf_is_an_attachment_that_is_never_cached(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal)
    for url in (agenda_pdf(scene.meeting), minutes_pdf(scene.meeting)):
        response = logged_in(app, scene.coordinator).get(url)
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("fields", [["beschrijving"], ["betrokkenen", "adressen"], ["kvk", "bronnen"], []])
def test_a_members_agenda_pdf_holds_only_the_fields_check_2a_opened(app, make_user, make_signal, fields):
    scene = marked_scene(make_user, make_signal, fields)
    text = " ".join(pages_of(logged_in(app, scene.member).get(agenda_pdf(scene.meeting))))
    assert_only(text, set(fields))
    assert scene.signal.reference in text


def test_the_coordinators_agenda_pdf_has_every_field_but_not_the_reporter(app, make_user, make_signal):
    scene = marked_scene(make_user, make_signal, [])
    text = " ".join(pages_of(logged_in(app, scene.coordinator).get(agenda_pdf(scene.meeting))))
    assert_only(text, set(MARKERS))
    assert REPORTER not in text


def test_every_download_is_logged_with_who_and_which_subjects(app, make_user, make_signal):
    scene = marked_scene(make_user, make_signal, ["betrokkenen"])
    logged_in(app, scene.member).get(agenda_pdf(scene.meeting))
    coordinator = logged_in(app, scene.coordinator)
    coordinator.get(agenda_pdf(scene.meeting))
    coordinator.get(minutes_pdf(scene.meeting))
    agenda = events("meeting.agenda_downloaded", scene.meeting.id)
    assert [(e.actor_id, e.actor_role) for e in agenda] == [(scene.member.id, "member"),
                                                            (scene.coordinator.id, "coordinator")]
    assert set(agenda[0].subject_pseudonyms.split(",")) == {str(s.id) for s in scene.signal.subjects}
    [minutes] = events("meeting.minutes_downloaded", scene.meeting.id)
    assert minutes.actor_id == scene.coordinator.id


def test_the_minutes_hold_presence_notes_decisions_and_actions(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal)
    social = department("Sociaal domein – Wmo")
    excused = make_user("member", name="Şükrü Özdemir-Van den Berg", department_id=social.id)
    silent = make_user("member", name="Zoë Niet-Gemeld", department_id=social.id)
    for user in (excused, silent):
        services.invite(scene.coordinator, scene.meeting, user)
    services.record_attendance(scene.coordinator, scene.meeting, {scene.member.id: "aanwezig", excused.id: "afgemeld"})
    services.record_notes(scene.coordinator, scene.item, "Aantekening over het pand")
    services.record_decision(scene.coordinator, scene.item, "gemeentelijke_aanpak", "Integrale aanpak nodig")
    deadline = TODAY + timedelta(days=9)
    services.add_action(scene.coordinator, scene.item, type="integrale_controle", deadline=deadline,
                        owner_id=scene.member.id, description="Controle met brandweer")
    db.session.commit()
    text = " ".join(pages_of(logged_in(app, scene.coordinator).get(minutes_pdf(scene.meeting))))
    for expected in ("Verslag casustafel", scene.signal.reference, "Aantekening over het pand",
                     "Gemeentelijke casusaanpak", "Integrale aanpak nodig", "Controle met brandweer",
                     "Gedownload door Regie Rianne",
                     # presence per invitee: name · department · what the chair recorded
                     "Aanwezigheid", "Deelnemer Daan · Vergunningen · aanwezig",
                     "Şükrü Özdemir-Van den Berg · Sociaal domein – Wmo · afwezig met bericht van verhindering",
                     "Zoë Niet-Gemeld · Sociaal domein – Wmo · niet vastgelegd",
                     # the action: type, owner, deadline
                     f"Integrale controle · Deelnemer Daan · uiterste datum {deadline:%d-%m-%Y}"):
        assert expected in text, expected


def test_the_minutes_are_for_the_coordinator_only(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal)
    response = logged_in(app, scene.member).get(minutes_pdf(scene.meeting))
    assert response.status_code == 403
    assert not events("meeting.minutes_downloaded")


def test_no_agenda_pdf_for_a_member_not_invited_or_after_closing(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal)
    outsider = make_user("member", department_id=scene.dept.id)
    assert logged_in(app, outsider).get(agenda_pdf(scene.meeting)).status_code == 404
    close_on_the_day(scene.coordinator, scene.meeting)
    db.session.commit()
    assert logged_in(app, scene.member).get(agenda_pdf(scene.meeting)).status_code == 404
    assert len(events("access.denied", scene.meeting.id)) == 2
    assert not events("meeting.agenda_downloaded")


def test_a_download_needs_a_recent_login(app, make_user, make_signal):
    scene = published_scene(make_user, make_signal)
    client = logged_in(app, scene.member)
    for session in db.session.query(UserSession).filter_by(user_id=scene.member.id):
        session.authenticated_at -= app.config["FRESH_LOGIN_WINDOW"] + timedelta(minutes=1)
    db.session.commit()
    response = client.get(agenda_pdf(scene.meeting))
    assert response.status_code == 302 and "/inloggen/bevestigen" in response.headers["Location"]
    assert not events("meeting.agenda_downloaded")


def test_markup_in_a_name_is_text_and_nothing_is_fetched(app, make_user, make_signal, monkeypatch):
    fetched = []
    monkeypatch.setattr(NoFetching, "fetch", lambda self, url, headers=None: fetched.append(url) or 1 / 0)
    scene = published_scene(make_user, make_signal, summary='<img src="file:///etc/passwd"> <b>vet</b>')
    scene.member.display_name = 'Daan <img src="http://example.invalid/x.png">'
    db.session.commit()
    text = " ".join(pages_of(logged_in(app, scene.member).get(agenda_pdf(scene.meeting))))
    assert 'Gedownload door Daan <img src="http://example.invalid/x.png">' in text
    assert '<img src="file:///etc/passwd"> <b>vet</b>' in text
    assert fetched == []
