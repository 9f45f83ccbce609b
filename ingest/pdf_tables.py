"""Ruled PDF tables read row by row, the way Word and HTML tables already are.

pypdf reads a ruled table in drawing order, often column by column and cell line by cell line, so a row's figures
end up far from the column header that says what they are ("450 45" under "Antal borgere", "Frivillige" dozens
of lines above). pdfplumber finds the grid from the ruling lines; each row with at least two filled cells becomes
one `cell | cell | cell` line, with the table's first such row (its header) on top, so `statements.column_header`
names every value. Boxes around prose (one filled cell per row) are frames, not tables, and stay as they were.

The rows replace the lines pypdf read the grid into; everything else on the page stays pypdf's, so running
headers and headings read the same on every page. `load.extract_pdf` keeps the result only when it holds the
page's letters (`reads_as_well`), as it keeps pdfminer's reading only when it decodes better.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from pathlib import Path

from ingest.danish import TOKEN

_log = logging.getLogger(__name__)

_DANISH = re.compile(r"[æøåÆØÅ]")
# A row is a table row when at least this many of its cells hold text; a box with one filled cell per row is
# a frame around prose.
_MIN_CELLS = 2
# A grid needs at least this many table rows to be a table rather than a two-column form line.
_MIN_ROWS = 2
# A grid replaces the page's lines only when they hold this share of its text (the rest is wrapping and order).
_FOUND = 0.8
_KEEP_LETTERS = 0.97  # the share of pypdf's letters the rebuilt page must keep (cells, not running text)

Cell = tuple[float, float, str]  # left edge, right edge, text


def table_pages(path: Path, texts: list[str]) -> dict[int, str]:
    """0-based page -> its text (`texts`, pypdf's) with each ruled table's lines replaced by the table's rows,
    for the pages that have such a table."""
    import pdfplumber  # slow import; only PDFs need it

    # Letter runs, not danish.words: a word broken in a cell is matched by its letters ("3åri|g" -> "årig").
    known = {token for text in texts for token in TOKEN.findall(text.casefold()) if token[0].isalpha()}
    result: dict[int, str] = {}
    try:
        with pdfplumber.open(path) as pdf:
            for i, page in enumerate(pdf.pages):
                if i < len(texts) and texts[i].strip() and (page.lines or page.rects):  # no ruling, no grid
                    text = _with_tables(page, texts[i], known)
                    if text is not None:
                        result[i] = text
                page.flush_cache()
    except Exception as exc:  # pdfplumber is a second reading; the pages keep pypdf's text
        _log.warning("%s: table reading failed (%s); keeping the plain text", path, exc)
    return result


def reads_as_well(candidate: str, current: str) -> bool:
    """The rebuilt page holds the page's letters: none of pypdf's Danish letters lost, barely any letter lost."""
    old, new = _letters(current), _letters(candidate)
    kept_letters = sum(new.values()) >= _KEEP_LETTERS * sum(old.values())
    kept_danish = len(_DANISH.findall(candidate)) >= len(_DANISH.findall(current))
    return bool(old) and kept_letters and kept_danish


def table_rows(cells: list[list[Cell]], words: set[str] = frozenset()) -> list[str]:
    """A grid's rows as lines. `cells` holds, row by row, each filled cell's left and right edge and its text.

    A row whose cells all begin in lower case continues the row above (a header or a cell that runs over
    several ruled rows). The first row with two or more cells is the header. Rows are written in the header's
    columns, plus a column of their own for cells under no header cell (`Mål 1 ... |  | x |  | 86 %`: which
    column holds the mark matters); a row that does not fit them is written as its cells in order, and a row
    with one cell as its text.
    """
    rows = _joined_continuations(cells, words)
    header = next((row for row in rows if len(row) >= _MIN_CELLS), [])
    columns = _columns(header, rows) if header else []
    lines = []
    for row in rows:
        placed = [_column(cell, columns) for cell in row]
        if len(row) < _MIN_CELLS:
            lines.extend(text for _, _, text in row)
        elif None not in placed and len(set(placed)) == len(placed):
            values = [""] * len(columns)
            for column, (_, _, text) in zip(placed, row, strict=True):
                values[column] = text  # type: ignore[index]
            lines.append(" | ".join(values))
        else:
            lines.append(" | ".join(text for _, _, text in row))
    return lines


def _joined_continuations(cells: list[list[Cell]], words: set[str]) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for row in cells:
        if not row:
            continue
        above = rows[-1] if rows else []
        targets = [_column(cell, [(left, right) for left, right, _ in above]) for cell in row]
        if above and None not in targets and all(_continues(text) for _, _, text in row):
            for target, (_, _, text) in zip(targets, row, strict=True):
                left, right, before = above[target]  # type: ignore[index]
                above[target] = (left, right, _join_lines(before, text, words))  # type: ignore[index]
        else:
            rows.append(list(row))
    return rows


def _columns(header: list[Cell], rows: list[list[Cell]]) -> list[tuple[float, float]]:
    """The header's cells as columns, and a column for each run of cells that lies under none of them."""
    columns = [(left, right) for left, right, _ in header]
    for row in rows:
        for left, right, _ in row:
            if _column((left, right, ""), columns) is None:
                columns.append((left, right))
    return sorted(columns)


def _column(cell: Cell, columns: list[tuple[float, float]]) -> int | None:
    """The column the cell lies under most (by horizontal overlap), or None when it lies under none."""
    if not columns:
        return None
    overlaps = [min(cell[1], right) - max(cell[0], left) for left, right in columns]
    best = max(range(len(columns)), key=overlaps.__getitem__)
    return best if overlaps[best] > 0 else None


def _continues(text: str) -> bool:
    first = next((ch for ch in text if ch.isalnum()), "")
    return first.isalpha() and first.islower()


def cell_text(cell: str | None, words: set[str]) -> str:
    """One cell's text on one line: vertical text (a letter or two per line) joined, words broken by a narrow
    column rejoined when the whole word occurs in the document, other lines joined with a space."""
    if not cell:
        return ""
    lines = [line.strip() for line in cell.split("\n") if line.strip()]
    if len(lines) >= 3 and sum(map(len, lines)) <= 2 * len(lines):  # rotated text: a letter or two a line
        return "".join(lines)
    out = lines[0] if lines else ""
    for line in lines[1:]:
        out = _join_lines(out, line, words)
    return " ".join(out.split())


def _join_lines(before: str, after: str, words: set[str] = frozenset()) -> str:
    """Two lines of one cell: a word a narrow column broke ("borge" + "re", "Målopfyldelses-" + "procent") is
    joined when the whole word occurs in the document, otherwise the lines are joined with a space."""
    tail, head = _last_word(before.rstrip("-")), _first_word(after)
    if tail and head and head[0].islower() and (tail + head).casefold() in words:
        return before.rstrip("-") + after
    return before + " " + after


def _with_tables(page: object, plain: str, words: set[str]) -> str | None:
    """`plain` with the lines each grid was read into replaced by the grid's rows. The grid's lines are the
    longest run of consecutive lines that all occur in the grid's own text and together hold most of it; a grid
    whose text cannot be found so is left as it was."""
    lines = plain.split("\n")
    changed = False
    for table in page.find_tables():  # type: ignore[attr-defined]
        cells = _filled_cells(table, words)
        if sum(len(row) >= _MIN_CELLS for row in cells) < _MIN_ROWS:
            continue  # a frame around prose
        inside = _compact("".join(cell or "" for row in table.extract() for cell in row))
        run = _longest_run([_compact(line) for line in lines], inside)
        if run is None:
            continue
        start, end = run
        lines[start:end] = table_rows(cells, words)
        changed = True
    return "\n".join(lines) if changed else None


def _longest_run(lines: list[str], inside: str) -> tuple[int, int] | None:
    """[start, end) of the longest run of lines that each occur in `inside` (blank lines continue a run),
    when the run holds at least _FOUND of `inside`'s characters."""
    best, best_size, start, size = None, 0, None, 0
    for i, line in enumerate([*lines, "\0"]):
        if line and line in inside or (not line and start is not None):
            if start is None:
                start, size = i, 0
            size += len(line)
            continue
        if start is not None and size > best_size:
            best, best_size = (start, i), size
        start = None
    return best if best is not None and best_size >= _FOUND * len(inside) else None


def _compact(text: str) -> str:
    return "".join(text.split()).casefold()


def _filled_cells(table: object, words: set[str]) -> list[list[Cell]]:
    """Row by row, each cell that holds text: (left, right, text). A merged cell is one cell (pdfplumber gives
    the cells it covers as None)."""
    rows = []
    for row, texts in zip(table.rows, table.extract(), strict=True):  # type: ignore[attr-defined]
        filled = []
        for bbox, raw in zip(row.cells, texts, strict=True):
            text = cell_text(raw, words)
            if bbox is not None and text:
                filled.append((bbox[0], bbox[2], text))
        rows.append(filled)
    return rows


def _letters(text: str) -> Counter[str]:
    return Counter(ch for ch in text if ch.isalpha())


def _last_word(text: str) -> str:
    tokens = list(TOKEN.finditer(text))
    last = tokens[-1] if tokens else None
    return last.group() if last and last.end() == len(text) and last.group()[0].isalpha() else ""


def _first_word(text: str) -> str:
    first = TOKEN.match(text)
    return first.group() if first and first.group()[0].isalpha() else ""
