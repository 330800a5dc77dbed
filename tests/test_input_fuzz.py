"""Every page works on real input: arbitrary values in every field of the meldpunt form and of
the coordinator's registration form (docs/security.md "Proving it": forms never answer 500, input
out of range gets a message; a crawl of every page, PDF and export answers no 5xx).

What it proves, for every generated post (unicode of every category, very long texts, NUL and
other control characters, markup, spreadsheet formulas, dates at and beyond the edges, house
numbers as people type them, several subject and address rows, attachments with odd names,
tampered row numbers and row buttons):

- the form never answers 5xx: it refuses with Dutch messages next to the fields and stores
  nothing, or (a row button) shows the form again, or it stores exactly one signal;
- a stored signal is shown on every page where it appears, for every role that may see it,
  with no 5xx and without the typed markup ever reaching a page or a PDF unescaped: the
  reporter's pages, the coordinator's inbox, workspace and attachment downloads; and (second
  test) after the real services took it through the weighings, privacy checks 1, 2A and 2B, a
  published meeting with notes, a decision and an action, a sent referral, a data-subject
  request and break-glass: the member's agenda, the agenda and minutes PDFs, the item and
  action pages, the referral page, package and register with its CSV and XLSX export (no cell a
  spreadsheet would run as a formula), the privacy officer's checks, log and answer PDF.

The generated posts are the same on every run (derandomize). The database is cleaned between
tests, not between examples: each example counts signals before and after, and makes its own
meeting, referral and request.
"""

import csv
import io
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pytest
from flask import current_app
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from openpyxl import load_workbook
from pypdf import PdfReader
from pypdf.generic import NameObject
from sqlalchemy import func, select
from wtforms import Form as PlainForm

from casustafel import dates
from casustafel.demo import DEMO_PDF, DEMO_PNG
from casustafel.extensions import db
from casustafel.forms import DateField
from casustafel.models import (
    CHANNELS,
    SUBJECT_KINDS,
    SUBJECT_ROLES,
    Department,
    Indicator,
    Partner,
    Phenomenon,
    Power,
    Signal,
)
from casustafel.web import pdf as web_pdf
from tests.conftest import csrf_from, login
from tests.helpers.powers import power_ids

TODAY = dates.today()


def typed(day: date) -> str:
    """A date as typed into the form: in the format its date fields read."""

    class Probe(PlainForm):
        day = DateField()

    return day.strftime(Probe().day.format[0])


# Typed markup, and what it would look like in a page that failed to escape it.
MARKUP = {
    "<script>fzscript()</script>": "<script>fz",
    "<b>fzbold</b>": "<b>fz",
    '"><img src=x onerror=fzimg()>': "<img src=x",
    "'><svg onload=fzsvg()>": "<svg onload",
    '<a href="javascript:fzlink()">fzlink</a>': '<a href="javascript:',
}
# In a PDF, what typed markup shown as text has right before each marker.
TAG_BEFORE = {"fzscript": ["script>"], "fzbold": ["b>"], "fzimg": ["onerror="], "fzsvg": ["onload="],
              "fzlink": ["javascript:", ')">']}
FORMULAS = ['=HYPERLINK("http://example.test/?"&A1,"Klik")', "=1+1", "+31 6 12345678", "-2+3", "@SUM(A1:A2)",
            "=cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]
UNICODE = [
    "שלום עולם", "مرحبا بالعالم", "e\u0301\u0302\u0303", "Z\u0334\u0327\u031ba\u0337l\u0336g\u0338o", "👩‍👩‍👧‍👦 🇳🇱",
    "a\u200bb\u200cc\u200dd", "\ufeffBOM", "\u202egnp.exe", "regel\u2028scheiding\u2029", "\u0085NEL",
    "\ue000\uffff\U0010ffff", "𝕳𝖊𝖑𝖑𝖔", "ﷺ", "Ǆ ǅ ǆ", "İstanbul ß ﬁ", "漢字かなカナ", "\u00a0\u3000", "Ⅻ ½ ² ١٢٣",
]
CONTROL = ["\x00", "a\x00b", "\x01\x02\x03", "\x0b\x0c", "\x1b[31mrood\x1b[0m", "\x7f\x80\x9f", "\r\n", "\x08", "\x1f"]
WORDS = ["Afgeplakte ramen", "sterke hennepgeur", "’s avonds veel bezoek", "Jan de Vries", "Müller", "van ’t Hoff",
         "Nguyễn Thị Hương", "Bakkerij De Korenschoof B.V.", "Zoë Çelik-Ødegård", "€ 4.850 contant", "O'Brien & Co"]
LIMITS = {"description": 10000, "indicator_explanation": 5000, "name": 200, "street": 120, "city": 80}

# The form's own vocabularies and formats, as people type them.
VALID_DAYS = [date(1900, 1, 1), date(1900, 1, 2), date(1980, 5, 17), date(2000, 2, 29), TODAY - timedelta(days=1),
              TODAY]
VALID_DATES = [typed(day) for day in VALID_DAYS]
# Out of range, impossible or garbage in either format; 17-05-1980 / 1980-05-17: one of them is
# the form's format, the other not.
ODD_DATES = ["1899-12-31", "31-12-1899", "2100-12-31", "2101-01-01", "01-01-2101", "9999-12-31", "0001-01-01",
             "31-02-2024", "2024-02-30", "2024-13-01", "17-05-1980", "1980-05-17", "+02024-01-01", "２０２４-01-01",
             "garbage", "", " ", typed(TODAY + timedelta(days=1))]
HOUSE_NUMBERS = ["1", "12", "12a", "12 A", "12-a", "12-3", "99999", "7"]
ODD_HOUSE_NUMBERS = ["0", "100000", "-1", "12/3", "12 bis A", "٣", "1" * 30, "12a b", "a12"]
ADDITIONS = ["", "A", "bis", "3", "1-2"]
POSTCODES = ["1234 AB", "1234ab", " 9999zz ", "1011 AA", "3511AB"]
ODD_POSTCODES = ["0123 AB", "1234 SA", "1234", "ABCD 12", "١٢٣٤ AB", "1234 A B", "12345 AB"]
KVK_NUMBERS = ["12345678", "00000001"]
ODD_KVK_NUMBERS = ["1234567", "123456789", "１２３４５６７８", "1234 5678"]
PHONES = ["06 12345678", "+31 6 12345678", "(030) 123-4567", "-0612345678", "+++++++"]
ODD_PHONES = ["12345", "06-1234567890123456789", "=1+1", "0612345678 tst", "０６１２３４５６７８"]
ODD_IDS = ["", "0", "-1", "9" * 30, "abc", "1.5", str(2**31), str(2**63), " 1", "<b>fzbold</b>"]
# No double quote in a name: a browser sends it escaped, the test client would not.
FILE_NAMES = ["<img src=x onerror=fzimg()>.pdf", "<b>fzbold</b>.png", "../../etc/passwd.pdf", "..\\..\\boot.pdf",
              "\u202egnp.pdf", "rapport\x01\x1b[31m.pdf", "=HYPERLINK(A1)&@SUM(1).pdf", "foto 🙂 Zoë.png",
              "x" * 300 + ".pdf", "CON.pdf", "verslag.PDF", "מסמך.pdf", "a\u0301\u200b.png"]
FILE_CONTENTS = {".pdf": DEMO_PDF, ".png": DEMO_PNG}
ODD_FILES = [("leeg.pdf", b""), ("pagina.pdf", b"<html><script>fzscript()</script></html>"), ("virus.exe", b"MZ"),
             ("<svg onload=fzsvg()>.svg", b"<svg onload=fzsvg()></svg>"), ("nul\x00.pdf", DEMO_PDF),
             (".pdf", DEMO_PDF), ("  .png", DEMO_PNG)]
# Row numbers in field names (`subjects-0-name`) and the add/remove row buttons, tampered.
ODD_ROW_NUMBERS = ["0", "1", "7", "19", "20", "01", "²", "٣", "１", "-1", " 1", "1a", "9" * 20, "9" * 5000]
ROW_BUTTONS = ["betrokkene:toevoegen", "adres:toevoegen", "betrokkene:verwijderen-0", "adres:verwijderen-1",
               "betrokkene:verwijderen-²", "adres:verwijderen-" + "9" * 5000, "betrokkene:verwijderen--1",
               "betrokkene:", ":verwijderen-0", "onzin", "<b>fzbold</b>:toevoegen"]
CHECKBOXES = ["y", "on", "true", "1", "false", "0", "", "<b>fzbold</b>"]


# --- strategies -----------------------------------------------------------------------------

# Any character a browser can send (no lone surrogates); without NUL, which the form refuses.
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
TEXT_WITHOUT_NUL = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)


def pieces(hostile: bool):
    parts = [st.sampled_from(WORDS), st.sampled_from(list(MARKUP)), st.sampled_from(FORMULAS),
             st.sampled_from(UNICODE), (ANY_TEXT if hostile else TEXT_WITHOUT_NUL).map(lambda t: t[:12])]
    if hostile:
        parts.append(st.sampled_from(CONTROL))
    return st.one_of(parts)


def free_text(limit: int, *, hostile: bool, required: bool = False):
    """Text the form takes: markup, formulas, unicode of every category, control characters,
    up to the limit. Hostile: also NUL, blank and one character too long."""
    lengths = [limit - 1, limit] + ([limit + 1] if hostile else [])
    long = st.tuples(st.sampled_from(["é", "🙂", "<b>fzbold</b> ", "=1+1 ", "x", "\u0301a"]),
                     st.sampled_from(lengths)).map(lambda t: (t[0] * t[1])[: t[1]])
    composed = st.lists(pieces(hostile), min_size=1, max_size=6).map(" ".join)
    text = st.one_of(composed, composed, ANY_TEXT if hostile else TEXT_WITHOUT_NUL, long)
    if hostile:
        return text
    if required:  # blank after stripping would be refused
        text = text.map(lambda t: t if t.strip() else f"Melding {t}")
    return text.map(lambda t: t[:limit])


def either(valid, odd, hostile: bool):
    return st.one_of(st.sampled_from(valid), st.sampled_from(valid), st.sampled_from(odd)) if hostile \
        else st.sampled_from(valid)


@st.composite
def address(draw, hostile: bool) -> dict:
    number = draw(either(HOUSE_NUMBERS, ODD_HOUSE_NUMBERS, hostile))
    addition = draw(st.sampled_from(ADDITIONS)) if number.isdigit() or hostile else ""
    if hostile and draw(st.booleans()):
        addition = draw(st.sampled_from(["toolong1", "<b>", "a\x00", "é"]))
    values = {
        "street": draw(free_text(LIMITS["street"], hostile=hostile)),
        "house_number": number,
        "house_number_addition": addition,
        "postcode": draw(either(POSTCODES, ODD_POSTCODES, hostile)),
        "city": draw(free_text(LIMITS["city"], hostile=hostile)),
    }
    # Half-filled addresses are refused (the postcode and number go together); drop parts only
    # when anything goes.
    keep = draw(st.sets(st.sampled_from(sorted(values)))) if hostile else set(values)
    if not hostile and draw(st.booleans()):
        keep = set()
    return {name: value for name, value in values.items() if name in keep}


@st.composite
def subject_row(draw, hostile: bool) -> dict:
    kind = draw(either(list(SUBJECT_KINDS), ["", "bedrijf", "<b>fzbold</b>"], hostile))
    row = {"kind": kind, "role": draw(either(list(SUBJECT_ROLES), ["", "verdachte", "9" * 30], hostile)),
           "name": draw(free_text(LIMITS["name"], hostile=hostile, required=True))}
    if (kind == "persoon" or hostile) and draw(st.booleans()):
        row["birth_date"] = draw(either(VALID_DATES, ODD_DATES, hostile))
    if (kind == "organisatie" or hostile) and draw(st.booleans()):
        row["kvk_number"] = draw(either(KVK_NUMBERS, ODD_KVK_NUMBERS, hostile))
    row |= draw(address(hostile))
    if hostile and draw(st.booleans()):
        del row[draw(st.sampled_from(["kind", "role"]))]
    return row


@st.composite
def location_row(draw, hostile: bool) -> dict:
    row = draw(address(hostile))
    if hostile and not row:
        return row
    if not row:  # a valid address needs at least postcode and number
        row = {"postcode": draw(st.sampled_from(POSTCODES)), "house_number": "1"}
    if draw(st.booleans()):
        row["bag_id"] = draw(either(["0344010000123456"], ["034401000012345", "0344O10000123456", "1" * 30], hostile))
    return row


def rows(prefix: str, entries: list[dict], numbers=None) -> dict:
    """Form fields of repeated rows: `subjects-0-name`; `numbers` replaces the row numbers."""
    numbers = list(numbers or []) + [str(n) for n in range(len(numbers or []), len(entries))]
    return {f"{prefix}-{number}-{name}": value for number, entry in zip(numbers, entries, strict=False)
            for name, value in entry.items()}


@dataclass
class Choices:
    """The ids the form offers (and, to refuse, the phenomena it does not)."""

    phenomena: list[int]
    local: list[int]
    signal: list[int]
    not_offered: list[int]


@st.composite
def form_posts(draw, choices: Choices, *, hostile: bool) -> dict:
    """One post of the form: every field to what the form takes, or (hostile) with values
    mixed in that it must refuse."""
    post = {
        "description": draw(free_text(LIMITS["description"], hostile=hostile, required=True)),
        "phenomenon_id": str(draw(st.sampled_from(choices.phenomena))),
    }
    if hostile:
        post["phenomenon_id"] = draw(st.one_of(st.just(post["phenomenon_id"]), st.sampled_from(ODD_IDS),
                                               st.sampled_from(choices.not_offered or [0]).map(str)))
        if draw(st.booleans()):
            post["description"] = draw(st.sampled_from(["", " \t\n", "\x00", "\u200b"]))
    optional = {
        "indicator_explanation": free_text(LIMITS["indicator_explanation"], hostile=hostile),
        "reporter_phone": either(PHONES, ODD_PHONES, hostile),
        "urgent": st.sampled_from(CHECKBOXES),
        "indicators_local": st.lists(st.sampled_from(choices.local), max_size=3, unique=True).map(
            lambda ids: [str(i) for i in ids]),
        "indicators_signal": st.lists(st.sampled_from(choices.signal), max_size=3, unique=True).map(
            lambda ids: [str(i) for i in ids]),
    }
    if hostile:
        optional["indicators_local"] = st.lists(st.one_of(st.sampled_from(choices.signal + choices.local).map(str),
                                                          st.sampled_from(ODD_IDS)), max_size=3)
    for name in sorted(draw(st.sets(st.sampled_from(sorted(optional))))):  # sorted: the same run every time
        post[name] = draw(optional[name])
    if draw(st.booleans()):
        start = draw(st.sampled_from(VALID_DAYS))
        post["observed_from"] = typed(start)
        if draw(st.booleans()):
            post["observed_until"] = typed(draw(st.sampled_from([day for day in VALID_DAYS if day >= start])))
        if hostile:
            post[draw(st.sampled_from(["observed_from", "observed_until"]))] = draw(st.sampled_from(ODD_DATES))
    for prefix, row in (("subjects", subject_row(hostile)), ("locations", location_row(hostile))):
        entries = draw(st.lists(row, min_size=prefix == "subjects", max_size=3))
        numbers = draw(st.lists(st.sampled_from(ODD_ROW_NUMBERS), max_size=len(entries))) if hostile else []
        post |= rows(prefix, entries, numbers)
    if hostile and draw(st.sampled_from([False, False, False, True])):
        post["rij"] = draw(st.sampled_from(ROW_BUTTONS))
    files = st.sampled_from(FILE_NAMES).map(lambda name: (name, FILE_CONTENTS[name[-4:].lower()]))
    if hostile:
        files = st.one_of(files, st.sampled_from(ODD_FILES))
    post["attachments"] = draw(st.lists(files, max_size=2))
    return post


@st.composite
def submissions(draw, choices: Choices, *, hostile=None) -> tuple[str, dict]:
    """(role, post): the reporter's meldpunt or the coordinator's registration with a channel."""
    if hostile is None:  # half of the posts keep to what the form takes, so many are stored
        hostile = draw(st.booleans())
    post = draw(form_posts(choices, hostile=hostile))
    if draw(st.booleans()):
        return "reporter", post
    valid = [c for c in CHANNELS if c != "meldpunt"]
    post["channel"] = draw(either(valid, ["meldpunt", "", "<b>fzbold</b>", "x" * 40], hostile))
    return "coordinator", post


# --- the people, their browsers, and what they see ----------------------------------------------


@dataclass
class Cast:
    department: Department
    users: dict
    clients: dict
    partner: Partner
    tokens: dict = field(default_factory=dict)
    pdf_sources: list = field(default_factory=list)

    def get(self, role: str, url: str, *, expect: str | None = None) -> str:
        """GET `url` as `role`: 200, no input markup unescaped, and `expect` on the page."""
        response = self.clients[role].get(url)
        assert response.status_code == 200, f"{role} {url}: {response.status_code}"
        body = response.get_data(as_text=True)
        assert_escaped(body, f"{role} {url}")
        if expect is not None:
            assert expect in body, f"{role} {url}: {expect!r} not on the page"
        return body

    def pdf(self, role: str, url: str, *, expect: str) -> str:
        """GET a PDF as `role`: its HTML source escaped, its text readable and holding `expect`."""
        del self.pdf_sources[:]
        response = self.clients[role].get(url)
        assert response.status_code == 200, f"{role} {url}: {response.status_code}"
        assert response.data.startswith(b"%PDF-")
        for source in self.pdf_sources:
            assert_escaped(source, f"{role} {url} (HTML of the PDF)")
        return pdf_text(response.data, f"{role} {url}", expect)

    def post(self, role: str, url: str, data: dict):
        """POST a form as a browser does (multipart, files as (name, bytes))."""
        if (role, url) not in self.tokens:
            self.tokens[role, url] = csrf_from(self.clients[role].get(url))
        files = [(io.BytesIO(content), name) for name, content in data.get("attachments", [])]
        data = {"csrf_token": self.tokens[role, url], **data, "attachments": files}
        return self.clients[role].post(url, data=data, content_type="multipart/form-data")


def assert_escaped(text: str, where: str) -> None:
    for typed, raw in MARKUP.items():
        assert raw not in text, f"{where}: typed markup {typed!r} reached the page unescaped"


def pdf_text(data: bytes, where: str, expect: str) -> str:
    """The PDF's text, checked: `expect` in it, and typed markup shown as text."""
    pages = PdfReader(io.BytesIO(data)).pages
    for page in pages:
        # For a character without a glyph WeasyPrint writes an embedded CMap as the font's
        # encoding, which pypdf does not read (it garbles all text in that font). The codes are
        # two bytes and the font's ToUnicode maps them, so Identity-H reads them right.
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            if font.get("/Subtype") == "/Type0" and not isinstance(font.get("/Encoding"), NameObject):
                font[NameObject("/Encoding")] = NameObject("/Identity-H")
    text = "\n".join(page.extract_text() for page in pages)
    compact = "".join(text.split())
    assert "".join(expect.split()) in compact, f"{where}: {expect!r} not in the PDF"
    # Markup shown as text keeps its tag next to the marker; markup taken as markup shows the
    # marker without it (or, for a script, not at all: the HTML source is checked as well). The
    # tags are the letters next to the marker, which bidi reordering around RTL text leaves alone.
    for marker, tags in TAG_BEFORE.items():
        for found in re.finditer(marker, compact):
            assert any(compact[: found.start()].endswith(tag) for tag in tags), \
                f"{where}: typed markup with {marker!r} was rendered as markup in the PDF"
    return text


def field_messages(body: str) -> list[str]:
    """The messages shown next to fields and in the summary, as text."""
    found = re.findall(r'id="[\w-]+-error">(.*?)</div>', body, re.DOTALL)
    return [" ".join(re.sub(r"<[^>]+>", " ", m).split()) for m in found]


ENGLISH = ("Not a valid", "This field", "Invalid", "Field must", "must be", "is required", "Please")


def signal_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Signal))


@pytest.fixture
def cast(app, make_user, monkeypatch) -> Cast:
    """A department with a member, a reporter, a coordinator, a privacy officer, each logged in
    in their own browser; a partner whose name a spreadsheet would run as a formula."""

    department = Department(name="Vergunningen, toezicht en handhaving")
    partner = Partner(name='=HYPERLINK("http://example.test","Klik")', position=99)
    db.session.add_all([department, partner])
    db.session.commit()
    users = {
        "reporter": make_user("reporter", name="Mila <b>fzbold</b> Melder", department_id=department.id),
        "coordinator": make_user("coordinator", name="Vera Voorzitter"),
        "member": make_user("member", name="Daan Deelnemer", department_id=department.id),
        "privacy_officer": make_user("privacy_officer", name="Pim Privacy"),
    }
    clients = {}
    for role, user in users.items():
        clients[role] = app.test_client()
        assert login(clients[role], user.email).status_code == 200
    result = Cast(department, users, clients, partner)

    def recording(cls):
        def html(*args, **kwargs):
            result.pdf_sources.append(kwargs.get("string", ""))
            return cls(*args, **kwargs)
        return html

    monkeypatch.setattr(web_pdf, "HTML", recording(web_pdf.HTML))  # every PDF goes through it
    return result


def form_choices() -> Choices:
    phenomena = db.session.scalars(select(Phenomenon).order_by(Phenomenon.id)).all()
    offered = [p.id for p in phenomena if p.active and not any(c.active for c in p.children)]
    groups = {g: [i.id for i in db.session.scalars(select(Indicator).where(Indicator.group == g,
                                                                          Indicator.active.is_(True)))]
              for g in ("lokale_verankering", "signalering")}
    return Choices(offered, groups["lokale_verankering"], groups["signalering"],
                   [p.id for p in phenomena if p.id not in offered])


# --- one example ------------------------------------------------------------------------------


def submit_and_check(cast: Cast, role: str, post: dict) -> Signal | str:
    """Post the form; check the refusal or the stored signal on the reporter's and the
    coordinator's pages. Return the stored signal, or what happened instead."""
    url = "/meldpunt" if role == "reporter" else "/meldingen/registreren"
    before = signal_count()
    response = cast.post(role, url, post)
    assert response.status_code < 500, f"{url}: {response.status_code}"
    body = response.get_data(as_text=True)
    assert_escaped(body, f"{role} {url} (form shown again)")
    if response.status_code != 302:
        assert response.status_code == 200, response.status_code
        assert signal_count() == before, "a form shown again stored a signal"
        if post.get("rij", "").partition(":")[0] in ("betrokkene", "adres"):
            assert 'name="description"' in body, "a row button lost the form"
            return "row button"  # adds or removes a row, keeps what was typed, checks nothing yet
        messages = field_messages(body)
        assert messages, "a refused form without a message next to a field"
        assert not [m for m in messages if any(word in m for word in ENGLISH)], messages
        return "refused"

    assert signal_count() == before + 1
    signal_id = response.headers["Location"].split("/")[-2]
    signal = db.session.get(Signal, uuid.UUID(signal_id))
    reference = signal.reference
    cast.get(role, f"/mijn-meldingen/{signal.id}/bevestiging", expect=reference)
    if signal.reporter_id is not None:
        owner = next(r for r, u in cast.users.items() if u.id == signal.reporter_id)
        cast.get(owner, "/mijn-meldingen", expect=reference)
        cast.get(owner, f"/mijn-meldingen/{signal.id}", expect=reference)
    workspace = cast.get("coordinator", f"/meldingen/{signal.id}", expect=reference)
    for typed in MARKUP:
        if typed in signal.description:
            assert str(escape(typed)) in workspace, "the description is not on the workspace"
    cast.get("coordinator", "/meldingen", expect=reference)
    for attachment in signal.attachments:
        download = cast.clients["coordinator"].get(f"/meldingen/{signal.id}/bijlagen/{attachment.id}")
        assert download.status_code == 200, download.status_code
        assert download.data in FILE_CONTENTS.values()
        assert download.headers["Content-Disposition"].startswith("attachment;")
    return signal


def run_examples(strategy, check, max_examples: int, explicit=()) -> Counter:
    """Run `check(role, post)` on the explicit posts and `max_examples` generated ones, the
    same ones on every run; return how often it answered what."""
    outcomes = Counter()

    @settings(max_examples=max_examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(submission=strategy)
    def run(submission):
        outcomes[check(*submission)] += 1

    for submission in explicit:
        run = example(submission=submission)(run)
    run()
    return outcomes


def person(**fields) -> dict:
    return {"kind": "persoon", "role": "vermoedelijk_betrokkene", "name": "Jan de Vries"} | fields


def edge_posts(choices: Choices) -> list[tuple[str, dict]]:
    """The edges named in the issue, so they are tried whatever hypothesis draws: dates at and
    beyond the range, house numbers as people type them; and the row numbers that answered 500."""
    taken = {
        "description": "Randgevallen die het formulier aanneemt.", "phenomenon_id": str(choices.phenomena[0]),
        "observed_from": typed(date(1900, 1, 1)), "observed_until": typed(TODAY),
        **rows("subjects", [
            person(birth_date=typed(date(1900, 1, 1)), house_number="12a", postcode="1234 AB"),
            person(name="Zoë", birth_date=typed(TODAY), house_number="12 A", postcode="1234ab"),
            {"kind": "organisatie", "role": "eigenaar", "name": "<b>fzbold</b> B.V.", "kvk_number": "12345678",
             "house_number": "12-a", "postcode": "3511AB"},
        ]),
        **rows("locations", [{"house_number": "12-3", "postcode": "1011 AA", "bag_id": "0344010000123456"},
                             {"house_number": "99999", "house_number_addition": "bis", "postcode": "9999 ZZ"}]),
    }
    refused = {
        "description": "Randgevallen die het formulier weigert.", "phenomenon_id": str(choices.phenomena[0]),
        "observed_from": "9999-12-31", "observed_until": "2101-01-01", "channel": "telefoon",
        **rows("subjects", [person(birth_date=day, house_number=number, postcode="1234 AB") for day, number in (
            ("1899-12-31", "0"), ("31-02-2024", "100000"), ("2100-12-31", "12-"), ("2101-01-01", "12 A 3"),
            ("9999-12-31", "-12"), ("garbage", "12.5"))]),
    }
    tampered = {  # row numbers and a row button as no browser sends them
        "description": "Rijnummers die geen rijnummers zijn.", "phenomenon_id": str(choices.phenomena[0]),
        **rows("subjects", [person(), person(), person()], ["²", "9" * 5000, "0"]),
    }
    return [("reporter", taken), ("coordinator", refused), ("reporter", tampered),
            ("reporter", tampered | {"rij": "betrokkene:verwijderen-" + "9" * 5000})]


def test_arbitrary_input_is_refused_in_dutch_or_stored_and_shown_escaped(cast):
    def check(role, post):
        outcome = submit_and_check(cast, role, post)
        return outcome if isinstance(outcome, str) else "stored"

    choices = form_choices()
    outcomes = run_examples(submissions(choices), check, max_examples=60, explicit=edge_posts(choices))
    assert outcomes["stored"] >= 15 and outcomes["refused"] >= 15, outcomes


# --- through the meeting and the referral ------------------------------------------------------

# What the coordinator and the privacy officer type along the way: markup and a formula too.
NOTE = 'Aantekening <b>fzbold</b> bij "><img src=x onerror=fzimg()> =SUM(A1)'
ALL_FIELDS = ["fenomeen", "beschrijving", "betrokkenen", "geboortedata", "kvk", "adressen", "bronnen"]


def through_the_workflow(cast: Cast, signal: Signal) -> None:
    """Take a stored signal through the real services onto a published agenda and out in a
    referral, and look at every page, PDF and export on the way, as each role that may."""
    from casustafel.meetings import services as meetings
    from casustafel.privacy.decisions import decide_privacy_check
    from casustafel.privacy.services import open_check, request_privacy_check
    from casustafel.referrals.pdf import render_package
    from casustafel.referrals.services import create_referral, privacy_check, send_referral
    from casustafel.signals.services import record_summary
    from casustafel.signals.weighing import record_assessment, record_source_query

    users, reference, flask_app = cast.users, signal.reference, current_app
    coordinator, officer, member = users["coordinator"], users["privacy_officer"], users["member"]
    record_assessment(coordinator, signal, "intake", outcome="verder_naar_weging", rationale=NOTE,
                      answers={"ondermijning": True, "gemeentelijke_taak": True, "grondgebied": True},
                      power=db.session.scalar(select(Power).where(Power.legal_basis == "Opiumwet art. 13b")))
    record_assessment(coordinator, signal, "weging", outcome="bronnenonderzoek", rationale=NOTE,
                      answers={"concreet": True, "recent": True, "trend": True})
    check_1 = request_privacy_check(coordinator, signal, "1", note=NOTE)
    db.session.commit()
    cast.get("privacy_officer", f"/privacy/toetsen/{check_1.id}", expect=reference)
    decide_privacy_check(officer, check_1, approved=True, rationale=NOTE, allowed_registers=("brp", "kvk"),
                         content_registers=("brp",),
                         register_assessments={code: {"a": NOTE, "b": NOTE, "c": NOTE} for code in ("brp", "kvk")})
    record_source_query(coordinator, signal, register="brp", hit=True, summary=NOTE, information_date=TODAY)
    record_source_query(coordinator, signal, register="kvk", hit=False, summary=None)
    record_assessment(coordinator, signal, "vervolgstap", outcome="casusoverleg", rationale=NOTE,
                      answers={"hits": True, "actueel": True})
    record_summary(coordinator, signal, NOTE)  # members and the package get it, never the reporter's words

    held_at = datetime.combine(TODAY + timedelta(days=7), time(9, 30))
    meeting = meetings.create_meeting(coordinator, held_at=held_at, kind="regulier", chair_id=coordinator.id,
                                      agenda_cutoff=TODAY + timedelta(days=5))
    meetings.invite(coordinator, meeting, member, department_id=cast.department.id)
    item = meetings.add_item(coordinator, meeting, signal, TODAY)
    db.session.commit()
    check_2a = open_check(signal, "2A", meeting=meeting)
    cast.get("privacy_officer", f"/privacy/toetsen/{check_2a.id}", expect=reference)
    decide_privacy_check(officer, check_2a, approved=True, rationale=NOTE,
                         field_rules={cast.department.id: ALL_FIELDS})
    meetings.publish(coordinator, meeting)
    meetings.record_notes(coordinator, item, NOTE)
    meetings.record_decision(coordinator, item, "gemeentelijke_aanpak", NOTE)
    action = meetings.add_action(coordinator, item, type="13b_opiumwet", deadline=TODAY + timedelta(days=21),
                                 owner_department_id=cast.department.id, description=NOTE)
    decide_privacy_check(officer, open_check(signal, "2B", action=action), approved=True, rationale=NOTE,
                         allowed_fields=ALL_FIELDS, powers=power_ids())
    db.session.commit()

    cast.get("member", "/overleggen/mijn", expect="Agenda")
    cast.get("member", f"/overleggen/{meeting.id}/agenda", expect=reference)
    cast.get("coordinator", f"/overleggen/{meeting.id}", expect=reference)
    cast.get("coordinator", f"/overleggen/{meeting.id}/agendapunten/{item.id}", expect=reference)
    for role in ("member", "coordinator"):
        cast.get(role, f"/acties/{action.id}", expect=reference)
        cast.get(role, "/acties/mijn")
        cast.pdf(role, f"/overleggen/{meeting.id}/agenda.pdf", expect=reference)
    cast.pdf("coordinator", f"/overleggen/{meeting.id}/verslag.pdf", expect=NOTE)

    referral = create_referral(coordinator, signal, partner=cast.partner, purpose=NOTE, legal_ground="overig",
                               legal_ground_note=NOTE, data_categories=ALL_FIELDS, channel="beveiligde_mail",
                               feedback_due=TODAY + timedelta(days=28))
    db.session.commit()
    cast.get("privacy_officer", f"/privacy/toetsen/{privacy_check(referral).id}", expect=reference)
    decide_privacy_check(officer, privacy_check(referral), approved=True, rationale=NOTE, allowed_fields=ALL_FIELDS,
                         powers=power_ids())
    del cast.pdf_sources[:]
    send_referral(coordinator, referral, store=flask_app.extensions["casustafel_store"],
                  keyring=flask_app.extensions["casustafel_keyring"], render=render_package, today=TODAY)
    db.session.commit()
    for source in cast.pdf_sources:
        assert_escaped(source, "the referral package (HTML of the PDF)")

    cast.get("coordinator", f"/verstrekkingen/{referral.id}", expect=reference)
    cast.get("coordinator", "/verstrekkingen/", expect=reference)
    package = cast.clients["coordinator"].get(f"/verstrekkingen/{referral.id}/pakket.pdf")
    assert package.status_code == 200, package.status_code
    pdf_text(package.data, "the referral package", expect=reference)
    check_exports(cast, reference)
    for url in ("/overleggen/", "/acties/", f"/meldingen/{signal.id}"):
        cast.get("coordinator", url)
    if signal.reporter_id is not None:
        owner = next(r for r, u in users.items() if u.id == signal.reporter_id)
        cast.get(owner, f"/mijn-meldingen/{signal.id}", expect=reference)
    the_privacy_officers_pages(cast, signal)
    breaking_the_glass(cast, signal)


def the_privacy_officers_pages(cast: Cast, signal: Signal) -> None:
    """The log of the signal, and a data-subject request about its first subject or address:
    the request's page and the answer PDF that lists what the signal holds about them."""
    from casustafel.subject_requests import services as requests

    officer, reference = cast.users["privacy_officer"], signal.reference
    cast.get("privacy_officer", "/privacy/")
    cast.get("privacy_officer", f"/logboek/melding/{reference}", expect=reference)
    cast.get("privacy_officer", f"/logboek/?kenmerk={reference}", expect=reference)
    request = requests.create_request(officer, type="inzage", received_on=TODAY, **identifiers(signal))
    requests.decide(officer, request, restriction="geen", ground=None, note=NOTE)
    found = any(finding.signal.id == signal.id for finding in requests.lookup(officer, request))
    db.session.commit()
    cast.get("privacy_officer", "/verzoeken/", expect=request.number)
    cast.get("privacy_officer", f"/verzoeken/{request.id}", expect=reference if found else request.number)
    cast.pdf("privacy_officer", f"/verzoeken/{request.id}/antwoord.pdf", expect=reference if found else request.number)
    requests.close(officer, request)
    db.session.commit()


def identifiers(signal: Signal) -> dict:
    """What a data subject would give to find this signal: a person's name and birth date, an
    organisation's name, or else an address."""
    for subject in signal.subjects:
        if subject.name and (subject.birth_date or subject.kind == "organisatie"):
            birth_date = date.fromisoformat(subject.birth_date) if subject.birth_date else None
            return {"name": subject.name, "birth_date": birth_date}
    for entity in [*signal.subjects, *signal.locations]:
        if entity.postcode and entity.house_number:
            number = " ".join(p for p in (entity.house_number, entity.house_number_addition) if p)
            return {"postcode": entity.postcode, "house_number": number}
    return {"name": "Niemand Bekend", "birth_date": date(1970, 1, 1)}


def breaking_the_glass(cast: Cast, signal: Signal) -> None:
    """A member opens the signal under break-glass: the whole content, once, logged."""
    from casustafel.breakglass.services import end_access, grant_access

    member = cast.users["member"]
    grant = grant_access(member, "member", signal, NOTE, 15, dates.utcnow())
    db.session.commit()
    cast.get("member", f"/noodtoegang/{grant.id}", expect=signal.reference)
    end_access(member, grant, dates.utcnow())
    db.session.commit()


FORMULA_START = ("=", "+", "-", "@")


def check_exports(cast: Cast, reference: str) -> None:
    """The register's CSV and XLSX hold the referral, and no cell a spreadsheet would run."""
    client = cast.clients["coordinator"]
    response = client.get("/verstrekkingen/export.csv")
    assert response.status_code == 200, response.status_code
    cells = [cell for row in csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";")
             for cell in row]
    assert reference in cells
    assert not [c for c in cells if c.startswith(FORMULA_START)], "a CSV cell starts like a formula"
    response = client.get("/verstrekkingen/export.xlsx")
    assert response.status_code == 200, response.status_code
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert reference in [c.value for c in cells]
    assert not [c.value for c in cells if c.data_type == "f" or str(c.value or "").startswith(FORMULA_START)], \
        "an XLSX cell is a formula"


def everything_at_once(choices: Choices) -> tuple[str, dict]:
    """Every field filled, every free text at its limit and full of markup, formulas and
    unicode: the longest pages and PDFs the form allows."""
    hostile = " ".join([*MARKUP, *FORMULAS, *UNICODE, *WORDS]) + " "

    def fill(limit: int) -> str:
        return (hostile * (limit // len(hostile) + 1))[:limit]

    def address(number: str) -> dict:
        return {"street": fill(LIMITS["street"]), "house_number": number, "postcode": "1234 AB",
                "city": fill(LIMITS["city"])}

    return "reporter", {
        "description": fill(LIMITS["description"]), "indicator_explanation": fill(LIMITS["indicator_explanation"]),
        "phenomenon_id": str(choices.phenomena[-1]), "indicators_local": [str(i) for i in choices.local],
        "indicators_signal": [str(i) for i in choices.signal], "reporter_phone": "+31 (0)6 1234-5678",
        "observed_from": typed(date(1900, 1, 1)), "observed_until": typed(TODAY), "urgent": "y",
        **rows("subjects", [
            person(name=fill(LIMITS["name"]), birth_date=typed(date(1900, 1, 1)), **address("12-3")),
            {"kind": "organisatie", "role": "bestuurder", "name": fill(LIMITS["name"]), "kvk_number": "12345678",
             **address("99999"), "house_number_addition": "1-2 a"},
            person(role="mogelijk_slachtoffer", name="\u202e" + fill(LIMITS["name"] - 1), birth_date=typed(TODAY)),
        ]),
        **rows("locations", [address("12a") | {"bag_id": "0344010000123456"}, address("12 A"), address("12-a")]),
        "attachments": [(FILE_NAMES[0], DEMO_PDF), (FILE_NAMES[1], DEMO_PNG)],
    }


def test_a_signal_of_arbitrary_input_goes_through_meeting_and_referral_without_error_or_raw_markup(cast):
    def check(role, post):
        signal = submit_and_check(cast, role, post)
        if isinstance(signal, str):
            return signal
        through_the_workflow(cast, signal)
        return "stored"

    choices = form_choices()
    outcomes = run_examples(submissions(choices, hostile=False), check, max_examples=6,
                            explicit=[everything_at_once(choices)])
    assert outcomes["stored"] >= 6, outcomes
