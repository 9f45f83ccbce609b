"""Split a cleaned document into Sections (its own headings) and retrieval-sized Chunks.

Every Section and Chunk is a verbatim slice of the text: `text[c.start:c.end] == c.text`. Chunks break only
at line ends or sentence ends, never inside a table row, so a quoted passage is always a whole statement.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from ingest.danish import ends_with_abbreviation
from ingest.documents import Chunk, Section
from ingest.headings import Heading, find_headings
from ingest.statements import carries_on

TARGET_MIN = 600
TARGET_MAX = 900
MAX_CHARS = 1200
_MIN_CHUNK = 50
_MAX_HEADING_ONLY = 200

# One vocabulary for section kinds, checked in this order: "Opfølgning på udviklingsmålet" is follow-up
# before it is a goal, and "formål" is background although it contains "mål".
SECTION_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("follow-up", ("opfølgning", "evaluering", "dokumentation", "dokumenteres", "follow-up", "evaluation")),
    ("indicators", ("indikator", "måling", "succeskriteri", "parameter", "indicator")),
    ("economy", ("budget", "økonomi", "takst", "finansiering", "economy")),
    ("activities", ("aktivitet", "indsats", "handleplan", "tiltag", "activities", "action plan")),
    ("background", ("baggrund", "formål", "indledning", "afsæt", "målgruppe", "background", "introduction", "purpose")),
    ("goal", ("mål", "resultat", "virkning", "effekt", "goal", "target", "outcome")),
)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])([\"”’')]?)[ \t]+(?=[A-ZÆØÅ0-9\"“'(•–-])")


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    table: bool


def _is_table_row(line: str) -> bool:
    return " | " in line or line.rstrip().endswith("|")


def _sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, begin = [], start
    for match in _SENTENCE_BREAK.finditer(text, start, end):
        if ends_with_abbreviation(text[begin : match.start()]):
            continue
        spans.append((begin, match.end(1)))  # a closing quote or bracket stays with its sentence
        begin = match.end()
    spans.append((begin, end))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def _units(text: str, start: int, end: int) -> list[_Unit]:
    """The pieces a chunk is packed from: a table row; a run of lines that wrap one sentence ("... hvor 98 kommuner
    indberetter" / "data til KL ..."), so that no chunk ends inside a sentence; a run longer than a chunk is split
    into its sentences."""
    units: list[_Unit] = []
    run: list[tuple[int, int]] = []

    def close_run() -> None:
        if run:
            a, b = run[0][0], run[-1][1]
            spans = _sentence_spans(text, a, b) if b - a > TARGET_MAX else [(a, b)]
            units.extend(_Unit(x, y, False) for x, y in spans)
            run.clear()

    offset = start
    for line in text[start:end].split("\n"):
        line_start, line_end = offset, offset + len(line)
        offset = line_end + 1
        stripped = line.strip()
        if not stripped:
            close_run()
            continue
        lead = len(line) - len(line.lstrip())
        line_start, line_end = line_start + lead, line_start + lead + len(stripped)
        if _is_table_row(stripped):
            close_run()
            units.append(_Unit(line_start, line_end, True))
            continue
        if not (run and carries_on(text[run[-1][0] : run[-1][1]], stripped)):
            close_run()
        run.append((line_start, line_end))
    close_run()
    return units


def _pack(units: list[_Unit]) -> list[list[_Unit]]:
    """Greedy packing into chunks of TARGET_MIN..TARGET_MAX chars; a unit over MAX_CHARS stands alone."""
    groups: list[list[_Unit]] = []
    current: list[_Unit] = []
    for unit in units:
        if current:
            size = current[-1].end - current[0].start
            grown = unit.end - current[0].start
            if grown > MAX_CHARS or (size >= TARGET_MIN and grown > TARGET_MAX):
                groups.append(current)
                current = []
        current.append(unit)
    if current:
        groups.append(current)
    merged: list[list[_Unit]] = []
    for group in groups:
        # A stray tail ("4", a page number left at the end of a run-together page) joins the chunk before it.
        tiny = group[-1].end - group[0].start < _MIN_CHUNK
        if merged and tiny and group[-1].end - merged[-1][0].start <= MAX_CHARS:
            merged[-1] = merged[-1] + group
        else:
            merged.append(group)
    return merged


def _table_headers(text: str, units: list[_Unit]) -> dict[int, str]:
    """Map each table row's start to the first row of its table (the row block it belongs to)."""
    headers: dict[int, str] = {}
    header = ""
    previous: _Unit | None = None
    for unit in units:
        if unit.table:
            contiguous = previous is not None and previous.table and "\n\n" not in text[previous.end : unit.start]
            if not contiguous:
                header = text[unit.start : unit.end].strip()
            headers[unit.start] = header
        previous = unit
    return headers


def kind_of(label: str) -> str:
    """The section kind a heading or line names, or "" when it names none."""
    lowered = label.lower()
    for kind, words in SECTION_KINDS:
        if any(word in lowered for word in words):
            return kind
    return ""


def section_kind(heading_path: tuple[str, ...], chunk_text: str) -> str:
    """Kind from a table row's label ("Hvordan og hvornår dokumenteres ... | ..."), then the nearest heading,
    then the chunk's opening line, then the outer headings."""
    first_line = chunk_text.strip().split("\n", 1)[0]
    row_label = first_line.split("|", 1)[0] if _is_table_row(first_line) else ""
    labels = [row_label, *heading_path[-1:], first_line[:120], *reversed(heading_path[:-1])]
    for label in labels:
        kind = kind_of(label)
        if kind:
            return kind
    return "other"


def _heading_only(chunk_text: str, path: tuple[str, ...]) -> bool:
    """A heading with no body of its own ("2. Grundoplysninger" before "2.1", "Udviklingsmål" / "God modtagelse")."""
    lines = [line.strip() for line in chunk_text.split("\n") if line.strip()]
    if not path or len(chunk_text) > _MAX_HEADING_ONLY or len(lines) > 2:
        return False
    return lines[-1].rstrip(" |") == path[-1]


def _page(page_starts: tuple[int, ...], offset: int) -> int | None:
    return max(1, bisect_right(page_starts, offset)) if page_starts else None


def _heading_paths(headings: list[Heading]) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    stack: list[Heading] = []
    for heading in headings:
        while stack and stack[-1].level >= heading.level:
            stack.pop()
        stack.append(heading)
        paths.append(tuple(h.text for h in stack))
    return paths


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    segment = text[start:end]
    lead = len(segment) - len(segment.lstrip())
    return start + lead, start + len(segment.rstrip())


def split_document(
    doc_id: str,
    text: str,
    page_starts: tuple[int, ...],
    marked: tuple[tuple[str, int], ...] = (),
    marked_up: bool = False,
) -> tuple[Section, ...]:
    """Sections following the document's own headings (`marked`: those its file sets as headings, with their
    level; `marked_up`: by markup), each cut into chunks with stable ids."""
    headings = find_headings(text, marked, marked_up)
    bounds = [(0, ())] if not headings or text[: headings[0].start].strip() else []
    bounds += list(zip((h.start for h in headings), _heading_paths(headings), strict=True))
    sections: list[Section] = []
    counter = 0
    for index, (raw_start, path) in enumerate(bounds):
        raw_end = bounds[index + 1][0] if index + 1 < len(bounds) else len(text)
        start, end = _trimmed(text, raw_start, raw_end)
        if start >= end:
            continue
        units = _units(text, start, end)
        headers = _table_headers(text, units)
        chunks: list[Chunk] = []
        for group in _pack(units):
            chunk_start, chunk_end = group[0].start, group[-1].end
            chunk_text = text[chunk_start:chunk_end]
            if _heading_only(chunk_text, path):
                continue
            first_row = next((u for u in group if u.table), None)
            header = headers.get(first_row.start, "") if first_row else ""
            if first_row and header == text[first_row.start : first_row.end].strip():
                header = ""  # the chunk already holds its own header row
            chunks.append(
                Chunk(
                    id=f"{doc_id}:{counter:04d}",
                    document_id=doc_id,
                    heading_path=path,
                    text=chunk_text,
                    start=chunk_start,
                    end=chunk_end,
                    page=_page(page_starts, chunk_start),
                    page_end=_page(page_starts, chunk_end - 1),
                    table_header=header,
                    section_kind=section_kind(path, chunk_text),
                )
            )
            counter += 1
        sections.append(
            Section(
                heading_path=path,
                start=start,
                end=end,
                page_start=_page(page_starts, start),
                page_end=_page(page_starts, end - 1),
                text=text[start:end],
                chunks=tuple(chunks),
            )
        )
    return tuple(sections)
