"""Reading files into Documents on one or two processes: the same documents, in order, a bad file reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest import reading
from ingest.pipeline import ingest_file
from tests.files import text_pdf


@pytest.mark.parametrize("processes", [1, 2])
def test_files_are_read_in_order_and_a_bad_file_is_its_own_failure(
    tmp_path: Path, processes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "POOL_FROM_BYTES", 0)  # the pool even for these small files
    (tmp_path / "a.txt").write_text("Sygefraværet skal under 8 % i 2022.", encoding="utf-8")
    (tmp_path / "b.pdf").write_bytes(b"%PDF-1.4 not really")
    (tmp_path / "c.pdf").write_bytes(text_pdf(["Bakkegården har 24 pladser."]))
    read = list(reading.read_files(ingest_file, tmp_path, ["a.txt", "b.pdf", "c.pdf"], processes))
    assert [(path, document is not None, error.split(":")[0]) for path, document, error in read] == [
        ("a.txt", True, ""),
        ("b.pdf", False, "CorruptDocumentError"),
        ("c.pdf", True, ""),
    ]
