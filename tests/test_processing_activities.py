"""The register of processing activities (art. 30 AVG), the activity of every log event, the
art. 30 export and the DPIA annex generated from the configuration."""

import ast
import csv
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select, update

from casustafel.audit_log import canonical, record, verify_chain
from casustafel.extensions import db
from casustafel.models import AuditEvent, ProcessingActivity
from casustafel.models.activity import (
    ACTIVITY_CODES,
    UnmappedActionError,
    activity_for,
    activity_for_status_change,
)
from casustafel.models.base import keyring
from casustafel.models.roles import ROLE_LABELS, Role
from casustafel.privacy.annex import ART30_COLUMNS
from casustafel.settings import set_setting
from tests.conftest import PASSWORD, csrf_from, login, post_form
from tests.crawler import ACCOUNTS, Crawler
from tests.helpers.audit import EVENTS, as_attacker
from tests.helpers.referrals import pdf_text

PACKAGE = Path(__file__).resolve().parent.parent / "casustafel"
SEEDED = {
    "signaalanalyse", "bronnenonderzoek", "casusoverleg", "aanpak", "verstrekking", "rechten_betrokkenen",
    "bewaren_vernietigen", "beveiliging_verantwoording", "beheer", "managementinformatie",
}


def register_codes() -> set[str]:
    return set(db.session.scalars(select(ProcessingActivity.code).where(ProcessingActivity.active.is_(True))))


def officer_client(app, make_user):
    officer = make_user("privacy_officer", name="Fenna Ødegård-’t Hooft")
    client = app.test_client()
    assert login(client, officer.email).status_code == 200
    return officer, client


# --- every log event carries an activity from the register ------------------------------------


def test_the_register_is_seeded_with_every_activity_the_log_uses(app):
    assert register_codes() == SEEDED == set(ACTIVITY_CODES)
    for activity in db.session.scalars(select(ProcessingActivity)):
        assert activity.purpose and activity.legal_ground and activity.criminal_data_basis
        assert activity.controller in ("burgemeester", "college", "raad", "burgemeester_en_college")
        assert activity.controller_note and activity.selection_list and activity.retention


def test_every_log_event_has_a_processing_activity_from_the_register(app, complete_world):
    """Must show: the demo world (signals through every step, checks 1/2A/2B, meetings, actions,
    referrals, a data-subject request, break-glass, retention) and then every account following
    every link and sending every form it can reach."""
    client = app.test_client()
    login(client, "melder@casustafel.test", password="niet-het-wachtwoord-12")  # auth.login_failed
    from casustafel.demo import DEMO_PASSWORD

    for email in ACCOUNTS:
        client = app.test_client()
        assert login(client, email, password=DEMO_PASSWORD).status_code == 200
        crawler = Crawler(client, email, password=DEMO_PASSWORD)
        crawler.own_id = str(complete_world[0][email].id)
        crawler.crawl("/")
        crawler.submit_forms()
        assert not crawler.failures(), crawler.failures()
        assert post_form(client, "/uitloggen", from_url="/account").status_code == 302  # auth.logout
    db.session.expire_all()
    rows = db.session.execute(select(AuditEvent.action, AuditEvent.processing_activity)).all()
    actions = {action for action, _ in rows}
    # The flows the promise is about really ran.
    for action in ("signal.created", "signal.viewed", "assessment.recorded", "source_query.recorded",
                   "privacy_check.decided", "meeting.published", "agenda_item.viewed", "action.created",
                   "referral.sent", "subject_request.created", "break_glass.granted", "auth.login",
                   "auth.login_failed", "auth.logout", "retention.run", "processing_activity.listed",
                   "user.listed", "audit.viewed"):
        assert action in actions, action
    assert len(rows) > 500
    without = sorted({action for action, activity in rows if activity is None})
    assert without == []
    assert {activity for _, activity in rows} <= register_codes()
    # Each step of the model protocol shows up as its own activity, not one "casustafel".
    assert SEEDED - {"managementinformatie"} <= {activity for _, activity in rows}


def _literals(node) -> list[str] | None:
    """The action strings an argument can take: a literal, either branch of `a if c else b`,
    or a tuple of them; None when it is not made of literals."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        a, b = _literals(node.body), _literals(node.orelse)
        return a + b if a is not None and b is not None else None
    if isinstance(node, ast.Tuple):
        parts = [_literals(e) for e in node.elts]
        return [s for p in parts for s in p] if all(p is not None for p in parts) else None
    return None


def _parameter(arg, params: list[str]) -> str | None:
    """The helper's parameter the action comes from: `action`, or `events[0] if c else events[1]`."""
    if isinstance(arg, ast.Name) and arg.id in params:
        return arg.id
    if isinstance(arg, ast.IfExp):
        sides = {s.value.id for s in (arg.body, arg.orelse)
                 if isinstance(s, ast.Subscript) and isinstance(s.value, ast.Name) and s.value.id in params}
        return sides.pop() if len(sides) == 1 else None
    return None


def _call_name(node: ast.Call) -> str | None:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def actions_in_the_code() -> tuple[set[str], set[str], list[str]]:
    """Every action casustafel can log: literals passed to record()/record_denial(), literals
    passed through helpers that hand a parameter on as the action, and the object part of
    f-string actions. Returns (actions, f-string prefixes, what could not be resolved)."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in PACKAGE.rglob("*.py")}
    actions, prefixes, unresolved = set(), set(), []
    forwarders: dict[tuple, list[int]] = {}  # (module, helper) -> positions of the parameter that holds the action
    action_args = []
    for path, tree in trees.items():
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef) or fn.name in ("record", "record_denial"):
                continue
            params = [a.arg for a in fn.args.args]
            for node in ast.walk(fn):
                if isinstance(node, ast.Call) and _call_name(node) in ("record", "record_denial"):
                    position = 1 if _call_name(node) == "record" else 3
                    arg = node.args[position] if len(node.args) > position else next(
                        (k.value for k in node.keywords if k.arg == "action"), None)
                    if arg is None:
                        actions.add("access.denied")  # record_denial's default
                        continue
                    forwarded = _parameter(arg, params)
                    if forwarded is not None:  # a helper that logs the action its caller names
                        forwarders.setdefault((path, fn.name), []).append(params.index(forwarded))
                    else:
                        action_args.append((path, node.lineno, arg))
    for path, line, arg in action_args:
        found = _literals(arg)
        if found is not None:
            actions.update(found)
        elif isinstance(arg, ast.JoinedStr) and isinstance(arg.values[0], ast.Constant):
            prefixes.add(arg.values[0].value.split(".")[0])
        elif isinstance(arg, ast.JoinedStr):  # f"{model.__tablename__}.created": the models the module uses
            prefixes.update(_model_tables(trees[path]))
        else:
            unresolved.append(f"{path.name}:{line}")
    for (path, name), positions in forwarders.items():
        for node in ast.walk(trees[path]):
            if isinstance(node, ast.Call) and _call_name(node) == name:
                for position in positions:
                    found = _literals(node.args[position]) if len(node.args) > position else None
                    if found is None:
                        unresolved.append(f"{path.name}:{node.lineno}")
                    else:
                        actions.update(found)
    return actions, prefixes, unresolved


def test_every_action_in_the_code_maps_to_an_activity_of_the_register(app):
    """Static: a new log event whose action belongs to no activity fails here, before it runs."""
    actions, prefixes, unresolved = actions_in_the_code()
    assert unresolved == []
    assert len(actions) > 120  # the scan really finds the log's actions (referral.sent, keys.rotated, …)
    assert {"referral.sent", "auth.login", "keys.rotated", "partner.marked_internal", "user.role_refused",
            "power.deactivated", "signal.viewed"} <= actions
    codes = register_codes()
    unmapped = []
    for action in sorted(actions):
        try:
            assert activity_for(action) in codes
        except UnmappedActionError:
            unmapped.append(action)
    assert unmapped == []
    assert {"phenomenon", "indicator", "source_register", "weighing_criterion"} <= prefixes
    for prefix in prefixes:
        assert activity_for(f"{prefix}.created") in codes, prefix


def _model_tables(tree) -> set[str]:
    """The tables of the models a module imports from casustafel.models."""
    import casustafel.models as models

    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
             and node.module == "casustafel.models" for alias in node.names}
    return {getattr(models, n).__tablename__ for n in names if hasattr(getattr(models, n), "__tablename__")}


def test_an_action_without_an_activity_is_refused_and_nothing_is_logged(app):
    with pytest.raises(UnmappedActionError):
        record(None, "bibob_advies.gelezen", object_type="x", object_id="1")
    with pytest.raises(UnmappedActionError):
        record(None, "signal")  # no verb: no guess either
    db.session.commit()
    assert db.session.scalar(select(AuditEvent.seq).limit(1)) is None
    with pytest.raises(UnmappedActionError):  # a named activity must be one of the register's
        record(None, "signal.viewed", processing_activity="casustafel")
    # An explicit activity is what a caller names where the action alone says too little.
    ev = record(None, "bibob_advies.gelezen", processing_activity="aanpak")
    db.session.commit()
    assert ev.processing_activity == "aanpak"


class _Obj:
    def __init__(self, table, kind):
        self.__tablename__, self.kind = table, kind


def test_the_object_kind_or_the_step_decides_where_the_action_alone_cannot(app):
    assert activity_for("privacy_check.decided", _Obj("privacy_check", "1")) == "bronnenonderzoek"
    assert activity_for("privacy_check.decided", _Obj("privacy_check", "2A")) == "casusoverleg"
    assert activity_for("privacy_check.decided", _Obj("privacy_check", "2B")) == "verstrekking"
    assert activity_for("assessment.recorded", _Obj("assessment", "intake")) == "signaalanalyse"
    assert activity_for("assessment.recorded", _Obj("assessment", "vervolgstap")) == "bronnenonderzoek"
    # Another table's kind never leaks into the mapping.
    assert activity_for("privacy_check.listed", _Obj("meeting", "2B")) == "bronnenonderzoek"
    assert activity_for("signal.legal_hold_set") == "bewaren_vernietigen"
    assert activity_for_status_change("intake", "weging") == "signaalanalyse"
    assert activity_for_status_change("geagendeerd", "besproken") == "casusoverleg"
    assert activity_for_status_change("monitoring", "afgesloten") == "aanpak"
    assert activity_for_status_change("bronnenonderzoek", "doorgezet") == "verstrekking"


def test_status_changes_and_checks_in_a_real_flow_carry_their_step(app, make_user, make_signal):
    from casustafel.privacy.services import request_privacy_check
    from casustafel.signals.workflow import transition

    coordinator = make_user("coordinator")
    signal = make_signal(make_user("reporter"), status="bronnenonderzoek")
    transition(coordinator, signal, "afgesloten", reason_code="geen_hit")
    db.session.commit()
    change = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "signal.status_changed")
                                .order_by(AuditEvent.seq.desc())).first()
    assert change.processing_activity == "bronnenonderzoek"  # closed after the source checks: that step
    request_privacy_check(coordinator, signal, "1")
    db.session.commit()
    requested = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy_check.requested")
                                   .order_by(AuditEvent.seq.desc())).first()
    assert requested.processing_activity == "bronnenonderzoek"


# --- the hash chain -----------------------------------------------------------------------------


OLD_KEYS = {"seq", "occurred_at", "actor_id", "actor_role", "action", "object_type", "object_id",
            "subject_pseudonyms", "purpose", "result", "reason_code", "request_id", "origin", "key_id"}


def test_the_chain_still_verifies_with_events_from_before_the_activity(app):
    import json

    for n in range(3):  # written as the code before revision 0019 wrote them: no activity
        ev = record(None, "signal.viewed", object_type="signal", object_id=f"oud-{n}")
        ev.processing_activity = None
        db.session.commit()
        assert set(json.loads(canonical(ev))) == OLD_KEYS  # the very bytes the old MAC covered
    for n in range(3):
        record(None, "referral.sent", object_type="referral", object_id=f"nieuw-{n}")
        db.session.commit()
    status = verify_chain(keyring())
    assert status.ok and status.count == 6, status.message
    newest = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert json.loads(canonical(newest))["processing_activity"] == "verstrekking"


@pytest.mark.parametrize(("seq", "value"), [(2, "beheer"), (5, "beheer"), (5, None)])
def test_changing_or_adding_an_activity_afterwards_breaks_the_chain_at_that_event(app, seq, value):
    for n in range(3):
        ev = record(None, "signal.viewed", object_type="signal", object_id=str(n))
        ev.processing_activity = None
        db.session.commit()
    for n in range(3):
        record(None, "referral.sent", object_type="referral", object_id=str(n))
        db.session.commit()
    # An insider with database access, past the append-only trigger on PostgreSQL.
    as_attacker(update(EVENTS).where(EVENTS.c.seq == seq).values(processing_activity=value))
    status = verify_chain(keyring())
    assert not status.ok and status.first_broken_seq == seq


# --- the register page -------------------------------------------------------------------------


def test_the_privacy_officer_edits_an_activity_and_the_log_names_fields_not_text(app, make_user):
    officer, client = officer_client(app, make_user)
    activity = db.session.scalar(select(ProcessingActivity).where(ProcessingActivity.code == "verstrekking"))
    page = client.get(f"/privacy/verwerkingen/{activity.id}")
    assert page.status_code == 200
    ground = ("Art. 6 lid 1 sub e AVG; WGS (Stb. 2024, 198) en BGS (Stb. 2024, 380) — Zorg- en Veiligheidshuis "
              "Ĳsselland, ‘samenwerkingsverband’ " + "ondermijning " * 250)[:4000]
    data = {field: getattr(activity, field) for field in (
        "name", "purpose", "legal_ground", "criminal_data_basis", "controller", "controller_note",
        "data_subjects", "data_categories", "recipients", "retention", "selection_list")}
    data.update(legal_ground=ground, controller="burgemeester", csrf_token=csrf_from(page))
    response = client.post(f"/privacy/verwerkingen/{activity.id}", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert activity.legal_ground == ground.strip() and activity.controller == "burgemeester"
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "processing_activity.updated"))
    assert event.reason_code == "legal_ground,controller"
    assert event.actor_id == officer.id and event.processing_activity == "beveiliging_verantwoording"
    assert event.object_id == str(activity.id)
    for column in ("object_type", "subject_pseudonyms", "purpose", "reason_code", "origin"):
        assert "WGS" not in (getattr(event, column) or "")
    listed = client.get("/privacy/verwerkingen")
    assert "Burgemeester" in listed.get_data(as_text=True)


def test_bad_input_gets_a_dutch_message_next_to_the_field_keeps_the_text_and_saves_nothing(app, make_user):
    _, client = officer_client(app, make_user)
    activity = db.session.scalar(select(ProcessingActivity).where(ProcessingActivity.code == "aanpak"))
    before = {c.name: getattr(activity, c.name) for c in ProcessingActivity.__table__.columns}
    page = client.get(f"/privacy/verwerkingen/{activity.id}")
    typed = "Sluiting op grond van art. 13b Opiumwet — Çelik & Zoë’s café"
    response = client.post(f"/privacy/verwerkingen/{activity.id}", data={
        "csrf_token": csrf_from(page), "name": "x" * 201, "purpose": typed, "legal_ground": " ",
        "criminal_data_basis": "n.v.t.", "controller": "gemeentesecretaris", "controller_note": "n.v.t.",
        "data_subjects": "a", "data_categories": "b", "recipients": "c", "retention": "d",
        "selection_list": "e\x00f",
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Gebruik hooguit 200 tekens." in html and "Vul de grondslag in." in html
    assert "Çelik &amp; Zoë’s café" in html
    assert "Not a valid choice" not in html and re.search(r'id="controller-error"', html)
    assert re.search(r'id="legal_ground-error"', html)
    db.session.expire_all()
    assert {c.name: getattr(activity, c.name) for c in ProcessingActivity.__table__.columns} == before
    assert db.session.scalar(select(AuditEvent.seq).where(AuditEvent.action == "processing_activity.updated")) is None


@pytest.mark.parametrize("role", ["admin", "coordinator", "member", "reporter"])
def test_no_other_role_reads_or_changes_the_register_or_the_annex(app, make_user, role):
    """The insider: an admin (who keeps every other list) tries the page, the form and the downloads."""
    user = make_user(role)
    client = app.test_client()
    login(client, user.email)
    activity = db.session.scalar(select(ProcessingActivity).where(ProcessingActivity.code == "beheer"))
    before = activity.purpose
    token = csrf_from(client.get("/account"))
    for url in ("/privacy/verwerkingen", f"/privacy/verwerkingen/{activity.id}", "/privacy/verwerkingen/register.csv",
                "/privacy/verwerkingen/register.pdf", "/privacy/verwerkingen/dpia-bijlage.pdf"):
        assert client.get(url).status_code == 403, url
    response = client.post(f"/privacy/verwerkingen/{activity.id}", data={"csrf_token": token, "purpose": "Anders"})
    assert response.status_code == 403
    db.session.expire_all()
    assert activity.purpose == before
    assert db.session.scalar(select(AuditEvent.seq).where(AuditEvent.action.startswith("processing_activity."))) is None
    denied = db.session.scalars(select(AuditEvent).where(AuditEvent.result == "denied")).all()
    assert len(denied) == 6 and {e.processing_activity for e in denied} == {"beveiliging_verantwoording"}


# --- the art. 30 export -------------------------------------------------------------------------


def test_the_art30_export_holds_every_activity_with_every_art30_column(app, make_user):
    officer, client = officer_client(app, make_user)
    response = client.get("/privacy/verwerkingen/register.csv")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    header = rows[0]
    assert header == [label for _, label in ART30_COLUMNS]
    for sub in ("sub a", "sub b", "sub c", "sub d", "sub e", "sub f", "sub g"):
        assert any(sub in label for label in header), sub
    by_code = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(by_code) == SEEDED
    for activity in db.session.scalars(select(ProcessingActivity)):
        row = by_code[activity.code]
        assert row["Verwerkingsactiviteit"] == activity.name
        assert row["Doel (sub b)"] == activity.purpose
        assert row["Strafrechtelijke gegevens (art. 10 AVG / UAVG)"] == activity.criminal_data_basis
        assert row["Verwerkingsverantwoordelijke (art. 30 lid 1 sub a)"] == activity.controller_label
        assert row["Selectielijst"] == activity.selection_list
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "processing_activity.exported"))
    assert (event.actor_id, event.reason_code) == (officer.id, "art30_csv")


@pytest.mark.parametrize("url", ["/privacy/verwerkingen/register.csv", "/privacy/verwerkingen/register.pdf",
                                 "/privacy/verwerkingen/dpia-bijlage.pdf"])
def test_the_downloads_need_a_fresh_login(app, make_user, url):
    from datetime import timedelta

    from casustafel.models import UserSession

    officer, client = officer_client(app, make_user)
    for row in db.session.scalars(select(UserSession).where(UserSession.user_id == officer.id)):
        row.authenticated_at -= app.config["FRESH_LOGIN_WINDOW"] + timedelta(minutes=1)
    db.session.commit()
    response = client.get(url)
    assert response.status_code == 302 and "/inloggen/bevestigen" in response.headers["Location"]
    assert db.session.scalar(select(AuditEvent.seq).where(AuditEvent.action == "processing_activity.exported")) is None


def test_the_art30_pdf_names_every_activity(app, make_user):
    _, client = officer_client(app, make_user)
    response = client.get("/privacy/verwerkingen/register.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    content = pdf_text(response.data)
    for activity in db.session.scalars(select(ProcessingActivity)):
        assert f"(code {activity.code})" in content


# --- the DPIA annex ----------------------------------------------------------------------------


def encrypted_columns_in_the_source() -> set[tuple[str, str]]:
    """(table, attribute) of every `x = Encrypted()` in casustafel/models, read from the source:
    a model's own attributes and those of the mixins it names as bases."""
    classes = {}
    for path in (PACKAGE / "models").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            table, encrypted = None, set()
            for statement in node.body:
                if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
                    name, value = statement.targets[0].id, statement.value
                    if name == "__tablename__":
                        table = value.value
                    elif isinstance(value, ast.Call) and getattr(value.func, "id", None) == "Encrypted":
                        encrypted.add(name)
            classes[node.name] = (table, [getattr(b, "id", None) for b in node.bases], encrypted)

    def attributes(name):
        _, bases, own = classes[name]
        return own.union(*(attributes(b) for b in bases if b in classes))

    return {(table, attr) for name, (table, _, _) in classes.items() if table for attr in attributes(name)}


def test_the_dpia_annex_names_every_encrypted_column_the_terms_roles_and_checks(app, tmp_path):
    set_setting("retention_case_months", "84")
    set_setting("privacy_checks_by_coordinator", "1")
    db.session.commit()
    out = tmp_path / "dpia.html"
    result = app.test_cli_runner().invoke(args=["privacy", "dpia", "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    source = encrypted_columns_in_the_source()
    assert len(source) > 40
    for table, attribute in source:
        assert f"<td>{table}</td><td>{attribute}</td>" in html, (table, attribute)
    assert f"Versleutelde velden ({len(source)}," in html
    for column in ("person_bidx", "address_bidx", "kvk_bidx", "wrapped_key", "package_wrapped_key"):
        assert column in html
    assert "<td>Zaak met gemeentelijke aanpak</td><td>84 maanden</td>" in html
    assert "<td>Logboek (maanden na de gebeurtenis)</td><td>60 maanden</td>" in html
    assert "de regisseur (kleine gemeente)" in html
    for check in ("Privacytoets 1", "Privacytoets 2A", "Privacytoets 2B", "Vier ogen", "Noodtoegang (break-glass)"):
        assert f"<td>{check}</td>" in html
    for step in ("Intake", "Bronnenonderzoek en weging 4", "Casusoverleg", "Verstrekking", "Vernietiging"):
        assert step in html
    for role in Role:
        assert ROLE_LABELS[role] in html
    for activity in db.session.scalars(select(ProcessingActivity)):
        assert activity.name in html


def _matrix(html: str) -> dict[str, list[str]]:
    table = html.split("Aantal pagina's per onderdeel")[1].split("</table>")[0]
    rows = {}
    for row in re.findall(r"<tr><td>(.*?)</tr>", table):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", "<td>" + row)
        rows[cells[0]] = cells[1:]
    return rows


def test_the_role_matrix_comes_from_the_roles_on_every_endpoint(app, tmp_path):
    out = tmp_path / "dpia.html"
    assert app.test_cli_runner().invoke(args=["privacy", "dpia", "--out", str(out)]).exit_code == 0
    matrix = _matrix(out.read_text(encoding="utf-8"))
    roles = list(Role)
    officer, admin = roles.index(Role.PRIVACY_OFFICER), roles.index(Role.ADMIN)
    audit_endpoints = [e for e in app.view_functions if e.startswith("audit.")]
    logboek = matrix["Logboek"]
    assert logboek[officer] == str(len(audit_endpoints)) and logboek[-1] == str(len(audit_endpoints))
    assert all(cell == "—" for n, cell in enumerate(logboek[:-1]) if n != officer)
    assert matrix["Privacytoetsen en register"][admin] == "—"
    assert matrix["Beheer"][admin] != "—"
    assert matrix["Meldingen en werkdossier"][roles.index(Role.REPORTER)] != "—"


def test_the_dpia_pdf_is_downloaded_by_the_privacy_officer_and_logged(app, make_user):
    officer, client = officer_client(app, make_user)
    response = client.get("/privacy/verwerkingen/dpia-bijlage.pdf")
    assert response.status_code == 200
    content = pdf_text(response.data)
    assert "Bijlage bij de DPIA" in content and "Gegevensstromen" in content and "reporter_phone_enc" in content
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "processing_activity.exported"))
    assert (event.actor_id, event.reason_code, event.processing_activity) == (
        officer.id, "dpia_pdf", "beveiliging_verantwoording")


@pytest.mark.parametrize(("command", "name"), [("art30", "register.csv"), ("art30", "register.pdf"),
                                              ("art30", "register.html"), ("dpia", "dpia.pdf")])
def test_the_cli_writes_the_exports_and_logs_them(app, tmp_path, command, name):
    out = tmp_path / name
    result = app.test_cli_runner().invoke(args=["privacy", command, "--out", str(out)])
    assert result.exit_code == 0, result.output
    content = out.read_bytes()
    if name.endswith(".pdf"):
        assert "Verstrekking aan afdelingen en partners" in pdf_text(content)
    else:
        assert "Verstrekking aan afdelingen en partners" in content.decode("utf-8")
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "processing_activity.exported"))
    assert event.origin == "cli" and event.reason_code == f"{command}_cli_{name.rsplit('.', 1)[1]}"


def test_the_cli_refuses_an_unknown_format_and_writes_nothing(app, tmp_path):
    out = tmp_path / "dpia.csv"
    result = app.test_cli_runner().invoke(args=["privacy", "dpia", "--out", str(out)])
    assert result.exit_code != 0 and "Kies een bestand dat eindigt op .pdf, .html" in result.output
    assert not out.exists()
    assert db.session.scalar(select(AuditEvent.seq).limit(1)) is None


# --- the log viewer ----------------------------------------------------------------------------


def test_the_log_viewer_and_its_export_show_each_events_activity(app, make_user):
    _, client = officer_client(app, make_user)
    record(None, "referral.sent", object_type="referral", object_id="r-1")
    db.session.commit()
    page = client.get("/logboek/").get_data(as_text=True)
    assert "Verwerkingsactiviteit" in page and "Verstrekking aan afdelingen en partners (privacytoets 2B)" in page
    export = client.get("/logboek/export.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(export.lstrip("\ufeff")), delimiter=";"))
    column = rows[0].index("Verwerkingsactiviteit")
    sent = [r for r in rows[1:] if r[3] == "referral.sent"]
    assert sent and sent[0][column] == "verstrekking"
    assert all(r[column] for r in rows[1:])
    assert PASSWORD not in export
