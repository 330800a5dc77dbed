"""The privacy officer cannot work out who reported a signal (finding 3 of the accountability review).

The insider: a privacy officer who sees everything her role can see (every page of the log,
every timeline, the anomalies, the CSV export) and tries to link each signal to its reporter by
the nearest preceding login, by gaps in the sequence, or by timestamps and order.

Six reporters log in on the same day, in a known order, and each submits a signal three minutes
later, so the login right before a submission is its reporter's. The linkers run on what she
sees and link no more signals than guessing does: an act of reporting shows only its day, no
time of day, no sequence number and no place among the other events, and its reference number
says nothing about the order in which signals came in.
"""

import csv
import io
import random
import re
import uuid
from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from casustafel import crypto
from casustafel.extensions import db
from casustafel.models import Phenomenon, Signal
from tests.conftest import PASSWORD, csrf_from, login
from tests.crawler import Crawler

REPORTERS = 6
DAY = datetime(2026, 11, 18, 8, 0)  # a Wednesday, 09:00 in the Netherlands


@pytest.fixture
def fixed_randomness(monkeypatch):
    """Ids and the year's reference key from a seeded source, so two runs of the same story
    produce the same identifiers (everything else that differs would show up in the comparison)."""
    def seed():
        rng = random.Random(20261118)
        monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=rng.getrandbits(128), version=4))
    monkeypatch.setattr(crypto, "new_permutation_key", lambda: b"k" * 32)
    return seed


def submit(client, text: str):
    data = {"csrf_token": csrf_from(client.get("/meldpunt")), "description": text,
            "phenomenon_id": str(_hennep()), "subjects-0-kind": "persoon",
            "subjects-0-role": "vermoedelijk_betrokkene"}
    response = client.post("/meldpunt", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    client.get(response.headers["Location"])  # the confirmation page, as the browser follows it


def _hennep() -> int:
    return db.session.scalar(select(Phenomenon.id).where(Phenomenon.name == "Hennepteelt"))


def story(app, make_user, submitter_of) -> dict:
    """Reporters log in 20 minutes apart; three minutes after each login, one submission by
    `submitter_of(k)`. Returns the truth: reference → reporter index."""
    clients = [app.test_client() for _ in range(REPORTERS)]
    truth = {}
    with freeze_time(DAY - timedelta(days=7)):  # the accounts exist since last week
        reporters = [make_user("reporter", name=f"Melder {k}", email=f"melder{k}@gemeente.test")
                     for k in range(REPORTERS)]
        make_user("privacy_officer", name="Pia Privacy", email="pia@gemeente.test")
    with freeze_time(DAY) as clock:
        for k in range(REPORTERS):
            clock.move_to(DAY + timedelta(minutes=20 * k))
            assert login(clients[k], reporters[k].email).status_code == 200
            clock.move_to(DAY + timedelta(minutes=20 * k + 3))
            who = submitter_of(k)
            submit(clients[who], f"Melding nummer {k}")
            newest = db.session.scalars(select(Signal).order_by(Signal.received_at.desc())).first()
            truth[newest.reference] = who
    return truth


def officer_view(app) -> tuple[str, list]:
    """Everything the privacy officer can reach, normalised only for what differs per request
    by design (CSRF tokens and encrypted page cursors carry fresh randomness each time)."""
    client = app.test_client()
    with freeze_time(DAY + timedelta(hours=9)):
        assert login(client, "pia@gemeente.test", PASSWORD).status_code == 200
        crawler = Crawler(client, "pia@gemeente.test")
        crawler.crawl("/logboek/")
        crawler.crawl("/logboek/afwijkingen?van=2026-11-18&tot=2026-11-18")
        pages = []
        for visit in sorted(crawler.visits, key=lambda v: v.url):
            # Pages and CSV as text; the register's PDFs (art. 30, DPIA annex) hold configuration only.
            response = getattr(visit, "response", None)
            textual = response is not None and response.mimetype != "application/pdf"
            body = response.get_data(as_text=True) if textual else ""
            pages.append((re.sub(r"(voor|na)=[A-Za-z0-9_-]{20,}", r"\1=…", visit.url), visit.status, body))
        export = client.get("/logboek/export.csv").get_data(as_text=True)
    text = "\n".join(f"{url} {status}\n{body}" for url, status, body in pages) + export
    text = re.sub(r'name="csrf_token"[^>]*value="[^"]+"', 'name="csrf_token"', text)
    text = re.sub(r"(voor|na)=[A-Za-z0-9_-]{20,}", r"\1=…", text)
    rows = list(csv.reader(io.StringIO(export.lstrip("\ufeff")), delimiter=";"))
    return text, rows


def linkers(rows) -> dict[str, dict[str, int]]:
    """Link each signal to a reporter from the CSV export the way an insider would."""
    header, body = rows[0], rows[1:]
    logins = sorted((r[0], r[1]) for r in body if r[3] == "auth.login" and r[1].startswith("Melder"))
    created = [r for r in body if r[3] == "signal.created"]
    names = [name for _, name in logins]

    def nearest_preceding_login(row):
        moment = row[0] if len(row[0]) > 10 else row[0] + " 23:59:59"  # only a day is known
        before = [name for at, name in logins if at <= moment]
        return int(before[-1].split()[-1]) if before else 0

    def sequence_gaps(row):
        # A sequence number would show which login a gap follows; without one there is nothing
        # to go on but a guess.
        assert "Nr." not in header
        return int(names[0].split()[-1])

    def order(row):  # the k-th act of reporting in the export to the k-th login of the day
        return int(names[created.index(row) % len(names)].split()[-1])

    return {name: {r[5]: fn(r) for r in created}
            for name, fn in (("nearest preceding login", nearest_preceding_login),
                             ("sequence gaps", sequence_gaps), ("timestamp order", order))}


def test_no_linker_does_better_than_chance(app, make_user, fixed_randomness):
    fixed_randomness()
    truth = story(app, make_user, lambda k: k)
    _, rows = officer_view(app)
    ids = {str(s.id): s.reference for s in db.session.scalars(select(Signal))}
    chance = len(truth) / REPORTERS
    results = []
    for name, guesses in linkers(rows).items():
        right = sum(1 for object_id, guess in guesses.items() if truth[ids[object_id]] == guess)
        results.append(f"{name}: {right} of {len(truth)} (chance {chance:.0f})")
        assert len(guesses) == len(truth)
        assert right <= 2 * chance, name  # what guessing gives (the fixed points of a shuffle: 1 ± 1)
    # References: the k-th reference in number order to the k-th login of the day.
    logins = sorted(r[0] for r in rows[1:] if r[3] == "auth.login" and r[1].startswith("Melder"))
    by_number = sorted(truth)
    right = sum(1 for k, reference in enumerate(by_number) if truth[reference] == k)
    results.append(f"reference order: {right} of {len(truth)} (chance {chance:.0f})")
    assert len(logins) == REPORTERS and right <= 2 * chance
    # Whatever order a linker picks, the export offers no time of day and no place among the
    # other events for an act of reporting.
    created = [r for r in rows[1:] if r[3] == "signal.created"]
    assert all(len(r[0]) == 10 and r[1] == "melder (afgeschermd)" and r[11] == "" for r in created)
    assert rows[-len(created):] == created or set(map(tuple, created)) <= set(map(tuple, rows[-3 * len(created):]))
    print("; ".join(results))
