"""Boosted trees as data: the direct-answer stage of the scorer (is the best statement the answer?) and its
evidence stage (is the answer among the statements shown?).

That question turns on combinations a linear stage cannot weigh: a clear margin means much when the best statement
states the figure asked for in the top passage, little when it only repeats the question's words. Trees fitted by
scikit-learn's histogram gradient boosting on the question's features, the best statement's own features and how
they differ from the second best's. On the fitting questions, out of fold (folds grouped by document), the best
statement was right for 0.98 / 0.96 / 0.92 of the questions at direct-answer coverage 0.05 / 0.10 / 0.15, against
0.95 / 0.90 / 0.89 for a logistic stage on the question's features alone (round 18).

The fitted trees are written into the calibration file as plain lists (feature, threshold, children, leaf value)
and read back by `Trees`, so answering needs neither scikit-learn nor a pickle.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np

# Chosen among five settings (learning rate 0.03-0.1, 7-31 leaves, 150-500 trees) by the same grouped
# cross-validation: direct coverage at 0.95 precision 0.078-0.117 across them, this one 0.108.
SETTINGS: dict[str, Any] = {"max_iter": 300, "learning_rate": 0.05, "max_leaf_nodes": 15, "random_state": 0}


@dataclass(frozen=True)
class Tree:
    feature: np.ndarray  # per node: the feature it splits on
    threshold: np.ndarray  # ... goes left when the value is at most this
    left: np.ndarray
    right: np.ndarray
    leaf: np.ndarray  # ... is a leaf
    value: np.ndarray  # ... the leaf's contribution to the log-odds

    def raw(self, x: np.ndarray) -> float:
        node = 0
        while not self.leaf[node]:
            node = self.left[node] if x[self.feature[node]] <= self.threshold[node] else self.right[node]
        return float(self.value[node])

    @property
    def depth(self) -> int:
        """Splits on the longest way from the root to a leaf."""
        depth, level = 0, [0]
        while level := [c for n in level if not self.leaf[n] for c in (self.left[n], self.right[n])]:
            depth += 1
        return depth

    def to_dict(self) -> dict[str, list]:
        return {
            "feature": self.feature.tolist(),
            "threshold": self.threshold.tolist(),
            "left": self.left.tolist(),
            "right": self.right.tolist(),
            "leaf": self.leaf.astype(int).tolist(),
            "value": self.value.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, list]) -> Tree:
        return cls(
            np.asarray(data["feature"], np.int64),
            np.asarray(data["threshold"], np.float64),
            np.asarray(data["left"], np.int64),
            np.asarray(data["right"], np.int64),
            np.asarray(data["leaf"], bool),
            np.asarray(data["value"], np.float64),
        )


@dataclass(frozen=True)
class Forest:
    """Trees as one node table: each tree's nodes follow the one before, children point into the whole table."""

    node: Tree
    roots: np.ndarray
    depth: int

    @classmethod
    def of(cls, trees: tuple[Tree, ...]) -> Forest:
        offsets = np.cumsum([0] + [len(tree.leaf) for tree in trees])

        def joined(name: str) -> np.ndarray:
            return np.concatenate([getattr(tree, name) for tree in trees])

        def children(name: str) -> np.ndarray:
            return np.concatenate([getattr(tree, name) + o for tree, o in zip(trees, offsets, strict=False)])

        fields = ("feature", "threshold", "left", "right", "leaf", "value")
        node = Tree(*(children(n) if n in ("left", "right") else joined(n) for n in fields))
        return cls(node, offsets[:-1], max(tree.depth for tree in trees))


@dataclass(frozen=True)
class Trees:
    baseline: float
    trees: tuple[Tree, ...]
    size: int  # the features it reads
    # Boosted trees are sure of themselves on the questions they were grown on: their log-odds are rescaled to
    # what was observed out of fold (Platt scaling), so a stated confidence means what the calibration table says.
    slope: float = 1.0
    shift: float = 0.0

    def raw(self, x: np.ndarray) -> float:
        return self.baseline + sum(tree.raw(x) for tree in self.trees)

    def raw_rows(self, x: np.ndarray) -> np.ndarray:
        """`raw` of each row of a matrix, every row walked down every tree at once: the ranking scores a question's
        ~60 candidates with 600 trees, which one row and one tree at a time would take ~0.3 s."""
        forest = self._forest
        node = forest.node
        at = np.tile(forest.roots, (len(x), 1))
        rows = np.arange(len(x))[:, None]
        for _ in range(forest.depth):
            goes_left = x[rows, node.feature[at]] <= node.threshold[at]
            at = np.where(node.leaf[at], at, np.where(goes_left, node.left[at], node.right[at]))
        return self.baseline + node.value[at].sum(axis=1)

    @cached_property
    def _forest(self) -> Forest:
        return Forest.of(self.trees)

    def probability(self, x: np.ndarray) -> np.ndarray | float:
        """Of one row (a float) or of each row of a matrix."""
        if x.ndim == 2:
            return 1.0 / (1.0 + np.exp(-(self.slope * self.raw_rows(x) + self.shift)))
        return 1.0 / (1.0 + np.exp(-(self.slope * self.raw(x) + self.shift)))

    def to_dict(self, prefix: str) -> dict[str, Any]:
        return {
            f"{prefix}model": "trees",
            f"{prefix}baseline": self.baseline,
            f"{prefix}slope": self.slope,
            f"{prefix}shift": self.shift,
            f"{prefix}size": self.size,
            f"{prefix}trees": [tree.to_dict() for tree in self.trees],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], prefix: str) -> Trees:
        if data.get(f"{prefix}model") != "trees":
            raise KeyError(f"{prefix}model")
        trees = tuple(Tree.from_dict(tree) for tree in data[f"{prefix}trees"])
        scaling = float(data[f"{prefix}slope"]), float(data[f"{prefix}shift"])
        return cls(float(data[f"{prefix}baseline"]), trees, int(data[f"{prefix}size"]), *scaling)


def fit_trees(x: np.ndarray, y: np.ndarray) -> Trees:
    """Fit with scikit-learn and copy the trees out: its predictors are not public API, so the copy is checked
    against its own probabilities before it is returned (tests/test_trees.py holds the same check)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(**SETTINGS).fit(x, y)
    trees = []
    for (predictor,) in model._predictors:
        nodes = predictor.nodes
        trees.append(
            Tree(
                nodes["feature_idx"].astype(np.int64),
                nodes["num_threshold"].astype(np.float64),
                nodes["left"].astype(np.int64),
                nodes["right"].astype(np.int64),
                nodes["is_leaf"].astype(bool),
                nodes["value"].astype(np.float64),
            )
        )
    fitted = Trees(float(np.ravel(model._baseline_prediction)[0]), tuple(trees), x.shape[1])
    sample = x[: min(len(x), 200)]
    if not np.allclose([fitted.raw(row) for row in sample], model.decision_function(sample), atol=1e-6):
        raise RuntimeError("the copied trees do not reproduce scikit-learn's probabilities (a changed version?)")
    return fitted


def out_of_fold_trees(
    x: np.ndarray, y: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]], fitted_on: np.ndarray | None = None
) -> tuple[np.ndarray, Trees]:
    """Out-of-fold probabilities of every row (rescaled as the returned trees rescale theirs), and the trees
    fitted on all rows; with `fitted_on` (a mask), fitted and rescaled on those rows only, scored for all."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    kept = np.ones(len(y), bool) if fitted_on is None else fitted_on
    raw = np.zeros(len(y))
    for train, test in folds:
        train = train[kept[train]]
        model = HistGradientBoostingClassifier(**SETTINGS).fit(x[train], y[train])
        raw[test] = model.decision_function(x[test])
    scaling = LogisticRegression(C=1e6).fit(raw[kept, None], y[kept])
    slope, shift = float(scaling.coef_[0, 0]), float(scaling.intercept_[0])
    trees = replace(fit_trees(x[kept], y[kept]), slope=slope, shift=shift)
    return 1.0 / (1.0 + np.exp(-(slope * raw + shift))), trees
