"""The default search engine: FAISS vectors and a bm25s index in this process, loaded from the index folder.

Every answer is exact: BM25 is scored over all rows (its moments too), filtered searches score just the admitted
rows, and the dense moments come from the rows' mean and covariance (index/vectors.py)."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from index.engine import EngineRow, Ranked, Where, engine_rows
from index.lexical import LexicalIndex
from index.vectors import VectorIndex
from ingest.documents import Document

# The BM25 scores of every row for the last few queries: one query asks for them up to three times.
_MEMO = 8


class EmbeddedEngine:
    name = "embedded"

    def __init__(self, rows: list[EngineRow], vectors: VectorIndex, lexical: LexicalIndex) -> None:
        self._memo_lock = threading.Lock()
        self._set(rows, vectors, lexical)

    def _set(self, rows: list[EngineRow], vectors: VectorIndex, lexical: LexicalIndex) -> None:
        if not len(rows) == len(vectors) == lexical.size:
            raise ValueError(
                f"index parts disagree: {len(rows)} chunks, {len(vectors)} vectors, {lexical.size} lexical rows"
            )
        self._rows = rows
        self._row_of = {row.id: n for n, row in enumerate(rows)}
        self._vectors = vectors
        self._lexical = lexical
        self.dimension = vectors.dimension
        self._memo: OrderedDict[tuple[str, ...], np.ndarray] = OrderedDict()

    @classmethod
    def of(cls, documents: list[Document], vectors: VectorIndex, lexical: LexicalIndex) -> EmbeddedEngine:
        return cls([row for document in documents for row in engine_rows(document)], vectors, lexical)

    def __len__(self) -> int:
        return len(self._rows)

    def _lexical_all(self, tokens: list[str]) -> np.ndarray:
        key = tuple(tokens)
        with self._memo_lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
        scores = self._lexical.scores(tokens)
        with self._memo_lock:
            self._memo[key] = scores
            while len(self._memo) > _MEMO:
                self._memo.popitem(last=False)
        return scores

    def _admitted(self, where: Where) -> np.ndarray | None:
        """Row numbers `where` admits, or None when it admits every row (the fast unfiltered path)."""
        if where.empty:
            return None
        return np.asarray([n for n, row in enumerate(self._rows) if where.admits(row)], dtype=np.int64)

    def _ranked(self, rows: np.ndarray, scores: np.ndarray) -> Ranked:
        return Ranked([self._rows[int(r)].id for r in rows], np.asarray(scores, dtype=np.float32))

    def dense(self, query: np.ndarray, k: int, where: Where) -> Ranked:
        allowed = self._admitted(where)
        if allowed is None:
            rows, scores = self._vectors.search(query, k)
            return self._ranked(rows, scores)
        scores = self._vectors.scores_for(query, allowed)
        order = np.argsort(-scores, kind="stable")[:k]
        return self._ranked(allowed[order], scores[order])

    def lexical(self, tokens: list[str], k: int, where: Where) -> Ranked:
        every = self._lexical_all(tokens)
        allowed = self._admitted(where)
        if allowed is None:
            rows = np.argsort(-every, kind="stable")[:k]
        else:
            rows = allowed[np.argsort(-every[allowed], kind="stable")][:k]
        rows = rows[every[rows] > 0]
        return self._ranked(rows, every[rows])

    def candidates(self, query: np.ndarray, tokens: list[str], k: int, where: Where) -> tuple[Ranked, Ranked]:
        return self.dense(query, k, where), self.lexical(tokens, k, where)

    def rescore(self, query: np.ndarray, tokens: list[str], ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
        rows = np.asarray([self._row_of[i] for i in ids], dtype=np.int64)
        return self._vectors.scores_for(query, rows), self._lexical_all(tokens)[rows]

    def dense_moments(self, query: np.ndarray) -> tuple[float, float]:
        return self._vectors.score_moments(query)

    def lexical_moments(self, tokens: list[str]) -> tuple[float, float]:
        every = self._lexical_all(tokens)
        return (float(every.mean()), float(every.std())) if len(every) else (0.0, 0.0)

    def coverage(self, tokens: list[str]) -> float:
        return self._lexical.coverage(tokens)

    def upsert(self, document_id: str, rows: list[EngineRow], vectors: np.ndarray) -> None:
        keep = [n for n, row in enumerate(self._rows) if row.document_id != document_id]
        added = np.asarray(vectors, np.float32).reshape(-1, self.dimension)
        matrix = np.concatenate([self._vectors.vectors[keep], added])
        self._rebuild([self._rows[n] for n in keep] + rows, matrix)

    def delete(self, document_id: str) -> None:
        keep = [n for n, row in enumerate(self._rows) if row.document_id != document_id]
        self._rebuild([self._rows[n] for n in keep], self._vectors.vectors[keep])

    def _rebuild(self, rows: list[EngineRow], vectors: np.ndarray) -> None:
        # In memory only: the index folder is rewritten whole by index/store.py, so a rebuild is as cheap as a patch.
        self._set(rows, VectorIndex(vectors, self.dimension), LexicalIndex.build([r.text for r in rows]))

    def ids(self) -> list[str]:
        return [row.id for row in self._rows]
