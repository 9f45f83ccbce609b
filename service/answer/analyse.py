"""Question -> Analysis: what kind of answer is asked for, about what, for which units and years.

The analysis only reads the question and what the corpus knows (its vocabulary and names); it decides nothing.
Whether a statement answers is the scorer's call, from features that compare the analysis with the statement.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from index.search import Index
from ingest.danish import Vocabulary, leading_names, names_in, references, shares_stem, tokenize, words, years
from ingest.metrics import find_metrics
from service.figures import COUNTED, FREQUENCY_INTENT, asks_amount_or_share
from service.glossary import glossary_words_at
from service.language import danish_place_names, danish_search_text, danish_words_for, detect_language


class Intent(StrEnum):
    FIGURE = "figure"  # an amount, a share, a score
    COUNT = "count"  # how many of something
    DATE = "date"  # a point in time
    DURATION = "duration"  # how long
    FREQUENCY = "frequency"  # how often
    LIST = "list"  # which goals, areas, tasks ...
    WHO = "who"  # a person, a unit, an organisation
    WHY = "why"  # a reason or a purpose
    MEANING = "meaning"  # what a term means or an abbreviation stands for
    YESNO = "yesno"
    WHAT = "what"  # anything else: a description, a name


# The intents an answer must state a figure for: an amount, a count, a date, a length of time, a frequency.
FIGURE_INTENTS = frozenset({Intent.FIGURE, Intent.COUNT, Intent.DATE, Intent.DURATION, Intent.FREQUENCY})

# The question word decides the intent: general Danish and English interrogatives, checked in this order.
_INTENTS: tuple[tuple[Intent, re.Pattern[str]], ...] = (
    (Intent.FREQUENCY, FREQUENCY_INTENT),
    (Intent.DURATION, re.compile(r"\b(hvor længe|how long|until when|indtil hvornår)\b", re.I)),
    (
        Intent.DATE,
        re.compile(
            r"\b(hvornår|hvilken dato|hvilket år|hvilken måned|hvilket tidspunkt|når|when|which year|what year|"
            r"what date|which date|which month|what time|by what date|deadline|frist\w*|dato\w*)\b",
            re.I,
        ),
    ),
    (Intent.COUNT, COUNTED),
    (
        Intent.FIGURE,
        re.compile(
            r"\b(hvor (?:meget|stor|høj|lav|store|høje)|how (?:much|high|large|low|big)|måltal\w*|procent\w*|"
            r"andel\w*|percent\w*|share|rate|beløb\w*|amount|score\w*|niveau\w*|level|hvilken alder|hvor gammel|"
            r"what age|how old)\b",
            re.I,
        ),
    ),
    (Intent.WHO, re.compile(r"\b(hvem|who|whom|hvilken (?:enhed|organisation|myndighed)|which (?:unit|body))\b", re.I)),
    (
        Intent.WHY,
        re.compile(r"\b(hvorfor|why|hvad er (?:årsagen|begrundelsen|formålet)|what is the (?:reason|purpose))\b", re.I),
    ),
    (
        Intent.MEANING,
        re.compile(
            r"\b(hvad (?:betyder|menes|forstås|dækker)|hvad står \S+ for|hvordan (?:defineres|forklares)|begrebet|"
            r"what does .+ (?:mean|stand for)|what is meant|how is .+ defined|definition)\b",
            re.I,
        ),
    ),
    (
        Intent.LIST,
        re.compile(
            r"\b(hvilke|which \w+s|what \w+s (?:are|does|do|did|will|must|should)|what are the|nævn|list|name the|"
            r"opreml\w*)\b",
            re.I,
        ),
    ),
    (
        Intent.YESNO,
        re.compile(r"^\s*(er|har|skal|kan|må|bliver|vil|findes|is|are|does|do|did|has|have|can|will)\b", re.I),
    ),
)
# "Den samlede indtægt", "i alt", "in total": the answer is a total, not one of its parts.
TOTAL = re.compile(r"\b(samle[td]e?|i alt|total\w*|in all)\b", re.I)
# Words of questions that say what kind of answer is wanted, not what it is about.
_GENERIC = frozenset(
    tokenize(
        "mål måltal målsætning målet antal antallet procent andel år året tal beløb samlet alt hvor mange meget stor "
        "hvilken hvilke hvem hvad hvornår hvordan hvorfor ofte længe skal har være blev kr mio aftale aftalen"
    )
)
_MEASURE_WORDS = frozenset(tokenize("procent procentpoint kroner kr mio timer dage uger måneder år gange percent"))
# "..., og hvor tit holdes møderne?", "how many ... and how many ...": a second question joined to the first.
_ANOTHER_QUESTION = re.compile(
    r"(?:,\s*|\s+)(?:og|samt|men|and|but)\s+(?=(?:hvor|hvad|hvornår|hvem|hvilke[nt]?|hvordan|hvorfor|how|what|when|"
    r"who|which|why|where)\b)",
    re.I,
)


@dataclass(frozen=True)
class Part:
    """One of the questions a compound question asks: its words, what it asks for, what it counts."""

    text: str
    intent: Intent
    counted: tuple[str, ...]  # sorted stems


@dataclass(frozen=True)
class Analysis:
    question: str  # as asked
    language: str  # "da" or "en"
    search_text: str  # the question with the Danish words for an English question's terms
    intent: Intent
    terms: dict[str, float]  # content stems (compounds split against the corpus) -> idf weight
    subject: frozenset[str]  # what the question is about: content stems less names and generic words
    names: tuple[str, ...]  # names the corpus knows
    unknown_names: tuple[str, ...]  # names no document uses
    named_documents: frozenset[str]  # documents a known name singles out
    years: tuple[str, ...]
    metrics: frozenset[str]
    wants_total: bool
    counted: frozenset[str]  # stems of what a count question counts
    amount_or_share: bool  # an amount of money or a share is asked for
    unknown_subject: float  # idf-weighted share of the subject words no document uses (0..1)
    pairs: frozenset[tuple[str, str]]  # consecutive content stems: "tabt arbejdsfortjeneste"
    numbers: frozenset[str]  # numbers it names that are not years: "lokalplan 411", "§ 103"
    references: frozenset[tuple[str, str]]  # the numbers that name something, with their marker: ("§", "103")
    parts: tuple[Part, ...] = ()  # the questions of a question that asks several things


class Knowledge:
    """What the corpus knows, worked out once per index: its vocabulary, term frequencies and the names each
    document is about."""

    def __init__(self, index: Index) -> None:
        documents = list(index.documents.values())
        self.index = index
        self.document_words = {d.id: words(f"{d.title} {d.unit} {d.organisation} {d.text}") for d in documents}
        self.vocabulary = Vocabulary(set().union(*self.document_words.values()))
        leading = {d.id: leading_names(d.text) for d in documents}
        self.labels = {d.id: words(f"{d.title} {d.unit} {d.organisation}") | leading[d.id] for d in documents}
        # Stems of what each document is about (title, unit, organisation, first-page names): a statement of the
        # Arbejdsmarked og Social agreement is about Arbejdsmarked og Social though it does not repeat the name.
        self.about = {
            d.id: frozenset(tokenize(f"{d.title} {d.unit} {d.organisation} {' '.join(leading[d.id])}"))
            for d in documents
        }
        chunks = [chunk for d in documents for chunk in d.chunks]
        self.frequency = Counter(term for chunk in chunks for term in set(tokenize(chunk.text)))
        self.chunk_count = max(1, len(chunks))
        # Per statement row and table header: what it says whatever the question (features.Facts), filled in as
        # questions come.
        self.facts: dict[tuple[int, str], Any] = {}

    def idf(self, term: str) -> float:
        return float(np.log(1 + self.chunk_count / (1 + self.frequency.get(term, 0))))


def analyse(question: str, knowledge: Knowledge) -> Analysis:
    language = detect_language(question)
    local = danish_place_names(question) if language == "en" else question
    search_text = danish_search_text(question)
    # An English question's own words never occur in Danish text: it is checked with the Danish words for its
    # metrics and domain terms as well.
    checked = search_text if language == "en" else local
    vocabulary = knowledge.vocabulary
    names = names_in(local)
    known = [n for n in names if all(vocabulary.knows(w) for w in n.split())]
    unknown = [n for n in names if n not in known]
    if language == "en" and known:
        unknown = []  # a translated unit name beside a known one is a translation, not an unknown unit
    tokens = tokenize(checked)
    terms = vocabulary.expand(t for t in tokens if not t.isdigit() or len(t) == 4)
    weights = {t: knowledge.idf(t) for t in dict.fromkeys(terms)}
    subject_source = " ".join(danish_words_for(question)) if language == "en" else local
    named = {t for n in known for t in tokenize(n)}
    subject_terms = [
        t
        for t in vocabulary.expand(tokenize(subject_source))
        if not t[0].isdigit() and t not in named and t not in _GENERIC
    ]
    subject = frozenset(t for t in subject_terms if t in knowledge.frequency)
    total = sum(knowledge.idf(t) for t in subject_terms) or 1.0
    missing = sum(knowledge.idf(t) for t in subject_terms if t not in knowledge.frequency and not vocabulary.parts(t))
    return Analysis(
        question=question,
        language=language,
        search_text=search_text,
        intent=intent_of(local),
        terms=weights,
        subject=subject,
        names=tuple(known),
        unknown_names=tuple(unknown),
        named_documents=frozenset(_named_documents(known, knowledge)),
        years=tuple(years(local)),
        metrics=frozenset(m.key for m in find_metrics(checked)),
        wants_total=bool(TOTAL.search(local)),
        counted=frozenset(_counted(local, knowledge) - _MEASURE_WORDS),
        amount_or_share=asks_amount_or_share(local),
        unknown_subject=missing / total if subject_terms else 0.0,
        pairs=pairs_of(tokens),
        numbers=frozenset(t for t in tokenize(local) if t[0].isdigit()) - set(years(local)),
        references=references(local),
        parts=tuple(Part(p, i, tuple(sorted(_counted(p, knowledge) - _MEASURE_WORDS))) for p, i in parts_of(local)),
    )


def parts_of(question: str) -> tuple[tuple[str, Intent], ...]:
    """The questions a question asks, with what each asks for: "Hvor mange aktiviteter ..., og hvor tit holdes
    møderne?" asks a count and a frequency; one answer must give both. Empty for a question that asks one thing."""
    parts = [p for p in _ANOTHER_QUESTION.split(question) if p.strip()]
    return tuple((p, intent_of(p)) for p in parts) if len(parts) > 1 else ()


def pairs_of(tokens: list[str]) -> frozenset[tuple[str, str]]:
    """Consecutive stems, numbers left out: a phrase of the question met as a phrase in a statement."""
    words = [t for t in tokens if not t[0].isdigit()]
    return frozenset(zip(words, words[1:], strict=False))


def intent_of(question: str) -> Intent:
    for intent, pattern in _INTENTS:
        if pattern.search(question):
            return intent
    return Intent.WHAT


def _named_documents(names: list[str], knowledge: Knowledge) -> set[str]:
    """Documents a distinctive name in the question points at ("Bakkegården", "CJU"; not "Center")."""
    folded = {w for n in names for w in n.casefold().split()}
    half = max(1, len(knowledge.document_words) // 2)
    distinctive = {w for w in folded if sum(w in ws for ws in knowledge.document_words.values()) <= half}
    named = set()
    for document_id, label in knowledge.labels.items():
        label_stems = {t for w in label for t in tokenize(w)}
        if any(w in label or shares_stem(tokenize(w), label_stems) for w in distinctive):
            named.add(document_id)
    return named


def _counted(question: str, knowledge: Knowledge) -> set[str]:
    """Stems of what a "how many" question counts, in the agreements' words: an English noun by its Danish glossary
    words ("full-time equivalents" -> "årsværk"), and only words the agreements use at all."""
    found: list[str] = []
    for match in COUNTED.finditer(question):
        found += glossary_words_at(question, match.start(1)) or [match.group(1)]
    stems = set(knowledge.vocabulary.expand(s for w in found for s in tokenize(w)))
    return {s for s in stems if s in knowledge.frequency}
