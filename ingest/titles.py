"""A document's title, the way a reader finds it: the file's own title property when it is a real title, the
largest type on a PDF's first page, else a title-like line near the top of the text, else the file name made
readable. Never a table-of-contents line, a table header, a page header or a fragment of a word.

Why layout first: report-style PDFs set their title in large type and often start their text with a running
header table ("Id og proces Id og titel Init Version Dato") or a contents list, which the text alone cannot tell
from a title; two supervision reports differ only in the provider's name set large on the cover.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from statistics import median

from ingest.danish import nfc
from ingest.glyphs import layout_line_text

_log = logging.getLogger(__name__)

MAX_TITLE = 160
# Large type: at least this much bigger than the document's usual type (over its first pages: a cover page is
# mostly title); lines at least this share of the largest size
# belong to the title with it ("KOMMUNALE PRØVESVAR" / "USE CASES").
LARGE = 1.2
WITH_LARGEST = 0.5
MAX_TITLE_LINES = 3
BODY_PAGES = 3
# "Bilag 1 – Bilagsfortegnelse ........ 10": a contents line. "Liste.XLSX", "<Indsæt standardens navn>",
# "Kommunale_prøvesvar_UseCases": a file name or a template placeholder in the title property.
LEADER = re.compile(r"\.{4,}|…{2,}|(?:\s\.){3,}")
_FILE_LIKE = re.compile(r"\.[A-Za-z]{2,4}$|^<.*>$|_|^\S+$")
_NOT_TITLE = re.compile(
    r"www\.|https?:|@|^(side|page)\s+\d|^(indholdsfortegnelse|indhold|contents|table of contents)\W*$", re.IGNORECASE
)
MIN_WORDS = 2
MIN_WORD_LETTERS = 3


def is_title(text: str) -> bool:
    """A line that can be a title: no contents leader, no table cells, no web address or page number, at least two
    words of three letters (a table cell cut mid-word, "Målgr", does not pass)."""
    words = [w for w in re.findall(r"[^\W\d_]+", text) if len(w) >= MIN_WORD_LETTERS]
    return (
        0 < len(text) <= MAX_TITLE
        and len(words) >= MIN_WORDS
        and not LEADER.search(text)
        and "|" not in text
        and not _NOT_TITLE.search(text)
        and not text.rstrip().endswith(":")
        and not text[:1].islower()  # a title starts with a capital or a figure; "n Projekttitel" is a cut cell
    )


def property_title(value: str | None) -> str:
    """The file's title property when it is a real title, not a file name or a placeholder; else ""."""
    value = " ".join((value or "").split())
    return nfc(value) if value and not _FILE_LIKE.search(value) and is_title(value) else ""


def pdf_title(path: Path) -> str:
    """The PDF's title: its title property when real, else the large-type lines of its first page; "" if none."""
    try:
        from pypdf import PdfReader

        metadata = PdfReader(str(path)).metadata
        found = property_title(metadata.title if metadata else None)
        return found or _large_type(path)
    except Exception:  # a damaged file is the loader's to report; the title falls back to the text
        _log.info("%s: no title from the PDF's layout", path)
        return ""


def _large_type(path: Path) -> str:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar, LTTextContainer, LTTextLine

    lines: list[tuple[float, float, str]] = []  # (size, top, text)
    sizes: list[float] = []
    for number, page in enumerate(extract_pages(str(path), maxpages=BODY_PAGES)):
        for box in page:
            if not isinstance(box, LTTextContainer):
                continue
            for line in box:
                if not isinstance(line, LTTextLine):
                    continue
                chars = [c.size for c in line if isinstance(c, LTChar) and not c.get_text().isspace()]
                sizes += chars
                if chars and number == 0:
                    lines.append((max(chars), line.y1, " ".join(layout_line_text(line).split())))
    if not lines:
        return ""
    largest = max(size for size, _, _ in lines)
    if largest < LARGE * median(sizes):
        return ""  # nothing set large: the text decides
    floor = max(WITH_LARGEST * largest, LARGE * median(sizes))
    chosen = [(top, text) for size, top, text in lines if size >= floor]
    chosen.sort(key=lambda item: -item[0])  # top of the page first
    title = ""
    for _, text in chosen[:MAX_TITLE_LINES]:
        if _NOT_TITLE.search(text):
            continue
        # "FHIR-stan-" / "dard": a word hyphenated at the line end is one word.
        title = title[:-1] + text if title.endswith("-") and text[:1].islower() else f"{title} {text}".strip()
    title = nfc(title[:MAX_TITLE])
    return title if is_title(title) else ""


def readable_file_name(path: Path) -> str:
    """ "os2webscanner__Midler-til-frivilligt-arbejde.pdf" -> "Midler til frivilligt arbejde": a folder path
    flattened into the name with "__" is dropped, separators become spaces."""
    stem = path.stem.split("__")[-1]
    return " ".join(re.sub(r"[_-]+", " ", stem).split()) or path.stem
