"""Reading many files into Documents, on several processes when asked.

Reading is parsing (pypdf, pdfplumber's table search, pdfminer, OCR), one core's work per file, and a corpus of
PDFs spends minutes on it before the first vector is computed; so files are read on `processes` worker
processes, like the embedding after them. A worker returns the Document or the error as text, never raises, so
one bad file is one file's failure.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from pathlib import Path

from ingest.documents import Document

ReadFile = Callable[[Path, Path], Document]
Read = tuple[str, Document | None, str]  # relative path, the document or None, the error ("" when read)
# Starting a worker costs about a second (a fresh interpreter importing the parsers): below this many bytes to
# read, one process is done sooner.
POOL_FROM_BYTES = 2_000_000


def read_files(ingest_file: ReadFile, corpus_dir: Path, paths: list[str], processes: int = 1) -> Iterator[Read]:
    """(path, document, "") or (path, None, "ErrorType: message") for each of `paths` (relative to
    `corpus_dir`), in order. `ingest_file` must be a module-level function when `processes` > 1."""
    jobs = [(ingest_file, corpus_dir, path) for path in paths]
    size = sum((corpus_dir / path).stat().st_size for path in paths if (corpus_dir / path).is_file())
    if processes <= 1 or len(paths) <= 1 or size < POOL_FROM_BYTES:
        yield from map(_read, jobs)
        return
    # spawn, not fork: the parent may hold torch threads, and a forked torch stalls on these machines.
    with multiprocessing.get_context("spawn").Pool(min(processes, len(paths))) as pool:
        yield from pool.imap(_read, jobs)


def _read(job: tuple[ReadFile, Path, str]) -> Read:
    ingest_file, corpus_dir, path = job
    try:
        return path, ingest_file(corpus_dir / path, corpus_dir), ""
    except Exception as error:  # any parser failure is one file's problem, not the whole build's
        return path, None, f"{type(error).__name__}: {error}"
