"""Sentence-level vectors: one per statement (sentence, bullet, table row), embedded once at ingest.

The answerer picks the sentence that answers a question from the top passages. Embedding those sentences per
query costs seconds on a 2-core CPU, so they are embedded with the index and cached per document: a file per
(document, content, model, chunking version), written atomically, so a changed document re-embeds only its own
sentences and an interrupted run leaves every finished file usable.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.embed import Embedder, embed_in_batches
from ingest.documents import Document
from ingest.statements import split_statements

Progress = Callable[[str, int, int], None]
EMBED_BATCH = 64
# Part of every cache key: bump when document_sentences changes, so cached vectors are not matched to new spans.
SENTENCE_VERSION = "4"


@dataclass(frozen=True)
class Sentence:
    document_id: str
    start: int  # offsets in the document's cleaned text
    end: int
    text: str
    context: str  # heading path, given to the embedder with the sentence


# A line that is only a figure ("129.441") is a flattened table cell; its label is the short line after it
# ("Stykpris kr."). Quoting the figure alone would say nothing, so the two form one sentence.
_BARE_FIGURE = re.compile(r"[\d.,%/ -]+(?:kr\.?|mio\.? kr\.?|%)?")
MAX_LABEL_CHARS = 60


def document_sentences(document: Document) -> list[Sentence]:
    statements = list(split_statements(document))
    boundaries = _chunk_boundaries(document)
    sentences: list[Sentence] = []
    skip = False
    for n, s in enumerate(statements):
        if skip:
            skip = False
            continue
        start, end = s.start, s.end
        label = statements[n + 1] if n + 1 < len(statements) else None
        if (
            label is not None
            and _BARE_FIGURE.fullmatch(s.text)
            and document.text[end : label.start].strip() == ""
            and "\n" in document.text[end : label.start + 1]
            and len(label.text) <= MAX_LABEL_CHARS
            and not _BARE_FIGURE.fullmatch(label.text)
            and label.heading_path == s.heading_path
        ):
            end, skip = label.end, True
        context = " > ".join(s.heading_path)
        for piece_start, piece_end in _cut(document.text, start, end, boundaries):
            text = document.text[piece_start:piece_end]
            sentences.append(Sentence(document.id, piece_start, piece_end, text, context))
    return sentences


def _chunk_boundaries(document: Document) -> list[int]:
    return sorted({offset for chunk in document.chunks for offset in (chunk.start, chunk.end)})


def _cut(text: str, start: int, end: int, boundaries: list[int]) -> list[tuple[int, int]]:
    """[start, end) cut at chunk boundaries inside it. The chunker ends chunks only at sentence ends it
    recognises (". 2/3 dele ..." among them); a sentence crossing one would belong to no passage and could never
    be quoted."""
    cuts = [start, *(b for b in boundaries if start < b < end), end]
    pieces = []
    for a, b in itertools.pairwise(cuts):
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            pieces.append((a, b))
    return pieces


def embedding_text(sentence: Sentence) -> str:
    # The heading tells the embedder what a terse row or bullet is about ("8 % i 2022" under "Sygefravær").
    return f"{sentence.context}\n{sentence.text}" if sentence.context else sentence.text


class SentenceVectors:
    """All sentences of the corpus with their vectors, looked up by document span."""

    def __init__(self, sentences: list[Sentence], vectors: np.ndarray) -> None:
        self.sentences = sentences
        self.vectors = vectors
        self._by_document: dict[str, list[int]] = {}
        for row, sentence in enumerate(sentences):
            self._by_document.setdefault(sentence.document_id, []).append(row)

    def within(self, document_id: str, start: int, end: int) -> list[int]:
        """Rows of the sentences lying inside [start, end) of a document."""
        return [
            row
            for row in self._by_document.get(document_id, [])
            if self.sentences[row].start >= start and self.sentences[row].end <= end
        ]


def _cache_file(cache_dir: Path, document: Document, model_name: str, chunking_version: str) -> Path:
    key = hashlib.sha256(
        f"{SENTENCE_VERSION}\0{model_name}\0{chunking_version}\0{document.content_hash}\0{document.id}".encode()
    ).hexdigest()[:16]
    return cache_dir / f"{document.id}.{key}.npz"


def load_sentence_vectors(
    documents: Iterable[Document],
    cache_dir: Path,
    embedder: Callable[[], Embedder],
    model_name: str,
    chunking_version: str,
    progress: Progress | None = None,
) -> SentenceVectors:
    """Sentence vectors for `documents`, embedding only documents whose cache file is missing."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    documents = list(documents)
    pending = [d for d in documents if not _cache_file(cache_dir, d, model_name, chunking_version).exists()]
    total = sum(len(document_sentences(d)) for d in pending)
    done = 0
    for document in pending:
        sentences = document_sentences(document)
        texts = [embedding_text(s) for s in sentences]
        rows = embed_in_batches(
            lambda batch: embedder().embed_passages(batch),
            texts,
            EMBED_BATCH,
            lambda n, done=done: progress("embed sentences", done + n, total) if progress else None,
        )
        vectors = np.stack(rows) if rows else np.zeros((0, 0), np.float32)
        _write(_cache_file(cache_dir, document, model_name, chunking_version), sentences, vectors)
        done += len(sentences)
    if progress and total:
        progress("embed sentences", total, total)
    _drop_stale(cache_dir, {_cache_file(cache_dir, d, model_name, chunking_version).name for d in documents})
    return _read_all(documents, cache_dir, model_name, chunking_version)


def _write(path: Path, sentences: list[Sentence], vectors: np.ndarray) -> None:
    temporary = path.with_suffix(f".tmp{os.getpid()}.npz")
    np.savez(
        temporary,
        vectors=vectors,
        starts=np.array([s.start for s in sentences], dtype=np.int64),
        ends=np.array([s.end for s in sentences], dtype=np.int64),
    )
    os.replace(temporary, path)


def _drop_stale(cache_dir: Path, keep: set[str]) -> None:
    for path in cache_dir.glob("*.npz"):
        if path.name not in keep:
            path.unlink(missing_ok=True)


def _read_all(documents: list[Document], cache_dir: Path, model_name: str, chunking_version: str) -> SentenceVectors:
    sentences: list[Sentence] = []
    matrices: list[np.ndarray] = []
    for document in documents:
        with np.load(_cache_file(cache_dir, document, model_name, chunking_version)) as stored:
            # Each key access of an npz file reads and decompresses the array again: read each once.
            starts, ends, stored_vectors = stored["starts"], stored["ends"], stored["vectors"]
        by_span = {(s.start, s.end): s for s in document_sentences(document)}
        rows = []
        for row, (start, end) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
            sentence = by_span.get((start, end))
            if sentence is not None:
                sentences.append(sentence)
                rows.append(row)
        if rows:
            matrices.append(stored_vectors[rows])
    vectors = np.concatenate(matrices) if matrices else np.zeros((0, 1), np.float32)
    return SentenceVectors(sentences, vectors)
