"""Ruled PDF tables read row by row with their header: real PDFs built in the test, and tables of cell cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.load import load_file
from ingest.pdf_tables import cell_text, reads_as_well, table_rows
from ingest.pipeline import ingest_file
from ingest.statements import document_statements
from tests.files import ruled_table_pdf

GRANTS = [
    ["Forening", "Antal\nborge\nre", "Ansøgt\nbeløb"],
    ["Natcaféen", "450", "85.000"],
    ["Værestedet Åen", "30", "60.000"],
]


@pytest.fixture
def grants_pdf(tmp_path: Path) -> Path:
    path = tmp_path / "tilskud.pdf"
    path.write_bytes(ruled_table_pdf("Tilskud til frivilligt arbejde 2013", GRANTS, "Der er kontakt til 480 borgere."))
    return path


def test_a_ruled_table_drawn_column_by_column_is_read_row_by_row(grants_pdf: Path) -> None:
    lines = load_file(grants_pdf).pages[0].splitlines()
    assert lines == [
        "Tilskud til frivilligt arbejde 2013",
        "Forening | Antal borgere | Ansøgt beløb",
        "Natcaféen | 450 | 85.000",
        "Værestedet Åen | 30 | 60.000",
        "Der er kontakt til 480 borgere.",
    ]


def test_a_table_row_is_a_statement_named_by_the_header_row(grants_pdf: Path) -> None:
    document = ingest_file(grants_pdf, grants_pdf.parent)
    rows = {s.text: s for s in document_statements(document) if s.kind == "row"}
    assert rows["Natcaféen | 450 | 85.000"].label == "Forening | Antal borgere | Ansøgt beløb"


def test_a_cell_of_a_long_row_is_named_by_its_own_column(tmp_path: Path) -> None:
    purpose = "At skabe en struktureret og meningsfuld hverdag for mennesker med kroniske sindslidelser. " * 4
    path = tmp_path / "tilskud.txt"
    path.write_text(
        f"Nr | Formål | Antal borgere | Ansøgt beløb\n6 | {purpose.strip()} | 450 | 85.000\n", encoding="utf-8"
    )
    labels = {s.text: s.label for s in document_statements(ingest_file(path, tmp_path))}
    assert (labels["450"], labels["85.000"]) == ("Antal borgere", "Ansøgt beløb")


def test_a_cell_of_a_long_row_is_named_by_the_rows_first_cells_too(tmp_path: Path) -> None:
    purpose = "At skabe en struktureret og meningsfuld hverdag for mennesker med kroniske sindslidelser. " * 4
    path = tmp_path / "tilskud.txt"
    row = f"6 | Natcaféen | Hele København | {purpose.strip()} | 450 | 85.000"
    path.write_text(f"Nr | Forening | Område | Formål | Antal borgere | Ansøgt beløb\n{row}\n", encoding="utf-8")
    statements = {s.text: s for s in document_statements(ingest_file(path, tmp_path))}
    assert [statements[cell].row for cell in ("6", "Natcaféen", "85.000")] == [
        "",  # the first cell names itself
        "6",
        "6 | Natcaféen | Hele København",  # the purpose would make it longer than a name
    ]
    assert "6 | Natcaféen | Hele København" in statements["85.000"].embedding_text()


def test_a_ruled_box_around_prose_stays_text(tmp_path: Path) -> None:
    path = tmp_path / "ramme.pdf"
    path.write_bytes(
        ruled_table_pdf("Samlet vurdering", [["Godkendt med mangler"], ["Dokumentationen mangler."]], "Slut")
    )
    assert "|" not in load_file(path).pages[0]


@pytest.mark.parametrize(
    ("cell", "words", "text"),
    [
        ("Antal\nborge\nre", {"borgere"}, "Antal borgere"),  # a narrow column broke the word
        ("Ansøgt\nbeløb", {"ansøgt", "beløb"}, "Ansøgt beløb"),  # two words, not one
        ("Målopfyldelses-\nprocent", {"målopfyldelsesprocent"}, "Målopfyldelsesprocent"),
        ("Sundheds-\nog Omsorg", {"sundheds", "og"}, "Sundheds- og Omsorg"),  # a Danish suspended compound
        ("G\no\nd\nk\ne\nn\nd\nt", set(), "Godkendt"),  # rotated text, a letter a line
        ("  Nej  ", set(), "Nej"),
        ("", set(), ""),
        (None, set(), ""),
    ],
)
def test_a_cell_reads_as_one_line(cell: str | None, words: set[str], text: str) -> None:
    assert cell_text(cell, words) == text


def test_rows_are_written_in_the_header_columns_and_continued_rows_joined() -> None:
    # A goal table: a header over three ruled rows, goal names running over two rows, a mark under one column.
    cells = [
        [(200, 260, "Godkendt"), (260, 320, "Godkendt"), (320, 380, "Mål-")],
        [(260, 320, "med mangler"), (320, 380, "procent")],
        [(60, 200, "Mål 1 – Sammenhæng i"), (262, 318, "x"), (322, 378, "86 %")],
        [(60, 200, "den visiterede hjælp")],
        [(60, 200, "Mål 2 – Kvalitet"), (205, 255, "x"), (322, 378, "100 %")],
    ]
    assert table_rows(cells, {"målprocent"}) == [
        " | Godkendt | Godkendt med mangler | Målprocent",
        "Mål 1 – Sammenhæng i den visiterede hjælp |  | x | 86 %",
        "Mål 2 – Kvalitet | x |  | 100 %",
    ]


@pytest.mark.parametrize(
    ("rebuilt", "plain", "kept"),
    [
        ("Sag | Afd.\nPleje | Økonomi", "Sag\nPleje\nAfd.\nØkonomi", True),  # the same letters, in rows
        ("Sager pa vej | Økonomi", "Sager på vej\nØkonomi", False),  # a Danish letter lost
        ("Sag", "Sag\nPleje\nAfd.\nØkonomi", False),  # text lost
        ("Sag", "", False),  # nothing to compare with: a page without text is OCR's
    ],
)
def test_a_rebuilt_page_is_kept_only_when_it_holds_the_plain_texts_letters(
    rebuilt: str, plain: str, kept: bool
) -> None:
    assert reads_as_well(rebuilt, plain) is kept
