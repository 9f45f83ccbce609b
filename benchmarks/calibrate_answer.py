"""Where the answerer's refusal thresholds fall: for each question, the evidence measures of the sentence it
would quote with the thresholds off, whether that sentence is right, and a sweep of the thresholds.

Run: python -m benchmarks.calibrate_answer [--questions questions.jsonl heldout.jsonl ...]
(in-process, uses the index in data/; run `aftaler ingest` first)
A threshold set here is only worth keeping if the same sweep on new questions agrees.
"""

from __future__ import annotations

import argparse
import itertools
from typing import Any

from benchmarks.common import load_questions, normalise, states_figure
from service import answer as answer_module
from service.answer import Choice
from service.api import Service
from service.config import get_settings
from service.runtime import Runtime


def _right(question: dict[str, Any], quote: str) -> bool:
    if not question["answerable"]:
        return False
    if question.get("numbers"):
        return all(states_figure(quote, number) for number in question["numbers"])
    return any(normalise(e) in normalise(quote) or normalise(quote) in normalise(e) for e in question["evidence"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", nargs="+", default=["questions.jsonl"])
    args = parser.parse_args()
    service = Service.start(Runtime(get_settings()))
    answerer = service.answerer
    # Thresholds off: every question the rules let through is answered, and its measures are recorded.
    answer_module.MIN_DENSE_ALONE = {"da": 0.0, "en": 0.0}
    chosen: list[Choice | None] = []
    best_quote = answerer._best_quote

    def recording(question: str, hits: list) -> Choice | None:
        choice = best_quote(question, hits)
        chosen.append(choice)
        return choice

    answerer._best_quote = recording  # type: ignore[method-assign]
    rows: list[tuple[dict[str, Any], str, Choice, bool]] = []
    for name in args.questions:
        for q in load_questions(name):
            chosen.clear()
            result = answerer.answer(q["question"])
            choice = chosen[-1] if chosen else None
            if choice is None or result.reason in ("unknown-name", "year-not-covered", "no-figure"):
                continue  # refused by a rule, not by a threshold
            right = _right(q, result.answer)
            rows.append((q, result.language, choice, right))
            flag = "RIGHT" if right else ("unans" if not q["answerable"] else "wrong")
            print(
                f"{q['id']} {result.language} {flag:5} dense={choice.dense:.3f} overlap={choice.overlap:.2f} "
                f"subject={'-' if choice.subject is None else f'{choice.subject:.2f}'} "
                f"{q['question'][:80]}"
            )

    print("\nthreshold sweep (answer if dense>=alone[lang] or (dense>=with and overlap>=min_overlap)):")
    print("alone_da alone_en  with  ovl   right  wrong  unanswerable-answered")
    grid = itertools.product((0.84, 0.86, 0.88), (0.80, 0.815, 0.83, 0.85, 9.0), (0.78, 0.80, 0.82), (0.2, 0.34, 0.5))
    for alone_da, alone_en, with_, ovl in grid:
        alone = {"da": alone_da, "en": alone_en}
        answered = [
            (q, r) for q, lang, c, r in rows if c.dense >= alone[lang] or (c.dense >= with_ and c.overlap >= ovl)
        ]
        print(
            f"{alone_da:.3f}    {alone_en:.3f}  {with_:.2f}  {ovl:.2f}  {sum(r for _, r in answered):5d}  "
            f"{sum(1 for q, r in answered if q['answerable'] and not r):5d}  "
            f"{sum(1 for q, _ in answered if not q['answerable']):5d}"
        )


if __name__ == "__main__":
    main()
