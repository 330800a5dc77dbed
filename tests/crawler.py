"""A crawler for the Flask test client: every link, GET form and POST form a user can reach.

It starts at the home page, follows every same-origin link and submits every GET form with the
values it shows, breadth first, and keeps the POST forms it finds. Then each POST form is sent
twice: empty (only the CSRF token and hidden fields) and filled with plausible values. Every
answer is recorded; a 5xx or an exception is a failure. Downloads (PDF, CSV, XLSX, attachments)
are counted apart from pages.
"""

from collections import deque
from dataclasses import dataclass, field, replace
from datetime import date
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

from werkzeug.datastructures import MultiDict

from tests.conftest import CSRF_RE, PASSWORD

LOGOUT = "/uitloggen"
# The demo accounts: every role, and a second reporter and member from other departments.
ACCOUNTS = [
    "melder@casustafel.test",
    "belastingen@casustafel.test",
    "deelnemer@casustafel.test",
    "sociaal@casustafel.test",
    "voorzitter@casustafel.test",
    "privacy@casustafel.test",
    "beheer@casustafel.test",
]
FIGURES: dict[str, dict[str, int]] = {}  # per account, printed at the end of the run (conftest)
DOWNLOAD_TYPES = {
    "application/pdf": "pdf",
    "text/csv": "export",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "export",
}


@dataclass
class FormField:
    tag: str
    type: str
    name: str
    value: str = ""
    checked: bool = False
    options: list[tuple[str, bool]] = field(default_factory=list)  # (value, selected)
    multiple: bool = False


@dataclass
class Form:
    method: str
    action: str
    fields: list[FormField] = field(default_factory=list)
    submit: tuple[str, str] | None = None  # the first submit button's (name, value)
    page: str = ""  # where the form was found

    def signature(self) -> tuple:
        return self.method, self.action, tuple(sorted({f.name for f in self.fields}))


class PageParser(HTMLParser):
    """Links and forms of one page."""

    def __init__(self, base: str):
        super().__init__(convert_charrefs=True)
        self.base = base
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: FormField | None = None
        self._textarea: FormField | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.base, a["href"]))
        elif tag == "form":
            self._form = Form(method=(a.get("method") or "get").lower(), action=urljoin(self.base, a.get("action")
                                                                                          or self.base))
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "image"):
                self._form.submit = self._form.submit or (a["name"], a.get("value", ""))
                return
            self._form.fields.append(FormField("input", kind, a["name"], a.get("value", ""), "checked" in a))
        elif tag == "button" and (a.get("type") or "submit").lower() == "submit":
            if a.get("name") and self._form.submit is None:
                self._form.submit = (a["name"], a.get("value", ""))
        elif tag == "select" and a.get("name"):
            self._select = FormField("select", "select", a["name"], multiple="multiple" in a)
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select.options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and a.get("name"):
            self._textarea = FormField("textarea", "textarea", a["name"])
            self._form.fields.append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def plausible(f: FormField, password: str = PASSWORD) -> str:
    """A value a careful user would type into this field."""
    name = f.name.lower()
    if f.type == "date" or name.endswith(("_on", "datum", "date", "deadline", "cutoff", "_from", "_until")):
        return date.today().isoformat()
    if f.type == "time" or "time" in name or "tijd" in name:
        return "10:00"
    if f.type == "email" or "email" in name:
        return "nieuwe.collega@gemeente.test"
    if f.type == "password" or "password" in name or "wachtwoord" in name:
        return password
    if f.type == "number" or name in ("version", "months") or name.endswith(("_days", "_hour", "_per_hour")):
        return f.value or "1"
    if "postcode" in name:
        return "1234 AB"
    if "house_number_addition" in name or "toevoeging" in name:
        return "A"
    if "house_number" in name or "huisnummer" in name:
        return "12"
    if "kvk" in name:
        return "12345678"
    if "phone" in name or "telefoon" in name:
        return "06 12345678"
    if "bag_id" in name:
        return "0344010000123456"
    if name.endswith("code"):
        return "123456"
    if "kenmerk" in name or "reference" in name:
        return "SIG-2026-0001"
    if f.tag == "textarea":
        return "Toelichting van een zorgvuldige gebruiker, met genoeg woorden om de reden uit te leggen."
    return "Tekst van een gebruiker"


def form_data(form: Form, *, filled: bool, password: str = PASSWORD) -> list[tuple[str, str]]:
    """The form as a browser sends it: hidden fields always; the rest as shown (and, when
    `filled`, empty text fields typed in, the first option chosen, every box ticked)."""
    data: list[tuple[str, str]] = []
    radios_done: set[str] = set()
    for f in form.fields:
        if f.type == "hidden":
            data.append((f.name, f.value))
        elif not filled or f.type == "file":
            continue
        elif f.type in ("checkbox",):
            data.append((f.name, f.value or "y"))
        elif f.type == "radio":
            if f.name not in radios_done:
                radios_done.add(f.name)
                data.append((f.name, f.value))
        elif f.tag == "select":
            chosen = [v for v, selected in f.options if selected and v]
            values = [v for v, _ in f.options if v]
            if chosen:
                data += [(f.name, v) for v in chosen]
            elif values:
                data.append((f.name, values[0]))
        else:
            value = f.value.strip() or plausible(f, password)
            data.append((f.name, value))
    if form.submit:
        data.append(form.submit)
    return data


def get_form_url(form: Form) -> str:
    """The URL a browser builds from a GET form with the values it shows."""
    data = form_data(form, filled=False)
    data += [(f.name, v) for f in form.fields if f.tag == "select" for v, selected in f.options if selected and v]
    data += [(f.name, f.value) for f in form.fields
             if f.tag == "input" and f.type not in ("hidden", "checkbox", "radio", "file") and f.value]
    data += [(f.name, f.value) for f in form.fields if f.type in ("checkbox", "radio") and f.checked]
    parts = urlsplit(form.action)
    return urlunsplit(("", "", parts.path, urlencode(data), ""))


@dataclass
class Visit:
    method: str
    url: str
    status: int
    kind: str  # page, pdf, export, download, redirect, form
    problem: str | None = None


class Crawler:
    def __init__(self, client, email: str, *, password: str = PASSWORD, limit: int = 700):
        self.client = client
        self.email = email
        self.password = password
        self.own_id = None
        self.limit = limit
        self.visits: list[Visit] = []
        self.seen: set[str] = set()
        self.forms: dict[tuple, Form] = {}

    # -- requests -----------------------------------------------------------------------

    def _request(self, method: str, url: str, data=None) -> Visit:
        try:
            response = self.client.get(url) if method == "GET" else self.client.post(url, data=MultiDict(data))
        except Exception as error:
            visit = Visit(method, url, 500, "error", f"{type(error).__name__}: {error}")
            self.visits.append(visit)
            return visit
        mimetype = response.mimetype
        if 300 <= response.status_code < 400:
            kind = "redirect"
        elif mimetype in DOWNLOAD_TYPES:
            kind = DOWNLOAD_TYPES[mimetype]
        elif "attachment" in response.headers.get("Content-Disposition", ""):
            kind = "download"
        else:
            kind = "page" if method == "GET" else "form"
        visit = Visit(method, url, response.status_code, kind,
                      f"answered {response.status_code}" if response.status_code >= 500 else None)
        visit.response = response
        self.visits.append(visit)
        return visit

    def _relogin_if_needed(self, visit: Visit) -> None:
        response = getattr(visit, "response", None)
        if response is not None and visit.status == 302:
            self._sign_in_again(response.headers.get("Location", ""))

    def _sign_in_again(self, location: str) -> bool:
        """Log in again when a form sent earlier ended the session, or confirm the password
        when a page asks for a fresh login. Return whether it did either."""
        if "/inloggen/bevestigen" in location:
            return self._post_password("/inloggen/bevestigen", {"password": self.password})
        if "/inloggen" in location:
            return self._post_password("/inloggen", {"email": self.email, "password": self.password})
        return False

    def _post_password(self, path: str, data: dict) -> bool:
        page = self.client.get(path)
        token = CSRF_RE.search(page.get_data(as_text=True)) if page.status_code == 200 else None
        if token is None:  # already logged in (or confirmed): nothing to do
            return False
        self.client.post(path, data={**data, "csrf_token": token.group(1)})
        return True

    # -- crawling -----------------------------------------------------------------------

    @staticmethod
    def _local(url: str) -> str | None:
        parts = urlsplit(url)
        if parts.scheme not in ("", "http") or parts.netloc not in ("", "localhost"):
            return None
        if parts.path.startswith("/static/") or parts.path == LOGOUT:
            return None
        return urlunsplit(("", "", parts.path, parts.query, ""))

    def crawl(self, start: str = "/") -> None:
        queue = deque([start])
        while queue and len(self.seen) < self.limit:
            url = self._local(queue.popleft())
            if url is None or url in self.seen:
                continue
            self.seen.add(url)
            visit = self._request("GET", url)
            self._relogin_if_needed(visit)
            response = getattr(visit, "response", None)
            if visit.kind == "redirect" and response is not None:
                queue.append(urljoin("http://localhost" + url, response.headers["Location"]))
                continue
            if visit.kind != "page" or response is None or response.mimetype != "text/html":
                continue
            parser = PageParser("http://localhost" + url)
            parser.feed(response.get_data(as_text=True))
            queue.extend(parser.links)
            for form in parser.forms:
                form.page = url
                if form.method == "get":
                    queue.append(get_form_url(form))
                else:
                    self.forms.setdefault(form.signature(), form)

    def _fresh(self, form: Form) -> Form:
        """The form as its page shows it now: a current CSRF token and record version."""
        response = self.client.get(form.page)
        if response.status_code == 302 and self._sign_in_again(response.headers.get("Location", "")):
            response = self.client.get(form.page)
        if response.status_code == 200 and response.mimetype == "text/html":
            parser = PageParser("http://localhost" + form.page)
            parser.feed(response.get_data(as_text=True))
            for candidate in parser.forms:
                if candidate.signature() == form.signature():
                    return candidate
        # The page no longer shows the form (the meeting closed, the user changed): send it as it
        # was, with the session's current CSRF token, as a browser tab left open would.
        token = CSRF_RE.search(self.client.get("/account").get_data(as_text=True))
        fields = [replace(f, value=token.group(1)) if token and f.name.endswith("csrf_token") else f
                  for f in form.fields]
        return replace(form, fields=fields)

    def submit_forms(self) -> None:
        """Each POST form once empty and once filled in, after everything was read."""
        for form in list(self.forms.values()):
            path = self._local(form.action)
            if path is None or (self.own_id and self.own_id in path):
                continue  # the admin pages about the crawling account itself: it would lock itself out
            for filled in (False, True):
                current = self._fresh(form)
                visit = self._request("POST", path, data=form_data(current, filled=filled, password=self.password))
                visit.kind = "form"
                self._relogin_if_needed(visit)

    # -- figures ------------------------------------------------------------------------

    def failures(self) -> list[str]:
        return [f"{v.method} {v.url}: {v.problem}" for v in self.visits if v.problem]

    def figures(self) -> dict[str, int]:
        count = {kind: 0 for kind in ("page", "pdf", "export", "download")}
        for v in self.visits:
            if v.method == "GET" and v.kind in count:
                count[v.kind] += 1
        count["forms"] = len(self.forms)
        count["form posts"] = sum(1 for v in self.visits if v.method == "POST")
        count["5xx"] = len(self.failures())
        return count
