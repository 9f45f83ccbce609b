"""The statements of the indexed documents with one vector each, looked up by document span.

Statements are derived at ingest (ingest/statements.py) and stored in the index folder beside the chunks, under
the same manifest, so the answerer reads them instead of re-parsing layout per question.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

import numpy as np

from ingest.statements import Statement


def statement_to_dict(statement: Statement) -> dict[str, Any]:
    # The text is a slice of the document's text and is not stored twice.
    return {
        "document_id": statement.document_id,
        "start": statement.start,
        "end": statement.end,
        "heading_path": list(statement.heading_path),
        "lead": statement.lead,
        "kind": statement.kind,
        "label": statement.label,
        "row": statement.row,
    }


def statement_from_dict(data: dict[str, Any], document_text: str) -> Statement:
    """Raises KeyError/TypeError on malformed input."""
    start, end = int(data["start"]), int(data["end"])
    return Statement(
        text=document_text[start:end],
        start=start,
        end=end,
        heading_path=tuple(data["heading_path"]),
        lead=data["lead"],
        document_id=data["document_id"],
        kind=data["kind"],
        label=data["label"],
        row=data.get("row", ""),
    )


class StatementTable:
    """All statements of the corpus, rows lined up with `vectors`."""

    def __init__(self, statements: list[Statement], vectors: np.ndarray) -> None:
        if len(statements) != len(vectors):
            raise ValueError(f"{len(statements)} statements but {len(vectors)} statement vectors")
        self.statements = statements
        self.vectors = vectors
        self._rows: dict[str, list[int]] = {}
        for row, statement in enumerate(statements):
            self._rows.setdefault(statement.document_id, []).append(row)
        self._starts = {d: [statements[r].start for r in rows] for d, rows in self._rows.items()}

    def __len__(self) -> int:
        return len(self.statements)

    def within(self, document_id: str, start: int, end: int) -> list[int]:
        """Rows of the statements lying inside [start, end) of a document, in text order."""
        rows = self._rows.get(document_id, [])
        first = bisect_left(self._starts.get(document_id, []), start)
        out = []
        for row in rows[first:]:
            statement = self.statements[row]
            if statement.start >= end:
                break
            if statement.end <= end:
                out.append(row)
        return out
