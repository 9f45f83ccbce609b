"""Embedders: the real sentence-transformers model and a small deterministic fake for fast unit tests."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Embedder(Protocol):
    name: str  # recorded in the index manifest
    dimension: int

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 matrix, one row per text."""

    def embed_query(self, text: str) -> np.ndarray:
        """L2-normalised float32 vector."""
