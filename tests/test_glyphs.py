"""Accents drawn as glyphs of their own (ingest/glyphs.py): "å" drawn as "a" and a zero-width ring that the font
maps to a space is read back as "å", by the text reader (pypdf) and the layout reader (pdfminer) alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from ingest.glyphs import decomposed_letters, restore_marks
from ingest.pipeline import ingest_file
from ingest.titles import pdf_title
from tests.files import ring_glyph_pdf, text_pdf

LINES = ["Sager på vej", "Åben rådgivning på Bakkegården"]


@pytest.fixture
def ring_pdf(tmp_path: Path) -> Path:
    path = tmp_path / "ring.pdf"
    path.write_bytes(ring_glyph_pdf(LINES))
    return path


def test_without_the_repair_the_ring_is_read_as_a_space(ring_pdf: Path) -> None:
    assert "pa  vej" in PdfReader(ring_pdf).pages[0].extract_text()


def test_the_ring_is_put_back_on_its_letter_in_the_stored_text(ring_pdf: Path) -> None:
    text = " ".join(ingest_file(ring_pdf, ring_pdf.parent).text.split())
    assert text == "Sager på vej Åben rådgivning på Bakkegården"


def test_the_layout_reader_puts_the_ring_back_for_the_title(ring_pdf: Path) -> None:
    assert pdf_title(ring_pdf) == "Sager på vej"


def test_a_pdf_without_zero_width_glyphs_is_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "plain.pdf"
    path.write_bytes(text_pdf(["Sager pa vej"]))
    assert restore_marks(PdfReader(path)) == 0


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Sager på vej", []),
        ("Sager pa\u030a vej", []),  # NFC composes it
        ("Sager pe\u030a vej", ["e\u030a"]),  # no such letter: the mark stays apart
        ("Ørsted og æbler", []),
    ],
)
def test_decomposed_letters_are_found_after_nfc(text: str, found: list[str]) -> None:
    assert decomposed_letters(text) == found
