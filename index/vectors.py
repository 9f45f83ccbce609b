"""Dense search: a FAISS inner-product index over L2-normalised float32 rows (cosine similarity).

Exact (flat) search by default: one municipality's agreements are a few thousand chunks, where it is fast and
free of the recall loss of approximate indexes. Past a configured size (AFTALER_ANN_FROM) ingest also stores an
HNSW graph and search reads its candidates from it; scores of given rows and the score moments stay exact, so the
fusion only sees fewer exact candidates, never different scores (benchmarks/scale.py measures its recall).
Rows line up with the index's chunk order."""

from __future__ import annotations

import os
from pathlib import Path

import faiss
import numpy as np


def normalise(matrix: np.ndarray) -> np.ndarray:
    """Row-wise L2 normalisation as contiguous float32; zero rows stay zero instead of becoming NaN."""
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix.reshape(1, -1)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.ascontiguousarray(matrix / np.where(norms == 0, 1.0, norms), dtype=np.float32)


# HNSW graph degree and breadth of its build and search. benchmarks/scale.py, recall@10 against exact search on
# rows that are near-duplicates of each other (as templated agreements are): efSearch 128 / 256 / 1024 gave
# 0.94 / 0.99 / 1.00 at 100k rows and 0.51 / 0.63 / 0.86 at 1M (1.2 / 1.6 / 5.3 ms), where exact search takes 66 ms.
GRAPH_DEGREE = 32
GRAPH_BUILD_BREADTH = 80
GRAPH_SEARCH_BREADTH = 1024


# One FAISS (OpenMP) thread per process: a single query is a few milliseconds of work, and a second thread
# spinning against another busy process made a 10k-row search 18x slower (5.5 ms against 0.3 ms, measured).
# Server processes, not threads, use the other cores.
faiss.omp_set_num_threads(1)


def build_graph(vectors: np.ndarray) -> faiss.Index:
    """An HNSW graph over normalised rows, for approximate inner-product search. Built on every core (ingest
    time, not serving)."""
    graph = faiss.IndexHNSWFlat(vectors.shape[1], GRAPH_DEGREE, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = GRAPH_BUILD_BREADTH
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    try:
        graph.add(np.ascontiguousarray(vectors, dtype=np.float32))
    finally:
        faiss.omp_set_num_threads(1)
    return graph


def row_sums(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum and sum of outer products of the rows, in float64. Summed in blocks: a float64 copy of 1M rows would
    take 3 GB."""
    dimension = rows.shape[1]
    total, outer = np.zeros(dimension), np.zeros((dimension, dimension))
    for start in range(0, len(rows), 65_536):
        block = np.asarray(rows[start : start + 65_536], dtype=np.float64)
        total += block.sum(axis=0)
        outer += block.T @ block
    return total, outer


def mean_and_covariance(count: int, total: np.ndarray, outer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean row and covariance from the sums of `row_sums` over `count` rows (zeros for no rows)."""
    mean = total / max(count, 1)
    return mean, outer / max(count, 1) - np.outer(mean, mean)


def score_spread(query: np.ndarray, mean: np.ndarray, covariance: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of the query's cosine scores over rows of that mean and covariance."""
    q = normalise(query)[0].astype(np.float64)
    return float(q @ mean), float(np.sqrt(max(q @ covariance @ q, 0.0)))


class _HeldRows:
    """Exposes the rows FAISS holds to numpy while keeping the FAISS index alive: every view made from it keeps
    this object (and so the memory) as its base, so no view outlives the rows it reads."""

    def __init__(self, index: faiss.Index, rows: np.ndarray) -> None:
        self._index = index
        pointer = rows.__array_interface__["data"][0]
        self.__array_interface__ = {"shape": rows.shape, "typestr": "<f4", "data": (pointer, True), "version": 3}


def _rows_of(index: faiss.Index, dimension: int) -> np.ndarray:
    """The rows FAISS holds, as a read-only numpy view: the rows are kept once, inside FAISS (1.5 GB at 1M)."""
    flat = faiss.downcast_index(index.storage) if isinstance(index, faiss.IndexHNSW) else index
    if index.ntotal == 0:
        return np.zeros((0, dimension), np.float32)
    rows = faiss.rev_swig_ptr(flat.get_xb(), index.ntotal * dimension).reshape(index.ntotal, dimension)
    return np.asarray(_HeldRows(index, rows))


class VectorIndex:
    def __init__(self, vectors: np.ndarray, dimension: int, graph: faiss.Index | None = None) -> None:
        """`graph`: a stored HNSW graph over the same rows (it holds them too, so `vectors` only checks its size)."""
        vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, dimension)
        self.dimension = dimension
        if graph is not None and graph.ntotal != len(vectors):
            raise ValueError(f"the HNSW graph holds {graph.ntotal} rows, the vectors {len(vectors)}")
        if graph is None:
            flat = faiss.IndexFlatIP(dimension)
            if len(vectors):
                flat.add(normalise(vectors))
        self._use(graph if graph is not None else flat, graph)
        # Mean and covariance of the rows give the mean and spread of any query's scores over the whole index
        # exactly, in O(dimension^2), without scoring every row.
        self._mean, self._covariance = mean_and_covariance(len(self.vectors), *row_sums(self.vectors))

    def _use(self, index: faiss.Index, graph: faiss.Index | None) -> None:
        self._faiss = index
        self.graph = graph
        self.vectors = _rows_of(index, self.dimension)

    def __len__(self) -> int:
        return len(self.vectors)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, cosine scores) of the k nearest rows, best first."""
        k = min(k, len(self))
        if k <= 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        if self.graph is not None:
            faiss.downcast_index(self.graph).hnsw.efSearch = max(GRAPH_SEARCH_BREADTH, k)
        scores, rows = self._faiss.search(normalise(query), k)
        keep = rows[0] >= 0
        return rows[0][keep].astype(np.int64), scores[0][keep]

    def scores_for(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Cosine scores of the given rows only: used when filters narrow the candidates, where scoring
        the allowed rows directly is exact and cheaper than searching everything and discarding."""
        if len(rows) == 0:
            return np.empty(0, dtype=np.float32)
        return self.vectors[rows] @ normalise(query)[0]

    def score_moments(self, query: np.ndarray) -> tuple[float, float]:
        """Mean and standard deviation of the query's cosine scores over all rows."""
        return score_spread(query, self._mean, self._covariance)

    def save(self, path: Path) -> None:
        """A plain .npy file: readable without FAISS and independent of its on-disk format."""
        with path.open("wb") as handle:
            np.save(handle, self.vectors, allow_pickle=False)

    def save_graph(self, path: Path) -> None:
        """Builds (unless built) and writes the HNSW graph, for an index past the approximate-search size."""
        if self.graph is None:
            graph = build_graph(self.vectors)
            self._use(graph, graph)
        faiss.write_index(self.graph, str(path))

    @classmethod
    def load(cls, path: Path, dimension: int) -> VectorIndex:
        """Raises OSError/ValueError when the file is missing, damaged or of another dimension."""
        vectors = np.load(path, allow_pickle=False)
        if vectors.ndim != 2 or (len(vectors) and vectors.shape[1] != dimension):
            raise ValueError(f"vectors have shape {vectors.shape}, expected (n, {dimension})")
        return cls(vectors, dimension)
