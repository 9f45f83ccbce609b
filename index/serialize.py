"""The on-disk form of an index: plain JSON for Documents (with sections and chunks), JSON lines, .npy
vectors and BM25 files, so an index folder is readable and diffable without this code."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import IndexCorruptError, IndexIncompatibleError, IndexMissingError
from index.lexical import LexicalIndex
from index.statements import statement_from_dict, statement_to_dict
from index.vectors import VectorIndex
from ingest.documents import Chunk, Document, Section
from ingest.statements import Statement


def _chunk_to_dict(chunk: Chunk) -> dict[str, Any]:
    # document_id is implied by the enclosing document and not repeated for every chunk.
    return {
        "id": chunk.id,
        "heading_path": list(chunk.heading_path),
        "text": chunk.text,
        "start": chunk.start,
        "end": chunk.end,
        "page": chunk.page,
        "page_end": chunk.page_end,
        "table_header": chunk.table_header,
        "section_kind": chunk.section_kind,
    }


def document_to_dict(document: Document) -> dict[str, Any]:
    return {
        "id": document.id,
        "path": document.path,
        "title": document.title,
        "organisation": document.organisation,
        "unit": document.unit,
        "year": document.year,
        "doc_type": document.doc_type,
        "content_hash": document.content_hash,
        "page_starts": list(document.page_starts),
        "ocr_pages": list(document.ocr_pages),
        "text": document.text,
        "sections": [
            {
                "heading_path": list(section.heading_path),
                "start": section.start,
                "end": section.end,
                "page_start": section.page_start,
                "page_end": section.page_end,
                # Section and chunk texts are slices of document.text; storing offsets only would halve the
                # file but make a damaged offset silently change quoted text, so texts are kept verbatim.
                "text": section.text,
                "chunks": [_chunk_to_dict(chunk) for chunk in section.chunks],
            }
            for section in document.sections
        ],
    }


def _chunk_from_dict(data: dict[str, Any], document_id: str) -> Chunk:
    return Chunk(
        id=data["id"],
        document_id=document_id,
        heading_path=tuple(data["heading_path"]),
        text=data["text"],
        start=data["start"],
        end=data["end"],
        page=data["page"],
        page_end=data["page_end"],
        table_header=data.get("table_header", ""),
        section_kind=data.get("section_kind", ""),
    )


def document_from_dict(data: dict[str, Any]) -> Document:
    """Inverse of document_to_dict. Raises KeyError/TypeError on malformed input."""
    document_id = data["id"]
    sections = tuple(
        Section(
            heading_path=tuple(section["heading_path"]),
            start=section["start"],
            end=section["end"],
            page_start=section["page_start"],
            page_end=section["page_end"],
            text=section["text"],
            chunks=tuple(_chunk_from_dict(chunk, document_id) for chunk in section["chunks"]),
        )
        for section in data["sections"]
    )
    return Document(
        id=document_id,
        path=data["path"],
        title=data["title"],
        organisation=data["organisation"],
        unit=data["unit"],
        year=data["year"],
        doc_type=data["doc_type"],
        text=data["text"],
        content_hash=data["content_hash"],
        page_starts=tuple(data.get("page_starts", ())),
        sections=sections,
        ocr_pages=tuple(data.get("ocr_pages", ())),
    )


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False))
            handle.write("\n")


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Raises OSError or json.JSONDecodeError on a missing or damaged file."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


# 2: statements and their vectors are stored in the folder.
FORMAT_VERSION = 2
REBUILD_HINT = "run `aftaler ingest --rebuild`"

# The files of an index folder. The manifest is written last, so a folder without one is incomplete.
MANIFEST, DOCUMENTS, CHUNK_IDS, VECTORS, LEXICAL, EXTRAS, STATEMENTS, STATEMENT_VECTORS, GRAPH = (
    "manifest.json",
    "documents.jsonl",
    "chunk_ids.json",
    "vectors.npy",
    "lexical",
    "extras",
    "statements.jsonl",
    "statement_vectors.npy",
    "vectors.hnsw",  # only past the approximate-search size (manifest "ann_from")
)


@dataclass(frozen=True)
class StoredDocument:
    """One indexed document with everything persisted for it."""

    path: str  # corpus-relative: the key incremental updates match files on
    content_hash: str
    document: Document
    vectors: np.ndarray | None  # one row per chunk; None until embedded
    extras: dict[str, list[dict[str, Any]]] | None  # None when never computed for this document
    statements: tuple[Statement, ...] | None = None  # None until derived
    statement_vectors: np.ndarray | None = None  # one row per statement; None until embedded

    def manifest_entry(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "content_hash": self.content_hash,
            "id": self.document.id,
            "chunks": len(self.document.chunks),
            "statements": None if self.statements is None else len(self.statements),
            "extras": None if self.extras is None else sorted(self.extras),
        }


def write_folder(folder: Path, stored: list[StoredDocument], manifest: dict[str, Any]) -> None:
    """Writes a complete index folder (which must not exist yet). Every stored document must have vectors."""
    folder.mkdir(parents=True)
    write_jsonl(folder / DOCUMENTS, (document_to_dict(s.document) for s in stored))
    chunks = [chunk for s in stored for chunk in s.document.chunks]
    (folder / CHUNK_IDS).write_text(json.dumps([c.id for c in chunks]), encoding="utf-8")
    dimension = int(manifest["dimension"])
    matrices = [s.vectors for s in stored if s.vectors is not None]
    vectors = VectorIndex(np.concatenate(matrices) if matrices else np.zeros((0, dimension)), dimension)
    vectors.save(folder / VECTORS)
    if manifest.get("ann_from") and len(vectors) >= manifest["ann_from"]:
        vectors.save_graph(folder / GRAPH)
    LexicalIndex.build([c.embedding_text() for c in chunks]).save(folder / LEXICAL)
    write_jsonl(folder / STATEMENTS, (statement_to_dict(t) for s in stored for t in s.statements or ()))
    statement_matrices = [s.statement_vectors for s in stored if s.statement_vectors is not None]
    statement_vectors = np.concatenate(statement_matrices) if statement_matrices else np.zeros((0, dimension))
    np.save(folder / STATEMENT_VECTORS, statement_vectors.astype(np.float32))
    (folder / EXTRAS).mkdir()
    names = sorted({name for s in stored for name in (s.extras or {})})
    for name in names:
        write_jsonl(folder / EXTRAS / f"{name}.jsonl", (r for s in stored for r in (s.extras or {}).get(name, [])))
    manifest = {**manifest, "documents": [s.manifest_entry() for s in stored]}
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")


def read_manifest(index_dir: Path) -> dict[str, Any]:
    """Raises IndexMissingError when there is no index, IndexCorruptError when the manifest is unreadable."""
    recover_folder(index_dir)
    path = index_dir / MANIFEST
    if not path.is_file():
        raise IndexMissingError(f"No index at {index_dir}: run `aftaler ingest` to build it.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object")
        return manifest
    except (OSError, ValueError) as error:
        raise IndexCorruptError(f"Index at {index_dir} is damaged ({MANIFEST}: {error}): {REBUILD_HINT}.") from error


def check_manifest(
    manifest: dict[str, Any], index_dir: Path | str, chunking_version: str | None, model: str | None
) -> None:
    """Raises IndexIncompatibleError naming both values and the fix; None skips that check."""
    found = manifest.get("format_version")
    if found != FORMAT_VERSION:
        raise IndexIncompatibleError(
            f"Index at {index_dir} has format version {found}, this program reads {FORMAT_VERSION}: {REBUILD_HINT}."
        )
    if chunking_version is not None and manifest.get("chunking_version") != chunking_version:
        raise IndexIncompatibleError(
            f"Index at {index_dir} was chunked with version {manifest.get('chunking_version')!r}, "
            f"the current chunking version is {chunking_version!r}: {REBUILD_HINT}."
        )
    if model is not None and manifest.get("model") != model:
        raise IndexIncompatibleError(
            f"Index at {index_dir} was built with model {manifest.get('model')!r} but the configured "
            f"model is {model!r}: {REBUILD_HINT}, or configure model {manifest.get('model')!r} again."
        )


def check_dimension(manifest: dict[str, Any], index_dir: Path, model: str, dimension: int) -> None:
    if manifest.get("dimension") != dimension:
        raise IndexIncompatibleError(
            f"Index at {index_dir} holds {manifest.get('dimension')}-dimensional vectors but model "
            f"{model!r} produces {dimension}: {REBUILD_HINT}."
        )


def read_folder(folder: Path, manifest: dict[str, Any]) -> tuple[list[StoredDocument], LexicalIndex]:
    """Everything in an index folder, checked for consistency. Raises IndexCorruptError when a file is
    missing, damaged or disagrees with the others."""
    try:
        return _read_folder(folder, manifest)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise IndexCorruptError(f"Index at {folder} is damaged ({error}): {REBUILD_HINT}.") from error


def _read_folder(folder: Path, manifest: dict[str, Any]) -> tuple[list[StoredDocument], LexicalIndex]:
    documents = [document_from_dict(data) for data in read_jsonl(folder / DOCUMENTS)]
    chunk_ids = json.loads((folder / CHUNK_IDS).read_text(encoding="utf-8"))
    vectors = VectorIndex.load(folder / VECTORS, int(manifest["dimension"])).vectors
    listed = manifest["documents"]
    if [d.id for d in documents] != [entry["id"] for entry in listed]:
        raise ValueError(f"{DOCUMENTS} does not hold the documents the manifest lists")
    if chunk_ids != [c.id for d in documents for c in d.chunks] or len(vectors) != len(chunk_ids):
        raise ValueError(f"{CHUNK_IDS}, {VECTORS} and {DOCUMENTS} disagree")
    by_document: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for path in sorted((folder / EXTRAS).glob("*.jsonl")):
        for record in read_jsonl(path):
            by_document.setdefault(record["document_id"], {}).setdefault(path.stem, []).append(record)
    texts = {d.id: d.text for d in documents}
    statements: dict[str, list[Statement]] = {}
    for record in read_jsonl(folder / STATEMENTS):
        statements.setdefault(record["document_id"], []).append(
            statement_from_dict(record, texts[record["document_id"]])
        )
    statement_vectors = np.load(folder / STATEMENT_VECTORS)
    if len(statement_vectors) != sum(len(v) for v in statements.values()):
        raise ValueError(f"{STATEMENTS} and {STATEMENT_VECTORS} disagree")
    stored, row, statement_row = [], 0, 0
    for document, entry in zip(documents, listed, strict=True):
        count = len(document.chunks)
        own = by_document.get(document.id, {})
        names = entry.get("extras")
        extras = None if names is None else {name: own.get(name, []) for name in names}
        own_statements = tuple(statements.get(document.id, ()))
        if entry.get("statements") != len(own_statements):
            raise ValueError(f"{STATEMENTS} does not hold the statements the manifest lists for {document.id}")
        n = len(own_statements)
        stored.append(
            StoredDocument(
                entry["path"],
                entry["content_hash"],
                document,
                vectors[row : row + count],
                extras,
                own_statements,
                statement_vectors[statement_row : statement_row + n],
            )
        )
        row += count
        statement_row += n
    lexical = LexicalIndex.load(folder / LEXICAL)
    if lexical.size != len(chunk_ids):
        raise ValueError(f"{LEXICAL} has {lexical.size} rows for {len(chunk_ids)} chunks")
    return stored, lexical


def read_graph(folder: Path) -> Any:
    """The stored HNSW graph (a FAISS index) or None when the index is below the approximate-search size."""
    path = folder / GRAPH
    if not path.is_file():
        return None
    try:
        import faiss

        return faiss.read_index(str(path))
    except RuntimeError as error:  # FAISS reports a damaged file this way
        raise IndexCorruptError(f"Index at {folder} is damaged ({GRAPH}: {error}): {REBUILD_HINT}.") from error


def replace_folder(index_dir: Path, stored: list[StoredDocument], manifest: dict[str, Any]) -> None:
    """Writes the index into a sibling temp folder, then swaps it in: old folder aside, new folder in, old
    folder deleted. Whatever interrupts this before the swap leaves index_dir untouched; between the two
    renames no index_dir exists, and recover_folder() puts the aside folder back."""
    temp = index_dir.parent / f".{index_dir.name}.building-{os.getpid()}"
    aside = index_dir.parent / f".{index_dir.name}.old-{os.getpid()}"
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(temp, ignore_errors=True)
    try:
        write_folder(temp, stored, manifest)
        if index_dir.exists():
            os.replace(index_dir, aside)
        os.replace(temp, index_dir)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    shutil.rmtree(aside, ignore_errors=True)


def recover_folder(index_dir: Path) -> None:
    """Puts back an index folder left aside by a swap that died between its two renames."""
    if index_dir.exists() or not index_dir.parent.is_dir():
        return
    asides = [p for p in index_dir.parent.glob(f".{index_dir.name}.old-*") if (p / MANIFEST).is_file()]
    if asides:
        os.replace(max(asides, key=lambda p: p.stat().st_mtime), index_dir)
