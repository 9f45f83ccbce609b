"""The pipeline end to end: every seed ingests, ids are stable, bad files fail alone."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from ingest.pipeline import document_id, ingest_file, ingest_folder, slugify

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SEEDS = sorted(CORPUS.glob("*.txt"))


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Drifts- og udviklingsaftale 2022 Bakkegården", "drifts-og-udviklingsaftale-2022-bakkegaarden"),
        ("Ældre & Sundhed: Øvrige mål på Ærø", "aeldre-sundhed-oevrige-maal-paa-aeroe"),
        ("Café Rosé", "cafe-rose"),
        ("", "dokument"),
        ("a" * 60, "a" * 48),
        ("Udviklingsaftale 2023 for Arbejdsmarked og Social og Sundhed", "udviklingsaftale-2023-for-arbejdsmarked-og"),
    ],
)
def test_slug_is_ascii_folded_and_short(title: str, expected: str) -> None:
    assert slugify(title) == expected


def test_document_id_is_slug_plus_path_hash_and_stable() -> None:
    expected_hash = hashlib.sha1(b"sub/aftale.pdf").hexdigest()[:6]
    assert document_id("Aftale for CJU", "sub/aftale.pdf") == f"aftale-for-cju-{expected_hash}"
    assert document_id("Aftale for CJU", "sub/aftale.pdf") == document_id("Aftale for CJU", "sub/aftale.pdf")
    assert document_id("Aftale for CJU", "other.pdf") != document_id("Aftale for CJU", "sub/aftale.pdf")


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_every_seed_ingests_with_verbatim_chunks(seed: Path) -> None:
    doc = ingest_file(seed, CORPUS)
    assert doc.path == seed.name
    assert doc.content_hash == hashlib.sha256(seed.read_bytes()).hexdigest()
    assert doc.title and doc.organisation and doc.year and doc.doc_type != "dokument"
    assert len(doc.sections) >= 5
    assert doc.chunks, "no chunks"
    for chunk in doc.chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert chunk.document_id == doc.id
    assert doc.pages is None  # plain text has no pages


def test_reingest_gives_identical_ids_and_chunks() -> None:
    first, second = ingest_file(SEEDS[1], CORPUS), ingest_file(SEEDS[1], CORPUS)
    assert first.id == second.id
    assert [(c.id, c.start, c.end) for c in first.chunks] == [(c.id, c.start, c.end) for c in second.chunks]


def test_folder_ingest_is_sorted_and_isolates_bad_files(tmp_path: Path) -> None:
    for seed in SEEDS[:2]:
        shutil.copy(seed, tmp_path / seed.name)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "broken.pdf").write_bytes(b"not a pdf at all")
    (tmp_path / "data.xlsx").write_bytes(b"PK")
    (tmp_path / SEEDS[0].with_suffix(".meta.json").name).write_text(json.dumps({"unit": "CJU"}), encoding="utf-8")
    (tmp_path / "sub").mkdir()
    shutil.copy(SEEDS[3], tmp_path / "sub" / "aftale.txt")

    documents, failures = ingest_folder(tmp_path)

    assert [d.path for d in documents] == [SEEDS[0].name, SEEDS[1].name, "sub/aftale.txt"]
    assert documents[0].unit == "CJU"  # the sidecar overrides, and is not ingested itself
    assert sorted(f.path for f in failures) == ["broken.pdf", "data.xlsx", "empty.txt"]
    assert all(f.reason for f in failures)


def test_malformed_sidecar_fails_only_its_document(tmp_path: Path) -> None:
    shutil.copy(SEEDS[0], tmp_path / "a.txt")
    shutil.copy(SEEDS[1], tmp_path / "b.txt")
    (tmp_path / "a.meta.json").write_text("{oops", encoding="utf-8")
    documents, failures = ingest_folder(tmp_path)
    assert [d.path for d in documents] == ["b.txt"]
    assert [f.path for f in failures] == ["a.txt"] and "a.meta.json" in failures[0].reason


def test_report_sections_and_chunks_per_seed(capsys: pytest.CaptureFixture[str]) -> None:
    documents, failures = ingest_folder(CORPUS)
    assert not failures and len(documents) == len(SEEDS)
    with capsys.disabled():
        for doc in documents:
            print(f"\n{doc.path}: {len(doc.sections)} sections, {len(doc.chunks)} chunks")
            for section in doc.sections[1 :: max(1, len(doc.sections) // 3)]:
                print("   ", " > ".join(section.heading_path)[:140])
