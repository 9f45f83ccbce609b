"""Small real files for upload and ingest tests: a text PDF written by hand (plain, or with headings set in larger
type), a scanned (image-only) PDF, an encrypted and a damaged PDF, a DOCX, a zip bomb that claims to be a DOCX."""

from __future__ import annotations

import io
import zipfile
import zlib

import numpy as np
from docx import Document as new_docx
from pypdf import PdfWriter


def text_pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text layer holds `lines` (Latin-1, as the built-in Helvetica encodes them)."""
    shown = "".join(f"({_escaped(line)}) Tj 0 -16 Td " for line in lines)
    stream = f"BT /F1 11 Tf 60 760 Td {shown}ET".encode("latin-1")
    return _one_page(stream, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")


def styled_pdf(lines: list[tuple[str, float]]) -> bytes:
    """A one-page PDF of (text, type size) lines, top to bottom: headings set in larger type, as reports do."""
    shown, y = [], 790.0
    for line, size in lines:
        shown.append(f"BT /F1 {size:g} Tf 60 {y:g} Td ({_escaped(line)}) Tj ET")
        y -= 1.6 * size
    stream = " ".join(shown).encode("latin-1")
    return _one_page(stream, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")


def ruled_table_pdf(before: str, rows: list[list[str]], after: str) -> bytes:
    """A one-page PDF with a ruled table between two lines of text. Cells are drawn column by column, as many
    producers write them, so a plain reading meets the whole first column before any figure; a cell's "\n"
    breaks its text over lines, as a narrow column does."""
    left, top, width, height = 60.0, 700.0, 150.0, 40.0
    columns = max(len(row) for row in rows)
    shown = [f"BT /F1 11 Tf {left:g} 740 Td ({_escaped(before)}) Tj ET"]
    for j in range(columns):
        for i, row in enumerate(rows):
            for k, line in enumerate(row[j].split("\n") if j < len(row) else []):
                x, y = left + j * width + 4, top - i * height - 12 - 12 * k
                shown.append(f"BT /F1 10 Tf {x:g} {y:g} Td ({_escaped(line)}) Tj ET")
    rules = [
        f"{left + j * width:g} {top:g} m {left + j * width:g} {top - len(rows) * height:g} l S"
        for j in range(columns + 1)
    ]
    rules += [
        f"{left:g} {top - i * height:g} m {left + columns * width:g} {top - i * height:g} l S"
        for i in range(len(rows) + 1)
    ]
    shown.append(f"BT /F1 11 Tf {left:g} {top - len(rows) * height - 24:g} Td ({_escaped(after)}) Tj ET")
    stream = " ".join(["0.5 w", *rules, *shown]).encode("latin-1")
    return _one_page(stream, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")


def ring_glyph_pdf(lines: list[str]) -> bytes:
    """Like `text_pdf`, but every "å" is drawn as Word draws it in some fonts: "a" and then a glyph of no width
    (code "~" here) that the font's ToUnicode map sends to a space. Not a built-in font name, so readers go by
    its /Widths. The first line is set large, as a title."""
    drawn = [_escaped(line.replace("å", "a~")) for line in lines]
    shown = "".join(f"({line}) Tj 0 -16 Td " for line in drawn[1:])
    stream = f"BT /F1 24 Tf 60 780 Td ({drawn[0]}) Tj ET BT /F1 11 Tf 60 740 Td {shown}ET".encode("latin-1")
    widths = " ".join("0" if code == ord("~") else "556" for code in range(32, 256))
    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Ring def /CMapType 2 def\n"
        b"1 begincodespacerange <00> <FF> endcodespacerange\n"
        b"1 beginbfrange <20> <7D> <0020> endbfrange\n"
        b"1 beginbfchar <7E> <0020> endbfchar\n"
        b"endcmap CMapName currentdict /CMap defineresource pop end end"
    )
    font = (
        b"<< /Type /Font /Subtype /Type1 /BaseFont /RingSans /Encoding /WinAnsiEncoding "
        b"/FirstChar 32 /LastChar 255 /Widths [" + widths.encode() + b"] /ToUnicode 6 0 R >>"
    )
    return _one_page(stream, font, b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream")


def _one_page(stream: bytes, font: bytes, *more: bytes) -> bytes:
    """A one-page PDF: the content stream, its font /F1 (object 5) and any further objects (6, ...)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        font,
        *more,
    ]
    return _pdf(objects)


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF file of the given objects (numbered from 1, the first the catalog) with its cross-reference table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _escaped(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt("hemmelig")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def damaged_pdf() -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\n" + bytes(range(256)) * 4


def docx(paragraphs: list[str]) -> bytes:
    document = new_docx()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_bomb_docx(unpacked_mb: int = 300) -> bytes:
    """A zip with word/document.xml that unpacks to `unpacked_mb` MB of zeros (a few hundred KB packed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(unpacked_mb):
                member.write(block)
    return out.getvalue()


def scanned_pdf(lines: list[str]) -> bytes:
    """A one-page image-only PDF, as a scanner makes: `text_pdf(lines)` rendered at 300 dpi, no text layer."""
    import pypdfium2 as pdfium

    pixels = pdfium.PdfDocument(text_pdf(lines))[0].render(scale=300 / 72, grayscale=True).to_numpy()
    return image_pdf(pixels if pixels.ndim == 2 else pixels[:, :, 0])


def image_pdf(pixels: np.ndarray) -> bytes:
    """A one-page A4 PDF showing a greyscale image (rows of uint8) and nothing else."""
    height, width = pixels.shape
    image = zlib.compress(np.ascontiguousarray(pixels, dtype=np.uint8).tobytes())
    content = b"q 595 0 0 842 0 0 cm /Im0 Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /XObject << /Im0 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 "
        b"/Filter /FlateDecode /Length %d >>\nstream\n" % (width, height, len(image)) + image + b"\nendstream",
    ]
    return _pdf(objects)
