"""What a language model is given: the best passages cut to a window around the statement the extractive step
found, with offsets that still point into the document, so a generated answer's quote can be cited exactly."""

from __future__ import annotations

from service.llm_answer import MODEL_PASSAGES, MODEL_WINDOW, model_passages
from service.schemas import AskResponse, CitationResponse, EvidenceResponse, PassageResponse

DOCUMENT = "x" * 1000 + " ".join(f"Sætning nummer {n} om sygefravær." for n in range(200))


def _passage(n: int, start: int, end: int) -> PassageResponse:
    return PassageResponse(
        id=f"d:{n}",
        document_id="d",
        document_title="Aftale",
        unit="",
        organisation="",
        year="",
        section="Mål",
        page=1,
        text=DOCUMENT[start:end],
        score=1.0,
        start=start,
        end=end,
        section_kind="goal",
    )


def _quote(passage: PassageResponse, needle: str) -> tuple[str, int, int]:
    start = DOCUMENT.index(needle, passage.start)
    return needle, start, start + len(needle)


def test_the_model_reads_a_window_around_the_quoted_statement_with_true_offsets() -> None:
    passage = _passage(0, 1000, len(DOCUMENT))
    quote, start, end = _quote(passage, "Sætning nummer 150 om sygefravær.")
    response = AskResponse(
        question="q",
        answered=True,
        answer="a",
        passages=[passage],
        citations=[CitationResponse(passage_id="d:0", quote=quote, start=start, end=end)],
    )
    [given] = model_passages(response)
    assert quote in given.text and len(given.text) <= MODEL_WINDOW
    assert DOCUMENT[given.start : given.end] == given.text


def test_evidence_centres_the_window_and_its_passage_is_read_first() -> None:
    passages = [_passage(n, 1000 + n * 2000, 1000 + (n + 1) * 2000) for n in range(5)]
    quote, start, end = _quote(passages[1], "Sætning nummer 80 om sygefravær.")
    evidence = [EvidenceResponse(passage_id="d:1", quote=quote, start=start, end=end, score=0.5)]
    response = AskResponse(question="q", answered=False, answer="a", citations=[], passages=passages, evidence=evidence)
    given = model_passages(response)
    assert [p.id for p in given] == ["d:1", "d:0", "d:2"][:MODEL_PASSAGES] and quote in given[0].text


def test_the_passages_of_the_evidence_come_first_then_the_rest_in_search_order() -> None:
    passages = [_passage(n, 1000 + n * 1200, 1000 + (n + 1) * 1200) for n in range(5)]
    evidence = []
    for n in (4, 2):
        sentence = next(f"Sætning nummer {k} om sygefravær." for k in range(200) if _inside(passages[n], k))
        quote, start, end = _quote(passages[n], sentence)
        evidence.append(EvidenceResponse(passage_id=f"d:{n}", quote=quote, start=start, end=end, score=0.5))
    response = AskResponse(question="q", answered=False, answer="a", citations=[], passages=passages, evidence=evidence)
    assert [p.id for p in model_passages(response)] == ["d:4", "d:2", "d:0"][:MODEL_PASSAGES]


def _inside(passage: PassageResponse, k: int) -> bool:
    start = DOCUMENT.find(f"Sætning nummer {k} om", passage.start)
    return passage.start <= start and start + 40 <= passage.end
