"""Metadata inferred from each seed's text, sensible defaults for other texts, and sidecar overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.clean import clean_text
from ingest.errors import MetadataError
from ingest.metadata import (
    expand_abbreviation,
    extract_metadata,
    find_organisation,
    find_year,
    read_sidecar,
    running_names,
)

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SEEDS = {path.name[:3]: path for path in sorted(CORPUS.glob("*.txt"))}

EXPECTED = {
    "000": {
        "title": "Institutionsaftale for CJU",
        "organisation": "Aabenraa Kommune",
        "unit": "CJU - Center for Job & Uddannelse",
        "year": "2022",
        "doc_type": "institutionsaftale",
    },
    "001": {
        "title": "Drifts- og udviklingsaftale 2022 Bakkegården",
        "organisation": "Region Sjælland",
        "unit": "Bakkegården",
        "year": "2022",
        "doc_type": "drifts- og udviklingsaftale",
    },
    "002": {
        "title": "Overordnet ramme for socialområdets virksomhedsplaner",
        "organisation": "Randers Kommune",
        "unit": "",
        "year": "2015-2016",
        "doc_type": "virksomhedsplan",
    },
    "003": {
        "title": "Udviklingsaftale 2023 for Arbejdsmarked og Social",
        "organisation": "Skanderborg Kommune",
        "unit": "Arbejdsmarked og Social",
        "year": "2023",
        "doc_type": "udviklingsaftale",
    },
    "004": {
        "title": "Aftale for Team Myndighed SHC",
        "organisation": "Høje-Taastrup Kommune",
        "unit": "Team Myndighed SHC",
        "year": "2016",
        "doc_type": "aftale",
    },
}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_seed_metadata(key: str) -> None:
    text = clean_text(SEEDS[key].read_text(encoding="utf-8"))
    assert extract_metadata(text) == EXPECTED[key]


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "12 34 56", "Referat af mødet\nPunkt 1: Godkendelse", "x" * 5000, "| a | b |\n| c | d |"],
)
def test_non_agreement_text_never_crashes_and_leaves_unknowns_empty(text: str) -> None:
    meta = extract_metadata(text)
    assert set(meta) == {"title", "organisation", "unit", "year", "doc_type"}
    assert all(isinstance(value, str) for value in meta.values())
    assert meta["organisation"] == ""


def test_toc_title_and_urls_are_not_taken_as_title() -> None:
    assert extract_metadata("www.sa.dk\nIndholdsfortegnelse\nVejledning om arkivformater\n")["title"] == (
        "Vejledning om arkivformater"
    )


def test_title_broken_over_two_lines_is_joined() -> None:
    assert extract_metadata("Tilsynsrapport for\nClara Service Gruppen\nSide 1")["title"] == (
        "Tilsynsrapport for Clara Service Gruppen"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Aabenraa Kommune ... Aabenraa Kommunes vision ... Region Syddanmark", "Aabenraa Kommune"),
        ("Budgetaftale for Region Sjælland. Region Sjælland og Regionen Midtjylland", "Region Sjælland"),
        ("i Høje-Taastrup Kommune er der", "Høje-Taastrup Kommune"),
        ("for hele Kommune og Hele Kommune", ""),
        ("Ingen kommuner nævnt", ""),
    ],
)
def test_organisation_is_the_most_named_municipality_or_region(text: str, expected: str) -> None:
    assert find_organisation(text) == expected


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("Virksomhedsplan 2015-16", "", "2015-2016"),
        ("Udviklingsaftale 2023", "i 2022 og 2022", "2023"),
        ("Aftale", "Dato: 4. december 2015. Periode 2016. I 2016 og 2016.", "2016"),
        ("Aftale", "ingen årstal", ""),
    ],
)
def test_year_or_period(title: str, text: str, expected: str) -> None:
    assert find_year(title, text) == expected


def test_abbreviation_is_expanded_from_the_text() -> None:
    text = "Center for Job & Uddannelse (CJU) ... Center for Job & Uddannelse har ... Center for Job & Uddannelses"
    assert expand_abbreviation("CJU", text) == "Center for Job & Uddannelse"
    assert expand_abbreviation("XYZ", text) == ""


def test_sidecar_overrides_fields(tmp_path: Path) -> None:
    doc = tmp_path / "aftale.txt"
    doc.write_text("Aftale for X", encoding="utf-8")
    (tmp_path / "aftale.meta.json").write_text(json.dumps({"unit": "Team Y", "year": 2024}), encoding="utf-8")
    assert read_sidecar(doc) == {"unit": "Team Y", "year": "2024"}


def test_yaml_sidecar_is_read(tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    doc = tmp_path / "aftale.pdf"
    doc.write_bytes(b"")
    (tmp_path / "aftale.meta.yaml").write_text("organisation: Vejle Kommune\n", encoding="utf-8")
    assert read_sidecar(doc) == {"organisation": "Vejle Kommune"}


def test_missing_sidecar_gives_no_overrides(tmp_path: Path) -> None:
    assert read_sidecar(tmp_path / "aftale.txt") == {}


@pytest.mark.parametrize(
    "content",
    ["{not json", "[1, 2]", '{"organization": "Vejle Kommune"}', '{"title": ["a", "b"]}'],
    ids=["syntax", "not-a-mapping", "unknown-field", "non-text-value"],
)
def test_malformed_sidecar_raises_metadata_error_naming_the_file(tmp_path: Path, content: str) -> None:
    doc = tmp_path / "aftale.txt"
    doc.write_text("Aftale", encoding="utf-8")
    (tmp_path / "aftale.meta.json").write_text(content, encoding="utf-8")
    with pytest.raises(MetadataError, match="aftale.meta.json"):
        read_sidecar(doc)


@pytest.mark.parametrize(
    ("running", "expected"),
    [
        (
            ["Rigsarkivet → Vejledning til bekendtgørelse om arkiveringsversioner"],
            ("Vejledning til bekendtgørelse om arkiveringsversioner", "Rigsarkivet"),
        ),
        (["Driftsaftale for Bakkegården 2024"], ("Driftsaftale for Bakkegården 2024", "")),
        (["Københavns Kommune", "Tilsynsrapport for Kærkommen"], ("Tilsynsrapport for Kærkommen", "")),
        (["Id og proces | Titel | Init | Version | Dato"], ("", "")),
        ([], ("", "")),
    ],
)
def test_running_header_names_the_document_and_its_publisher(running: list[str], expected: tuple[str, str]) -> None:
    assert running_names(running) == expected


def test_a_title_in_the_text_wins_over_the_running_header() -> None:
    meta = extract_metadata("Driftsaftale for CJU 2022\n\nTekst.", "", ["Rigsarkivet → Vejledning om arkivering"])
    assert (meta["title"], meta["organisation"]) == ("Driftsaftale for CJU 2022", "Rigsarkivet")
