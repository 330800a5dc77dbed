"""`flask import signals`: the existing register taken over (issue 16, part 3).

A generated 2,000-row workbook with deliberate errors, a CSV as Excel writes it (BOM, ";"),
and the mapping from docs/examples. Checks: per-row Dutch messages, all rows or none, skipping
invalid rows on purpose, no duplicates on a second run, the original dates (retention counts
from them), encryption and the blind index (the coordinator's search), and the log's purpose.
"""

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from casustafel.dates import to_local, today, utcnow
from casustafel.extensions import db
from casustafel.models import AuditEvent, Signal, SignalEvent, SignalNote, Subject
from casustafel.retention.services import Cutoffs, due_signals
from casustafel.signals.search_services import SearchQuery, search
from tests.helpers.importing import MAPPING, run_import

EXAMPLE_CSV = MAPPING.with_name("import-register.csv")
HEADERS = ["Nummer", "Datum melding", "Datum afgesloten", "Status", "Fenomeen", "Omschrijving", "Binnengekomen via",
           "Melder", "Bron", "Naam betrokkene", "Geboortedatum", "Bedrijf", "KvK-nummer", "Straat", "Huisnummer",
           "Postcode", "Plaats"]
NAMES = ["Özlem Jansen-de Vries", "Aïcha van den Berg-Ó Súilleabháin", "Jan de Vries", "Mohamed el Amrani",
         "Sanne Bakker"]
ROWS = 2000
# Spreadsheet row (the header is row 1) → (column, the error it must get).
BROKEN = {
    13: ("Datum melding", "geen geldige datum van de melding (‘31-02-2021’)"),
    250: ("Status", "onbekende status ‘Misschien’"),
    777: ("Omschrijving", "leeg; elke melding heeft een omschrijving"),
    1203: ("KvK-nummer", "een KvK-nummer heeft 8 cijfers"),
    1999: ("Geboortedatum", "de geboortedatum ligt in de toekomst"),
}


def _row(n: int) -> list:
    """Data row n (1-based; spreadsheet row n + 1): every fourth closed, the rest open."""
    received = date(2019, 1, 1) + timedelta(days=n % 1500)
    closed = n % 4 == 0
    return [
        f"R-{n:05d}",
        received,  # a real date cell, as Excel stores it
        (received + timedelta(days=40)).strftime("%d-%m-%Y") if closed else None,  # a typed date
        "Afgesloten - geen vervolg" if closed else ("In behandeling" if n % 4 == 1 else "Nieuw"),
        ["hennep", "adresfraude", "Overig", "Drugs — Drugshandel"][n % 4],
        f"Melding {n}: veel verkeer bij het pand, ’s nachts bezoek; de buren maken zich zorgen.",
        ["tel", "Meld Misdaad Anoniem", "collega", None][n % 4],
        "Buurtbewoner" if n % 3 == 0 else None,
        "Wijkagent",
        f"{NAMES[n % len(NAMES)]} {n}",
        date(1950, 1, 1) + timedelta(days=n * 7),
        f"Bedrijf {n} B.V." if n % 5 == 0 else None,
        f"{10_000_000 + n}" if n % 5 == 0 else None,
        "Dorpsstraat",
        f"{n % 300 + 1}{'a' if n % 7 == 0 else ''}",
        f"{1000 + n % 8999} AB",
        "Ons Dorp",
    ]


def _workbook(path: Path) -> Path:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Register")
    sheet.append(HEADERS)
    for n in range(1, ROWS + 1):
        row = _row(n)
        spreadsheet_row = n + 1
        if spreadsheet_row == 13:
            row[1] = "31-02-2021"
        elif spreadsheet_row == 250:
            row[3] = "Misschien"
        elif spreadsheet_row == 777:
            row[5] = None
        elif spreadsheet_row == 1203:
            row[11], row[12] = "Bouwbedrijf Ó Súilleabháin", "1234567"
        elif spreadsheet_row == 1999:
            row[10] = today() + timedelta(days=30)
        sheet.append(row)
    book.save(path)
    return path


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator", email="regisseur@gemeente.test")


def count(model) -> int:
    db.session.rollback()  # see what the command committed
    return db.session.scalar(select(func.count()).select_from(model))


def test_workbook_with_errors_all_or_none_then_skip_invalid_then_nothing_twice(app, coordinator, tmp_path):
    source = _workbook(tmp_path / "register.xlsx")
    logged = count(AuditEvent)  # the coordinator's account

    dry = run_import(app, source, "--dry-run")
    assert dry.exit_code == 1, dry.output
    for row, (column, message) in BROKEN.items():
        assert f"rij {row}, kolom '{column}': {message}" in dry.output
    assert len(re.findall(r"^rij \d+, kolom", dry.output, re.M)) == len(BROKEN)
    assert ("rij 2: nieuwe melding: ontvangen 02-01-2019, Weging, Woon- en adresfraude, overbewoning, "
            "Meld Misdaad Anoniem, 1 betrokkene, 1 adres") in dry.output
    assert "rij 5: nieuwe melding: ontvangen 05-01-2019, Afgesloten (geen vervolg na weging) op 14-02-2019" \
        in dry.output
    assert (f"{ROWS} rijen: {ROWS - len(BROKEN)} nieuw, 0 al overgenomen of dubbel, {len(BROKEN)} met fouten."
            in dry.output)
    assert not any(name in dry.output for name in NAMES)  # no personal data in the report
    assert "1234567" not in dry.output
    assert count(Signal) == 0 and count(AuditEvent) == logged

    refused = run_import(app, source)
    assert refused.exit_code == 1
    assert "Niets overgenomen: 5 rijen hebben fouten." in refused.output
    assert "rij 777, kolom 'Omschrijving'" in refused.output
    assert count(Signal) == 0 and count(Subject) == 0 and count(SignalNote) == 0
    assert count(AuditEvent) == logged  # nothing half-imported, not even a log event

    imported = run_import(app, source, "--skip-invalid", "--progress-every", "1000")
    assert imported.exit_code == 0, imported.output
    assert "1000 van 1995 meldingen aangemaakt" in imported.output
    assert "1995 van 1995 meldingen aangemaakt" in imported.output
    assert "De 5 foute rijen zijn overgeslagen." in imported.output
    assert count(Signal) == ROWS - len(BROKEN)
    keys = set(db.session.scalars(select(Signal.import_key)))
    assert len(keys) == ROWS - len(BROKEN) and all(re.fullmatch(r"[0-9a-f]{64}", k) for k in keys)

    again = run_import(app, source, "--skip-invalid")
    assert again.exit_code == 0, again.output
    assert f"{ROWS - len(BROKEN)} al overgenomen of dubbel" in again.output
    assert count(Signal) == ROWS - len(BROKEN)

    closed = db.session.scalar(select(Signal).where(Signal.status == "afgesloten").limit(1))
    assert closed.closing_reason == "geen_vervolg"
    assert to_local(closed.closed_at).date() - to_local(closed.received_at).date() == timedelta(days=40)


def _csv(path: Path, rows: list[str]) -> Path:
    path.write_bytes("\ufeff".encode() + ("\r\n".join([";".join(HEADERS), *rows]) + "\r\n").encode())
    return path


def test_csv_with_bom_and_unicode_names_is_encrypted_searchable_dated_and_logged_as_migratie(app, coordinator,
                                                                                            tmp_path):
    recent = (today() - timedelta(days=60)).strftime("%d-%m-%Y")
    received_recent = (today() - timedelta(days=90)).strftime("%d-%m-%Y")
    extra = _csv(tmp_path / "recent.csv", [
        f"2024-300;{received_recent};{recent};Afgesloten - geen hit;Overig;Recent afgesloten zonder hit.;politie;;;"
        ";;;;;;;",
    ])
    first = run_import(app, EXAMPLE_CSV)
    assert first.exit_code == 0, first.output
    assert run_import(app, extra).exit_code == 0
    assert count(Signal) == 4

    # Decrypts, with the name exactly as typed; the address split as the form would.
    ozlem = db.session.scalar(select(Subject).join(Signal).where(Signal.reference.like("SIG-2021-%")))
    assert ozlem.name == "Özlem Jansen-de Vries" and ozlem.birth_date == "1984-05-12"
    assert ozlem.signal.locations[0].house_number == "12" and ozlem.signal.locations[0].house_number_addition == "A"
    raw = db.session.execute(select(Subject.__table__.c.name_enc).where(Subject.id == ozlem.id)).scalar_one()
    assert "Özlem".encode() not in raw

    # Found by the coordinator's search on the name, accents and case left out (blind index).
    found = search(coordinator, SearchQuery(name="ozlem jansen-de vries"))
    assert [s.id for s in found.signals] == [ozlem.signal_id]
    found = search(coordinator, SearchQuery(name="AÏCHA VAN DEN BERG-Ó SÚILLEABHÁIN"))
    assert len(found.signals) == 1 and found.signals[0].status == "weging"
    assert search(coordinator, SearchQuery(kvk_number="12345678")).signals == found.signals

    # The original dates; the reference counts in the year received.
    old = ozlem.signal
    assert old.reference.startswith("SIG-2021-")
    assert to_local(old.received_at).date() == date(2021, 2, 3)
    assert to_local(old.closed_at).date() == date(2021, 3, 15)
    assert (old.status, old.closing_reason, old.channel) == ("afgesloten", "geen_ondermijning", "telefoon")
    steps = sorted(db.session.scalars(select(SignalEvent).where(SignalEvent.signal_id == old.id)),
                   key=lambda e: e.occurred_at)
    assert [(e.from_status, e.to_status, e.reason_code) for e in steps] == [
        (None, "ingediend", None), ("ingediend", "afgesloten", "geen_ondermijning")]
    assert [to_local(e.occurred_at).date() for e in steps] == [date(2021, 2, 3), date(2021, 3, 15)]
    note = db.session.scalar(select(SignalNote).where(SignalNote.signal_id == old.id))
    assert note.text.splitlines()[1:] == ["Nummer in het oude register: 2021-014", "Melder: Buurtbewoner",
                                          "Bron: Wijkteam"]

    # Retention counts from the original closing date: due after 12 months; the recent one not yet.
    due = {row.id for row in db.session.execute(due_signals("afgesloten", Cutoffs.at(utcnow())))}
    recent_signal = db.session.scalar(select(Signal).where(Signal.closing_reason == "geen_hit"))
    assert old.id in due and recent_signal.id not in due
    assert to_local(recent_signal.closed_at).date() == today() - timedelta(days=60)

    # Every event of the import carries the purpose migratie, none the reporter's shielded "melding".
    events = list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.in_(("signal.created", "signal.status_changed", "signal_note.added")))))
    assert {e.purpose for e in events} == {"migratie"}
    created = [e for e in events if e.action == "signal.created"]
    assert len(created) == 4 and all(e.origin == "cli" and e.actor_id == coordinator.id for e in created)
    assert {e.reason_code for e in events if e.action == "signal.status_changed"} == {
        "geen_ondermijning", "migratie", "geen_hit"}

    again = run_import(app, EXAMPLE_CSV, "--dry-run")
    assert again.exit_code == 0
    assert "rij 2: staat al in casustafel (eerder overgenomen); overgeslagen" in again.output
    assert run_import(app, EXAMPLE_CSV).exit_code == 0
    assert count(Signal) == 4


def test_without_key_column_identical_rows_count_once_and_a_rerun_creates_nothing(app, coordinator, tmp_path):
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(MAPPING.read_text(encoding="utf-8").replace('sleutel = "Nummer"', ""), encoding="utf-8")
    row = "x;01-02-2020;;Nieuw;Overig;Aïcha zag iets.;tel;;;Aïcha van den Berg-Ó Súilleabháin;;;;;;;"
    source = _csv(tmp_path / "register.csv", [row, row, row.replace("Aïcha zag", "Özlem zag")])
    args = ["import", "signals", str(source), "--mapping", str(mapping), "--as", "regisseur@gemeente.test"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "3 rijen: 2 nieuw, 1 al overgenomen of dubbel" in result.output
    assert app.test_cli_runner().invoke(args=args).exit_code == 0
    assert count(Signal) == 2


@pytest.mark.parametrize(("mapping_text", "message"), [
    ('[statussen]\n"Klaar" = "in_aanpak"\n', "‘in_aanpak’ kan niet worden overgenomen"),
    ('[statussen]\n"Klaar" = "afgesloten"\n', "een afgesloten melding heeft een reden"),
    ('[kolommen]\nomschrijving = "Omschrijving"\n', "[kolommen] datum_melding ontbreekt"),
    ('[kolommen]\ndatum_melding = "Ontvangen op"\nomschrijving = "Omschrijving"\nstatus = "Status"\n',
     "De kolom 'Ontvangen op' staat niet in de kopregel"),
    ("[kolommen\n", "is geen geldige TOML"),
])
def test_a_bad_mapping_is_explained_in_dutch_and_writes_nothing(app, coordinator, tmp_path, mapping_text, message):
    base = "" if mapping_text.startswith("[kolommen") else (
        '[kolommen]\ndatum_melding = "Datum melding"\nomschrijving = "Omschrijving"\nstatus = "Status"\n'
        'fenomeen = "Fenomeen"\n')
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(base + mapping_text, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", "signals", str(EXAMPLE_CSV), "--mapping", str(mapping),
                                                "--as", "regisseur@gemeente.test"])
    assert result.exit_code == 1
    assert message in result.output
    assert count(Signal) == 0


def test_only_a_coordinator_imports(app, make_user, tmp_path):
    make_user("admin", email="beheer@gemeente.test")
    result = app.test_cli_runner().invoke(args=["import", "signals", str(EXAMPLE_CSV), "--mapping", str(MAPPING),
                                                "--as", "beheer@gemeente.test"])
    assert result.exit_code == 1 and "geen regisseur" in result.output
    result = app.test_cli_runner().invoke(args=["import", "signals", str(EXAMPLE_CSV), "--mapping", str(MAPPING)])
    assert result.exit_code == 1 and "--as" in result.output
    assert count(Signal) == 0
