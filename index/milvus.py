"""Milvus as the search engine: chunk vectors and BM25 in a Milvus collection, for corpora past one machine.

One client code path serves both deployments: a URI ending in `.db` is milvus-lite (the real C++ engine as a local
server process, one process per file), `http(s)://host:19530` a Milvus server or cluster shared by several
`aftaler serve` replicas. BM25 reads text analysed by this project's own Danish tokenizer (stems, compounds,
numbers; ingest/danish.py) and split on spaces by Milvus, so lite, server and the embedded engine rank alike.

What Milvus cannot answer cheaply is kept beside the rows as sufficient statistics, updated with every upsert and
delete: the count, sum and sum of outer products of the vectors (the exact mean and spread of any query's cosine
scores) and the document frequency of every term (query coverage). BM25 moments come from one search for every
matching row, exact up to MOMENT_ROWS matches; beyond, the rows not returned are estimated (how many match from the
document frequencies, their scores spread evenly below the lowest returned one).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import numpy as np

from index.engine import EngineRow, Ranked, Where
from index.lexical import LexicalIndex, tokenize
from index.milvus_blobs import BATCH, PART_CHARS, Blobs, array_text, quoted, text_array, within
from index.vectors import mean_and_covariance, normalise, row_sums, score_spread

# Milvus caps a search at 16,384 results: BM25 moments are exact while a query matches at most this many rows.
SEARCH_LIMIT = 16_384
# BM25 matches fetched for the moments: transferring and reading 16,384 results took 80 ms of a 100k-row search
# (milvus-lite), 2,000 take ~12 ms; the bundled corpus never has that many matches, so it stays exact there.
MOMENT_ROWS = 2_000
_STATISTICS = "statistics/chunks"
# Requests to Milvus made side by side (a dense and a BM25 search of one query).
_ASK = ThreadPoolExecutor(max_workers=8, thread_name_prefix="milvus")
# BM25 as bm25s computes it (Lucene's k1 and b), so the two engines score alike.
BM25_PARAMS = {"bm25_k1": 1.5, "bm25_b": 0.75}


class _Statistics:
    """Sufficient statistics of the rows: count, vector sum and outer-product sum, term document frequencies."""

    def __init__(self, dimension: int) -> None:
        self.count = 0
        self.total = np.zeros(dimension)
        self.outer = np.zeros((dimension, dimension))
        self.df: dict[str, int] = {}

    def add(self, vectors: np.ndarray, texts: list[str], sign: int) -> None:
        total, outer = row_sums(np.asarray(vectors).reshape(len(texts), -1))
        self.count += sign * len(texts)
        self.total += sign * total
        self.outer += sign * outer
        for text in texts:
            for term in set(text.split()):
                left = self.df.get(term, 0) + sign
                if left > 0:
                    self.df[term] = left
                else:
                    self.df.pop(term, None)

    def moments(self, query: np.ndarray) -> tuple[float, float]:
        if self.count == 0:
            return 0.0, 0.0
        return score_spread(query, *mean_and_covariance(self.count, self.total, self.outer))

    def to_text(self) -> str:
        arrays = {"total": array_text(self.total), "outer": array_text(self.outer)}
        return json.dumps({"count": self.count, "df": self.df, **arrays}, ensure_ascii=False)

    @classmethod
    def from_text(cls, text: str) -> _Statistics:
        data = json.loads(text)
        total, outer = text_array(data["total"]), text_array(data["outer"])
        stats = cls(len(total))
        stats.count, stats.df = int(data["count"]), {str(k): int(v) for k, v in data["df"].items()}
        stats.total, stats.outer = total, outer
        return stats


class MilvusEngine:
    """SearchEngine over the collection `{prefix}_chunks` (rows) and `{prefix}_meta` (statistics, blobs)."""

    name = "milvus"

    def __init__(self, client: Any, prefix: str, lite: bool = True) -> None:
        self._client = client
        self._lite = lite
        self.collection = f"{prefix}_chunks"
        self.blobs = Blobs(client, f"{prefix}_meta")
        self._memo: dict[tuple[str, ...], dict[str, float]] = {}
        self._memo_lock = threading.Lock()
        self._deferring = False
        self.refresh()

    def refresh(self) -> None:
        """Reads the statistics again: another process (an ingest) may have changed the rows."""
        stored = self.blobs.get(_STATISTICS)
        self._stats = _Statistics.from_text(stored) if stored else _Statistics(0)
        with self._memo_lock:
            self._memo.clear()

    @property
    def dimension(self) -> int:
        """The vectors' dimension, known once a first document was stored (0 before)."""
        return len(self._stats.total)

    def reset(self) -> None:
        """Drops every row (the documents' blobs are the publisher's): for a model of another dimension."""
        if self._client.has_collection(self.collection):
            self._client.drop_collection(self.collection)
        self.blobs.delete(_STATISTICS)
        self._stats = _Statistics(0)
        with self._memo_lock:
            self._memo.clear()

    def _create(self, dimension: int) -> None:
        from pymilvus import DataType, Function, FunctionType

        schema = self._client.create_schema(auto_id=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=1024)
        schema.add_field("document_id", DataType.VARCHAR, max_length=1024)
        schema.add_field("section_kind", DataType.VARCHAR, max_length=256)
        analyzer = {"tokenizer": "whitespace"}  # the text arrives analysed: terms separated by spaces
        schema.add_field("text", DataType.VARCHAR, max_length=65_535, enable_analyzer=True, analyzer_params=analyzer)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
        schema.add_function(
            Function(
                name="bm25", function_type=FunctionType.BM25, input_field_names=["text"], output_field_names=["sparse"]
            )
        )
        index = self._client.prepare_index_params()
        # milvus-lite searches exactly (FLAT); a server gets HNSW, whose candidates the fusion then re-scores exactly.
        if self._lite:
            index.add_index("vector", index_type="FLAT", metric_type="IP")
        else:
            index.add_index("vector", index_type="HNSW", metric_type="IP", params={"M": 16, "efConstruction": 200})
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=BM25_PARAMS)
        self._client.create_collection(self.collection, schema=schema, index_params=index, consistency_level="Strong")

    def __len__(self) -> int:
        return self._stats.count

    # -- search ---------------------------------------------------------------------------------------------

    @staticmethod
    def _filter(where: Where, ids: list[str] | None = None) -> str:
        parts = []
        if where.document_ids is not None:
            parts.append(within("document_id", sorted(where.document_ids)))
        if where.section_kind:
            parts.append(f"section_kind == {quoted(where.section_kind.casefold())}")
        if ids is not None:
            parts.append(within("id", ids))
        return " and ".join(parts)

    def _search(self, data: Any, field: str, k: int, expression: str) -> Ranked:
        if k <= 0 or self._stats.count == 0:
            return Ranked([], np.zeros(0, np.float32))
        metric = "BM25" if field == "sparse" else "IP"
        params = {"metric_type": metric, "params": {"ef": max(64, k)}} if metric == "IP" else {"metric_type": metric}
        found = self._client.search(
            self.collection,
            data=[data],
            anns_field=field,
            limit=min(k, SEARCH_LIMIT),
            filter=expression,
            search_params=params,
            output_fields=[],
        )[0]
        scores = np.asarray([hit["distance"] for hit in found], np.float32)
        # Milvus's BM25 carries Robertson's (k1 + 1) factor, Lucene's (and bm25s's) does not: same order, and the
        # raw score is a feature of the answer scorer, so it is brought to the embedded engine's scale.
        return Ranked(
            [hit["id"] for hit in found], scores / (1.0 + BM25_PARAMS["bm25_k1"]) if metric == "BM25" else scores
        )

    @staticmethod
    def _query_text(tokens: list[str]) -> str:
        return " ".join(tokens)

    def dense(self, query: np.ndarray, k: int, where: Where) -> Ranked:
        return self._search(normalise(query)[0].tolist(), "vector", k, self._filter(where))

    def lexical(self, tokens: list[str], k: int, where: Where) -> Ranked:
        if not tokens:
            return Ranked([], np.zeros(0, np.float32))
        ranked = self._search(self._query_text(tokens), "sparse", k, self._filter(where))
        keep = ranked.scores > 0
        return Ranked([i for i, kept in zip(ranked.ids, keep, strict=True) if kept], ranked.scores[keep])

    def candidates(self, query: np.ndarray, tokens: list[str], k: int, where: Where) -> tuple[Ranked, Ranked]:
        # Both searches at once (gRPC calls wait, they do not compute here). Unfiltered, the lexical candidates are
        # the head of the search for every matching row, which the BM25 moments and the re-scoring need anyway.
        dense = _ASK.submit(self.dense, query, k, where)
        if where.empty and tokens:
            matches = self._matches(tokens)
            best = sorted(matches.items(), key=lambda item: (-item[1], item[0]))[:k]
            lexical = Ranked([i for i, _ in best], np.asarray([score for _, score in best], np.float32))
        else:
            lexical = self.lexical(tokens, k, where)
        return dense.result(), lexical

    def _matches(self, tokens: list[str]) -> dict[str, float]:
        """BM25 score of every row that matches the query (the best MOMENT_ROWS when more match)."""
        key = tuple(tokens)
        with self._memo_lock:
            if key in self._memo:
                return self._memo[key]
        ranked = self._search(self._query_text(tokens), "sparse", MOMENT_ROWS, "") if tokens else None
        scores = (
            {} if ranked is None else {i: float(s) for i, s in zip(ranked.ids, ranked.scores, strict=True) if s > 0}
        )
        with self._memo_lock:
            if len(self._memo) >= 8:
                self._memo.pop(next(iter(self._memo)))
            self._memo[key] = scores
        return scores

    def rescore(self, query: np.ndarray, tokens: list[str], ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
        dense = self._search(normalise(query)[0].tolist(), "vector", len(ids), self._filter(Where(), ids))
        by_id = dict(zip(dense.ids, dense.scores.tolist(), strict=True))
        matches = self._matches(tokens)
        unfetched = [i for i in ids if i not in matches] if len(matches) >= MOMENT_ROWS else []
        if unfetched:  # candidates of a filtered search can rank below the best MOMENT_ROWS of all matches
            extra = self._search(self._query_text(tokens), "sparse", len(unfetched), self._filter(Where(), unfetched))
            matches = {**matches, **dict(zip(extra.ids, extra.scores.tolist(), strict=True))}
        # A row this replica knows but the engine no longer has (deleted since the replica loaded) scores nothing.
        return (
            np.asarray([by_id.get(i, 0.0) for i in ids], np.float32),
            np.asarray([matches.get(i, 0.0) for i in ids], np.float32),
        )

    def dense_moments(self, query: np.ndarray) -> tuple[float, float]:
        return self._stats.moments(query)

    def lexical_moments(self, tokens: list[str]) -> tuple[float, float]:
        count = self._stats.count
        if count == 0:
            return 0.0, 0.0
        scores = np.asarray(list(self._matches(tokens).values()), dtype=np.float64)
        total, squares = float(scores.sum()), float((scores**2).sum())
        if len(scores) >= MOMENT_ROWS:  # more rows match than were fetched: estimate the rest
            absent = np.prod([1.0 - self._stats.df.get(t, 0) / count for t in set(tokens)])
            rest = max(0.0, count * (1.0 - absent) - len(scores))
            lowest = float(scores.min())
            total += rest * lowest / 2
            squares += rest * lowest**2 / 3
        mean = total / count
        return mean, float(np.sqrt(max(squares / count - mean**2, 0.0)))

    def coverage(self, tokens: list[str]) -> float:
        return LexicalIndex(None, self._stats.df, self._stats.count).coverage(tokens)

    # -- writes ---------------------------------------------------------------------------------------------

    def _stored_rows(self, document_id: str) -> tuple[np.ndarray, list[str]]:
        if not self._client.has_collection(self.collection):
            return np.zeros((0, self.dimension), np.float32), []
        rows = list(
            self._client.query(
                self.collection,
                filter=f"document_id == {quoted(document_id)}",
                output_fields=["vector", "text"],
            )
        )
        vectors = np.asarray([row["vector"] for row in rows], np.float32).reshape(len(rows), self.dimension)
        return vectors, [row["text"] for row in rows]

    def upsert(self, document_id: str, rows: list[EngineRow], vectors: np.ndarray) -> None:
        if not rows:
            self.delete(document_id)
            return
        matrix = np.asarray(vectors, np.float32).reshape(len(rows), -1)
        if self._stats.count == 0 and matrix.shape[1] != self.dimension:
            self.reset()
            self._stats = _Statistics(matrix.shape[1])
        if matrix.shape[1] != self.dimension:
            raise ValueError(f"vectors of dimension {matrix.shape[1]} for an engine of dimension {self.dimension}")
        if not self._client.has_collection(self.collection):
            self._create(self.dimension)
        self._remove(document_id)
        matrix = normalise(matrix)
        texts = [self._query_text(tokenize(row.text))[:PART_CHARS] for row in rows]
        records = [
            {
                "id": row.id,
                "document_id": row.document_id,
                "section_kind": row.section_kind.casefold(),
                "text": text,
                "vector": vector.tolist(),
            }
            for row, text, vector in zip(rows, texts, matrix, strict=True)
        ]
        for start in range(0, len(records), BATCH):
            self._client.insert(self.collection, records[start : start + BATCH])
        self._stats.add(matrix, texts, +1)
        self._save_stats()

    def delete(self, document_id: str) -> None:
        self._remove(document_id)
        self._save_stats()

    def _remove(self, document_id: str) -> None:
        vectors, texts = self._stored_rows(document_id)
        if texts:
            self._client.delete(self.collection, filter=f"document_id == {quoted(document_id)}")
            self._stats.add(vectors, texts, -1)

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Many upserts and deletes with the statistics (~1.6 MB at 384 dimensions) written once, at the end."""
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = False
            self._save_stats()

    def _save_stats(self) -> None:
        with self._memo_lock:
            self._memo.clear()
        if not self._deferring:
            self.blobs.put(_STATISTICS, self._stats.to_text())

    def ids(self) -> list[str]:
        if not self._client.has_collection(self.collection):
            return []
        iterator = self._client.query_iterator(self.collection, batch_size=1000, filter="", output_fields=["id"])
        found: list[str] = []
        while batch := iterator.next():
            found.extend(row["id"] for row in batch)
        iterator.close()
        return found
