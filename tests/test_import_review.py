"""Outside review of `flask import signals` (issue 16): a register as Dutch municipal staff
really export it (Excel's CSV with ";", line breaks inside cells, odd cells)."""


import pytest
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import Signal
from tests.helpers.importing import MAPPING, count, run_import

HEADER = ("Nummer;Datum melding;Datum afgesloten;Status;Fenomeen;Omschrijving;Binnengekomen via;Melder;Bron;"
          "Naam betrokkene;Geboortedatum;Bedrijf;KvK-nummer;Straat;Huisnummer;Postcode;Plaats")


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator", email="regisseur@gemeente.test")


def test_a_line_or_page_separator_inside_a_cell_does_not_split_the_row(app, coordinator, tmp_path):
    """Text pasted from a web page or PDF into a cell can carry U+2028 (line separator), U+0085 or a
    form feed; Excel writes such a cell without quotes. Only a real line break ends a CSV row."""
    text = "Omschrijving met\u2028een regelscheiding,\x0cpaginascheiding en\x85volgende regel"
    rows = [
        f"2024-001;3-1-2024 14:05;;Nieuw;hennep;{text};tel;;;Zoë Çelik-Ñúñez;;;;Dorpsstraat;12;1234 AB;Ons Dorp",
        "2024-002;03-01-2024;;Nieuw;hennep;Tweede melding;tel;;;;;;;;;;",
    ]
    source = tmp_path / "register.csv"
    source.write_text(HEADER + "\r\n" + "\r\n".join(rows) + "\r\n", encoding="utf-8-sig", newline="")

    dry = run_import(app, source, "--dry-run")
    assert "2 rijen: 2 nieuw, 0 al overgenomen of dubbel, 0 met fouten." in dry.output, dry.output
    assert "rij 3: nieuwe melding: ontvangen 03-01-2024" in dry.output

    done = run_import(app, source)
    assert done.exit_code == 0, done.output
    assert count() == 2
    descriptions = {s.description for s in db.session.scalars(select(Signal))}
    # A cell without a line break becomes one line: the separators are spaces, no word is lost.
    assert descriptions == {" ".join(text.split()), "Tweede melding"}



def test_a_dutch_date_with_seconds_is_read(app, coordinator, tmp_path):
    """Dutch Excel writes a date-time cell to CSV as 3-1-2024 14:05:33; the ISO form with seconds
    was accepted, the Dutch one was not."""
    source = tmp_path / "register.csv"
    source.write_text(HEADER + "\n2024-001;3-1-2024 14:05:33;;Nieuw;hennep;Pand met afgeplakte ramen;tel;;;"
                      "Zoë Çelik-Ñúñez;;;;;;;\n", encoding="utf-8-sig")

    dry = run_import(app, source, "--dry-run")
    assert "1 rij: 1 nieuw, 0 al overgenomen of dubbel, 0 met fouten." in dry.output, dry.output
    assert "rij 2: nieuwe melding: ontvangen 03-01-2024" in dry.output


def test_a_street_or_city_longer_than_the_form_allows_is_reported(app, coordinator, tmp_path):
    """The registration form takes a street of at most 120 and a place of at most 80 characters;
    an imported row may not store more than the coordinator could then save again."""
    street, city = "Burgemeester " + "Ñúñez-" * 30, "Ons " + "Dorp" * 30
    source = tmp_path / "register.csv"
    source.write_text(HEADER + f"\n2024-001;03-01-2024;;Nieuw;hennep;Pand;tel;;;Zoë Çelik-Ñúñez;;;;{street};12;"
                      f"1234 AB;{city}\n", encoding="utf-8-sig")

    dry = run_import(app, source, "--dry-run")
    assert dry.exit_code == 1, dry.output
    assert "rij 2, kolom 'Straat': gebruik hooguit 120 tekens voor de straat" in dry.output
    assert "rij 2, kolom 'Plaats': gebruik hooguit 80 tekens voor de plaats" in dry.output
    assert street not in dry.output and city not in dry.output
    assert run_import(app, source).exit_code == 1 and count() == 0


def test_one_skipped_row_is_counted_in_the_singular(app, coordinator, tmp_path):
    source = tmp_path / "register.csv"
    source.write_text(HEADER + "\n2024-001;03-01-2024;;Nieuw;hennep;Pand met afgeplakte ramen;tel;;;;;;;;;;"
                      "\n2024-002;31-02-2024;;Nieuw;hennep;Zoë Çelik-Ñúñez belt;tel;;;;;;;;;;\n", encoding="utf-8-sig")

    done = run_import(app, source, "--skip-invalid")
    assert done.exit_code == 0, done.output
    assert "Klaar. 2 rijen: 1 nieuw, 0 al overgenomen of dubbel, 1 met fouten. De foute rij is overgeslagen." \
        in done.output


ANSI_ROW = "2024-001;03-01-2024;;Nieuw;hennep;Café ‘De Gracht’ betaalt € 500 contant;tel;;;Zoë Çelik-Núñez;;;;;;;"


def _mapping_with(tmp_path, line: str):
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(MAPPING.read_text(encoding="utf-8").replace("[bestand]\n", f"[bestand]\n{line}\n", 1),
                       encoding="utf-8")
    return mapping


def test_excel_s_plain_csv_is_refused_with_advice_unless_the_mapping_names_windows_1252(app, coordinator, tmp_path):
    """Dutch Excel's plain "CSV" is Windows-1252, not UTF-8. casustafel never guesses (a wrong guess
    changes every é silently): it says how to save the file or to name the encoding in the mapping."""
    source = tmp_path / "register.csv"
    source.write_bytes((HEADER + "\r\n" + ANSI_ROW + "\r\n").encode("cp1252"))

    refused = run_import(app, source, "--dry-run")
    assert refused.exit_code != 0 and count() == 0
    assert "geen UTF-8-tekst" in refused.output and 'tekenset = "windows-1252"' in refused.output

    mapping = _mapping_with(tmp_path, 'tekenset = "windows-1252"')
    done = run_import(app, source, mapping=mapping)
    assert done.exit_code == 0, done.output
    (signal,) = db.session.scalars(select(Signal)).all()
    assert signal.description == "Café ‘De Gracht’ betaalt € 500 contant"
    assert signal.subjects[0].name == "Zoë Çelik-Núñez"


@pytest.mark.parametrize("line", ['tekenset = "latin-9"', "tekenset = 1252"])
def test_an_unknown_encoding_in_the_mapping_is_explained(app, coordinator, tmp_path, line):
    source = tmp_path / "register.csv"
    source.write_text(HEADER + "\n" + ANSI_ROW + "\n", encoding="utf-8")
    result = run_import(app, source, mapping=_mapping_with(tmp_path, line))
    assert result.exit_code != 0 and count() == 0
    assert "[bestand] tekenset is \"utf-8\" (standaard) of \"windows-1252\"" in result.output
