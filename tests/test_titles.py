"""Titles as a reader finds them: the file's title property when real, the large type on a PDF's first page,
a title-like line of the text, else the file name made readable; never a contents line, a table header or a
fragment. The real documents beside the checkout are the table of expectations, written from reading them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from ingest.documents import Document
from ingest.glyphs import decomposed_letters
from ingest.pipeline import ingest_file
from ingest.titles import is_title, property_title, readable_file_name
from service.config import REPO_ROOT

REALDOCS = REPO_ROOT.parent / "shared" / "realdocs"

EXPECTED = {
    # The cover is a picture; the running header "Rigsarkivet → Vejledning ..." names the document on every page.
    "aarhusstadsarkiv-convertool__pdf-to-pdfa.pdf": "Vejledning til bekendtgørelse om arkiveringsversioner",
    "dagsordener__Aarhus_Byråd-Aarhus_Byråd_den_27._august_2025.pdf": "REFERAT Aarhus Byråd d. 27-08-2025",
    # The PDF draws "å" as "a" and a ring glyph of no width that its font maps to a space (ingest/glyphs.py).
    "dagsordener__dagsbil.pdf": "Sager på vej – Sundhed og Omsorg 2025",
    "greve__Byraad_2025-10-01.html": "Byråd 2022-2025 – møde 2025-10-01T17:30",
    "greve__Social-og-Handicapudvalget_2024-11-18.html": "Social- og Handicapudvalget – møde 2024-11-18T16:30",
    "greve__Sundheds-og-Omsorgsudvalget_2024-01-08.html": "Sundheds- og Omsorgsudvalget – møde 2024-01-08T15:30",
    "kl-dk__FFB-bilag.pdf": "Bilag 1 Anvendelse af FKI med udgangspunkt i FFB-metoden",
    "kl-dk__FKIGuide.pdf": "Guide til den Fælleskommunale informationsmodel",
    "medcom-hospnotif__Advisomsygehusophold_Testprotokol_Modtagelse.docx": (
        "Testprotokol for modtagelse af Advis om sygehusophold"
    ),
    "medcom-hospnotif__Advisomsygehusophold_use_cases__3.0.0.pdf": "ADVIS OM SYGEHUSOPHOLD USE CASES",
    "medcom-kommprovesvar__Kommunale_prøvesvar_Sundhedsfaglig_dokumentation_v1.0.1.pdf": (
        "Kommunale prøvesvar Sundhedsfaglig dokumentation af MedCom FHIR-standard"
    ),
    "medcom-kommprovesvar__Kommunale_prøvesvar_Use_cases_v1.0.0.pdf": "KOMMUNALE PRØVESVAR USE CASES",
    "os2webscanner__Midler-til-frivilligt-arbejde.pdf": "Midler til frivilligt arbejde",
    "os2webscanner__Tilsynsrapport (2013) - Clara Service Gruppen.PDF": (
        "Tilsynsrapport for Privat Leverandør af personlig pleje og praktisk hjælp Clara Service Gruppen ApS"
    ),
    "os2webscanner__Tilsynsrapport (2013) - Kærkommen.PDF": (
        "Tilsynsrapport for Privat Leverandør af personlig pleje og praktisk hjælp Kærkommen"
    ),
}


@pytest.mark.skipif(not REALDOCS.is_dir(), reason="../shared/realdocs is not beside the checkout")
@pytest.mark.parametrize(
    ("name", "title"),
    sorted(EXPECTED.items()),
)
def test_every_real_document_gets_its_title(name: str, title: str) -> None:
    assert _ingested(name).title == title


@pytest.mark.skipif(not REALDOCS.is_dir(), reason="../shared/realdocs is not beside the checkout")
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_real_document_keeps_a_letter_apart_from_its_accent(name: str) -> None:
    assert decomposed_letters(_ingested(name).text) == []


@cache
def _ingested(name: str) -> Document:
    return ingest_file(REALDOCS / name, REALDOCS)


def test_distinct_real_documents_have_distinct_titles() -> None:
    assert len(set(EXPECTED.values())) == len(EXPECTED)


@pytest.mark.parametrize(
    ("line", "title"),
    [
        ("Tilsynsrapport for Privat Leverandør", True),
        ("Bilag 1 – Bilagsfortegnelse .............................. 10", False),
        ("Id | Titel | Version", False),
        ("Målgr", False),
        ("n Projekttitel Bydel", False),
        ("Side 3 af 12", False),
        ("www.sa.dk", False),
        ("Indholdsfortegnelse", False),
        ("Formål:", False),
    ],
)
def test_a_title_is_no_contents_line_table_row_fragment_or_page_line(line: str, title: bool) -> None:
    assert is_title(line) is title


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("Liste over ansøgninger.XLSX", ""),
        ("<Indsæt standardens navn>", ""),
        ("Kommunale_prøvesvar_UseCases", ""),
        ("Drifts- og udviklingsaftale 2024", "Drifts- og udviklingsaftale 2024"),
        (None, ""),
    ],
)
def test_a_title_property_counts_only_when_it_is_a_real_title(value: str | None, kept: str) -> None:
    assert property_title(value) == kept


@pytest.mark.parametrize(
    ("name", "readable"),
    [
        ("os2webscanner__Midler-til-frivilligt-arbejde.pdf", "Midler til frivilligt arbejde"),
        ("driftsaftale_2024_bakkegaarden.docx", "driftsaftale 2024 bakkegaarden"),
    ],
)
def test_a_file_name_is_made_readable(name: str, readable: str) -> None:
    assert readable_file_name(Path(name)) == readable
