"""Question benchmark: retrieval (/search, /ask passages), figures in answers, refusals, latency.

Run from the repository root: python benchmarks/eval_ask.py [--url http://127.0.0.1:8000] [--json out.json]
Without --url a server is started (`aftaler serve`) and stopped at the end.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (  # noqa: E402
    base_arguments,
    first_relevant_rank,
    fmt,
    load_questions,
    percentile,
    post,
    ratio,
    server,
    stated_figures,
    states_figure,
    write_json,
)

TOP_K = 5


def run_question(client: httpx.Client, question: dict[str, Any]) -> dict[str, Any]:
    # /ask first: the server keeps query vectors, and the latency that counts is a question asked the first time.
    ask, seconds = post(client, "/ask", {"question": question["question"], "top_k": TOP_K})
    search, search_seconds = post(client, "/search", {"query": question["question"], "top_k": TOP_K})
    evidence = question["evidence"]
    answer = str(ask.get("answer", ""))
    answered = bool(ask.get("answered"))
    result: dict[str, Any] = {
        "id": question["id"],
        "lang": question["lang"],
        "kind": question["kind"],
        "answerable": question["answerable"],
        "answered": answered,
        "answer": answer,
        "seconds": seconds,
        "search_seconds": search_seconds,
        "search_rank": first_relevant_rank(search.get("passages", []), evidence, TOP_K) if evidence else None,
        "ask_rank": first_relevant_rank(ask.get("passages", []), evidence, TOP_K) if evidence else None,
        "search_top": [_where(p) for p in search.get("passages", [])[:3]],
    }
    expected = question.get("numbers", [])
    stated = stated_figures(answer) if answered else []
    if question["answerable"] and expected:
        missing = [number for number in expected if not states_figure(answer, number)]
        result["numbers_missing"] = missing
        result["numeric_exact"] = answered and not missing
        result["wrong_number"] = answered and bool(missing) and bool(stated)
    elif not question["answerable"]:
        result["wrong_number"] = answered and bool(stated)
    return result


def _where(passage: dict[str, Any]) -> str:
    return f"{passage.get('document_title', '')[:40]} / {passage.get('section', '')[:40]}"


def retrieval(results: list[dict[str, Any]], key: str) -> dict[str, float]:
    scored = [r for r in results if r["answerable"]]
    ranks = [r[key] for r in scored]
    return {
        "n": len(scored),
        "recall@1": ratio(sum(1 for rank in ranks if rank == 1), len(ranks)),
        "recall@5": ratio(sum(1 for rank in ranks if rank is not None), len(ranks)),
        "mrr": ratio(sum(1 / rank for rank in ranks if rank), len(ranks)) if ranks else float("nan"),
    }


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    numeric = [r for r in results if "numeric_exact" in r]
    answerable = [r for r in results if r["answerable"]]
    unanswerable = [r for r in results if not r["answerable"]]
    seconds = [r["seconds"] for r in results]
    searched = [r["search_seconds"] for r in results]
    return {
        "n": len(results),
        "search": retrieval(results, "search_rank"),
        "ask_passages": retrieval(results, "ask_rank"),
        "numeric_exact_match": ratio(sum(r["numeric_exact"] for r in numeric), len(numeric)),
        "numeric_n": len(numeric),
        "wrong_numbers": sorted(r["id"] for r in results if r.get("wrong_number")),
        "refusal_accuracy": ratio(sum(not r["answered"] for r in unanswerable), len(unanswerable)),
        "unanswerable_n": len(unanswerable),
        "false_refusal_rate": ratio(sum(not r["answered"] for r in answerable), len(answerable)),
        "latency_p50": percentile(seconds, 0.50),
        "latency_p95": percentile(seconds, 0.95),
        # /search ranks its passages as /ask does; the /ask before it has left the query's vector cached.
        "search_latency_p50": percentile(searched, 0.50),
        "search_latency_p95": percentile(searched, 0.95),
    }


def failures(results: list[dict[str, Any]], questions: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for r in results:
        q = questions[r["id"]]
        problems = []
        if r["answerable"] and r["search_rank"] is None:
            problems.append("search missed evidence")
        if r["answerable"] and r["ask_rank"] is None:
            problems.append("ask passages missed evidence")
        if r["answerable"] and not r["answered"]:
            problems.append("refused an answerable question")
        if not r["answerable"] and r["answered"]:
            problems.append("answered an unanswerable question")
        if r.get("numbers_missing") and r["answered"]:
            problems.append(f"missing figures {r['numbers_missing']}")
        if r.get("wrong_number"):
            problems.append("WRONG NUMBER")
        if problems:
            expected = q["numbers"] or q["evidence"][:1] or ["(refusal)"]
            rows.append(
                {
                    "id": r["id"],
                    "problems": problems,
                    "question": q["question"],
                    "expected": expected,
                    "got": r["answer"][:240],
                    "search_top": r["search_top"],
                }
            )
    return rows


def print_report(summary: dict[str, Any], groups: dict[str, dict[str, Any]], fails: list[dict[str, Any]]) -> None:
    for name in ("search", "ask_passages"):
        s = summary[name]
        print(f"{name:13s} n={s['n']:3d}  R@1 {fmt(s['recall@1'])}  R@5 {fmt(s['recall@5'])}  MRR {fmt(s['mrr'])}")
    print(f"numeric exact match   {fmt(summary['numeric_exact_match'])}  (n={summary['numeric_n']})")
    print(f"wrong numbers stated  {len(summary['wrong_numbers'])}: {', '.join(summary['wrong_numbers']) or '-'}")
    print(f"refusal accuracy      {fmt(summary['refusal_accuracy'])}  (n={summary['unanswerable_n']})")
    print(f"false-refusal rate    {fmt(summary['false_refusal_rate'])}")
    print(f"/ask latency p50 {summary['latency_p50']:.2f} s  p95 {summary['latency_p95']:.2f} s")
    print(
        f"/search latency p50 {summary['search_latency_p50']:.2f} s  p95 {summary['search_latency_p95']:.2f} s"
        " (query vector cached by the /ask before it)"
    )
    print("\ngroup                n  srchR@5 askR@5  numEM  refusal  false-ref  wrong#")
    for name, s in groups.items():
        print(
            f"{name:18s} {s['n']:3d}  {fmt(s['search']['recall@5'])}  {fmt(s['ask_passages']['recall@5'])}"
            f"  {fmt(s['numeric_exact_match'])}  {fmt(s['refusal_accuracy'])}  {fmt(s['false_refusal_rate'])}"
            f"  {len(s['wrong_numbers'])}"
        )
    print(f"\nfailures ({len(fails)}):")
    for f in fails:
        print(f"- {f['id']} [{'; '.join(f['problems'])}] {f['question']}")
        print(f"    expected: {f['expected']}")
        print(f"    got:      {f['got']!r}")
        if "search missed evidence" in f["problems"]:
            print(f"    search top: {f['search_top']}")


def main() -> int:
    parser = base_arguments(__doc__.splitlines()[0])
    parser.add_argument(
        "--questions", default="questions.jsonl", help="question file in benchmarks/ (heldout.jsonl: the held-out set)"
    )
    args = parser.parse_args()
    questions = load_questions(args.questions)
    by_id = {q["id"]: q for q in questions}
    with server(args.url) as base, httpx.Client(base_url=base) as client:
        post(client, "/ask", {"question": "Hvad er måltallet for sygefravær?", "top_k": TOP_K})  # warm-up
        results = []
        for number, question in enumerate(questions, 1):
            results.append(run_question(client, question))
            print(f"\r{number}/{len(questions)}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
    groups_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        groups_of[f"lang={r['lang']}"].append(r)
        groups_of[f"kind={r['kind']}"].append(r)
    summary = summarise(results)
    groups = {name: summarise(rows) for name, rows in sorted(groups_of.items())}
    fails = failures(results, by_id)
    print_report(summary, groups, fails)
    write_json(args.json_path, {"summary": summary, "groups": groups, "failures": fails, "results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
