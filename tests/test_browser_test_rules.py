"""The browser tests keep the rule written at the top of tests/browser/conftest.py: what a page
shows after a click is checked with `expect(...)`, which waits for the next page, never with an
`assert` on `is_visible()`, which answers at once for whatever page happens to be there. A CI run
failed on exactly that (the password page's confirmation read before the page had loaded)."""

import ast
from pathlib import Path

BROWSER_TESTS = sorted((Path(__file__).parent / "browser").glob("test_*.py"))


def _asserts_on_is_visible(source):
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assert):
            for inner in ast.walk(node.test):
                if isinstance(inner, ast.Attribute) and inner.attr == "is_visible":
                    yield node.lineno


def test_the_rule_is_seen_in_an_example():
    assert list(_asserts_on_is_visible('assert page.get_by_text("x").is_visible()\n')) == [1]
    assert list(_asserts_on_is_visible('expect(page.get_by_text("x")).to_be_visible()\n')) == []


def test_no_browser_test_asserts_on_is_visible():
    assert len(BROWSER_TESTS) > 10
    found = [
        f"{path.name}:{line}" for path in BROWSER_TESTS for line in _asserts_on_is_visible(path.read_text())
    ]
    assert found == [], "use expect(locator).to_be_visible(): " + ", ".join(found)
