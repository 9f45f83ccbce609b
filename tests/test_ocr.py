"""Scanned PDFs: pages without a text layer are read by Tesseract's Danish model (real Tesseract, real renders).

The scans are made here: a text PDF rendered to a 300 dpi greyscale image and wrapped in an image-only PDF."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.embed import HashEmbedder
from index.store import load_index, update_index
from ingest.errors import EmptyDocumentError
from ingest.ocr import unavailable
from ingest.pipeline import ingest_file
from tests import files

pytestmark = pytest.mark.skipif(bool(unavailable()), reason=f"OCR unavailable: {unavailable()}")

LINES = [
    "Driftsaftale for Mosehuset 2026",
    "Sygefraværet på Mosehuset skal i 2026 være højst 3,7 %.",
    "Brugerne oplever trivsel og får støtte hver måned.",
]


def test_a_scanned_pdf_is_read_by_ocr_with_its_danish_letters(tmp_path: Path) -> None:
    (tmp_path / "mosehuset.pdf").write_bytes(files.scanned_pdf(LINES))
    document = ingest_file(tmp_path / "mosehuset.pdf", tmp_path)
    assert (document.ocr_pages, document.title) == ((1,), "Driftsaftale for Mosehuset 2026")
    assert all(line in document.text for line in LINES[1:])


def test_a_blank_scan_says_ocr_found_no_text(tmp_path: Path) -> None:
    (tmp_path / "blank.pdf").write_bytes(files.image_pdf(np.full((1169, 827), 255, np.uint8)))
    with pytest.raises(EmptyDocumentError, match=r"blank.pdf: no extractable text; OCR found no text on its 1 page"):
        ingest_file(tmp_path / "blank.pdf", tmp_path)


def test_an_unreadable_scan_is_reported_while_the_rest_ingests(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "mosehuset.pdf").write_bytes(files.scanned_pdf(LINES))
    (corpus / "blank.pdf").write_bytes(files.image_pdf(np.full((1169, 827), 255, np.uint8)))
    report = update_index(corpus, tmp_path / "index", HashEmbedder(), ingest_file, "test")
    assert [(f.path, "OCR found no text" in f.reason) for f in report.failures] == [("blank.pdf", True)]
    hit = load_index(tmp_path / "index", HashEmbedder()).search("sygefravær Mosehuset", top_k=1)[0]
    assert ("højst 3,7 %" in hit.text, hit.ocr, hit.page) == (True, True, 1)
