"""The browser tests keep the rules written at the top of tests/browser/conftest.py.

What a page shows after a click is checked with `expect(...)`, which waits for the next page, never
with an `assert` on `is_visible()`, which answers at once for whatever page happens to be there. A
CI run failed on exactly that (the password page's confirmation read before the page had loaded).

And what is done right after a click waits for the page the click leads to: a click returns once the
next page has *started* loading, so a field filled or a section opened at once may be on the page
before or on the half-parsed next one. Another CI run failed on that (a closed section opened on the
page that was leaving). So the statement after a bare `.click()` waits: an `expect`, a wait, a
helper that waits, or the click is `follow(...)` instead, which waits for the next page to load."""

import ast
from pathlib import Path

BROWSER_TESTS = sorted((Path(__file__).parent / "browser").glob("test_*.py"))

# Calls that wait for the page: by name (a function) or by attribute (a method).
WAITING_NAMES = {"expect", "follow", "_flash", "_nav", "check"}  # check: the crawl's axe run, after load
WAITING_ATTRS = {"follow", "wait_for", "wait_for_url", "wait_for_load_state", "assert_accessible", "log_out", "goto"}
# Building a locator does nothing yet: the statement after it is the one that must wait.
LAZY_ATTRS = {"locator", "get_by_role", "get_by_label", "get_by_text", "filter", "first", "last", "nth"}


def _asserts_on_is_visible(source):
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assert):
            for inner in ast.walk(node.test):
                if isinstance(inner, ast.Attribute) and inner.attr == "is_visible":
                    yield node.lineno


def _chain(node):
    """The parts of a call chain, outermost first: `a.b(x).c()` gives c, b, a."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            yield node
            node = node.value
        else:
            yield node
            return


def _is_bare_click(stmt):
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and not stmt.value.args
            and isinstance(stmt.value.func, ast.Attribute) and stmt.value.func.attr == "click")


def _is_lazy(stmt):
    if not isinstance(stmt, ast.Assign):
        return False
    return all(part.attr in LAZY_ATTRS for part in _chain(stmt.value) if isinstance(part, ast.Attribute))


def _waits(stmt):
    if isinstance(stmt, ast.With):  # page.expect_download(), page.expect_navigation(), ...
        return True
    if not isinstance(stmt, (ast.Expr, ast.Assign)) or not isinstance(stmt.value, ast.Call):
        return False
    return any(
        (isinstance(part, ast.Name) and part.id in WAITING_NAMES)
        or (isinstance(part, ast.Attribute) and part.attr in WAITING_ATTRS)
        for part in _chain(stmt.value)
    )


def _unwaited_clicks(source):
    for node in ast.walk(ast.parse(source)):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            for i, stmt in enumerate(block):
                if not _is_bare_click(stmt):
                    continue
                after = [s for s in block[i + 1:] if not _is_lazy(s)]
                if after and not _waits(after[0]):
                    yield stmt.lineno


def test_the_rules_are_seen_in_examples():
    assert list(_asserts_on_is_visible('assert page.get_by_text("x").is_visible()\n')) == [1]
    assert list(_asserts_on_is_visible('expect(page.get_by_text("x")).to_be_visible()\n')) == []
    # The CI failure: a section opened right after the click, on whichever page was there.
    assert list(_unwaited_clicks('page.get_by_role("link").click()\nreveal(page.get_by_label("x")).fill("y")\n')) == [1]
    assert list(_unwaited_clicks('b.click()\nrows = page.get_by_role("row")\nrows.first.check()\n')) == [1]
    assert list(_unwaited_clicks('b.click()\nrows = page.get_by_role("row")\nexpect(rows).to_have_count(2)\n')) == []
    assert list(_unwaited_clicks('browser.follow(page.get_by_role("link"))\npage.get_by_label("x").fill("y")\n')) == []
    assert list(_unwaited_clicks('with page.expect_download() as info:\n    link.click()\nx = info.value\n')) == []
    assert list(_unwaited_clicks('b.click()\n_flash(browser, "Opgeslagen")\n')) == []


def test_no_browser_test_asserts_on_is_visible():
    assert len(BROWSER_TESTS) > 10
    found = [
        f"{path.name}:{line}" for path in BROWSER_TESTS for line in _asserts_on_is_visible(path.read_text())
    ]
    assert found == [], "use expect(locator).to_be_visible(): " + ", ".join(found)


def test_what_follows_a_click_waits_for_the_page_it_leads_to():
    found = [f"{path.name}:{line}" for path in BROWSER_TESTS for line in _unwaited_clicks(path.read_text())]
    assert found == [], "wait after the click (expect, or browser.follow(locator)): " + ", ".join(found)
