"""Fits the search's fusion weights (index/search.py) by 5-fold cross-validation on the fitting question sets, not by
hand: SENTENCE_WEIGHT, how much a passage's best statement counts beside the passage's own cosine, and
LEXICAL_WEIGHT_MAX, BM25's share at full vocabulary coverage.

For every answerable question of the sets (default: those `aftaler calibrate` fits on) that is about a document of
the configured index, the search's candidate pool is scored once; each pair of weights of the grid then ranks the
pool, and a question counts at 1 (at 5) when its first (one of its first five) passages holds an evidence string.
Each fold chooses the pair best on the other four (recall@1 + recall@5) and is scored with it: the out-of-fold
figures are the ones to quote. Two indexes (the bundled corpus and ../shared/realdocs) are pooled with --save /
--add.

Run: python -m benchmarks.fusion [--questions F ...] [--save rows.json] [--add rows.json ...] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import BENCH_DIR, is_relevant
from index.search import LEXICAL_WEIGHT_MAX, SENTENCE_WEIGHT, Parts
from service.answer.calibrate import IndexDocuments, fitting_sets, load_questions
from service.config import Settings
from service.language import danish_search_text
from service.runtime import Runtime

SENTENCE = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
LEXICAL = (0.3, 0.4, 0.5, 0.6, 0.7)
WEIGHTS = [(sentence, lexical) for sentence in SENTENCE for lexical in LEXICAL]
FOLDS = 5


def hits_at(parts: Parts, relevant: np.ndarray, weights: tuple[float, float]) -> tuple[bool, bool]:
    """(a relevant passage first, one among the first five) when the pool is fused with (sentence, lexical)."""
    order = np.argsort(-parts.fused(*weights), kind="stable")
    return bool(relevant[order[0]]), bool(relevant[order[:5]].any())


def collect(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per question: its set and language, and its hits at 1 and 5 for every weight of the grid."""
    runtime = Runtime(Settings())
    answerer = runtime.answerer(runtime.load_or_build())
    index = answerer.index
    documents = IndexDocuments.of(answerer)
    rows = []
    for question in questions:
        if not question["answerable"] or not documents.asked_about(question):
            continue
        parts = index.query_parts(danish_search_text(question["question"]))
        if parts is None:
            continue
        relevant = np.asarray([is_relevant(index.chunk(c).text, question["evidence"]) for c in parts.pool])
        hits = [hits_at(parts, relevant, w) for w in WEIGHTS]
        rows.append({"set": question["set"], "lang": question["lang"], "hits": hits})
    return rows


def cross_validate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    hits = np.asarray([row["hits"] for row in rows], float)  # questions x weights x (at 1, at 5)
    folds = np.random.default_rng(0).permutation(len(rows)) % FOLDS
    chosen, out = [], np.zeros((len(rows), 2))
    for fold in range(FOLDS):
        train, test = folds != fold, folds == fold
        best = int(np.argmax(hits[train, :, 0].mean(0) + hits[train, :, 1].mean(0)))
        chosen.append(WEIGHTS[best])
        out[test] = hits[test, best]
    base = hits[:, WEIGHTS.index((0.0, LEXICAL_WEIGHT_MAX))]
    groups: dict[str, np.ndarray] = {"all": np.ones(len(rows), bool)}
    for key in ("lang",):
        for value in sorted({row[key] for row in rows}):
            groups[value] = np.asarray([row[key] == value for row in rows])
    realdocs = np.asarray(["realdocs" in row["set"] for row in rows])
    groups |= {"bundled corpus": ~realdocs, "realdocs": realdocs}

    def figures(values: np.ndarray, mask: np.ndarray) -> dict[str, float]:
        return {
            "recall@1": round(float(values[mask, 0].mean()), 3),
            "recall@5": round(float(values[mask, 1].mean()), 3),
        }

    return {
        "questions": len(rows),
        "weights": "(sentence, lexical max)",
        "all_data": {str(w): figures(hits[:, i], groups["all"]) for i, w in enumerate(WEIGHTS)},
        "chosen_per_fold": chosen,
        "out_of_fold": {name: figures(out, mask) for name, mask in groups.items() if mask.any()},
        "today": {
            name: figures(hits[:, WEIGHTS.index((SENTENCE_WEIGHT, LEXICAL_WEIGHT_MAX))], mask)
            for name, mask in groups.items()
            if mask.any()
        },
        "without_statements": {name: figures(base, mask) for name, mask in groups.items() if mask.any()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", nargs="*", type=Path, help="question sets (default: the fitting sets)")
    parser.add_argument("--save", type=Path, help="write this index's rows here")
    parser.add_argument("--add", nargs="*", type=Path, default=[], help="rows saved from other indexes")
    parser.add_argument("--json", type=Path, help="write the result here")
    args = parser.parse_args()
    rows = collect(load_questions(args.questions or fitting_sets(BENCH_DIR)))
    if args.save:
        args.save.write_text(json.dumps(rows), encoding="utf-8")
    for path in args.add:
        rows += json.loads(path.read_text(encoding="utf-8"))
    result = cross_validate(rows)
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
