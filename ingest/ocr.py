"""Scanned PDF pages read by OCR: each page without a text layer is rendered (pypdfium2, greyscale, 300 dpi) and
read by Tesseract with its Danish model (Debian `tesseract-ocr` + `tesseract-ocr-dan`, installed by install.sh).

Tesseract runs as a process per page with one OpenMP thread: ingest uses the cores with processes, and a
page is seconds of work either way."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

_log = logging.getLogger(__name__)

DPI = 300  # Tesseract's models are trained on ~300 dpi text; lower loses æ/ø/å accents first
LANGUAGE = "dan"
PAGE_SECONDS = 120


@lru_cache(maxsize=1)
def unavailable() -> str:
    """Why OCR cannot run here ("" when it can), worded as the fix."""
    if shutil.which("tesseract") is None:
        return "install Tesseract with its Danish model (apt-get install tesseract-ocr tesseract-ocr-dan)"
    try:
        listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as error:
        return f"Tesseract does not run ({error})"
    if LANGUAGE not in listed.split():
        return "install Tesseract's Danish model (apt-get install tesseract-ocr-dan)"
    try:
        import pypdfium2  # noqa: F401
    except ImportError:
        return "install pypdfium2 (pip install pypdfium2) to render scanned pages"
    return ""


def ocr_pages(path: Path, indexes: list[int]) -> dict[int, str]:
    """Text of the given 0-based pages by OCR; pages it cannot read are left out (logged)."""
    if not indexes or unavailable():
        return {}
    import pypdfium2 as pdfium

    found: dict[int, str] = {}
    document = pdfium.PdfDocument(str(path))
    try:
        for index in indexes:
            try:
                found[index] = _read(document[index])
            except (OSError, subprocess.SubprocessError, pdfium.PdfiumError) as error:
                _log.warning("%s: OCR of page %d failed (%s)", path, index + 1, error)
    finally:
        document.close()
    return found


def _read(page) -> str:  # page: pypdfium2.PdfPage
    pixels = page.render(scale=DPI / 72, grayscale=True).to_numpy()
    if pixels.ndim == 3:
        pixels = pixels[:, :, 0]
    height, width = pixels.shape
    # Binary PGM on stdin: Tesseract (Leptonica) reads it without an image library on our side.
    image = b"P5\n%d %d\n255\n" % (width, height) + pixels.tobytes()
    done = subprocess.run(
        ["tesseract", "stdin", "stdout", "-l", LANGUAGE, "--dpi", str(DPI)],
        input=image,
        capture_output=True,
        timeout=PAGE_SECONDS,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        check=True,
    )
    return done.stdout.decode("utf-8", errors="replace")
