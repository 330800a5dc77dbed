"""Real-browser fixtures: the app served on a local port, Debian's Chromium driven by Playwright.

axe-core is loaded from the app's own static folder, so the pages keep their strict CSP.

Check what a page shows with `expect(locator)…`, not `assert locator.is_visible()` or
`.count()` / `.inner_text()` of a container: a click returns once the next page has started
loading, and only `expect` waits for the page to get there.
"""

import re
import shutil
import threading

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from tests.browser.chromium import CHROMIUM_ARGS
from tests.conftest import PASSWORD

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TIMEOUT_MS = 30_000  # generous: a loaded 2-core CI machine is slow, not broken

expect.set_options(timeout=TIMEOUT_MS)  # as long as the page's own timeouts (5 s by default)


@pytest.fixture(scope="session")
def live_server(app):
    # One request at a time: the in-memory SQLite test database has a single connection.
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def chromium():
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def follow(page, locator):
    """Click a link or a submit button and wait until the page it leads to has loaded. A click
    returns once the next page has started loading; what is read or filled in right after it may
    still be on the page before, or on the half-parsed next one (a CI run failed on that)."""
    with page.expect_navigation(wait_until="load"):
        locator.click()


def reveal(page, target):
    """Open the closed <details> around `target` (a workspace section, a form behind its toggle),
    outermost first, by clicking their summaries as a user does; return `target`. A `get_by_role`
    locator must say `include_hidden=True`: by default it does not see what is still closed.
    Waits for `target` to be on the page first: the page may still be loading."""
    target.first.wait_for(state="attached")
    for _ in range(5):
        closed = page.locator("details:not([open])", has=target)
        if not closed.count():
            return target
        closed.first.locator("xpath=./summary").click()
    raise AssertionError(f"{target} stays hidden")


class Browser:
    """A page plus helpers: go to a path, fail on CSP violations, run axe-core."""

    def __init__(self, page, origin):
        self.page = page
        self.origin = origin
        self.csp_violations = []
        page.on("console", self._console)

    def _console(self, message):
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def goto(self, path):
        response = self.page.goto(self.origin + path)
        return response

    def log_out(self):
        """Press Uitloggen and wait until the login page has loaded: a navigation started while
        the logout's own is still under way can leave Chromium without a load event (a goto that
        then times out, seen on a busy CI machine)."""
        self.page.get_by_role("button", name="Uitloggen").click()
        self.page.wait_for_url(re.compile(r"/inloggen"))

    def log_in(self, email, password=PASSWORD):
        """Fill in and send the login form (the page after it is the caller's to check)."""
        self.goto("/inloggen")
        self.page.get_by_label("E-mailadres").fill(email)
        self.page.get_by_label("Wachtwoord").fill(password)
        self.page.get_by_role("button", name="Inloggen").click()

    def reveal(self, target):
        return reveal(self.page, target)

    def follow(self, locator):
        follow(self.page, locator)

    def open_details(self, summary_text):
        """Open the <details> whose summary reads `summary_text` (a workspace section or a form
        behind its toggle) by clicking the summary, as a user does; leave an open one open."""
        summary = reveal(self.page, self.page.locator("summary", has_text=summary_text).first)
        if summary.locator("xpath=..").get_attribute("open") is None:
            summary.click()
            expect(summary.locator("xpath=..")).to_have_attribute("open", "")

    def serious_violations(self):
        """Run axe on the loaded page; describe every serious or critical violation (one line each,
        with up to five offending elements). CSP violations seen since the last call count too."""
        result = self._run_axe(only_violations=True)
        lines = [
            f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])}x, "
            f"{[n['target'] for n in v['nodes']][:5]}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        lines += [f"CSP: {text}" for text in self.csp_violations]
        self.csp_violations.clear()
        return lines

    def assert_accessible(self, name=""):
        """Fail on any serious or critical axe-core violation (WCAG 2.1 A/AA) or CSP violation."""
        result = self._run_axe()
        serious = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
        details = [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in serious
        ]
        assert not details, f"axe violations on {name or self.page.url}:\n" + "\n".join(details)
        assert not self.csp_violations, self.csp_violations
        return result

    def _run_axe(self, attempts=3, only_violations=False):
        """Inject and run axe on the loaded page. A click may still be navigating: then the old
        document disappears under the script, so wait for the new one and run again."""
        for attempt in range(attempts):
            try:
                self.page.wait_for_load_state("load")
                self.page.add_script_tag(url=f"{self.origin}/static/vendor/axe/axe.min.js")
                options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}}
                if only_violations:  # much faster: axe keeps no details of what passed
                    options["resultTypes"] = ["violations"]
                return self.page.evaluate("async (options) => await axe.run(document, options)", options)
            except PlaywrightError:
                if attempt == attempts - 1:
                    raise
                self.page.wait_for_load_state("load")
        raise AssertionError("unreachable")


@pytest.fixture
def browser(chromium, live_server):
    context = chromium.new_context(locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.set_default_navigation_timeout(TIMEOUT_MS)
    yield Browser(page, live_server)
    context.close()
