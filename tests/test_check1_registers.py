"""Privacy check 1 to the letter of the model protocol: per allowed register (A) the legal
ground of the original collection, (B) compatibility of further use (art. 6 lid 4 AVG), (C)
necessity, proportionality and subsidiarity; and the registers as a list the functional admin
maintains, with sociaal domein split per law (migration 0016).
"""

import re

import pytest
from sqlalchemy import select, text

from casustafel.extensions import db
from casustafel.models import PrivacyCheck, PrivacyCheckRegister, SourceQuery, SourceRegister
from casustafel.models.registers import register_labels
from casustafel.privacy.decisions import DecisionError, decide_privacy_check
from casustafel.privacy.services import request_privacy_check
from casustafel.settings import set_setting
from casustafel.signals.weighing import record_source_query, weighing_record
from tests.conftest import login, post_form
from tests.helpers.assessments import events, post_prefixed, reload
from tests.helpers.registers import assessments

# Long unicode texts, as a privacy officer really writes them.
A_TEXT = "Kadasterwet, artikel 107 — openbare registers; eigendom en beperkingen (Ørsted-perceel, §3) " * 12
B_TEXT = "Verenigbaar: het doel ‘bestuurlijke aanpak’ ligt in het verlengde van rechtszekerheid — “zie 6 lid 4” ✓ " * 12
C_TEXT = "Noodzakelijk en proportioneel: eerst hit / no hit; subsidiair, geen lichter middel (Zoë, Łódź, 東京). " * 12
RATIONALE = "Besluit-7c1e: alleen Kadaster en BRP."


@pytest.fixture
def people(make_user):
    class People:
        coordinator = make_user("coordinator", name="Cora Regisseur")
        officer = make_user("privacy_officer", name="Paula Privacy")
        admin = make_user("admin", name="Aart Beheer")

    return People


def _as(app, user):
    client = app.test_client()
    assert login(client, user.email).status_code == 200
    return client


def _check(people, signal) -> PrivacyCheck:
    check = request_privacy_check(people.coordinator, signal, "1")
    db.session.commit()
    return check


def _form(**overrides) -> dict:
    data = {"approved": "ja", "rationale": RATIONALE, "allowed_registers": ["brp", "kadaster"],
            "content_registers": ["kadaster"], "a_kadaster": A_TEXT, "b_kadaster": B_TEXT, "c_kadaster": C_TEXT,
            "a_brp": "Wet BRP", "b_brp": "Verenigbaar met de taak.", "c_brp": "Alleen hit / no hit."}
    data.update(overrides)
    return data


def _options(body: str, select_id: str) -> set[str]:
    html = body.split(f'id="{select_id}"')[1].split("</select>")[0]
    return set(re.findall(r'<option[^>]*value="([^"]*)"', html))


# The list: seeded by the migration, sociaal domein per law ----------------------------------


def test_the_migration_seeds_the_registers_with_sociaal_domein_split_per_law(app):
    rows = {r.code: r for r in db.session.scalars(select(SourceRegister))}
    for code, label, law in (("participatiewet", "Sociaal domein — Participatiewet", "Participatiewet"),
                             ("wmo", "Sociaal domein — Wmo 2015", "Wet maatschappelijke ondersteuning 2015"),
                             ("jeugdwet", "Sociaal domein — Jeugdwet", "Jeugdwet")):
        assert rows[code].label == label and rows[code].active and law in rows[code].legal_basis
    assert (rows["sociaal_domein"].label, rows["sociaal_domein"].active) == ("Sociaal domein", False)
    assert rows["brp"].legal_basis.startswith("Wet basisregistratie personen")
    assert rows["kadaster"].legal_basis == "Kadasterwet"
    assert {"brp", "bag", "woz", "kvk", "kadaster", "belastingen", "vergunningen", "handhaving",
            "open_bronnen"} <= set(rows)
    assert "sociaal_domein" not in register_labels(active_only=True)
    assert register_labels()["sociaal_domein"] == "Sociaal domein"  # old codes still display
    # the seed is the migration's, straight from the table
    assert db.session.execute(text("SELECT count(*) FROM source_register WHERE active")).scalar() == 12


def test_a_check_and_source_check_from_before_keep_their_label_and_say_abc_not_recorded(app, people, make_signal):
    signal = make_signal(status="bronnenonderzoek")
    check = PrivacyCheck(signal_id=signal.id, kind="1", status="besloten", approved=True,
                         allowed_registers=["brp", "sociaal_domein"], content_registers=[],
                         decided_by_id=people.officer.id, decided_role="privacy_officer")
    check.rationale = "Oud besluit"
    db.session.add(check)
    db.session.flush()
    db.session.add(SourceQuery(signal_id=signal.id, privacy_check_id=check.id, register="sociaal_domein", hit=False))
    db.session.commit()

    body = _as(app, people.coordinator).get(f"/meldingen/{signal.id}").get_data(as_text=True)
    privacy = body.split('id="privacytoetsen"')[1].split('id="bronnenonderzoek"')[0]
    assert "BRP (personen), Sociaal domein" in privacy and privacy.count("A/B/C niet vastgelegd") == 2
    assert "Sociaal domein" in body.split('id="bronnenonderzoek"')[1]
    [step] = [s for s in weighing_record(signal) if s.title.startswith("Privacytoets 1")]
    assert ("Sociaal domein", "A/B/C niet vastgelegd") in step.details
    assert ("BRP (personen)", "A/B/C niet vastgelegd") in step.details
    # the old check still lets the coordinator record in the register it allowed
    record_source_query(people.coordinator, signal, register="sociaal_domein", hit=False, summary=None)


# Check 1 per register --------------------------------------------------------------------------


def test_the_form_asks_abc_per_register_with_a_from_the_law_of_the_register(app, people, make_signal):
    check = _check(people, make_signal(status="weging"))
    body = _as(app, people.officer).get(f"/privacy/toetsen/{check.id}").get_data(as_text=True)
    assert _options_checkboxes(body, "allowed_registers") == set(register_labels(active_only=True))
    assert 'name="a_kadaster"' in body and 'name="b_kadaster"' in body and 'name="c_kadaster"' in body
    assert re.search(r'name="a_kadaster"[^>]*>\s*Kadasterwet</textarea>', body)
    assert "Sociaal domein — Jeugdwet" in body and 'name="b_sociaal_domein"' not in body


def _options_checkboxes(body: str, name: str) -> set[str]:
    return set(re.findall(rf'name="{name}" value="([^"]+)"', body))


def test_a_decision_records_abc_per_register_encrypted_logged_and_shown_everywhere(app, people, make_signal):
    signal = make_signal(status="weging")
    check = _check(people, signal)
    officer = _as(app, people.officer)
    assert post_form(officer, f"/privacy/toetsen/{check.id}", _form()).status_code == 302

    check = reload(PrivacyCheck, check.id)
    assert (check.status, check.allowed_registers, check.content_registers) == (
        "besloten", ["brp", "kadaster"], ["kadaster"])
    kadaster = check.assessment_for("kadaster")
    assert (kadaster.legal_basis, kadaster.compatibility, kadaster.necessity) == (
        A_TEXT.strip(), B_TEXT.strip(), C_TEXT.strip())
    assert check.assessment_for("brp").compatibility == "Verenigbaar met de taak."
    rows = db.session.execute(text("SELECT legal_basis_enc, compatibility_enc, necessity_enc, signal_id "
                                   "FROM privacy_check_register")).all()
    assert len(rows) == 2
    for row in rows:  # encrypted at rest: no plaintext in the raw columns
        for blob, plain in zip(row[:3], (A_TEXT, B_TEXT, C_TEXT), strict=True):
            assert plain[:40].encode() not in bytes(blob) and b"Kadasterwet" not in bytes(blob)
    [decided] = events("privacy_check.decided", check.id)
    assert (decided.actor_id, decided.reason_code) == (people.officer.id, "goedgekeurd")
    assert "Kadasterwet" not in (decided.object_id or "") + (decided.reason_code or "")

    page = officer.get(f"/privacy/toetsen/{check.id}").get_data(as_text=True)
    assert "Kadaster: B. verenigbaarheid" in page and "Ørsted-perceel" in page and "Łódź, 東京" in page

    coordinator = _as(app, people.coordinator)
    workspace = coordinator.get(f"/meldingen/{signal.id}").get_data(as_text=True)
    privacy = workspace.split('id="privacytoetsen"')[1]
    assert "Kadaster: A. grondslag van de verzameling" in privacy and "Ørsted-perceel, §3" in privacy
    assert "“zie 6 lid 4” ✓" in privacy and "Zoë" in privacy and "A/B/C niet vastgelegd" not in privacy

    [step] = [s for s in weighing_record(signal) if s.title.startswith("Privacytoets 1")]
    details = dict(step.details)
    assert details["Kadaster: B. verenigbaarheid"] == B_TEXT.strip()
    assert details["Kadaster: C. noodzaak, proportionaliteit, subsidiariteit"] == C_TEXT.strip()
    assert details["BRP (personen): A. grondslag van de verzameling"] == "Wet BRP"
    record_page = coordinator.get(f"/meldingen/{signal.id}/wegingsverslag").get_data(as_text=True)
    assert "Kadaster: C. noodzaak, proportionaliteit, subsidiariteit" in record_page and "東京" in record_page


@pytest.mark.parametrize(("part", "message"), [
    ("b", "Vul voor Kadaster in waarom verder gebruik verenigbaar is."),
    ("c", "Vul voor Kadaster in waarom raadplegen noodzakelijk, proportioneel en subsidiair is."),
    ("a", "Vul voor Kadaster de grondslag in waaronder de gegevens oorspronkelijk zijn verzameld."),
])
def test_allowing_a_register_without_its_abc_is_refused_next_to_the_field_and_saves_nothing(
        app, people, make_signal, part, message):
    check = _check(people, make_signal(status="weging"))
    response = post_form(_as(app, people.officer), f"/privacy/toetsen/{check.id}", _form(**{f"{part}_kadaster": "  "}))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    error = body.split(f'id="{part}_kadaster-error"')[1].split("</div>")[0]
    assert message in error
    assert 'aria-invalid="true"' in body.split(f'name="{part}_kadaster"')[0].rsplit("<textarea", 1)[1] + \
        body.split(f'name="{part}_kadaster"')[1].split(">")[0]
    for kept in ({"a", "b", "c"} - {part}):  # what was typed is kept
        assert {"a": "Ørsted-perceel, §3", "b": "“zie 6 lid 4” ✓", "c": "Łódź, 東京"}[kept] in body
    assert "7c1e" in body
    assert reload(PrivacyCheck, check.id).status == "open"
    assert db.session.scalars(select(PrivacyCheckRegister)).all() == []
    assert events("privacy_check.decided") == []


def test_a_register_not_allowed_needs_no_abc_and_keeps_none(app, people, make_signal):
    check = _check(people, make_signal(status="weging"))
    data = _form(allowed_registers=["brp"], content_registers=[], b_kadaster="", c_kadaster="")
    assert post_form(_as(app, people.officer), f"/privacy/toetsen/{check.id}", data).status_code == 302
    check = reload(PrivacyCheck, check.id)
    assert [a.register for a in check.register_assessments] == ["brp"]


def test_a_refusal_records_no_abc(app, people, make_signal):
    check = _check(people, make_signal(status="weging"))
    assert post_form(_as(app, people.officer), f"/privacy/toetsen/{check.id}",
                     _form(approved="nee")).status_code == 302
    check = reload(PrivacyCheck, check.id)
    assert (check.approved, check.allowed_registers, check.register_assessments) == (False, [], [])


def test_the_service_refuses_a_register_without_b_or_c(people, make_signal):
    check = _check(people, make_signal(status="weging"))
    incomplete = assessments("kadaster")
    incomplete["kadaster"]["b"] = " "
    with pytest.raises(DecisionError, match=r"Vul voor Kadaster in waarom verder gebruik verenigbaar is\."):
        decide_privacy_check(people.officer, check, approved=True, rationale="r", allowed_registers=["kadaster"],
                             register_assessments=incomplete)
    with pytest.raises(DecisionError, match="noodzakelijk, proportioneel en subsidiair"):
        decide_privacy_check(people.officer, check, approved=True, rationale="r", allowed_registers=["kadaster"],
                             register_assessments={"kadaster": {"a": "Kadasterwet", "b": "ja"}})
    db.session.rollback()
    assert reload(PrivacyCheck, check.id).status == "open"
    assert db.session.scalars(select(PrivacyCheckRegister)).all() == []


def test_the_coordinator_recording_checks_fills_in_the_same_abc(app, people, make_signal):
    set_setting("privacy_checks_by_coordinator", "1")
    db.session.commit()
    check = _check(people, make_signal(status="weging"))
    coordinator = _as(app, people.coordinator)
    refused = post_form(coordinator, f"/privacy/toetsen/{check.id}", _form(c_kadaster=""))
    assert refused.status_code == 200 and "Vul voor Kadaster in waarom raadplegen" in refused.get_data(as_text=True)
    assert post_form(coordinator, f"/privacy/toetsen/{check.id}", _form()).status_code == 302
    check = reload(PrivacyCheck, check.id)
    assert check.decided_role == "coordinator" and check.assessment_for("kadaster").necessity == C_TEXT.strip()


# Source checks follow the decision ----------------------------------------------------------


def test_the_source_check_form_offers_exactly_the_allowed_registers(app, people, make_signal):
    signal = make_signal(status="bronnenonderzoek")
    check = _check(people, signal)
    decide_privacy_check(people.officer, check, approved=True, rationale="r", allowed_registers=["wmo", "brp"],
                         register_assessments=assessments("brp", "wmo"))
    db.session.commit()
    body = _as(app, people.coordinator).get(f"/meldingen/{signal.id}").get_data(as_text=True)
    assert _options(body, "bron-register") == {"", "brp", "wmo"}
    assert "Sociaal domein — Wmo 2015" in body.split('id="bron-register"')[1].split("</select>")[0]


def test_an_inactive_register_cannot_be_chosen_anew(app, people, make_signal):
    signal = make_signal(status="bronnenonderzoek")
    earlier = _check(people, signal)
    decide_privacy_check(people.officer, earlier, approved=True, rationale="r", allowed_registers=["kadaster"],
                         register_assessments=assessments("kadaster"))
    db.session.commit()
    kadaster = db.session.scalar(select(SourceRegister).where(SourceRegister.code == "kadaster"))
    admin = _as(app, people.admin)
    assert post_form(admin, f"/beheer/lijsten/bronnen/{kadaster.id}/in-gebruik", {}).status_code == 302
    assert reload(SourceRegister, kadaster.id).active is False
    [event] = events("source_register.deactivated")
    assert (event.actor_id, event.object_id) == (people.admin.id, str(kadaster.id))

    check = _check(people, make_signal(status="weging"))
    officer = _as(app, people.officer)
    page = officer.get(f"/privacy/toetsen/{check.id}").get_data(as_text=True)
    assert 'value="kadaster"' not in page and 'name="a_kadaster"' not in page
    refused = post_form(officer, f"/privacy/toetsen/{check.id}", _form())
    assert refused.status_code == 200 and "Kies alleen uit de genoemde bronnen." in refused.get_data(as_text=True)
    assert reload(PrivacyCheck, check.id).status == "open"
    with pytest.raises(DecisionError, match="‘Kadaster’ is niet meer in gebruik"):
        decide_privacy_check(people.officer, check, approved=True, rationale="r", allowed_registers=["kadaster"],
                             register_assessments=assessments("kadaster"))
    db.session.rollback()
    # the check that allowed it before still stands: its register is offered with its label
    body = _as(app, people.coordinator).get(f"/meldingen/{signal.id}").get_data(as_text=True)
    assert _options(body, "bron-register") == {"", "kadaster"}
    assert post_prefixed(_as(app, people.coordinator), f"/meldingen/{signal.id}/bronnen", "bron",
                         {"register": "kadaster", "hit": "nee"}).status_code == 302


# The admin maintains the list ------------------------------------------------------------------

NEW_LABEL = "Sociaal domein — Wet inburgering 2021 (Ærø, Zoë)"
NEW_LAW = "Wet inburgering 2021, artikel 2 — gegevens verzameld voor de inburgeringsplicht; 東京 ✓"


def test_the_admin_adds_edits_and_deactivates_a_register_and_each_change_is_logged(app, people, make_signal):
    admin = _as(app, people.admin)
    assert "Bronnen beheren" in admin.get("/beheer/lijsten").get_data(as_text=True)
    response = post_form(admin, "/beheer/lijsten/bronnen", {"label": NEW_LABEL, "legal_basis": NEW_LAW})
    assert response.status_code == 302
    added = db.session.scalar(select(SourceRegister).where(SourceRegister.label == NEW_LABEL))
    assert (added.code, added.legal_basis, added.active) == ("sociaal_domein_wet_inbur", NEW_LAW, True)
    assert [e.object_id for e in events("source_register.created")] == [str(added.id)]

    check = _check(people, make_signal(status="weging"))
    page = _as(app, people.officer).get(f"/privacy/toetsen/{check.id}").get_data(as_text=True)
    assert NEW_LABEL in page and re.search(rf'name="a_{added.code}"[^>]*>\s*Wet inburgering 2021', page)

    edited = {"label": "Sociaal domein — Wet inburgering", "legal_basis": "Wet inburgering 2021"}
    assert post_form(admin, f"/beheer/lijsten/bronnen/{added.id}", edited).status_code == 302
    added = reload(SourceRegister, added.id)
    assert (added.label, added.legal_basis, added.code) == (*edited.values(), "sociaal_domein_wet_inbur")
    assert len(events("source_register.updated", added.id)) == 1
    assert post_form(admin, f"/beheer/lijsten/bronnen/{added.id}/in-gebruik", {}).status_code == 302
    assert reload(SourceRegister, added.id).active is False
    assert len(events("source_register.deactivated", added.id)) == 1


@pytest.mark.parametrize(("data", "message"), [
    ({"label": "", "legal_basis": "Wet"}, "Vul de naam van de bron in."),
    ({"label": "kadaster", "legal_basis": NEW_LAW}, "Deze bron staat al in de lijst."),
    ({"label": "Ω" * 121, "legal_basis": NEW_LAW}, "Gebruik hooguit 120 tekens."),
    ({"label": NEW_LABEL, "legal_basis": "é" * 301}, "Gebruik hooguit 300 tekens."),
])
def test_a_wrong_register_is_explained_next_to_the_field_and_nothing_is_added(app, people, data, message):
    before = db.session.scalar(select(text("count(*)")).select_from(SourceRegister))
    response = post_form(_as(app, people.admin), "/beheer/lijsten/bronnen", data)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and message in body
    assert 'id="label-error"' in body or 'id="legal_basis-error"' in body
    if data["legal_basis"] == NEW_LAW:
        assert "東京 ✓" in body  # what was typed is kept
    assert db.session.scalar(select(text("count(*)")).select_from(SourceRegister)) == before
    assert events("source_register.created") == []


def test_an_edit_to_a_taken_label_is_refused_and_changes_nothing(app, people):
    brp = db.session.scalar(select(SourceRegister).where(SourceRegister.code == "brp"))
    response = post_form(_as(app, people.admin), f"/beheer/lijsten/bronnen/{brp.id}",
                         {"label": "Kadaster", "legal_basis": "Wet BRP"})
    assert response.status_code == 200 and "Deze bron staat al in de lijst." in response.get_data(as_text=True)
    assert reload(SourceRegister, brp.id).label == "BRP (personen)"
    assert events("source_register.updated") == []


@pytest.mark.parametrize("role", ["coordinator", "privacy_officer", "member", "reporter"])
def test_only_the_functional_admin_changes_the_list(app, make_user, role):
    client = _as(app, make_user(role))
    brp = db.session.scalar(select(SourceRegister).where(SourceRegister.code == "brp"))
    assert post_form(client, "/beheer/lijsten/bronnen", {"label": "Eigen bron", "legal_basis": "x"}).status_code == 403
    assert post_form(client, f"/beheer/lijsten/bronnen/{brp.id}/in-gebruik", {}).status_code == 403
    assert post_form(client, f"/beheer/lijsten/bronnen/{brp.id}", {"label": "x"}).status_code == 403
    assert reload(SourceRegister, brp.id).active is True and reload(SourceRegister, brp.id).label == "BRP (personen)"
    assert db.session.scalar(select(SourceRegister).where(SourceRegister.label == "Eigen bron")) is None


def test_an_unknown_register_answers_404(app, people):
    admin = _as(app, people.admin)
    assert admin.get("/beheer/lijsten/bronnen/99999").status_code == 404
    assert post_form(admin, "/beheer/lijsten/bronnen/99999/in-gebruik", {}).status_code == 404
    assert admin.get("/beheer/lijsten/bronnen/" + "9" * 30).status_code == 404


def test_a_register_named_in_decisions_keeps_its_name_and_the_last_one_stays_in_use(app, people, make_signal):
    """Renaming would rewrite old decisions and source checks; without any register check 1
    could allow nothing."""
    signal = make_signal(status="bronnenonderzoek")
    check = _check(people, signal)
    decide_privacy_check(people.officer, check, approved=True, rationale="r", allowed_registers=["brp"],
                         register_assessments=assessments("brp"))
    db.session.commit()
    admin = _as(app, people.admin)
    brp = db.session.scalar(select(SourceRegister).where(SourceRegister.code == "brp"))
    response = post_form(admin, f"/beheer/lijsten/bronnen/{brp.id}",
                         {"label": "BRP (nieuw)", "legal_basis": "Wet BRP"})
    assert response.status_code == 200 and "achteraf veranderen" in response.get_data(as_text=True)
    assert reload(SourceRegister, brp.id).label == "BRP (personen)"
    sharpened = {"label": "BRP (personen)", "legal_basis": "Wet BRP, art. 3.3"}
    assert post_form(admin, f"/beheer/lijsten/bronnen/{brp.id}", sharpened).status_code == 302
    assert reload(SourceRegister, brp.id).legal_basis == "Wet BRP, art. 3.3"  # the law may be sharpened

    others = db.session.scalars(select(SourceRegister).where(SourceRegister.active.is_(True),
                                                             SourceRegister.id != brp.id)).all()
    for register in others:
        register.active = False
    db.session.commit()
    response = post_form(admin, f"/beheer/lijsten/bronnen/{brp.id}/in-gebruik", {})
    assert response.status_code == 302 and reload(SourceRegister, brp.id).active
    assert "laatste bron in gebruik" in admin.get("/beheer/lijsten/bronnen").get_data(as_text=True)
