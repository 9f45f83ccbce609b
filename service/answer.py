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
from index.sentences import Sentence, SentenceVectors
from ingest.metrics import find_metrics
from service.figures import (
    COUNTED,
    FREQUENCY_INTENT,
    answers_figure,
    asks_amount_or_share,
    counted_in_words,
    states_date,
    states_frequency,
    states_period,
    states_time,
)
from service.glossary import glossary_words_at
from service.language import danish_place_names, danish_search_text, danish_words_for, detect_language

# Candidate passages considered for the quote; more than the user's top_k so a right sentence in the 6th
# passage can still win.
CANDIDATES = 8
# Passages whose sentences compete for the quote.
SENTENCE_PASSAGES = 5

# Sentence score = weighted sum; the weights were set on benchmarks/questions.jsonl (see benchmarks/README.md).
W_DENSE = 1.0
W_OVERLAP = 0.6
W_CONTEXT = 0.2
W_RANK = 0.06
W_METRIC = 0.15

# Refusal thresholds on the best sentence (dense cosine of e5 and query-term overlap, 0..1), set with
# benchmarks/calibrate_answer.py. English questions share almost no words with Danish text and their cross-lingual
# cosines run lower, so they get their own bar; names, years, metrics and figures guard them as well.
MIN_DENSE_ALONE = {"da": 0.86, "en": 0.815}
MIN_DENSE_WITH_OVERLAP = 0.80
MIN_OVERLAP = 0.34

_YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")
_WHEN = re.compile(r"\b(hvilket år|hvilken måned|which year|what year|which month)\b", re.IGNORECASE)
# "Hvilken dato ...", "on what date ...": a year alone does not answer; a day does.
_DATE_INTENT = re.compile(r"\b(dato\w*|date[ds]?|hvilken dag|which day)\b", re.IGNORECASE)
# "Hvornår ...", "fra hvornår ...", "when ...", "by when ...": a point in time (a year, a day or a month).
_TIME_INTENT = re.compile(
    r"^\s*(?:(?:fra|siden|indtil|inden|senest) )?hvornår\b|^\s*(?:(?:since|until|by|from) )?when\b|\bhvornår\b",
    re.IGNORECASE,
)
# "Hvor længe ...", "how long ...": a length of time or the point it runs to.
_PERIOD_INTENT = re.compile(r"\b(hvor længe|how long|until when|indtil hvornår)\b", re.IGNORECASE)
# A capitalised word inside the question, or an acronym: candidate names of units, places, documents.
_NAME = re.compile(r"(?<![\w])([A-ZÆØÅ][\wæøåÆØÅ&-]*[\wæøå]|[A-ZÆØÅ]{2,})")
_NUMBER_INTENT = re.compile(
    r"\b(hvor (mange|meget|stor|høj|lav|længe)|måltal\w*|procent\w*|andel\w*|antal\w*|beløb\w*|budget\w*|"
    r"pladser|stykpris\w*|hvad er (målet|måltallet)|how (many|much|high|large|long|low)|percent\w*|rate|share|"
    r"besparelse\w*|indtægt\w*|target|figure|number of|amount|budget|places|saving\w*|income|kr\.?|"
    r"hvilken alder|hvor gammel|what age|how old|score\w*)\b",
    re.IGNORECASE,
)
# "Den samlede indtægt", "i alt", "in total": the answer is a total row or sentence, not one of its parts.
_TOTAL = re.compile(r"\b(samle[td]e?|i alt|total\w*|in all)\b", re.IGNORECASE)
# Units of measure, not things counted ("hvor mange procent", "how many kroner").
_MEASURE_WORDS = frozenset(tokenize("procent procentpoint kroner kr mio timer dage uger måneder år gange percent"))
# A line this short without a sentence end, right above a sentence, labels it (forms and fact boxes).
MAX_LABEL = 60
# Words of questions that say what kind of answer is wanted, not what it is about.
_GENERIC = frozenset(
    tokenize(
        "mål måltal målsætning målet antal antallet procent andel år året tal beløb samlet alt hvor mange meget stor "
        "hvilken hvilke hvem hvad hvornår hvordan hvorfor ofte længe skal har være blev kr mio aftale aftalen"
    )
)
# Capitalised words that are not names (question openers, generic nouns staff capitalise).
_NOT_NAMES = frozenset(
    """hvad hvilke hvilken hvor hvordan hvornår hvorfor hvem er og i what which who when where why how is are
    does do the in for and compare sammenlign kommune kommunes region regionen kommunen aftale aftalen
    institutionsaftale udviklingsaftale driftsaftale virksomhedsplan danish english denmark danmark
    og or if can could please tell list give find show byråd byrådet byrådets kommunalbestyrelse kommunalbestyrelsen
    regionsråd regionsrådet municipality council city""".split()
)


@dataclass(frozen=True)
class Quote:
    hit: Hit
    text: str
    start: int  # offsets in the document's cleaned text
    end: int
    score: float


@dataclass(frozen=True)
class Choice:
    """The best sentence for a question, with the evidence measures the refusal rules look at."""

    quote: Quote
    dense: float  # cosine of question and sentence (with its heading)
    overlap: float  # idf-weighted share of the question's terms found in the sentence or its heading
    metric_ok: bool  # the sentence or its heading names the metric the question asks about (if any)
    subject: float | None = None  # idf-weighted share of the question's subject words found; None: no subject words


@dataclass(frozen=True)
class _Candidate:
    hit: Hit
    row: int  # in the sentence vectors
    rank: int  # of the passage among the retrieved ones
    sentence: Sentence


@dataclass(frozen=True)
class _Rules:
    """What the question asks for, worked out once and checked against every candidate sentence."""

    question: str
    names: list[str]  # known names the sentence must be about
    subject: frozenset[str]  # what the question is about, in the agreements' words
    about_unknown: bool  # the question is about something, and no agreement uses any word for it
    metrics: frozenset[str]  # keys of the metrics the question asks about
    wants_figure: bool
    wants_total: bool
    wants_year: bool
    wants_date: bool
    wants_time: bool
    wants_period: bool
    wants_frequency: bool
    counted: set[str]  # stems of what a "how many" question counts
    counted_any: set[str]  # the same with units of measure ("gange", "år"): what a number word may count


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
        self._document_words = {
            d.id: _words(f"{d.title} {d.unit} {d.organisation} {d.text}") for d in index.documents.values()
        }
        self._corpus_words = set().union(*self._document_words.values())
        self._leading_names = {d.id: leading_names(d.text) for d in index.documents.values()}
        self._labels: dict[tuple[str, int], str] = {}
        self._corpus_stems = {stem for word in self._corpus_words for stem in tokenize(word)}
        chunks = [chunk for document in index.documents.values() for chunk in document.chunks]
        self._document_frequency = Counter(term for chunk in chunks for term in set(tokenize(chunk.text)))
        self._chunk_count = max(1, len(chunks))

    # -- public ---------------------------------------------------------------------------------------

    def answer(self, question: str, top_k: int = 5, filters: Filters | None = None) -> Answer:
        language = detect_language(question)
        asked = question
        if language == "en":
            question = danish_place_names(question)
        search_text = danish_search_text(asked)
        hits = self._retrieve(search_text, max(top_k, CANDIDATES), filters)
        shown = tuple(hits[:top_k])

        unknown = self.unknown_names(question, language)
        if unknown:
            return self._refuse(asked, language, shown, "unknown-name", names=unknown)
        if not hits:
            return self._refuse(asked, language, shown, "no-passages")
        # The Danish metric name an English question was searched with also counts as one of its words.
        checked = search_text if language == "en" else question
        rules = self._rules(checked)
        if rules.about_unknown:
            # "What is the state pension age?" (pension, alder): close wording elsewhere would only be a guess.
            return self._refuse(asked, language, shown, "unknown-subject")

        choice = self._best_quote(checked, hits, rules)
        if choice is None:
            return self._refuse(asked, language, shown, "weak-evidence")
        quote, dense, overlap = choice.quote, choice.dense, choice.overlap
        if not (dense >= MIN_DENSE_ALONE[language] or (dense >= MIN_DENSE_WITH_OVERLAP and overlap >= MIN_OVERLAP)):
            return self._refuse(asked, language, shown, "weak-evidence")
        if not choice.metric_ok:
            # The question asks about a metric (budget, turnover ...) the best evidence does not mention:
            # quoting it would put another metric's figure forward as the answer.
            return self._refuse(asked, language, shown, "no-figure")
        missing_years = [y for y in _YEAR.findall(question) if not self._year_covered(y, quote)]
        if missing_years:
            return self._refuse(asked, language, shown, "year-not-covered", years=missing_years)

        if quote.hit.id not in {h.id for h in shown}:
            shown = (*shown[: top_k - 1], quote.hit)
        quotes = (quote,)
        header = self._header_row(quote.hit.document_id, quote.start, quote.text)
        if header and header[0] != quote.start and quote.hit.start <= header[0] and header[1] <= quote.hit.end:
            # A table row's figures mean nothing without its column names: the header row is quoted too.
            text = self.index.documents[quote.hit.document_id].text[header[0] : header[1]]
            quotes = (Quote(quote.hit, text, header[0], header[1], quote.score), quote)
        return Answer(
            question=asked,
            language=language,
            answered=True,
            answer=_frame(quotes, language),
            quotes=quotes,
            hits=shown,
        )

    def unknown_names(self, question: str, language: str = "da") -> list[str]:
        """Names in the question that no agreement mentions.

        An English question names Danish units partly in translation ("the Social and Disability Centre (SHC)"):
        when it also names something the agreements know, the translated words are not grounds for refusal."""
        names = question_names(question)
        unknown = [name for name in names if not all(self._known(word) for word in name.casefold().split())]
        if language == "en" and len(unknown) < len(names):
            return []
        return unknown

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
        # Only a distinctive word singles a document out: "Bakkegården" or "CJU" does, "Center" does not.
        names = {name for name in names if self._document_count(name) <= max(1, len(self.index.documents) // 2)}
        named = set()
        for doc in self.index.documents.values():
            label_words = _words(f"{doc.title} {doc.unit}") | self._leading_names[doc.id]
            if any(name in label_words or _stem_in(name, label_words) for name in names):
                named.add(doc.id)
        return named

    def _document_count(self, word: str) -> int:
        return sum(word in words or _stem_in(word, words) for words in self._document_words.values())

    def _best_quote(self, question: str, hits: list[Hit], rules: _Rules | None = None) -> Choice | None:
        q_weights = {t: self._idf(t) for t in _content_terms(question)}
        total = sum(q_weights.values()) or 1.0
        rules = rules or self._rules(question)
        q_metrics, subject = rules.metrics, rules.subject
        subject_total = sum(self._idf(t) for t in subject)
        candidates = [
            _Candidate(hit, row, rank, self.sentences.sentences[row])
            for rank, hit in enumerate(hits[:SENTENCE_PASSAGES])
            for row in self.sentences.within(hit.document_id, hit.start, hit.end)
        ]
        candidates = [c for c in candidates if self._may_quote(c, rules)]
        if not candidates:
            return None
        dense = self.sentences.vectors[[c.row for c in candidates]] @ self.embedder.embed_query(question)

        best: tuple[float, Choice] | None = None
        for candidate, cos in zip(candidates, dense, strict=True):
            hit, sentence = candidate.hit, candidate.sentence
            heading = f"{sentence.context} {hit.table_header} {self._labels_of(sentence)}"
            terms = set(tokenize(sentence.text))
            context_terms = set(tokenize(heading))
            overlap = sum(w for t, w in q_weights.items() if t in terms) / total
            context = sum(w for t, w in q_weights.items() if t in context_terms and t not in terms) / total
            # The asked metric must be named by the sentence, or by its headings when the sentence names no other
            # metric: "Måltallet for sygefravær ..." under a heading about recruitment answers no recruitment question.
            own = {m.key for m in find_metrics(sentence.text)}
            named = q_metrics & own if own else q_metrics & {m.key for m in find_metrics(heading)}
            metric_ok = not q_metrics or bool(named)
            score = (
                W_DENSE * float(cos)
                + W_OVERLAP * overlap
                + W_CONTEXT * context
                # "role clarity in the well-being survey": the sentence naming both beats one naming the survey only.
                + (W_METRIC * len(named) / len(q_metrics) if q_metrics else 0.0)
                - W_RANK * candidate.rank / SENTENCE_PASSAGES
            )
            if best is None or score > best[0]:
                quote = Quote(hit=hit, text=sentence.text, start=sentence.start, end=sentence.end, score=score)
                found = terms | context_terms
                covered = (
                    sum(self._idf(t) for t in subject if _shares_subject({t}, found)) / subject_total
                    if subject_total
                    else None
                )
                best = (score, Choice(quote, float(cos), overlap + context, metric_ok, covered))
        return best[1] if best else None

    def _known_names(self, question: str) -> list[str]:
        return [name for name in question_names(question) if all(self._known(w) for w in name.casefold().split())]

    def _rules(self, question: str) -> _Rules:
        names = self._known_names(question)
        counted = self._counted_stems(question)
        words = self._subject_words(question, names)
        subject = frozenset(word for word in words if word in self._document_frequency)
        return _Rules(
            question=question,
            names=names,
            subject=subject,
            about_unknown=bool(words) and not subject,
            metrics=frozenset(m.key for m in find_metrics(question)),
            wants_figure=bool(_NUMBER_INTENT.search(question)) or asks_amount_or_share(question),
            wants_total=bool(_TOTAL.search(question)),
            wants_year=bool(_WHEN.search(question)),
            wants_date=bool(_DATE_INTENT.search(question)),
            wants_time=bool(_TIME_INTENT.search(question)),
            wants_period=bool(_PERIOD_INTENT.search(question)),
            wants_frequency=bool(FREQUENCY_INTENT.search(question)),
            counted=counted - _MEASURE_WORDS,
            counted_any=counted,
        )

    def _subject_words(self, question: str, names: list[str]) -> set[str]:
        """What the question is about: its content terms without the names of units, question words, figures and
        words every agreement uses ("mål", "år"), whether or not the agreements use them. An English question's own
        words never occur in Danish text; its subject is the Danish words for its metric and domain terms."""
        if detect_language(question) == "en":
            question = " ".join(danish_words_for(question))
        named = {t for name in names for t in tokenize(name)}
        return {t for t in tokenize(question) if not t[0].isdigit() and t not in named and t not in _GENERIC}

    def _may_quote(self, candidate: _Candidate, rules: _Rules) -> bool:
        """Whether a sentence can answer the question at all; the score only ranks those that can."""
        sentence = candidate.sentence
        if self._heading_like(sentence):
            return False  # a heading or title repeated as a line is not an answer
        if rules.names and not self._about(rules.names, candidate.hit, sentence):
            # "Hvor mange pladser er der på Kofoedsminde?": a figure about another unit is no answer, however
            # close its wording.
            return False
        if rules.subject and not self._on_subject(rules, sentence):
            return False  # a sentence that shares none of what the question is about answers something else
        if rules.wants_figure and not (
            answers_figure(rules.question, sentence.text) or self._counts_in_words(rules, sentence.text)
        ):
            return False  # a figure question is answered by a figure of the asked kind, or not at all
        if rules.wants_total and not _TOTAL.search(sentence.text):
            return False  # one part of a total is a wrong answer to "how much in all"
        if rules.wants_year and not _YEAR.search(sentence.text):
            return False  # "hvilket år ...": the answer states a year
        if rules.wants_date and not states_date(sentence.text):
            return False
        if rules.wants_time and not states_time(sentence.text):
            return False  # "hvornår ...": the answer names a year, a day or a month
        if rules.wants_period and not states_period(sentence.text):
            return False
        if rules.wants_frequency and not states_frequency(sentence.text):
            return False  # "hvor ofte ...": a date or a count is no answer
        # "Hvor mange pladser": a figure of days in a section about places does not count places. The counted noun
        # must be in the sentence itself or in its table's column header.
        return not rules.counted or _mentions_any(
            rules.counted, tokenize(f"{sentence.text} {self._labels_of(sentence)}")
        )

    def _on_subject(self, rules: _Rules, sentence: Sentence) -> bool:
        """The sentence, its headings or its column names share a subject word, or the sentence itself names the
        asked metric by another of its names ("UTH-sager" for "utilsigtede hændelser"). A heading naming the metric
        is not enough: "Økonomi" heads many sentences about other money than the asked budget."""
        text = f"{sentence.text} {sentence.context} {self._labels_of(sentence)}"
        return _shares_subject(rules.subject, tokenize(text)) or bool(
            rules.metrics & {m.key for m in find_metrics(sentence.text)}
        )

    def _about(self, names: list[str], hit: Hit, sentence: Sentence) -> bool:
        document = self.index.documents.get(hit.document_id)
        label = (
            f"{document.title} {document.unit} {document.organisation} {' '.join(self._leading_names[document.id])}"
            if document
            else hit.document_title
        )
        # Stems on both sides: "Socialområdet" is named in "Socialområdets målsætninger".
        stems = set(tokenize(f"{sentence.text} {sentence.context} {hit.section} {self._columns_of(sentence)} {label}"))
        return all(set(tokenize(name)) <= stems for name in names)

    def _counted_stems(self, question: str) -> set[str]:
        """Stems of what a "how many" question counts, in the agreements' words: an English noun by its Danish
        glossary words ("full-time equivalents" -> "årsværk"), and only words the agreements use at all."""
        words: list[str] = []
        for match in COUNTED.finditer(question):
            words += glossary_words_at(question, match.start(1)) or [match.group(1)]
        stems = {stem for word in words for stem in tokenize(word)}
        return {stem for stem in stems if stem in self._document_frequency}

    @staticmethod
    def _counts_in_words(rules: _Rules, text: str) -> bool:
        """ "Hvor mange fokusområder": "fem fokusområder" answers; a number word counting something else does not."""
        return bool(rules.counted_any) and any(
            _mentions_any(rules.counted_any, tokenize(word)) for word in counted_in_words(text)
        )

    def _labels_of(self, sentence: Sentence) -> str:
        """What names the value a sentence states, beside its headings: a table row's column header, or the label
        on the line above a value standing on its own line in a form or fact box ("Dato og tidspunkt for
        tilsynsbesøg" above "Onsdag d. 28. august 2013"). Kept per sentence: every rule and the score read it."""
        key = (sentence.document_id, sentence.start)
        if key not in self._labels:
            self._labels[key] = f"{self._columns_of(sentence)} {self._label_line(sentence)}"
        return self._labels[key]

    def _label_line(self, sentence: Sentence) -> str:
        document = self.index.documents.get(sentence.document_id)
        if document is None or sentence.start == 0 or document.text[sentence.start - 1] != "\n":
            return ""
        above = document.text[document.text.rfind("\n", 0, sentence.start - 1) + 1 : sentence.start - 1].strip()
        is_label = 0 < len(above) <= MAX_LABEL and above[-1] not in ".!?;" and "|" not in above
        return above if is_label else ""

    def _columns_of(self, sentence: Sentence) -> str:
        """The header row of the table a sentence is a row of ("Profession | Antal personer 2021 | Årsværk
        2021"), or "" for prose."""
        span = self._header_row(sentence.document_id, sentence.start, sentence.text)
        return self.index.documents[sentence.document_id].text[span[0] : span[1]] if span else ""

    def _header_row(self, document_id: str, start: int, text: str) -> tuple[int, int] | None:
        """Offsets of the first line of the block of `|` rows that the row at `start` stands in."""
        document = self.index.documents.get(document_id)
        if document is None or "|" not in text:
            return None
        full = document.text
        line = full.rfind("\n", 0, start) + 1
        while line > 0:
            above = full.rfind("\n", 0, line - 1) + 1
            if "|" not in full[above : line - 1]:
                break
            line = above
        end = full.find("\n", line)
        return line, end if end != -1 else len(full)

    def _heading_like(self, sentence: Sentence) -> bool:
        text = sentence.text.strip(" :").casefold()
        document = self.index.documents.get(sentence.document_id)
        headings = {part.strip(" :").casefold() for part in sentence.context.split(" > ")}
        return text in headings or (document is not None and text == document.title.casefold())

    def _idf(self, term: str) -> float:
        df = self._document_frequency.get(term, 0)
        return float(np.log(1 + self._chunk_count / (1 + df)))

    def _known(self, folded: str) -> bool:
        if folded in self._corpus_words or _stem_in(folded, self._corpus_words):
            return True
        # "VSU-forløbene", "Nexus-parameteren": a hyphenated compound is known when each part is, inflected or not.
        stems = tokenize(folded) if "-" in folded else []
        return bool(stems) and all(stem in self._corpus_stems for stem in stems)

    def _year_covered(self, year: str, quote: Quote) -> bool:
        hit = quote.hit
        period = hit.year or ""
        # The year must be where the quote stands (its sentence, heading, table header) or the agreement's period;
        # elsewhere in a long passage it may belong to another figure.
        header = self._header_row(hit.document_id, quote.start, quote.text)
        columns = self.index.documents[hit.document_id].text[header[0] : header[1]] if header else ""
        if any(year in text for text in (quote.text, hit.section, hit.table_header, columns, period)):
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


# A name the document is about stands on its first page and recurs; a unit named once in a list of related
# documents does not.
LEAD_CHARS = 1500
MIN_MENTIONS = 4


def leading_names(text: str) -> set[str]:
    """Names (casefolded) that a document is about though its metadata may miss them: on its first page and
    mentioned at least MIN_MENTIONS times ("Kærkommen" on the cover of a report titled "Tilsynsrapport for ...")."""
    counts = Counter(name.casefold() for name in _NAME.findall(text))
    return {
        name.casefold()
        for name in _NAME.findall(text[:LEAD_CHARS])
        if counts[name.casefold()] >= MIN_MENTIONS and name.casefold() not in _NOT_NAMES
    }


def _words(text: str) -> set[str]:
    return set(re.findall(r"[\wæøå&-]+", text.casefold()))


def _content_terms(text: str) -> set[str]:
    return {t for t in tokenize(text) if not t.isdigit() or len(t) == 4}


def _stem_in(word: str, vocabulary: set[str]) -> bool:
    """Inflected forms: "Bakkegårdens" matches "bakkegården"; a genitive -s or a definite ending."""
    for suffix in ("s", "en", "et", "ne", "erne", "ens"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4 and word[: -len(suffix)] in vocabulary:
            return True
    return False


def _mentions_any(stems: set[str], tokens: list[str]) -> bool:
    """A stem is mentioned as itself or as the head of a compound ("pladser" in "døgnpladser")."""
    return any(
        token == stem or token.endswith(stem) or (len(token) >= 5 and stem.endswith(token))
        for stem in stems
        for token in tokens
    )


def _shares_subject(stems: frozenset[str] | set[str], tokens: list[str] | set[str]) -> bool:
    """A subject word occurs as a word or inside a compound, head or modifier: "beskæftigelse" is what
    "beskæftigelsesindsats" is about as much as "beskyttet beskæftigelse"."""
    return any(stem == token or (len(stem) >= 4 and stem in token) for stem in stems for token in tokens)


def _frame(quotes: tuple[Quote, ...], language: str) -> str:
    hit = quotes[-1].hit
    if language == "en":
        return f"According to {hit.document_title} ({hit.section}): " + " … ".join(f"“{q.text}”" for q in quotes)
    return f"Ifølge {hit.document_title} ({hit.section}): " + " … ".join(f"»{q.text}«" for q in quotes)


def _refusal_text(language: str, reason: str, extra: dict) -> str:
    names = ", ".join(extra.get("names", []))
    years = ", ".join(extra.get("years", []))
    if language == "en":
        base = "I cannot find that in the agreements."
        detail = {
            "unknown-name": f" None of the agreements mentions {names}.",
            "year-not-covered": f" The closest passages do not cover {years}.",
            "no-figure": " The closest passages state no figure for it.",
            "unknown-subject": " The agreements do not use any of its terms; the closest passages are shown below.",
        }.get(reason, " The closest passages are shown below.")
    else:
        base = "Det kan jeg ikke finde i aftalerne."
        detail = {
            "unknown-name": f" Ingen af aftalerne nævner {names}.",
            "year-not-covered": f" De nærmeste passager dækker ikke {years}.",
            "no-figure": " De nærmeste passager angiver ikke et tal for det.",
            "unknown-subject": " Aftalerne bruger ingen af ordene for det; de nærmeste passager vises nedenfor.",
        }.get(reason, " De nærmeste passager vises nedenfor.")
    return base + detail
