"""What a language model is given: the statements the scorer ranked best, as quoted, best first, while they fit,
with offsets that still point into the document, so a generated answer's quote can be cited exactly; and a cited
statement's passage is shown with the answer even when it was not among the passages shown."""

from __future__ import annotations

from service.generate import Generated
from service.llm_answer import MODEL_CHARS, MODEL_STATEMENT, model_passages, with_generated
from service.schemas import AskResponse, PassageResponse

DOCUMENT = "x" * 1000 + " ".join(f"Sætning nummer {n} om sygefravær." for n in range(200))


def _statement(passage: int, text: str, score: float = 0.5) -> PassageResponse:
    start = DOCUMENT.index(text.split("\n")[0])
    return PassageResponse(
        id=f"d:{passage}",
        document_id="d",
        document_title="Aftale",
        unit="",
        organisation="",
        year="",
        section="Mål",
        page=1,
        text=text,
        score=score,
        start=start,
        end=start + len(text),
        section_kind="goal",
    )


def _response(ranked: list[PassageResponse], passages: list[PassageResponse] | None = None) -> AskResponse:
    return AskResponse(question="q", answered=False, answer="a", citations=[], passages=passages or [], ranked=ranked)


def test_the_model_reads_the_ranked_statements_best_first_with_true_offsets() -> None:
    ranked = [_statement(n % 3, f"Sætning nummer {n} om sygefravær.") for n in (150, 3, 77)]
    given = model_passages(_response(ranked))
    assert [(p.id, p.text) for p in given] == [(p.id, p.text) for p in ranked]
    assert all(DOCUMENT[p.start : p.end] == p.text for p in given)


def test_statements_stop_when_the_next_would_not_fit() -> None:
    long = "\n".join(f"Sætning nummer {n} om sygefravær." for n in range(10, 40))  # one quoted list, ~900 chars
    ranked = [_statement(0, long.replace("\n", " ")[:MODEL_STATEMENT].rsplit(" ", 1)[0]) for _ in range(5)]
    given = model_passages(_response(ranked))
    assert sum(len(p.text) for p in given) <= MODEL_CHARS and len(given) == MODEL_CHARS // len(ranked[0].text)


def test_a_long_statement_is_cut_at_its_last_line_end_within_the_limit() -> None:
    lines = [f"Sætning nummer {n} om sygefravær." for n in range(100, 160)]
    statement = _statement(0, "\n".join(lines))
    [given] = model_passages(_response([statement]))
    assert len(given.text) <= MODEL_STATEMENT and given.text.endswith("sygefravær.") and "\n" in given.text
    assert given.end == given.start + len(given.text)


def test_a_cited_statement_outside_the_shown_passages_brings_its_passage() -> None:
    shown = _statement(0, "Sætning nummer 5 om sygefravær.")
    other = _statement(7, "Sætning nummer 9 om sygefravær.")
    response = _response([other, shown], passages=[shown])
    generated = Generated("Svar [1]", [(1, "Sætning nummer 9 om sygefravær.")])
    result = with_generated(response, generated, model_passages(response))
    assert [p.id for p in result.passages] == ["d:0", "d:7"]
    assert [(c.passage_id, c.start) for c in result.citations] == [("d:7", other.start)]
