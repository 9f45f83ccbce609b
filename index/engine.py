"""The search-engine boundary: what retrieval needs from whatever holds the chunk vectors and the BM25 index.

Two engines implement it: the embedded one (FAISS + bm25s in this process, the default; index/embedded.py) and
Milvus (a milvus-lite file or a Milvus server shared by several replicas; index/milvus.py). Fusion of the two
scores stays in index/search.py, the same for both, so an engine only answers plain questions: the best rows of
one kind, the scores of given rows, and the spread of a query's scores over every row (for standard scores).
Rows are named by chunk id, since a distributed engine has no stable row numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ingest.documents import Document


@dataclass(frozen=True)
class Where:
    """What a search may return: rows of these documents (None: any) in sections of this kind (None: any).
    Document filters (unit, year, ...) are resolved to document ids by the caller, which holds the documents,
    so both engines filter alike and exactly."""

    document_ids: frozenset[str] | None = None
    section_kind: str | None = None

    @property
    def empty(self) -> bool:
        return self.document_ids is None and not self.section_kind

    def admits(self, row: EngineRow) -> bool:
        kind_ok = not self.section_kind or row.section_kind.casefold() == self.section_kind.casefold()
        return kind_ok and (self.document_ids is None or row.document_id in self.document_ids)


@dataclass(frozen=True)
class EngineRow:
    """One searchable chunk as an engine stores it: its id, the fields filters read, and its lexical text."""

    id: str
    document_id: str
    section_kind: str
    text: str  # what BM25 reads: the chunk's embedding text (heading path + text)


def engine_rows(document: Document) -> list[EngineRow]:
    return [EngineRow(chunk.id, document.id, chunk.section_kind, chunk.embedding_text()) for chunk in document.chunks]


@dataclass(frozen=True)
class Ranked:
    """Row ids with their scores, best first."""

    ids: list[str]
    scores: np.ndarray


class SearchEngine(Protocol):
    name: str
    dimension: int

    def __len__(self) -> int: ...

    def dense(self, query: np.ndarray, k: int, where: Where) -> Ranked:
        """The k rows of highest cosine similarity to `query` among those `where` admits."""

    def lexical(self, tokens: list[str], k: int, where: Where) -> Ranked:
        """The k rows of highest BM25 score for the analysed query `tokens`, only rows scoring above 0."""

    def candidates(self, query: np.ndarray, tokens: list[str], k: int, where: Where) -> tuple[Ranked, Ranked]:
        """`dense(query, k, where)` and `lexical(tokens, k, where)`: what hybrid search starts from. One call, so
        an engine behind a network can ask both at once."""

    def rescore(self, query: np.ndarray, tokens: list[str], ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Cosine and BM25 score of each given row (0 BM25 when no query term occurs in it)."""

    def dense_moments(self, query: np.ndarray) -> tuple[float, float]:
        """Mean and standard deviation of the query's cosine scores over every row."""

    def lexical_moments(self, tokens: list[str]) -> tuple[float, float]:
        """Mean and standard deviation of the query's BM25 scores over every row."""

    def coverage(self, tokens: list[str]) -> float:
        """idf-weighted share of the query's distinct terms that occur in the indexed text, in [0, 1]."""

    def upsert(self, document_id: str, rows: list[EngineRow], vectors: np.ndarray) -> None:
        """Replaces every row of the document by `rows` (vectors line up with rows)."""

    def delete(self, document_id: str) -> None:
        """Removes every row of the document; unknown documents are no error."""

    def ids(self) -> list[str]:
        """Every row id, in no promised order."""
