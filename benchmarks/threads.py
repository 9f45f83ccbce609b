"""Embedding latency and throughput with 1 vs 2 torch threads, to choose index.embed.DEFAULT_THREADS.

Why: on the shared VMs a second torch thread has been seen to stall every operation by ~1 s, so the
default must be measured here, not assumed. Run: python benchmarks/threads.py [--queries 50] [--passages 96]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from index.embed import SentenceTransformerEmbedder

ROOT = Path(__file__).resolve().parents[1]
QUERIES = [
    "Hvor mange pladser har botilbuddet?",
    "Hvad er målet for beskæftigelse i 2022?",
    "Hvilke indsatser er aftalt for borgere med sindslidelse?",
    "How much is the budget for the residential facility?",
    "Hvornår følges der op på udviklingsaftalen?",
]


def corpus_passages(count: int, size: int = 700) -> list[str]:
    """Chunk-sized slices of the corpus: realistic lengths and vocabulary for ingest throughput."""
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus").glob("*.txt")))
    words = text.split()
    passages, current = [], []
    for word in words:
        current.append(word)
        if sum(len(w) + 1 for w in current) >= size:
            passages.append(" ".join(current))
            current = []
            if len(passages) == count:
                break
    return passages


def measure(embedder: SentenceTransformerEmbedder, threads: int, n_queries: int, passages: list[str]) -> dict:
    torch.set_num_threads(threads)
    embedder.embed_query("opvarmning")  # first call pays one-off allocation costs
    latencies = []
    for i in range(n_queries):
        start = time.perf_counter()
        embedder.embed_query(f"{QUERIES[i % len(QUERIES)]} ({i})")
        latencies.append(time.perf_counter() - start)
    start = time.perf_counter()
    embedder.embed_passages(passages, batch_size=32)
    batch_seconds = time.perf_counter() - start
    ms = np.array(latencies) * 1000
    return {
        "threads": threads,
        "query_p50_ms": round(float(np.percentile(ms, 50)), 1),
        "query_p95_ms": round(float(np.percentile(ms, 95)), 1),
        "query_max_ms": round(float(ms.max()), 1),
        "passages": len(passages),
        "passages_per_s": round(len(passages) / batch_seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--passages", type=int, default=96)
    parser.add_argument("--rounds", type=int, default=2, help="alternate 1/2 threads to spread noise")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "data" / "models")
    args = parser.parse_args()

    embedder = SentenceTransformerEmbedder(cache_dir=args.cache_dir, threads=1)
    passages = corpus_passages(args.passages)
    for _ in range(args.rounds):
        for threads in (1, 2):
            print(json.dumps(measure(embedder, threads, args.queries, passages)), flush=True)


if __name__ == "__main__":
    main()
