"""Exports neutralise cells that a spreadsheet would run as a formula."""

import csv
import io

import pytest
from openpyxl import load_workbook

from casustafel.exports import neutralise, to_csv, to_xlsx


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://evil.example","klik")', "+1+2", "-1+2", "@SUM(A1)", "\t=1"])
def test_formula_like_cells_are_neutralised(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["RIEC", "2026-01-01", 42, None, "a=b"])
def test_ordinary_cells_are_left_alone(cell):
    assert neutralise(cell) == cell


def test_csv_export_keeps_a_hyperlink_formula_as_text():
    data = to_csv(["Ontvanger"], [['=HYPERLINK("http://evil.example","klik")']]).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data), delimiter=";"))
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example","klik")'


def test_xlsx_export_stores_a_hyperlink_formula_as_text_not_as_a_formula():
    book = load_workbook(io.BytesIO(to_xlsx(["Ontvanger"], [['=HYPERLINK("http://evil.example","klik")']])))
    cell = book.active["A2"]
    assert cell.data_type == "s"
    assert cell.value.startswith("'=HYPERLINK")
