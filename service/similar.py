"""Highlights for precedent search: the spans of a passage whose words the draft shares (after stemming)."""

from __future__ import annotations

import re

from index.lexical import tokenize

_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+")
# Two highlighted words separated by at most this many characters of gap become one span.
MAX_GAP = 3


def highlight_spans(draft: str, passage: str) -> list[tuple[int, int]]:
    """[start, end) spans within `passage` (merged across small gaps) whose terms occur in `draft`."""
    draft_terms = set(tokenize(draft))
    spans: list[tuple[int, int]] = []
    for match in _WORD.finditer(passage):
        terms = tokenize(match.group())
        if not terms or not any(term in draft_terms for term in terms):
            continue
        start, end = match.span()
        if spans and start - spans[-1][1] <= MAX_GAP:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans
