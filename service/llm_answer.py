"""What a language model reads for an answer, and how its outcome becomes the response.

The extractive answer comes first (service/answer); the model then reads the statements the scorer ranked best,
each as the staff member would see it quoted (a list with its items, a colon with the lines it introduces) under
its source, one stored sentence per line, best first. A generated answer that passed the guard replaces the
extractive one, with citations into those statements; anything else keeps the extractive answer, marked as a
fallback with the reason.
"""

from __future__ import annotations

from index.search import Index
from service.generate import FALLBACK, GENERATED, Generated
from service.schemas import AskResponse, CitationResponse, PassageResponse

# What a language model is given: the scorer's best statements, as many as fit in MODEL_CHARS (a small model on a
# CPU reads ~30 tokens/s, so ~800 prompt tokens), a long one cut at a line end after MODEL_STATEMENT characters.
MODEL_CHARS = 2700
MODEL_STATEMENT = 900
# Refusals a language model must not overrule: the question names something no agreement mentions, or the calibrated
# extractive step found nothing relevant (below its evidence threshold). Measured with Qwen2.5-Coder-1.5B on 40
# questions of final2.jsonl: of the 7 answers it wrote where the extractive step found nothing, 2 were right and 2
# stated a wrong figure (one answering an unanswerable question); where it found evidence, 10 of 15 were right.
FINAL_REFUSALS = frozenset({"unknown-name", "no-evidence"})


def model_passages(response: AskResponse) -> list[PassageResponse]:
    """What the language model reads: the response's ranked statements, best first, while they fit in MODEL_CHARS
    (the first always), each cut at its last line end within MODEL_STATEMENT characters when longer. Each keeps
    its source and its offsets in the document, so a quote the model copies is cited exactly.

    Until round 17 the model read three passages cut to 900-character windows around the statements the extractive
    step found; on the same 40 questions of final2 (Qwen2.5-Coder-1.5B) the ranked statements gave 13 right passed
    answers to 11, at 18 s added p50 to 21 s (README, "Generated answers")."""
    given: list[PassageResponse] = []
    used = 0
    for statement in response.ranked:
        text = statement.text
        cut = text.rfind("\n", 0, MODEL_STATEMENT) if len(text) > MODEL_STATEMENT else -1
        text = text[:cut].rstrip() if cut > 0 else text
        if given and used + len(text) > MODEL_CHARS:
            break
        given.append(statement.model_copy(update={"text": text, "end": statement.start + len(text)}))
        used += len(text)
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
    # A cited statement may lie in a passage retrieved but not among those shown: shown then, for its source.
    shown = {p.id for p in response.passages}
    cited = {c.passage_id for c in citations}
    unseen = {p.id: p for p in given if p.id in cited and p.id not in shown}
    passages = [*response.passages, *unseen.values()]
    update = {"answered": True, "answer": generated.text, "citations": citations, "passages": passages}
    return response.model_copy(update={**update, "mode": GENERATED, "reason": ""})


def with_sentences(index: Index, given: list[PassageResponse]) -> list[dict]:
    """The passages the model reads, each with its statements (stored at ingest) that lie wholly in it: the
    sentences a structured reply chooses from (a statement cut short by MODEL_STATEMENT is read as its text)."""
    table = index.statements
    return [
        {
            **p.model_dump(),
            "sentences": [table.statements[row].text for row in table.within(p.document_id, p.start, p.end)]
            or [p.text],
        }
        for p in given
    ]
