"""Out-of-fold outcomes of each question -> the two thresholds, the figures reported and the calibration table.

The thresholds are chosen on out-of-fold probabilities:
- direct: the lowest confidence at which the best statement is the right one for at least TARGET_PRECISION of
  the questions at or above it (unanswerable questions count as wrong when they reach it), resting on at least
  MIN_DIRECT questions;
- evidence: the third stage gives the probability that evidence would help; its threshold is the lowest level below
  which at least TARGET_QUIET of the unanswerable questions stay: the product's choice of how often a question the
  documents do not answer gets a plain "not found" rather than the closest statements. Until round 26 the level was
  where the two error rates of showing evidence summed least; that sum is flat over a wide stretch, so the level
  jumped with each set added (0.722, 0.819, 0.778 in three fits) and with it every first run's figures. A share of
  some 560 questions moves little. The unanswerable questions counted there, and in the quiet figure reported, are
  those asked of the corpus they were written for: the same question asked of another corpus
  (`Outcome.elsewhere`) is kept quiet almost always and would flatter both; it is reported on its own.

The issue asked for 0.97 direct precision; cross-validated, 0.97 rests on too few questions to be a threshold, so
0.95 is the operating point chosen, and the figures on held-out sets are reported as measured.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

TARGET_PRECISION = 0.95
# Out of fold, quiet 0.70 / 0.75 / 0.80 cost answer-or-evidence 0.673 / 0.635 / 0.579 (round 25's fit): the middle
# is where the fits of rounds 21-25 sat (quiet 0.70-0.78).
TARGET_QUIET = 0.75
MIN_DIRECT = 20  # questions a direct threshold must rest on, so one lucky question cannot set it
BINS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


@dataclass(frozen=True)
class Outcome:
    """What the out-of-fold fit gives one question asked of one index."""

    answerable: bool
    best: float  # out-of-fold confidence that the best statement answers
    relevance: float  # out-of-fold probability that the answer is among the three best
    right: bool  # the best statement is a right one, stating every figure asked: a right direct answer
    right_in_top3: bool
    first: bool = False  # the best statement holds the answer's evidence (the first stage's ranking)
    elsewhere: bool = False  # asked of an index its question set was not written for (calibrate.Row)

    @property
    def unanswerable_here(self) -> bool:
        """Unanswerable, and asked of the corpus it was written for: what the quiet figure and threshold count."""
        return not self.answerable and not self.elsewhere


def curve(questions: list[Outcome]) -> list[dict[str, float]]:
    """Direct-answer precision and coverage of answerable questions at each confidence level, out of fold."""
    answerable = max(1, sum(q.answerable for q in questions))
    points = []
    for t in (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95):
        above = [q for q in questions if q.best >= t]
        if above:
            points.append(
                {
                    "threshold": t,
                    "precision": round(sum(q.right for q in above) / len(above), 3),
                    "coverage": round(sum(q.answerable for q in above) / answerable, 3),
                    "questions": len(above),
                }
            )
    return points


def evidence_curve(questions: list[Outcome], direct: float) -> list[dict[str, float]]:
    """What each evidence threshold trades, out of fold: answerable questions answered or shown the right statement
    against unanswerable questions kept quiet. The threshold fitted keeps TARGET_QUIET of them quiet; this table is
    what a product that weighs them otherwise chooses from."""
    traded = ("answer_or_evidence", "unanswerable_quiet")
    return [
        {"threshold": t, **{k: round(v, 3) for k, v in summary(questions, direct, t).items() if k in traded}}
        for t in (0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9)
    ]


def direct_threshold(questions: list[Outcome]) -> float:
    for t in sorted({round(q.best, 4) for q in questions}):
        above = [q for q in questions if q.best >= t]
        if len(above) < MIN_DIRECT:
            break
        if sum(q.right for q in above) / len(above) >= TARGET_PRECISION:
            return float(t)
    return 1.01  # no level reaches the target: no direct answers


def evidence_threshold(questions: list[Outcome]) -> float:
    unanswerable = np.asarray([q.relevance for q in questions if q.unanswerable_here])
    if not len(unanswerable):
        return 0.5
    for t in np.unique(unanswerable):
        if np.mean(unanswerable < t) >= TARGET_QUIET:
            return float(t)
    return float(unanswerable.max()) + 1e-6  # every one must stay quiet: just above the most relevant


def summary(questions: list[Outcome], direct: float, evidence: float) -> dict[str, float]:
    answerable = [q for q in questions if q.answerable]
    unanswerable = [q for q in questions if q.unanswerable_here]
    elsewhere = [q for q in questions if q.elsewhere]
    directs = [q for q in questions if q.best >= direct]

    def quiet(q: Outcome) -> bool:
        return q.best < direct and q.relevance < evidence

    def answered_or_shown(q: Outcome) -> bool:
        return (q.best >= direct and q.right) or (q.best < direct and q.relevance >= evidence and q.right_in_top3)

    return {
        "direct_precision": _share(directs, lambda q: q.right),
        "direct_coverage": _share(answerable, lambda q: q.best >= direct),
        "answer_or_evidence": _share(answerable, answered_or_shown),
        "right_at_1": _share(answerable, lambda q: q.first),
        "right_in_top3": _share(answerable, lambda q: q.right_in_top3),
        "unanswerable_direct": _share(unanswerable, lambda q: q.best >= direct),
        "unanswerable_quiet": _share(unanswerable, quiet),
        "elsewhere_quiet": _share(elsewhere, quiet),
        "unanswerable": len(unanswerable),
        "elsewhere": len(elsewhere),
    }


def _share(questions: list[Outcome], test: Callable[[Outcome], bool]) -> float:
    """The share of `questions` that pass `test`; 0.0 for none."""
    return sum(test(q) for q in questions) / len(questions) if questions else 0.0


def table(questions: list[Outcome]) -> list[dict[str, Any]]:
    """Predicted against observed precision of the best statement, by bin of its out-of-fold probability."""
    rows = []
    for low, high in zip(BINS, BINS[1:], strict=False):
        inside = [q for q in questions if low <= q.best < high or (high == 1.0 and q.best == 1.0)]
        rows.append(
            {
                "bin": f"{low:.1f}-{high:.1f}",
                "questions": len(inside),
                "predicted": round(float(np.mean([q.best for q in inside])), 3) if inside else None,
                "observed": round(sum(q.right for q in inside) / len(inside), 3) if inside else None,
            }
        )
    return rows


def format_table(calibration: dict[str, Any]) -> str:
    lines = ["bin        questions  predicted  observed"]
    for row in calibration["table"]:
        predicted = "-" if row["predicted"] is None else f"{row['predicted']:.3f}"
        observed = "-" if row["observed"] is None else f"{row['observed']:.3f}"
        lines.append(f"{row['bin']:<10} {row['questions']:>9}  {predicted:>9}  {observed:>8}")
    cv = calibration["cross_validation"]
    lines.append(
        f"direct threshold {calibration['direct_threshold']:.3f}, evidence threshold "
        f"{calibration['evidence_threshold']:.3f}, C={calibration['C']}"
    )
    lines.append(
        "cross-validated: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in cv.items())
    )
    lines.append("evidence threshold  answer-or-evidence  unanswerable quiet")
    for row in calibration.get("evidence_curve", []):
        values = (row["threshold"], row["answer_or_evidence"], row["unanswerable_quiet"])
        lines.append("{:>18.2f}  {:>18.3f}  {:>18.3f}".format(*values))
    return "\n".join(lines)
