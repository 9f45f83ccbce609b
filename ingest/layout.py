"""Headings a PDF marks by type size: lines set larger than the document's body text.

Report-style PDFs (guides, supervision reports, standards) number few or none of their headings; what tells a
reader where a section begins is the larger type. pypdf reports every text run with its font size and matrices
while it extracts a page's text (`extract_text(visitor_text=...)`), so the sizes come with the text at no second
parse. Runs are gathered into lines by their baseline; a line is a heading when its type is at least LARGER times
the body size (the size most characters are set in), it is short and holds words. Consecutive heading lines of one
size are one wrapped heading. Levels follow the sizes that recur: the largest is level 1. The cover's largest
type is the title (ingest/titles.py), not a heading. The headings are matched to the cleaned text's lines later
(ingest/headings.py), so running headers removed by cleaning never become sections.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from ingest.titles import LEADER

LARGER = 1.15
MAX_HEADING = 110  # longer than this a large-type line is a lead paragraph, not a heading
MAX_LEVELS = 3
MIN_LETTERS = 3
# A size that sets more than this share of the characters, and more than a page of them, is a second body type (a
# report's larger main text), not heading type: headings are a small part of any document of some length.
MAX_HEADING_SHARE = 0.05
PAGE_CHARACTERS = 2000
_LETTER = re.compile(r"[^\W\d_]")


@dataclass
class _Line:
    page: int
    size: float  # the largest type size in the line, in points
    text: str


@dataclass
class TypeSizes:
    """Collects the text runs pypdf reports while extracting, page by page, as lines with their type size.

    Use: `sizes.start_page(n)` before extracting page n with `visitor_text=sizes.visit`, then `sizes.headings()`.
    """

    lines: list[_Line] = field(default_factory=list)
    characters: Counter[float] = field(default_factory=Counter)  # type size -> characters set in it
    _page: int = 0
    _baseline: float | None = None
    _parts: list[str] = field(default_factory=list)
    _size: float = 0.0

    def start_page(self, number: int) -> None:
        self._end_line()
        self._page, self._baseline = number, None

    def visit(self, text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if not text:
            return
        # The rendered size: the font size scaled by the text and the transformation matrix (vertical extent).
        scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])
        rendered = round(size * (scale or 1.0) * 2) / 2
        baseline = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        if self._baseline is not None and abs(baseline - self._baseline) > max(1.0, 0.5 * rendered):
            self._end_line()
        self._baseline = baseline
        for number, piece in enumerate(text.split("\n")):
            if number and self._parts:  # a newline in the run ends the line
                self._end_line()
            if piece.strip():
                self._parts.append(piece)
                self._size = max(self._size, rendered)
                self.characters[rendered] += len(piece.strip())

    def _end_line(self) -> None:
        text = " ".join("".join(self._parts).split())
        if text:
            self.lines.append(_Line(self._page, self._size, text))
        self._parts, self._size = [], 0.0

    def headings(self) -> tuple[tuple[str, int], ...]:
        """(heading text, level) in document order."""
        self._end_line()
        if not self.characters:
            return ()
        body = self.characters.most_common(1)[0][0]
        total = sum(self.characters.values())
        text_sizes = {
            size for size, n in self.characters.items() if n > max(MAX_HEADING_SHARE * total, PAGE_CHARACTERS)
        }
        found: list[_Line] = []
        last = -2  # index in self.lines of the line that ended the last heading
        for n, line in enumerate(self.lines):
            if line.size in text_sizes or not _heading_like(line, body):
                continue
            if n == last + 1 and found[-1].page == line.page and found[-1].size == line.size:
                found[-1].text = f"{found[-1].text} {line.text}"  # a heading wrapped over two lines
            else:
                found.append(_Line(line.page, line.size, line.text))
            last = n
        largest = max((h.size for h in found), default=0.0)
        kept = [h for h in found if not (h.page == 0 and h.size == largest) and len(h.text) <= MAX_HEADING]
        # Levels follow the sizes that recur; a size set once (a contents page's heading, a cover line) would
        # otherwise put every later section under it, so it takes the level of the most used heading size.
        used = Counter(h.size for h in kept)
        sizes = sorted((size for size, n in used.items() if n > 1), reverse=True) or sorted(used, reverse=True)
        common = used.most_common(1)[0][0] if used else 0.0
        return tuple((h.text, min(sizes.index(h.size if h.size in sizes else common) + 1, MAX_LEVELS)) for h in kept)


def _heading_like(line: _Line, body: float) -> bool:
    return (
        line.size >= LARGER * body
        and len(line.text) <= MAX_HEADING
        and len(_LETTER.findall(line.text)) >= MIN_LETTERS
        and not LEADER.search(line.text)  # a contents line
    )
