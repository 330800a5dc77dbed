"""A journey done with the keyboard only (WCAG 2.1.1, 2.1.2, 2.4.1, 2.4.3, 2.4.7).

A reporter logs in, skips the menu with the skip link, fills in the meldpunt form (adding a
second subject: the page comes back at the new subject) and sends it; the coordinator logs in,
finds the signal in the inbox, opens it and changes its status with Space and the arrow keys in
the radio group. No mouse, no page.fill: every control is reached with Tab / Shift+Tab and
operated with Enter, Space, arrows and typing.
Each focused element must show a visible focus indicator; the focus order must follow the form;
Tab must get out of every page (no keyboard trap).
"""

import re

from playwright.sync_api import expect

from casustafel.extensions import db
from casustafel.models import Signal
from tests.conftest import PASSWORD

MAX_TABS = 250

FOCUSED_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) {
    return {tag: 'BODY', id: '', type: '', name: '', skipLink: false, group: ''};
  }
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
  const shadow = !!s.boxShadow && s.boxShadow !== 'none';
  const r = el.getBoundingClientRect();
  const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
  const name = label || el.getAttribute('aria-label') || el.innerText || el.value || '';
  return {
    tag: el.tagName, id: el.id || '', type: el.type || '', href: el.getAttribute('href') || '',
    name: name.trim().replace(/\\s+/g, ' ').slice(0, 100),
    // A date field has its focus on a part inside (day, month, year, calendar button): on the
    // calendar button the field matches only :focus-within.
    focusVisible: el.matches(':focus-visible')
      || (/^(date|datetime-local|time|month)$/.test(el.type) && el.matches(':focus-within')),
    indicator: outline || shadow,
    onScreen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < window.innerHeight,
    skipLink: el.classList.contains('utrecht-skip-link'),
    group: (el.closest('fieldset[id]') || {}).id || '',
  };
}
"""


class Keyboard:
    """Tab through a page like a keyboard user, checking every element that gets focus."""

    def __init__(self, page):
        self.page = page
        self.order = []  # names of the focused elements on the current page, in order
        self.problems = []

    def focused(self):
        return self.page.evaluate(FOCUSED_JS)

    def _step(self, key):
        self.page.keyboard.press(key)
        info = self.focused()
        if info["tag"] != "BODY":
            self.order.append(info["name"])
            if not (info["focusVisible"] and info["indicator"] and info["onScreen"]):
                self.problems.append(f"{self.page.url}: no visible focus on {info}")
        return info

    def new_page(self):
        self.page.wait_for_load_state("load")
        self.order = []

    def press_and_load(self, key="Enter"):
        """Press a key that sends a form or follows a link, and wait for the next page."""
        with self.page.expect_navigation():
            self.page.keyboard.press(key)
        self.new_page()

    def tab_to(self, name, group=None, exact=False, backwards=False):
        """Press Tab (or Shift+Tab) until an element with this accessible name has focus."""
        repeated = 0
        last = None
        for _ in range(MAX_TABS):
            info = self._step("Shift+Tab" if backwards else "Tab")
            hit = info["name"] == name if exact else info["name"].startswith(name)
            if hit and (group is None or info["group"] == group):
                return info
            key = (info["tag"], info["id"], info["name"])
            repeated = repeated + 1 if key == last and info["type"] != "date" else 0
            assert repeated < 3, f"keyboard trap on {info} ({self.page.url})"
            last = key
        raise AssertionError(f"Tab never reached {name!r} on {self.page.url}; order: {self.order}")

    def type(self, text):
        self.page.keyboard.type(text)

    def assert_no_trap(self):
        """From the current element, Tab must run through the page and come back to the skip link."""
        for presses in range(1, MAX_TABS + 1):
            if self._step("Tab")["skipLink"]:
                return presses
        raise AssertionError(f"Tab did not come round to the skip link on {self.page.url}: {self.order[-10:]}")

    def assert_clean(self):
        assert not self.problems, "\n".join(self.problems)


def _log_in(browser, keys, email):
    browser.goto("/inloggen")  # typed in the address bar
    keys.new_page()
    keys.tab_to("E-mailadres")
    keys.type(email)
    keys.tab_to("Wachtwoord")
    keys.type(PASSWORD)
    keys.press_and_load("Enter")
    expect(keys.page.get_by_role("heading", level=1)).to_contain_text("Welkom", use_inner_text=True)


def test_a_signal_from_meldpunt_to_the_coordinator_with_the_keyboard_only(browser, make_user):
    reporter = make_user("reporter", name="Mila Melder")
    coordinator = make_user("coordinator", name="Ruud Regisseur")
    page = browser.page
    keys = Keyboard(page)

    # Reporter: log in, open the meldpunt from the menu.
    _log_in(browser, keys, reporter.email)
    keys.tab_to("Melding doen", exact=True)
    keys.press_and_load("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Melding doen", use_inner_text=True)

    # The skip link is the first stop, visible when focused, and jumps past the menu.
    first = keys._step("Tab")
    assert first["skipLink"] and first["onScreen"] and first["name"] == "Naar de hoofdinhoud", first
    page.keyboard.press("Enter")
    after_skip = keys._step("Tab")
    assert after_skip["name"].startswith("Fenomeen"), f"after the skip link focus went to {after_skip}"

    # The form, in reading order.
    keys.type("Hennep")  # type-ahead in the focused select
    expect(page.locator("select#phenomenon_id option:checked")).to_have_text("Hennepteelt", use_inner_text=True)
    keys.tab_to("Wat heeft u gezien of gehoord?")
    keys.type("Afgeplakte ramen en een sterke geur.")
    keys.tab_to("Afgeplakte ramen, hennepgeur of opvallend stroomverbruik")
    page.keyboard.press("Space")
    assert page.get_by_label("Afgeplakte ramen, hennepgeur of opvallend stroomverbruik").is_checked()
    keys.tab_to("Naam", group="betrokkene-1")
    keys.type("Jan de Vries")
    keys.tab_to("Nog een betrokkene toevoegen")
    form_order = list(keys.order)
    keys.press_and_load("Enter")

    # The page comes back at the new subject: the next Tab is its first field, not the menu.
    assert page.url.endswith("#betrokkene-2")
    expect(page.locator("#betrokkene-2")).to_have_count(1)
    first_new = keys._step("Tab")
    assert first_new["group"] == "betrokkene-2" and first_new["name"].startswith("Soort"), first_new
    keys.type("Org")
    expect(page.locator("#betrokkene-2 select").first.locator("option:checked")).to_have_text(
        "Organisatie", use_inner_text=True)
    keys.tab_to("Naam", group="betrokkene-2")
    keys.type("Bakkerij De Korenschoof")
    # Shift+Tab goes back to the previous control, Tab returns.
    previous = keys.tab_to("Rol in deze melding", group="betrokkene-2", backwards=True)
    assert previous["tag"] == "SELECT"
    keys.tab_to("Naam", group="betrokkene-2")
    keys.tab_to("Melding versturen")
    keys.press_and_load("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Melding ontvangen", use_inner_text=True)
    reference = page.locator(".app-reference").inner_text()
    assert re.fullmatch(r"SIG-\d{4}-\d{4}", reference)
    db.session.expire_all()
    signal = db.session.scalars(db.select(Signal).where(Signal.reference == reference)).one()
    assert [s.name for s in signal.subjects] == ["Jan de Vries", "Bakkerij De Korenschoof"]
    assert signal.description == "Afgeplakte ramen en een sterke geur."

    # The focus order of the form follows the visual order: phenomenon, description, indicators,
    # first subject, then the button that adds a subject.
    positions = [next(i for i, name in enumerate(form_order) if name.startswith(label)) for label in (
        "Fenomeen", "Wat heeft u gezien of gehoord?", "Afgeplakte ramen", "Naam", "Nog een betrokkene toevoegen")]
    assert positions == sorted(positions), form_order
    keys.assert_no_trap()

    keys.tab_to("Uitloggen")
    keys.press_and_load("Enter")

    # Coordinator: log in, open the inbox from the menu, open the signal, change its status.
    _log_in(browser, keys, coordinator.email)
    keys.tab_to("Meldingen", exact=True)
    keys.press_and_load("Enter")
    keys.tab_to(reference, exact=True)
    keys.press_and_load("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Melding {reference}", use_inner_text=True)
    expect(page.locator("main")).to_contain_text("Bakkerij De Korenschoof", use_inner_text=True)

    # Status: ingediend has one next status; Space selects it in the radio group.
    keys.tab_to("Status wijzigen", exact=True)  # the in-page link to the status form
    page.keyboard.press("Enter")
    radio = keys.tab_to("", group="status-to_status")  # Tab enters the radio group
    assert radio["type"] == "radio" and radio["name"] == "Intake", radio
    page.keyboard.press("Space")
    assert page.get_by_label("Intake", exact=True).is_checked()
    keys.tab_to("Status wijzigen", exact=True)
    keys.press_and_load("Enter")
    db.session.expire_all()
    signal = db.session.scalars(db.select(Signal).where(Signal.reference == reference)).one()
    assert signal.status == "intake"

    # Intake has several next statuses: the arrow keys move and select within the group,
    # and one Tab leaves the group.
    keys.tab_to("Status wijzigen", exact=True)
    page.keyboard.press("Enter")
    radio = keys.tab_to("", group="status-to_status")
    assert page.locator("#status-to_status input[type=radio]").count() >= 2
    page.keyboard.press("ArrowDown")
    moved = keys.focused()
    assert moved["group"] == "status-to_status" and moved["name"] != radio["name"], moved
    assert page.get_by_label(moved["name"], exact=True).is_checked()
    page.keyboard.press("ArrowUp")
    back = keys.focused()
    assert back["name"] == radio["name"] and page.get_by_label(back["name"], exact=True).is_checked(), back
    expect(page.locator("#status-to_status input[type=radio]:checked")).to_have_count(1)
    after_group = keys._step("Tab")
    assert after_group["group"] != "status-to_status", after_group
    keys.assert_no_trap()
    keys.assert_clean()


def test_search_workspace_and_a_note_with_the_keyboard_only(browser, make_user, make_signal):
    """Issue 19: the coordinator finds a signal by a person's name, opens it, opens the note form
    (a <details> summary: Enter opens it) and adds a note; axe-core on every page of it."""
    coordinator = make_user("coordinator", name="Ruud Regisseur")
    signal = make_signal(None, channel="telefoon", person=("Şükrü Öztürk", "1979-02-28"))
    make_signal(None, channel="telefoon", person=("Piet Puk", "1960-01-01"))
    page = browser.page
    keys = Keyboard(page)

    _log_in(browser, keys, coordinator.email)
    keys.tab_to("Meldingen", exact=True)
    keys.press_and_load("Enter")
    keys.tab_to("Naam van de persoon")
    keys.type("sukru ozturk")  # without accents: the search does not care
    keys.tab_to("Zoeken", exact=True)
    keys.press_and_load("Enter")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(signal.reference, use_inner_text=True)
    browser.assert_accessible("zoekresultaat")

    keys.tab_to(signal.reference, exact=True)
    keys.press_and_load("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Melding {signal.reference}", use_inner_text=True)
    browser.assert_accessible("werkruimte")
    toggle = keys.tab_to("Notitie schrijven", exact=True)
    assert toggle["tag"] == "SUMMARY", toggle
    page.keyboard.press("Enter")
    expect(page.locator("details.app-form-toggle[open]")).to_have_count(1)
    field = keys.tab_to("Nieuwe notitie")
    assert field["tag"] == "TEXTAREA", field
    keys.type("Gesproken met de wijkagent; hij kent het pand.")
    keys.tab_to("Notitie toevoegen", exact=True)
    keys.press_and_load("Enter")
    expect(page.get_by_text("De notitie is toegevoegd.")).to_be_visible()
    expect(page.locator(".app-notes")).to_contain_text("Gesproken met de wijkagent; hij kent het pand.",
                                                       use_inner_text=True)
    browser.assert_accessible("werkruimte met notitie")
    keys.assert_no_trap()
    keys.assert_clean()
