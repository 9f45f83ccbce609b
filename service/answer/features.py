"""Candidate statements of the retrieved passages -> one row of features each. Nothing is vetoed here: whether a
statement answers is for the fitted scorer to weigh (service/answer/scorer.py).

Every feature is a plain number in a named column, so the trace shows why a statement won and the calibration
can fit weights to them. Adding a feature means re-fitting (`aftaler calibrate`); a calibration file lists the
features it was fitted on and is refused when they differ.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from index.search import Hit, Index
from ingest.danish import names_in, references, shares_stem, tokenize, years
from ingest.metrics import find_metrics
from ingest.statements import Statement, introduces
from service.answer.analyse import TOTAL, Analysis, Intent, Knowledge, pairs_of
from service.answer.quoted import quoted_rows
from service.figures import (
    answers_figure,
    asks_amount_or_share,
    counted_in_words,
    figures_in,
    states_frequency,
    states_period,
    states_time,
)

# Passages whose statements compete. Where no statement of the best 8 held a fitting question's answer, its passage
# was mostly at search ranks 8-39; with 12, out of fold on 3515 asked: a right statement among the candidates 0.926 ->
# 0.944, among the three shown 0.756 -> 0.764, answer-or-evidence at own-corpus quiet 0.75 0.620 -> 0.651.
PASSAGES = 12

FEATURES: tuple[str, ...] = (
    "dense",  # cosine of question and statement (with its heading and label)
    "dense_gap",  # cosine minus the best cosine among the candidates (0 for the best)
    "prev_dense",  # cosine of the statement before it in its passage (0 for the first): a lead that names the topic
    "next_dense",  # ... of the statement after it (0 for the last)
    "passage_rank",  # 1 / (1 + rank of the passage)
    "passage_dense",  # cosine of question and passage
    "passage_score",  # fused passage score (standard units)
    "passage_overlap",  # idf-weighted share of the question's terms the corpus uses that its passage (headings too) has
    "passage_missing",  # the weightiest question term its passage lacks, as a share of the question's weightiest:
    # a question about what the passage does not say often shares all its words but one
    "overlap",  # idf-weighted share of the question's terms in the statement
    "novel",  # idf-weighted share of the statement's terms the question does not use: what it adds to the question
    "pairs",  # share of the question's consecutive stems met consecutively in the statement
    "numbers_shared",  # share of the non-year numbers the question names that the statement or its context has
    "reference_other",  # it names another of what the question names by number (§ 107 where § 108 is asked)
    "context_overlap",  # ... in its heading or label only
    "subject",  # share of the subject words in the statement, heading or label
    "no_subject",  # the question has no subject words the corpus uses
    "metric_match",  # the statement names a metric the question asks about
    "metric_other",  # the question asks about a metric; the statement names only other ones
    "figure_ok",  # a figure/count question and the statement states a figure of the asked kind
    "figure_missing",
    "compound",  # the question asks several things ("hvor mange ..., og hvor tit ...")
    "parts_missing",  # share of those the statement does not answer (a figure of each asked kind, a date, ...)
    "counted_ok",  # a count question and the statement names what is counted
    "time_ok",  # a date/duration/frequency question and the statement states one
    "time_missing",
    "list_ok",  # a list question and the statement introduces a list, is part of one or holds one inline
    "agent_ok",  # a who question and the statement names a person, unit or body the question does not
    "new_name",  # the statement names something the question does not (the name asked for, in a which question)
    "reason_ok",  # a why question and the statement gives a reason or a purpose
    "meaning_ok",  # a what-does-it-mean question and the statement defines or spells out a term
    "total_ok",
    "total_missing",
    "names_ok",  # the question names units and the statement is about them
    "names_missing",
    "unknown_names",  # the question names something no document uses
    "unknown_subject",  # share of the subject words no document uses
    "years_ok",  # the question names years and the statement covers them
    "years_missing",
    "has_figure",
    "length",  # log of the statement's length
    "is_row",
    "is_value",
    "is_bullet",
    "heading_like",
    "introduces",  # it ends with a colon and is quoted with the lines it introduces (its facts are theirs)
    "english",
    # Relative to the question's other candidates (0 for the best): how this statement stands among its rivals.
    "dense_rank",  # 1 / (1 + rank of its cosine)
    "overlap_gap",
    "subject_gap",
)
_RELATIVE = {"overlap_gap": "overlap", "subject_gap": "subject"}

# How a statement gives a reason or a purpose, and how it defines a term: the connectives of Danish and English.
_REASON = re.compile(
    r"\b(fordi|skyldes|skyldtes|derfor|idet|eftersom|årsag\w*|begrund\w*|for at|med henblik på|formål\w*|"
    r"because|due to|in order to|so that|reason\w*|purpose)\b",
    re.I,
)
# A list written inside one sentence: "1) ... 2) ...", "a) ... b) ...", or three or more short items in a
# series ("jobcenteret, socialafdelingen og driften").
_ENUMERATED = re.compile(r"(?:^|\s)\(?(?:\d{1,2}|[a-h])\)\s")
_SERIES = re.compile(r"(?:[^,.;:]{1,40},\s){2,}[^,.;:]{1,40}\s(?:og|eller|samt|and|or)\s", re.I)
_DEFINES = re.compile(
    r"\s=\s|\b(betyder|forstås|defineres|definition\w*|dvs|står for|vil sige|menes|means|meant|defined|stands for)\b",
    re.I,
)


@dataclass(frozen=True)
class Facts:
    """What a statement says whatever the question is: worked out once per statement and index, since scoring
    reads it for every question whose passages hold the statement."""

    text_tokens: list[str]
    content: dict[str, float]  # its own content stems (numbers left out) and their idf
    context: str  # what names it: its heading path, its row's first cells, its label, its table's header
    context_tokens: list[str]
    pairs: frozenset[tuple[str, str]]
    metrics: frozenset[str]
    figures: list
    counted: list[list[str]]  # the tokens of each word a number word may count
    total: bool
    time: dict[Intent, bool]
    heading_like: bool
    names: frozenset[str]  # casefolded
    references: frozenset[tuple[str, str]]  # in its words or its context
    explains: bool
    defines: bool
    lists: bool  # introduces a list, is an item of one, or holds one inline
    introduces: bool  # ends with a colon and has lines under it
    quoted: str  # what it is quoted with, where its figures' offsets point

    @classmethod
    def of(cls, s: Statement, hit: Hit, knowledge: Knowledge, quoted: str) -> Facts:
        """`quoted`: the text the statement is quoted with (itself, or with the lines its colon introduces): what it
        states (figures, dates, names, reasons) is read there; its wording (tokens, pairs) is its own."""
        tokens = tokenize(s.text)
        context = f"{s.context} {s.row} {s.label} {hit.table_header}"
        figures = figures_in(quoted)
        return cls(
            text_tokens=tokens,
            content={t: knowledge.idf(t) for t in tokens if not t[0].isdigit()},
            context=context,
            context_tokens=tokenize(context),
            pairs=pairs_of(tokens),
            metrics=frozenset(m.key for m in find_metrics(s.text)),
            figures=figures,
            counted=[tokenize(w) for w in counted_in_words(quoted, figures)],
            total=bool(TOTAL.search(quoted)),
            time={
                Intent.DATE: states_time(quoted),
                Intent.DURATION: states_period(quoted),
                Intent.FREQUENCY: states_frequency(quoted),
            },
            heading_like=_heading_like(s, knowledge),
            names=frozenset(n.casefold() for n in names_in(quoted)),
            references=references(f"{s.text} {context}"),
            explains=bool(_REASON.search(quoted)),
            defines=bool(_DEFINES.search(quoted)),
            lists=s.kind == "bullet"
            or introduces(s.text)
            or len(_ENUMERATED.findall(s.text)) >= 2
            or bool(_SERIES.search(s.text)),
            introduces=quoted != s.text,
            quoted=quoted,
        )


def facts(c: Candidate, knowledge: Knowledge) -> Facts:
    # The header comes with the passage and is part of the context; the lines a colon introduces end with it.
    key = (c.row, c.hit.table_header, c.hit.start, c.hit.end)
    found = knowledge.facts.get(key)
    if found is None:  # concurrent requests may both compute it; the results are equal
        table = knowledge.index.statements
        quoted = "\n".join(table.statements[r].text for r in quoted_rows(knowledge.index, c.row, c.hit, False))
        found = knowledge.facts[key] = Facts.of(c.statement, c.hit, knowledge, quoted)
    return found


@dataclass(frozen=True)
class Candidate:
    row: int  # in the index's statement table
    statement: Statement
    hit: Hit
    rank: int  # of the passage


def candidates(index: Index, hits: list[Hit]) -> list[Candidate]:
    table = index.statements
    return [
        Candidate(row, table.statements[row], hit, rank)
        for rank, hit in enumerate(hits[:PASSAGES])
        for row in table.within(hit.document_id, hit.start, hit.end)
    ]


def feature_matrix(
    analysis: Analysis, found: list[Candidate], query_vector: np.ndarray, knowledge: Knowledge
) -> np.ndarray:
    if not found:
        return np.zeros((0, len(FEATURES)), np.float32)
    vectors = knowledge.index.statements.vectors[[c.row for c in found]]
    dense = vectors @ query_vector
    best = float(dense.max())
    rows = [_features(analysis, c, float(cos), best, knowledge) for c, cos in zip(found, dense, strict=True)]
    # Counted once per passage (its candidates share it), over the terms some passage uses.
    known = {t: w for t, w in analysis.terms.items() if t in knowledge.frequency}
    covered = {hit.id: _passage_coverage(known, hit) for hit in {c.hit.id: c.hit for c in found}.values()}
    for row, c in zip(rows, found, strict=True):
        row["passage_overlap"], row["passage_missing"] = covered[c.hit.id]
    for row, rank in zip(rows, ranks(dense).tolist(), strict=True):
        row["dense_rank"] = 1.0 / (1 + rank)
    # A passage's candidates come in document order, so its neighbours are the candidates beside it.
    for i, row in enumerate(rows):
        row["prev_dense"] = float(dense[i - 1]) if i > 0 and found[i - 1].hit.id == found[i].hit.id else 0.0
        after = i + 1 < len(found) and found[i + 1].hit.id == found[i].hit.id
        row["next_dense"] = float(dense[i + 1]) if after else 0.0
    for name, source in _RELATIVE.items():
        top = max(row[source] for row in rows)
        for row in rows:
            row[name] = row[source] - top
    return np.asarray([[row[name] for name in FEATURES] for row in rows], np.float32)


def ranks(values: np.ndarray) -> np.ndarray:
    """The rank of each value among the candidates (of each column's, for a matrix), best (largest) 0; ties in
    candidate order."""
    return np.argsort(np.argsort(-values, axis=0, kind="stable"), axis=0, kind="stable")


def _features(analysis: Analysis, c: Candidate, cos: float, best: float, knowledge: Knowledge) -> dict[str, float]:
    s, hit = c.statement, c.hit
    known = facts(c, knowledge)
    text_tokens, context, context_tokens = known.text_tokens, known.context, known.context_tokens
    total = sum(analysis.terms.values()) or 1.0
    in_text = sum(w for t, w in analysis.terms.items() if shares_stem([t], text_tokens))
    in_context = sum(
        w for t, w in analysis.terms.items() if not shares_stem([t], text_tokens) and shares_stem([t], context_tokens)
    )
    subject_total = sum(knowledge.idf(t) for t in analysis.subject)
    subject = (
        sum(knowledge.idf(t) for t in analysis.subject if shares_stem([t], text_tokens + context_tokens))
        / subject_total
        if subject_total
        else 0.0
    )
    stated_metrics = known.metrics
    figure_question = analysis.intent in (Intent.FIGURE, Intent.COUNT) or analysis.amount_or_share
    figure_ok = figure_question and (
        answers_figure(analysis.question, known.quoted, known.figures)
        or any(shares_stem(analysis.counted, words) for words in known.counted)
    )
    time_ok = known.time.get(analysis.intent, False)
    time_question = analysis.intent in known.time
    wants_names = bool(analysis.names)
    new_names = known.names - {n.casefold() for n in analysis.names}
    names_ok = wants_names and _about(analysis, c, knowledge)
    year_words = f"{s.text} {context} {hit.section} {hit.year}"
    years_ok = bool(analysis.years) and all(_covers(y, year_words) for y in analysis.years)
    return {
        "dense": cos,
        "dense_gap": cos - best,
        "passage_rank": 1.0 / (1 + c.rank),
        "passage_dense": hit.dense_score,
        "passage_score": hit.score,
        "overlap": in_text / total,
        "novel": _novel(analysis, known.content),
        "pairs": len(analysis.pairs & known.pairs) / len(analysis.pairs) if analysis.pairs else 0.0,
        "numbers_shared": len(analysis.numbers & set(text_tokens + context_tokens)) / len(analysis.numbers)
        if analysis.numbers
        else 0.0,
        "reference_other": float(_names_another(analysis.references, known.references)),
        "context_overlap": in_context / total,
        "subject": subject,
        "no_subject": float(not analysis.subject),
        "metric_match": float(bool(analysis.metrics & stated_metrics)),
        "metric_other": float(
            bool(analysis.metrics) and bool(stated_metrics) and not analysis.metrics & stated_metrics
        ),
        "figure_ok": float(figure_ok),
        "figure_missing": float(figure_question and not figure_ok),
        "compound": float(bool(analysis.parts)),
        "parts_missing": _parts_missing(analysis, known, bool(new_names)),
        "counted_ok": float(bool(analysis.counted) and shares_stem(analysis.counted, text_tokens + context_tokens)),
        "time_ok": float(time_ok),
        "time_missing": float(time_question and not time_ok),
        "list_ok": float(analysis.intent == Intent.LIST and known.lists),
        "agent_ok": float(analysis.intent == Intent.WHO and bool(new_names)),
        "new_name": float(bool(new_names)),
        "reason_ok": float(analysis.intent == Intent.WHY and known.explains),
        "meaning_ok": float(analysis.intent == Intent.MEANING and known.defines),
        "total_ok": float(analysis.wants_total and known.total),
        "total_missing": float(analysis.wants_total and not known.total),
        "names_ok": float(names_ok),
        "names_missing": float(wants_names and not names_ok),
        "unknown_names": float(bool(analysis.unknown_names)),
        "unknown_subject": analysis.unknown_subject,
        "years_ok": float(years_ok),
        "years_missing": float(bool(analysis.years) and not years_ok),
        "has_figure": float(bool(known.figures)),
        "length": math.log(1 + len(s.text)),
        "is_row": float(s.kind == "row"),
        "is_value": float(s.kind == "value"),
        "is_bullet": float(s.kind == "bullet"),
        "heading_like": float(known.heading_like),
        "introduces": float(known.introduces),
        "english": float(analysis.language == "en"),
    }


def _passage_coverage(terms: dict[str, float], hit: Hit) -> tuple[float, float]:
    """(share of the term weight the passage has, weightiest term it lacks / weightiest term). `terms`: the
    question's terms some passage uses: a word no document has (an English word, a synonym) is lacking from every
    passage alike and says nothing of this one (`unknown_subject` reports it)."""
    if not terms:
        return 0.0, 0.0
    tokens = tokenize(f"{' '.join(hit.heading_path)} {hit.section} {hit.text}")
    lacking = [w for t, w in terms.items() if not shares_stem([t], tokens)]
    return 1.0 - sum(lacking) / sum(terms.values()), max(lacking, default=0.0) / max(terms.values())


def _novel(analysis: Analysis, content: dict[str, float]) -> float:
    """A sentence that only restates the question (a lead naming the topic) adds nothing; the answer adds words."""
    weight = sum(content.values())
    if not weight:
        return 0.0
    asked = list(analysis.terms)
    new = [t for t in content if not shares_stem(asked, [t]) and not shares_stem([t], asked)]
    return sum(content[t] for t in new) / weight


def _parts_missing(analysis: Analysis, known: Facts, new_names: bool) -> float:
    """Of the questions a compound question asks, the share the statement leaves open: each asks its own kind of
    answer, and two figures asked need two figures stated (the count beside the frequency, not one of them)."""
    if not analysis.parts:
        return 0.0
    open_parts, numeric = 0, 0
    for part in analysis.parts:
        intent = part.intent
        if intent in (Intent.FIGURE, Intent.COUNT) or asks_amount_or_share(part.text):
            answered = answers_figure(part.text, known.quoted, known.figures)
            if part.counted:  # "hvor mange aktiviteter": a number of activities, not "4 gange"
                answered = answered and any(shares_stem(part.counted, words) for words in known.counted)
            numeric += answered
        elif intent in known.time:
            answered = known.time[intent]
            numeric += answered and intent != Intent.FREQUENCY
        else:
            answered = {
                Intent.LIST: known.lists,
                Intent.WHO: new_names,
                Intent.WHY: known.explains,
                Intent.MEANING: known.defines,
            }.get(intent, True)
        open_parts += not answered
    distinct = len({m.raw for m in known.figures})
    open_parts += max(0, numeric - distinct)
    return min(1.0, open_parts / len(analysis.parts))


def _names_another(asked: frozenset[tuple[str, str]], stated: frozenset[tuple[str, str]]) -> bool:
    """A sentence about § 107 beside the one about § 108: it numbers what the question numbers, and none of the
    numbers asked ("niveau 3" answers a question about "niveau 3 og 4")."""
    for marker in {m for m, _ in asked}:
        numbers = {n for m, n in stated if m == marker}
        if numbers and not numbers & {n for m, n in asked if m == marker}:
            return True
    return False


def _about(analysis: Analysis, c: Candidate, knowledge: Knowledge) -> bool:
    """The statement is about every unit the question names: in its document's names, or in its own words."""
    if c.hit.document_id in analysis.named_documents:
        return True
    s = c.statement
    words = f"{s.text} {s.context} {s.row} {s.label} {c.hit.section}"
    stems = set(tokenize(words)) | knowledge.about[c.hit.document_id]
    return all(set(tokenize(name)) <= stems for name in analysis.names)


def _covers(year: str, text: str) -> bool:
    if year in years(text):
        return True
    # A period "2015-2016" covers the years between.
    spans = re.findall(r"\b(\d{4})\s*[-–]\s*(\d{4})\b", text)
    return any(int(a) <= int(year) <= int(b) for a, b in spans)


def _heading_like(s: Statement, knowledge: Knowledge) -> bool:
    text = s.text.strip(" :").casefold()
    document = knowledge.index.documents.get(s.document_id)
    headings = {part.strip(" :").casefold() for part in s.heading_path}
    return text in headings or (document is not None and text == document.title.casefold())
