"""Statements: the smallest verbatim spans of an agreement that can answer a question.

A statement is a sentence, a bullet, a short table row (read with its column header) or a label/value pair of a
form or fact box. Long flattened rows and scraped pages that lost their periods are cut into sentences, so a quote
stays short and still verbatim: `document.text[start:end]`. `document_statements` is what the index stores (with
a vector each) and the answerer reads; layout is worked out here, once, not at query time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from ingest.danish import ends_with_abbreviation
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
    document_id: str = ""
    kind: str = "sentence"  # sentence, bullet, row (of a table), value (a label/value pair of a form or fact box)
    label: str = ""  # what names the value: a row's column header, or the label line of a value
    row: str = ""  # what names the row a cell of a long row stands in: the row's first cells (see row_name)

    @property
    def context(self) -> str:
        return " > ".join(self.heading_path)

    def embedding_text(self) -> str:
        # The heading and label tell the embedder what a terse row or value is about ("8 % i 2022" under
        # "Sygefravær").
        return "\n".join(part for part in (self.context, self.row, self.label, self.text) if part)


# Rows longer than this are prose flattened into a table; they are split into sentences instead.
_SHORT_ROW = 300
_BULLET = re.compile(r"^\s*[-•*–o]\s")
_SPLIT = re.compile(r"\s\|\s?|\s?•\s|(?<=[.!?])\s+(?=[A-ZÆØÅ•\-])")
# A period after an ordinal ("1. I meget høj grad") or an abbreviation (danish.ends_with_abbreviation) does not
# end a sentence.
_ORDINAL = re.compile(r"(?<![\d.])\d{1,2}\.$")
# Run-together extractions lose the full stop between statements: a capitalised Danish sentence opener or a
# template label (Resultatmål/Effektmål/Aktivitetsmål, Metoden, Tidspunkter) right after a lower-case word starts
# a new statement.
_SOFT_SPLIT = re.compile(
    r"(?<=[a-zæøå0-9])\s+(?=(?:Ved|Der|Det|Den|De|Disse|Dette|Vi|Alle|Hvis|Når|Inden|Efter|Metoden|"
    r"Aktivitetsmål|Resultatmål|Effektmål|Tidspunkter)[\s:])"
)
TRIM = " \t|•-–*"


def introduces(line: str) -> bool:
    """A line ending with a colon says what follows: a list, a name, a value ("Yderligere oplysninger fås ved
    henvendelse til:")."""
    return line.rstrip().endswith(":")


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
                for statement in _trimmed(document.text, start + piece_start, start + piece_end, heading_path, lead):
                    yield replace(statement, preceding=document.text[start : statement.start])
            stripped = raw.strip(TRIM)
            if introduces(stripped) and len(stripped) < 200:
                lead = stripped


_ENDS = ".!?:;"
# Words no Danish sentence or heading ends with: a line ending with one is cut mid-sentence, whatever case the next
# line starts in ("VISO (Den Nationale Videns- og" / "Specialrådgivningsorganisation)").
_NEVER_LAST = frozenset("og eller samt men at af i på til med for fra om ved hos mellem som".split())


def _last_word(line: str) -> str:
    words = line.split()
    return words[-1].lower() if words else ""


def carries_on(line: str, following: str) -> bool:
    """`following` carries on the sentence of `line`: a PDF wraps a sentence over lines ("Tilsynet gennemføres på
    hverdage i" / "dagtimerne."), so a line that does not end a sentence, followed by one that is not a bullet and
    starts in lower case (or after a word no sentence ends with), continues it; a table row neither continues nor is
    continued. The one notion of a wrapped line, for the chunker (ingest/split.py) and the statements."""
    return (
        line.rstrip()[-1:] not in _ENDS
        and "|" not in line
        and "|" not in following
        and not _BULLET.match(following)
        and (following.lstrip()[:1].islower() or _last_word(line) in _NEVER_LAST)
    )


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(offset, text) of each line of `text`, wrapped lines joined; the text keeps its line breaks (verbatim)."""
    current: tuple[int, int] | None = None
    for match in re.finditer(r"[^\n]+", text):
        line = match.group(0)
        if current is not None:
            previous = text[current[0] : current[1]]
            if carries_on(previous, line) and text[current[1] : match.start()] == "\n":
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
        before = line[start : match.start()]
        if is_sentence_end and (_ORDINAL.search(before) or ends_with_abbreviation(before)):
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


def _trimmed(text: str, start: int, end: int, heading_path: tuple[str, ...], lead: str) -> Iterator[Statement]:
    while start < end and (text[start] in TRIM or (text[start] == "o" and text[start + 1 : start + 2] == " ")):
        start += 1
    while end > start and text[end - 1] in TRIM:
        end -= 1
    if end > start:
        yield Statement(text[start:end], start, end, heading_path, lead)


# -- the statements the index stores ----------------------------------------------------------------------------

# Bump when document_statements changes: stored statements and their vectors are then derived anew.
# 2: a cell of a long row is named by its own column's header
# 3: ... and by its row's first cells; 4: one notion of a wrapped line (carries_on), shared with the chunker;
# 5: one notion of an abbreviation (danish.ends_with_abbreviation), a line ending with "og", "i", ... carries on
STATEMENTS_VERSION = "5"
# A line that is only a figure ("129.441") is a flattened table or fact-box cell; its label is the short line
# after it ("Stykpris kr.") or, failing that, the short line before it.
_BARE_FIGURE = re.compile(r"[\d.,%/ -]+(?:kr\.?|mio\.? kr\.?|%)?")
MAX_LABEL = 60


def document_statements(document: Document) -> list[Statement]:
    """The statements of a document in text order, each inside one chunk, with its kind and label."""
    raw = list(split_statements(document))
    boundaries = sorted({offset for chunk in document.chunks for offset in (chunk.start, chunk.end)})
    text = document.text
    out: list[Statement] = []
    skip = False
    for n, s in enumerate(raw):
        if skip:
            skip = False
            continue
        start, end, kind = s.start, s.end, _kind(text, s)
        label = raw[n + 1] if n + 1 < len(raw) else None
        if (
            label is not None
            and _BARE_FIGURE.fullmatch(s.text)
            and text[end : label.start].strip() == ""
            and "\n" in text[end : label.start + 1]
            and len(label.text) <= MAX_LABEL
            and not _BARE_FIGURE.fullmatch(label.text)
            and label.heading_path == s.heading_path
        ):
            end, skip, kind = label.end, True, "value"  # the value and the label below it are one statement
        name = row_label(text, start, end) if kind == "row" else label_above(text, start)
        row = row_name(text, start) if kind == "row" else ""
        if name and kind == "sentence":
            kind = "value"
        for piece_start, piece_end in _cut(text, start, end, boundaries):
            piece = text[piece_start:piece_end]
            out.append(
                replace(
                    s,
                    text=piece,
                    start=piece_start,
                    end=piece_end,
                    document_id=document.id,
                    kind=kind,
                    label=name,
                    row=row,
                    preceding="",
                )
            )
    return out


def _kind(text: str, statement: Statement) -> str:
    line_start = text.rfind("\n", 0, statement.start) + 1
    line_end = text.find("\n", statement.end)
    line = text[line_start : line_end if line_end != -1 else len(text)]
    if "|" in line:
        return "row"
    return "bullet" if _BULLET.match(line) or statement.lead else "sentence"


def column_header(text: str, start: int) -> str:
    """The first line of the block of `|` rows the row at `start` stands in ("Profession | Antal | Årsværk"),
    or "" when the row is that header itself."""
    line = text.rfind("\n", 0, start) + 1
    first = line
    while first > 0:
        above = text.rfind("\n", 0, first - 1) + 1
        if "|" not in text[above : first - 1]:
            break
        first = above
    if first == line:
        return ""
    end = text.find("\n", first)
    return text[first : end if end != -1 else len(text)].strip()


def row_label(text: str, start: int, end: int) -> str:
    """What names a row or a cell of one: the table's header row for a whole row; for one cell of a long row
    (cut into its cells), the header's cell above it ("Antal borgere" over "450"), when the header has as many
    cells as the row."""
    header = column_header(text, start)
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    row = text[line_start : line_end if line_end != -1 else len(text)]
    names = header.split(" | ")
    whole_row = text[line_start:start].strip(TRIM) == "" and text[end : line_start + len(row)].strip(TRIM) == ""
    if not header or whole_row:
        return header
    if len(names) != row.count(" | ") + 1:
        return header
    return names[text[line_start:start].count(" | ")].strip() or header


# The first cells of a long row name it for each of its cells ("17 | Andet | Konfliktmæglerne | Konfliktmæglerne
# Vesterbro" for the amount granted, "Handlinger" for a step of a use case), as many as fit in this many characters:
# a name, not the row again.
MAX_ROW_NAME = 80


def row_name(text: str, start: int) -> str:
    """What names the row a cell (or a sentence of a cell) of a long row stands in: the cells before its own, from
    the row's first, as many whole cells as fit in MAX_ROW_NAME; "" for a whole row or its first cell."""
    line_start = text.rfind("\n", 0, start) + 1
    before = [cell.strip(TRIM) for cell in text[line_start:start].split("|")[:-1]]
    name = ""
    for cell in filter(None, before):
        longer = f"{name} | {cell}" if name else cell
        if len(longer) > MAX_ROW_NAME:
            break
        name = longer
    return name


def label_above(text: str, start: int) -> str:
    """The short label line right above a value standing on its own line in a form or fact box ("Dato og
    tidspunkt for tilsynsbesøg" above "Onsdag d. 28. august 2013"), or ""."""
    if start == 0 or text[start - 1] != "\n":
        return ""
    above = text[text.rfind("\n", 0, start - 1) + 1 : start - 1].strip()
    is_label = 0 < len(above) <= MAX_LABEL and above[-1] not in ".!?;" and "|" not in above
    return above if is_label else ""


def _cut(text: str, start: int, end: int, boundaries: list[int]) -> list[tuple[int, int]]:
    """[start, end) cut at chunk boundaries inside it: a statement crossing one would belong to no passage and
    could never be quoted."""
    cuts = [start, *(b for b in boundaries if start < b < end), end]
    pieces = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            pieces.append((a, b))
    return pieces
