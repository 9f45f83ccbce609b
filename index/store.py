"""The persisted index: a folder of plain files, built incrementally and swapped in atomically.

Layout: manifest.json (written last), documents.jsonl, chunk_ids.json, vectors.npy, lexical/ (BM25),
extras/NAME.jsonl. A build goes to a sibling temp folder; the old folder is renamed aside, the new one
renamed into place, then the old one deleted, so an interrupted or failed update leaves a usable index.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.embed import Embedder, embed_everywhere
from index.embedded import EmbeddedEngine
from index.engine import SearchEngine
from index.errors import IndexCorruptError, IndexIncompatibleError, IndexMissingError
from index.lexical import TOKENIZER_VERSION
from index.search import Index
from index.serialize import (
    FORMAT_VERSION,
    REBUILD_HINT,
    StoredDocument,
    check_dimension,
    check_manifest,
    read_folder,
    read_graph,
    read_manifest,
    replace_folder,
)
from index.statements import StatementTable
from index.vectors import VectorIndex
from ingest.documents import Document, IngestFailure
from ingest.metadata import sidecar_paths
from ingest.pipeline import document_files
from ingest.reading import read_files
from ingest.statements import STATEMENTS_VERSION, document_statements

if TYPE_CHECKING:
    from index.published import PublishReport

EMBED_BATCH = 32

# An embedder, or a zero-arg factory for one: the factory is only called when something must be embedded,
# so re-ingesting an unchanged corpus never loads the model.
EmbedderSource = Embedder | Callable[[], Embedder]
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BuildReport:
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    failures: list[IngestFailure] = field(default_factory=list)
    embedded: int = 0  # chunks embedded in this run
    statements_embedded: int = 0
    seconds: float = 0.0
    published: PublishReport | None = None  # what a shared search engine took over (service/runtime.py)


class _LazyEmbedder:
    def __init__(self, source: EmbedderSource, model_name: str | None) -> None:
        self._source = source
        self._model_name = model_name
        # A class is a factory even though it has the methods; an instance is the embedder itself.
        is_instance = hasattr(source, "embed_passages") and not isinstance(source, type)
        self._embedder: Embedder | None = source if is_instance else None  # type: ignore[assignment]

    @property
    def loaded(self) -> bool:
        return self._embedder is not None

    @property
    def name(self) -> str:
        return self._model_name or getattr(self._source, "name", None) or self.get().name

    def get(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self._source()  # type: ignore[operator]
        return self._embedder


def file_hash(path: Path) -> str:
    """Hash of the file and its metadata sidecar, if any: editing either re-ingests the document."""
    digest = hashlib.sha256()
    for part in [path, *(p for p in sidecar_paths(path) if p.is_file())]:
        with part.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def load_index(
    index_dir: Path,
    embedder: EmbedderSource,
    chunking_version: str | None = None,
    model_name: str | None = None,
) -> Index:
    """The index in index_dir, checked against the configured model (and chunking version when given).

    Raises IndexMissingError, IndexIncompatibleError or IndexCorruptError, each naming the fix."""
    lazy = _LazyEmbedder(embedder, model_name)
    manifest = read_manifest(index_dir)
    check_manifest(manifest, index_dir, chunking_version, lazy.name)
    if lazy.loaded:
        check_dimension(manifest, index_dir, lazy.name, lazy.get().dimension)

    def embedder_checked() -> Embedder:
        # A lazily loaded model is checked on first use, since its dimension is unknown until then.
        loaded = lazy.get()
        check_dimension(manifest, index_dir, lazy.name, loaded.dimension)
        return loaded

    stored, lexical = read_folder(index_dir, manifest)
    dimension = int(manifest["dimension"])
    matrices = [s.vectors for s in stored if s.vectors is not None]
    try:
        vectors = VectorIndex(
            np.concatenate(matrices) if matrices else np.zeros((0, dimension)), dimension, read_graph(index_dir)
        )
    except ValueError as error:  # a graph of another size than the vectors
        raise IndexCorruptError(f"Index at {index_dir} is damaged ({error}): {REBUILD_HINT}.") from error
    engine = EmbeddedEngine.of([s.document for s in stored], vectors, lexical)
    return assemble(stored, engine, embedder_checked, manifest)


def assemble(
    stored: list[StoredDocument], engine: SearchEngine, embedder: Callable[[], Embedder], manifest: dict[str, Any]
) -> Index:
    """The Index of stored documents searched through `engine`: their extras and statements gathered (from an
    index folder or from Milvus alike)."""
    extras: dict[str, list[dict[str, Any]]] = {}
    for s in stored:
        for name, records in (s.extras or {}).items():
            extras.setdefault(name, []).extend(records)
    matrices = [s.statement_vectors for s in stored if s.statement_vectors is not None and len(s.statement_vectors)]
    dimension = int(manifest["dimension"])
    statements = StatementTable(
        [t for s in stored for t in s.statements or ()],
        np.concatenate(matrices) if matrices else np.zeros((0, dimension), np.float32),
    )
    return Index([s.document for s in stored], engine, embedder, extras, manifest, statements)


def build_index(
    documents: list[Document],
    index_dir: Path,
    embedder: EmbedderSource,
    chunking_version: str,
    extras: dict[str, list[dict[str, Any]]] | None = None,
    model_name: str | None = None,
    progress: Progress | None = None,
) -> BuildReport:
    """A fresh index of `documents`, replacing whatever is in index_dir. Each extras record must carry the
    "document_id" it belongs to, so later incremental updates can keep or drop it with its document."""
    started = time.perf_counter()
    ids = [d.id for d in documents]
    if len(set(ids)) != len(ids):
        raise ValueError("document ids must be unique")
    grouped: dict[str, dict[str, list[dict[str, Any]]]] = {i: {} for i in ids}
    for name, records in (extras or {}).items():
        for record in records:
            if record.get("document_id") not in grouped:
                raise ValueError(f"extras record in {name!r} has no known document_id: {record}")
            grouped[record["document_id"]].setdefault(name, []).append(record)
    stored = [
        StoredDocument(d.path, d.content_hash, d, None, {n: grouped[d.id].get(n, []) for n in extras or {}})
        for d in documents
    ]
    embedded, statements_embedded = _commit(
        index_dir, stored, _LazyEmbedder(embedder, model_name), chunking_version, None, progress or _quiet
    )
    return BuildReport(
        added=len(documents),
        embedded=embedded,
        statements_embedded=statements_embedded,
        seconds=time.perf_counter() - started,
    )


def update_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: EmbedderSource,
    ingest_file: Callable[[Path, Path], Document],
    chunking_version: str,
    extras_fn: Callable[[Document], dict[str, list[dict[str, Any]]]] | None = None,
    progress: Progress | None = None,
    model_name: str | None = None,
    rebuild: bool = False,
    extras_version: str = "",
    calibration: str = "",
    ann_from: int = 0,
    processes: int = 1,
) -> BuildReport:
    """Brings index_dir in line with corpus_dir, re-reading and re-embedding only new and changed files.

    A file whose bytes, the model and the chunking version are unchanged keeps its stored Document and
    vectors. A file that fails to ingest is reported and left out (its older version too, so nothing stale
    is served). Pass `model_name` (or an embedder factory with a `name`) so an unchanged corpus never loads
    the model. Interrupting this leaves the previous index in place."""
    started = time.perf_counter()
    notify = progress or _quiet
    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"Corpus folder {corpus_dir} does not exist")
    lazy = _LazyEmbedder(embedder, model_name)
    files = document_files(corpus_dir)
    hashes: dict[str, str] = {}
    failures: list[IngestFailure] = []
    for done, path in enumerate(files):
        notify("hash", done, len(files))
        relative = path.relative_to(corpus_dir).as_posix()
        try:
            hashes[relative] = file_hash(path)
        except OSError as error:  # unreadable (permissions, vanished): skipped like a file that fails to parse
            failures.append(IngestFailure(relative, f"cannot read the file: {error}"))
    old_manifest, old = (None, []) if rebuild else _reusable(index_dir, chunking_version)
    same_model = old_manifest is not None and old_manifest.get("model") == lazy.name
    # New extraction rules (extras_version) re-derive the extras from stored documents; nothing is re-embedded.
    same_extras = old_manifest is not None and old_manifest.get("extras_version", "") == extras_version
    # A new tokenizer rebuilds the BM25 index from the stored chunks when the folder is rewritten below.
    same_lexical = old_manifest is not None and old_manifest.get("lexical_version", "") == TOKENIZER_VERSION
    # New statement rules re-derive and re-embed the statements; chunk vectors are kept.
    same_statements = same_model and old_manifest.get("statements_version", "") == STATEMENTS_VERSION
    old_by_path = {s.path: s for s in old}
    kept = [
        replace(
            s,
            vectors=s.vectors if same_model else None,
            extras=s.extras if same_extras else None,
            statements=s.statements if same_statements else None,
            statement_vectors=s.statement_vectors if same_statements else None,
        )
        for path, s in old_by_path.items()
        if hashes.get(path) == s.content_hash
    ]
    kept_paths = {s.path for s in kept}
    to_ingest = [path for path in hashes if path not in kept_paths]
    owner = {s.document.id: s.path for s in kept}
    fresh: list[StoredDocument] = []
    notify("ingest", 0, len(to_ingest))
    for done, (path, document, error) in enumerate(read_files(ingest_file, corpus_dir, to_ingest, processes), 1):
        notify("ingest", done, len(to_ingest))
        if document is None:
            dropped = " (its previous version was removed from the index)" if path in old_by_path else ""
            failures.append(IngestFailure(path, f"{error}{dropped}"))
            continue
        if document.id in owner:
            failures.append(
                IngestFailure(path, f"document id {document.id!r} is also produced by {owner[document.id]}")
            )
            continue
        owner[document.id] = path
        fresh.append(StoredDocument(path, hashes[path], document, None, None))
    stored = sorted(kept + fresh, key=lambda s: s.path)
    if extras_fn is not None:
        stored = [_with_extras(s, extras_fn, failures) for s in stored]
    changed = sum(1 for s in fresh if s.path in old_by_path)
    removed = sum(1 for path in old_by_path if path not in hashes)
    unchanged = len(kept)
    untouched = old_manifest is not None and [s.manifest_entry() for s in stored] == old_manifest["documents"]
    complete = all(s.vectors is not None and s.statement_vectors is not None for s in stored)
    same_calibration = old_manifest is not None and old_manifest.get("calibration", "") == calibration
    same_ann = old_manifest is not None and old_manifest.get("ann_from", 0) == ann_from
    if untouched and same_extras and same_lexical and same_statements and same_calibration and same_ann and complete:
        return BuildReport(unchanged=unchanged, failures=failures, seconds=time.perf_counter() - started)
    embedded, statements_embedded = _commit(
        index_dir,
        stored,
        lazy,
        chunking_version,
        old_manifest if same_model else None,
        notify,
        extras_version,
        calibration,
        ann_from,
        processes,
    )
    return BuildReport(
        len(fresh) - changed,
        changed,
        removed,
        unchanged,
        failures,
        embedded,
        statements_embedded,
        time.perf_counter() - started,
    )


def _quiet(stage: str, done: int, total: int) -> None:
    del stage, done, total


def _with_extras(
    s: StoredDocument,
    extras_fn: Callable[[Document], dict[str, list[dict[str, Any]]]],
    failures: list[IngestFailure],
) -> StoredDocument:
    if s.extras is not None:
        return s
    try:
        found = extras_fn(s.document)
    except Exception as error:  # left uncomputed, so the next update retries it
        failures.append(IngestFailure(s.path, f"extras: {type(error).__name__}: {error}"))
        return s
    return replace(
        s,
        extras={
            name: [{**record, "document_id": s.document.id} for record in records] for name, records in found.items()
        },
    )


def _reusable(index_dir: Path, chunking_version: str) -> tuple[dict[str, Any] | None, list[StoredDocument]]:
    """The previous index when its documents can be reused; otherwise nothing, and everything is rebuilt."""
    try:
        manifest = read_manifest(index_dir)
        check_manifest(manifest, index_dir, chunking_version, None)
        stored, _ = read_folder(index_dir, manifest)
        return manifest, stored
    except (IndexMissingError, IndexIncompatibleError, IndexCorruptError):
        return None, []


def _commit(
    index_dir: Path,
    stored: list[StoredDocument],
    lazy: _LazyEmbedder,
    chunking_version: str,
    old_manifest: dict[str, Any] | None,
    notify: Progress,
    extras_version: str = "",
    calibration: str = "",
    ann_from: int = 0,
    processes: int = 1,
) -> tuple[int, int]:
    """Derives and embeds what lacks vectors, writes a complete folder next to index_dir and swaps it in.
    Returns the numbers of chunks and statements embedded."""
    stored = [
        s
        if s.statements is not None
        else replace(s, statements=tuple(document_statements(s.document)), statement_vectors=None)
        for s in stored
    ]
    pending = [s for s in stored if s.vectors is None or s.statement_vectors is None]
    dimension = int(old_manifest["dimension"]) if old_manifest else None
    if pending or dimension is None:
        embedder = lazy.get()
        if dimension != embedder.dimension:  # same model name, other output size: nothing old is reusable
            stored = [replace(s, vectors=None, statement_vectors=None) for s in stored]
            dimension = embedder.dimension
    # Everything lacking vectors is embedded in one pass (all processes busy until the end), each distinct
    # text once: running headers, boilerplate and repeated table rows are the same sentence many times over.
    wanted: list[tuple[int, str, list[str]]] = []
    for n, s in enumerate(stored):
        if s.vectors is None:
            wanted.append((n, "vectors", [chunk.embedding_text() for chunk in s.document.chunks]))
        if s.statement_vectors is None:
            wanted.append((n, "statement_vectors", [t.embedding_text() for t in s.statements or ()]))
    distinct = list(dict.fromkeys(text for _, _, texts in wanted for text in texts))
    matrix = _embed(lazy.get(), distinct, dimension, notify, processes) if distinct else None
    row_of = {text: row for row, text in enumerate(distinct)}
    with_vectors = list(stored)
    for n, field_name, texts in wanted:
        rows = np.asarray([row_of[text] for text in texts], dtype=np.int64)
        block = matrix[rows] if matrix is not None else np.zeros((0, dimension), np.float32)
        with_vectors[n] = replace(with_vectors[n], **{field_name: block})
    chunks_embedded = sum(len(texts) for _, name, texts in wanted if name == "vectors")
    statements_embedded = sum(len(texts) for _, name, texts in wanted if name == "statement_vectors")
    notify("embed", len(distinct), len(distinct))
    manifest = {
        "format_version": FORMAT_VERSION,
        "model": lazy.name,
        "dimension": dimension,
        "chunking_version": chunking_version,
        "extras_version": extras_version,
        "lexical_version": TOKENIZER_VERSION,
        "statements_version": STATEMENTS_VERSION,
        # The scorer's calibration file for this index's embedding model (service/answer/scorer.py).
        "calibration": calibration,
        # Chunk count from which an HNSW graph is stored and searched (0: exact search at any size).
        "ann_from": ann_from,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "chunks": sum(len(s.document.chunks) for s in with_vectors),
        "statements": sum(len(s.statements or ()) for s in with_vectors),
    }
    notify("write", 0, 1)
    replace_folder(index_dir, with_vectors, manifest)
    notify("write", 1, 1)
    return chunks_embedded, statements_embedded


def _embed(embedder: Embedder, texts: list[str], dimension: int, notify: Progress, processes: int) -> np.ndarray:
    vectors = embed_everywhere(embedder, texts, EMBED_BATCH, lambda n: notify("embed", n, len(texts)), processes)
    if vectors.shape != (len(texts), dimension):
        raise ValueError(f"embedder returned shape {vectors.shape} for {len(texts)} texts of dimension {dimension}")
    return vectors
