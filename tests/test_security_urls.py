"""docs/security.md: no personal data in URLs.

(a) every URL rule has only variables that are identifiers (UUIDs, integers, a year, a signal
    reference, an anomaly key) or fixed enumerations, listed here by name, so a new variable
    fails until someone has looked at it; the few string variables refuse personal values;
(b) every <form method="get"> in templates/ sends only filter fields from an explicit list,
    none of them a personal-data field;
(c) the privacy officer's subject lookup and data-subject requests are POST forms, and a GET
    carrying their fields searches and stores nothing.
Cited in docs/security.md."""

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.routing import Map, Rule

from casustafel.extensions import db
from casustafel.models import AuditEvent, SubjectRequest
from tests.conftest import csrf_from, login

ROOT = Path(__file__).resolve().parent.parent

# Variable name -> converters it may use. UUIDs and integers are identifiers, never values.
IDENTIFIERS = {
    **{name: {"UUIDConverter"} for name in (
        "action_id", "attachment_id", "bibob_id", "check_id", "exception_id", "filter_id", "grant_id", "information_id",
        "meeting_id", "referral_id", "request_id", "run_id", "signal_id", "user_id", "concept_id")},
    "item_id": {"UUIDConverter", "BoundedIntegerConverter"},  # agenda item (UUID), catalogue item (int)
    "partner_id": {"BoundedIntegerConverter"},
    "group_id": {"BoundedIntegerConverter"},  # a standing group of invitees
    **{name: {"BoundedIntegerConverter"}
       for name in ("criterion_id", "ground_id", "power_id", "register_id", "activity_id")},
    "year": {"BoundedIntegerConverter"},
}
# String variables, per endpoint: what they hold; the view answers 404 to anything else.
STRING_VARIABLES = {
    ("static", "filename"): "a file under static/",
    ("reports.export", "fmt"): "csv or xlsx",
    ("referrals.export", "fmt"): "csv or xlsx (any converter)",
    ("signals.assessment", "kind"): "an assessment criterion",
    ("admin.catalogue_toggle", "kind"): "fenomeen or indicator",
    ("audit.signal_timeline", "reference"): "a signal reference (SIG-…)",
    ("audit.anomaly", "anomaly_key"): "an anomaly key (kind:user UUID:date, or break_glass:seq)",
    ("auth.activate", "token"): "a single-use activation token (random, only its hash is stored)",
}

PERSONAL = re.compile(
    r"name|naam|birth|geboorte|postcode|house|huisnummer|kvk|e_?mail|description|beschrijving|bsn|"
    r"adres|address|straat|street|phone|telefoon|search|zoek|query|^q$",
    re.I,
)
# Every field a GET form may send. gebruiker: a user UUID (select); betrokkene: entity UUIDs
# found by the POST subject lookup; kenmerk: a signal reference; handeling: an event code.
GET_FILTERS = {
    "partner", "sent_from", "sent_until", "status", "overdue", "type", "gebruiker", "kenmerk", "handeling",
    "resultaat", "van", "tot", "betrokkene", "soort", "phenomenon", "channel", "urgency", "older_than", "sort",
    "start", "end", "owner",
}


def url_variable_problems(rules) -> list[str]:
    found = []
    for rule in rules:
        for name, converter in rule._converters.items():
            kind = type(converter).__name__
            if (rule.endpoint, name) in STRING_VARIABLES or kind in IDENTIFIERS.get(name, ()):
                continue
            if PERSONAL.search(name):
                found.append(f"{rule.rule}: variable <{name}> names personal data")
            else:
                found.append(f"{rule.rule}: variable <{name}> ({kind}) is not an allowed identifier")
    return found


def test_every_url_variable_is_an_identifier_or_a_fixed_enumeration(app):
    assert url_variable_problems(app.url_map.iter_rules()) == []


def test_the_url_check_refuses_a_personal_or_unknown_variable():
    rules = Map([
        Rule("/personen/<naam>", endpoint="x.by_name"),
        Rule("/meldingen/<uuid:signal_id>/<email>", endpoint="x.by_mail"),
        Rule("/adressen/<int:postcode_digits>", endpoint="x.by_postcode"),
        Rule("/meldingen/<uuid:signal_id>/weging/<kind>", endpoint="x.other_endpoint"),  # allowed elsewhere only
        Rule("/meldingen/<signal_id>", endpoint="x.string_id"),  # a known name, but any string
        Rule("/meldingen/<uuid:signal_id>", endpoint="x.fine"),
    ]).iter_rules()
    found = url_variable_problems(rules)
    assert len(found) == 5, found
    assert sum("names personal data" in p for p in found) == 3, found
    assert not any("x.fine" in p or p.startswith("/meldingen/<uuid:signal_id>:") for p in found)


PERSONAL_VALUES = ("Jan de Vries", "jan.devries@example.nl", "1980-01-02", "1234AB")


@pytest.mark.parametrize("value", PERSONAL_VALUES)
def test_the_string_url_variables_refuse_personal_values(app, make_user, make_signal, value):
    """Each string variable of STRING_VARIABLES, as a role that may use the endpoint: 404."""
    signal = make_signal(make_user("reporter"))
    clients = {}
    for role in ("coordinator", "privacy_officer", "admin"):
        clients[role] = app.test_client()
        assert login(clients[role], make_user(role).email).status_code == 200
    coordinator, officer, admin = clients["coordinator"], clients["privacy_officer"], clients["admin"]
    answers = {
        "static": coordinator.get(f"/static/{value}").status_code,
        "reports.export": coordinator.get(f"/cijfers/export.{value}").status_code,
        "referrals.export": coordinator.get(f"/verstrekkingen/export.{value}").status_code,
        "signals.assessment": coordinator.post(f"/meldingen/{signal.id}/weging/{value}",
                                               data={"csrf_token": csrf_from(coordinator.get("/"))}).status_code,
        "admin.catalogue_toggle": admin.post(f"/beheer/lijsten/{value}/1/wisselen",
                                             data={"csrf_token": csrf_from(admin.get("/"))}).status_code,
        "audit.signal_timeline": officer.get(f"/logboek/melding/{value}").status_code,
        "audit.anomaly": officer.get(f"/logboek/afwijkingen/{value}").status_code,
        "auth.activate": app.test_client().get(f"/activeren/{value}").status_code,
    }
    assert set(answers) == {endpoint for endpoint, _ in STRING_VARIABLES}
    assert answers == dict.fromkeys(answers, 404)


FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
METHOD_GET = re.compile(r"""\bmethod\s*=\s*["']?get\b""", re.I)
JINJA = re.compile(r"\{\{(.*?)\}\}|\{%-?(.*?)-?%\}", re.S)
# Jinja constructs whose field names this check can read; anything else in a GET form fails.
KNOWN = (
    (re.compile(r"^field\(\s*\w+\.(\w+)\b"), True),  # macros/forms.html field(): name = attribute
    (re.compile(r"""^submit\((?:(?!name=).)*\)$""", re.S), False),  # a button without a name
    (re.compile(r"""^url_for\(\s*["'][\w.]+["']\s*\)$"""), False),  # the action attribute
    (re.compile(r"""^for value in request\.args\.getlist\(["'](\w+)["']\)$"""), True),
    (re.compile(r"^(?:endfor|value)$"), False),
)
HTML_NAME = re.compile(r"""<(?:input|select|textarea|button)\b[^>]*?\bname\s*=\s*["']?([^"'\s>]+)""", re.I)


def get_form_problems(templates: Path) -> tuple[list[str], set[str]]:
    """Problems of the GET forms under `templates`, and the field names they send."""
    found, names = [], set()
    for path in sorted(templates.rglob("*.html")):
        for attributes, body in FORM.findall(path.read_text(encoding="utf-8")):
            if not METHOD_GET.search(attributes):
                continue
            where = path.relative_to(templates)
            sent = set(HTML_NAME.findall(body))
            for match in JINJA.finditer(body):
                code = (match.group(1) or match.group(2)).strip()
                for pattern, gives_name in KNOWN:
                    hit = pattern.match(code)
                    if hit:
                        if gives_name:
                            sent.add(hit.group(1))
                        break
                else:
                    found.append(f"{where}: cannot tell which fields {{{{ {code[:40]} }}}} sends")
            for name in sorted(sent):
                if "{" in name or PERSONAL.search(name):
                    found.append(f"{where}: GET form sends personal-data field {name!r}")
                elif name not in GET_FILTERS:
                    found.append(f"{where}: GET form sends {name!r}, not in GET_FILTERS")
            names |= sent
    return found, names


def test_get_forms_send_only_listed_filters_and_no_personal_data_field():
    found, names = get_form_problems(ROOT / "templates")
    assert found == []
    assert len(names) >= 15  # the parser sees the fields (inbox, log, register, reports, ...)


def test_the_get_form_check_refuses_personal_unknown_or_unreadable_fields(tmp_path):
    (tmp_path / "a.html").write_text(
        '<form method="GET" action="{{ url_for(\'x.y\') }}">{{ field(form.status) }}'
        '<input name="naam"><input type="hidden" name="telefoon">{{ submit("Zoek") }}</form>\n'
        '<form method=get>{{ field(form.birth_date, hint="x") }}{{ field(form.wijk) }}</form>\n'
        '<form method="get">{% for f in form %}{{ f() }}{% endfor %}</form>\n'
        '<form method="post">{{ field(form.naam) }}<input name="email"></form>\n',
        encoding="utf-8",
    )
    found, names = get_form_problems(tmp_path)
    assert names == {"status", "naam", "telefoon", "birth_date", "wijk"}
    assert sum("personal-data field" in p for p in found) == 3, found
    assert sum("not in GET_FILTERS" in p for p in found) == 1, found
    assert sum("cannot tell" in p for p in found) >= 2, found  # the for loop and f()
    assert not any("email" in p for p in found)  # POST forms may carry personal data


@pytest.mark.parametrize("template", ["audit/subject_lookup.html", "subject_requests/new.html", "signals/_search.html",
                                      "admin/users_bulk.html"])  # names and e-mail addresses of colleagues
def test_subject_lookup_and_subject_request_forms_are_post(template):
    forms = FORM.findall((ROOT / "templates" / template).read_text(encoding="utf-8"))
    assert forms
    assert all(re.search(r"""\bmethod\s*=\s*["']?post\b""", attributes, re.I) for attributes, _ in forms)


def test_a_get_with_lookup_or_request_fields_searches_and_stores_nothing(client, make_user, login_as):
    login_as(make_user("privacy_officer"))
    canary = "Canarynaam Zqx"
    person = {"naam": canary, "geboortedatum": "1980-01-02", "kvk": "12345678", "postcode": "1234AB",
              "huisnummer": "1"}
    page = client.get("/logboek/betrokkene", query_string={"soort": "persoon", "doel": "inzageverzoek", **person})
    assert page.status_code == 200
    assert canary not in page.get_data(as_text=True)
    request_fields = {"type": "inzage", "received_on": "01-02-2026", "name": canary, "birth_date": "1980-01-02",
                      "postcode": "1234AB", "house_number": "1"}
    page = client.get("/verzoeken/nieuw", query_string=request_fields)
    assert page.status_code == 200
    assert canary not in page.get_data(as_text=True)
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert "audit.subject_lookup" not in actions
    assert not any(a.startswith("subject_request.") for a in actions), actions
    assert db.session.scalar(select(func.count()).select_from(SubjectRequest)) == 0
