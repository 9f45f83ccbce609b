"""An index published to Milvus, so API replicas hold no files: the rows in the engine, and beside them the
documents, statements, extras and manifest as blobs.

`aftaler ingest` still builds the index folder first (it is the ingest's own working copy: an unchanged file is
never parsed or embedded again) and then publishes what changed: documents whose manifest entry differs are
upserted, documents gone from the folder are deleted, and the manifest is written last, so a replica that reloads
on a new manifest finds every document it lists.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from index.embed import Embedder
from index.engine import engine_rows
from index.errors import IndexCorruptError, IndexMissingError
from index.milvus import MilvusEngine
from index.milvus_blobs import array_text, text_array
from index.search import Index
from index.serialize import (
    StoredDocument,
    check_manifest,
    document_from_dict,
    document_to_dict,
)
from index.statements import statement_from_dict, statement_to_dict
from index.store import assemble

MANIFEST = "manifest"
# The manifest fields that, when changed, make every published document stale.
_GLOBAL = ("format_version", "model", "dimension", "chunking_version", "statements_version", "extras_version")


@dataclass(frozen=True)
class PublishReport:
    upserted: int
    deleted: int
    unchanged: int


def _fingerprint(manifest: dict[str, Any], entry: dict[str, Any]) -> str:
    payload = json.dumps([{k: manifest.get(k) for k in _GLOBAL}, entry], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _document_blob(s: StoredDocument) -> str:
    return json.dumps(
        {
            "path": s.path,
            "content_hash": s.content_hash,
            "document": document_to_dict(s.document),
            "extras": s.extras,
            "statements": [statement_to_dict(t) for t in s.statements or ()],
            "statement_vectors": array_text(np.asarray(s.statement_vectors, np.float32)),
        },
        ensure_ascii=False,
    )


def _stored(text: str) -> StoredDocument:
    data = json.loads(text)
    document = document_from_dict(data["document"])
    statements = tuple(statement_from_dict(t, document.text) for t in data["statements"])
    return StoredDocument(
        data["path"],
        data["content_hash"],
        document,
        None,
        data["extras"],
        statements,
        text_array(data["statement_vectors"]),
    )


def read_published_manifest(engine: MilvusEngine) -> dict[str, Any] | None:
    text = engine.blobs.get(MANIFEST)
    return None if text is None else json.loads(text)


def manifest_version(engine: MilvusEngine) -> str | None:
    """Changes whenever a new manifest is published: what a replica polls to know it should reload."""
    header = engine.blobs.header(MANIFEST)
    return None if header is None else str(header["version"])


def publish(
    engine: MilvusEngine, manifest: dict[str, Any], stored_documents: Callable[[], list[StoredDocument]]
) -> PublishReport:
    """Makes the engine hold exactly the documents an index folder's `manifest` lists. `stored_documents` reads
    them (with vectors) from the folder, and is called only when something changed: an unchanged index costs one
    manifest read on each side."""
    old = read_published_manifest(engine) or {}
    old_prints: dict[str, str] = old.get("published", {})
    entries = manifest["documents"]
    prints = {entry["id"]: _fingerprint(manifest, entry) for entry in entries}
    changed = {document_id for document_id, fingerprint in prints.items() if old_prints.get(document_id) != fingerprint}
    gone = [document_id for document_id in old_prints if document_id not in prints]
    if changed or gone or old.get("documents") != entries:
        with engine.deferred():
            for s in stored_documents() if changed else []:
                if s.document.id in changed:
                    engine.upsert(s.document.id, engine_rows(s.document), np.asarray(s.vectors))
                    engine.blobs.put(f"document/{s.document.id}", _document_blob(s))
            for document_id in gone:
                engine.delete(document_id)
                engine.blobs.delete(f"document/{document_id}")
        engine.blobs.put(MANIFEST, json.dumps({**manifest, "published": prints}))
    return PublishReport(len(changed), len(gone), len(prints) - len(changed))


def load_published(
    engine: MilvusEngine,
    embedder: Callable[[], Embedder],
    where: str,
    chunking_version: str | None,
    model_name: str | None,
) -> Index:
    """The index published in the engine. Raises IndexMissingError, IndexIncompatibleError or IndexCorruptError."""
    manifest = read_published_manifest(engine)
    if manifest is None:
        raise IndexMissingError(f"No index in {where}: run `aftaler ingest` to build and publish it.")
    check_manifest(manifest, where, chunking_version, model_name)
    try:
        stored = []
        for entry in manifest["documents"]:
            text = engine.blobs.get(f"document/{entry['id']}")
            if text is None:
                raise ValueError(f"document {entry['id']!r} is listed but not stored")
            stored.append(_stored(text))
    except (ValueError, KeyError, TypeError) as error:
        raise IndexCorruptError(f"Index in {where} is damaged ({error}): run `aftaler ingest --rebuild`.") from error
    return assemble(stored, engine, embedder, manifest)
