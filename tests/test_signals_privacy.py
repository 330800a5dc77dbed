"""PII canaries for the meldpunt (docs/security.md "Proving it").

A unique marker goes into every personal-data field of a signal, through the real form where
the field is on it: names, date of birth, KvK number, addresses, description, explanation,
phone, attachment name and content, the reporter's answer. After a full round (submit,
question and answer, the coordinator reads and downloads) no marker may appear in a dump of
the database, in any file under the upload temp folder or the attachment store, in the
application log, in the access log, or in a response to someone who may not see the signal.

Short formats (postcode, house number, KvK, date of birth, phone) get random values chosen so
they cannot occur in hex or base64 by chance, and are searched with word boundaries.
"""

import base64
import io
import logging
import random
import re
import secrets
import string
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import AuditEvent, InformationRequest, Location, Signal, SignalEvent
from casustafel.spool import EncryptedSpool
from tests.conftest import csrf_from, login
from tests.helpers.dumps import database_dump
from tests.helpers.signals import all_signals, organisation, person, signal_form, submit

SIGNAL_TABLES = ("signal", "subject", "location", "attachment", "signal_event", "information_request")
NOT_HEX = "GHJKLMNPQRTUVWXYZ"  # letters that never occur in hex; postcodes avoid SA, SD and SS anyway


def text_marker(label: str) -> str:
    return f"CANARY{label.upper()}{secrets.token_hex(8).upper()}"


@dataclass
class Canaries:
    """The markers of one run, per field, and what the run left behind to inspect."""

    text: dict[str, str] = field(default_factory=dict)  # long free-text markers
    short: dict[str, str] = field(default_factory=dict)  # short formats, searched with boundaries
    content: bytes = b""
    signal: Signal | None = None
    responses: list = field(default_factory=list)
    spooled: dict[str, bytes] = field(default_factory=dict)

    def all(self) -> dict[str, str]:
        return {**self.text, **self.short}


def new_canaries() -> Canaries:
    rng = random.SystemRandom()
    c = Canaries()
    for name in ("description", "indicator_explanation", "subject_name", "organisation_name", "subject_street",
                 "subject_city", "organisation_street", "location_street", "location_city", "filename",
                 "question", "answer", "bag_id", "event_reason", "summary"):
        c.text[name] = text_marker(name.replace("_", ""))
    c.short["birth_date"] = f"19{rng.randint(20, 59)}-{rng.randint(1, 12):02d}-{rng.randint(10, 28):02d}"
    c.short["kvk_number"] = str(rng.randint(70_000_000, 99_999_999))
    c.short["reporter_phone"] = "06" + "".join(rng.choices(string.digits, k=8))
    for prefix in ("subject", "location"):
        c.short[f"{prefix}_postcode"] = f"{rng.randint(7000, 9999)} {''.join(rng.choices(NOT_HEX, k=2))}"
        c.short[f"{prefix}_house_number"] = str(rng.randint(70_000, 99_999))  # above any 16-bit blind index
        c.short[f"{prefix}_addition"] = "".join(rng.choices(NOT_HEX, k=6))
    c.content = b"%PDF-1.4\n" + (text_marker("content").encode() + b"\n") * 4000  # several 64 KiB segments
    return c


# Where to look ------------------------------------------------------------------------------


def spellings(marker: str) -> list[str]:
    raw = marker.encode()
    return [marker, raw.hex(), base64.b64encode(raw).decode()]


def short_pattern(value: str) -> re.Pattern:
    variants = {value, value.replace(" ", ""), value.replace("-", "")}
    alternatives = "|".join(re.escape(v) for v in sorted(variants))
    return re.compile(rf"(?<![0-9A-Za-z])(?:{alternatives})(?![0-9A-Za-z])")


def find_canaries(text: str, canaries: Canaries) -> list[str]:
    """The names of the markers found in `text` (empty when none is there)."""
    found = []
    lowered = text.lower()
    for name, marker in canaries.text.items():
        if any(s.lower() in lowered for s in spellings(marker)):
            found.append(name)
    for name, value in canaries.short.items():
        if short_pattern(value).search(text):
            found.append(name)
    content_marker = re.search(rb"CANARYCONTENT[0-9A-F]+", canaries.content).group(0).decode()
    if any(s.lower() in lowered for s in spellings(content_marker)):
        found.append("attachment content")
    return found




def files_under(folder) -> dict[str, bytes]:
    root = Path(folder)
    return {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file()} if root.exists() else {}


# One full round -------------------------------------------------------------------------------


@pytest.fixture
def folders(app, store):
    """Upload temp folder and attachment store of this test only, so every file in them is ours."""
    return app.config


@pytest.fixture
def run_round(app, client, make_user, folders, monkeypatch):
    """Submit, ask and answer, read and download: everything a signal goes through so far."""

    def run() -> Canaries:
        c = new_canaries()
        original_close = EncryptedSpool.close

        def close_after_looking(spool):  # the spool exists only during the request: look then
            c.spooled.update(files_under(folders["UPLOAD_TMP_DIR"]))
            original_close(spool)

        monkeypatch.setattr(EncryptedSpool, "close", close_after_looking)

        reporter = make_user("reporter")
        assert login(client, reporter.email).status_code == 200
        data = signal_form(
            description=f"Beschrijving {c.text['description']} einde",
            indicator_explanation=c.text["indicator_explanation"],
            reporter_phone=c.short["reporter_phone"],
            **person(0, name=c.text["subject_name"], birth_date=c.short["birth_date"],
                     street=c.text["subject_street"], house_number=c.short["subject_house_number"],
                     house_number_addition=c.short["subject_addition"], postcode=c.short["subject_postcode"],
                     city=c.text["subject_city"]),
            **organisation(1, name=c.text["organisation_name"], kvk_number=c.short["kvk_number"],
                           street=c.text["organisation_street"]),
            **{f"locations-0-{k}": v for k, v in {
                "street": c.text["location_street"], "house_number": c.short["location_house_number"],
                "house_number_addition": c.short["location_addition"], "postcode": c.short["location_postcode"],
                "city": c.text["location_city"]}.items()},
        )
        refused = submit(client, {**data, "observed_from": "2999-01-01"}, files=[(io.BytesIO(c.content), "x.pdf")])
        assert refused.status_code == 200  # a refused attempt first: it must leave nothing either
        done = submit(client, data, files=[(io.BytesIO(c.content), f"{c.text['filename']}.pdf")])
        assert done.status_code == 302, done.get_data(as_text=True)[:2000]
        assert c.spooled, "the upload was not spooled through EncryptedSpool"
        (signal,) = all_signals()

        signal.status, signal.status_before_question = "aanvulling_gevraagd", "ingediend"
        question = InformationRequest(signal_id=signal.id)
        question.question = c.text["question"]
        event = SignalEvent(signal_id=signal.id, from_status="ingediend", to_status="ingediend", reason_code="test")
        event.reason = c.text["event_reason"]
        db.session.add_all([question, event])
        signal.locations[0].bag_id = c.text["bag_id"]
        signal.summary = c.text["summary"]  # the coordinator's anonymised summary
        db.session.commit()
        url = f"/mijn-meldingen/{signal.id}"
        answered = client.post(url, data={"answer": c.text["answer"], "csrf_token": csrf_from(client.get(url))})
        assert answered.status_code == 302
        c.responses += [("melder", client.get("/mijn-meldingen")), ("melder", client.get(url))]

        coordinator = app.test_client()
        assert login(coordinator, make_user("coordinator").email).status_code == 200
        detail = coordinator.get(f"/meldingen/{signal.id}")
        assert c.text["subject_name"] in detail.get_data(as_text=True)  # the coordinator does see it
        download = coordinator.get(f"/meldingen/{signal.id}/bijlagen/{signal.attachments[0].id}")
        assert download.data == c.content
        coordinator.get("/meldingen")

        for role in ("member", "admin", "privacy_officer", "reporter"):
            outsider = app.test_client()
            assert login(outsider, make_user(role).email).status_code == 200
            for path in (f"/meldingen/{signal.id}", f"/mijn-meldingen/{signal.id}", "/mijn-meldingen",
                         f"/meldingen/{signal.id}/bijlagen/{signal.attachments[0].id}", "/meldingen", "/"):
                c.responses.append((role, outsider.get(path)))

        db.session.expire_all()
        c.signal = db.session.get(Signal, signal.id)
        return c

    return run


# The checks -----------------------------------------------------------------------------------


def test_the_round_puts_a_canary_in_every_encrypted_column_of_a_signal(run_round):
    canaries = run_round()
    signal = canaries.signal

    assert signal.description.split()[1] == canaries.text["description"]
    assert signal.subjects[0].birth_date == canaries.short["birth_date"]
    assert signal.subjects[1].kvk_number == canaries.short["kvk_number"]
    assert signal.locations[0].postcode == canaries.short["location_postcode"]
    assert signal.attachments[0].filename == f"{canaries.text['filename']}.pdf"
    assert signal.questions[0].answer == canaries.text["answer"]
    for table in SIGNAL_TABLES:
        columns = [c.name for c in db.metadata.tables[table].columns if c.name.endswith("_enc")]
        assert columns, table
        rows = db.session.execute(db.metadata.tables[table].select()).mappings().all()
        for column in columns:
            assert any(row[column] is not None for row in rows), f"{table}.{column} has no canary"


def test_no_canary_in_a_full_database_dump(run_round):
    canaries = run_round()
    db.session.remove()

    dump, where = database_dump()

    assert canaries.signal.reference in dump  # the dump is real and holds the signal
    assert "information_request" in dump
    assert find_canaries(dump, canaries) == [], f"canaries in the {where}"


def test_no_canary_in_the_upload_temp_folder_or_the_attachment_store(app, run_round):
    canaries = run_round()

    stored = files_under(app.config["ATTACHMENT_DIR"])
    assert len(stored) == 1  # the accepted attachment; nothing of the refused attempt
    leftovers = files_under(app.config["UPLOAD_TMP_DIR"])
    assert leftovers == {}  # spools are removed at the end of the request
    for where, files in (("attachment store", stored), ("upload spool", canaries.spooled)):
        for path, content in files.items():
            assert canaries.content[:200] not in content
            assert find_canaries(content.decode("latin-1"), canaries) == [], f"canaries in {where} {path}"


def test_no_canary_in_the_application_log(run_round, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")  # statements and their parameters

    canaries = run_round()

    assert any(r.name.startswith("sqlalchemy.engine") for r in caplog.records)  # the capture works
    assert find_canaries(caplog.text, canaries) == []
    for record in caplog.records:
        assert find_canaries(f"{record.getMessage()} {record.args!r}", canaries) == [], record.name


def test_no_canary_in_the_access_log(run_round):
    canaries = run_round()

    events = db.session.scalars(select(AuditEvent)).all()
    actions = {e.action for e in events}
    assert {"signal.created", "attachment.uploaded", "signal.question_answered", "signal.viewed",
            "attachment.downloaded", "access.denied"} <= actions
    for event in events:
        values = " ".join(str(getattr(event, c.key)) for c in AuditEvent.__table__.columns)
        assert find_canaries(values, canaries) == [], event.action


# What the reporter sees of their own signal (Mijn meldingen, issue 19).
REPORTER_SEES = {"location_city", "question", "answer"}


def test_no_canary_in_any_response_to_someone_who_may_not_see_the_content(run_round):
    canaries = run_round()

    assert len(canaries.responses) > 20
    seen_by_reporter = set()
    for who, response in canaries.responses:
        text = response.get_data(as_text=True) + str(response.headers)
        found = find_canaries(text, canaries)
        if who == "melder":
            # Their own signal: the city they entered (to tell signals apart), the question to
            # them and their answer (kept after answering), and nothing else.
            seen_by_reporter.update(found)
            found = [name for name in found if name not in REPORTER_SEES]
        assert found == [], f"{who}: {response.request.path}"
        if who != "melder":
            assert canaries.signal.reference not in text, f"{who}: {response.request.path}"
    assert seen_by_reporter == REPORTER_SEES


def test_a_location_is_a_location_not_a_subject(run_round):
    """The location's markers end up on the location row, encrypted, and nowhere else."""
    canaries = run_round()
    (location,) = db.session.scalars(select(Location)).all()

    assert (location.street, location.postcode, location.house_number, location.house_number_addition) == (
        canaries.text["location_street"], canaries.short["location_postcode"],
        canaries.short["location_house_number"], canaries.short["location_addition"])
    assert canaries.text["location_street"].encode() not in location.street_enc
