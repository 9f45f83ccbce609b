"""What a candidate statement is quoted with, and so what it answers with.

A statement ending with a colon says nothing by itself ("Yderligere oplysninger fås ved henvendelse til:", "Der
er fokus på følgende:"): what it states is in the lines it introduces. It is quoted with them, whatever the
question, and its facts (figures, dates, names) are read from them. For a list question an item is quoted with
its whole list. The scorer's labels, its features and what the answer shows all read this one notion, so a
candidate is judged by what the staff member would see.
"""

from __future__ import annotations

import re

from index.search import Hit, Index
from ingest.statements import introduces

# Lines a colon introduces when they are not bullets under it: the lines after it up to a blank line, another
# line ending with a colon or a new section, at most this many, so the quote stays a few readable lines when the
# extraction kept no blank lines.
INTRODUCED = 5
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def quoted_rows(index: Index, row: int, hit: Hit, listing: bool) -> list[int]:
    """Rows of the statement table a candidate is quoted with, in text order, within its passage: for a list
    question the list it introduces or belongs to (its lead line and bullets); for a statement ending with a
    colon, it and the lines it introduces; otherwise the statement alone."""
    table = index.statements
    s = table.statements[row]
    opens = introduces(s.text)
    if not (listing or opens):
        return [row]
    rows = table.within(hit.document_id, hit.start, hit.end)
    lead = s.text.rstrip(" :") if opens else s.lead.rstrip(" :")
    if not lead:
        return [row]
    members = [r for r in rows if table.statements[r].lead.rstrip(" :") == lead]
    if members:
        first = table.statements[members[0]].start
        head = [r for r in rows if table.statements[r].text.rstrip(" :") == lead and table.statements[r].end <= first]
        return head[-1:] + members
    if not opens:
        return [row]
    return [row, *_following(index, row, rows)]


def _following(index: Index, row: int, rows: list[int]) -> list[int]:
    """The statements after `row` that its colon introduces (a blank line right after the colon is skipped)."""
    table = index.statements
    lead = previous = table.statements[row]
    text = index.documents[lead.document_id].text
    out: list[int] = []
    for r in rows:
        t = table.statements[r]
        if t.start < lead.end:
            continue
        if t.heading_path != lead.heading_path or introduces(t.text):
            break
        if out and _BLANK_LINE.search(text, previous.end, t.start):
            break
        out.append(r)
        previous = t
        if len(out) == INTRODUCED:
            break
    return out


def quoted_span(index: Index, rows: list[int]) -> tuple[int, int, str]:
    """(start, end, text) of the document span from the first row to the last: one verbatim quote."""
    table = index.statements
    first, last = table.statements[rows[0]], table.statements[rows[-1]]
    return first.start, last.end, index.documents[first.document_id].text[first.start : last.end]
