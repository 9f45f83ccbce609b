"""The ingest layer's data model: a cleaned Document split into Sections and Chunks.

Offsets (`start`, `end`) are always character offsets into `Document.text`, the cleaned text, so
`document.text[chunk.start:chunk.end] == chunk.text` holds for every chunk and section.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RawDocument:
    """What a loader returns: the extracted text of one file, page by page when the format has pages."""

    path: str
    format: str  # "txt", "md", "pdf", "docx", "html"
    pages: tuple[str, ...]  # one entry per page; a single entry when the format has no pages
    has_pages: bool
    title: str = ""  # the file's own title (property or large type on the first page), "" when it has none
    ocr_pages: tuple[int, ...] = ()  # 1-based pages read by OCR (scanned, no text layer)
    headings: tuple[tuple[str, int], ...] = ()  # lines the file sets as headings (type size, tags), with their level
    marked_up: bool = False  # the headings are the file's markup (HTML tags), not read from its look


@dataclass(frozen=True)
class Chunk:
    id: str  # stable: f"{document_id}:{n:04d}"
    document_id: str
    heading_path: tuple[str, ...]
    text: str  # verbatim slice of Document.text
    start: int
    end: int
    page: int | None  # page where the chunk starts (1-based) when the source has pages
    page_end: int | None
    # Column header of the table a row-chunk belongs to (e.g. "Mål | Indikator | Måltal"), so the row
    # keeps what its columns mean without altering the verbatim text.
    table_header: str = ""
    section_kind: str = ""  # goal, activities, follow-up, background, indicators, other (assigned at ingest)

    @property
    def section(self) -> str:
        return " > ".join(self.heading_path)

    def embedding_text(self) -> str:
        """Text given to the embedder and the lexical index: heading context + table header + text."""
        parts = [self.section] if self.heading_path else []
        if self.table_header:
            parts.append(self.table_header)
        parts.append(self.text)
        return "\n".join(parts)


@dataclass(frozen=True)
class Section:
    heading_path: tuple[str, ...]
    start: int
    end: int
    page_start: int | None
    page_end: int | None
    text: str
    chunks: tuple[Chunk, ...]


@dataclass(frozen=True)
class Document:
    id: str
    path: str
    title: str
    organisation: str
    unit: str
    year: str  # "2022", or a period "2015-2016"; "" when the text does not say
    doc_type: str  # institutionsaftale, drifts- og udviklingsaftale, udviklingsaftale, virksomhedsplan, aftale, ...
    text: str  # the cleaned text all offsets refer to
    content_hash: str  # sha256 of the source file's bytes
    page_starts: tuple[int, ...] = ()  # offset in `text` where each page begins; empty without pages
    sections: tuple[Section, ...] = field(default=())
    ocr_pages: tuple[int, ...] = ()  # 1-based pages whose text was read by OCR: quotes from them may hold OCR errors

    @property
    def pages(self) -> int | None:
        return len(self.page_starts) or None

    @property
    def chunks(self) -> list[Chunk]:
        return [chunk for section in self.sections for chunk in section.chunks]

    def page_at(self, offset: int) -> int | None:
        """1-based page holding `offset`, or None when the source has no pages."""
        if not self.page_starts:
            return None
        return max(1, bisect_right(self.page_starts, offset))

    def metadata(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "organisation": self.organisation,
            "unit": self.unit,
            "year": self.year,
            "doc_type": self.doc_type,
            "path": self.path,
            "pages": self.pages,
            "ocr_pages": list(self.ocr_pages),
        }

    def to_json(self) -> dict:
        """The `aftaler show --json` / `GET /documents/{id}` shape."""
        data = self.metadata()
        data["sections"] = [
            {
                "heading_path": list(s.heading_path),
                "page_start": s.page_start,
                "page_end": s.page_end,
                "text": s.text,
                "chunks": [
                    {"id": c.id, "text": c.text, "start": c.start, "end": c.end, "page": c.page} for c in s.chunks
                ],
            }
            for s in self.sections
        ]
        return data


@dataclass(frozen=True)
class IngestFailure:
    """One file that could not be ingested; the rest of the folder still is."""

    path: str
    reason: str
