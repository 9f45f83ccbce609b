"""Ingest speed: loading alone (per file) and the full pipeline, for corpus/ and ../shared/realdocs/.

Why: loading decides most of ingest time (PDF parsing, pdfminer re-extraction of badly decoded pages), so
it is timed per file and apart from cleaning/splitting.
Run: python -m benchmarks.ingest [--no-files]   (or python benchmarks/ingest.py)
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and this module would shadow the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from ingest.errors import IngestError  # noqa: E402
from ingest.load import FORMATS, load_file  # noqa: E402
from ingest.pages import strip_running_lines  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = (ROOT / "corpus", ROOT.parent / "shared" / "realdocs")


class _FallbackLog(logging.Handler):
    """Collects the pages ingest.load reports as re-extracted with pdfminer."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.pages: list[int] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "pdfminer" in message and "[" in message:
            self.pages.extend(int(n) for n in re.findall(r"\d+", message.rsplit("[", 1)[1]))


@dataclass(frozen=True)
class LoadTiming:
    name: str
    pages: int
    seconds: float
    fallback_pages: tuple[int, ...]
    error: str = ""


def time_loads(folder: Path) -> list[LoadTiming]:
    logger = logging.getLogger("ingest.load")
    logger.setLevel(logging.INFO)
    timings = []
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in FORMATS):
        handler = _FallbackLog()
        logger.addHandler(handler)
        start = time.perf_counter()
        try:
            raw = load_file(path)
            strip_running_lines(list(raw.pages))
            pages, error = len(raw.pages), ""
        except IngestError as exc:
            pages, error = 0, type(exc).__name__
        seconds = time.perf_counter() - start
        logger.removeHandler(handler)
        timings.append(LoadTiming(path.name, pages, seconds, tuple(handler.pages), error))
    return timings


def _compact(pages: tuple[int, ...]) -> str:
    """1,2,3,5 -> '1-3,5'."""
    runs: list[list[int]] = []
    for page in pages:
        if runs and page == runs[-1][-1] + 1:
            runs[-1].append(page)
        else:
            runs.append([page])
    return ",".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def report_loads(folder: Path, per_file: bool) -> None:
    timings = time_loads(folder)
    seconds = sum(t.seconds for t in timings)
    pages = sum(t.pages for t in timings)
    print(f"\n== load {folder}: {len(timings)} files, {pages} pages, {seconds:.2f} s, "
          f"{len(timings) / max(seconds, 1e-9):.1f} files/s, {pages / max(seconds, 1e-9):.1f} pages/s")  # fmt: skip
    if per_file:
        for t in timings:
            fallback = f"pdfminer: {len(t.fallback_pages)} ({_compact(t.fallback_pages)})" if t.fallback_pages else ""
            print(f"  {t.name[:70]:70} {t.pages:4d} p {t.seconds:7.2f} s  {t.error or fallback}")


def report_pipeline(folder: Path) -> None:
    try:
        from ingest.pipeline import ingest_folder
    except ImportError as exc:
        print(f"== pipeline {folder}: skipped, ingest.pipeline not available ({exc})")
        return
    start = time.perf_counter()
    documents, failures = ingest_folder(folder)
    seconds = time.perf_counter() - start
    chunks = sum(len(doc.chunks) for doc in documents)
    pages = sum(doc.pages or 1 for doc in documents)
    files = len(documents) + len(failures)
    rates = f"{files / max(seconds, 1e-9):.1f} files/s, {chunks / max(seconds, 1e-9):.1f} chunks/s"
    print(f"== pipeline {folder}: {files} files ({len(failures)} failed), {pages} pages, {chunks} chunks, "
          f"{seconds:.2f} s, {rates}")  # fmt: skip
    for failure in failures:
        print(f"  failed: {failure.path}: {failure.reason}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-files", action="store_true", help="totals only, no per-file load lines")
    args = parser.parse_args()
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed-object warnings are noise here
    for folder in FOLDERS:
        if not folder.is_dir():
            print(f"== {folder}: missing, skipped")
            continue
        report_loads(folder, per_file=not args.no_files)
        report_pipeline(folder)


if __name__ == "__main__":
    main()
