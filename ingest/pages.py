"""Page-level cleanup: character normalisation of extracted page text and removal of running headers/footers.

A running line is one that sits in the top or bottom block of many pages: a page header ("Københavns
Kommune"), a footer with a page number ("Side 3 af 28", "Rigsarkivet → Vejledning ... Side 6 af 162"), a
repeated table header, or a bare page number ("- 3 -", "3/28"). Lines are compared by their letters and
digits only, so letter-spaced header junk ("Ve r s i on Dat o") that PDF extraction spaces differently per
page still matches. Only the unbroken run of such lines at a page's top and bottom is removed, so a
heading that merely recurs in the body ("Beslutninger") is kept.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass

# Symbol/Wingdings bullets that Word PDFs emit as private-use code points.
_PRIVATE_BULLETS = str.maketrans({"\uf0b7": "•", "\uf0a7": "▪", "\uf0d8": "➢", "\uf0fc": "✓", "\uf076": "❖"})
_SPACES = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000]")
# NUL and other C0/C1 controls (tab and newline excepted): PDFs emit NUL where a tab stop was.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")
_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)

_DIGITS = re.compile(r"\d+")
# Keys keep letters and digits only: the same footer comes out as "Rigsarkivet → ..." from one font and
# "Rigsarkivet ➢ ..." from another, and letter-spacing varies per page.
_NOT_ALNUM = re.compile(r"[\W_]+")
_SHAPE_TOKEN = re.compile(r"#|[^\W\d_]+")

# Positions may drift a little between pages (an extra header line on one page), hence the tolerance.
_POSITION_TOLERANCE = 2
_MAX_EDGE_LINES = 60
_MIN_SHARE = 0.5  # a running line recurs on at least half the pages
# A number that follows the page number is strong evidence on its own, and one footer may come out in
# several spellings (pdfminer and pypdf pages, two fonts), so each spelling needs fewer pages.
_MIN_SHARE_PAGED = 0.05
_PAGE_NUMBER_DEPTH = 2
_MIN_MERGED_CHARS = 10
_LETTER_SPACED_TOKENS = 4  # stray single letters in one line; Danish has only "i" and "å" as words
# What a page number looks like once reduced to a shape: a bare number ("3", "- 3 -", "3/28") or a number
# after a page word ("Side 3 af 28", "Page 3", "s. 3"). Other numbered lines ("Mål 3", "Punkt 3: ...")
# are headings even when they happen to follow the page count.
_PAGE_NUMBER_SHAPE = re.compile(r"^#( #)?$|(?:^| )(?:side|sida|page|seite|s) #")
# A page count inside a running line: "Side 6 af 162", "Page 6 of 162", "6/162".
_PAGE_NUMBERING = re.compile(r"\b(?:side|sida|page|seite)\s+\d+(?:\s+(?:af|of|von)\s+\d+)?\b|\b\d+\s*/\s*\d+\s*$", re.I)


def normalise_page(text: str) -> str:
    """Unicode NFC, LF line ends, no NUL/control/zero-width chars, plain spaces, no trailing blanks.

    NFC matters for Danish: "å" may arrive as "a" + combining ring and must compare equal to "å".
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = unicodedata.normalize("NFC", text)
    text = _ZERO_WIDTH.sub("", text)
    text = _CONTROLS.sub(" ", text)
    text = _SPACES.sub(" ", text.translate(_PRIVATE_BULLETS))
    return _TRAILING_SPACE.sub("", text)


@dataclass(frozen=True)
class _Line:
    page: int  # 0-based
    index: int  # position among the page's non-blank lines
    from_bottom: int
    exact: str  # lowercased letters and digits only
    shape: str  # words and numbers ("#") separated by single spaces: "side # af #"
    numbers: tuple[int, ...]
    letter_spaced: bool  # "Ve r s i on Dat o": extraction junk, not worth keeping even once


def read_running(pages: list[str]) -> tuple[list[str], list[str]]:
    """The pages without their running lines (`strip_running_lines`) and the running lines' texts
    (`running_headers`), the running lines found once."""
    if len(pages) < 2:
        return list(pages), []
    found = _running(pages)
    return _stripped(pages, *found), _headers(pages, *found)


def strip_running_lines(pages: list[str]) -> list[str]:
    """Remove running headers/footers and page-number lines; a single-page document is returned unchanged.

    Repeated text lines (headers, table headers) keep their first occurrence, since it may be the only
    place a document title or column header is written; lines that carry the page number go everywhere.
    """
    return read_running(pages)[0]


def _stripped(
    pages: list[str], lines: list[list[_Line]], paged: set[tuple[int, int]], repeated: set[tuple[int, int]]
) -> list[str]:
    all_lines = [line for page_lines in lines for line in page_lines]
    running_texts = {line.exact for line in all_lines if (line.page, line.index) in repeated}
    first_seen = _first_occurrences(all_lines, repeated)

    def removable(line: _Line, anywhere: bool) -> bool | None:
        """True: remove; False: keep but the run goes on (a kept first occurrence); None: the run ends."""
        key = (line.page, line.index)
        if key in paged:
            return True
        if key in repeated or (anywhere and line.exact in running_texts):
            return line.letter_spaced or first_seen.get(line.exact) != line.page
        return None

    remove: dict[int, set[int]] = defaultdict(set)
    for page_lines in lines:
        # Runs start at the page's top and bottom, and at page-number lines that layout analysis
        # placed mid-page (pdfminer orders text boxes, not lines, and may put the footer box anywhere).
        starts = [(0, 1, False), (len(page_lines) - 1, -1, False)]
        for line in page_lines:
            if (line.page, line.index) in paged and 0 < line.index < len(page_lines) - 1:
                starts += [(line.index, 1, True), (line.index, -1, True)]
        for start, step, anywhere in starts:
            i = start
            while 0 <= i < len(page_lines):
                verdict = removable(page_lines[i], anywhere)
                if verdict is None:
                    break
                if verdict:
                    remove[page_lines[i].page].add(page_lines[i].index)
                i += step
    return [_drop_lines(text, remove.get(page_no, set())) for page_no, text in enumerate(pages)]


def running_headers(pages: list[str]) -> list[str]:
    """The texts of a document's running lines with their page numbering taken out, the line on most pages first
    ("Rigsarkivet → Vejledning til bekendtgørelse om arkiveringsversioner" from "... Side 6 af 162"): a
    document whose cover is a picture names itself only there."""
    return read_running(pages)[1]


def _headers(
    pages: list[str], lines: list[list[_Line]], paged: set[tuple[int, int]], repeated: set[tuple[int, int]]
) -> list[str]:
    running = paged | repeated
    found: Counter[str] = Counter()
    for page_no, page_lines in enumerate(lines):
        raw = [line for line in pages[page_no].split("\n") if line.strip()]
        for line in page_lines:
            if (line.page, line.index) in running:
                text = " ".join(_PAGE_NUMBERING.sub(" ", raw[line.index]).split()).strip(" ·•|,:-–—")
                if text:
                    found[text] += 1
    return [text for text, _ in found.most_common()]


def _running(pages: list[str]) -> tuple[list[list[_Line]], set[tuple[int, int]], set[tuple[int, int]]]:
    """Each page's lines, and the (page, line) positions that carry the page number and that run over pages."""
    min_pages = max(2, math.ceil(_MIN_SHARE * len(pages)))
    lines = [_page_lines(page_no, text) for page_no, text in enumerate(pages)]
    all_lines = [line for page_lines in lines for line in page_lines]
    min_paged = min(min_pages, max(3, round(_MIN_SHARE_PAGED * len(pages))))
    paged = _page_number_lines(all_lines, min_paged)
    paged_lines = [line for line in all_lines if (line.page, line.index) in paged]
    return lines, paged, _repeated_lines(all_lines, min_pages, paged_lines)


def _page_lines(page_no: int, text: str) -> list[_Line]:
    nonblank = [raw for raw in text.split("\n") if raw.strip()]
    result = []
    for index, raw in enumerate(nonblank):
        from_bottom = len(nonblank) - 1 - index
        exact = _NOT_ALNUM.sub("", raw).lower()
        # Numbers and shape come from the raw line: "3/28" must stay two numbers.
        numbers = tuple(int(n) for n in _DIGITS.findall(raw))
        shape = " ".join(_SHAPE_TOKEN.findall(_DIGITS.sub("#", raw).lower()))
        spaced = sum(1 for token in raw.split() if len(token) == 1 and token.isalpha() and token not in "iIåÅ")
        result.append(_Line(page_no, index, from_bottom, exact, shape, numbers, spaced >= _LETTER_SPACED_TOKENS))
    return result


def _repeated_lines(lines: list[_Line], min_pages: int, paged: list[_Line]) -> set[tuple[int, int]]:
    """Lines whose exact text sits at about the same top or bottom position on at least `min_pages` pages.

    A page-number line that contains the text ("Rigsarkivet → Vejledning ... Side 6 af 162", where other
    pages put "Side 6 af 162" on a line of its own) counts as an occurrence too.
    """
    by_text: dict[str, list[_Line]] = defaultdict(list)
    for line in lines:
        by_text[line.exact].append(line)
    found: set[tuple[int, int]] = set()
    for text, own in by_text.items():
        if not any(ch.isalpha() for ch in text):  # a bare number recurring is a value, not a header
            continue
        merged = [line for line in paged if len(text) >= _MIN_MERGED_CHARS and text in line.exact]
        group = own + [line for line in merged if line.exact != text]
        if len({line.page for line in group}) < min_pages:
            continue
        for line in own:
            for position in ("index", "from_bottom"):
                here = getattr(line, position)
                if here >= _MAX_EDGE_LINES:
                    continue
                pages = {other.page for other in group if abs(getattr(other, position) - here) <= _POSITION_TOLERANCE}
                if len(pages) >= min_pages:
                    found.add((line.page, line.index))
    return found


def _page_number_lines(lines: list[_Line], min_pages: int) -> set[tuple[int, int]]:
    """Lines whose numbers track the page number ("Side 6 af 162" on page 6, "5" on page 7 of a body)."""
    by_shape: dict[str, list[_Line]] = defaultdict(list)
    for line in lines:
        if line.numbers and len(line.numbers) <= 4 and _PAGE_NUMBER_SHAPE.search(line.shape):
            by_shape[line.shape].append(line)
    found: set[tuple[int, int]] = set()
    for group in by_shape.values():
        # (which number in the line, its offset from the page number) -> pages where that holds. Only
        # lines at a page edge count as evidence; once established, the pattern is matched anywhere.
        offsets: Counter[tuple[int, int]] = Counter()
        for line in group:
            if _near_edge(line):
                for slot, number in enumerate(line.numbers):
                    offsets[(slot, number - line.page)] += 1
        if not offsets:
            continue
        (slot, offset), count = offsets.most_common(1)[0]
        if count < min_pages:
            continue
        # A bare number mid-page is more likely a table cell than a misplaced page number.
        bare = not any(ch.isalpha() for ch in group[0].shape)
        for line in group:
            if line.numbers[slot] - line.page == offset and not (bare and not _near_edge(line)):
                found.add((line.page, line.index))
    return found


def _near_edge(line: _Line) -> bool:
    return min(line.index, line.from_bottom) <= _PAGE_NUMBER_DEPTH


def _first_occurrences(lines: list[_Line], repeated: set[tuple[int, int]]) -> dict[str, int]:
    """The page where each running text first appears; it is kept there (with any same-key siblings)."""
    first: dict[str, int] = {}
    for line in lines:  # already in document order
        if (line.page, line.index) in repeated:
            first.setdefault(line.exact, line.page)
    return first


def _drop_lines(text: str, indexes: set[int]) -> str:
    if not indexes:
        return text
    kept = []
    index = -1
    for raw in text.split("\n"):
        if raw.strip():
            index += 1
            if index in indexes:
                continue
        kept.append(raw)
    return "\n".join(kept)
