"""Outside review of `flask import signals` (issue 16) with the spreadsheets an OOV team really
has: damaged or renamed workbooks, Excel's formatting down to the last row, a CSV cell that opens
a quote and never closes it, several sheets, and a mapping with a wrong kind of value. Each gives
a Dutch message or imports correctly: never a traceback, never rows lost without a word."""

import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import Signal
from tests.helpers.importing import MAPPING, count, run_import

HEADERS = ["Nummer", "Datum melding", "Datum afgesloten", "Status", "Fenomeen", "Omschrijving", "Binnengekomen via",
           "Melder", "Bron", "Naam betrokkene", "Geboortedatum", "Bedrijf", "KvK-nummer", "Straat", "Huisnummer",
           "Postcode", "Plaats"]


def _row(number: str, description: str = "Pand met afgeplakte ramen, ’s nachts bezoek") -> list:
    return [number, "03-01-2024", None, "Nieuw", "hennep", description, "tel", None, None, "Zoë Çelik-Ñúñez", None,
            None, None, "Dorpsstraat", "12", "1234 AB", "Ons Dorp"]


def _csv_line(cells: list) -> str:
    return ";".join(cell or "" for cell in cells)


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator", email="regisseur@gemeente.test")


def _no_traceback(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("content", "hint"), [
    (b"", "is leeg"),
    (b"PK\x03\x04afgebroken download", "geen Excel-werkmap (.xlsx)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "oude Excel-indeling (.xls) of met een wachtwoord"),
    ("ods", "geen Excel-werkmap (.xlsx) of is beschadigd"),
])
def test_an_empty_damaged_old_or_password_protected_workbook_is_refused_in_dutch(app, coordinator, tmp_path, content,
                                                                                  hint):
    """An .xls renamed to .xlsx, a workbook saved with a password (both OLE files), a download
    broken off half-way or an empty file: openpyxl raises zipfile.BadZipFile, which was not caught.
    An .ods renamed to .xlsx got the library's English message."""
    source = tmp_path / "register.xlsx"
    if content == "ods":  # a LibreOffice sheet renamed: a zip, but not a workbook
        with zipfile.ZipFile(source, "w") as ods:
            ods.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
            ods.writestr("content.xml", "<office:document-content/>")
    else:
        source.write_bytes(content)
    result = run_import(app, source, "--dry-run")
    _no_traceback(result)
    assert result.exit_code == 1 and hint in result.output, result.output
    assert "archive" not in result.output  # no English from the library
    assert count() == 0


def test_a_csv_cell_opening_a_quote_that_never_closes_stops_the_import_with_its_row(app, coordinator, tmp_path):
    """A cell typed as "Pand met… without a closing quote swallowed every later row into that one
    cell: three rows became one, and the other two were lost without a word."""
    rows = [_row("2024-001", '"Pand met afgeplakte ramen'), _row("2024-002"), _row("2024-003")]
    source = tmp_path / "register.csv"
    source.write_text("\r\n".join([";".join(HEADERS), *map(_csv_line, rows)]) + "\r\n", encoding="utf-8")

    for options in (["--dry-run"], []):
        result = run_import(app, source, *options)
        _no_traceback(result)
        assert result.exit_code == 1, result.output
        assert "rij 2: een cel begint met een aanhalingsteken (\") dat niet wordt gesloten" in result.output
    assert count() == 0


def test_a_csv_cell_longer_than_the_csv_reader_takes_is_reported_with_its_row(app, coordinator, tmp_path):
    rows = [_row("2024-001"), _row("2024-002", "Zoë zag " + "veel verkeer " * 12_000)]
    source = tmp_path / "register.csv"
    source.write_text("\n".join([";".join(HEADERS), *map(_csv_line, rows)]) + "\n", encoding="utf-8")
    result = run_import(app, source, "--dry-run")
    _no_traceback(result)
    assert result.exit_code == 1 and "rij 3: een cel is te lang" in result.output, result.output
    assert count() == 0


def _stretch_to_the_last_row(source: Path, target: Path) -> Path:
    """What Excel leaves when a whole block down to row 1,048,576 was formatted: the sheet's
    dimension covers every row and column (A1:XFD1048576) and an empty styled row at the bottom."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = re.sub(r'<dimension ref="[^"]+"', '<dimension ref="A1:XFD1048576"', data.decode())
                data = text.replace("</sheetData>", '<row r="1048576" s="1" customFormat="1"/></sheetData>').encode()
            zout.writestr(item, data)
    return target


def test_a_workbook_formatted_down_to_the_last_excel_row_is_read_only_as_wide_as_its_header(
        app, coordinator, tmp_path, monkeypatch):
    """Rows were read as wide as the sheet's dimension (16,384 cells) for every one of the
    1,048,576 rows: seven minutes for one signal (measured; no clock in this test)."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append(_row("2024-001"))
    book.save(tmp_path / "plain.xlsx")
    source = _stretch_to_the_last_row(tmp_path / "plain.xlsx", tmp_path / "register.xlsx")
    widths = []
    iter_rows = ReadOnlyWorksheet.iter_rows

    def recording(self, min_row=None, max_row=None, min_col=None, max_col=None, values_only=False):
        if min_row and min_row > 1:  # the data rows, below the header: stop at once when too wide
            widths.append(max_col)
            assert max_col is not None and max_col <= len(HEADERS), f"rows read {max_col} cells wide"
        return iter_rows(self, min_row, max_row, min_col, max_col, values_only)

    monkeypatch.setattr(ReadOnlyWorksheet, "iter_rows", recording)
    result = run_import(app, source)
    assert result.exit_code == 0, result.output
    assert widths and all(width is not None and width <= len(HEADERS) for width in widths), widths
    assert "1 rij: 1 nieuw" in result.output and count() == 1


def _workbook(path: Path, sheets: dict[str, list[list]], hidden: tuple[str, ...] = ()) -> Path:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        sheet.sheet_state = "hidden" if title in hidden else "visible"
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_a_workbook_with_several_sheets_of_data_asks_which_sheet(app, coordinator, tmp_path):
    """A register kept per year on its own sheet ("2023", "2024") was read from the first sheet
    only: the other years were left behind without a word."""
    source = _workbook(tmp_path / "register.xlsx", {
        "2023": [HEADERS, _row("2023-001")], "2024": [HEADERS, _row("2024-001"), _row("2024-002")], "Blad3": []})
    result = run_import(app, source)
    _no_traceback(result)
    assert result.exit_code == 1, result.output
    assert "register.xlsx heeft meer bladen met gegevens: ‘2023’, ‘2024’" in result.output
    assert "[bestand] blad" in result.output and count() == 0

    mapping = tmp_path / "mapping.toml"
    mapping.write_text(MAPPING.read_text(encoding="utf-8").replace('# blad = "Register"', 'blad = "2024"'),
                       encoding="utf-8")
    done = run_import(app, source, mapping=mapping)
    assert done.exit_code == 0, done.output
    assert "2 rijen: 2 nieuw" in done.output and count() == 2


def test_a_hidden_sheet_in_front_is_not_read_in_place_of_the_register(app, coordinator, tmp_path):
    """A hidden first sheet (the lists behind drop-downs) was read as the register."""
    source = _workbook(tmp_path / "register.xlsx", {
        "Keuzelijsten": [["Status"], ["Nieuw"], ["In behandeling"]], "Register": [HEADERS, _row("2024-001")]},
        hidden=("Keuzelijsten",))
    result = run_import(app, source)
    _no_traceback(result)
    assert "‘Keuzelijsten’" in result.output and "[bestand] blad" in result.output, result.output
    assert count() == 0


@pytest.mark.parametrize(("old", "new", "message"), [
    ('sleutel = "Nummer"', "sleutel = 1", "[bestand] sleutel is de naam van een kolom (tekst)"),
    ('scheidingsteken = ";"', "scheidingsteken = 59", "[bestand] scheidingsteken is één teken"),
    ("# datumnotaties", 'datumnotaties = "%d-%m-%Y"\n#', "[bestand] datumnotaties is een lijst"),
    ("# datumnotaties", "datumnotaties = [20240103]\n#", "[bestand] datumnotaties is een lijst"),
    ("# blad", "blad = 1\n#", "[bestand] blad is de naam van een blad (tekst)"),
    ('soort = "organisatie"', 'soort = ["organisatie"]', "soort is ‘persoon’ of ‘organisatie’"),
    ('rol = "vermoedelijk_betrokkene"', "rol = 1", "onbekende rol"),
    ('kanaal = "telefoon"\n', 'kanaal = ["telefoon"]\n', "[standaard] kanaal: onbekend kanaal"),
    ('"tel" = "telefoon"', '"tel" = ["telefoon"]', "[kanalen] ‘tel’ is een kanaal"),
    ("# fenomeen", "fenomeen = 5\n#", "[standaard] fenomeen is de naam van een fenomeen (tekst)"),
    ('"hennep" = "Drugs — Hennepteelt"', '"hennep" = ["Drugs — Hennepteelt"]',
     "[fenomenen] ‘hennep’ is de naam van een fenomeen (tekst)"),
    ('"Nieuw" = "ingediend"', '"Nieuw" = "ingediend"\n"nieuw " = "weging"',
     "[statussen] ‘nieuw ’ is hetzelfde woord als ‘Nieuw’"),
])
def test_a_mapping_value_of_the_wrong_kind_is_explained_not_a_traceback(app, coordinator, tmp_path, old, new, message):
    """A number where a column name belongs, a list where one word belongs, or one register word
    twice (case and spaces do not count) with two meanings."""
    source = tmp_path / "register.csv"
    source.write_text(";".join(HEADERS) + "\n" + _csv_line(_row("2024-001")) + "\n", encoding="utf-8")
    text = MAPPING.read_text(encoding="utf-8")
    assert old in text
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = run_import(app, source, mapping=mapping)
    _no_traceback(result)
    assert result.exit_code == 1 and message in result.output, result.output
    assert count() == 0


def test_a_column_the_mapping_does_not_name_is_reported_not_dropped_silently(app, coordinator, tmp_path):
    """The register's own "Opmerkingen" and "Behandelaar" were left out without a word: the
    coordinator must see which columns stay behind before deciding to import."""
    source = tmp_path / "register.csv"
    source.write_text(";".join([*HEADERS, "Opmerkingen", "Behandelaar"]) + "\n"
                      + _csv_line([*_row("2024-001"), "Hond op het erf, niet alleen gaan", "Zoë Çelik-Ñúñez"]) + "\n",
                      encoding="utf-8")
    for options in (["--dry-run"], []):
        result = run_import(app, source, *options)
        assert result.exit_code == 0, result.output
        assert ("Niet in de koppeling, dus niet overgenomen: de kolommen 'Opmerkingen', 'Behandelaar'."
                in result.output)
        assert "Hond op het erf" not in result.output
    assert count() == 1


def test_a_mapped_column_name_twice_in_the_header_is_refused(app, coordinator, tmp_path):
    """Two columns "Omschrijving" (the intake and the follow-up): only the first was read."""
    source = tmp_path / "register.csv"
    source.write_text(";".join([*HEADERS, "omschrijving "]) + "\n"
                      + _csv_line([*_row("2024-001"), "Vervolg: Zoë belde opnieuw"]) + "\n", encoding="utf-8")
    result = run_import(app, source)
    _no_traceback(result)
    assert result.exit_code == 1, result.output
    assert "De kolom 'Omschrijving' staat 2 keer in de kopregel (rij 1)" in result.output
    assert count() == 0


def test_a_value_in_a_column_without_a_name_is_an_error_of_its_row(app, coordinator, tmp_path):
    """A ";" typed in a cell of a CSV made by hand (not quoted) pushes the rest of the row one
    column on; the last value fell off the end without a word. A note typed next to the
    table, in a column without a name, went the same way."""
    rows = [_row("2024-001"), [*_row("2024-002"), "Let op: Zoë belt terug"]]
    source = tmp_path / "register.csv"
    source.write_text("\n".join([";".join(HEADERS), *map(_csv_line, rows)]) + "\n", encoding="utf-8")
    result = run_import(app, source, "--dry-run")
    assert result.exit_code == 1, result.output
    assert ("rij 3, kolom R: een waarde in een kolom zonder naam in de kopregel; geef de kolom een naam of haal "
            "de waarde weg") in result.output
    assert "rij 2: nieuwe melding" in result.output and "Let op" not in result.output

    book = _workbook(tmp_path / "register.xlsx", {"Register": [
        [*HEADERS[:5], None, *HEADERS[6:]], _row("2024-001")]})
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(MAPPING.read_text(encoding="utf-8").replace('omschrijving = "Omschrijving"',
                                                                    'omschrijving = "Status"'), encoding="utf-8")
    result = run_import(app, book, "--dry-run", mapping=mapping)
    assert "rij 2, kolom F: een waarde in een kolom zonder naam in de kopregel" in result.output, result.output

    beside = _workbook(tmp_path / "naast.xlsx", {"Register": [HEADERS, [*_row("2024-001"), None, "Zoë: terugbellen"]]})
    result = run_import(app, beside, "--dry-run")
    assert "rij 2, kolom S: een waarde in een kolom zonder naam in de kopregel" in result.output, result.output


def test_a_csv_that_starts_with_excel_s_sep_line_is_read_with_that_separator(app, coordinator, tmp_path):
    """Exports meant for Dutch Excel often start with "sep=;" (or "sep=,"): Excel hides that line
    and uses its separator. It was read as the header, and no column was found."""
    rows = [["Nummer", "Datum melding", "Status", "Fenomeen", "Omschrijving"],
            ["2024-001", "03-01-2024", "Nieuw", "hennep", "Zoë Çelik-Ñúñez meldt hennepgeur, ’s avonds"]]
    source = tmp_path / "register.csv"
    source.write_text("sep=,\r\n" + "\r\n".join(",".join(f'"{cell}"' for cell in row) for row in rows) + "\r\n",
                      encoding="utf-8-sig")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[bestand]\nsleutel = "Nummer"\n[kolommen]\ndatum_melding = "Datum melding"\n'
                       'status = "Status"\nfenomeen = "Fenomeen"\nomschrijving = "Omschrijving"\n'
                       '[statussen]\n"Nieuw" = "ingediend"\n[fenomenen]\n"hennep" = "Drugs — Hennepteelt"\n',
                       encoding="utf-8")
    result = run_import(app, source, mapping=mapping)
    assert result.exit_code == 0, result.output
    assert "1 rij: 1 nieuw" in result.output and count() == 1
    assert db.session.scalar(select(Signal)).description == "Zoë Çelik-Ñúñez meldt hennepgeur, ’s avonds"


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_title_rows_above_the_header_are_met_with_the_row_to_name_as_kopregel(app, coordinator, tmp_path, suffix):
    """A register with a title and a blank row above the column names: the message said only that
    no column was found in row 1."""
    rows = [["Meldingenregister OOV gemeente Ons Dorp 2024"], [], HEADERS, _row("2024-001")]
    source = tmp_path / f"register{suffix}"
    if suffix == ".xlsx":
        _workbook(source, {"Register": rows})
    else:
        source.write_text("\n".join(_csv_line(row) for row in rows) + "\n", encoding="utf-8")
    result = run_import(app, source, "--dry-run")
    _no_traceback(result)
    assert result.exit_code == 1
    assert "De kolomnamen staan in rij 3: zet in de koppeling onder [bestand] kopregel = 3." in result.output, \
        result.output


def test_a_macro_enabled_workbook_is_read_like_an_xlsx(app, coordinator, tmp_path):
    """Many registers are kept as .xlsm (with a macro for the next number); its sheets are the
    same as an .xlsx, only the macros are left alone."""
    source = _workbook(tmp_path / "Register OOV.xlsx", {"Register": [HEADERS, _row("2024-001")]})
    source = source.rename(tmp_path / "Register OOV.xlsm")
    result = run_import(app, source)
    assert result.exit_code == 0, result.output
    assert count() == 1


def test_an_excel_error_value_is_an_error_of_its_cell_not_a_name_or_description(app, coordinator, tmp_path):
    """A lookup formula that found nothing leaves #N/A, a broken reference #REF!: read as text, a
    person was named "#N/A" and a description was "#REF!"."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append(_row("2024-001"))
    sheet.append(_row("2024-002"))
    for cell, code in (("J2", "#N/A"), ("F3", "#REF!")):
        sheet[cell] = code
        sheet[cell].data_type = "e"
    book.save(tmp_path / "register.xlsx")

    result = run_import(app, tmp_path / "register.xlsx", "--dry-run")
    assert result.exit_code == 1, result.output
    assert ("rij 2, kolom 'Naam betrokkene': een Excel-fout (#N/A) in plaats van een waarde; verbeter de formule "
            "of typ de waarde in") in result.output
    assert "rij 3, kolom 'Omschrijving': een Excel-fout (#REF!)" in result.output
    assert "rij 3, kolom 'Omschrijving': leeg" not in result.output
    assert run_import(app, tmp_path / "register.xlsx").exit_code == 1 and count() == 0


def test_a_formula_without_a_stored_result_is_an_error_not_an_empty_cell(app, coordinator, tmp_path):
    """A workbook written by another program (an export, a script) can hold formulas without their
    result; Excel computes them on opening, casustafel cannot. The name of a person was lost without
    a word, a description was called empty."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append(_row("2024-001"))
    sheet.append(_row("2024-002"))
    sheet["J2"] = '=CONCATENATE("Zoë ","Çelik-Ñúñez")'
    sheet["F3"] = '=CONCATENATE("Pand ","met afgeplakte ramen")'
    book.save(tmp_path / "register.xlsx")

    result = run_import(app, tmp_path / "register.xlsx", "--dry-run")
    assert result.exit_code == 1, result.output
    message = ("een formule zonder opgeslagen uitkomst; open het bestand in Excel en sla het op, dan bewaart Excel "
               "de uitkomst")
    assert f"rij 2, kolom 'Naam betrokkene': {message}" in result.output
    assert f"rij 3, kolom 'Omschrijving': {message}" in result.output
    assert "leeg" not in result.output


def test_a_csv_with_commas_where_the_mapping_names_semicolons_gets_that_advice(app, coordinator, tmp_path):
    """The example mapping names ";" (Dutch Excel); a CSV from another program uses ",". The
    whole header then reads as one column name, and the message only listed that name."""
    source = tmp_path / "register.csv"
    source.write_text(",".join(HEADERS) + "\n" + ",".join(cell or "" for cell in _row("2024-001")) + "\n",
                      encoding="utf-8")
    result = run_import(app, source, "--dry-run")
    assert result.exit_code == 1
    assert "De kopregel bevat geen ‘;’ maar wel ‘,’: zet in de koppeling onder [bestand] scheidingsteken = \",\"." \
        in result.output, result.output


def test_a_mapping_saved_by_notepad_with_a_bom_or_as_ansi_is_read_or_explained(app, coordinator, tmp_path):
    """Windows Notepad saves UTF-8 with a byte-order mark, or "ANSI" (Windows-1252). The BOM gave
    the English "Invalid statement (at line 1, column 1)", ANSI a traceback."""
    source = tmp_path / "register.csv"
    source.write_text(";".join(HEADERS) + "\n" + _csv_line(_row("2024-001")) + "\n", encoding="utf-8")
    text = MAPPING.read_text(encoding="utf-8").replace(
        '"Nieuw" = "ingediend"', '"Nieuw – geregistreerd" = "ingediend"\n"Nieuw" = "ingediend"')
    mapping = tmp_path / "mapping.toml"
    mapping.write_bytes(text.encode("utf-8-sig"))
    result = run_import(app, source, "--dry-run", mapping=mapping)
    assert result.exit_code == 0, result.output

    mapping.write_bytes(text.encode("cp1252", errors="replace"))  # "–" becomes byte 0x96
    result = run_import(app, source, "--dry-run", mapping=mapping)
    _no_traceback(result)
    assert result.exit_code == 1
    assert "is geen UTF-8-tekst; sla de koppeling op met de codering UTF-8" in result.output, result.output


def test_a_toml_mistake_names_its_line_in_dutch(app, coordinator, tmp_path):
    source = tmp_path / "register.csv"
    source.write_text(";".join(HEADERS) + "\n" + _csv_line(_row("2024-001")) + "\n", encoding="utf-8")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(MAPPING.read_text(encoding="utf-8").replace('status = "Status"', "status = Status"),
                       encoding="utf-8")
    result = run_import(app, source, "--dry-run", mapping=mapping)
    assert result.exit_code == 1
    line = 1 + MAPPING.read_text(encoding="utf-8").splitlines().index('status = "Status"')
    assert f"is geen geldige TOML: controleer regel {line}" in result.output, result.output
    assert "Invalid" not in result.output


def test_invisible_characters_in_a_column_name_do_not_hide_the_column(app, coordinator, tmp_path):
    """A second byte-order mark (a file saved twice by different programs) or a zero-width space
    copied along from a web page: the message said column 'Nummer' was missing and then listed
    'Nummer' among the columns found."""
    header = ";".join(HEADERS).replace("Status", "Sta\u200btus").replace("Plaats", "Plaats\u200e")
    source = tmp_path / "register.csv"
    source.write_bytes(("\ufeff\ufeff" + header + "\r\n" + _csv_line(_row("2024-001")) + "\r\n").encode())
    result = run_import(app, source, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "1 rij: 1 nieuw" in result.output


def test_rows_with_values_only_outside_the_mapping_are_skipped_and_counted(app, coordinator, tmp_path):
    """A helper column such as "Doorlooptijd" (=C2-B2) is often dragged down far below the last
    signal; every such row gave three errors ("leeg") and refused the whole import."""
    rows = [[*HEADERS, "Doorlooptijd"], [*_row("2024-001"), 12]]
    rows += [[None] * len(HEADERS) + [0] for _ in range(4)]
    source = _workbook(tmp_path / "register.xlsx", {"Register": rows})
    result = run_import(app, source)
    assert result.exit_code == 0, result.output
    assert "leeg" not in result.output
    assert ("4 rijen hebben alleen waarden in kolommen buiten de koppeling en zijn overgeslagen (de eerste is rij 3)."
            in result.output)
    assert "1 rij: 1 nieuw" in result.output and count() == 1
