"""Graded answers on question sets: direct-answer precision and coverage, answer-or-evidence, unanswerable
questions kept quiet, wrong figures stated, latency; by set and language. Runs the library in-process on the
configured index (AFTALER_CORPUS_DIR / AFTALER_DATA_DIR), so run it once per corpus.

    python benchmarks/eval_answers.py questions.jsonl heldout3.jsonl        # sets in benchmarks/
    AFTALER_CORPUS_DIR=/tmp/rd-corpus AFTALER_DATA_DIR=/tmp/rd-data AFTALER_MODELS_DIR=$PWD/data/models \\
        python benchmarks/eval_answers.py realdocs.jsonl

A direct answer is right when a quoted statement holds one of the question's evidence strings (or is part of
one) and, for a question with expected figures, the answer states each of them. Evidence is right when one of
the shown statements is. A wrong figure: a direct answer to a figure question without the expected figure, or a
direct answer to an unanswerable question.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import ROOT, load_jsonl, percentile, write_json  # noqa: E402
from service.answer.calibrate import IndexDocuments  # noqa: E402
from service.answer.judged import holds_evidence, states_every_figure  # noqa: E402
from service.config import get_settings  # noqa: E402
from service.runtime import Runtime  # noqa: E402


def judge(question: dict[str, Any], answer: Any) -> dict[str, Any]:
    evidence = question.get("evidence", [])
    numbers = question.get("numbers", [])
    right_quote = any(holds_evidence(q.text, evidence) for q in answer.quotes)
    figures_ok = states_every_figure(answer.answer, numbers)
    direct = answer.answered
    return {
        "id": question["id"],
        "set": question["set"],
        "lang": question["lang"],
        "kind": question["kind"],
        "answerable": question["answerable"],
        "grade": answer.grade,
        "confidence": round(answer.confidence, 3),
        "direct_right": direct and question["answerable"] and right_quote and figures_ok,
        "evidence_right": any(holds_evidence(q.text, evidence) for q in answer.evidence),
        "wrong_figure": direct and ((not question["answerable"]) or (bool(numbers) and not figures_ok)),
        "answer": answer.answer[:300],
        "evidence": [q.text[:160] for q in answer.evidence],
    }


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    answerable = [r for r in results if r["answerable"]]
    unanswerable = [r for r in results if not r["answerable"]]
    direct = [r for r in results if r["grade"] == "direct"]
    right = sum(r["direct_right"] for r in direct)
    return {
        "questions": len(results),
        "direct": len(direct),
        "direct_precision": right / len(direct) if direct else None,
        "direct_coverage": sum(r["grade"] == "direct" for r in answerable) / max(1, len(answerable)),
        "answer_or_evidence": sum(r["direct_right"] or r["evidence_right"] for r in answerable)
        / max(1, len(answerable)),
        "unanswerable_direct": sum(r["grade"] == "direct" for r in unanswerable),
        "unanswerable_quiet": sum(r["grade"] == "nothing" for r in unanswerable) / max(1, len(unanswerable)),
        "wrong_figures": [r["id"] for r in results if r["wrong_figure"]],
        "wrong_direct": [r["id"] for r in direct if not r["direct_right"]],
    }


def main() -> int:
    names = [a for a in sys.argv[1:] if not a.startswith("--")]
    out = Path(sys.argv[sys.argv.index("--json") + 1]) if "--json" in sys.argv else None
    names = [n for n in names if out is None or n != str(out)]
    runtime = Runtime(get_settings())
    answerer = runtime.answerer(runtime.load_or_build())
    documents = IndexDocuments.of(answerer)
    results, seconds = [], []
    for name in names:
        for question in load_jsonl(ROOT / "benchmarks" / name):
            question = {**question, "set": Path(name).stem}
            if not documents.asked_about(question):
                continue
            started = time.perf_counter()
            answer = answerer.answer(question["question"])
            seconds.append(time.perf_counter() - started)
            results.append(judge(question, answer))
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        groups[r["set"]].append(r)
        groups[f"{r['set']}/{r['lang']}"].append(r)
    report = {key: summary(group) for key, group in sorted(groups.items())}
    report["all"] = summary(results)
    report["latency_p50"] = percentile(seconds, 0.5)
    report["latency_p95"] = percentile(seconds, 0.95)
    for key, value in report.items():
        print(key, value)
    write_json(out, {"report": report, "results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
