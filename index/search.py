"""Hybrid retrieval over a loaded index: dense cosine + BM25, fused with a query-dependent lexical weight.

Why not equal-weight fusion: it was measured to be worse than dense alone, because English questions
against Danish text share almost no terms and BM25 then ranks on noise. Instead the lexical weight grows
with how much of the query's (stemmed, idf-weighted) vocabulary the corpus actually contains.

Both scores enter as standard scores over the whole index (how many standard deviations a chunk stands above
this query's average chunk). e5 cosines of one query sit in a narrow band (0.80-0.89), and min-max over the
candidates stretched that band so that a small dense gap outweighed a clear BM25 lead; on the development
questions standard scores gave recall@5 0.939 -> 0.959, MRR 0.858 -> 0.883 (benchmarks/eval_ask.py).

A passage's dense side is its own cosine blended with the cosine of its best statement (the sentences, rows and
label/value pairs stored at ingest): a passage's vector averages all it says, and the one sentence that answers
is diluted by the rest. The blend weight is fitted, not set: `python -m benchmarks.fusion` chooses it by
cross-validation on the question sets (see SENTENCE_WEIGHT).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import numpy as np

from index.embed import Embedder
from index.engine import SearchEngine, Where
from index.lexical import tokenize
from index.statements import StatementTable
from ingest.documents import Chunk, Document

# Candidates taken from each side before fusing; the union is re-scored on both sides.
CANDIDATES = 50
# similar() caps hits per document, so it needs a deeper pool to still fill top_k from other documents.
SIMILAR_CANDIDATES = 200
# Lexical weight at full vocabulary coverage. BM25's job is to lift exact rare terms (unit names, "sygefravær",
# "4,5") to the top; 0.5-0.6 measured best with standard scores, and dense alone keeps paraphrases in reach.
# Re-checked with SENTENCE_WEIGHT by benchmarks/fusion.py: the pairs its folds choose (0.5-0.7) do no better out of
# fold (recall@1 / @5 0.714 / 0.918) than this one.
LEXICAL_WEIGHT_MAX = 0.5
# Coverage (idf-weighted share of query terms found in the corpus) at or below which BM25 gets no say:
# English questions typically land at 0-0.3 (only numbers and names match).
COVERAGE_FLOOR = 0.35
# Coverage from which BM25 gets the full LEXICAL_WEIGHT_MAX; Danish questions usually reach 0.8-1.0.
COVERAGE_FULL = 0.85
# Weight of the best statement's standard score in a passage's dense side, chosen by 5-fold cross-validation over
# 660 answerable questions of the fitting sets, bundled corpus and ../shared/realdocs (benchmarks/fusion.py;
# results/fusion.json): with the lexical weight fixed, 0.4 in four folds of five, out of fold recall@1 0.703 ->
# 0.724, recall@5 0.889 -> 0.914; English questions recall@5 0.862 -> 0.899, real documents 0.824 -> 0.842.
SENTENCE_WEIGHT = 0.4
# Statements whose cosines estimate a query's statement mean and spread (an even sample: the spread of a few
# thousand is as good as of all, and a large corpus should not cost a full pass per query).
MOMENT_SAMPLE = 4096


def coverage_ramp(coverage: float) -> float:
    """How much of the lexical weight a query gets: 0 up to COVERAGE_FLOOR, rising linearly to 1 at COVERAGE_FULL."""
    ramp = (coverage - COVERAGE_FLOOR) / (COVERAGE_FULL - COVERAGE_FLOOR)
    return min(1.0, max(0.0, ramp))


@dataclass(frozen=True)
class Filters:
    """Restricts search to matching documents. Case-insensitive; unit and organisation match when the
    filter text is contained in the field ("Bostedet" matches "Bostedet Åbo"), the others must be equal."""

    document_id: str | None = None
    organisation: str | None = None
    unit: str | None = None
    year: str | None = None
    doc_type: str | None = None
    documents: frozenset[str] | None = None  # any of these document ids

    def matches(self, document: Document) -> bool:
        if self.documents is not None and document.id not in self.documents:
            return False
        exact = (
            (self.document_id, document.id),
            (self.year, document.year),
            (self.doc_type, document.doc_type),
        )
        contained = ((self.organisation, document.organisation), (self.unit, document.unit))
        return all(want is None or want.strip().casefold() == have.strip().casefold() for want, have in exact) and all(
            want is None or want.strip().casefold() in have.casefold() for want, have in contained
        )


@dataclass(frozen=True)
class Hit:
    id: str
    score: float  # fused, relative to the other candidates of this query: rank with it, don't threshold it
    text: str
    document_id: str
    document_title: str
    unit: str
    organisation: str
    year: str
    doc_type: str
    section: str
    heading_path: tuple[str, ...]
    page: int | None
    page_end: int | None
    start: int
    end: int
    section_kind: str
    table_header: str
    dense_score: float  # raw cosine similarity: comparable across queries, the one to threshold on
    lexical_score: float  # raw BM25 score (0 when no query term occurs in the chunk)
    ocr: bool = False  # the passage lies on a page read by OCR (a scan): its wording may hold OCR errors


@dataclass(frozen=True)
class Scored:
    id: str
    score: float
    dense: float
    lexical: float


# (pool ids, query vector) -> the best statement cosine of each pool passage (NaN for one without statements), and
# the mean and spread of the query's statement cosines.
BestStatements = Callable[[list[str], np.ndarray], tuple[np.ndarray, float, float]]


@dataclass(frozen=True)
class Parts:
    """One query's candidate pool with every score the fusion weighs, in pool order."""

    pool: list[str]
    dense: np.ndarray
    lexical: np.ndarray
    statement: np.ndarray  # raw cosine of each passage's best statement
    dense_z: np.ndarray
    lexical_z: np.ndarray
    statement_z: np.ndarray
    lexical_share: float  # coverage_ramp of the query (0 when no passage holds a query term)

    def fused(self, sentence_weight: float = SENTENCE_WEIGHT, lexical_max: float = LEXICAL_WEIGHT_MAX) -> np.ndarray:
        dense_side = (1.0 - sentence_weight) * self.dense_z + sentence_weight * self.statement_z
        weight = lexical_max * self.lexical_share
        return (1.0 - weight) * dense_side + weight * self.lexical_z


def parts(
    engine: SearchEngine,
    query_vector: np.ndarray,
    tokens: list[str],
    where: Where,
    candidates: int,
    order: Mapping[str, int],
    best_statements: BestStatements | None = None,
) -> Parts | None:
    """The union of the best dense and the best BM25 candidates, each re-scored on both sides (and by its best
    statement when `best_statements` is given). `order` gives each row the caller knows its position; rows it
    lacks are left out: a shared engine may already hold rows of documents this replica has not loaded yet."""
    dense_ranked, lexical_ranked = engine.candidates(query_vector, tokens, candidates, where)
    pool = sorted({i for i in (*dense_ranked.ids, *lexical_ranked.ids) if i in order}, key=order.__getitem__)
    if not pool:
        return None
    dense, lexical = engine.rescore(query_vector, tokens, pool)
    share = coverage_ramp(engine.coverage(tokens)) if lexical.max(initial=0.0) > 0 else 0.0
    dense_z = _standard(dense, *engine.dense_moments(query_vector))
    # With no lexical say, its spread is not needed (for a remote engine it costs a query).
    lexical_z = _standard(lexical, *engine.lexical_moments(tokens)) if share else np.zeros_like(lexical)
    statement, statement_z = dense, dense_z
    if best_statements is not None:
        best, mean, std = best_statements(pool, query_vector)
        statement = np.where(np.isnan(best), dense, best)  # a passage without statements keeps its own cosine
        statement_z = _standard(statement, mean, std)
    return Parts(pool, dense, lexical, statement, dense_z, lexical_z, statement_z, share)


def rank(found: Parts | None, order: Mapping[str, int]) -> list[Scored]:
    """The pool of `parts`, fused and ranked; ties (e.g. duplicated boilerplate) keep `order`, so results are
    deterministic."""
    if found is None:
        return []
    fused = found.fused()
    ranked = sorted(range(len(found.pool)), key=lambda i: (-fused[i], order[found.pool[i]]))
    return [Scored(found.pool[i], float(fused[i]), float(found.dense[i]), float(found.lexical[i])) for i in ranked]


def _standard(values: np.ndarray, mean: float, std: float) -> np.ndarray:
    return (values - mean) / std if std > 1e-9 else np.zeros_like(values)


def diversify(hits: list[Hit], top_k: int, per_document: int) -> list[Hit]:
    """The best `top_k` of `hits` (in their order) with at most `per_document` from any one document."""
    taken: dict[str, int] = {}
    kept: list[Hit] = []
    for hit in hits:
        if taken.get(hit.document_id, 0) >= per_document:
            continue
        taken[hit.document_id] = taken.get(hit.document_id, 0) + 1
        kept.append(hit)
        if len(kept) == top_k:
            break
    return kept


def _distinct_titles(documents: list[Document]) -> dict[str, str]:
    """Each document's title, with its file name added where several share one (two supervision reports both
    titled "Tilsynsrapport for Privat Leverandør ..."), so a cited source always says which file it is."""
    counts = Counter(document.title for document in documents)
    return {
        d.id: f"{d.title} – {PurePath(d.path).name}" if counts[d.title] > 1 and d.path else d.title for d in documents
    }


class Index:
    """A loaded, read-only index: the documents in memory, their chunks searched through a search engine."""

    def __init__(
        self,
        documents: list[Document],
        engine: SearchEngine,
        embedder: Callable[[], Embedder],
        extras: dict[str, list[dict[str, Any]]] | None = None,
        manifest: dict[str, Any] | None = None,
        statements: StatementTable | None = None,
    ) -> None:
        self.documents: dict[str, Document] = {document.id: document for document in documents}
        self.extras: dict[str, list[dict[str, Any]]] = extras or {}
        self.manifest: dict[str, Any] = manifest or {}
        self.statements = statements or StatementTable([], np.zeros((0, engine.dimension), np.float32))
        self.engine = engine
        self._titles = _distinct_titles(documents)
        self._chunks: list[Chunk] = [chunk for document in documents for chunk in document.chunks]
        self._row_of: dict[str, int] = {chunk.id: row for row, chunk in enumerate(self._chunks)}
        self._embedder = embedder
        if len(engine) != len(self._chunks):
            raise ValueError(f"index parts disagree: {len(self._chunks)} chunks, {len(engine)} search engine rows")
        table = self.statements
        self._statement_rows = [np.asarray(table.within(c.document_id, c.start, c.end), np.int64) for c in self._chunks]
        self._moment_rows = np.linspace(0, len(table) - 1, min(len(table), MOMENT_SAMPLE)).astype(np.int64)

    def __len__(self) -> int:
        return len(self._chunks)

    def chunk(self, chunk_id: str) -> Chunk:
        """Raises KeyError for an unknown id."""
        return self._chunks[self._row_of[chunk_id]]

    def document_of(self, chunk_id: str) -> Document:
        """Raises KeyError for an unknown id."""
        return self.documents[self.chunk(chunk_id).document_id]

    def search(self, query: str, top_k: int = 5, filters: Filters | None = None) -> list[Hit]:
        if top_k <= 0:
            return []
        scored = self._rank(query, self._where(filters, None), max(CANDIDATES, top_k))
        return [self._hit(item) for item in scored[:top_k]]

    def similar(
        self,
        text: str,
        top_k: int = 5,
        filters: Filters | None = None,
        section_kind: str | None = None,
        per_document: int = 2,
    ) -> list[Hit]:
        """Precedent search: passages like `text`, at most `per_document` from any one document so the
        list shows how several agreements handle the matter."""
        if top_k <= 0:
            return []
        candidates = max(SIMILAR_CANDIDATES, top_k * per_document)
        scored = self._rank(text, self._where(filters, section_kind), candidates)
        return diversify([self._hit(item) for item in scored], top_k, per_document)

    def _where(self, filters: Filters | None, section_kind: str | None) -> Where:
        """The filters resolved to the documents they admit (the documents are here, not in the engine)."""
        if filters is None or filters == Filters():
            return Where(None, section_kind or None)
        return Where(frozenset(d.id for d in self.documents.values() if filters.matches(d)), section_kind or None)

    def _rank(self, query: str, where: Where, candidates: int) -> list[Scored]:
        return rank(self.query_parts(query, candidates, where), self._row_of)

    def query_parts(self, query: str, candidates: int = CANDIDATES, where: Where | None = None) -> Parts | None:
        """The scores a search fuses (`rank` orders them); benchmarks/fusion.py fits the fusion weights on them.
        `where` defaults to the whole index."""
        where = where or self._where(None, None)
        if not query.strip() or len(self) == 0 or where.document_ids == frozenset():
            return None
        query_vector = self._embedder().embed_query(query)
        return parts(self.engine, query_vector, tokenize(query), where, candidates, self._row_of, self.best_statements)

    def best_statements(self, pool: list[str], query_vector: np.ndarray) -> tuple[np.ndarray, float, float]:
        """Each pool passage's best statement cosine (NaN when it has none), and the mean and standard deviation
        of the query's cosines over (an even sample of) the index's statements."""
        vectors = self.statements.vectors
        best = np.full(len(pool), np.nan)
        if not len(self._moment_rows):
            return best, 0.0, 0.0
        sample = vectors[self._moment_rows] @ query_vector
        for n, chunk_id in enumerate(pool):
            rows = self._statement_rows[self._row_of[chunk_id]]
            if len(rows):
                best[n] = float(np.max(vectors[rows] @ query_vector))
        return best, float(sample.mean()), float(sample.std())

    def _hit(self, item: Scored) -> Hit:
        chunk = self._chunks[self._row_of[item.id]]
        document = self.documents[chunk.document_id]
        return Hit(
            id=chunk.id,
            score=item.score,
            text=chunk.text,
            document_id=document.id,
            document_title=self._titles[document.id],
            unit=document.unit,
            organisation=document.organisation,
            year=document.year,
            doc_type=document.doc_type,
            section=chunk.section,
            heading_path=chunk.heading_path,
            page=chunk.page,
            page_end=chunk.page_end,
            start=chunk.start,
            end=chunk.end,
            section_kind=chunk.section_kind,
            table_header=chunk.table_header,
            dense_score=item.dense,
            lexical_score=item.lexical,
            ocr=chunk.page is not None
            and any(chunk.page <= page <= (chunk.page_end or chunk.page) for page in document.ocr_pages),
        )
