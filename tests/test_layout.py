"""Headings a file marks become sections: a PDF's larger type (numbered lines the layout does not set as headings,
footnotes and numbered lists, do not), a web page's <h1>-<h6>."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.headings import find_headings, marked_headings
from ingest.layout import TypeSizes
from ingest.pipeline import ingest_file
from tests.files import styled_pdf

BODY = "Borgerne modtager hjælp i eget hjem, og kommunen følger op på indsatsen hvert kvartal med en samtale."


def _sizes(lines: list[tuple[str, float]]) -> TypeSizes:
    """TypeSizes fed as pypdf feeds it: one run per line, each on its own baseline."""
    sizes = TypeSizes()
    sizes.start_page(1)
    y = 800.0
    for text, size in lines:
        sizes.visit(text, [1, 0, 0, 1, 0, 0], [1, 0, 0, 1, 60, y], None, size)
        y -= 1.6 * size
    return sizes


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([("Formål", 14), (BODY, 11), ("Metode", 14), (BODY, 11)], (("Formål", 1), ("Metode", 1))),
        (
            [("Kapitel 1", 18), ("Formål", 14), (BODY, 11), ("Formål igen", 14), ("Kapitel 2", 18), (BODY, 11)],
            (("Kapitel 1", 1), ("Formål", 2), ("Formål igen", 2), ("Kapitel 2", 1)),
        ),
        (
            [("Lang overskrift der", 14), ("fortsætter her", 14), (BODY, 11), ("Næste", 14)],
            (("Lang overskrift der fortsætter her", 1), ("Næste", 1)),
        ),
        (
            [("Indhold", 20), ("Formål", 14), (BODY, 11), ("Metode", 14), (BODY, 11)],
            (("Indhold", 1), ("Formål", 1), ("Metode", 1)),
        ),
        ([(BODY, 11)] * 40 + [(BODY, 13), ("Mellemrubrik", 11)] * 25, ()),
        ([("12", 14), (BODY, 11), ("Side 3 ..........", 14)], ()),
    ],
    ids=["one-size", "two-levels", "wrapped", "one-off-size", "second-body-size", "no-words-or-leaders"],
)
def test_lines_in_larger_type_are_headings_with_levels_by_size(
    lines: list[tuple[str, float]], expected: tuple[tuple[str, int], ...]
) -> None:
    assert _sizes(lines).headings() == expected


def test_marked_headings_are_matched_to_whole_lines_of_the_text_in_order() -> None:
    text = "Deling af kommunale\nsocial- og sundhedsdata\nTekst om deling.\nFormål med FKI\nTekst om formål."
    marked = (("Delingaf kommunale social-og sundhedsdata", 1), ("Sidehoved", 1), ("Formål med FKI", 2))
    found = marked_headings(text, marked)
    assert [(h.text, h.level, text[h.start : h.start + 6]) for h in found] == [
        ("Deling af kommunale social- og sundhedsdata", 1, "Deling"),
        ("Formål med FKI", 2, "Formål"),
    ]


def test_numbered_lines_the_file_does_not_set_as_headings_give_way_to_the_marked_ones() -> None:
    text = "\n".join(
        [
            "Formål",
            "1 Se bilaget for detaljer om ordningen.",
            "Tekst.",
            "Metode",
            "2 Den gamle ordning gjaldt til 2019.",
            "3 Tallene er fra 2023.",
            "Tekst.",
        ]
    )
    marked = (("Formål", 1), ("Metode", 1))
    assert [h.text for h in find_headings(text, marked)] == ["Formål", "Metode"]


def test_numbered_headings_set_in_larger_type_stay() -> None:
    text = "1 Indledning\nTekst.\n2 Metode\nTekst.\n3 Resultater\nTekst.\n4 Bilag\nTekst."
    marked = (("1 Indledning", 1), ("2 Metode", 1), ("3 Resultater", 1))
    assert [h.text for h in find_headings(text, marked)] == ["1 Indledning", "2 Metode", "3 Resultater", "4 Bilag"]


def test_a_report_pdf_without_numbering_is_split_at_its_large_type_headings(tmp_path: Path) -> None:
    pdf = styled_pdf(
        [
            ("Guide til bostøtte", 24),
            ("Formål med bostøtten", 14),
            (BODY, 11),
            ("1 Servicelovens § 85 gælder.", 11),
            (BODY, 11),
            ("Sådan visiteres borgeren", 14),
            (BODY, 11),
            ("2 Visitationen sker i myndighedsafdelingen.", 11),
            ("3 Revisitation sker hvert år.", 11),
            (BODY, 11),
        ]
    )
    path = tmp_path / "guide.pdf"
    path.write_bytes(pdf)
    document = ingest_file(path, tmp_path)
    assert [s.heading_path for s in document.sections if s.heading_path] == [
        ("Formål med bostøtten",),
        ("Sådan visiteres borgeren",),
    ]


def test_a_web_pages_heading_tags_are_its_sections_under_its_agenda_items(tmp_path: Path) -> None:
    page = (
        "<html><body><h1>Udvalget – møde 2024-11-18</h1>"
        "<h2>1. Godkendelse af dagsorden</h2><h3>Beslutning</h3><p>Godkendt.</p>"
        "<h2>2. Budget 2025</h2><h3>Indstilling</h3><p>Forvaltningen indstiller, at budgettet godkendes.</p>"
        "<h3>Beslutning</h3><p>1. Godkendt med 6 stemmer.</p><p>2. Sagen sendes videre.</p>"
        "<p>3. Orientering følger.</p></body></html>"
    )
    path = tmp_path / "udvalg.html"
    path.write_text(page, encoding="utf-8")
    document = ingest_file(path, tmp_path)
    assert [s.heading_path for s in document.sections] == [
        (),  # the page's title, above every section
        ("1. Godkendelse af dagsorden",),
        ("1. Godkendelse af dagsorden", "Beslutning"),
        ("2. Budget 2025",),
        ("2. Budget 2025", "Indstilling"),
        ("2. Budget 2025", "Beslutning"),
    ]


def test_a_word_files_heading_styles_are_its_sections(tmp_path: Path) -> None:
    from docx import Document as new_docx

    document = new_docx()
    document.add_heading("Testprotokol", level=0)  # the Title style: the document's title, not a section
    document.add_heading("Indledning", level=1)
    document.add_paragraph(BODY)
    document.add_heading("Formål", level=2)
    document.add_paragraph("1. Testen dækker modtagelse af meddelelser.")
    document.add_paragraph("2. Testen dækker afsendelse af kvitteringer.")
    document.add_paragraph("3. Testen dækker fejlhåndtering.")
    document.add_heading("Testen", level=1)
    document.add_paragraph(BODY)
    path = tmp_path / "protokol.docx"
    document.save(str(path))
    assert [s.heading_path for s in ingest_file(path, tmp_path).sections] == [
        (),
        ("Indledning",),
        ("Indledning", "Formål"),
        ("Testen",),
    ]
