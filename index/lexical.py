"""BM25 over chunks with a Danish-aware tokenizer: lowercase, æøå kept, numbers kept whole and in parts,
stopwords dropped, Snowball "danish" stemming."""

from __future__ import annotations

import json
import math
from pathlib import Path

import bm25s
import numpy as np

from ingest.danish import STOPWORDS, TOKENIZER_VERSION, tokenize

__all__ = ["STOPWORDS", "TOKENIZER_VERSION", "LexicalIndex", "tokenize"]

_DF_FILE = "document_frequency.json"


class LexicalIndex:
    """BM25 scores for every chunk row; rows line up with the dense vectors."""

    def __init__(self, bm25: bm25s.BM25 | None, document_frequency: dict[str, int], size: int) -> None:
        self._bm25 = bm25
        self._df = document_frequency
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        corpus = [tokenize(text) for text in texts]
        df: dict[str, int] = {}
        for tokens in corpus:
            for token in set(tokens):
                df[token] = df.get(token, 0) + 1
        if not corpus:
            return cls(None, df, 0)
        bm25 = bm25s.BM25()
        bm25.index(corpus, show_progress=False)
        return cls(bm25, df, len(corpus))

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every row (float32, zeros when no query term is in the corpus)."""
        known = [token for token in query_tokens if token in self._df]
        if self._bm25 is None or not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency; a term absent from the corpus counts as the rarest."""
        df = self._df.get(token, 1)
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def coverage(self, query_tokens: list[str]) -> float:
        """Share of the query's distinct terms (idf-weighted) that occur in the corpus, in [0, 1].

        Unknown terms weigh as much as the rarest corpus term, so a query written in another language than
        the corpus scores low even if it happens to share a few common words or numbers."""
        distinct = set(query_tokens)
        if not distinct or self.size == 0:
            return 0.0
        total = sum(self.idf(token) for token in distinct)
        known = sum(self.idf(token) for token in distinct if token in self._df)
        return known / total if total > 0 else 0.0

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / _DF_FILE).write_text(
            json.dumps({"size": self.size, "df": self._df}, ensure_ascii=False), encoding="utf-8"
        )
        if self._bm25 is not None:
            self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """Raises OSError/ValueError/KeyError on missing or damaged files (the store maps them)."""
        data = json.loads((folder / _DF_FILE).read_text(encoding="utf-8"))
        size = int(data["size"])
        bm25 = bm25s.BM25.load(str(folder), show_progress=False, verbosity=0) if size else None
        return cls(bm25, {str(k): int(v) for k, v in data["df"].items()}, size)
