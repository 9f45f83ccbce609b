"""Scale benchmark: the search engines at 10k, 100k and 1M rows (build time, search latency, recall, memory).

Run from the repository root after `aftaler ingest`:
    python benchmarks/scale.py [--sizes 10000 100000 1000000] [--milvus-max 100000] [--json out.json]

The rows are synthetic, made from the bundled corpus's statements (data/index): each copy names another unit,
has its figures and year varied and its vector moved by noise (cosine ~0.9 to its source, re-normalised), so no
two rows are alike while the text stays Danish agreement text. Vectors are not embedded: a million statements
would take this machine days to embed, and the engines only see vectors. Queries are the development questions
embedded by the real model.

Each engine and size runs in a process of its own, so its memory is its own: "memory" is the resident memory
the engine added (RSS after building minus before, plus the milvus-lite engine process), the synthetic rows
themselves not counted.
Measured per engine and size: build seconds; dense, lexical and hybrid top-10 p50/p95 over the questions;
dense recall@10 against exact search (numpy); hybrid overlap@10 with the embedded engine's exact hybrid.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import ROOT, load_questions, write_json  # noqa: E402

UNIT_STEMS = ["Birke", "Lunde", "Rose", "Eng", "Skov", "Sol", "Hav", "Mose", "Lyng", "Kilde", "Bakke", "Strand"]
UNIT_ENDS = ["haven", "gården", "bo", "huset", "toften", "lyst", "dal", "vang", "hjemmet", "centret"]
ROWS_PER_DOCUMENT = 100
NOISE = 0.025  # per dimension; e5 rows have components of ~0.05, so copies keep cosine ~0.9 to their source
TOP = 10
CANDIDATES = 50


def rss_mb(pid: int | str = "self") -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:  # the process ended meanwhile
        pass
    return 0.0


def children_rss_mb() -> float:
    """Resident memory of this process's children: milvus-lite runs its engine as a child process."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            total += rss_mb(stat.parent.name)
    return total


def source_statements() -> tuple[list[str], np.ndarray]:
    from index.serialize import read_folder, read_manifest

    folder = ROOT / "data" / "index"
    stored, _ = read_folder(folder, read_manifest(folder))
    texts = [t.embedding_text() for s in stored for t in s.statements or ()]
    return texts, np.concatenate([s.statement_vectors for s in stored])


def synthetic(size: int, seed: int = 7) -> tuple[list[Any], np.ndarray]:
    """`size` EngineRows and their vectors, varied copies of the corpus's statements."""
    from index.engine import EngineRow
    from index.vectors import normalise

    texts, vectors = source_statements()
    rng = np.random.default_rng(seed)
    sources = rng.integers(0, len(texts), size)
    rows = []
    for n, source in enumerate(sources):
        document = n // ROWS_PER_DOCUMENT
        unit = f"{UNIT_STEMS[document % 12]}{UNIT_ENDS[(document // 12) % 10]} {document // 120 + 1}"
        year = str(2010 + int(rng.integers(0, 20)))
        text = re.sub(r"\d+", lambda m: str(int(rng.integers(1, 10 ** len(m.group())))), texts[source])
        rows.append(EngineRow(f"s{n}", f"d{document}", "goal" if n % 3 == 0 else "other", f"{unit} {year}: {text}"))
    matrix = np.empty((size, vectors.shape[1]), np.float32)
    for start in range(0, size, 100_000):  # in blocks: the noise of 1M rows at once would double peak memory
        block = sources[start : start + 100_000]
        noise = rng.normal(0, NOISE, (len(block), vectors.shape[1])).astype(np.float32)
        matrix[start : start + len(block)] = normalise(vectors[block] + noise)
    return rows, matrix


def build(engine_name: str, rows: list[Any], vectors: np.ndarray, work: Path, graph: bool) -> Any:
    from index.embedded import EmbeddedEngine
    from index.lexical import LexicalIndex
    from index.vectors import VectorIndex

    if engine_name == "embedded":
        index = VectorIndex(vectors, vectors.shape[1])
        if graph:
            index.save_graph(work / "graph.hnsw")
        return EmbeddedEngine(rows, index, LexicalIndex.build([r.text for r in rows]))
    from index.milvus import MilvusEngine
    from index.milvus_client import connect

    engine = MilvusEngine(connect(str(work / "scale.db")), "scale")
    engine.reset()
    for start in range(0, len(rows), ROWS_PER_DOCUMENT):
        engine.upsert(
            rows[start].document_id, rows[start : start + ROWS_PER_DOCUMENT], vectors[start : start + ROWS_PER_DOCUMENT]
        )
    return engine


def timed(call: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = call()
    return result, (time.perf_counter() - started) * 1000


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50": round(statistics.median(ordered), 2), "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 2)}


def run_one(engine_name: str, size: int, queries: Path, graph: bool, reference: Path | None) -> dict[str, Any]:
    from index.engine import Where
    from index.lexical import tokenize
    from index.search import parts, rank

    questions = json.loads(queries.read_text(encoding="utf-8"))
    query_vectors = np.asarray([q["vector"] for q in questions], np.float32)
    rows, vectors = synthetic(size)
    gc.collect()
    before = rss_mb()
    with tempfile.TemporaryDirectory(prefix="aftaler-scale-") as folder:
        engine, build_ms = timed(lambda: build(engine_name, rows, vectors, Path(folder), graph))
        memory = rss_mb() - before + children_rss_mb()
        order = {row.id: n for n, row in enumerate(rows)}
        times: dict[str, list[float]] = {"dense": [], "lexical": [], "hybrid": []}
        recall, hybrid_ids = [], []
        for question, vector in zip(questions, query_vectors, strict=True):
            tokens = tokenize(question["question"])
            dense, ms = timed(lambda v=vector: engine.dense(v, TOP, Where()))
            times["dense"].append(ms)
            _, ms = timed(lambda t=tokens: engine.lexical(t, TOP, Where()))
            times["lexical"].append(ms)
            fused, ms = timed(lambda v=vector, t=tokens: rank(parts(engine, v, t, Where(), CANDIDATES, order), order))
            times["hybrid"].append(ms)
            exact = {rows[r].id for r in np.argsort(-(vectors @ vector), kind="stable")[:TOP]}
            recall.append(len(exact & set(dense.ids)) / TOP)
            hybrid_ids.append([s.id for s in fused[:TOP]])
        result: dict[str, Any] = {
            "engine": engine_name + (" (HNSW)" if graph else ""),
            "rows": size,
            "build_s": round(build_ms / 1000, 1),
            "memory_mb": round(memory),
            **{f"{kind}_ms": summary(values) for kind, values in times.items()},
            "dense_recall@10": round(float(np.mean(recall)), 3),
        }
        if reference is not None and reference.is_file():
            exact_hybrid = json.loads(reference.read_text())
            overlap = [len(set(a) & set(b)) / TOP for a, b in zip(hybrid_ids, exact_hybrid, strict=True)]
            result["hybrid_overlap@10_with_exact"] = round(float(np.mean(overlap)), 3)
        elif reference is not None:
            reference.write_text(json.dumps(hybrid_ids))
    return result


def embed_queries(path: Path) -> None:
    from service.config import Settings
    from service.runtime import Runtime

    embedder = Runtime(Settings()).embedder
    questions = [q["question"] for q in load_questions("questions.jsonl")][:60]
    vectors = [embedder.embed_query(q).tolist() for q in questions]
    path.write_text(json.dumps([{"question": q, "vector": v} for q, v in zip(questions, vectors, strict=True)]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--milvus-max", type=int, default=100_000, help="largest size built in milvus-lite")
    parser.add_argument("--engines", nargs="+", default=["embedded", "hnsw", "milvus"])
    parser.add_argument("--reference", type=Path, help="folder with exact-SIZE.json of an earlier run's exact hybrid")
    parser.add_argument("--json", type=Path, dest="json_path")
    parser.add_argument("--one", nargs=5, metavar=("ENGINE", "SIZE", "QUERIES", "GRAPH", "REFERENCE"))
    args = parser.parse_args()
    if args.one:
        engine_name, size, queries, graph, reference = args.one
        print(json.dumps(run_one(engine_name, int(size), Path(queries), graph == "1", Path(reference))))
        return 0
    work = Path(tempfile.mkdtemp(prefix="aftaler-scale-"))
    queries = work / "queries.json"
    embed_queries(queries)
    results = []
    for size in args.sizes:
        reference = (args.reference or work) / f"exact-{size}.json"
        named = {"embedded": ("embedded", "0"), "hnsw": ("embedded", "1"), "milvus": ("milvus", "0")}
        plans = [named[e] for e in args.engines if e != "milvus" or size <= args.milvus_max]
        for engine_name, graph in plans:
            command = [sys.executable, __file__, "--one", engine_name, str(size), str(queries), graph, str(reference)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(done.stderr[-3000:], file=sys.stderr)
                results.append({"engine": engine_name, "rows": size, "error": done.stderr.strip().splitlines()[-1]})
                continue
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps(results[-1]), flush=True)
    write_json(args.json_path, {"queries": 60, "top": TOP, "candidates": CANDIDATES, "results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
