"""Taking over the municipality's existing register (a spreadsheet): `flask import signals`.

A mapping file (TOML, docs/examples/import-mapping.toml) says which column holds what and how
the register's words for statuses, phenomena and channels translate. Every row is checked first;
every problem is reported in Dutch as "rij 12, kolom 'Datum melding': …". Then the rows become
signals through `build_signal`, the service the forms use (same encryption, same blind
indexes), with their original received date and, for a closed row, the closing date and reason
as the workflow stores them, so retention terms count from the original dates. Every step is
logged with the purpose `migratie`. One transaction: all rows or none, unless invalid rows are
skipped on purpose. Each signal keeps a keyed hash of its row (`import_key`), so importing the
same file again creates nothing twice. Messages never repeat a name, a date of birth, a KvK
number or an address from the file: only dates of the signal, statuses, phenomena and channels.
"""

import csv
import dataclasses
import io
import itertools
import re
import tomllib
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from sqlalchemy import select

from casustafel import crypto
from casustafel.audit_log import record
from casustafel.dates import EARLIEST, from_local, short_date, today, utcnow
from casustafel.extensions import db
from casustafel.linking import split_house_number
from casustafel.models import CHANNELS, STATUSES, SUBJECT_KINDS, SUBJECT_ROLES, Phenomenon, Signal, SignalEvent
from casustafel.models.activity import activity_for_status_change
from casustafel.models.base import keyring, new_uuid
from casustafel.models.note import SignalNote
from casustafel.signals.forms import POSTCODE_RE
from casustafel.signals.services import LocationInput, SignalInput, SubjectInput, build_signal
from casustafel.signals.workflow import CLOSED, CLOSING_REASONS

PURPOSE = "migratie"
MIGRATED = "migratie"  # the reason code of the step to the imported status
# Open statuses a row may take over. A later step (bronnenonderzoek, agenda, aanpak, …) has
# gates of its own (privacy check 1, weging 4, a plan): such a case comes in at weging and the
# coordinator takes it on from there.
OPEN_STATUSES = ("ingediend", "intake", "weging")
DESCRIPTION_MAX = 10_000
NOTE_MAX = 4000
STREET_MAX, CITY_MAX = 120, 80
# [bestand] tekenset: UTF-8 (with or without BOM) by default; Windows-1252 is what Dutch Excel
# writes as its plain "CSV". Named, never guessed: a wrong guess would change every é silently.
ENCODINGS = {"utf-8": "utf-8-sig", "windows-1252": "cp1252", "cp1252": "cp1252"}
DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d", "%d-%m-%Y %H:%M", "%d-%m-%Y %H:%M:%S",
                "%Y-%m-%d %H:%M:%S")
CHUNK = 500
MAX_COLUMNS = 1024  # a sheet claiming more columns is read as wide as its header
# What Excel shows (and writes to a CSV) for a formula that failed, such as a lookup that found nothing.
EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                          "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"})
# A formula whose result the workbook does not hold (written by another program than Excel).
NO_RESULT = "#FORMULE"

SIGNAL_COLUMNS = ("datum_melding", "datum_afsluiting", "status", "fenomeen", "omschrijving", "kanaal", "melder",
                  "bron")
ADDRESS_COLUMNS = ("straat", "huisnummer", "toevoeging", "postcode", "plaats")
SUBJECT_COLUMNS = ("naam", "geboortedatum", "kvk", *ADDRESS_COLUMNS)
LOCATION_COLUMNS = (*ADDRESS_COLUMNS, "bag_id")
SECTIONS = ("bestand", "kolommen", "adres", "betrokkenen", "statussen", "fenomenen", "kanalen", "standaard")
# The start of an OLE file: Excel 97-2003 (.xls), and also any workbook saved with a password.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
IMPORT_CHANNELS = {code: label for code, label in CHANNELS.items() if code != "meldpunt"}


class MappingError(ValueError):
    """The mapping file or the spreadsheet as a whole cannot be read; a Dutch message."""


def _fold(value) -> str:
    return crypto.normalize_text(str(value)) if value is not None else ""


# --- the mapping -------------------------------------------------------------------------------


@dataclass
class SubjectColumns:
    kind: str
    role: str
    columns: dict[str, str]


@dataclass
class Mapping:
    columns: dict[str, str]
    subjects: list[SubjectColumns] = field(default_factory=list)
    location: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    phenomena: dict[str, str] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)
    default_status: tuple[str, str | None] | None = None
    default_phenomenon: str | None = None
    default_channel: str | None = None
    sheet: str | None = None
    header_row: int = 1
    delimiter: str | None = None
    encoding: str = "utf-8-sig"
    key_column: str | None = None
    date_formats: tuple[str, ...] = DATE_FORMATS

    def used_columns(self) -> list[str]:
        names = [*self.columns.values(), *self.location.values()]
        for subject in self.subjects:
            names += subject.columns.values()
        if self.key_column:
            names.append(self.key_column)
        return list(dict.fromkeys(names))


def _table(doc: dict, name: str) -> dict:
    value = doc.get(name, {})
    if not isinstance(value, dict):
        raise MappingError(f"[{name}] in de koppeling moet een tabel zijn.")
    return value


def _columns(section: str, table: dict, allowed: tuple[str, ...]) -> dict[str, str]:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise MappingError(f"Onbekende sleutel in [{section}]: {', '.join(unknown)}. "
                           f"Mogelijk zijn: {', '.join(allowed)}.")
    for key, value in table.items():
        if not isinstance(value, str) or not value.strip():
            raise MappingError(f"[{section}] {key} moet de naam van een kolom zijn (tekst).")
    return {key: value.strip() for key, value in table.items()}


def parse_status(value: str, where: str) -> tuple[str, str | None]:
    """'weging' → ('weging', None); 'afgesloten:geen_hit' → ('afgesloten', 'geen_hit')."""
    status, _, reason = str(value).strip().partition(":")
    status, reason = status.strip(), reason.strip() or None
    if status == CLOSED:
        if reason not in CLOSING_REASONS:
            raise MappingError(f"{where}: een afgesloten melding heeft een reden, zoals ‘afgesloten:geen_hit’. "
                               f"Mogelijke redenen: {', '.join(CLOSING_REASONS)}.")
        return status, reason
    if status not in OPEN_STATUSES or reason:
        raise MappingError(f"{where}: ‘{value}’ kan niet worden overgenomen. Gebruik {', '.join(OPEN_STATUSES)} of "
                           "‘afgesloten:<reden>’; een zaak die verder is, komt binnen als ‘weging’.")
    return status, None


def _words(section: str, table: dict, what: str) -> dict[str, str]:
    """[statussen], [fenomenen], [kanalen]: register word (folded) → one text value; one word twice
    (case, accents and spaces do not count) is an error, not the last one silently winning."""
    found: dict[str, str] = {}
    words: dict[str, str] = {}
    for word, value in table.items():
        if not isinstance(value, str):
            raise MappingError(f"[{section}] ‘{word}’ is {what} (tekst).")
        folded = _fold(word)
        if folded in words:
            raise MappingError(f"[{section}] ‘{word}’ is hetzelfde woord als ‘{words[folded]}’ (hoofdletters, "
                               "accenten en spaties tellen niet); laat er één staan.")
        words[folded], found[folded] = word, value
    return found


def load_mapping(path: str | Path) -> Mapping:
    try:
        # utf-8-sig: Windows Notepad starts a UTF-8 file with a byte-order mark.
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise MappingError(f"De koppeling {path} kan niet worden gelezen ({exc.strerror}).") from None
    except UnicodeDecodeError:
        raise MappingError(f"De koppeling {path} is geen UTF-8-tekst; sla de koppeling op met de codering UTF-8 "
                           "(Kladblok: Opslaan als, Codering: UTF-8).") from None
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"at line (\d+), column (\d+)", str(exc))
        spot = f"controleer regel {where[1]} bij teken {where[2]}" if where else "controleer de opmaak"
        raise MappingError(f"De koppeling {path} is geen geldige TOML: {spot}. Zet elke kolomnaam en elk woord "
                           "tussen aanhalingstekens (\"…\") en elke sectie tussen [ ].") from None
    unknown = sorted(set(doc) - set(SECTIONS))
    if unknown:
        raise MappingError(f"Onbekende onderdelen in de koppeling: {', '.join(unknown)}. "
                           f"Mogelijk zijn: {', '.join(SECTIONS)}.")
    columns = _columns("kolommen", _table(doc, "kolommen"), SIGNAL_COLUMNS)
    for required in ("datum_melding", "omschrijving"):
        if required not in columns:
            raise MappingError(f"[kolommen] {required} ontbreekt: welke kolom bevat die?")
    mapping = Mapping(columns=columns, location=_columns("adres", _table(doc, "adres"), LOCATION_COLUMNS))

    blocks = doc.get("betrokkenen", [])
    if not isinstance(blocks, list):
        raise MappingError("Zet elke betrokkene in een eigen [[betrokkenen]]-blok.")
    for number, block in enumerate(blocks, start=1):
        where = f"[[betrokkenen]] nummer {number}"
        if not isinstance(block, dict):
            raise MappingError(f"{where} moet een tabel zijn.")
        block = dict(block)
        kind, role = block.pop("soort", "persoon"), block.pop("rol", "vermoedelijk_betrokkene")
        if not isinstance(kind, str) or kind not in SUBJECT_KINDS:
            raise MappingError(f"{where}: soort is ‘persoon’ of ‘organisatie’.")
        if not isinstance(role, str) or role not in SUBJECT_ROLES:
            raise MappingError(f"{where}: onbekende rol ‘{role}’. Mogelijk zijn: {', '.join(SUBJECT_ROLES)}.")
        cols = _columns("betrokkenen", block, SUBJECT_COLUMNS)
        if "naam" not in cols:
            raise MappingError(f"{where}: naam ontbreekt: welke kolom bevat de naam?")
        if kind == "persoon" and "kvk" in cols:
            raise MappingError(f"{where}: een KvK-nummer hoort bij een organisatie, niet bij een persoon.")
        if kind == "organisatie" and "geboortedatum" in cols:
            raise MappingError(f"{where}: een organisatie heeft geen geboortedatum.")
        mapping.subjects.append(SubjectColumns(kind, role, cols))

    for word, value in _words("statussen", _table(doc, "statussen"), "een status, zoals \"weging\"").items():
        mapping.statuses[word] = parse_status(value, f"[statussen] ‘{word}’")
    mapping.phenomena = _words("fenomenen", _table(doc, "fenomenen"), "de naam van een fenomeen")
    for word, code in _words("kanalen", _table(doc, "kanalen"), "een kanaal, zoals \"telefoon\"").items():
        if code not in IMPORT_CHANNELS:
            raise MappingError(f"[kanalen] ‘{word}’: onbekend kanaal ‘{code}’. "
                               f"Mogelijk zijn: {', '.join(IMPORT_CHANNELS)}.")
        mapping.channels[_fold(word)] = code

    defaults = _table(doc, "standaard")
    unknown = sorted(set(defaults) - {"status", "fenomeen", "kanaal"})
    if unknown:
        raise MappingError(f"Onbekende sleutel in [standaard]: {', '.join(unknown)}.")
    if "status" in defaults:
        mapping.default_status = parse_status(defaults["status"], "[standaard] status")
    mapping.default_phenomenon = defaults.get("fenomeen")
    if mapping.default_phenomenon is not None and not isinstance(mapping.default_phenomenon, str):
        raise MappingError("[standaard] fenomeen is de naam van een fenomeen (tekst).")
    mapping.default_channel = defaults.get("kanaal", "telefoon" if "kanaal" not in columns else None)
    if mapping.default_channel is not None and (not isinstance(mapping.default_channel, str)
                                                or mapping.default_channel not in IMPORT_CHANNELS):
        raise MappingError(f"[standaard] kanaal: onbekend kanaal ‘{mapping.default_channel}’. "
                           f"Mogelijk zijn: {', '.join(IMPORT_CHANNELS)}.")
    if "status" not in columns and mapping.default_status is None:
        raise MappingError("Geef [kolommen] status of [standaard] status op.")

    source = _table(doc, "bestand")
    unknown = sorted(set(source) - {"blad", "kopregel", "scheidingsteken", "tekenset", "sleutel", "datumnotaties"})
    if unknown:
        raise MappingError(f"Onbekende sleutel in [bestand]: {', '.join(unknown)}.")
    mapping.sheet = source.get("blad")
    if mapping.sheet is not None and not isinstance(mapping.sheet, str):
        raise MappingError("[bestand] blad is de naam van een blad (tekst), zoals \"Register\".")
    mapping.header_row = source.get("kopregel", 1)
    if not isinstance(mapping.header_row, int) or mapping.header_row < 1:
        raise MappingError("[bestand] kopregel is het nummer van de rij met de kolomnamen (1 of hoger).")
    mapping.delimiter = source.get("scheidingsteken")
    if mapping.delimiter is not None and (not isinstance(mapping.delimiter, str) or len(mapping.delimiter) != 1):
        raise MappingError("[bestand] scheidingsteken is één teken, zoals \";\".")
    encoding = source.get("tekenset", "utf-8")
    if not isinstance(encoding, str) or encoding.lower() not in ENCODINGS:
        raise MappingError("[bestand] tekenset is \"utf-8\" (standaard) of \"windows-1252\" (Excel's gewone ‘CSV’).")
    mapping.encoding = ENCODINGS[encoding.lower()]
    mapping.key_column = source.get("sleutel")
    if mapping.key_column is not None and (not isinstance(mapping.key_column, str) or not mapping.key_column.strip()):
        raise MappingError("[bestand] sleutel is de naam van een kolom (tekst), zoals \"Nummer\".")
    if "datumnotaties" in source:
        formats = source["datumnotaties"]
        if not isinstance(formats, list) or not formats or not all(isinstance(f, str) and "%" in f for f in formats):
            raise MappingError("[bestand] datumnotaties is een lijst van notaties, zoals [\"%d-%m-%Y\", \"%Y-%m-%d\"].")
        mapping.date_formats = tuple(formats)
    return mapping


# --- reading the file --------------------------------------------------------------------------


@dataclass
class Sheet:
    headers: list[str]
    rows: Iterator[tuple[int, list]]  # (row number as the spreadsheet shows it, cells)


def _header(value) -> str:
    """A column name on one line, without invisible characters (a byte-order mark, a zero-width space)."""
    if value is None:
        return ""
    return " ".join("".join(c for c in str(value) if unicodedata.category(c) != "Cf").split())


def open_sheet(path: str | Path, mapping: Mapping) -> Sheet:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):  # .xlsm: the same sheets; its macros are not read
        return _open_xlsx(path, mapping)
    if suffix in (".csv", ".txt"):
        return _open_csv(path, mapping)
    raise MappingError(f"{path.name}: alleen .xlsx, .xlsm en .csv kunnen worden ingelezen.")


def _open_xlsx(path: Path, mapping: Mapping) -> Sheet:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with open(path, "rb") as handle:
            start = handle.read(len(OLE_MAGIC))
    except OSError as exc:
        raise MappingError(f"{path.name} kan niet worden gelezen ({exc.strerror}).") from None
    if not start:
        raise MappingError(f"{path.name} is leeg.")
    if start == OLE_MAGIC:
        raise MappingError(f"{path.name} is in de oude Excel-indeling (.xls) of met een wachtwoord beveiligd. Open het "
                           "in Excel, haal een wachtwoord weg en sla het op als ‘Excel-werkmap (.xlsx)’.")
    try:
        book = load_workbook(path, read_only=True, data_only=True)
        formulas = load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError):
        raise MappingError(f"{path.name} is geen Excel-werkmap (.xlsx) of is beschadigd. Open het in Excel en sla "
                           "het op als ‘Excel-werkmap (.xlsx)’.") from None
    except OSError as exc:
        raise MappingError(f"{path.name} kan niet als Excel-werkmap worden gelezen ({exc.strerror or exc}).") from None
    if mapping.sheet is not None and mapping.sheet not in book.sheetnames:
        raise MappingError(f"Het blad ‘{mapping.sheet}’ staat niet in {path.name}. "
                           f"Bladen: {', '.join(book.sheetnames)}.")
    if mapping.sheet:
        sheet = book[mapping.sheet]
    else:
        # Never the first sheet by default when others hold data too (a register per year, a
        # hidden sheet behind the drop-downs): the rest would be left behind without a word.
        filled = [ws for ws in book.worksheets if any(
            v is not None for row in ws.iter_rows(max_row=100, max_col=100, values_only=True) for v in row)]
        if len(filled) > 1:
            names = ", ".join(f"‘{ws.title}’" for ws in filled)
            raise MappingError(f"{path.name} heeft meer bladen met gegevens: {names}. Zet in de koppeling onder "
                               "[bestand] blad = \"…\" welk blad het register is; neem een ander blad over met een "
                               "eigen import.")
        sheet = filled[0] if filled else book.worksheets[0]
    headers = [_header(v) for v in next(sheet.iter_rows(min_row=mapping.header_row, max_row=mapping.header_row,
                                                        values_only=True), ())]
    while headers and not headers[-1]:
        headers.pop()
    # As wide as the sheet says (a row's content, and so its key without [bestand] sleutel, stays as
    # it was), but only as wide as the header when it claims more than a register has: a sheet
    # formatted to Excel's last cell claims 16,384 columns for each of its 1,048,576 rows.
    width = sheet.max_column if sheet.max_column is None or sheet.max_column <= MAX_COLUMNS else max(len(headers), 1)
    rows = sheet.iter_rows(min_row=mapping.header_row + 1, max_col=width, values_only=True)
    # The same rows as written: a formula there with nothing in `rows` has no stored result.
    written = formulas[sheet.title].iter_rows(min_row=mapping.header_row + 1, max_col=width, values_only=True)

    def data():
        for number, (cells, raw) in enumerate(zip(rows, written, strict=False), start=mapping.header_row + 1):
            yield number, [NO_RESULT if c is None and r is not None else c for c, r in zip(cells, raw, strict=False)]
        book.close()
        formulas.close()

    return Sheet(headers, data())


def _open_csv(path: Path, mapping: Mapping) -> Sheet:
    try:
        text = path.read_text(encoding=mapping.encoding)
    except UnicodeDecodeError:
        if mapping.encoding != "utf-8-sig":
            raise MappingError(f"{path.name} is geen Windows-1252-tekst. Controleer [bestand] tekenset.") from None
        raise MappingError(f"{path.name} is geen UTF-8-tekst. Sla het bestand op als ‘CSV UTF-8’, of zet in de "
                           "koppeling onder [bestand] tekenset = \"windows-1252\" (Excel's gewone ‘CSV’).") from None
    except OSError as exc:
        raise MappingError(f"{path.name} kan niet worden gelezen ({exc.strerror}).") from None
    # Only \r and \n end a line (newline=""): str.splitlines would also break at U+2028, U+0085
    # or a form feed, which text pasted into a cell can carry, and split its row in two.
    lines = io.StringIO(text, newline="").readlines()
    # "sep=;" on the first line: Excel hides it and uses its separator; rows count without it.
    sep = re.fullmatch(r"sep=(.)\r?\n?", lines[0]) if lines else None
    if sep:
        lines = lines[1:]
    first = lines[mapping.header_row - 1] if len(lines) >= mapping.header_row else ""
    delimiter = mapping.delimiter or (sep.group(1) if sep else None) or (
        ";" if first.count(";") >= first.count(",") else ",")
    # strict: a cell that opens a quote and never closes it is an error, not the rest of the file.
    reader = csv.reader(lines[mapping.header_row - 1:], delimiter=delimiter, strict=True)
    number = mapping.header_row

    def rows():
        nonlocal number
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                problem = ("een cel is te lang (meer dan 131.072 tekens)" if "field limit" in str(exc) else
                           "een cel begint met een aanhalingsteken (\") dat niet wordt gesloten, of er staat tekst "
                           "direct na het sluitende aanhalingsteken")
                raise MappingError(f"{path.name}, rij {number}: {problem}. Verbeter het bestand; er is niets "
                                   "overgenomen.") from None
            yield number, cells
            number += 1

    found = rows()
    headers = [_header(v) for v in next(found, (0, []))[1]]

    def data():
        for row_number, cells in found:
            yield row_number, [c if c.strip() else None for c in cells]

    return Sheet(headers, data())


# --- checking a row ----------------------------------------------------------------------------


@dataclass
class ImportRow:
    """One valid row as plain data: what `apply` needs to create its signal."""

    data: SignalInput
    channel: str
    received_at: datetime
    status: str
    closing_reason: str | None
    closed_at: datetime | None
    phenomenon: str
    note: str | None


@dataclass
class RowOutcome:
    number: int
    key: str | None = None
    row: ImportRow | None = None
    errors: list[str] = field(default_factory=list)
    existing: bool = False  # imported before: skipped
    same_as: int | None = None  # a repeat of an earlier row of this file: skipped

    @property
    def valid(self) -> bool:
        return not self.errors


class _Row:
    """The cells of one row by column name, collecting Dutch errors per column."""

    def __init__(self, number: int, cells: dict[str, object], formats: tuple[str, ...]):
        self.number, self.cells, self.formats, self.errors = number, cells, formats, []
        self.failed: set[str] = set()

    def error(self, column: str, message: str) -> None:
        if column not in self.failed:  # one message per cell: "leeg" adds nothing to an Excel error
            self.errors.append(f"rij {self.number}, kolom '{column}': {message}")
        self.failed.add(column)

    def value(self, column: str | None):
        """The cell's value; None, with an error, for an Excel error such as #N/A."""
        value = self.cells.get(column) if column is not None else None
        if value == NO_RESULT:
            self.error(column, "een formule zonder opgeslagen uitkomst; open het bestand in Excel en sla het op, dan "
                               "bewaart Excel de uitkomst")
            return None
        if isinstance(value, str) and value.strip() in EXCEL_ERRORS:
            self.error(column, f"een Excel-fout ({value.strip()}) in plaats van een waarde; verbeter de formule of "
                               "typ de waarde in")
            return None
        return value

    def text(self, column: str | None) -> str | None:
        if column is None:
            return None
        value = self.value(column)
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            value = short_date(value)
        value = str(value)
        # A description keeps its paragraphs; any other cell becomes one line.
        value = value.strip() if "\n" in value else " ".join(value.split())
        return value or None

    def date(self, column: str | None, what: str, *, show: bool = True) -> tuple[date, datetime | None] | None:
        """(the day, the moment if the cell had a time) or None; an error when not a date."""
        if column is None:
            return None
        value = self.value(column)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        moment = None
        if isinstance(value, datetime):
            day, moment = value.date(), (value if value.time() != time() else None)
        elif isinstance(value, date):
            day = value
        else:
            day = None
            typed = str(value).strip()
            for fmt in self.formats:
                try:
                    parsed = datetime.strptime(typed, fmt)
                except ValueError:
                    continue
                day, moment = parsed.date(), (parsed if "%H" in fmt else None)
                break
            if day is None:
                shown = f" (‘{typed[:40]}’)" if show else ""
                self.error(column, f"geen geldige {what}{shown}; schrijf de datum als dd-mm-jjjj")
                return None
        if day < EARLIEST:
            self.error(column, f"de {what} ligt vóór 1900")
            return None
        if day > today():
            self.error(column, f"de {what} ligt in de toekomst")
            return None
        return day, moment


def _moment(day: date, moment: datetime | None) -> datetime:
    """A stored UTC moment for a register date: the time in the cell, else noon Dutch time
    (never later than now)."""
    return min(from_local(moment or datetime.combine(day, time(12))), utcnow())


def _phenomena() -> dict[str, tuple[int, str]]:
    """Folded name → (id, full name): 'Drugs — Hennepteelt', 'drugs hennepteelt' and, when no other
    phenomenon carries it, 'Hennepteelt'."""
    found: dict[str, tuple[int, str]] = {}
    short: dict[str, list[tuple[int, str]]] = {}
    for item in db.session.scalars(select(Phenomenon).where(Phenomenon.active.is_(True))):
        found[_fold(item.full_name)] = (item.id, item.full_name)
        short.setdefault(_fold(item.name), []).append((item.id, item.full_name))
    for name, items in short.items():
        if len(items) == 1:
            found.setdefault(name, items[0])
    return found


def _address(row: _Row, columns: dict[str, str], *, postcode_required: bool = False) -> dict | None:
    values = {key: row.text(columns.get(key)) for key in ADDRESS_COLUMNS}
    if not any(values.values()):
        return None
    postcode, number, addition = values["postcode"], values["huisnummer"], values["toevoeging"]
    if postcode:
        postcode = " ".join(postcode.upper().split())
        if len(postcode) == 6 and " " not in postcode:
            postcode = f"{postcode[:4]} {postcode[4:]}"
        if not POSTCODE_RE.match(postcode):
            row.error(columns["postcode"], "geen geldige postcode; schrijf die als 1234 AB")
    elif number and "postcode" in columns:
        row.error(columns["postcode"], "vul ook de postcode in")
    elif postcode_required and "postcode" in columns:
        row.error(columns["postcode"], "vul de postcode in")
    if number:
        split = split_house_number(number)
        if split is None:
            row.error(columns["huisnummer"], "geen geldig huisnummer; gebruik 1 tot en met 99999, eventueel met "
                                            "toevoeging, zoals 12A")
        else:
            number, typed_addition = split
            addition = addition or (typed_addition.upper() if typed_addition else None)
    elif postcode and "huisnummer" in columns:
        row.error(columns["huisnummer"], "vul ook het huisnummer in")
    if addition and len(addition) > 6:
        row.error(columns["toevoeging"], "gebruik hooguit 6 tekens voor de toevoeging")
    for key, limit, what in (("straat", STREET_MAX, "de straat"), ("plaats", CITY_MAX, "de plaats")):
        if values[key] and len(values[key]) > limit:  # the registration form's limits
            row.error(columns[key], f"gebruik hooguit {limit} tekens voor {what}")
    return {"street": values["straat"], "house_number": number, "house_number_addition": addition,
            "postcode": postcode, "city": values["plaats"]}


def _subject(row: _Row, block: SubjectColumns) -> SubjectInput | None:
    cols = block.columns
    name = row.text(cols["naam"])
    kvk = row.text(cols.get("kvk"))
    born = row.date(cols.get("geboortedatum"), "geboortedatum", show=False)
    address = _address(row, cols)
    if not (name or kvk or born or address or row.cells.get(cols.get("geboortedatum", ""))):
        return None
    if not name:
        row.error(cols["naam"], "vul de naam in (de andere gegevens van deze betrokkene zijn wel ingevuld)")
    elif len(name) > 200:
        row.error(cols["naam"], "gebruik hooguit 200 tekens voor de naam")
    if kvk is not None:
        digits = "".join(kvk.replace(".", " ").split())
        if not (len(digits) == 8 and digits.isascii() and digits.isdigit()):
            row.error(cols["kvk"], "een KvK-nummer heeft 8 cijfers")
        kvk = digits
    return SubjectInput(kind=block.kind, role=block.role, name=name, birth_date=born[0] if born else None,
                        kvk_number=kvk, **(address or {}))


def _location(row: _Row, columns: dict[str, str]) -> LocationInput | None:
    if not columns:
        return None
    address = _address(row, columns)
    bag_id = row.text(columns.get("bag_id"))
    if bag_id and not (len(bag_id) == 16 and bag_id.isdigit()):
        row.error(columns["bag_id"], "een BAG-id heeft 16 cijfers")
    if address is None and not bag_id:
        return None
    return LocationInput(bag_id=bag_id, **(address or {}))


def check_row(number: int, cells: dict[str, object], mapping: Mapping, phenomena: dict) -> tuple[ImportRow | None,
                                                                                                   list[str]]:
    row = _Row(number, cells, mapping.date_formats)
    cols = mapping.columns

    received = row.date(cols["datum_melding"], "datum van de melding")
    if received is None and not row.errors:
        row.error(cols["datum_melding"], "leeg; elke melding heeft een datum van ontvangst")
    closing = row.date(cols.get("datum_afsluiting"), "datum van afsluiten")

    status = None
    word = row.text(cols.get("status"))
    if word is None:
        status = mapping.default_status
        if status is None:
            row.error(cols["status"], "leeg; vul de status in of geef [standaard] status op in de koppeling")
    else:
        status = mapping.statuses.get(_fold(word))
        if status is None and word.strip() in OPEN_STATUSES:
            status = (word.strip(), None)
        if status is None:
            row.error(cols["status"], f"onbekende status ‘{word[:60]}’; voeg die toe onder [statussen] in de koppeling")
    if status is not None:
        closed_status = status[0] == CLOSED
        closing_empty = row.text(cols.get("datum_afsluiting")) is None
        if closed_status and closing_empty and "datum_afsluiting" in cols:
            row.error(cols["datum_afsluiting"], "leeg; een afgesloten melding heeft een datum van afsluiten")
        elif closed_status and "datum_afsluiting" not in cols:
            row.error(cols.get("status", "status"), "een afgesloten melding heeft een datum van afsluiten; "
                                                    "geef [kolommen] datum_afsluiting op in de koppeling")
        elif not closed_status and closing is not None:
            row.error(cols["datum_afsluiting"], f"de melding is niet afgesloten (status ‘{STATUSES[status[0]]}’), "
                                                "maar er staat een datum van afsluiten")
    if received and closing and closing[0] < received[0]:
        row.error(cols["datum_afsluiting"], "de datum van afsluiten ligt vóór de datum van de melding")

    phenomenon = None
    word = row.text(cols.get("fenomeen")) or mapping.default_phenomenon
    if word is None:
        row.error(cols.get("fenomeen", "fenomeen"), "leeg; vul het fenomeen in of geef [standaard] fenomeen op")
    else:
        phenomenon = phenomena.get(_fold(mapping.phenomena.get(_fold(word), word)))
        if phenomenon is None:
            row.error(cols.get("fenomeen", "fenomeen"),
                      f"onbekend fenomeen ‘{word[:60]}’; voeg het toe onder [fenomenen] in de koppeling")

    channel = mapping.default_channel
    word = row.text(cols.get("kanaal"))
    if word is not None:
        folded = _fold(word)
        channel = mapping.channels.get(folded) or next(
            (code for code, label in IMPORT_CHANNELS.items() if folded in (_fold(code), _fold(label))), None)
        if channel is None:
            row.error(cols["kanaal"], f"onbekend kanaal ‘{word[:60]}’; voeg het toe onder [kanalen] in de koppeling")
    elif channel is None:
        row.error(cols["kanaal"], "leeg; vul het kanaal in of geef [standaard] kanaal op in de koppeling")

    description = row.text(cols["omschrijving"])
    if description is None:
        row.error(cols["omschrijving"], "leeg; elke melding heeft een omschrijving")
    elif len(description) > DESCRIPTION_MAX:
        row.error(cols["omschrijving"], "gebruik hooguit 10.000 tekens")

    subjects = [s for s in (_subject(row, block) for block in mapping.subjects) if s is not None]
    location = _location(row, mapping.location)

    note_lines = []
    if mapping.key_column and row.text(mapping.key_column):
        note_lines.append(f"Nummer in het oude register: {row.text(mapping.key_column)}")
    for key, label in (("melder", "Melder"), ("bron", "Bron")):
        value = row.text(cols.get(key))
        if value:
            note_lines.append(f"{label}: {value}")
    note = None
    if note_lines:
        note = "Overgenomen uit het bestaande register.\n" + "\n".join(note_lines)
        if len(note) > NOTE_MAX:
            row.error(cols.get("melder") or cols.get("bron"), "de melder en de bron samen zijn te lang "
                                                              f"(hooguit {NOTE_MAX} tekens)")
    if row.errors:
        return None, row.errors
    return ImportRow(
        data=SignalInput(description=description, phenomenon_id=phenomenon[0], subjects=subjects,
                         locations=[location] if location else []),
        channel=channel,
        received_at=_moment(*received),
        status=status[0],
        closing_reason=status[1],
        closed_at=_moment(*closing) if closing else None,
        phenomenon=phenomenon[1],
        note=note,
    ), []


def _key_part(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return " ".join(str(value).split())


def row_keys(cells: list, key_value: str | None) -> list[str]:
    """The row's keyed hash under every index key in the keyring (the primary first): the
    register's own number when the mapping names it, else the whole row's content."""
    ring = keyring()
    parts = ("nummer", key_value) if key_value is not None else ("rij", *(_key_part(c) for c in cells))
    primary = ring.primary_kid("bidx")
    kids = [primary, *(k for k in ring.kids("bidx") if k != primary)]
    return [crypto.row_key(ring, *parts, kid=kid) for kid in kids]


# --- the whole file ----------------------------------------------------------------------------


@dataclass
class Plan:
    outcomes: list[RowOutcome]
    unmapped: list[str] = field(default_factory=list)  # named columns of the file the mapping leaves out
    # Rows with values only in those columns (a helper formula dragged down): skipped, counted.
    unmapped_only: tuple[int, int | None] = (0, None)  # how many, the first row

    @property
    def new(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if o.valid and not o.existing and o.same_as is None]

    @property
    def invalid(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if not o.valid]

    @property
    def skipped(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if o.valid and (o.existing or o.same_as is not None)]


def plan_import(path: str | Path, mapping: Mapping) -> Plan:
    """Read and check every row; find the rows imported before. Writes nothing."""
    from openpyxl.utils import get_column_letter  # 1 → A, 27 → AA: the column as Excel shows it

    sheet = open_sheet(path, mapping)
    index = {name.casefold(): i for i, name in reversed(list(enumerate(sheet.headers))) if name}
    missing = [name for name in mapping.used_columns() if name.casefold() not in index]
    if missing:
        headers = [f"'{h}'" for h in sheet.headers if h]
        found = ("Gevonden kolom: " if len(headers) == 1 else "Gevonden kolommen: ") + (", ".join(headers) or "geen")
        row = _header_row(path, mapping)
        hint = f" De kolomnamen staan in rij {row}: zet in de koppeling onder [bestand] kopregel = {row}." \
            if row else ""
        named = [h for h in sheet.headers if h]
        if mapping.delimiter and len(named) == 1:
            other = next((c for c in ";,\t|" if c != mapping.delimiter and c in named[0]), None)
            if other:
                shown = "\\t" if other == "\t" else other
                hint += (f" De kopregel bevat geen ‘{mapping.delimiter}’ maar wel ‘{shown}’: zet in de koppeling onder "
                         f"[bestand] scheidingsteken = \"{shown}\".")
        names = [f"'{m}'" for m in missing]
        what = f"De kolom {names[0]} staat" if len(names) == 1 else \
            f"De kolommen {', '.join(names[:-1])} en {names[-1]} staan"
        raise MappingError(f"{what} niet in de kopregel (rij {mapping.header_row}). {found}.{hint}")
    for name in mapping.used_columns():
        times = sum(1 for header in sheet.headers if header.casefold() == name.casefold())
        if times > 1:
            raise MappingError(f"De kolom '{name}' staat {times} keer in de kopregel (rij {mapping.header_row}). "
                               "Geef elke kolom een eigen naam, zodat duidelijk is welke wordt overgenomen.")
    positions = {name: index[name.casefold()] for name in mapping.used_columns()}
    used = {name.casefold() for name in mapping.used_columns()}
    unmapped = [header for header in dict.fromkeys(sheet.headers) if header and header.casefold() not in used]
    phenomena = _phenomena()
    outcomes: list[RowOutcome] = []
    seen: dict[str, int] = {}
    candidates: dict[str, RowOutcome] = {}
    unmapped_at = {pos for pos, header in enumerate(sheet.headers) if header and header.casefold() not in used}
    unmapped_only: tuple[int, int | None] = (0, None)
    for number, cells in sheet.rows:
        filled = [pos for pos, c in enumerate(cells) if not (c is None or (isinstance(c, str) and not c.strip()))]
        if not filled:
            continue
        if all(pos in unmapped_at for pos in filled):
            unmapped_only = (unmapped_only[0] + 1, unmapped_only[1] or number)
            continue
        by_name = {name: cells[pos] if pos < len(cells) else None for name, pos in positions.items()}
        row, errors = check_row(number, by_name, mapping, phenomena)
        outcome = RowOutcome(number, row=row, errors=errors)
        for pos, cell in enumerate(cells):
            nameless = pos >= len(sheet.headers) or not sheet.headers[pos]
            if nameless and cell is not None and not (isinstance(cell, str) and not cell.strip()):
                outcome.errors.append(f"rij {number}, kolom {get_column_letter(pos + 1)}: een waarde in een kolom "
                                      "zonder naam in de kopregel; geef de kolom een naam of haal de waarde weg")
                outcome.row = None
        key_value = _key_part(by_name.get(mapping.key_column)) or None if mapping.key_column else None
        if mapping.key_column and key_value is None:
            outcome.errors.append(f"rij {number}, kolom '{mapping.key_column}': leeg; elke rij heeft een nummer")
            outcome.row = None
        keys = row_keys(cells, key_value)
        outcome.key = keys[0]
        if keys[0] in seen:
            if mapping.key_column:
                outcome.errors.append(f"rij {number}, kolom '{mapping.key_column}': dit nummer staat ook in rij "
                                      f"{seen[keys[0]]}")
                outcome.row = None
            else:
                outcome.same_as = seen[keys[0]]
        else:
            seen[keys[0]] = number
            for key in keys:
                candidates[key] = outcome
        outcomes.append(outcome)
    found = list(candidates)
    for start in range(0, len(found), CHUNK):
        chunk = found[start:start + CHUNK]
        for key in db.session.scalars(select(Signal.import_key).where(Signal.import_key.in_(chunk))):
            candidates[key].existing = True
    return Plan(outcomes, unmapped, unmapped_only)


def _header_row(path: str | Path, mapping: Mapping, rows: int = 15) -> int | None:
    """The first of the top rows that holds every column the mapping names (a title above the
    header is common), when the named kopregel does not."""
    wanted = {name.casefold() for name in mapping.used_columns()}
    top = open_sheet(path, dataclasses.replace(mapping, header_row=1))
    for number, cells in [(1, top.headers), *itertools.islice(top.rows, rows - 1)]:
        if number != mapping.header_row and wanted <= {_header(cell).casefold() for cell in cells}:
            return number
    return None



def describe(row: ImportRow) -> str:
    """What a row would create, without any personal data."""
    status = STATUSES[row.status]
    if row.closing_reason:
        status += f" ({CLOSING_REASONS[row.closing_reason][0].lower()}) op {short_date(row.closed_at)}"
    parts = [f"ontvangen {short_date(row.received_at)}", status, row.phenomenon, IMPORT_CHANNELS[row.channel]]
    subjects, locations = len(row.data.subjects), len(row.data.locations)
    parts.append(f"{subjects} {'betrokkene' if subjects == 1 else 'betrokkenen'}")
    parts.append(f"{locations} {'adres' if locations == 1 else 'adressen'}")
    return "nieuwe melding: " + ", ".join(parts)


def apply(actor, plan: Plan, *, progress: Callable[[str], None] | None = None, every: int = 500) -> list[Signal]:
    """Create the plan's new signals in the caller's transaction (the caller commits)."""
    created = []
    todo = plan.new
    # One flush per signal (build_signal's own): what create_signal adds after it goes with the next.
    with db.session.no_autoflush:
        for done, outcome in enumerate(todo, start=1):
            created.append(create_signal(actor, outcome.row, outcome.key))
            if progress and (done % every == 0 or done == len(todo)):
                progress(f"{done} van {len(todo)} meldingen aangemaakt")
    db.session.flush()
    return created


def create_signal(actor, row: ImportRow, key: str) -> Signal:
    """One signal from a checked row: through build_signal, then the original status and dates."""
    signal = build_signal(actor, row.data, channel=row.channel, received_at=row.received_at, purpose=PURPOSE,
                          notify_coordinators=False)
    signal.import_key = key
    if row.status != "ingediend":
        reason = row.closing_reason or MIGRATED
        step = SignalEvent(signal=signal, actor_id=actor.id, from_status="ingediend", to_status=row.status,
                           reason_code=reason, occurred_at=row.closed_at or row.received_at)
        db.session.add(step)
        signal.status = row.status
        if row.status == CLOSED:
            signal.closed_at, signal.closing_reason = row.closed_at, row.closing_reason
        record(actor, "signal.status_changed", signal, reason_code=reason, purpose=PURPOSE,
               processing_activity=activity_for_status_change("ingediend", row.status))
    if row.note:
        note = SignalNote(id=new_uuid(), signal_id=signal.id, author_id=actor.id)
        note.text = row.note
        db.session.add(note)
        record(actor, "signal_note.added", note, purpose=PURPOSE)
    return signal
