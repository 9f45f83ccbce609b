"""Text cleaning: remove what is not content (control junk, tables of contents, scraped-page noise).

Every rule is a small function over the whole text; `clean_text` composes them in a fixed order. The
rules are deliberately conservative: a line is only dropped when its shape says it cannot be body text,
because whatever is removed here can never be quoted back to a user.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

# Only typographic ligatures are expanded: full NFKC would also rewrite "½" to "1⁄2" and "m²" to "m2",
# which changes what a number says.
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
_ODD_SPACES = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\t]")
_ZERO_WIDTH = re.compile(r"[\u00ad\u200b\u200c\u200d\u2060\ufeff]")  # U+00AD soft hyphen is invisible
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_TRAILING_SPACE = re.compile(r"[ ]+$", re.MULTILINE)
_MANY_BLANK_LINES = re.compile(r"\n{4,}")

# Line-end hyphenation: a lowercase letter, "-", newline, lowercase continuation.
_LINE_END_HYPHEN = re.compile(r"(?<![\w-])([^\W\d_]+)-\n([a-zæøåäöüé]+)")
# A left part this short is an abbreviation or prefix ("it-", "e-", "tv-") that keeps its hyphen.
_MIN_JOIN_PREFIX = 4
# Continuations that show the hyphen belongs to a shortened compound ("social- og sundhed").
_COMPOUND_CONTINUATIONS = frozenset({"og", "eller", "til", "samt", "som", "and", "or", "to"})

# One table-of-contents entry: optional section number, title, page number at the end.
_TOC_ENTRY = re.compile(r"^(?:\d+(?:\.\d+)*\.?\s+)?\S.{0,140}?(?:\s|\.{2,}|…)\s*(\d{1,3})$")
_TOC_NUMBERED = re.compile(r"^\d+(?:\.\d+)*\.?\s+\S")
_TOC_TITLES = re.compile(r"^\s*(indholdsfortegnelse|indhold|contents|table of contents)\s*:?\s*$", re.IGNORECASE)
_MIN_TOC_RUN = 3
_MIN_ASCENDING_SHARE = 0.8
# Run-together TOC entries inside one long line: "1.1 Randersmodellen ... 4 1.2 Virksomhedsplaner... 5".
_DOTTED_ENTRY = re.compile(r"[^.…]{1,160}?(?:\.{2,}|…)\s*\d{1,3}")
_MIN_DOTTED_ENTRIES = 3
_MIN_DOTTED_SHARE = 0.8

_RELATED_START = re.compile(r"^[ \t]*relaterede dokumenter[ \t]*:?[ \t]*$", re.IGNORECASE | re.MULTILINE)
_TRANSCRIPT = re.compile(r"^[ \t]*transkript[ \t]*:?[ \t]*$", re.IGNORECASE | re.MULTILINE)


def normalise_characters(text: str) -> str:
    """NFC, ligatures expanded, LF line ends, odd spaces to plain spaces, control/zero-width chars removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = unicodedata.normalize("NFC", text).translate(_LIGATURES)
    text = _ZERO_WIDTH.sub("", text)
    text = _CONTROLS.sub("", text)
    text = _ODD_SPACES.sub(" ", text)
    text = _TRAILING_SPACE.sub("", text)
    return _MANY_BLANK_LINES.sub("\n\n\n", text)


def join_hyphenated_words(text: str) -> str:
    """Join "Syste-\\nmatic" into one word; keep the hyphen of real compounds ("it-\\nsystem", "CPR-\\nnummer")."""

    def join(match: re.Match[str]) -> str:
        left, right = match.group(1), match.group(2)
        keep = (
            len(left) < _MIN_JOIN_PREFIX
            or not left[-1].islower()
            or any(ch.isupper() for ch in left[1:])  # "eSundhed-", "NemID-": a name, not a broken word
            or right in _COMPOUND_CONTINUATIONS
        )
        return f"{left}-\n{right}" if keep else f"{left}{right}\n"

    return _LINE_END_HYPHEN.sub(join, text)


def _is_toc_entry(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and "|" not in stripped and _TOC_ENTRY.match(stripped) is not None


def _mostly_ascending(pages: list[int]) -> bool:
    # Anonymised page numbers ("00") break strict order, so a few steps down are tolerated.
    steps = list(zip(pages, pages[1:], strict=False))
    return sum(1 for a, b in steps if a <= b) >= _MIN_ASCENDING_SHARE * len(steps)


def remove_toc_lines(text: str) -> str:
    """Drop tables of contents: a "Indholdsfortegnelse" title and runs of "2.6.1. Title 17" lines.

    A run counts only when it has at least three numbered entries whose page numbers never decrease, so a
    numbered list in the body ("1. Borgergennemgange") is not mistaken for one.
    """
    lines = text.split("\n")
    drop: set[int] = set()
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and _is_toc_entry(lines[j]):
            j += 1
        run = lines[i:j]
        pages = [int(_TOC_ENTRY.match(line.strip()).group(1)) for line in run]  # type: ignore[union-attr]
        numbered = sum(1 for line in run if _TOC_NUMBERED.match(line.strip()))
        if numbered >= _MIN_TOC_RUN and _mostly_ascending(pages):
            drop.update(range(i, j))
            if i > 0 and _TOC_TITLES.match(lines[i - 1]):
                drop.add(i - 1)
        i = max(j, i + 1)
    for n, line in enumerate(lines):
        if _TOC_TITLES.match(line) and n + 1 in drop:
            drop.add(n)
    return "\n".join(line for n, line in enumerate(lines) if n not in drop)


def _is_run_together_toc(line: str) -> bool:
    entries = _DOTTED_ENTRY.findall(line)
    if len(entries) < _MIN_DOTTED_ENTRIES:
        return False
    return sum(len(entry) for entry in entries) >= _MIN_DOTTED_SHARE * len(line.strip())


def remove_run_together_toc(text: str) -> str:
    """Drop lines that are mostly dotted-leader entries ("Indhold 1 Plan... 4 1.1 Model... 4 ...")."""
    return "\n".join(line for line in text.split("\n") if not _is_run_together_toc(line))


def remove_related_documents(text: str) -> str:
    """Drop a scraped page's "Relaterede dokumenter" list through its "Transkript:" marker.

    The title line above the list is kept; without a "Transkript:" marker after it nothing is removed,
    since then there is no telling where the list ends.
    """
    start = _RELATED_START.search(text)
    if start is None:
        return text
    end = _TRANSCRIPT.search(text, start.end())
    if end is None:
        return text
    return text[: start.start()] + text[end.end() :].lstrip(" ")


_RULES: tuple[Callable[[str], str], ...] = (
    normalise_characters,
    join_hyphenated_words,
    remove_related_documents,
    remove_toc_lines,
    remove_run_together_toc,
)


def clean_text(text: str) -> str:
    """Apply every cleaning rule in order; the result keeps all real content verbatim."""
    for rule in _RULES:
        text = rule(text)
    return _MANY_BLANK_LINES.sub("\n\n\n", text).strip("\n")


def clean_pages(pages: list[str]) -> tuple[str, tuple[int, ...]]:
    """Clean each page and join them with a blank line; returns the text and each page's start offset."""
    parts: list[str] = []
    starts: list[int] = []
    offset = 0
    for page in pages:
        cleaned = clean_text(page)
        starts.append(offset)
        parts.append(cleaned)
        offset += len(cleaned) + 2
    return "\n\n".join(parts), tuple(starts)
