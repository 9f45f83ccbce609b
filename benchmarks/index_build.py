"""Index build cost against the bare encode time of the same texts, re-ingest of an unchanged corpus, sizes.

A first build parses, cleans and splits the corpus, embeds every chunk and every statement, extracts targets and
writes the folder. Its time is set against `embed_passages` on exactly the same chunk and sentence texts, so the
overhead of everything that is not the model shows. Then an unchanged corpus is updated again (the target is
<= 2 s), and the sizes of the index, and the converted model are printed.

Run: python benchmarks/index_build.py   (a fresh data folder in /tmp; the converted model is reused from
AFTALER_MODELS_DIR or data/models)
"""

from __future__ import annotations

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


def main() -> int:
    models = Path(os.environ.get("AFTALER_MODELS_DIR", ROOT / "data" / "models"))
    with tempfile.TemporaryDirectory(prefix="aftaler-build-") as tmp:
        settings = Settings(data_dir=Path(tmp), AFTALER_MODELS_DIR=models, corpus_dir=ROOT / "corpus")
        runtime = Runtime(settings)

        started = time.perf_counter()
        embedder = runtime.embedder
        embedder.embed_query("opvarmning")  # the model loaded and warm, as it is before a build's first batch
        load_seconds = time.perf_counter() - started

        started = time.perf_counter()
        report = runtime.update()
        build_seconds = time.perf_counter() - started

        index = runtime.load()
        documents = list(index.documents.values())
        chunk_texts = [chunk.embedding_text() for d in documents for chunk in d.chunks]
        sentence_texts = [s.embedding_text() for d in documents for s in document_statements(d)]
        started = time.perf_counter()
        embedder.embed_passages(chunk_texts)
        embedder.embed_passages(sentence_texts)
        encode_seconds = time.perf_counter() - started

        started = time.perf_counter()
        again = runtime.update()
        reingest_seconds = time.perf_counter() - started

        print(f"model load          {load_seconds:6.1f} s   ({settings.model})")
        print(
            f"first build         {build_seconds:6.1f} s   {len(documents)} documents, {len(chunk_texts)} chunks, "
            f"{len(sentence_texts)} statements ({report.embedded} chunks embedded)"
        )
        print(f"bare encode         {encode_seconds:6.1f} s   the same chunk and statement texts, embed_passages only")
        print(f"overhead            {build_seconds - encode_seconds:6.1f} s   parse, clean, split, targets, write")
        print(
            f"re-ingest unchanged {reingest_seconds:6.2f} s   "
            f"({again.unchanged} unchanged, {again.embedded} chunks re-embedded)"
        )
        print(f"index folder        {folder_size(settings.index_dir) / 1e6:6.1f} MB")
        print(f"converted model     {folder_size(models) / 1e6:6.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
