"""Comparison benchmark: precision and recall of /compare rows against hand-read ground truth.

A returned row matches an expected row when (1) one of the expected unit substrings occurs in the row's
unit, organisation or metric, (2) the value is the same (normalised text, or the same figure in Danish or
English notation) and (3) the kind is the same. "lenient" drops (3). Each row matches at most once.
Run: python benchmarks/eval_compare.py [--url URL] [--json out.json]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import httpx

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (  # noqa: E402
    base_arguments,
    fmt,
    load_compare,
    normalise,
    post,
    ratio,
    server,
    states_figure,
    write_json,
)


def unit_matches(expected: dict[str, Any], row: dict[str, Any]) -> bool:
    units = expected["unit"] if isinstance(expected["unit"], list) else [expected["unit"]]
    haystack = normalise(" ".join(str(row.get(key, "")) for key in ("unit", "organisation", "metric")))
    return any(normalise(unit) in haystack for unit in units)


def value_matches(expected: str, got: str) -> bool:
    if normalise(expected) == normalise(got):
        return True
    return states_figure(got, expected) and states_figure(expected, got)


def row_matches(expected: dict[str, Any], row: dict[str, Any], strict: bool) -> bool:
    if not unit_matches(expected, row) or not value_matches(expected["value"], str(row.get("value", ""))):
        return False
    return not strict or normalise(expected["kind"]) == normalise(str(row.get("kind", "")))


def match(expected: list[dict[str, Any]], rows: list[dict[str, Any]], strict: bool) -> tuple[int, list[int]]:
    """Greedy one-to-one matching; returns (matched count, indexes of unmatched expected rows)."""
    used: set[int] = set()
    unmatched = []
    for index, want in enumerate(expected):
        hit = next((i for i, row in enumerate(rows) if i not in used and row_matches(want, row, strict)), None)
        if hit is None:
            unmatched.append(index)
        else:
            used.add(hit)
    return len(expected) - len(unmatched), unmatched


def score_topic(topic: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    expected = topic["rows"]
    result: dict[str, Any] = {
        "id": topic["id"],
        "topic": topic["topic"],
        "expected": len(expected),
        "returned": len(rows),
    }
    for mode, strict in (("strict", True), ("lenient", False)):
        hits, unmatched = match(expected, rows, strict)
        result[mode] = {
            "hits": hits,
            "precision": ratio(hits, len(rows)) if rows else (1.0 if not expected else float("nan")),
            "recall": ratio(hits, len(expected)) if expected else 1.0,
            "missed": [expected[i] for i in unmatched],
        }
    result["got"] = [{k: row.get(k) for k in ("unit", "metric", "value", "kind", "year")} for row in rows]
    return result


def main() -> int:
    args = base_arguments(__doc__.splitlines()[0]).parse_args()
    topics = load_compare()
    with server(args.url) as base, httpx.Client(base_url=base) as client:
        results = [
            score_topic(topic, post(client, "/compare", {"topic": topic["topic"]})[0].get("rows", []))
            for topic in topics
        ]
    overall = {}
    for mode in ("strict", "lenient"):
        hits = sum(r[mode]["hits"] for r in results)
        overall[mode] = {
            "precision": ratio(hits, sum(r["returned"] for r in results)),
            "recall": ratio(hits, sum(r["expected"] for r in results)),
        }
    print("topic                                   exp  got   P(strict) R(strict)  P(len)  R(len)")
    for r in results:
        s, le = r["strict"], r["lenient"]
        print(
            f"{r['id']} {r['topic'][:34]:34s} {r['expected']:4d} {r['returned']:4d}   {fmt(s['precision'])}"
            f"     {fmt(s['recall'])}    {fmt(le['precision'])}   {fmt(le['recall'])}"
        )
    for mode in ("strict", "lenient"):
        print(f"overall {mode:8s} precision {fmt(overall[mode]['precision'])}  recall {fmt(overall[mode]['recall'])}")
    print("\nmissed rows (strict) and returned rows, for steering:")
    for r in results:
        if r["strict"]["missed"] or r["strict"]["hits"] < r["returned"]:
            missed = [(m["unit"], m["value"], m["kind"]) for m in r["strict"]["missed"]]
            print(f"- {r['id']} {r['topic']}: missed {missed}")
            for row in r["got"]:
                print(f"    got {row}")
    write_json(args.json_path, {"overall": overall, "topics": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
