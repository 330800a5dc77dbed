"""The CCV's own lists (model protocol, issue 17): the indicators of the checklist
beoordelingskader with their source (weging 1), and the criteria of weging 3 as the
municipality's list that the functional admin keeps.

Migration 0015 seeds both; old weighings keep showing the question they answered.
"""

import html

import pytest
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import Assessment, AuditEvent, Indicator, Signal, WeighingCriterion
from casustafel.signals.weighing import weighing_record
from tests.conftest import csrf_from, login, post_form
from tests.helpers.assessments import post_prefixed
from tests.helpers.signals import signal_form, submit

CCV = "CCV, Modelprotocol ondermijning — checklist beoordelingskader (hetccv.nl)"
CCV_URL = "https://hetccv.nl/themas/georganiseerde-criminaliteit-en-ondermijning/modelprotocol-ondermijning/"
TERRITORY_TESTS = {
    "Het gaat om een pand of perceel in onze gemeente",
    "Het gaat om een onderneming of instelling in onze gemeente",
    "Betrokkene woont of staat ingeschreven in onze gemeente",
    "Er is een vergunning, subsidie of uitkering van onze gemeente bij betrokken",
}
NEW_QUESTION = "Komt het signaal uit méér dan één bron — of ziet één afdeling het al ‘structureel’?"
WEGING_YES = {"c_concreet": "ja", "c_recent": "ja", "c_trend": "nee"}


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _indicators(group: str, *, active: bool = True) -> list[Indicator]:
    return list(db.session.scalars(select(Indicator).where(Indicator.group == group, Indicator.active.is_(active))
                                   .order_by(Indicator.position)))


def _client(app, user):
    client = app.test_client()
    assert login(client, user.email).status_code == 200
    return client


def _add_criterion(client, question: str):
    return post_form(client, "/beheer/wegingscriteria", {"question": question}, from_url="/beheer/wegingscriteria")


def _criterion(question: str) -> WeighingCriterion | None:
    db.session.expire_all()
    return db.session.scalar(select(WeighingCriterion).where(WeighingCriterion.question == question))


def _events(action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


@pytest.fixture
def admin(app, make_user):
    return _client(app, make_user("admin", name="Ada Beheer"))


@pytest.fixture
def coordinator(app, make_user):
    return _client(app, make_user("coordinator", name="Cora Regisseur"))


# Weging 1: the CCV's indicators with their source ---------------------------------------------


def test_the_migration_seeds_the_ccv_checklist_with_its_source():
    kenmerken = [i.label for i in _indicators("kenmerken")]
    local = [i.label for i in _indicators("lokale_verankering")]
    signalering = [i.label for i in _indicators("signalering")]
    assert kenmerken == ["Aantasten van instituten", "Aantasten van gezag of openbare orde",
                         "Ontwrichten van maatschappelijke, politieke of economische structuren",
                         "Onrechtmatigheden", "Georganiseerde criminaliteit"]
    assert local == ["Gelegenheidsstructuren in de bestuurlijke omgeving",
                     "Gelegenheidsstructuren in de (sociaal-)maatschappelijke omgeving",
                     "Gelegenheidsstructuren in de zakelijke of economische omgeving",
                     "Faciliterende processen of procedures in een organisatie",
                     "Betrokkenheid van een locatie, persoon, groep, familie of netwerk"]
    ccv_signalering = [label for label in signalering if label.split(":")[0] in
                       ("Incongruenties", "Malafide of criminele activiteiten", "Systematisch of structureel",
                        "Latent aanwezig", "Complex")]
    assert len(ccv_signalering) == 5
    ccv = [i for group in ("kenmerken", "lokale_verankering", "signalering") for i in _indicators(group)
           if i.source]
    assert len(ccv) == 15
    assert all(i.source.startswith(CCV) and CCV_URL in i.source for i in ccv)


def test_the_migration_deactivates_the_territory_tests_without_deleting_them():
    old = {i.label for i in _indicators("lokale_verankering", active=False)}
    assert old == TERRITORY_TESTS
    assert not TERRITORY_TESTS & {i.label for i in _indicators("lokale_verankering")}
    assert "Grote contante betalingen" in {i.label for i in _indicators("signalering")}  # red flags stay


def test_a_signal_keeps_a_territory_test_ticked_before_the_change(make_signal, app, make_user):
    old = db.session.scalar(select(Indicator).where(Indicator.label.in_(TERRITORY_TESTS)))
    signal = make_signal(status="intake")
    signal.indicators = [old]
    db.session.commit()
    client = _client(app, make_user("coordinator"))
    assert old.label in _text(client.get(f"/meldingen/{signal.id}"))


def test_the_meldpunt_form_offers_the_three_ccv_lists_with_their_source(app, make_user):
    text = _text(_client(app, make_user("reporter")).get("/meldpunt"))
    for heading in ("Kenmerken van ondermijning", "Lokale verankering", "Signalering (rode vlaggen)"):
        assert heading in text
    for group in ("kenmerken", "lokale_verankering", "signalering"):
        for indicator in _indicators(group):
            assert indicator.label in text
    assert text.count(f"Bron: {CCV}") == 3
    for label in TERRITORY_TESTS:
        assert label not in text


def test_a_coordinator_registers_a_signal_with_ccv_indicators_of_every_group(app, make_user):
    client = _client(app, make_user("coordinator"))
    hemp = db.session.scalar(select(Indicator.id).where(Indicator.label == "Onrechtmatigheden"))
    local = _indicators("lokale_verankering")[2].id
    flag = _indicators("signalering")[-1].id
    data = signal_form(channel="telefoon", description="Afgeplakte ramen boven de winkel van Zoë’s café.",
                       indicators_features=[str(hemp)], indicators_local=[str(local)], indicators_signal=[str(flag)])
    response = submit(client, data, url="/meldingen/registreren")
    assert response.status_code == 302, _text(response)[-2000:]
    signal = db.session.scalars(select(Signal)).one()
    assert {i.id for i in signal.indicators} == {hemp, local, flag}


def test_the_admin_sees_the_source_of_each_indicator_and_adds_one_with_a_source(admin):
    text = _text(admin.get("/beheer/lijsten"))
    assert f"Gelegenheidsstructuren in de bestuurlijke omgeving\n    — bron: {CCV}" in text
    assert "Grote contante betalingen\n    — bron: niet vastgelegd" in text
    source = "Beleidsregel ondermijning gemeente Súdwest-Fryslân 2026, art. 3"
    post_form(admin, "/beheer/lijsten", {"indicator-label": "Vastgoed dat steeds contant wordt gekocht",
                                         "indicator-group": "signalering", "indicator-source": source},
              from_url="/beheer/lijsten")
    added = db.session.scalar(select(Indicator).where(Indicator.label == "Vastgoed dat steeds contant wordt gekocht"))
    assert added.source == source and added.group == "signalering"
    assert source in _text(admin.get("/beheer/lijsten"))


def test_an_indicator_source_of_1000_characters_is_refused_in_dutch(admin):
    before = db.session.scalar(select(db.func.count(Indicator.id)))
    response = post_form(admin, "/beheer/lijsten", {"indicator-label": "Lange bron", "indicator-group": "kenmerken",
                                                    "indicator-source": "ä" * 1000}, from_url="/beheer/lijsten")
    assert response.status_code == 200
    assert "Gebruik hooguit 300 tekens." in _text(response)
    assert db.session.scalar(select(db.func.count(Indicator.id))) == before


# Weging 3: the municipality's criteria ------------------------------------------------------


def test_the_migration_seeds_the_ccv_criteria_of_weging_3_under_their_old_codes():
    rows = db.session.scalars(select(WeighingCriterion).order_by(WeighingCriterion.position)).all()
    assert [(c.kind, c.code, c.active) for c in rows] == [
        ("weging", "concreet", True), ("weging", "recent", True), ("weging", "trend", True)]
    assert rows[0].question == "Is het signaal voldoende concreet?"


def test_an_added_criterion_is_asked_stored_and_shown_in_the_wegingsverslag(admin, coordinator, make_signal):
    response = _add_criterion(admin, NEW_QUESTION)
    assert response.status_code == 302
    criterion = _criterion(NEW_QUESTION)
    assert criterion.active and criterion.kind == "weging"
    assert len(_events("weighing_criterion.created")) == 1
    assert _events("weighing_criterion.created")[0].object_id == str(criterion.id)

    client = coordinator
    signal = make_signal(status="weging")
    assert NEW_QUESTION in _text(client.get(f"/meldingen/{signal.id}"))  # the form asks it
    missing = post_prefixed(client, f"/meldingen/{signal.id}/weging/weging", "weging",
                            {**WEGING_YES, "outcome": "bronnenonderzoek", "rationale": "Concreet."})
    assert "Beantwoord deze vraag met ja of nee." in _text(missing)  # the new question is required
    assert db.session.scalar(select(Assessment.id)) is None

    response = post_prefixed(client, f"/meldingen/{signal.id}/weging/weging", "weging",
                             {**WEGING_YES, f"c_{criterion.code}": "ja", "outcome": "bronnenonderzoek",
                              "rationale": "Concreet en uit twee bronnen."})
    assert response.status_code == 302
    assessment = db.session.scalars(select(Assessment)).one()
    assert assessment.answers == {"concreet": True, "recent": True, "trend": False, criterion.code: True}
    step = next(s for s in weighing_record(signal) if s.title == "Weging 3")
    assert (NEW_QUESTION, "Ja") in step.details
    assert ("Past het in een trend of fenomeen dat extra aandacht vraagt?", "Nee") in step.details
    page = _text(client.get(f"/meldingen/{signal.id}/wegingsverslag"))
    assert NEW_QUESTION in page


def test_a_deactivated_criterion_is_no_longer_asked_but_old_answers_show_its_question(
        admin, coordinator, make_signal):
    _add_criterion(admin, NEW_QUESTION)
    criterion = _criterion(NEW_QUESTION)
    client = coordinator
    earlier = make_signal(status="weging")
    post_prefixed(client, f"/meldingen/{earlier.id}/weging/weging", "weging",
                  {**WEGING_YES, f"c_{criterion.code}": "nee", "outcome": "bronnenonderzoek", "rationale": "Eerst."})
    assert db.session.scalar(select(Assessment.id)) is not None

    response = post_form(admin, f"/beheer/wegingscriteria/{criterion.id}/wisselen", from_url="/beheer/wegingscriteria")
    assert response.status_code == 302
    assert not _criterion(NEW_QUESTION).active
    assert len(_events("weighing_criterion.deactivated")) == 1

    later = make_signal(status="weging")
    assert NEW_QUESTION not in _text(client.get(f"/meldingen/{later.id}"))
    response = post_prefixed(client, f"/meldingen/{later.id}/weging/weging", "weging",
                             {**WEGING_YES, "outcome": "bronnenonderzoek", "rationale": "Later."})
    assert response.status_code == 302
    newest = db.session.scalars(select(Assessment).where(Assessment.signal_id == later.id)).one()
    assert criterion.code not in newest.answers

    workspace = _text(client.get(f"/meldingen/{earlier.id}"))
    assert NEW_QUESTION in workspace  # the earlier weighing still shows what it answered
    step = next(s for s in weighing_record(earlier) if s.title == "Weging 3")
    assert (NEW_QUESTION, "Nee") in step.details
    assert NEW_QUESTION in _text(client.get(f"/meldingen/{earlier.id}/wegingsverslag"))


def test_an_answer_whose_criterion_no_list_knows_shows_its_code(make_signal):
    signal = make_signal(status="bronnenonderzoek", next_step=None)
    weighing = Assessment(signal_id=signal.id, kind="weging", outcome="bronnenonderzoek",
                          answers={"concreet": True, "uit_oud_beleid": False})
    weighing.rationale = "Van vóór de lijst."
    db.session.add(weighing)
    db.session.commit()
    step = next(s for s in weighing_record(signal) if s.title == "Weging 3")
    assert step.details == [("Is het signaal voldoende concreet?", "Ja"), ("uit_oud_beleid", "Nee")]


def test_the_last_criterion_in_use_cannot_be_put_out_of_use(admin):
    rows = db.session.scalars(select(WeighingCriterion).order_by(WeighingCriterion.position)).all()
    for row in rows[:-1]:
        post_form(admin, f"/beheer/wegingscriteria/{row.id}/wisselen", from_url="/beheer/wegingscriteria")
    response = post_form(admin, f"/beheer/wegingscriteria/{rows[-1].id}/wisselen",
                         from_url="/beheer/wegingscriteria", follow_redirects=True)
    assert "Weging 3 heeft minstens één vraag nodig." in _text(response)
    db.session.expire_all()
    assert db.session.get(WeighingCriterion, rows[-1].id).active
    post_form(admin, f"/beheer/wegingscriteria/{rows[0].id}/wisselen", from_url="/beheer/wegingscriteria")
    db.session.expire_all()
    assert db.session.get(WeighingCriterion, rows[0].id).active
    assert len(_events("weighing_criterion.activated")) == 1


@pytest.mark.parametrize("question, message", [
    ("", "Vul de vraag in."),
    ("   ", "Vul de vraag in."),
    ("Is het signaal ‘voldoende’ concreet — ja of nee? " * 20, "Gebruik hooguit 300 tekens."),
    ("is het signaal voldoende concreet?", "Deze vraag staat al in de lijst."),
])
def test_bad_criterion_input_gets_a_dutch_message_keeps_the_text_and_saves_nothing(admin, question, message):
    before = db.session.scalar(select(db.func.count(WeighingCriterion.id)))
    response = _add_criterion(admin, question[:1000])
    assert response.status_code == 200
    text = _text(response)
    assert message in text
    if question.strip():
        assert question[:1000].strip() in text  # what was typed is kept
    assert db.session.scalar(select(db.func.count(WeighingCriterion.id))) == before
    assert _events("weighing_criterion.created") == []


def test_codes_of_new_criteria_are_unique_and_stable(admin):
    _add_criterion(admin, "Is er een trend?")
    _add_criterion(admin, "Is er een trend!")
    codes = [c.code for c in db.session.scalars(select(WeighingCriterion).order_by(WeighingCriterion.id))]
    assert codes[-2:] == ["is_er_een_trend", "is_er_een_trend_2"]


@pytest.mark.parametrize("role", ["coordinator", "member", "reporter", "privacy_officer"])
def test_only_the_admin_reaches_the_criteria(app, make_user, role):
    client = _client(app, make_user(role))
    assert client.get("/beheer/wegingscriteria").status_code == 403
    token = csrf_from(client.get("/"))
    response = client.post("/beheer/wegingscriteria", data={"csrf_token": token, "question": "Mag dit?"})
    assert response.status_code == 403
    criterion = db.session.scalar(select(WeighingCriterion).limit(1))
    response = client.post(f"/beheer/wegingscriteria/{criterion.id}/wisselen", data={"csrf_token": token})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(WeighingCriterion, criterion.id).active
    assert _criterion("Mag dit?") is None


def test_an_unknown_criterion_answers_404_and_logs_the_denial(admin):
    response = post_form(admin, "/beheer/wegingscriteria/999999/wisselen", from_url="/beheer/wegingscriteria")
    assert response.status_code == 404
    (denial,) = _events("access.denied")
    assert (denial.object_type, denial.object_id) == ("weighing_criterion", "999999")
