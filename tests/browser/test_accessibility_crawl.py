"""Accessibility of every page type: axe-core (WCAG 2.1 A/AA, serious and critical) per role.

With the demo data loaded (plus a meeting, an action and a referral, so their pages exist) each
demo account logs in and the browser crawls same-origin GET links breadth first. Pages are
de-duplicated by page type: the Flask endpoint plus the names of the query parameters, so one
signal page stands for all signal pages. Each form found is also sent once, empty, to check the
error state (error summary, messages next to the fields); forms that delete, close, end, send,
reset, toggle or run something are left alone. Pages added by other blueprints are picked up
automatically as soon as a link leads to them; the minimum sets below only grow with the
endpoints the app has, so a broken crawler fails.

The whole crawl runs twice: under the default EUPL voorbeeld theme and under a second theme
with other colours (docs/huisstijl/gemeente-groen.css, a municipality's theme stylesheet set as
the environment would set it), so a theme cannot break contrast, focus or reflow unseen.

The login and second-factor pages and the 403/404 error pages get their own test.
"""

import mimetypes
import re
import time
from collections import deque
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pyotp
import pytest
from playwright.sync_api import expect
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from casustafel.dates import utcnow
from casustafel.demo import DEMO_PASSWORD, load_demo
from casustafel.extensions import db
from casustafel.models import Meeting, ReceivedInformation, Signal, User

STATIC_CACHE = {}
# Pages that look the same for every role: checked once per test session, not once per role.
ROLE_INDEPENDENT = {"auth.account", "auth.change_password", "auth.enrol_totp", "auth.reauthenticate"}
SHARED_DONE = {}  # theme: page types already checked under it
ROOT = Path(__file__).resolve().parents[2]
# name: (theme class, theme stylesheet, a token the theme sets and its value) or None (default).
THEMES = {
    "voorbeeld": None,
    "gemeente-groen": ("gemeente-groen-theme", ROOT / "docs/huisstijl/gemeente-groen.css",
                       "--basis-color-accent-1-color-default", "#12704f"),
}
PAGES_PER_ROLE = 80  # cap on page types (and forms sent) per role; the coordinator has about 55 today
DOWNLOAD_SUFFIXES = (".pdf", ".csv", ".xlsx", ".zip", ".json", ".ics")
SKIP_ENDPOINTS = {"static", "healthz", "auth.logout", "signals.download"}
# Words (of an endpoint name or path) that mark a form as destructive or irreversible.
DESTRUCTIVE_WORDS = {
    "logout", "uitloggen", "delete", "verwijderen", "close", "sluiten", "end", "beeindigen", "send", "versturen",
    "run", "proefrun", "uitvoeren", "vernietigen", "destroy", "purge", "wissen", "reset", "herstellen",
    "activate", "deactivate", "activeren", "deactiveren", "toggle", "wisselen", "gebruik", "internal", "intern",
    "publish", "publiceren", "legal", "hold", "revoke", "intrekken", "afsluiten", "stoppen", "anonimiseren",
    "cancel", "afzeggen", "remove_item",
}
# Fields a form keeps when it is "sent empty": the CSRF token and other hidden fields.
EMPTY_FORM_JS = """
(form) => {
  form.noValidate = true;
  for (const el of form.elements) {
    const type = (el.type || '').toLowerCase();
    if (el.tagName === 'TEXTAREA' || ['text', 'email', 'password', 'number', 'date', 'datetime-local',
        'time', 'search', 'tel', 'url'].includes(type)) { el.value = ''; }
    else if (type === 'checkbox' || type === 'radio') { el.checked = false; }
    else if (el.tagName === 'SELECT' && el.options.length && el.options[0].value === '') { el.selectedIndex = 0; }
  }
  const submitter = form.querySelector('button:not([type]), button[type=submit], input[type=submit]');
  form.requestSubmit(submitter || undefined);
}
"""
# WCAG 2.4.2 / 2.4.6 / 3.3.1 beyond axe: a title, one h1, and error-summary links that lead to a field.
PAGE_CHECKS_JS = """
() => {
  const problems = [];
  if (!document.title.trim()) problems.push('the page has no title');
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) problems.push(`the page has ${h1} h1 headings`);
  for (const link of document.querySelectorAll('.app-error-summary a[href^="#"]')) {
    const id = decodeURIComponent(link.getAttribute('href').slice(1));
    if (!document.getElementById(id)) problems.push(`error summary link ${link.getAttribute('href')} leads nowhere`);
  }
  return problems;
}
"""
# WCAG 2.4.7: after a key press (keyboard modality) focus every tabbable element in turn; each must
# match :focus-visible and draw a ring (outline of 2px or more, or a box-shadow).
FOCUS_JS = """
() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]';
  const missing = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.disabled || el.tabIndex < 0 || !el.getClientRects().length) continue;
    if (getComputedStyle(el).visibility === 'hidden') continue;
    el.focus();
    if (document.activeElement !== el) continue;
    const s = getComputedStyle(el);
    const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
    if (!el.matches(':focus-visible') || !ring) {
      missing.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' "' +
        (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 40) + '"');
    }
  }
  document.activeElement.blur();
  return missing;
}
"""
REFLOW_JS = """
() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth + 1) return '';
  const wide = Array.from(document.querySelectorAll('body *')).filter(el => {
    const r = el.getBoundingClientRect();
    return r.right > root.clientWidth + 1 && !el.closest('.app-table-scroll, [role=region][tabindex]')
      && getComputedStyle(el).position !== 'absolute';
  });
  const leaf = wide.filter(el => !wide.some(other => other !== el && el.contains(other)));
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  return leaf.slice(0, 5).map(name).join(', ') || `the page (${root.scrollWidth}px)`;
}
"""
FORMS_JS = """
() => Array.from(document.forms).map((form, index) => ({
  index,
  method: (form.getAttribute('method') || 'get').toLowerCase(),
  action: form.action,
  query: (form.getAttribute('method') || 'get').toLowerCase() === 'get'
    ? new URLSearchParams(new FormData(form)).toString() : '',
}))
"""

# Page types each role must reach (only those whose endpoint the app has registered).
MINIMUM = {
    "melder@casustafel.test": {
        "main.home", "auth.account", "auth.change_password", "signals.new", "signals.mine", "signals.mine_detail",
        "signals.confirmation",
    },
    "deelnemer@casustafel.test": {
        "main.home", "auth.account", "meetings.mine", "meetings.agenda", "actions.mine", "actions.detail",
        "breakglass.request_access", "breakglass.grant",
    },
    "voorzitter@casustafel.test": {
        "main.home", "auth.account", "signals.new", "signals.inbox", "signals.detail", "signals.register",
        "meetings.index", "meetings.new", "meetings.detail", "meetings.item", "meetings.edit",
        "actions.index", "actions.detail", "actions.new", "referrals.register", "referrals.detail",
        "referrals.new", "referrals.received_new", "referrals.exception_new", "reports.index",
    },
    "privacy@casustafel.test": {
        "main.home", "auth.account", "privacy.checks", "privacy.check", "referrals.exceptions", "referrals.exception",
        "audit.log", "retention.index",
        "retention.run", "subject_requests.index", "subject_requests.new", "subject_requests.detail",
        "privacy.activities", "privacy.activity",
    },
    "beheer@casustafel.test": {
        "main.home", "auth.account", "admin.users", "admin.user_new", "admin.user_edit", "admin.catalogue",
        "admin.departments", "admin.partners", "admin.settings", "retention.terms",
    },
}


def page_problems(page):
    """Checks axe does not make: title, one h1, error-summary links, a visible focus ring on every
    tabbable element, reflow at 320 CSS pixels."""
    problems = page.evaluate(PAGE_CHECKS_JS)
    page.keyboard.press("Shift")  # keyboard modality, so programmatic focus shows the focus ring
    unringed = page.evaluate(FOCUS_JS)
    if unringed:
        problems.append(f"no visible focus on {len(unringed)} element(s): {unringed[:5]}")
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": size["height"]})
    overflow = page.evaluate(REFLOW_JS)
    page.set_viewport_size(size)
    if overflow:
        problems.append(f"reflow: at 320px the page scrolls sideways because of {overflow}")
    return problems


def _demo_with_cases():
    """The demo data (every page in its full state) plus an active break-glass grant for the
    member, so its warning banner shows on every page the member opens."""
    from casustafel.breakglass.services import grant_access

    load_demo()
    member = db.session.scalar(db.select(User).where(User.email == "deelnemer@casustafel.test"))
    signal = db.session.scalars(db.select(Signal).order_by(Signal.reference)).first()
    grant_access(member, "member", signal, "Spoed: controle vanavond", 60, utcnow())
    db.session.commit()


class Crawler:
    def __init__(self, app, browser, theme="voorbeeld"):
        self.shared_done = SHARED_DONE.setdefault(theme, set())
        self.browser = browser
        self.page = browser.page
        self.static = Path(app.static_folder)
        self.page.route(f"{browser.origin}/static/**", self._serve_static)
        self.page.route(f"{browser.origin}/huisstijl/**", self._serve_look)
        self.look = {}
        self.origin = browser.origin
        self.adapter = app.url_map.bind(urlsplit(browser.origin).netloc)
        self.endpoints = set(app.view_functions)
        self.seen = set()
        self.visited = []  # (page type, path)
        self.failures = []
        self.axe_seconds = 0.0

    def _serve_static(self, route):
        """Serve CSS, fonts and axe from disk: the single-threaded test server then only renders pages,
        and the crawl of all roles fits in the time box. The files are the same ones the app serves."""
        relative = urlsplit(route.request.url).path.removeprefix("/static/")
        path = (self.static / relative).resolve()
        if not path.is_relative_to(self.static.resolve()) or not path.is_file():
            route.continue_()
            return
        if relative not in STATIC_CACHE:
            STATIC_CACHE[relative] = path.read_bytes()
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        route.fulfill(status=200, body=STATIC_CACHE[relative], content_type=content_type)

    def _serve_look(self, route):
        """The organisation's logo and theme stylesheet: fetched from the app once per address
        (it changes with them), then served from memory like the static files."""
        url = route.request.url
        if url not in self.look:
            response = route.fetch()
            self.look[url] = (response.status, response.body(), response.headers.get("content-type", ""))
        status, body, content_type = self.look[url]
        route.fulfill(status=status, body=body, content_type=content_type)

    def resolve(self, url, method="GET"):
        """(endpoint, path) of a same-origin URL, or None for other sites and unknown paths."""
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            return None
        path = parts.path
        try:
            endpoint, _ = self.adapter.match(path, method=method)
        except RequestRedirect as redirect:
            path = urlsplit(redirect.new_url).path
            endpoint, _ = self.adapter.match(path, method=method)
        except HTTPException:
            return None
        return endpoint, path

    @staticmethod
    def page_type(endpoint, query):
        names = sorted({name for name, value in parse_qsl(query) if value})
        return endpoint + (f"?{'&'.join(names)}" if names else "")

    def check(self, label):
        started = time.monotonic()
        problems = self.browser.serious_violations()
        self.axe_seconds += time.monotonic() - started
        problems += page_problems(self.page)
        if problems:
            self.failures.append(f"{label} ({self.page.url}):\n    " + "\n    ".join(problems))

    def crawl(self, *starts):
        queue = deque(starts)
        while queue and len(self.visited) < PAGES_PER_ROLE:
            url = queue.popleft()
            resolved = self.resolve(self.origin + url if url.startswith("/") else url)
            if resolved is None:
                self.failures.append(f"link to an unknown page: {url}")
                continue
            endpoint, path = resolved
            query = urlsplit(url).query
            kind = self.page_type(endpoint, query)
            if endpoint in SKIP_ENDPOINTS or kind in self.seen:
                continue
            self.seen.add(kind)
            if kind in self.shared_done:
                self.visited.append((kind, "(al gecontroleerd bij een andere rol)"))
                continue
            if endpoint in ROLE_INDEPENDENT:
                self.shared_done.add(kind)
            target = path + (f"?{query}" if query else "")
            response = self.browser.goto(target)
            if response.status >= 400:
                self.failures.append(f"{kind}: HTTP {response.status} for a linked page {target}")
            if "text/html" not in response.headers.get("content-type", ""):
                continue
            self.visited.append((kind, target))
            self.check(kind)
            for link in self.page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
                queue.extend(self._follow(link))
            forms = self.page.evaluate(FORMS_JS)
            for form in forms:
                if form["method"] == "get":
                    base = form["action"].split("?")[0]
                    queue.extend(self._follow(base + (f"?{form['query']}" if form["query"] else "")))
            for form in forms:
                if form["method"] == "post":
                    self._send_empty(form, target)

    def _follow(self, link):
        parts = urlsplit(link)
        if parts.path.lower().endswith(DOWNLOAD_SUFFIXES) or "/bijlagen/" in parts.path or "export" in parts.path:
            return []
        resolved = self.resolve(link)
        if resolved is None:
            return [link] if f"{parts.scheme}://{parts.netloc}" == self.origin else []  # unknown: reported
        endpoint, path = resolved
        if endpoint in SKIP_ENDPOINTS or self.page_type(endpoint, parts.query) in self.seen:
            return []
        return [path + (f"?{parts.query}" if parts.query else "")]

    def _send_empty(self, form, page_path):
        resolved = self.resolve(form["action"], method="POST")
        if resolved is None:
            self.failures.append(f"form on {page_path} posts to an unknown page: {form['action']}")
            return
        endpoint, path = resolved
        kind = f"POST {endpoint}"
        if kind in self.seen:
            return
        self.seen.add(kind)
        if DESTRUCTIVE_WORDS & set(re.split(r"[._/-]", f"{endpoint}/{path}".lower())):
            return
        if self.page.url != self.origin + page_path:
            self.browser.goto(page_path)
        with self.page.expect_navigation():
            self.page.locator("form").nth(form["index"]).evaluate(EMPTY_FORM_JS)
        self.page.wait_for_load_state("load")
        self.visited.append((f"{kind} (leeg verstuurd)", page_path))
        status = self.page.evaluate("() => document.title")
        if "Er ging iets mis" in status or "500" in status:
            self.failures.append(f"{kind}: server error after sending the form empty")
        invalid = self.page.locator("[aria-invalid=true]").count()
        if invalid and not self.page.locator(".app-error-summary").count():
            self.failures.append(f"{kind}: {invalid} field(s) marked invalid but no error summary")
        self.check(f"{kind} leeg verstuurd")


@pytest.fixture
def theme(request, app):
    """Set the theme as CASUSTAFEL_THEME_CLASS / CASUSTAFEL_THEME_STYLESHEET would (the demo's
    organisation leaves both empty), and put it back afterwards."""
    settings = THEMES[request.param]
    keys = ("ORGANISATION_THEME_CLASS", "ORGANISATION_THEME_STYLESHEET")
    saved = {key: app.config.get(key) for key in keys}
    if settings is not None:
        app.config.update(zip(keys, (settings[0], str(settings[1])), strict=True))
    yield request.param
    app.config.update(saved)


def assert_theme_applies(page, theme):
    """The crawl proves something about a theme only if the page really wears it."""
    settings = THEMES[theme]
    if settings is None:
        expect(page.locator("body.voorbeeld-theme")).to_have_count(1)
        return
    css_class, _, token, value = settings
    expect(page.locator(f"body.{css_class}")).to_have_count(1)
    assert page.evaluate(f"getComputedStyle(document.body).getPropertyValue('{token}').trim()") == value


@pytest.mark.parametrize("theme", list(THEMES), indirect=True)
@pytest.mark.parametrize("email", list(MINIMUM))
def test_every_page_type_of_a_role_has_no_serious_axe_violations(app, browser, email, theme):
    _demo_with_cases()
    browser.log_in(email, DEMO_PASSWORD)
    expect(browser.page.get_by_role("heading", level=1)).to_contain_text("Welkom", use_inner_text=True)
    assert_theme_applies(browser.page, theme)
    crawler = Crawler(app, browser, theme)
    started = time.monotonic()
    # The confirmation after sending a signal has no link to it: start there as well.
    reporter = db.session.scalar(db.select(User).where(User.email == "melder@casustafel.test"))
    own = db.session.scalar(db.select(Signal).where(Signal.reporter_id == reporter.id).limit(1))
    starts = ["/", f"/mijn-meldingen/{own.id}/bevestiging" if email == reporter.email else "/"]
    if email == "voorzitter@casustafel.test":
        # The signal with received information first, so its workspace is the one checked (the
        # link to ask an exception shows only there).
        received = db.session.scalar(db.select(ReceivedInformation).limit(1))
        starts.insert(0, f"/meldingen/{received.signal_id}")
        # A meeting still in preparation next, so the meeting page checked is one with its forms
        # (the workspace links to the closed meeting its signal was discussed at).
        preparing = db.session.scalar(db.select(Meeting).where(Meeting.status == "concept").limit(1))
        starts.insert(1, f"/overleggen/{preparing.id}")
    crawler.crawl(*starts)

    types = [kind for kind, _ in crawler.visited]
    print(f"\n{email} ({theme}): {len(types)} page types in {time.monotonic() - started:.1f}s"
          f" (axe {crawler.axe_seconds:.1f}s)\n  " + "\n  ".join(types))
    reached = {kind.split("?")[0] for kind in types}
    missing = (MINIMUM[email] & crawler.endpoints) - reached
    assert not missing, f"the crawler did not reach {sorted(missing)} (visited: {types})"
    assert any(kind.startswith("POST ") for kind in types), "no form was sent empty"
    assert not crawler.failures, f"{len(crawler.failures)} problem(s) for {email}:\n" + "\n".join(crawler.failures)


@pytest.mark.parametrize("theme", list(THEMES), indirect=True)
def test_login_second_factor_and_error_pages_have_no_serious_axe_violations(app, browser, make_user, theme):
    user = make_user("reporter", name="Mila Melder")
    page = browser.page
    failures = []

    def check(label, expected_status=None, response=None):
        if response is not None and expected_status is not None:
            assert response.status == expected_status, (label, response.status)
        problems = browser.serious_violations() + page_problems(page)
        if problems:
            failures.append(f"{label}:\n    " + "\n    ".join(problems))

    check("404 zonder login", 404, browser.goto("/bestaat-niet"))
    assert_theme_applies(page, theme)
    check("inloggen", 200, browser.goto("/inloggen"))
    page.get_by_role("button", name="Inloggen").click()  # empty
    expect(page.get_by_role("heading", name="Controleer het formulier")).to_be_visible()
    check("inloggen leeg verstuurd")
    browser.log_in(user.email, "verkeerd wachtwoord")
    expect(page.get_by_text("E-mailadres of wachtwoord is onjuist.")).to_be_visible()
    check("inloggen met fout")

    app.config["REQUIRE_TOTP"] = True
    try:
        browser.log_in(user.email)
        assert "/inloggen/koppelen" in page.url
        check("tweede factor koppelen")
        page.get_by_role("button", name="Koppelen").click()
        check("tweede factor koppelen leeg verstuurd")
        secret = page.locator(".app-secret").inner_text().replace(" ", "")
        page.get_by_label("Code uit uw authenticator-app").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Koppelen").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom", use_inner_text=True)
        browser.log_out()

        browser.log_in(user.email)
        assert "/inloggen/code" in page.url
        check("tweede factor")
        page.get_by_label("Code uit uw authenticator-app").fill("000000")
        page.get_by_role("button", name="Controleren").click()
        expect(page.get_by_text("Deze code klopt niet").first).to_be_visible()
        check("tweede factor met fout")
        page.get_by_label("Code uit uw authenticator-app").fill(pyotp.TOTP(secret).at(time.time() + 30))
        page.get_by_role("button", name="Controleren").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom", use_inner_text=True)
    finally:
        app.config["REQUIRE_TOTP"] = False

    check("403", 403, browser.goto("/meldingen"))
    check("404", 404, browser.goto("/bestaat-niet"))
    check("404 voor een onbekende melding", 404, browser.goto("/mijn-meldingen/00000000-0000-0000-0000-000000000000"))
    check("405", 405, browser.goto("/uitloggen"))  # GET on a form-only address
    browser.goto("/account")
    with page.expect_response(lambda r: r.url.endswith("/inloggen/bevestigen")) as sent:
        page.evaluate("""() => {  // a form without its CSRF token, as after an expired session
            const form = document.createElement('form');
            form.method = 'post';
            form.action = '/inloggen/bevestigen';
            document.body.appendChild(form);
            form.submit();
        }""")
    page.wait_for_load_state("load")
    check("400 (verlopen formulier)", 400, sent.value)
    check("wachtwoord bevestigen", 200, browser.goto("/inloggen/bevestigen"))
    page.get_by_role("button").filter(has_text="Bevestigen").first.click()
    check("wachtwoord bevestigen leeg verstuurd")
    assert not failures, f"{len(failures)} page(s) with problems:\n" + "\n".join(failures)
