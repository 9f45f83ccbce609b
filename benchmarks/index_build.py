"""Index build cost against the bare encode time of the same texts, re-ingest of an unchanged corpus, sizes.

A first build parses, cleans and splits the corpus, embeds every chunk and every statement, extracts targets and
writes the folder. Its time is set against `embed_passages` on exactly the same chunk and sentence texts, so the
overhead of everything that is not the model shows. Then an unchanged corpus is updated again (the target is
<= 2 s), and the sizes of the index, and the converted model are printed.

Run: python benchmarks/index_build.py [--corpus DIR] [--processes 1 2] [--no-bare]
(fresh data folders in /tmp; the converted model is reused from AFTALER_MODELS_DIR or data/models). With several
--processes values the first build runs once per value, in this one run, so their ratio is measured on the same
machine state (ingest on one core against one process per core).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from ingest.statements import document_statements  # noqa: E402
from service.config import Settings  # noqa: E402
from service.runtime import Runtime  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def first_build(corpus: Path, models: Path, processes: int) -> tuple[float, Runtime, Path, object]:
    tmp = Path(tempfile.mkdtemp(prefix="aftaler-build-"))
    settings = Settings(data_dir=tmp, AFTALER_MODELS_DIR=models, corpus_dir=corpus, AFTALER_INGEST_PROCESSES=processes)
    runtime = Runtime(settings)
    runtime.embedder.embed_query("opvarmning")  # the model loaded and warm, as it is before a build's first batch
    started = time.perf_counter()
    report = runtime.update()
    return time.perf_counter() - started, runtime, tmp, report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-bare", action="store_true", help="skip the bare one-process encode of the same texts")
    args = parser.parse_args()
    models = Path(os.environ.get("AFTALER_MODELS_DIR", ROOT / "data" / "models"))
    builds = {}
    for processes in args.processes:
        seconds, runtime, tmp, report = first_build(args.corpus, models, processes)
        builds[processes] = seconds
        print(f"first build, {processes} process(es)  {seconds:7.1f} s", flush=True)
    settings = runtime.settings
    embedder = runtime.embedder
    index = runtime.load()
    documents = list(index.documents.values())
    chunk_texts = [chunk.embedding_text() for d in documents for chunk in d.chunks]
    sentence_texts = [s.embedding_text() for d in documents for s in document_statements(d)]
    distinct = len(set(chunk_texts) | set(sentence_texts))
    encode_seconds = None
    if not args.no_bare:
        started = time.perf_counter()
        embedder.embed_passages(chunk_texts)
        embedder.embed_passages(sentence_texts)
        encode_seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = runtime.update()
    reingest_seconds = time.perf_counter() - started
    print(
        f"texts               {len(documents)} documents, {len(chunk_texts)} chunks, {len(sentence_texts)} statements, "
        f"{distinct} distinct texts embedded ({report.embedded} chunks)"
    )
    if len(builds) > 1:
        first, last = min(builds), max(builds)
        print(f"ratio               {builds[last] / builds[first]:6.2f}   {last} processes against {first}")
    if encode_seconds is not None:
        print(f"bare encode         {encode_seconds:7.1f} s   the same chunk and statement texts, one process")
        for processes, seconds in builds.items():
            print(f"build / bare encode {seconds / encode_seconds:6.2f}   with {processes} process(es)")
    print(
        f"re-ingest unchanged {reingest_seconds:7.2f} s   ({again.unchanged} unchanged, {again.embedded} re-embedded)"
    )
    print(f"index folder        {folder_size(settings.index_dir) / 1e6:7.1f} MB")
    print(f"converted model     {folder_size(models) / 1e6:7.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
