"""Pydantic schemas at the API edge. Field limits give clear 422s for free."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

MAX_QUESTION_CHARS = 2000
MAX_DRAFT_CHARS = 5000
MAX_HISTORY_TURNS = 20
MAX_HISTORY_CHARS = 4000


def _not_blank(value: str, field: str, limit: int) -> str:
    if not value.strip():
        raise ValueError(f"{field} is blank; send 1 to {limit} characters of text")
    return value


class FiltersRequest(BaseModel):
    document_id: str | None = Field(default=None, max_length=200)
    organisation: str | None = Field(default=None, max_length=200)
    unit: str | None = Field(default=None, max_length=200)
    year: str | None = Field(default=None, max_length=20)
    doc_type: str | None = Field(default=None, max_length=100)


class SearchRequest(BaseModel):
    query: str = Field(max_length=MAX_QUESTION_CHARS, description="Question or keywords, 1-2000 characters.")
    top_k: int = Field(default=5, ge=1, le=50)
    filters: FiltersRequest | None = None

    @field_validator("query")
    @classmethod
    def _query_not_blank(cls, value: str) -> str:
        return _not_blank(value, "query", MAX_QUESTION_CHARS)


class HistoryTurn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_HISTORY_CHARS)


class AskRequest(BaseModel):
    question: str = Field(max_length=MAX_QUESTION_CHARS, description="The question, 1-2000 characters.")
    top_k: int = Field(default=5, ge=1, le=50)
    filters: FiltersRequest | None = None
    history: list[HistoryTurn] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_TURNS,
        description=f"Earlier turns of the conversation, at most {MAX_HISTORY_TURNS}.",
    )

    @field_validator("question")
    @classmethod
    def _question_not_blank(cls, value: str) -> str:
        return _not_blank(value, "question", MAX_QUESTION_CHARS)


class PassageResponse(BaseModel):
    id: str
    document_id: str
    document_title: str
    unit: str
    organisation: str
    year: str
    section: str
    page: int | None
    text: str
    score: float
    start: int
    end: int
    section_kind: str = ""
    ocr: bool = Field(default=False, description="The passage is on a scanned page read by OCR.")


class SearchResponse(BaseModel):
    query: str
    passages: list[PassageResponse]


class CitationResponse(BaseModel):
    passage_id: str
    quote: str
    start: int  # offsets of the quote in the document's cleaned text
    end: int


class EvidenceResponse(BaseModel):
    passage_id: str
    quote: str
    start: int  # offsets of the quote in the document's cleaned text
    end: int
    score: float  # the scorer's probability that this statement answers the question


class CompareRowResponse(BaseModel):
    unit: str
    organisation: str
    metric: str
    label: str = ""  # the words the agreement names the figure by ("Rolleklarhed"): the survey parameter, the label
    value: str
    measure: str
    kind: str
    year: str
    quote: str
    document_id: str
    document_title: str
    section: str
    page: int | None
    start: int
    end: int
    metric_label: str = ""  # the metric's name in the topic's language ("sygefravær"), for display


class AskResponse(BaseModel):
    question: str
    answered: bool
    answer: str
    citations: list[CitationResponse]
    passages: list[PassageResponse]
    language: str = "da"
    mode: str = "extractive"  # extractive | generated | extractive-fallback | compare
    reason: str = ""  # why a generated answer fell back, when it did
    standalone_question: str = ""  # the question as understood after resolving a follow-up
    rows: list[CompareRowResponse] = Field(default_factory=list)
    grade: str = "nothing"  # direct | evidence | nothing (extractive grading; "direct" whenever answered)
    lead: str = ""  # the answer itself (figures, dates), copied verbatim from the quote
    confidence: float = 0.0  # calibrated probability that the quoted statement answers the question
    relevance: float = 0.0  # calibrated probability that the answer is among the three best statements
    evidence: list[EvidenceResponse] = Field(default_factory=list)  # closest statements when not answered
    # The best statements as quoted, best first, each with its passage's source (text, offsets, page and score are
    # the statement's): what a configured language model reads.
    ranked: list[PassageResponse] = Field(default_factory=list)
    trace: dict[str, Any] | None = None  # with ?debug=true: analysis, candidates, features, thresholds


class CompareRequest(BaseModel):
    topic: str = Field(max_length=200, description="A metric or question, e.g. 'sygefravær', 1-200 characters.")
    filters: FiltersRequest | None = None

    @field_validator("topic")
    @classmethod
    def _topic_not_blank(cls, value: str) -> str:
        return _not_blank(value, "topic", 200)


class CompareResponse(BaseModel):
    topic: str
    metrics: list[str] = Field(default_factory=list)
    rows: list[CompareRowResponse]
    message: str = ""


class SimilarRequest(BaseModel):
    text: str = Field(max_length=MAX_DRAFT_CHARS, description="A draft sentence or paragraph, 1-5000 characters.")
    top_k: int = Field(default=5, ge=1, le=50)
    filters: FiltersRequest | None = None
    section_kind: str | None = Field(default=None, max_length=40)

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, value: str) -> str:
        return _not_blank(value, "text", MAX_DRAFT_CHARS)


class SimilarPassageResponse(PassageResponse):
    highlights: list[tuple[int, int]] = Field(
        default_factory=list, description="[start, end] spans within `text` that match the draft."
    )


class SimilarResponse(BaseModel):
    text: str
    passages: list[SimilarPassageResponse]


class HealthResponse(BaseModel):
    status: str
    documents: int
    chunks: int
    model: str
    search_backend: str = Field(description='Where chunks are searched: "embedded" (in this process) or "milvus".')


class ErrorResponse(BaseModel):
    """Every error the API returns (400-415, 422, 429, 503, 507) has this shape."""

    detail: str = Field(min_length=1, description="What is wrong, the value or limit involved, and how to fix it.")
    errors: list[str] = Field(default_factory=list, description="One message per invalid field (422 only).")


class FileOutcomeResponse(BaseModel):
    name: str = Field(description="The file name in the corpus folder.")
    status: str = Field(description="stored (waiting to be indexed), indexed or failed.")
    message: str = ""
    document_id: str = ""


class JobResponse(BaseModel):
    id: str
    kind: str
    state: str = Field(description="queued, running, done or failed.")
    files: list[FileOutcomeResponse]
    stage: str = Field(description="The ingest stage now running: hash, ingest, embed, write.")
    done: int
    total: int
    error: str
    created: float
    finished: float | None


class DeleteResponse(BaseModel):
    deleted: str
    path: str
    documents: int = Field(description="Documents left in the index.")


class WhoAmIResponse(BaseModel):
    role: str = Field(description="read or admin")
    open: bool = Field(description="True when the server has no keys configured (anyone may read and write).")
