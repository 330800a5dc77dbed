"""The coordinator's workspace on one signal: what it shows (and to whom), status changes by
the transition table, optimistic locking, legal hold, questions to the reporter and feedback
(README “Roles”, §4, §8; docs/security.md "Access control", "Access log", "Proving it")."""

import html
import itertools
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import (
    STATUSES,
    AuditEvent,
    Department,
    Feedback,
    InformationRequest,
    MonitoringPeriod,
    Notification,
    PrivacyCheck,
    Signal,
    SignalEvent,
)
from casustafel.signals.workflow import (
    CLOSED,
    HANDED_OVER,
    QUESTION,
    TRANSITIONS,
    TransitionError,
    closing_reasons,
    next_states,
    transition,
)
from tests.conftest import csrf_from, login
from tests.helpers.plans import add_plan

DESCRIPTION = "Busjes laden 's nachts dozen uit bij de loods"
QUESTION_TEXT = "Op welke dagen zag u de busjes precies?"
ANSWER_TEXT = "Maandag en donderdag rond middernacht."
# Every step of the table a coordinator makes by hand; ‘doorgezet’ only by sending a handover
# (tests/test_handover.py).
ALLOWED = sorted((a, b) for a, targets in TRANSITIONS.items() for b in targets if b != HANDED_OVER)


# Helpers ---------------------------------------------------------------------------------------


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def plain(response) -> str:
    """The page's text without tags, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text_of(response)).split())


def events(action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).all()


def fresh(signal: Signal) -> Signal:
    db.session.expire_all()
    return db.session.get(Signal, signal.id)


def post(client, signal, action: str, prefix: str, **fields):
    """POST a workspace form (fields are prefixed like the form's); the version is the current one
    unless given."""
    data = {f"{prefix}-csrf_token": csrf_from(client.get("/"))}
    if prefix != "terugkoppeling":
        fields.setdefault("version", str(fresh(signal).version))
    data.update({f"{prefix}-{name}": value for name, value in fields.items()})
    return client.post(f"/meldingen/{signal.id}/{action}", data=data)


def change_status(client, signal, to_status, **fields):
    return post(client, signal, "status", "status", to_status=to_status, **fields)


def field_error(response, field_id: str) -> str:
    page = text_of(response)
    match = re.search(rf'id="{re.escape(field_id)}-error">(.*?)</div>', page, re.DOTALL)
    return re.sub(r"<[^>]+>", " ", match.group(1)) if match else ""


def closing_fields(from_status: str, to_status: str) -> dict:
    if to_status == "monitoring":  # model protocol step 4: the monitoring has an end date
        return {"monitoring_until": (date.today() + timedelta(days=90)).isoformat()}
    if to_status == CLOSED:
        return {"closing_reason": next(iter(closing_reasons(from_status)))}
    if from_status == CLOSED:
        return {"reason": "Nieuwe informatie van de politie"}
    return {}


@pytest.fixture
def reporter(make_user):
    department = Department(name="Belastingen")
    db.session.add(department)
    db.session.commit()
    return make_user("reporter", name="Rik Rapport", email="rik@gemeente.test", department_id=department.id)


@pytest.fixture
def coordinator(make_user, login_as):
    user = make_user("coordinator", name="Cora Regie")
    login_as(user)
    return user


@pytest.fixture
def signal(make_signal, reporter):
    return make_signal(reporter, description=DESCRIPTION, reporter_department_id=reporter.department_id,
                       reporter_phone="06 12345678", attachment=b"%PDF-1.4 test")


# What the workspace shows, and to whom ------------------------------------------------------------


def test_the_workspace_shows_content_reporter_and_history_to_the_coordinator(client, coordinator, signal):
    change_status(client, signal, "intake", reason="Telefonisch nagevraagd")

    response = client.get(f"/meldingen/{signal.id}")
    page = text_of(response)
    assert response.status_code == 200
    for shown in (DESCRIPTION, "Jan Jansen", "geboren 02-01-1980", "1234 AB", "bijlage.pdf",
                  "Rik Rapport", "Belastingen", "rik@gemeente.test", "06 12345678"):
        assert shown in page, shown
    assert "anoniem te blijven" not in page
    timeline = plain(response).split("Geschiedenis")[-1]
    assert "Cora Regie" in timeline and "Ingediend → Intake" in timeline
    assert "Toelichting: Telefonisch nagevraagd" in timeline  # the encrypted reason, decrypted
    template = Path(__file__).parents[1] / "templates" / "signals" / "detail.html"
    assert '{% include "signals/_workflow_panels.html" ignore missing %}' in template.read_text(encoding="utf-8")

    viewed = events("signal.viewed")[-1]
    assert (viewed.actor_id, viewed.object_id, viewed.purpose) == (coordinator.id, str(signal.id), "casustafel")
    assert viewed.subject_pseudonyms == str(signal.subjects[0].id)


def test_an_external_signal_has_no_reporter_to_ask_or_inform(client, coordinator, make_signal):
    external = make_signal(None, channel="politie")
    page = text_of(client.get(f"/meldingen/{external.id}"))
    assert "extern (Politie)" in page
    assert "Vraag versturen" not in page and "Bericht versturen" not in page

    asked = post(client, external, "vraag", "vraag", question=QUESTION_TEXT)
    told = post(client, external, "terugkoppeling", "terugkoppeling", code="in_behandeling")
    assert asked.status_code == told.status_code == 200
    assert "geen melder binnen de gemeente" in field_error(asked, "vraag-question")
    assert "geen melder binnen de gemeente" in field_error(told, "terugkoppeling-code")
    assert fresh(external).status == "ingediend"
    assert not db.session.scalars(select(InformationRequest)).all()
    assert not db.session.scalars(select(Feedback)).all()


@pytest.mark.parametrize("role", ["reporter", "member", "privacy_officer", "admin"])
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", ""), ("POST", "/status"), ("POST", "/legal-hold"), ("POST", "/vraag"), ("POST", "/terugkoppeling")],
)
def test_other_roles_are_refused_and_the_refusal_is_logged(client, make_user, signal, reporter, role, method, path):
    user = reporter if role == "reporter" else make_user(role)  # even the signal's own reporter
    if role == "privacy_officer":  # even while a privacy check on it is open for them
        db.session.add(PrivacyCheck(signal_id=signal.id, kind="1", status="open"))
        db.session.commit()
    assert login(client, user.email).status_code == 200
    url = f"/meldingen/{signal.id}{path}"
    if method == "GET":
        response = client.get(url)
    else:
        token = csrf_from(client.get("/"))
        response = client.post(url, data={"csrf_token": token, "status-to_status": "intake",
                                          "legal-hold-reason": "bezwaar", "vraag-question": "x",
                                          "terugkoppeling-code": "ontvangen"})
    assert response.status_code == 403
    page = text_of(response)
    for secret in (DESCRIPTION, "Jan Jansen", "06 12345678", signal.reference):
        assert secret not in page
    (denial,) = events("access.denied")
    assert (denial.actor_id, denial.object_type, denial.result) == (user.id, "endpoint", "denied")
    assert not events("signal.viewed")
    after = fresh(signal)
    assert (after.status, after.legal_hold, len(after.feedback), len(after.questions)) == ("ingediend", False, 0, 0)


@pytest.mark.parametrize("path", ["", "/status", "/legal-hold", "/vraag", "/terugkoppeling"])
def test_an_unknown_signal_answers_404_and_logs_a_denial(client, coordinator, path):
    import uuid

    missing = uuid.uuid4()
    url = f"/meldingen/{missing}{path}"
    response = client.get(url) if not path else client.post(url, data={"csrf_token": csrf_from(client.get("/"))})
    assert response.status_code == 404
    (denial,) = events("access.denied")
    assert (denial.object_type, denial.object_id) == ("signal", str(missing))


# The transition table, as a unit -----------------------------------------------------------------


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_transition_allows_every_step_of_the_table(make_signal, make_user, from_status, to_status):
    actor = make_user("coordinator")
    signal = make_signal(None, status=from_status)
    fields = closing_fields(from_status, to_status)
    if "monitoring_until" in fields:  # recorded first, as the status form does (signals/plan_services.py)
        add_plan(signal, actor)  # and a case goes into monitoring with its plan of approach
        until = date.fromisoformat(fields.pop("monitoring_until"))
        db.session.add(MonitoringPeriod(signal_id=signal.id, number=1, ends_on=until))
    event_ = transition(actor, signal, to_status, **{
        k if k != "closing_reason" else "reason_code": v for k, v in fields.items()})
    assert signal.status == to_status
    assert (event_.from_status, event_.to_status, event_.actor_id) == (from_status, to_status, actor.id)


FORBIDDEN = sorted(
    (a, b) for a, b in itertools.product([*TRANSITIONS], STATUSES)
    if b not in TRANSITIONS[a] and b != QUESTION
)


@pytest.mark.parametrize(("from_status", "to_status"), FORBIDDEN)
def test_transition_refuses_every_step_outside_the_table(make_signal, from_status, to_status):
    signal = make_signal(None, status=from_status)
    with pytest.raises(TransitionError, match="geen toegestane stap"):
        transition(None, signal, to_status, reason_code="geen_ondermijning", reason="x")
    assert signal.status == from_status


def test_closing_needs_a_reason_code_that_fits_the_current_status(make_signal):
    signal = make_signal(None, status="intake")
    for code in (None, "", "geen_hit", "verzonnen"):  # geen_hit belongs to bronnenonderzoek
        with pytest.raises(TransitionError, match="Kies een reden"):
            transition(None, signal, CLOSED, reason_code=code)
    transition(None, signal, CLOSED, reason_code="buiten_gemeente")
    assert (signal.status, signal.closing_reason, signal.closed_at is not None) == (CLOSED, "buiten_gemeente", True)


def test_reopening_needs_a_written_reason(make_signal):
    signal = make_signal(None, status=CLOSED, closing_reason="geen_vervolg")
    for reason in (None, "", "   "):
        with pytest.raises(TransitionError, match="heropend"):
            transition(None, signal, "intake", reason=reason)
    event_ = transition(None, signal, "intake", reason="Nieuwe feiten")
    assert (signal.status, signal.closing_reason, signal.closed_at) == ("intake", None, None)
    assert (event_.reason_code, event_.reason) == ("heropend", "Nieuwe feiten")


def test_a_question_puts_the_signal_on_hold_and_only_goes_back_where_it_came_from(make_signal):
    signal = make_signal(None, status="weging")
    transition(None, signal, QUESTION)
    assert (signal.status, signal.status_before_question) == (QUESTION, "weging")
    assert next_states(signal) == ["weging"]
    with pytest.raises(TransitionError):
        transition(None, signal, QUESTION)
    for elsewhere in ("intake", "bronnenonderzoek", CLOSED):
        with pytest.raises(TransitionError, match="Wacht eerst"):
            transition(None, signal, elsewhere, reason_code="geen_vervolg")
    transition(None, signal, "weging")
    assert (signal.status, signal.status_before_question) == ("weging", None)

    closed = make_signal(None, status=CLOSED)
    with pytest.raises(TransitionError, match="geen aanvullende vraag"):
        transition(None, closed, QUESTION)


# Status changes through the workspace -----------------------------------------------------------


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_the_workspace_makes_every_step_of_the_table(client, coordinator, make_signal, from_status, to_status):
    signal = make_signal(None, status=from_status)
    if to_status == "monitoring":
        add_plan(signal, coordinator)  # step 4: a case goes into monitoring with its plan of approach
        db.session.commit()
    assert f'value="{to_status}"' in client.get(f"/meldingen/{signal.id}").get_data(as_text=True)

    response = change_status(client, signal, to_status, **closing_fields(from_status, to_status))

    assert response.status_code == 302, field_error(response, "status-to_status")
    after = fresh(signal)
    assert after.status == to_status
    (step,) = [e for e in after.events if e.from_status == from_status]
    assert (step.to_status, step.actor_id) == (to_status, coordinator.id)
    (logged,) = events("signal.status_changed")
    assert (logged.object_id, logged.actor_id) == (str(signal.id), coordinator.id)


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [("ingediend", "weging"), ("ingediend", CLOSED), ("intake", "geagendeerd"), ("geagendeerd", CLOSED),
     ("in_aanpak", CLOSED), (CLOSED, "weging"), ("weging", QUESTION), ("intake", "verzonnen")],
)
def test_the_workspace_refuses_a_step_outside_the_table(client, coordinator, make_signal, from_status, to_status):
    signal = make_signal(None, status=from_status)
    page = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    assert f'name="status-to_status" value="{to_status}"' not in page

    response = change_status(client, signal, to_status, closing_reason="geen_ondermijning", reason="x")

    assert response.status_code == 200
    assert field_error(response, "status-to_status")
    assert fresh(signal).status == from_status
    assert not events("signal.status_changed")


def test_closing_in_the_workspace_asks_for_a_reason_that_fits(client, coordinator, make_signal):
    signal = make_signal(None, status="intake")
    page = text_of(client.get(f"/meldingen/{signal.id}"))
    assert "Geen ondermijning" in page and "Geen hit in het bronnenonderzoek" not in page

    missing = change_status(client, signal, CLOSED)
    assert "Kies een reden om de melding af te sluiten." in field_error(missing, "status-closing_reason")
    wrong = change_status(client, signal, CLOSED, closing_reason="geen_hit")
    assert field_error(wrong, "status-closing_reason")
    assert fresh(signal).status == "intake"

    assert change_status(client, signal, CLOSED, closing_reason="geen_gemeentelijke_taak").status_code == 302
    after = fresh(signal)
    assert (after.status, after.closing_reason) == (CLOSED, "geen_gemeentelijke_taak")
    assert "Geen gemeentelijke taak" in text_of(client.get(f"/meldingen/{signal.id}"))


def test_reopening_in_the_workspace_asks_for_a_reason_and_keeps_what_was_typed(client, coordinator, make_signal):
    signal = make_signal(None, status=CLOSED, closing_reason="geen_vervolg")
    response = change_status(client, signal, "intake", reason="   ")
    assert "Geef aan waarom de melding wordt heropend." in field_error(response, "status-reason")
    assert fresh(signal).status == CLOSED

    assert change_status(client, signal, "intake", reason="Nieuwe melding op hetzelfde adres").status_code == 302
    reopened = fresh(signal)
    assert reopened.status == "intake"
    assert reopened.events[-1].reason == "Nieuwe melding op hetzelfde adres"
    assert b"Nieuwe melding op hetzelfde adres" not in reopened.events[-1].reason_enc
    assert "(reden: Heropend)" in text_of(client.get(f"/meldingen/{signal.id}"))


def test_a_status_change_and_its_log_event_fail_together(client, coordinator, signal, monkeypatch):
    def broken_commit():
        raise RuntimeError("database weg")

    token = csrf_from(client.get("/"))
    version = str(signal.version)
    monkeypatch.setattr(db.session, "commit", broken_commit)
    with pytest.raises(RuntimeError):
        client.post(f"/meldingen/{signal.id}/status",
                    data={"status-csrf_token": token, "status-version": version, "status-to_status": "intake"})
    monkeypatch.undo()

    assert fresh(signal).status == "ingediend"
    assert not db.session.scalars(select(SignalEvent).where(SignalEvent.to_status == "intake")).all()
    assert not events("signal.status_changed")


def test_a_form_from_before_someone_elses_change_changes_nothing(client, coordinator, signal):
    page = client.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    stale = re.search(r'name="status-version" type="hidden" value="(\d+)"', page).group(1)
    assert change_status(client, signal, "intake").status_code == 302  # someone else, first

    response = change_status(client, signal, "intake", version=stale)  # the old form, second
    assert response.status_code == 409
    assert "Iemand anders heeft deze melding intussen gewijzigd" in text_of(response)
    after = fresh(signal)
    assert after.status == "intake"
    assert len([e for e in after.events if e.to_status == "intake"]) == 1
    assert len(events("signal.status_changed")) == 1

    hold = post(client, signal, "legal-hold", "legal-hold", reason="bezwaar", version=stale)
    question = post(client, signal, "vraag", "vraag", question=QUESTION_TEXT, version=stale)
    assert hold.status_code == question.status_code == 409
    assert QUESTION_TEXT in text_of(question)  # what was typed is kept for another try
    after = fresh(signal)
    assert (after.legal_hold, after.status, after.questions) == (False, "intake", [])


def test_a_post_without_a_version_asks_to_reload(client, coordinator, signal):
    response = post(client, signal, "status", "status", to_status="intake", version="")
    assert response.status_code == 200
    assert "Deze pagina is verouderd" in text_of(response)
    assert fresh(signal).status == "ingediend"


# Legal hold ---------------------------------------------------------------------------------------


def test_legal_hold_is_set_with_a_reason_and_released(client, coordinator, signal):
    missing = post(client, signal, "legal-hold", "legal-hold", reason="")
    assert "Kies waarom" in field_error(missing, "legal-hold-reason")
    wrong = post(client, signal, "legal-hold", "legal-hold", reason="verzonnen")
    assert field_error(wrong, "legal-hold-reason")
    assert fresh(signal).legal_hold is False

    assert post(client, signal, "legal-hold", "legal-hold", reason="bezwaar").status_code == 302
    held = fresh(signal)
    assert (held.legal_hold, held.legal_hold_reason, held.legal_hold_since is not None) == (True, "bezwaar", True)
    (logged,) = events("signal.legal_hold_set")
    assert (logged.object_id, logged.reason_code, logged.actor_id) == (str(signal.id), "bezwaar", coordinator.id)
    page = text_of(client.get(f"/meldingen/{signal.id}"))
    assert "Legal hold sinds" in page and "reden: Bezwaar" in page and "Legal hold opheffen" in page

    assert post(client, signal, "legal-hold", "legal-hold").status_code == 302
    released = fresh(signal)
    assert (released.legal_hold, released.legal_hold_reason, released.legal_hold_since) == (False, None, None)
    assert events("signal.legal_hold_released")[0].reason_code == "bezwaar"


# A question to the reporter and the answer ------------------------------------------------------------


def test_question_and_answer_round_trip_with_the_reporter(app, client, coordinator, signal, reporter):
    change_status(client, signal, "intake")
    empty = post(client, signal, "vraag", "vraag", question="  ")
    assert "Vul uw vraag in." in field_error(empty, "vraag-question")

    assert post(client, signal, "vraag", "vraag", question=QUESTION_TEXT).status_code == 302
    asked = fresh(signal)
    (question,) = asked.questions
    assert (asked.status, asked.status_before_question) == (QUESTION, "intake")
    assert question.question == QUESTION_TEXT and QUESTION_TEXT.encode() not in question.question_enc
    assert [f.code for f in asked.feedback] == ["aanvullende_vraag"]
    assert asked.events[-1].reason_code == "aanvullende_vraag"
    (mail,) = db.session.scalars(select(Notification).where(Notification.recipient_id == reporter.id)).all()
    for secret in (QUESTION_TEXT, DESCRIPTION, "Jan Jansen", signal.reference):
        assert secret not in mail.subject + mail.body
    assert events("signal.question_asked")[0].object_id == str(question.id)
    page = text_of(client.get(f"/meldingen/{signal.id}"))
    assert "Vraag versturen" not in page and "Er staat een vraag open" in page
    assert "Vraag intrekken, terug naar ‘Intake’" in page

    melder = app.test_client()
    assert login(melder, reporter.email).status_code == 200
    mine = f"/mijn-meldingen/{signal.id}"
    assert QUESTION_TEXT in text_of(melder.get(mine))
    answered = melder.post(mine, data={"answer": ANSWER_TEXT, "csrf_token": csrf_from(melder.get(mine))})
    assert answered.status_code == 302

    back = fresh(signal)
    assert (back.status, back.status_before_question) == ("intake", None)
    page = text_of(client.get(f"/meldingen/{signal.id}"))
    assert QUESTION_TEXT in page and ANSWER_TEXT in page
    assert "Antwoord van de melder ontvangen" in page


def test_no_question_on_a_closed_signal(client, coordinator, make_signal, reporter):
    closed = make_signal(reporter, status=CLOSED)
    assert "Vraag versturen" not in text_of(client.get(f"/meldingen/{closed.id}"))
    response = post(client, closed, "vraag", "vraag", question=QUESTION_TEXT)
    assert "geen aanvullende vraag" in field_error(response, "vraag-question")
    assert fresh(closed).status == CLOSED and not fresh(closed).questions


# Feedback ---------------------------------------------------------------------------------------------


def test_feedback_reaches_mijn_meldingen_and_the_mail_says_only_that_there_is_news(
        app, client, coordinator, signal, reporter):
    assert post(client, signal, "terugkoppeling", "terugkoppeling", code="in_behandeling").status_code == 302

    (sent,) = fresh(signal).feedback
    assert (sent.code, sent.sent_by_id) == ("in_behandeling", coordinator.id)
    (logged,) = events("feedback.sent")
    assert (logged.object_id, logged.reason_code) == (str(sent.id), "in_behandeling")
    (mail,) = db.session.scalars(select(Notification).where(Notification.recipient_id == reporter.id)).all()
    assert "in behandeling" not in mail.body.lower() and DESCRIPTION not in mail.body
    assert "Uw melding is in behandeling genomen." in text_of(client.get(f"/meldingen/{signal.id}"))

    melder = app.test_client()
    login(melder, reporter.email)
    assert "Uw melding is in behandeling genomen." in text_of(melder.get(f"/mijn-meldingen/{signal.id}"))


@pytest.mark.parametrize(("code", "message"), [
    ("aanvullende_vraag", "geldige"), ("verzonnen", "geldige"), ("", "Kies een bericht."),
    ("afgesloten", "nog niet afgesloten"),
])
def test_feedback_only_offers_the_standard_messages_that_fit(client, coordinator, signal, code, message):
    response = post(client, signal, "terugkoppeling", "terugkoppeling", code=code)
    assert response.status_code == 200
    assert message in field_error(response, "terugkoppeling-code")
    assert not fresh(signal).feedback and not events("feedback.sent")


def test_closed_feedback_is_possible_once_the_signal_is_closed(client, coordinator, make_signal, reporter):
    closed = make_signal(reporter, status=CLOSED)
    assert post(client, closed, "terugkoppeling", "terugkoppeling", code="afgesloten").status_code == 302
    assert [f.code for f in fresh(closed).feedback] == ["afgesloten"]
