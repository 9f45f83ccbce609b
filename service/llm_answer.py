"""What a language model reads for an answer, and how its outcome becomes the response.

The extractive answer comes first (service/answer); the model then reads the passages it found, cut to windows
around the statements it quoted or showed as evidence, each as its stored sentences, one per line. A generated
answer that passed the guard replaces the extractive one, with citations into those windows; anything else keeps
the extractive answer, marked as a fallback with the reason.
"""

from __future__ import annotations

from index.search import Index
from service.generate import FALLBACK, GENERATED, Generated
from service.schemas import AskResponse, CitationResponse, PassageResponse

# What a language model is given: the best passages, each cut to a window around the statement found in it.
MODEL_PASSAGES = 3
MODEL_WINDOW = 900
# Refusals a language model must not overrule: the question names something no agreement mentions, or the calibrated
# extractive step found nothing relevant (below its evidence threshold). Measured with Qwen2.5-Coder-1.5B on 40
# questions of final2.jsonl: of the 7 answers it wrote where the extractive step found nothing, 2 were right and 2
# stated a wrong figure (one answering an unanswerable question); where it found evidence, 10 of 15 were right.
FINAL_REFUSALS = frozenset({"unknown-name", "no-evidence"})


def model_passages(response: AskResponse) -> list[PassageResponse]:
    """What the language model reads: MODEL_PASSAGES passages (those of the quoted or evidence statements first),
    each cut to a window of MODEL_WINDOW characters around the statement the extractive step quoted or showed as
    evidence in it (else its opening), at whitespace. A small model on a CPU reads ~30 tokens/s: five whole
    passages cost a minute before it writes."""
    quoted = [(q.passage_id, q.start, q.end) for q in [*response.citations, *response.evidence]]
    # The passages of the statements the extractive step found, best first, then the rest in search order (with
    # Qwen2.5-Coder-1.5B on 40 final2 questions: 12 of 21 passed answers right against 11 of 22 in search order).
    first = list(dict.fromkeys(pid for pid, _, _ in quoted))
    ranked = sorted(response.passages, key=lambda p: first.index(p.id) if p.id in first else len(first))
    given = []
    for p in ranked[:MODEL_PASSAGES]:
        spans = [(start, end) for pid, start, end in quoted if pid == p.id]
        start, end = spans[0] if spans else (p.start, p.start)
        left = max(p.start, (start + end) // 2 - MODEL_WINDOW // 2)
        right = min(p.end, left + MODEL_WINDOW)
        left = max(p.start, right - MODEL_WINDOW)
        text = p.text[left - p.start : right - p.start]
        # Whole words only: drop a cut word at either edge.
        lead = len(text) - len(text.lstrip()) if left == p.start else (text.find(" ") + 1 if " " in text else 0)
        trail = len(text) if right == p.end else (text.rfind(" ") if " " in text else len(text))
        window = text[lead:trail].strip()
        offset = left + lead + (len(text[lead:trail]) - len(text[lead:trail].lstrip()))
        given.append(p.model_copy(update={"text": window, "start": offset, "end": offset + len(window)}))
    return given


def with_generated(
    response: AskResponse, generated: Generated, given: list[PassageResponse] | None = None
) -> AskResponse:
    """The response carrying a guard-passed generated answer, or the extractive one marked as a fallback.
    `given`: the passages the model read, which its [n] citations number (default: the response's)."""
    if generated.mode != GENERATED:
        return response.model_copy(update={"mode": FALLBACK, "reason": generated.reason})
    given = given if given is not None else response.passages
    citations = []
    for number, support in generated.citations:
        cited = given[number - 1]
        offset = cited.text.find(support) if support else -1
        if offset < 0:  # the passage supports the answer as a whole
            citations.append(CitationResponse(passage_id=cited.id, quote=cited.text, start=cited.start, end=cited.end))
        else:
            start = cited.start + offset
            citations.append(
                CitationResponse(passage_id=cited.id, quote=support, start=start, end=start + len(support))
            )
    return response.model_copy(
        update={"answered": True, "answer": generated.text, "citations": citations, "mode": GENERATED, "reason": ""}
    )


def with_sentences(index: Index, given: list[PassageResponse]) -> list[dict]:
    """The passages the model reads, each with its statements (stored at ingest) that lie wholly in it: the
    sentences a structured reply chooses from."""
    table = index.statements
    return [
        {
            **p.model_dump(),
            "sentences": [table.statements[row].text for row in table.within(p.document_id, p.start, p.end)],
        }
        for p in given
    ]
