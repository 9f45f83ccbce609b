""" "Compare goals across units": one row per stated figure, each with its verbatim quote and source.

Pure functions over extracted Targets; the answering layer decides when a question is a comparison
(`ingest.metrics.comparison_topic`) and renders the rows.
"""

from __future__ import annotations

import csv
import io
import re

from ingest.metrics import BY_KEY, METRICS, match_topic
from ingest.targets import Target

COLUMNS = (
    "unit",
    "organisation",
    "metric",
    "value",
    "measure",
    "kind",
    "year",
    "quote",
    "document_id",
    "document_title",
    "section",
    "page",
    "start",
    "end",
    "label",  # added last, so CSV readers that go by column position keep working
)
_METRIC_ORDER = {metric.key: n for n, metric in enumerate(METRICS)}
_KIND_ORDER = {"target": 0, "baseline": 1, "actual": 2}
_KIND_LABEL = {"target": "mål", "baseline": "udgangspunkt", "actual": "faktisk"}


def _row(target: Target) -> dict:
    return {column: getattr(target, column) for column in COLUMNS}


# Filter fields that name a document also match the document a row comes from: filtering on the
# Bakkegården agreement keeps its "det samlede socialområde" row.
_ALSO_DOCUMENT = {"unit": "document_unit", "year": "document_year", "document_title": "document_title"}
_CONTAINED = frozenset({"unit", "organisation", "document_title"})


def _matches(target: Target, filters: dict) -> bool:
    for key, wanted in filters.items():
        if wanted in (None, "", [], ()):
            continue
        options = [str(o).strip().casefold() for o in (wanted if isinstance(wanted, list | tuple | set) else [wanted])]
        fields = {key, _ALSO_DOCUMENT.get(key, key)}
        values = [str(getattr(target, field, "") or "").casefold() for field in fields]
        if key in _CONTAINED:
            # Names are written in several ways ("Bostedet" for "Bostedet Åbo"): a substring will do.
            ok = any(option in value for option in options for value in values)
        else:
            ok = any(option == value for option in options for value in values)
        if not ok:
            return False
    return True


# "Compare the sick-leave targets", "sygefraværsmålene", "Hvilke trivselsmål ...": goals only, no baselines or
# measured figures. "Trivselsundersøgelsen" or "sick leave" alone asks for every stated figure.
_TARGETS_ONLY = re.compile(r"\b(?:targets?|goals?|\w*måltal\w*|\w*mål(?:ene|et|s?ætning\w*)?)\b", re.IGNORECASE)


def asks_for_targets(topic: str) -> bool:
    return bool(_TARGETS_ONLY.search(topic))


def compare_rows(topic: str, targets: list[Target], filters: dict | None = None) -> list[dict]:
    """Rows for every figure the targets state on the topic's metrics, sorted by unit, metric, kind, year.
    `filters` narrows on target fields ({"kind": "target", "year": ["2022", "2023"], "unit": "CJU",
    "doc_type": ...}); unit and year also match the row's document.
    Empty when the topic names no known metric or no agreement states a figure for it."""
    metrics = set(match_topic(topic))
    if not metrics:
        return []
    if asks_for_targets(topic) and not (filters and filters.get("kind")):
        filters = {**(filters or {}), "kind": "target"}
    rows: list[dict] = []
    seen: set[tuple] = set()
    for target in targets:
        if target.metric not in metrics:
            continue
        if filters and not _matches(target, filters):
            continue
        row = _row(target)
        identity = (
            target.document_id,
            target.metric,
            target.label,
            target.start,
            target.value,
            target.kind,
            target.unit,
        )
        if identity in seen:
            continue
        seen.add(identity)
        rows.append(row)
    rows.sort(
        key=lambda r: (
            _danish_key(r["unit"]),
            _METRIC_ORDER.get(r["metric"], len(_METRIC_ORDER)),
            _KIND_ORDER.get(r["kind"], len(_KIND_ORDER)),
            r["year"],
            r["document_id"],
            r["start"],
        )
    )
    return rows


# Danish alphabet order puts æ, ø, å after z (code points would give å, æ, ø).
_DANISH_ORDER = str.maketrans({"æ": "z\u0001", "ø": "z\u0002", "å": "z\u0003"})


def _danish_key(text: str) -> str:
    return text.casefold().translate(_DANISH_ORDER)


def rows_to_csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _clip(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def format_table(rows: list[dict], quote_width: int = 70) -> str:
    """A fixed-width text table for the CLI; the quote is shortened, the value never is."""
    if not rows:
        return "(ingen tal fundet i aftalerne / no figures found in the agreements)"
    header = ("Enhed", "Nøgletal", "Værdi", "Type", "År", "Kilde", "Citat")
    lines = [
        (
            row["unit"],
            _metric_cell(row),
            row["value"],
            _KIND_LABEL.get(row["kind"], row["kind"]),
            row["year"],
            _source(row),
            _clip(row["quote"], quote_width),
        )
        for row in rows
    ]
    widths = [max(len(str(cells[i])) for cells in [header, *lines]) for i in range(len(header))]
    widths[0] = min(widths[0], 40)
    widths[5] = min(widths[5], 50)

    def render(cells: tuple) -> str:
        return " | ".join(
            _clip(str(cell), width).ljust(width) for cell, width in zip(cells, widths, strict=True)
        ).rstrip()

    rule = "-+-".join("-" * width for width in widths)
    return "\n".join([render(header), rule, *(render(cells) for cells in lines)])


def _metric_cell(row: dict) -> str:
    """ "Trivsel (Rolleklarhed)": the metric, and the parameter or label the figure is stated for when it says more."""
    name = BY_KEY[row["metric"]].label_da if row["metric"] in BY_KEY else row["metric"]
    label = row.get("label", "")
    return f"{name} ({label})" if label and label.casefold() != name.casefold() else name


def _source(row: dict) -> str:
    parts = [row["document_title"] or row["document_id"]]
    if row["section"]:
        parts.append(row["section"].split(" > ")[-1])
    if row["page"]:
        parts.append(f"s. {row['page']}")
    return ", ".join(parts)
