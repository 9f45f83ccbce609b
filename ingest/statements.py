"""Statements: the smallest verbatim spans of an agreement that state a figure.

A statement is a sentence, a bullet, or a short table row. Long flattened rows and scraped pages that lost
their periods are cut into sentences, so a quote stays short and still verbatim: `document.text[start:end]`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from ingest.documents import Document


@dataclass(frozen=True)
class Statement:
    """A sentence, bullet or short table row: the smallest verbatim span that states a figure."""

    text: str
    start: int
    end: int
    heading_path: tuple[str, ...]
    lead: str  # the line ending with ":" that introduces the bullet list this statement is in
    preceding: str = ""  # the paragraph's text before this statement


# Rows longer than this are prose flattened into a table; they are split into sentences instead.
_SHORT_ROW = 300
_BULLET = re.compile(r"^\s*[-•*–o]\s")
_SPLIT = re.compile(r"\s\|\s?|\s?•\s|(?<=[.!?])\s+(?=[A-ZÆØÅ•\-])")
# A period after these ends an abbreviation or an ordinal ("1. I meget høj grad"), not a sentence.
_ABBREVIATION = re.compile(
    r"(?:\b(?:kr|mio|mia|pct|jf|ca|bl\.a|fx|nr|pkt|d|f\.eks|inkl|ekskl|mv|tlf)|(?<![\d.])\d{1,2})\.$", re.I
)
# Run-together extractions lose the full stop between statements: a capitalised Danish sentence opener or a
# template label (Resultatmål/Effektmål/Aktivitetsmål, Metoden, Tidspunkter) right after a lower-case word starts
# a new statement.
_SOFT_SPLIT = re.compile(
    r"(?<=[a-zæøå0-9])\s+(?=(?:Ved|Der|Det|Den|De|Disse|Dette|Vi|Alle|Hvis|Når|Inden|Efter|Metoden|"
    r"Aktivitetsmål|Resultatmål|Effektmål|Tidspunkter)[\s:])"
)
TRIM = " \t|•-–*"


def split_statements(document: Document) -> Iterator[Statement]:
    """The document's statements in text order, with the heading path of the section each lies in."""
    regions = [(s.start, s.end, s.heading_path) for s in document.sections] or [(0, len(document.text), ())]
    for region_start, region_end, heading_path in regions:
        lead = ""
        for line_start, raw in _logical_lines(document.text[region_start:region_end]):
            if not raw.strip():
                lead = ""
                continue
            start = region_start + line_start
            if not _BULLET.match(raw):
                lead = ""
            for piece_start, piece_end in _pieces(raw):
                for statement in _trimmed(
                    document.text, start + piece_start, start + piece_end, heading_path, lead
                ):
                    yield replace(statement, preceding=document.text[start : statement.start])
            stripped = raw.strip(TRIM)
            if stripped.endswith(":") and len(stripped) < 200:
                lead = stripped


# A PDF wraps a sentence over lines: a line that does not end a sentence, followed by one that starts in lower case,
# continues it ("Tilsynet gennemføres på hverdage i" / "dagtimerne.").
_CONTINUES = re.compile(r"[a-zæøå]")
_ENDS = ".!?:;"


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(offset, text) of each line of `text`, wrapped lines joined; the text keeps its line breaks (verbatim)."""
    current: tuple[int, int] | None = None
    for match in re.finditer(r"[^\n]+", text):
        line = match.group(0)
        if current is not None:
            previous = text[current[0] : current[1]]
            if (
                previous.rstrip()[-1:] not in _ENDS
                and "|" not in previous
                and "|" not in line
                and not _BULLET.match(line)
                and _CONTINUES.match(line.lstrip())
                and text[current[1] : match.start()] == "\n"
            ):
                current = (current[0], match.end())
                continue
            yield current[0], previous
        current = (match.start(), match.end())
    if current is not None:
        yield current[0], text[current[0] : current[1]]


def _pieces(line: str) -> Iterator[tuple[int, int]]:
    if "|" in line and len(line) <= _SHORT_ROW:
        yield 0, len(line)
        return
    start = 0
    for match in _SPLIT.finditer(line):
        is_sentence_end = not any(mark in match.group(0) for mark in "|•")
        if is_sentence_end and _ABBREVIATION.search(line[start : match.start()]):
            continue
        yield from _soft_pieces(line, start, match.start())
        start = match.end()
    yield from _soft_pieces(line, start, len(line))


def _soft_pieces(line: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Scraped pages lose their periods ("dokumentationsarbejdet Ved udgangen af 2016"): a long piece is cut
    where a capitalised sentence opener follows a lowercase word."""
    if end - start <= _SHORT_ROW:
        yield start, end
        return
    for match in _SOFT_SPLIT.finditer(line, start, end):
        yield start, match.start()
        start = match.end()
    yield start, end


def _trimmed(
    text: str, start: int, end: int, heading_path: tuple[str, ...], lead: str
) -> Iterator[Statement]:
    while start < end and (
        text[start] in TRIM or (text[start] == "o" and text[start + 1 : start + 2] == " ")
    ):
        start += 1
    while end > start and text[end - 1] in TRIM:
        end -= 1
    if end > start:
        yield Statement(text[start:end], start, end, heading_path, lead)
