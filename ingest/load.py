"""Loaders: one file of any supported format -> a RawDocument of normalised page texts.

Loaders extract; they do not clean. Running headers are removed later (`pages.strip_running_lines`) and
text cleaning after that, so every loader returns what the file says, page by page where the format has
fixed pages (PDF only: DOCX pagination depends on the renderer, and a wrong page number in a citation
is worse than none).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag
from docx import Document as open_docx
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.types import ProvidesStoryPart
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError

from ingest.documents import RawDocument
from ingest.errors import (
    CorruptDocumentError,
    EmptyDocumentError,
    EncryptedDocumentError,
    IngestError,
    UnsupportedFormatError,
)
from ingest.glyphs import restore_marks
from ingest.layout import TypeSizes
from ingest.ocr import ocr_pages, unavailable
from ingest.pages import normalise_page
from ingest.pdf_tables import reads_as_well, table_pages
from ingest.titles import pdf_title

_log = logging.getLogger(__name__)

FORMATS = {".txt": "txt", ".md": "md", ".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html"}

# Glyphs a font without a ToUnicode map produces instead of Danish letters ("bekendtgłrelse", "˘ndring"):
# they practically never occur in Danish text, so their presence marks a page as badly decoded.
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"

_BROKEN_GLYPHS = re.compile(r"[łŁı¤¯\u02c6\u02c7\u02d8-\u02dd\ufffd]|\(cid:\d+\)")
_LETTER = re.compile(r"[^\W\d_]")
_MIN_KEPT_LETTERS = 0.8  # a re-extraction that loses a fifth of the letters is not an improvement


def load_file(path: Path) -> RawDocument:
    """Extract the text of `path`, dispatching on its extension; raises an `IngestError` subclass."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        supported = ", ".join(sorted(FORMATS))
        raise UnsupportedFormatError(f"{path}: unsupported file type {path.suffix!r}; convert it to one of {supported}")
    if not path.is_file():
        raise CorruptDocumentError(f"{path}: not a readable file; check the path")
    if path.stat().st_size == 0:
        raise EmptyDocumentError(f"{path}: the file is empty; add a file with text")
    ocr: tuple[int, ...] = ()
    headings: tuple[tuple[str, int], ...] = ()
    if fmt == "pdf":
        extraction = extract_pdf(path)
        pages, ocr, headings = list(extraction.pages), extraction.ocr_pages, extraction.headings
    elif fmt == "docx":
        docx_text, headings = _docx_text(path)
        pages = [docx_text]
    elif fmt == "html":
        html, headings = _html_text(path.read_bytes())
        pages = [html]
    else:
        pages = [decode_text(path.read_bytes(), path)]
    pages = [normalise_page(page) for page in pages]
    if not any(page.strip() for page in pages):
        hint = "add text"
        if fmt == "pdf":
            why = unavailable()
            hint = (
                f"it looks scanned and OCR is not available: {why}"
                if why
                else f"OCR found no text on its {len(pages)} page(s): the scan may be blank or too faint; "
                "re-scan it at 300 dpi"
            )
        raise EmptyDocumentError(f"{path}: no extractable text; {hint}")
    title = pdf_title(path) if fmt == "pdf" else ""
    # A web page's <h1>-<h6> and a Word file's heading styles are its author's own structure; a PDF's type sizes
    # are read from its look.
    return RawDocument(str(path), fmt, tuple(pages), fmt == "pdf", title, ocr, headings, fmt in ("html", "docx"))


# --- plain text ---------------------------------------------------------------------------------------


def decode_text(data: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with BOM; otherwise Windows-1252, which Danish Windows files use."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        raise CorruptDocumentError(f"{path}: binary data in a text file; check that the extension is right")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return data.decode("latin-1")


# --- PDF ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PdfExtraction:
    pages: tuple[str, ...]
    fallback_pages: tuple[int, ...]  # 1-based pages whose text came from pdfminer.six instead of pypdf
    ocr_pages: tuple[int, ...] = ()  # 1-based pages without a text layer, read by OCR
    headings: tuple[tuple[str, int], ...] = ()  # lines set in heading type, with their level (ingest/layout.py)
    table_pages: tuple[int, ...] = ()  # 1-based pages whose ruled tables were read row by row (ingest/pdf_tables.py)


def broken_glyph_count(text: str) -> int:
    return len(_BROKEN_GLYPHS.findall(text))


def extract_pdf(path: Path) -> PdfExtraction:
    """pypdf page by page; pages that look badly decoded are re-extracted with pdfminer.six, pages with ruled
    tables are rebuilt with the tables row by row (pdfplumber), pages without a text layer are read by OCR.

    pypdf's plain mode keeps table rows and running text better than pdfminer (which scatters table
    cells) and better than pypdf's layout mode (which pads with spaces and interleaves columns), so
    pdfminer is used only where it measurably decodes a page better.
    """
    reader = _open_pdf(path)
    restore_marks(reader)
    texts: list[str] = []
    sizes = TypeSizes()
    try:
        for number, page in enumerate(reader.pages):
            sizes.start_page(number)
            try:
                texts.append(page.extract_text(visitor_text=sizes.visit) or "")
            except Exception:  # one damaged content stream; pdfminer may still read the page
                _log.warning("%s: pypdf could not read a page", path)
                texts.append("")
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise CorruptDocumentError(f"{path}: damaged PDF ({exc}); re-export or re-scan it") from exc
    suspects = [i for i, text in enumerate(texts) if broken_glyph_count(text) or not _letters(text)]
    fallback: list[int] = []
    for i, text in _pdfminer_pages(path, suspects).items():
        if _decodes_better(text, texts[i]):
            texts[i] = text
            fallback.append(i + 1)
    if fallback:
        _log.info("%s: %d page(s) re-extracted with pdfminer.six: %s", path, len(fallback), fallback)
    tables = []
    for i, text in table_pages(path, texts).items():
        if reads_as_well(text, texts[i]):
            texts[i] = text
            tables.append(i + 1)
    scanned = [i for i, text in enumerate(texts) if not _letters(text)]
    read = {i: text for i, text in ocr_pages(path, scanned).items() if _letters(text)}
    for i, text in read.items():
        texts[i] = text
    if read:
        _log.info("%s: %d scanned page(s) read by OCR", path, len(read))
    ocr = tuple(sorted(i + 1 for i in read))
    return PdfExtraction(tuple(texts), tuple(fallback), ocr, sizes.headings(), tuple(tables))


def _open_pdf(path: Path) -> PdfReader:
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            # Many PDFs are "encrypted" only with an empty user password (to restrict printing/copying).
            try:
                decrypted = reader.decrypt("")
            except Exception as exc:  # unsupported algorithm or missing crypto backend
                raise EncryptedDocumentError(f"{path}: encrypted PDF ({exc}); save an unprotected copy") from exc
            if not decrypted:
                raise EncryptedDocumentError(
                    f"{path}: the PDF is password-protected; save an unprotected copy and add that instead"
                )
        len(reader.pages)
    except FileNotDecryptedError as exc:
        raise EncryptedDocumentError(f"{path}: the PDF is password-protected; save an unprotected copy") from exc
    except IngestError:
        raise
    except Exception as exc:
        raise CorruptDocumentError(f"{path}: not a readable PDF ({exc}); re-export it or check the extension") from exc
    return reader


def _letters(text: str) -> int:
    return len(_LETTER.findall(text))


def _decodes_better(candidate: str, current: str) -> bool:
    """Fewer broken glyphs without losing text; or any text where there was none."""
    if not _letters(current):
        return _letters(candidate) > 0
    fewer_broken = broken_glyph_count(candidate) < broken_glyph_count(current)
    return fewer_broken and _letters(candidate) >= _MIN_KEPT_LETTERS * _letters(current)


def _pdfminer_pages(path: Path, indexes: list[int]) -> dict[int, str]:
    """Text of the given 0-based pages from one pdfminer pass (parsing the file once is what is slow)."""
    if not indexes:
        return {}
    from pdfminer.high_level import extract_pages  # slow import; most PDFs never need it
    from pdfminer.layout import LTTextContainer

    result: dict[int, str] = {}
    try:
        layouts = extract_pages(path, page_numbers=set(indexes))
        for i, layout in zip(sorted(indexes), layouts, strict=False):
            result[i] = "".join(el.get_text() for el in layout if isinstance(el, LTTextContainer))
    except Exception as exc:  # pdfminer is only a second opinion; keep pypdf's text
        _log.warning("%s: pdfminer failed (%s); keeping pypdf text", path, exc)
    return result


# --- DOCX ---------------------------------------------------------------------------------------------


def _docx_text(path: Path) -> tuple[str, tuple[tuple[str, int], ...]]:
    """Body paragraphs and tables in document order, and the paragraphs in heading styles with their level;
    headers and footers are separate parts, never read."""
    try:
        document = open_docx(str(path))
        headings: list[tuple[str, int]] = []
        return "\n".join(_docx_blocks(document.element.body, document._body, headings)), tuple(headings)
    except Exception as exc:
        raise CorruptDocumentError(f"{path}: not a readable .docx ({exc}); re-save it from Word") from exc


# Word's built-in heading styles, as python-docx names them whatever the language Word ran in.
_DOCX_HEADING = re.compile(r"^(?:heading|overskrift) ([1-9])$", re.IGNORECASE)


def _docx_blocks(
    element: BaseOxmlElement, parent: ProvidesStoryPart, headings: list[tuple[str, int]] | None = None
) -> list[str]:
    """The lines of a body (or a table cell: no `headings` collected there, a cell is not a section)."""
    lines: list[str] = []
    for child in element.iterchildren():
        if child.tag == qn("w:p"):
            lines.append(_docx_runs_text(child))
            if headings is None or not lines[-1].strip():
                continue
            style = Paragraph(child, parent).style
            level = _DOCX_HEADING.match(style.name or "") if style is not None else None
            if level:
                headings.append((" ".join(lines[-1].split()), int(level.group(1))))
        elif child.tag == qn("w:tbl"):
            lines.extend(_docx_table(Table(child, parent)))
        elif child.tag == qn("w:sdt"):  # content controls wrap tables of contents, cover pages, forms
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                lines.extend(_docx_blocks(content, parent, headings))
    return lines


_DOCX_SKIP = {qn("w:delText"), qn("w:instrText"), qn("w:rPr"), qn("w:pPr"), f"{{{_MC}}}Fallback"}
_DOCX_BREAKS = {qn("w:br"), qn("w:cr")}


def _docx_runs_text(element: BaseOxmlElement) -> str:
    """A paragraph's visible text, including field results and content controls that python-docx's
    `Paragraph.text` drops (cover-page titles are often DOCPROPERTY fields); deleted text is skipped."""
    parts: list[str] = []
    for child in element.iterchildren():
        tag = child.tag
        if tag == qn("w:t"):
            parts.append(child.text or "")
        elif tag == qn("w:tab"):
            parts.append("\t")
        elif tag in _DOCX_BREAKS:
            parts.append("\n")
        elif tag == qn("w:noBreakHyphen"):
            parts.append("-")
        elif tag == qn("w:p"):  # a paragraph inside a text box
            parts.append("\n" + _docx_runs_text(child) + "\n")
        elif tag not in _DOCX_SKIP and isinstance(tag, str):
            parts.append(_docx_runs_text(child))
    return "".join(parts)


def _docx_table(table: Table) -> list[str]:
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell is returned once per grid column it spans
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(" ".join(_docx_blocks(cell._tc, cell)).split()))
        if any(cells):
            rows.append(" | ".join(cells))
    return rows


# --- HTML ---------------------------------------------------------------------------------------------

_HEADING_TAG = re.compile(r"^h[1-6]$")
_DROP = {"script", "style", "nav", "header", "footer", "noscript", "template", "head", "svg", "form", "button"}
_BLOCK = {
    "address", "article", "aside", "blockquote", "caption", "dd", "details", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "main", "ol", "p", "pre",
    "section", "summary", "table", "tr", "ul", "body", "html",
}  # fmt: skip


def _html_text(data: bytes) -> tuple[str, tuple[tuple[str, int], ...]]:
    """The page's text, and its headings (<h1>-<h6> outside dropped parts) with their level."""
    soup = BeautifulSoup(data, "lxml")
    parts: list[str] = []
    _walk_html(soup, parts)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    headings = tuple(
        (" ".join(tag.get_text().split()), int(tag.name[1]))
        for tag in soup.find_all(_HEADING_TAG)
        if not tag.find_parent(list(_DROP))
    )
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip(), headings


def _walk_html(node: Tag, parts: list[str], pre: bool = False) -> None:
    for child in node.children:
        if isinstance(child, NavigableString):
            if type(child) is not NavigableString:  # comments, doctype, CDATA, processing instructions
                continue
            # Inline text is appended as is: words split across tags ("u</em><em>dvalgte") stay whole.
            text = str(child).replace("\r\n", "\n").replace("\r", "\n")
            parts.append(text if pre else text.replace("\n", " "))
            continue
        if not isinstance(child, Tag) or child.name in _DROP:
            continue
        if child.name == "br":
            parts.append("\n")
        elif child.name == "table":
            parts.append("\n" + "\n".join(_html_table(child)) + "\n")
        elif child.name in _BLOCK:
            parts.append("\n• " if child.name == "li" and child.parent and child.parent.name == "ul" else "\n")
            _walk_html(child, parts, pre or child.name == "pre")
            if child.name != "li":  # list items stay on consecutive lines; the list itself ends the block
                parts.append("\n")
        else:
            _walk_html(child, parts, pre)


def _html_table(table: Tag) -> list[str]:
    rows = []
    for row in table.find_all("tr"):
        if row.find_parent("table") is not table:  # a nested table's rows belong to its cell
            continue
        cells = []
        for cell in row.find_all(["td", "th"], recursive=False):
            parts: list[str] = []
            _walk_html(cell, parts)
            cells.append(" ".join("".join(parts).split()))
        if any(cells):
            rows.append(" | ".join(cells))
    return rows
