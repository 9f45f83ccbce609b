"""The ranking that orders the evidence: which of a question's candidate statements to show first.

Evidence is judged by whether the answering statement is among the three shown, so their order is fitted as a
ranking (LambdaMART: LightGBM's `lambdarank`, boosted trees whose gradients come from swapping a question's
candidates in its order) rather than read off the first stage's yes/no per statement. Out of fold on the fitting
questions of round 22 (3385 asked, 2586 answerable; folds grouped by document) the right statement was first /
among the three best for 0.589 / 0.751 of the answerable questions in the ranking's order, against 0.565 / 0.739 in
the first stage's (real documents 0.499 / 0.668 -> 0.526 / 0.697).

The ranking replaces nothing: a ranking score means nothing across questions, and the direct answer needs a
probability that means the same for every question ("this statement answers"). Made the first stage, Platt-scaled,
it left the direct stage far less sure of itself (coverage at 0.95 precision 0.055 -> 0.010 on the same rows), so
the first stage's probability still picks and weighs the direct answer, and the ranking orders what evidence shows.

The trees are copied out of LightGBM into `Trees` (service/answer/trees.py), so answering needs neither LightGBM
nor a pickle.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import Any

import numpy as np

from service.answer.trees import Tree, Trees

# The best of three settings by the same grouped cross-validation on all the fitting rows (31 leaves, or 1000
# rounds): right statement first 0.581-0.589 across them, this one 0.589.
SETTINGS: dict[str, Any] = {
    "objective": "lambdarank",
    "learning_rate": 0.03,
    "num_leaves": 15,
    "min_data_in_leaf": 40,
    "lambda_l2": 1.0,
    "lambdarank_truncation_level": 10,
    "seed": 0,
    "deterministic": True,
    "num_threads": 1,
    "verbosity": -1,
}
ROUNDS = 600


def _lambdarank(x: np.ndarray, y: np.ndarray, questions: Sequence[str]) -> Any:
    import lightgbm

    order = np.argsort(np.asarray(questions), kind="stable")
    sizes = [len(list(rows)) for _, rows in groupby(questions[i] for i in order)]  # candidates per question
    data = lightgbm.Dataset(x[order], y[order].astype(int), group=sizes)
    return lightgbm.train(SETTINGS, data, num_boost_round=ROUNDS)


def _copy(booster: Any, size: int, sample: np.ndarray) -> Trees:
    """LightGBM's trees as `Trees`, checked against its own scores."""
    trees = tuple(_tree(info["tree_structure"]) for info in booster.dump_model()["tree_info"])
    copied = Trees(0.0, trees, size)
    if not np.allclose(copied.raw_rows(sample), booster.predict(sample, raw_score=True), atol=1e-6):
        raise RuntimeError("the copied trees do not reproduce LightGBM's scores (a changed version?)")
    return copied


def _tree(root: dict[str, Any]) -> Tree:
    """One dumped tree (nested dicts) as flat node arrays, root first."""
    feature: list[int] = []
    threshold: list[float] = []
    left: list[int] = []
    right: list[int] = []
    leaf: list[bool] = []
    value: list[float] = []

    def add(node: dict[str, Any]) -> int:
        at = len(feature)
        feature.append(0)
        threshold.append(0.0)
        left.append(0)
        right.append(0)
        leaf.append("leaf_value" in node)
        value.append(float(node.get("leaf_value", 0.0)))
        if not leaf[at]:
            if node["decision_type"] != "<=":
                raise RuntimeError(f"a split of kind {node['decision_type']!r} cannot be copied")
            feature[at], threshold[at] = int(node["split_feature"]), float(node["threshold"])
            left[at] = add(node["left_child"])
            right[at] = add(node["right_child"])
        return at

    add(root)
    return Tree(
        np.asarray(feature, np.int64),
        np.asarray(threshold, np.float64),
        np.asarray(left, np.int64),
        np.asarray(right, np.int64),
        np.asarray(leaf, bool),
        np.asarray(value, np.float64),
    )


def out_of_fold_ranking(
    x: np.ndarray, y: np.ndarray, questions: Sequence[str], folds: list[tuple[np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, Trees]:
    """Out-of-fold ranking scores of every candidate, and the ranking fitted on all rows. `questions`: the question
    each row is a candidate of."""
    scores = np.zeros(len(y))
    for train, test in folds:
        booster = _lambdarank(x[train], y[train], [questions[i] for i in train])
        scores[test] = booster.predict(x[test], raw_score=True)
    return scores, _copy(_lambdarank(x, y, questions), x.shape[1], x[: min(len(x), 500)])
