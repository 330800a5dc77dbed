"""Every page, PDF, export and form, for every role, on complete data: no 5xx.

The world is the demo (every optional field filled, a meeting in each state, a referral whose
check 2B refused a category, a data-subject request, break-glass) plus a hostile signal at the
limits of every field (markup, formulas, right-to-left text, 20 subjects and addresses, dates in
1900 and 2100) that is on a published agenda, decided, actioned and referred. Each account logs
in, follows every link and GET form it can reach, then sends every POST form it found once
empty and once filled in. The figures per role are printed at the end of the test run.
"""

from urllib.parse import unquote

import pytest

from tests.conftest import login
from tests.crawler import ACCOUNTS, FIGURES, Crawler

# What each role must at least reach, so a crawler that stops early fails.
MINIMUM = {
    "melder@casustafel.test": {"page": 6},
    "deelnemer@casustafel.test": {"page": 8, "pdf": 1},
    "voorzitter@casustafel.test": {"page": 50, "pdf": 4, "export": 4, "download": 1, "forms": 40},
    "privacy@casustafel.test": {"page": 20, "pdf": 1, "export": 1, "forms": 8},
    "beheer@casustafel.test": {"page": 10, "forms": 10},
}


@pytest.mark.parametrize("email", ACCOUNTS)
def test_every_page_pdf_export_and_form_answers_without_a_server_error(app, complete_world, email):
    from casustafel.demo import DEMO_PASSWORD

    client = app.test_client()
    assert login(client, email, password=DEMO_PASSWORD).status_code == 200
    crawler = Crawler(client, email, password=DEMO_PASSWORD)
    crawler.own_id = str(complete_world[0][email].id)
    crawler.crawl("/")
    crawler.submit_forms()

    FIGURES[email] = crawler.figures()
    failures = crawler.failures()
    assert not failures, "\n".join(failures)
    # No personal value of the complete signal in any address a page links to, a form sends to
    # or a redirect leads to (what the role may see stays in the page, never in a URL).
    # (Values that ids cannot contain by chance: a random UUID may hold any run of digits.)
    personal = ("Ŝøren", "Burgemeester van Heemstraweg", "’s-Hertogenbosch", "1001 AB", "1900-01-01",
                "Ĳsselstein", "Kees de Boer", "Voorbeeldstraat", "1979-05-14", "3511 AB", "3511AB")
    addresses = [unquote(v.url) for v in crawler.visits] + [unquote(f.action) for f in crawler.forms.values()]
    addresses += [unquote(v.response.headers.get("Location", "")) for v in crawler.visits if hasattr(v, "response")]
    assert not [(value, url) for url in addresses for value in personal if value in url]
    for kind, least in MINIMUM.get(email, {}).items():
        assert FIGURES[email][kind] >= least, (kind, FIGURES[email])
