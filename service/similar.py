"""Precedent search: passages ranked by their closest sentence to the draft, and the spans the draft shares.

A draft is one or two sentences; a passage is several. Whole-passage similarity dilutes the one sentence that
words the same goal, so the hybrid search supplies a pool of passages and each is scored mostly by its best
sentence (benchmarks/eval_similar.py: recall@5 0.65 -> 0.80 on the precedent drafts).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from index.search import Hit
from ingest.danish import TOKEN, tokenize

# Passages the hybrid search hands to the sentence ranking, and the weight of the best sentence against the
# passage as a whole.
POOL = 40
SENTENCE_WEIGHT = 0.7

# Two highlighted words separated by at most this many characters of gap become one span.
MAX_GAP = 3


def highlight_spans(draft: str, passage: str) -> list[tuple[int, int]]:
    """[start, end) spans within `passage` (merged across small gaps) whose terms occur in `draft`."""
    draft_terms = set(tokenize(draft))
    spans: list[tuple[int, int]] = []
    for match in TOKEN.finditer(passage):
        terms = tokenize(match.group())
        if not terms or not any(term in draft_terms for term in terms):
            continue
        start, end = match.span()
        if spans and start - spans[-1][1] <= MAX_GAP:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def rank_by_sentences(hits: list[Hit], best: np.ndarray) -> list[Hit]:
    """`hits` re-scored by `best`, the cosine of each one's statement closest to the draft (`Index.best_statements`
    of the draft as written; NaN for a passage without statements), and, less, their own similarity, best first."""
    rescored = [
        replace(
            hit,
            score=SENTENCE_WEIGHT * (hit.dense_score if np.isnan(b) else b) + (1 - SENTENCE_WEIGHT) * hit.dense_score,
        )
        for hit, b in zip(hits, best, strict=True)
    ]
    return sorted(rescored, key=lambda hit: hit.score, reverse=True)
