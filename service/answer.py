"""Extractive answering: pick the sentence or table row that answers the question, quote it verbatim, cite it.

The answerer never writes a number of its own: the answer is a framing sentence in the question's language
around a verbatim quote. It refuses ("Det kan jeg ikke finde i aftalerne") when the evidence is weak, when the
question names something no agreement mentions, when it asks about a year the evidence does not cover, or when it
asks for a figure and the best evidence states none.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from index.embed import Embedder
from index.lexical import tokenize
from index.search import Filters, Hit, Index
from index.sentences import SentenceVectors
from ingest.numbers import find_numbers
from service.language import detect_language

# Candidate passages considered for the quote; more than the user's top_k so a right sentence in the 6th
# passage can still win.
CANDIDATES = 8
# Passages whose sentences compete for the quote.
SENTENCE_PASSAGES = 4

# Sentence score = weighted sum; the weights were set on benchmarks/questions.jsonl (see benchmarks/README.md).
W_DENSE = 1.0
W_OVERLAP = 0.6
W_CONTEXT = 0.2
W_NUMBER = 0.08
W_RANK = 0.06

# Refusal thresholds on the best sentence (dense cosine of e5 and query-term overlap, 0..1).
MIN_DENSE_ALONE = 0.86  # enough on its own (cross-language questions share no words with Danish text)
MIN_DENSE_WITH_OVERLAP = 0.80
MIN_OVERLAP = 0.34

_YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")
# A capitalised word inside the question, or an acronym: candidate names of units, places, documents.
_NAME = re.compile(r"(?<![\w])([A-ZÆØÅ][\wæøåÆØÅ&-]*[\wæøå]|[A-ZÆØÅ]{2,})")
_NUMBER_INTENT = re.compile(
    r"\b(hvor (mange|meget|stor|høj|lav)|måltal\w*|procent\w*|antal\w*|beløb\w*|budget\w*|pladser|"
    r"hvad er (målet|måltallet)|how (many|much|high|large)|percent\w*|rate|target|figure|number of|amount|"
    r"budget|places|kr\.?)\b",
    re.IGNORECASE,
)
# Capitalised words that are not names (question openers, generic nouns staff capitalise).
_NOT_NAMES = frozenset(
    """hvad hvilke hvilken hvor hvordan hvornår hvorfor hvem er og i what which who when where why how is are
    does do the in for and compare sammenlign kommune kommunes region regionen kommunen aftale aftalen
    institutionsaftale udviklingsaftale driftsaftale virksomhedsplan danish english denmark danmark
    og or if can could please tell list give find show""".split()
)


@dataclass(frozen=True)
class Quote:
    hit: Hit
    text: str
    start: int  # offsets in the document's cleaned text
    end: int
    score: float


@dataclass(frozen=True)
class Answer:
    question: str
    language: str
    answered: bool
    answer: str
    quotes: tuple[Quote, ...]
    hits: tuple[Hit, ...]
    reason: str = ""
    extra: dict = field(default_factory=dict)


class Answerer:
    def __init__(self, index: Index, embedder: Embedder, sentences: SentenceVectors) -> None:
        self.index = index
        self.embedder = embedder
        self.sentences = sentences
        # Vocabulary of everything the agreements say (cleaned text + metadata), to tell names we know from
        # names no agreement mentions.
        corpus = " ".join(
            f"{d.title} {d.unit} {d.organisation} {d.text}" for d in index.documents.values()
        ).casefold()
        self._corpus_words = set(re.findall(r"[\wæøå&-]+", corpus))
        chunks = [chunk for document in index.documents.values() for chunk in document.chunks]
        self._document_frequency = Counter(term for chunk in chunks for term in set(tokenize(chunk.text)))
        self._chunk_count = max(1, len(chunks))

    # -- public ---------------------------------------------------------------------------------------

    def answer(self, question: str, top_k: int = 5, filters: Filters | None = None) -> Answer:
        language = detect_language(question)
        hits = self._retrieve(question, max(top_k, CANDIDATES), filters)
        shown = tuple(hits[:top_k])

        unknown = self.unknown_names(question)
        if unknown:
            return self._refuse(question, language, shown, "unknown-name", names=unknown)
        if not hits:
            return self._refuse(question, language, shown, "no-passages")

        best = self._best_quote(question, language, hits)
        if best is None:
            return self._refuse(question, language, shown, "weak-evidence")
        quote, dense, overlap = best
        if not (dense >= MIN_DENSE_ALONE or (dense >= MIN_DENSE_WITH_OVERLAP and overlap >= MIN_OVERLAP)):
            return self._refuse(question, language, shown, "weak-evidence")
        wants_number = bool(_NUMBER_INTENT.search(question))
        if wants_number and not _has_figure(quote.text):
            return self._refuse(question, language, shown, "no-figure")
        missing_years = [y for y in _YEAR.findall(question) if not self._year_covered(y, quote)]
        if missing_years:
            return self._refuse(question, language, shown, "year-not-covered", years=missing_years)

        if quote.hit.id not in {h.id for h in shown}:
            shown = (*shown[: top_k - 1], quote.hit)
        return Answer(
            question=question,
            language=language,
            answered=True,
            answer=_frame(quote, language),
            quotes=(quote,),
            hits=shown,
        )

    def unknown_names(self, question: str) -> list[str]:
        """Names in the question that no agreement mentions."""
        return [
            name
            for name in question_names(question)
            if not all(self._known(word) for word in name.casefold().split())
        ]

    # -- retrieval and sentence choice -----------------------------------------------------------------

    def _retrieve(self, question: str, k: int, filters: Filters | None) -> list[Hit]:
        hits = self.index.search(question, top_k=k, filters=filters)
        named = self._named_documents(question)
        if not named or filters is not None:
            return hits
        # The question names a unit/document: its passages go first, fetched directly when the open search
        # did not reach them (a common topic like "sygefravær" is strong in every agreement).
        focused = [h for h in hits if h.document_id in named]
        if not focused:
            for doc_id in named:
                focused += self.index.search(question, top_k=k, filters=Filters(document_id=doc_id))
            # Fused scores are relative to one search's candidates; the raw cosine compares across searches.
            focused.sort(key=lambda h: h.dense_score, reverse=True)
        rest = [h for h in hits if h.document_id not in named]
        return (focused + rest)[:k]

    def _named_documents(self, question: str) -> set[str]:
        names = {word for name in question_names(question) for word in name.casefold().split()}
        named = set()
        for doc in self.index.documents.values():
            label = f"{doc.title} {doc.unit}".casefold()
            label_words = set(re.findall(r"[\wæøå&-]+", label))
            if any(name in label_words or _stem_in(name, label_words) for name in names):
                named.add(doc.id)
        # A name that every document carries (e.g. the word "Social") does not single any out.
        return named if len(named) < len(self.index.documents) else set()

    def _best_quote(self, question: str, language: str, hits: list[Hit]) -> tuple[Quote, float, float] | None:
        q_terms = _content_terms(question)
        q_weights = {t: self._idf(t) for t in q_terms}
        total = sum(q_weights.values()) or 1.0
        wants_number = bool(_NUMBER_INTENT.search(question))

        candidates: list[tuple[Hit, int, int]] = []  # (hit, sentence row, hit rank)
        for rank, hit in enumerate(hits[:SENTENCE_PASSAGES]):
            candidates += [
                (hit, row, rank) for row in self.sentences.within(hit.document_id, hit.start, hit.end)
            ]
        if not candidates:
            return None
        query_vec = self.embedder.embed_query(question)
        dense = self.sentences.vectors[[row for _, row, _ in candidates]] @ query_vec

        best: tuple[float, Quote, float, float] | None = None
        for (hit, row, rank), cos in zip(candidates, dense, strict=True):
            sentence = self.sentences.sentences[row]
            text = sentence.text
            terms = set(tokenize(text))
            context_terms = set(tokenize(f"{hit.section} {hit.table_header}"))
            overlap = sum(w for t, w in q_weights.items() if t in terms) / total
            context = sum(w for t, w in q_weights.items() if t in context_terms and t not in terms) / total
            number = W_NUMBER if wants_number and _has_figure(text) else 0.0
            score = (
                W_DENSE * float(cos)
                + W_OVERLAP * overlap
                + W_CONTEXT * context
                + number
                - W_RANK * rank / SENTENCE_PASSAGES
            )
            if best is None or score > best[0]:
                quote = Quote(hit=hit, text=text, start=sentence.start, end=sentence.end, score=score)
                best = (score, quote, float(cos), overlap + context)
        assert best is not None
        return best[1], best[2], best[3]

    def _idf(self, term: str) -> float:
        df = self._document_frequency.get(term, 0)
        return float(np.log(1 + self._chunk_count / (1 + df)))

    def _known(self, folded: str) -> bool:
        return folded in self._corpus_words or _stem_in(folded, self._corpus_words)

    def _year_covered(self, year: str, quote: Quote) -> bool:
        hit = quote.hit
        period = hit.year or ""
        if year in quote.text or year in hit.text or year in hit.section or year in period:
            return True
        years = [int(y) for y in re.findall(r"\d{4}", period)]
        return len(years) == 2 and years[0] <= int(year) <= years[1]

    def _refuse(self, question: str, language: str, hits: tuple[Hit, ...], reason: str, **extra) -> Answer:
        return Answer(
            question=question,
            language=language,
            answered=False,
            answer=_refusal_text(language, reason, extra),
            quotes=(),
            hits=hits,
            reason=reason,
            extra=extra,
        )


def question_names(question: str) -> list[str]:
    """Capitalised words and acronyms inside a question: candidate names of units, places, documents.
    The question's first word is skipped unless it is an acronym (questions start with a capital)."""
    names: list[str] = []
    last_end = -1
    for match in _NAME.finditer(question):
        word = match.group(1)
        is_first = question[: match.start()].strip() == ""
        if word.casefold() in _NOT_NAMES or (is_first and not word.isupper()) or len(word) < 3:
            continue
        if names and question[last_end : match.start()] == " ":
            names[-1] = f"{names[-1]} {word}"  # "Team Myndighed SHC" is one name
        else:
            names.append(word)
        last_end = match.end()
    return names


def _content_terms(text: str) -> set[str]:
    return {t for t in tokenize(text) if not t.isdigit() or len(t) == 4}


def _stem_in(word: str, vocabulary: set[str]) -> bool:
    """Inflected forms: "Bakkegårdens" matches "bakkegården"; a genitive -s or a definite ending."""
    for suffix in ("s", "en", "et", "ne", "erne", "ens"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4 and word[: -len(suffix)] in vocabulary:
            return True
    return False


def _has_figure(text: str) -> bool:
    """A figure other than a bare year: "8 %", "4,5", "13.4 mio. kr.", "60"."""
    return any(not (m.measure == "" and 1950 <= m.value <= 2100) for m in find_numbers(text))


def _frame(quote: Quote, language: str) -> str:
    title = quote.hit.document_title
    if language == "en":
        return f"According to {title} ({quote.hit.section}): “{quote.text}”"
    return f"Ifølge {title} ({quote.hit.section}): »{quote.text}«"


def _refusal_text(language: str, reason: str, extra: dict) -> str:
    names = ", ".join(extra.get("names", []))
    years = ", ".join(extra.get("years", []))
    if language == "en":
        base = "I cannot find that in the agreements."
        detail = {
            "unknown-name": f" None of the agreements mentions {names}.",
            "year-not-covered": f" The closest passages do not cover {years}.",
            "no-figure": " The closest passages state no figure for it.",
        }.get(reason, " The closest passages are shown below.")
    else:
        base = "Det kan jeg ikke finde i aftalerne."
        detail = {
            "unknown-name": f" Ingen af aftalerne nævner {names}.",
            "year-not-covered": f" De nærmeste passager dækker ikke {years}.",
            "no-figure": " De nærmeste passager angiver ikke et tal for det.",
        }.get(reason, " De nærmeste passager vises nedenfor.")
    return base + detail
