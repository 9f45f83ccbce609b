"""Where the answerer's refusal thresholds fall on the question set: for each question, the evidence measures of
the sentence it would quote, whether that sentence is right, and a sweep of the thresholds.

Run: python -m benchmarks.calibrate_answer  (in-process, uses the index in data/; run `aftaler ingest` first)
A threshold set here is only worth keeping if the same sweep on new questions agrees.
"""

from __future__ import annotations

import itertools

from benchmarks.common import load_questions, normalise
from service import answer as answer_module
from service.api import Service
from service.config import get_settings
from service.runtime import Runtime


def main() -> None:
    service = Service.start(Runtime(get_settings()))
    answerer = service.answerer
    rows = []
    for q in load_questions():
        hits = answerer._retrieve(q["question"], answer_module.CANDIDATES, None)
        choice = answerer._best_quote(q["question"], hits)
        if choice is None:
            continue
        quote = normalise(choice.quote.text)
        right = q["answerable"] and any(normalise(e) in quote or quote in normalise(e) for e in q["evidence"])
        rows.append((q, choice, right))
        flag = "RIGHT" if right else ("unans" if not q["answerable"] else "wrong")
        print(
            f"{q['id']} {q['lang']} {flag:5} dense={choice.dense:.3f} overlap={choice.overlap:.2f} "
            f"metric={'y' if choice.metric_ok else 'n'}  {q['question'][:70]}"
        )

    print("\nthreshold sweep (answer if dense>=alone or (dense>=with and overlap>=min_overlap)):")
    print("alone  with  ovl   right-answered  wrong-answered  unanswerable-answered")
    for alone, with_, ovl in itertools.product((0.82, 0.84, 0.86, 0.88), (0.78, 0.80, 0.82), (0.2, 0.34, 0.5)):
        answered = [
            (q, c, r)
            for q, c, r in rows
            if c.metric_ok and (c.dense >= alone or (c.dense >= with_ and c.overlap >= ovl))
        ]
        print(
            f"{alone:.2f}  {with_:.2f}  {ovl:.2f}  {sum(r for _, _, r in answered):14d}  "
            f"{sum(1 for q, _, r in answered if q['answerable'] and not r):14d}  "
            f"{sum(1 for q, _, _ in answered if not q['answerable']):21d}"
        )


if __name__ == "__main__":
    main()
