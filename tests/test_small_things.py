"""The small things that made the product feel unfinished (issue 19), each fixed everywhere:
required radio buttons red before any input, tables that break inside a word on a phone,
"1 melding(en)", "2a" beside "2A", and the 2B form that did not tick what the referral asked.

The browser crawl (tests/browser/test_accessibility_crawl.py) checks reflow at 320 px; these
tests read the templates and the style sheet the crawl depends on.
"""

import ast
import re
from datetime import datetime
from pathlib import Path

import pytest
from flask import render_template_string
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import SHAREABLE_FIELDS, Meeting, PrivacyCheck
from casustafel.privacy.decisions import decide_privacy_check
from casustafel.privacy.services import request_privacy_check
from casustafel.wording import counted
from tests.helpers.referrals import client_for, create, post, sent_referral

pytestmark = pytest.mark.usefixtures("pinned_day")

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
APP_CSS = (ROOT / "static" / "css" / "app.css").read_text(encoding="utf-8")
VENDOR_CSS = ROOT / "static" / "vendor" / "utrecht" / "component-library.css"


def selector_list(text: str) -> list[str]:
    """Split a selector list on its top-level commas (not those inside :not(…, …))."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [" ".join(p.split()) for p in [*parts, current]]


def css_rules(text: str) -> list[tuple[list[str], str]]:
    """(selectors, declarations) of every plain rule; comments dropped, @media bodies included."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"@media[^{]*{", "", text)
    return [(selector_list(selectors), body) for selectors, body in re.findall(r"([^{}]+){([^{}]*)}", text)]


def declarations_for(selector: str) -> str:
    return " ".join(body for selectors, body in css_rules(APP_CSS) if selector in selectors)


def screen_templates():
    """Every page template; the PDFs have their own plain tables and no screen to scroll."""
    return [p for p in TEMPLATES.rglob("*.html") if "pdf" not in p.name]


# 1. Required radio buttons are not red before anything was sent ---------------------------


def test_no_vendored_invalid_style_shows_before_the_server_marks_the_field():
    """Utrecht colours :invalid controls (a required radio group is :invalid until one is
    chosen); app.css puts each back unless the field carries aria-invalid="true"."""
    vendored = set()
    for selectors, _ in css_rules(VENDOR_CSS.read_text(encoding="utf-8")):
        vendored |= {s.split(":invalid")[0] for s in selectors if re.search(r"(?<!user-):invalid\b", s)}
    assert ".utrecht-radio-button--html-input" in vendored  # the rule the issue names
    for control in vendored:
        guarded = f'{control}:invalid:not([aria-invalid="true"], :user-invalid)'
        body = declarations_for(guarded)
        assert "border-color" in body, f"{control}:invalid is red before any input"
        assert "invalid" not in body  # back to the plain colours, not Utrecht's invalid ones


def test_a_required_radio_group_is_marked_invalid_only_after_a_failed_post(app, scene):
    """The hook the style sheet waits for: no aria-invalid on the first view, aria-invalid and
    the Utrecht invalid class on each radio button after the server refused the form."""
    coordinator, officer, signal = scene
    referral = create(app, coordinator, signal)
    check = check_of(referral)
    client = client_for(app, officer)
    radios = re.findall(r'<input type="radio"[^>]*name="approved"[^>]*>', page(client, check))
    assert len(radios) == 2 and all(" required" in r and "aria-invalid" not in r for r in radios)

    refused = post(client, f"/privacy/toetsen/{check.id}", {"rationale": "Afgewogen"}).get_data(as_text=True)
    radios = re.findall(r'<input type="radio"[^>]*name="approved"[^>]*>', refused)
    assert len(radios) == 2
    assert all('aria-invalid="true"' in r and "utrecht-radio-button--invalid" in r for r in radios)


# 2. Tables scroll in their own region instead of breaking words ------------------------------


def test_table_headers_and_cells_never_break_inside_a_word():
    for selector in (".utrecht-table__header-cell", ".utrecht-table__cell"):
        body = declarations_for(selector)
        assert "overflow-wrap: normal" in body and "word-break: normal" in body, selector
        assert "hyphens: manual" in body, selector  # no automatic hyphenation either ("Gebrui-ker")
    assert "anywhere" not in " ".join(body for selectors, body in css_rules(APP_CSS)
                                      if any("utrecht-table" in s for s in selectors))
    scroll = declarations_for(".app-table-scroll")
    assert "overflow-x: auto" in scroll and "max-inline-size: 100%" in scroll


def test_every_screen_table_scrolls_in_a_labelled_focusable_region():
    """A table wider than a phone scrolls inside its own box; the box is a named region that a
    keyboard user can focus to scroll it (WCAG 1.4.10, 2.1.1)."""
    wrapper = re.compile(r'<div class="app-table-scroll" role="region" aria-label="([^"]+)" tabindex="0">\s*$')
    tables = 0
    for path in screen_templates():
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<table\b", text):
            tables += 1
            before = text[:match.start()]
            assert wrapper.search(before), f"{path.relative_to(ROOT)}: a table outside .app-table-scroll"
            assert wrapper.search(before).group(1).strip()
    assert tables > 40  # the scan really saw the app's tables


def test_a_page_that_had_a_bare_table_now_scrolls_it(app, make_user):
    admin = make_user("admin", name="Beheerder Ümit van der Berg-Østergaard")
    body = client_for(app, admin).get("/beheer/gebruikers").get_data(as_text=True)
    assert '<div class="app-table-scroll" role="region" aria-label="Gebruikers" tabindex="0">' in body
    assert "app-table-wrapper" not in body


# 3. "1 melding", "2 meldingen": never "(en)" --------------------------------------------------

COUNT_SUFFIX = re.compile(r"\w\((en|s|e)\)|zaak/zaken")


def _ui_strings(path: Path):
    """String literals and f-string parts of a module, without docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def test_no_page_message_or_command_output_counts_with_en_or_s():
    found = []
    for path in screen_templates() + list(TEMPLATES.rglob("*pdf*.html")):
        # The words around the expressions; `links_of(s)` inside {{ }} is code, not text.
        text = re.sub(r"{#.*?#}|{{.*?}}|{%.*?%}", " ", path.read_text(encoding="utf-8"), flags=re.S)
        found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in COUNT_SUFFIX.finditer(text)]
    for path in (ROOT / "casustafel").rglob("*.py"):
        found += [f"{path.relative_to(ROOT)}:{line}: {value}" for line, value in _ui_strings(path)
                  if COUNT_SUFFIX.search(value)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(("count", "expected"), [(0, "0 meldingen"), (1, "1 melding"), (2, "2 meldingen"),
                                                 (1000, "1000 meldingen"), (-1, "-1 meldingen")])
def test_counted_says_singular_only_for_exactly_one(app, count, expected):
    assert counted(count, "melding", "meldingen") == expected
    with app.test_request_context():
        assert render_template_string('{{ n|aantal("melding", "meldingen") }}', n=count) == expected


def test_the_verb_agrees_with_the_count(app):
    with app.test_request_context():
        template = '{{ n|aantal("uitzondering wacht", "uitzonderingen wachten") }}'
        assert render_template_string(template, n=1) == "1 uitzondering wacht"
        assert render_template_string(template, n=3) == "3 uitzonderingen wachten"


def test_the_register_says_one_referral_in_the_singular(app, scene):
    coordinator, _, _ = scene
    sent_referral(app, scene)
    body = client_for(app, coordinator).get("/verstrekkingen/").get_data(as_text=True)
    assert "1 verstrekking." in body
    assert "(en)" not in body


# 4. "2A", never "2a" -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["1", "2A", "2B"])
def test_a_check_is_named_with_its_kind_as_written(kind):
    check = PrivacyCheck(kind=kind)
    assert check.short_label == f"Privacytoets {kind}"
    assert check.sentence_label == f"privacytoets {kind}"
    assert check.kind_label.startswith(check.short_label + ":")


def test_a_decided_check_2a_is_listed_and_titled_2a(app, scene):
    coordinator, officer, signal = scene
    meeting = Meeting(held_at=datetime(2026, 3, 1, 10), chair_id=coordinator.id)
    db.session.add(meeting)
    db.session.commit()
    check = request_privacy_check(coordinator, signal, "2A", meeting=meeting)
    db.session.commit()
    decide_privacy_check(officer, check, approved=True, rationale="Afgewogen", field_rules={})
    db.session.commit()
    client = client_for(app, officer)
    listed = client.get("/privacy/").get_data(as_text=True)
    assert f"{signal.reference}, privacytoets 2A</a>" in listed
    decided = page(client, check)
    assert "<title>Privacytoets 2A – besluit" in decided
    for body in (listed, decided):
        assert not re.search(r"toets 2[ab]\b", body)


def test_templates_name_checks_through_the_model_not_by_cutting_and_lowering_the_label():
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert 'kind_label.split(":")' not in text, path  # was: …split(":")[0] | lower → "privacytoets 2a"
        assert not re.search(r"(short|sentence)_label\s*\|\s*lower", text), path


# 5. The 2B form opens with the requested categories ticked -----------------------------------


def check_of(referral) -> PrivacyCheck:
    return db.session.scalar(select(PrivacyCheck).where(PrivacyCheck.referral_id == referral.id))


def page(client, check) -> str:
    response = client.get(f"/privacy/toetsen/{check.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def ticked(body: str, name: str = "allowed_fields") -> set[str]:
    boxes = re.findall(rf'<input type="checkbox"[^>]*name="{name}"[^>]*>', body)
    assert len(boxes) == len(SHAREABLE_FIELDS)
    return {re.search(r'value="([^"]*)"', b).group(1) for b in boxes if re.search(r"\schecked\b", b)}


def test_the_2b_form_opens_with_the_categories_the_referral_asked_for(app, scene):
    coordinator, officer, signal = scene
    referral = create(app, coordinator, signal, data_categories=["betrokkenen", "kvk", "adressen"])
    client = client_for(app, officer)
    assert ticked(page(client, check_of(referral))) == {"betrokkenen", "kvk", "adressen"}


def test_a_refused_2b_form_keeps_what_the_officer_ticked_not_the_request(app, scene):
    coordinator, officer, signal = scene
    referral = create(app, coordinator, signal, data_categories=["beschrijving", "betrokkenen", "adressen"])
    check = check_of(referral)
    client = client_for(app, officer)
    url = f"/privacy/toetsen/{check.id}"

    # The officer unticks everything and approves: refused, and the boxes stay empty.
    body = post(client, url, {"approved": "ja", "rationale": "Afgewogen"}).get_data(as_text=True)
    assert "minstens één gegeven" in body and ticked(body) == set()
    # One box of her own, no power: refused again, her one box kept, the request not back.
    body = post(client, url, {"approved": "ja", "rationale": "Afgewogen",
                              "allowed_fields": ["fenomeen"]}).get_data(as_text=True)
    assert "minstens één bevoegdheid" in body and ticked(body) == {"fenomeen"}
    assert db.session.get(PrivacyCheck, check.id).status == "open"  # nothing saved half


def test_a_2b_check_without_a_referral_opens_with_nothing_ticked(app, scene):
    coordinator, officer, signal = scene
    check = request_privacy_check(coordinator, signal, "2B")
    db.session.commit()
    assert ticked(page(client_for(app, officer), check)) == set()


def test_every_rule_of_app_css_stands_on_its_own():
    """A missing closing brace does not break the file: the browser nests every rule after it
    inside the open one (CSS nesting), so those rules silently stop matching. The saved filters
    and the chair's screen lost their layout that way once."""
    import tinycss2

    def nested(rules, where="") -> list[str]:
        found = []
        for rule in rules:
            if rule.type == "error":
                found.append(f"{where} parse error: {rule.message}")
            elif rule.type == "qualified-rule":
                inner = tinycss2.parse_blocks_contents(rule.content, skip_whitespace=True, skip_comments=True)
                found += [f"{tinycss2.serialize(rule.prelude).strip()} holds a rule" for r in inner
                          if r.type in ("qualified-rule", "at-rule")]
                found += [f"{where} parse error: {r.message}" for r in inner if r.type == "error"]
            elif rule.type == "at-rule" and rule.content is not None and rule.lower_at_keyword in ("media", "supports"):
                found += nested(tinycss2.parse_rule_list(rule.content, skip_whitespace=True, skip_comments=True),
                                f"@{rule.lower_at_keyword}")
        return found

    sheet = tinycss2.parse_stylesheet(APP_CSS, skip_whitespace=True, skip_comments=True)
    assert nested(sheet) == []
