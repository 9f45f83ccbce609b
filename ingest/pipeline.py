"""The ingest pipeline: file -> load -> strip running lines -> clean -> metadata -> sections and chunks."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from ingest.clean import clean_pages
from ingest.documents import Document, IngestFailure
from ingest.errors import EmptyDocumentError, IngestError
from ingest.load import load_file
from ingest.metadata import FIELDS, extract_metadata, is_sidecar, read_sidecar
from ingest.pages import read_running
from ingest.split import split_document
from ingest.titles import readable_file_name

# Bump whenever loading, cleaning, heading detection, chunking or target extraction changes what a file turns
# into: stored indexes built with another version are re-ingested instead of reused.
# 2: titles from the file's layout and properties; 3: headings set in larger type or tagged; 4: Word heading styles;
# 5: ruled PDF tables row by row; 6: a title and publisher from the running header when the file names none else;
# 7: a chunk never ends inside a sentence wrapped over lines; 8: a wrapped line is what the statements call one;
# 9: one notion of an abbreviation (danish.ends_with_abbreviation); a line ending with "og", "i", ... is wrapped
CHUNKING_VERSION = "ingest-9"
SUPPORTED_EXTENSIONS = frozenset({".txt", ".md", ".pdf", ".docx", ".html", ".htm"})
_MAX_SLUG = 48
# Danish letters have no Unicode decomposition, so they are folded by hand before the accent stripping.
_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa", "ß": "ss"})
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(title: str) -> str:
    """Lowercase ASCII slug: æ->ae, ø->oe, å->aa, other accents dropped, at most 48 chars on a word boundary."""
    folded = unicodedata.normalize("NFKD", title.translate(_FOLD)).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", folded.lower()).strip("-")
    if len(slug) > _MAX_SLUG:
        cut = slug[:_MAX_SLUG]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug or "dokument"


def document_id(title: str, rel_path: str) -> str:
    """Stable id: slug of the title + first 6 hex of sha1(relative path), so re-ingest gives the same id."""
    digest = hashlib.sha1(rel_path.replace("\\", "/").encode("utf-8")).hexdigest()[:6]
    return f"{slugify(title)}-{digest}"


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def ingest_file(path: Path, root: Path) -> Document:
    """Turn one file into a Document; raises an IngestError subclass when it cannot."""
    raw = load_file(path)
    pages, running = read_running(list(raw.pages))
    text, page_starts = clean_pages(pages)
    if not text.strip():
        raise EmptyDocumentError(f"{path}: no text left after cleaning; check that the file holds real content")
    meta = extract_metadata(text, raw.title, running)
    meta.update(read_sidecar(path))
    if not meta["title"]:
        meta["title"] = readable_file_name(path)
    rel_path = _relative(path, root)
    doc_id = document_id(meta["title"], rel_path)
    page_starts = page_starts if raw.has_pages else ()
    return Document(
        id=doc_id,
        path=rel_path,
        text=text,
        content_hash=hashlib.sha256(path.read_bytes()).hexdigest(),
        page_starts=page_starts,
        sections=split_document(doc_id, text, page_starts, raw.headings, raw.marked_up),
        ocr_pages=raw.ocr_pages,
        **{field: meta[field] for field in FIELDS},
    )


def document_files(folder: Path) -> list[Path]:
    """Files under `folder` that are documents (sidecars and hidden files excluded), in a stable order."""
    found = [p for p in folder.rglob("*") if p.is_file() and not is_sidecar(p)]
    visible = [p for p in found if not any(part.startswith(".") for part in p.relative_to(folder).parts)]
    return sorted(visible, key=lambda p: p.relative_to(folder).as_posix())


def ingest_folder(folder: Path) -> tuple[list[Document], list[IngestFailure]]:
    """Ingest every supported file under `folder`; a file that fails is reported and the rest still ingest."""
    documents: list[Document] = []
    failures: list[IngestFailure] = []
    for path in document_files(folder):
        rel_path = _relative(path, folder)
        if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
            supported = ", ".join(sorted(SUPPORTED_EXTENSIONS))
            failures.append(IngestFailure(rel_path, f"unsupported file type {path.suffix!r}; supported: {supported}"))
            continue
        try:
            documents.append(ingest_file(path, folder))
        except IngestError as exc:
            failures.append(IngestFailure(rel_path, str(exc)))
        except (OSError, ValueError, UnicodeError) as exc:
            failures.append(IngestFailure(rel_path, f"could not be read: {exc}"))
    return documents, failures
