"""Fitting the scorer: question sets -> candidate features with labels -> three stages fitted with grouped
cross-validation (a logistic regression per statement; boosted trees for the direct answer and for evidence) and the
ranking that orders the evidence (LambdaMART, service/answer/ranking.py) -> thresholds and a calibration table
-> a calibration file.

A candidate is labelled right when what a direct answer would quote if it won (the statement; for a list
question, the list it introduces or belongs to) holds one of the question's evidence strings (or is a part of one,
for evidence that spans a label and its value). The direct stage asks more, as the benchmarks judge a direct answer:
the best statement is right and, as quoted, states every figure the question expects (one of two asked figures is
a part of the answer, not the answer; service/answer/judged.py). Folds are grouped by the document a question is
about, so no document has questions in both the fitting and the checking fold: the product meets documents it was
never fitted on, and questions about one document share passages, so folds grouped by question flatter whatever is
learned per passage. The thresholds, the figures reported and the calibration table are read from the out-of-fold
outcomes (service/answer/thresholds.py).
A question asked of two indexes (an unanswerable one is asked of every index) is two questions there, kept in one
fold.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from service.answer.features import FEATURES
from service.answer.judged import holds_evidence, normalise, states_every_figure
from service.answer.pipeline import Answerer
from service.answer.ranking import out_of_fold_ranking
from service.answer.scorer import (
    EXPANSION,
    QUESTION_FEATURES,
    RANKING,
    RANKING_FEATURES,
    direct_features,
    evidence_features,
    pairwise,
    question_features,
    ranking_features,
)
from service.answer.thresholds import (
    TARGET_PRECISION,
    Outcome,
    curve,
    direct_threshold,
    evidence_curve,
    evidence_threshold,
    summary,
    table,
)
from service.answer.trees import out_of_fold_trees

FOLDS = 5
C_GRID = (0.001, 0.003, 0.01, 0.03, 0.1)


@dataclass(frozen=True)
class Row:
    question_id: str
    answerable: bool
    label: bool
    features: list[float]
    # The index the row was collected on: an unanswerable question is asked of every index, and its candidates
    # there are separate questions (pooled, the best of both would look more answerable than either).
    index: str = ""
    # The document the question is about (its file; an unanswerable question naming none: the question itself):
    # the folds are grouped by it.
    document: str = ""
    # As quoted, it also states every figure the question expects: a direct answer must give them all, so "the best
    # statement answers" is fitted on this (one figure of a question asking two is a part, not the answer).
    complete: bool = True
    # Asked of an index its question set was not written for (an unanswerable question about the agreements asked
    # of the real documents): unanswerable there by a mile, so it says nothing of how quiet close misses stay.
    elsewhere: bool = False

    @property
    def asked(self) -> str:
        return f"{self.index}/{self.question_id}"

    @property
    def group(self) -> str:
        """The fold it falls in is its document's (rows saved before documents were recorded: its question's)."""
        return self.document or self.question_id


def load_questions(paths: Iterable[Path]) -> list[dict[str, Any]]:
    questions = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                questions.append({**json.loads(line), "set": path.stem})
    return questions


def fitting_sets(folder: Path) -> list[Path]:
    """The question sets of `folder` to fit on: every set of questions (not the comparison or precedent sets) but
    those listed in its held_out.txt."""
    listed = folder / "held_out.txt"
    lines = listed.read_text(encoding="utf-8").splitlines() if listed.is_file() else []
    held_out = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    return [
        path
        for path in sorted(folder.glob("*.jsonl"))
        if path.name not in held_out and '"question"' in path.read_text(encoding="utf-8").split("\n", 1)[0]
    ]


@dataclass(frozen=True)
class IndexDocuments:
    """What a question set is matched against, read once per index: each document's file name and its
    normalised names (title, unit, organisation)."""

    names: dict[str, str]  # file name -> names

    @property
    def files(self) -> frozenset[str]:
        return frozenset(self.names)

    @property
    def label(self) -> str:
        """Names the index by its documents, so rows saved from two indexes stay apart."""
        return hashlib.sha256("\n".join(sorted(self.files)).encode()).hexdigest()[:12]

    @classmethod
    def of(cls, answerer: Answerer) -> IndexDocuments:
        documents = answerer.index.documents.values()
        return cls({Path(d.path).name: normalise(f"{d.title} | {d.unit} | {d.organisation}") for d in documents})

    def document_of(self, question: dict[str, Any]) -> str:
        """The file of the document the question is about: its own file, else the first document here bearing
        the name it gives; "" when it names none here."""
        if question.get("file"):
            return Path(question["file"]).name
        name = normalise(question.get("document", ""))
        return next((file for file, names in self.names.items() if name and name in names), "")

    def asked_about(self, question: dict[str, Any]) -> bool:
        """The question is about a document of this index: its file is here, or (a set without files) a document
        here bears the name it gives. An unanswerable question without a file counts anywhere."""
        if question.get("file"):
            return self.document_of(question) in self.files
        return not question["answerable"] or bool(self.document_of(question))


def collect(answerer: Answerer, questions: list[dict[str, Any]]) -> list[Row]:
    """One row per candidate statement of each question, labelled from its evidence."""
    rows: list[Row] = []
    documents = IndexDocuments.of(answerer)
    written_for = {q["set"] for q in questions if q["answerable"] and documents.asked_about(q)}
    for question in questions:
        if not documents.asked_about(question):
            continue
        qid = f"{question['set']}:{question['id']}"
        answerable = bool(question["answerable"])
        about = documents.document_of(question) or qid
        shared = {"index": documents.label, "document": about, "elsewhere": question["set"] not in written_for}
        answer = answerer.answer(question["question"], explain=True, all_candidates=True)
        for candidate in answer.trace["candidates"]:
            quoted = candidate["answers_with"]
            label = holds_evidence(quoted, question.get("evidence", []))
            complete = states_every_figure(quoted, question.get("numbers", []))
            features = [candidate["features"][f] for f in FEATURES]
            rows.append(Row(qid, answerable, label, features, complete=complete, **shared))
        if not answer.trace["candidates"]:
            rows.append(Row(qid, answerable, False, [], **shared))
    return rows


def write_rows(rows: list[Row], path: Path) -> None:
    path.write_text("".join(json.dumps(row.__dict__) + "\n" for row in rows), encoding="utf-8")


def read_rows(path: Path) -> list[Row]:
    return [Row(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def fit(rows: list[Row], model: str) -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scored = [r for r in rows if r.features]
    raw = np.asarray([r.features for r in scored], np.float64)
    y = np.asarray([r.label for r in scored], bool)
    whole = y & np.asarray([r.complete for r in scored], bool)
    folds = grouped_folds([r.group for r in scored])
    x = pairwise(raw)

    def out_of_fold(c: float) -> np.ndarray:
        predicted = np.zeros(len(y))
        for train, test in folds:
            scaler = StandardScaler().fit(x[train])
            model_ = LogisticRegression(C=c, max_iter=2000).fit(scaler.transform(x[train]), y[train])
            predicted[test] = model_.predict_proba(scaler.transform(x[test]))[:, 1]
        return predicted

    losses = {}
    for c in C_GRID:
        p = np.clip(out_of_fold(c), 1e-6, 1 - 1e-6)
        losses[c] = float(-np.mean(y * np.log(p) + (~y) * np.log(1 - p)))
    best_c = min(losses, key=losses.get)
    oof = out_of_fold(best_c)
    scaler = StandardScaler().fit(x)
    final = LogisticRegression(C=best_c, max_iter=2000).fit(scaler.transform(x), y)

    # Second and third stage, per question asked of an index: is the best statement the right one (direct; trees)?
    # is a right one among the three best, or is the question unanswerable (evidence)? Fitted on the out-of-fold
    # probabilities of the first stage, checked out of fold again.
    index_of: dict[str, list[int]] = {}
    for i, r in enumerate(scored):
        index_of.setdefault(r.asked, []).append(i)
    asked = list(index_of)
    question_of = {r.asked: r for r in rows}
    qx = np.asarray([question_features(raw[index_of[a]], oof[index_of[a]]) for a in asked])
    tops = [np.asarray(index_of[a])[np.argsort(-oof[index_of[a]], kind="stable")] for a in asked]
    right = np.asarray([bool(whole[top[0]]) for top in tops])
    # Evidence shows the ranking's three best: its stage reads them, and "first" and "among the three" are its.
    against_rivals = np.zeros((len(raw), len(RANKING_FEATURES)))
    for positions in index_of.values():
        against_rivals[positions] = ranking_features(raw[positions])
    ranked, ranker = out_of_fold_ranking(against_rivals, y, [r.asked for r in scored], folds)
    orders = [np.argsort(-ranked[index_of[a]], kind="stable") for a in asked]
    shown_x = np.asarray(
        [evidence_features(raw[index_of[a]], oof[index_of[a]], o) for a, o in zip(asked, orders, strict=True)]
    )
    shown = [np.asarray(index_of[a])[o] for a, o in zip(asked, orders, strict=True)]
    first = np.asarray([bool(y[top[0]]) for top in shown])
    in_top3 = np.asarray([bool(y[top[:3]].any()) for top in shown])
    answerable_q = np.asarray([question_of[a].answerable for a in asked])
    q_groups = np.asarray([question_of[a].group for a in asked])
    direct_x = np.asarray([direct_features(qx[n], raw[index_of[a]], oof[index_of[a]]) for n, a in enumerate(asked)])
    confidence, stage2 = out_of_fold_trees(direct_x, right, grouped_folds(q_groups.tolist()))
    # Evidence is for answerable questions whose answer is among the three shown; it must stay away from the
    # unanswerable ones. Answerable questions whose answer is not among the three teach it nothing either way.
    relevance, stage3 = out_of_fold_trees(
        shown_x, answerable_q, grouped_folds(q_groups.tolist()), in_top3 | ~answerable_q
    )

    by_asked = {a: n for n, a in enumerate(asked)}
    questions = []
    for a in dict.fromkeys(r.asked for r in rows):
        elsewhere = question_of[a].elsewhere
        if a not in by_asked:
            questions.append(Outcome(question_of[a].answerable, 0.0, 0.0, False, False, elsewhere=elsewhere))
            continue
        n = by_asked[a]
        scores = float(confidence[n]), float(relevance[n])
        labels = bool(right[n]), bool(in_top3[n]), bool(first[n])
        questions.append(Outcome(bool(answerable_q[n]), *scores, *labels, elsewhere=elsewhere))
    direct = direct_threshold(questions)
    evidence = evidence_threshold(questions)
    return {
        "model": model,
        "features": list(FEATURES),
        "expansion": EXPANSION,
        **_linear("", scaler, final),
        "C": best_c,
        "question_features": list(QUESTION_FEATURES),
        **stage2.to_dict("question_"),
        **stage3.to_dict("evidence_"),
        "ranker_objective": RANKING,
        **ranker.to_dict("ranker_"),
        "direct_threshold": direct,
        "evidence_threshold": evidence,
        "target_precision": TARGET_PRECISION,
        "questions": len(questions),
        "candidates": len(scored),
        "fitted": datetime.now(UTC).isoformat(timespec="seconds"),
        "cross_validation": summary(questions, direct, evidence),
        "table": table(questions),
        "precision_curve": curve(questions),
        "evidence_curve": evidence_curve(questions, direct),
    }


def grouped_folds(groups: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(fitting, checking) positions of each fold; all the positions of a group fall in one checking fold."""
    from sklearn.model_selection import GroupKFold

    return list(GroupKFold(n_splits=FOLDS).split(np.zeros((len(groups), 1)), groups=groups))


def _linear(prefix: str, scaler: Any, model: Any) -> dict[str, Any]:
    """A fitted stage as data: standardisation and logistic weights, under `prefix` (read by Linear.from_dict)."""
    return {
        f"{prefix}mean": scaler.mean_.tolist(),
        f"{prefix}scale": scaler.scale_.tolist(),
        f"{prefix}coef": model.coef_[0].tolist(),
        f"{prefix}intercept": float(model.intercept_[0]),
    }


def write_calibration(calibration: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(calibration, ensure_ascii=False, indent=1), encoding="utf-8")
