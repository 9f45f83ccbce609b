"""Precedent benchmark: does /similar find the real passage a paraphrased draft was written from?

Run: python benchmarks/eval_similar.py [--url URL] [--json out.json]
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
    first_relevant_rank,
    fmt,
    load_precedent,
    post,
    ratio,
    server,
    write_json,
)

TOP_K = 5


def main() -> int:
    args = base_arguments(__doc__.splitlines()[0]).parse_args()
    drafts = load_precedent()
    results: list[dict[str, Any]] = []
    with server(args.url) as base, httpx.Client(base_url=base) as client:
        for draft in drafts:
            body, seconds = post(client, "/similar", {"text": draft["text"], "top_k": TOP_K})
            passages = body.get("passages", [])
            results.append(
                {
                    "id": draft["id"],
                    "rank": first_relevant_rank(passages, draft["evidence"], TOP_K),
                    "seconds": seconds,
                    "top": [f"{p.get('document_title', '')[:30]} / {p.get('text', '')[:60]!r}" for p in passages[:3]],
                }
            )
    ranks = [r["rank"] for r in results]
    summary = {
        "n": len(results),
        "recall@1": ratio(sum(1 for rank in ranks if rank == 1), len(ranks)),
        "recall@5": ratio(sum(1 for rank in ranks if rank), len(ranks)),
        "mrr": ratio(sum(1 / rank for rank in ranks if rank), len(ranks)),
    }
    print(
        f"precedent n={summary['n']}  R@1 {fmt(summary['recall@1'])}  R@5 {fmt(summary['recall@5'])}"
        f"  MRR {fmt(summary['mrr'])}"
    )
    by_id = {d["id"]: d for d in drafts}
    for r in results:
        if r["rank"] is None:
            print(f"- {r['id']} missed: {by_id[r['id']]['text'][:90]}")
            print(f"    want: {by_id[r['id']]['evidence'][0]!r}")
            for top in r["top"]:
                print(f"    got:  {top}")
    write_json(args.json_path, {"summary": summary, "results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
