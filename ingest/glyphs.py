"""Accents drawn as glyphs of their own, put back on their letter before a PDF's text is read.

Word and other producers set "å" as "a" followed by a ring glyph of zero width drawn over it, and the font's
ToUnicode map often sends that ring to a space: pypdf and pdfminer then read "pa  vej" for "på vej". A glyph
that advances the pen by nothing yet is mapped to a space cannot be a space (a space is all advance and no ink):
it is a mark over the glyph before it. In Danish text the mark over a letter is the ring of å/Å, so it is mapped
to the combining ring (U+030A) and Unicode NFC (ingest/pages.py) composes it with its letter. A mark over any
other letter stays a combining ring, which NFC cannot compose: `decomposed_letters` finds such leftovers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from pypdf import PdfReader
from pypdf.generic import DictionaryObject, NameObject, StreamObject

COMBINING_RING = "\u030a"
_SPACE_ENTRY = re.compile(rb"<([0-9A-Fa-f]{2,4})>\s*<0020>")
_COMBINING = re.compile(r"[\u0300-\u036f]")


def restore_marks(reader: PdfReader) -> int:
    """Remap zero-width glyphs that the fonts of `reader` map to a space to the combining ring, in place (in
    memory; the file is not touched). Returns how many glyph codes were remapped."""
    remapped = 0
    seen: set[int] = set()
    for page in reader.pages:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for ref in fonts.values():
            font = ref.get_object()
            if id(font) in seen or "/ToUnicode" not in font:
                continue
            seen.add(id(font))
            try:
                remapped += _remap(font, set(_zero_width_codes(font)))
            except Exception:  # a damaged font dictionary: its text is read as the file has it
                continue
    return remapped


def layout_line_text(chars: Iterable[Any]) -> str:
    """The text of a pdfminer line from its characters (LTChar and LTAnno), with the same mark restored: a
    "space" of no width drawn within the character before it is that character's ring."""
    pieces: list[str] = []
    previous = None
    for char in chars:
        text = char.get_text()
        x0, x1 = getattr(char, "x0", None), getattr(char, "x1", None)
        if text == " " and x0 is not None and x1 is not None and x1 - x0 < 0.01 and previous is not None:
            if previous.x0 <= x0 <= previous.x1:
                text = COMBINING_RING
        pieces.append(text)
        previous = char if x0 is not None else previous
    return unicodedata.normalize("NFC", "".join(pieces))


def decomposed_letters(text: str) -> list[str]:
    """The combining marks left in `text` after NFC, each with the letter before it: letters a reader sees as
    one but that search and the embedding model read as two."""
    text = unicodedata.normalize("NFC", text)
    return [text[max(0, m.start() - 1) : m.end()] for m in _COMBINING.finditer(text)]


def _remap(font: DictionaryObject, codes: set[int]) -> int:
    if not codes:
        return 0
    stream = font["/ToUnicode"].get_object()
    data = stream.get_data()
    hits = 0

    def mark(match: re.Match[bytes]) -> bytes:
        nonlocal hits
        if int(match.group(1), 16) not in codes:
            return match.group(0)
        hits += 1
        return b"<" + match.group(1) + b"> <%04X>" % ord(COMBINING_RING)

    fixed = _SPACE_ENTRY.sub(mark, data)
    if hits:
        replacement = StreamObject()
        replacement.set_data(fixed)
        font[NameObject("/ToUnicode")] = replacement
    return hits


def _zero_width_codes(font: DictionaryObject) -> Iterable[int]:
    """Codes the font draws with zero advance: a composite font's /W array, a simple font's /Widths."""
    if "/DescendantFonts" in font:
        for descendant in font["/DescendantFonts"]:
            widths = descendant.get_object().get("/W") or []
            yield from _composite_zero_widths([w.get_object() if hasattr(w, "get_object") else w for w in widths])
    elif "/Widths" in font:
        first = int(font.get("/FirstChar", 0))
        for offset, width in enumerate(font["/Widths"]):
            if float(width.get_object() if hasattr(width, "get_object") else width) == 0:
                yield first + offset


def _composite_zero_widths(widths: list) -> Iterable[int]:
    # /W is a list of "c [w1 w2 ...]" (widths of c, c+1, ...) and "c_first c_last w" entries.
    i = 0
    while i < len(widths):
        start = int(widths[i])
        if i + 1 < len(widths) and isinstance(widths[i + 1], list):
            for offset, width in enumerate(widths[i + 1]):
                if float(width) == 0:
                    yield start + offset
            i += 2
        elif i + 2 < len(widths):
            if float(widths[i + 2]) == 0:
                yield from range(start, int(widths[i + 1]) + 1)
            i += 3
        else:
            break
