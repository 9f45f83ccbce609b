"""The service behind the HTTP API and the CLI: turns requests into index/answerer calls and response schemas."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from fastapi.responses import Response

from index.errors import IndexLayerError
from index.search import Filters, Hit, Index, diversify
from ingest.danish import names_in
from ingest.documents import Document
from ingest.metrics import BY_KEY, comparison_topic, match_topic
from ingest.targets import targets_from_records
from service.answer import Answer, Answerer
from service.answer.analyse import FIGURE_INTENTS
from service.compare import compare_rows, rows_to_csv
from service.conversation import standalone_question
from service.errors import NotFoundError
from service.generate import generate_answer, rewrite_followup, stream_answer
from service.language import danish_search_text, detect_language
from service.llm import LLMClient
from service.llm_answer import FINAL_REFUSALS, model_passages, with_generated, with_sentences
from service.prompts import PromptSet
from service.runtime import MISSING, Runtime
from service.schemas import (
    AskRequest,
    AskResponse,
    CitationResponse,
    CompareRequest,
    CompareResponse,
    CompareRowResponse,
    EvidenceResponse,
    FiltersRequest,
    HealthResponse,
    PassageResponse,
    SearchRequest,
    SearchResponse,
    SimilarPassageResponse,
    SimilarRequest,
    SimilarResponse,
)
from service.similar import POOL, highlight_spans, rank_by_sentences

log = logging.getLogger("aftaler")
# Precedent search shows at most this many passages of one agreement, so several agreements' wordings appear.
PER_DOCUMENT = 2


@dataclass
class Service:
    runtime: Runtime
    index: Index
    answerer: Answerer
    prompts: PromptSet
    llm: LLMClient | None = None
    # Which index is served: Runtime.index_version() when it was loaded.
    served: object = None
    _reloading: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def start(cls, runtime: Runtime) -> Service:
        settings = runtime.settings
        # Templates are checked now, so a broken prompt stops startup instead of failing a request later.
        prompts = PromptSet.load(settings.prompts_dir)
        index = runtime.load_or_build()
        llm = None
        if settings.llm_url:
            llm = LLMClient(
                settings.llm_url,
                settings.llm_model,
                settings.llm_api_key,
                settings.llm_timeout,
                structured=settings.llm_json,
            )
        return cls(runtime, index, runtime.answerer(index), prompts, llm, runtime.index_version())

    def reload(self, only_if_replaced: bool = False) -> None:
        """Serves the index as it now is on disk (after an ingest by this server, the CLI or another one)."""
        with self._reloading:
            on_disk = self.runtime.index_version()
            if only_if_replaced and on_disk == self.served:  # another request reloaded it meanwhile
                return
            index = self.runtime.load()
            # The answerer first: a request between the two assignments then still reads one consistent index.
            self.answerer = self.runtime.answerer(index)
            self.index = index
            self.served = on_disk

    def refresh(self) -> Service:
        """Reloads first when the index on disk was replaced (an ingest by another process: the CLI, another
        server process, an upload job), so no request is answered from an index older than one already
        reported done. The check is one stat call."""
        on_disk = self.runtime.index_version()
        if on_disk != self.served and on_disk != MISSING:  # missing: between the two renames of a swap
            try:
                self.reload(only_if_replaced=True)
            except (IndexLayerError, OSError) as error:  # replaced again while read: the next request retries
                log.warning("index reload deferred: %s", error)
        return self

    # -- documents ----------------------------------------------------------------------------------------

    def health(self) -> HealthResponse:
        return HealthResponse(
            status="ok",
            documents=len(self.index.documents),
            chunks=len(self.index),
            model=self.runtime.settings.model,
            search_backend=self.index.engine.name,
        )

    def documents(self) -> list[dict]:
        return document_rows(self.index)

    def document(self, document_id: str) -> dict:
        return self._document(document_id).to_json()

    def context(self, document_id: str, start: int, end: int, window: int) -> dict:
        """The text around [start, end) of a document, for showing a quote in its context."""
        doc = self._document(document_id)
        if not 0 <= start <= end <= len(doc.text):
            raise NotFoundError(
                f"offsets {start}..{end} lie outside document {document_id!r} (0..{len(doc.text)}); "
                "use the start/end of a passage or citation"
            )
        window = max(0, min(window, 5000))
        left = max(0, start - window)
        right = min(len(doc.text), end + window)
        return {
            "document_id": doc.id,
            "document_title": doc.title,
            "offset": left,
            "text": doc.text[left:right],
            "highlight": [start - left, end - left],
            "page": doc.page_at(start),
        }

    def _document(self, document_id: str):
        return indexed_document(self.index, document_id)

    # -- search and answers ---------------------------------------------------------------------------

    def search(self, body: SearchRequest) -> SearchResponse:
        # The same passages, in the same order, as an answer's.
        hits = self.answerer.passages(body.query, body.top_k, to_filters(body.filters))
        return SearchResponse(query=body.query, passages=[passage(h) for h in hits])

    def ask(self, body: AskRequest, debug: bool = False) -> AskResponse:
        response = self._extractive(body, debug)
        if self.llm is None or response.mode == "compare" or response.reason in FINAL_REFUSALS:
            return response
        given = model_passages(response)
        generated = generate_answer(
            self.llm,
            self.prompts,
            response.standalone_question or body.question,
            response.language,
            with_sentences(self.index, given),
            [turn.model_dump() for turn in body.history],
            fallback=response.answer,
            needs_figure=self._asks_figure(response.standalone_question or body.question),
        )
        return with_generated(response, generated, given)

    def ask_stream(self, body: AskRequest) -> Iterator[str]:
        """Server-sent events: `delta` pieces of the answer shown (a generated answer only after it passed the
        guard), then `done` with the whole AskResponse."""
        response = self._extractive(body)
        if self.llm is None or response.mode == "compare" or response.reason in FINAL_REFUSALS:
            yield sse("done", response.model_dump())
            return
        given = model_passages(response)
        for event in stream_answer(
            self.llm,
            self.prompts,
            response.standalone_question or body.question,
            response.language,
            with_sentences(self.index, given),
            [turn.model_dump() for turn in body.history],
            fallback=response.answer,
            needs_figure=self._asks_figure(response.standalone_question or body.question),
        ):
            if event.kind == "delta":
                yield sse("delta", {"text": event.text})
            elif event.result is not None:
                yield sse("done", with_generated(response, event.result, given).model_dump())

    def _asks_figure(self, question: str) -> bool:
        """The question asks for a figure, a date or a length of time (its analysis's intent): a generated answer
        must then state one."""
        return self.answerer.analyse(question).intent in FIGURE_INTENTS

    def _extractive(self, body: AskRequest, debug: bool = False) -> AskResponse:
        history = [(turn.role, turn.content) for turn in body.history]
        if self.llm is not None and history:
            question = rewrite_followup(self.llm, self.prompts, [t.model_dump() for t in body.history], body.question)
        else:
            question = standalone_question(body.question, history)
        filters = to_filters(body.filters)
        topic = comparison_topic(question)
        if topic is not None and match_topic(topic):  # a comparison of something we have no metric for is a question
            return self._ask_compare(body.question, question, topic, filters)
        result = self.answerer.answer(question, top_k=body.top_k, filters=filters, explain=debug)
        return ask_response(body.question, question, result, self.index)

    def _ask_compare(self, asked: str, question: str, topic: str, filters: Filters | None) -> AskResponse:
        comparison = self.compare(CompareRequest(topic=topic), filters=filters)
        language = detect_language(question)
        rows = named_rows(comparison.rows, names_in(question))
        if rows:
            units = len({row.unit for row in rows})
            labels = ", ".join(dict.fromkeys(row.metric_label for row in rows))
            answer = (
                f"{len(rows)} stated figures for {labels} across {units} units:"
                if language == "en"
                else f"{len(rows)} angivne tal for {labels} fordelt på {units} enheder:"
            )
        else:
            answer = comparison.message
        return AskResponse(
            question=asked,
            standalone_question=question if question != asked else "",
            answered=bool(rows),
            answer=answer,
            citations=[],
            passages=[],
            language=language,
            mode="compare",
            rows=rows,
        )

    def compare(self, body: CompareRequest, filters: Filters | None = None) -> CompareResponse:
        filters = filters or to_filters(body.filters)
        metrics = match_topic(body.topic)
        targets = targets_from_records(self.index.extras.get("targets", []))
        rows = compare_rows(body.topic, targets, asdict(filters) if filters else None)
        language = detect_language(body.topic)
        message = ""
        if not metrics:
            message = (
                f"I do not know the topic {body.topic!r}; try e.g. 'sygefravær', 'trivsel', 'budget', 'pladser'."
                if language == "en"
                else f"Emnet {body.topic!r} kender jeg ikke; prøv fx 'sygefravær', 'trivsel', 'budget', 'pladser'."
            )
        elif not rows:
            message = (
                "The agreements state no figures for that topic."
                if language == "en"
                else "Aftalerne angiver ingen tal for det emne."
            )
        return CompareResponse(
            topic=body.topic,
            metrics=metrics,
            rows=[CompareRowResponse(**row, metric_label=metric_label(row["metric"], language)) for row in rows],
            message=message,
        )

    def similar(self, body: SimilarRequest) -> SimilarResponse:
        pool = max(POOL, 2 * body.top_k)
        candidates = self.index.similar(
            danish_search_text(body.text),
            top_k=pool,
            filters=to_filters(body.filters),
            section_kind=body.section_kind,
            per_document=pool,
        )
        best, _, _ = self.index.best_statements(
            [h.id for h in candidates], self.answerer.embedder.embed_query(body.text)
        )
        ranked = rank_by_sentences(candidates, best)
        hits = diversify(ranked, body.top_k, PER_DOCUMENT)
        return SimilarResponse(
            text=body.text,
            passages=[
                SimilarPassageResponse(**passage(h).model_dump(), highlights=highlight_spans(body.text, h.text))
                for h in hits
            ],
        )


def named_rows(rows: list[CompareRowResponse], names: list[str]) -> list[CompareRowResponse]:
    """The rows of the units a comparison question names ("Sammenlign sygefraværet for CJU og Bakkegården", or the
    follow-up "Og for CJU?" after a comparison); all rows when it names none of them."""
    wanted = [name.casefold() for name in names]
    kept = [
        row
        for row in rows
        if any(name in f"{row.unit} {row.organisation} {row.document_title}".casefold() for name in wanted)
    ]
    return kept or rows


def document_rows(index: Index) -> list[dict]:
    """The documents of the index with metadata and counts, by title: `GET /documents` and `aftaler documents`."""
    return [
        {**d.metadata(), "sections": len(d.sections), "chunks": len(d.chunks)}
        for d in sorted(index.documents.values(), key=lambda d: d.title.casefold())
    ]


def indexed_document(index: Index, document_id: str) -> Document:
    try:
        return index.documents[document_id]
    except KeyError:
        raise NotFoundError(
            f"no document with id {document_id!r}; GET /documents or `aftaler documents` lists the ids"
        ) from None


def metric_label(key: str, language: str) -> str:
    """ "sygefravaer" -> "sygefravær" (or "sick leave"), for tables and framing sentences."""
    metric = BY_KEY.get(key)
    if metric is None:
        return key
    label = metric.label_en if language == "en" else metric.label_da
    return label[:1].lower() + label[1:]  # it stands inside a sentence; acronyms in it keep their capitals


def to_filters(request: FiltersRequest | None) -> Filters | None:
    if request is None:
        return None
    values = {k: v for k, v in request.model_dump().items() if v}
    return Filters(**values) if values else None


def passage(hit: Hit) -> PassageResponse:
    return PassageResponse(
        id=hit.id,
        document_id=hit.document_id,
        document_title=hit.document_title,
        unit=hit.unit,
        organisation=hit.organisation,
        year=hit.year,
        section=hit.section,
        page=hit.page,
        text=hit.text,
        score=round(hit.score, 4),
        start=hit.start,
        end=hit.end,
        section_kind=hit.section_kind,
        ocr=hit.ocr,
    )


def ask_response(asked: str, question: str, result: Answer, index: Index) -> AskResponse:
    return AskResponse(
        question=asked,
        standalone_question=question if question != asked else "",
        answered=result.answered,
        answer=result.answer,
        citations=[
            CitationResponse(passage_id=q.hit.id, quote=q.text, start=q.start, end=q.end) for q in result.quotes
        ],
        passages=[passage(h) for h in result.hits],
        language=result.language,
        reason=result.reason,
        grade=result.grade,
        lead=result.lead,
        confidence=round(result.confidence, 4),
        relevance=round(result.relevance, 4),
        evidence=[
            EvidenceResponse(passage_id=q.hit.id, quote=q.text, start=q.start, end=q.end, score=round(q.score, 4))
            for q in result.evidence
        ],
        ranked=[
            passage(q.hit).model_copy(
                update={
                    "text": q.text,
                    "start": q.start,
                    "end": q.end,
                    "score": round(q.score, 4),
                    "page": index.documents[q.hit.document_id].page_at(q.start),
                }
            )
            for q in result.ranked
        ],
        trace=result.trace,
    )


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def csv_response(result: CompareResponse) -> Response:
    rows = [row.model_dump() for row in result.rows]
    return Response(
        content=rows_to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="sammenligning.csv"'},
    )
