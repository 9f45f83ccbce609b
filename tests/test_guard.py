"""The answer guard on hand-written answers: what it must reject, what it must let through."""

from __future__ import annotations

import pytest

from service.guard import check_answer, parse_citations
from service.language import detect_language

PASSAGES = [
    "Sygefraværet skal i 2023 være højst 4,5 %. Det følges op hvert kvartal.",
    "Budgettet for Bakkegården er 13,4 mio. kr. Heraf går 129.441 kr. til kurser.",
    "Målet er, at alle borgere oplever\n  »trivsel og   tryghed i hverdagen«. Der er 24 pladser.",
]


@pytest.mark.parametrize(
    ("answer", "lang", "reason_part"),
    [
        ("Sygefraværet skal være højst 4,7 % [1].", "da", "“4,7 %” is not in passage [1]"),
        ("Budgettet er 14 mio. kr. [2].", "da", "“14 mio. kr.” is not in passage [2]"),
        ("Sygefraværet skal være 4,5 mio. kr. [1].", "da", "is not in passage [1]"),
        ("Målet er »trivsel for alle« [3].", "da", "quote “trivsel for alle” is not verbatim"),
        ("Målet er “Trivsel og tryghed i hverdagen” [3].", "da", "is not verbatim"),
        ("Det står i aftalen [4].", "da", "cites passage [4], but only 3 were given"),
        ("Det står i aftalen [0].", "da", "cites passage [0]"),
        ("Sygefraværet skal være højst 4,5 %.", "da", "cites no passage"),
        ("   ", "da", "empty"),
        ("The sickness absence target is a health plan for everyone [1].", "en", "neither quotes nor gives"),
        # The number is in passage [1], but this sentence cites only [2].
        (
            "Budgettet er 13,4 mio. kr. [2]. Sygefraværet er højst 4,5 % [2].",
            "da",
            "“4,5 %” is not in passage [2]",
        ),
        (
            "The sickness absence must be at most 4,5 % in 2023 [1].",
            "da",
            "in English, the question in Danish",
        ),
        ("Sygefraværet skal være højst 4,5 % i 2023 [1].", "en", "in Danish, the question in English"),
    ],
)
def test_unsupported_answers_are_rejected_with_a_reason(answer: str, lang: str, reason_part: str) -> None:
    result = check_answer(answer, PASSAGES, lang)
    assert not result.ok
    assert reason_part in result.reason
    assert result.citations == []


@pytest.mark.parametrize(
    ("answer", "lang"),
    [
        ("Sygefraværet skal i 2023 være højst 4,5 % [1].", "da"),
        ("Sygefraværet må højst være 4,5 pct. [1].", "da"),  # same value, other spelling of the unit
        ("Budgettet er 13.400.000 kr. [2].", "da"),  # same amount in another scale
        ("Der går 129.441 kr. til kurser [2], og sygefraværet skal være højst 4,5 % [1].", "da"),
        ("Budgettet er 13,4 mio. kr., og sygefraværet højst 4,5 % [1, 2].", "da"),
        ("Sygefraværet skal være højst 4,5 %. [1]", "da"),  # citation after the full stop
        ("Målet er »trivsel og tryghed i hverdagen« [3].", "da"),  # whitespace in the passage differs
        ("Målet er, at borgerne oplever »trivsel … i hverdagen« [3].", "da"),  # ellipsis inside a quote
        ("1. Sygefraværet skal være højst 4,5 % [1].\n2. Der er 24 pladser [3].", "da"),  # list markers
        ("The target is that all citizens experience “trivsel og tryghed i hverdagen” [3].", "en"),
        ("Sickness absence in 2023 must be at most 4.5 % [1].", "en"),  # English decimal point
        ("Måltal: 4,5 % [1].", "en"),  # too few words to judge the language: not rejected for it
    ],
)
def test_supported_answers_pass(answer: str, lang: str) -> None:
    result = check_answer(answer, PASSAGES, lang)
    assert result.ok, result.reason
    assert result.reason == ""


def test_citations_carry_the_verbatim_quote_from_the_passage() -> None:
    result = check_answer("Målet er »trivsel og tryghed i hverdagen« [3].", PASSAGES, "da")
    assert result.citations == [(3, "trivsel og   tryghed i hverdagen")]
    assert result.citations[0][1] in PASSAGES[2]


def test_citations_carry_the_passage_sentence_holding_the_number() -> None:
    result = check_answer("Der går 129.441 kr. til kurser [2].", PASSAGES, "da")
    assert result.citations == [(2, "Heraf går 129.441 kr. til kurser.")]


def test_citations_are_listed_in_order_of_first_appearance() -> None:
    result = check_answer("Der er 24 pladser [3], og sygefraværet er højst 4,5 % [1]. Se også [3].", PASSAGES, "da")
    assert [n for n, _ in result.citations] == [3, 1]


def test_a_year_from_passage_metadata_counts_as_sourced() -> None:
    answer = "Driftsaftalen for 2024 sætter sygefraværet til højst 4,5 % [1]."
    assert not check_answer(answer, PASSAGES, "da").ok
    assert check_answer(answer, PASSAGES, "da", metadata=["Driftsaftale 2024", "", ""]).ok


def test_evidence_can_be_waived_for_answers_without_quote_or_figure() -> None:
    answer = "Ja, aftalen har et mål for sygefravær [1]."
    assert not check_answer(answer, PASSAGES, "da").ok
    assert check_answer(answer, PASSAGES, "da", require_evidence=False).ok


def test_a_sentence_without_citation_may_use_any_cited_passage() -> None:
    answer = "Budgettet er 13,4 mio. kr. [2].\nDer er 24 pladser.\nMålet er trivsel [3]."
    assert check_answer(answer, PASSAGES, "da").ok


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Se [2] og [1].", [2, 1]),
        ("Se [1, 3] og [3; 2].", [1, 3, 2]),
        ("Se [ 2 ].", [2]),
        ("Ingen henvisning, kun [a] og [].", []),
    ],
)
def test_citation_markers_are_parsed(answer: str, expected: list[int]) -> None:
    assert parse_citations(answer) == expected


@pytest.mark.parametrize(
    ("answer", "ok"),
    [
        ("Målet er højst 4,5 % [1].\n»Sygefraværet skal i 2023 være højst 4,5 %.« [1]", True),
        ("I 2023 [1].", True),  # a date question answered with a year
        # the quote holds the figure, the answer's own words state none
        ("Det følges op [1].\n»Sygefraværet skal i 2023 være højst 4,5 %.« [1]", False),
    ],
)
def test_a_figure_question_needs_a_figure_in_the_answers_own_words(answer: str, ok: bool) -> None:
    verdict = check_answer(answer, PASSAGES, "da", require_figure=True)
    assert (verdict.ok, verdict.reason) == (
        (True, "") if ok else (False, "the question asks for a figure and the answer states none")
    )


JUNE = ["Der følges op 12. juni 2023."]
NONE_BUT_GIVEN = "the question asks for a figure and the answer states none but those the question gives"


@pytest.mark.parametrize(
    ("question", "answer", "passages", "reason"),
    [
        ("Hvad er målet for sygefravær i 2023?", "Målet er højst 4,5 % i 2023 [1].", PASSAGES, ""),
        ("Hvad er målet for sygefravær i 2023?", "Målet for sygefravær gælder i 2023 [1].", PASSAGES, NONE_BUT_GIVEN),
        ("Hvornår i 2023 følges der op?", "Der følges op i 2023 [1].", PASSAGES, NONE_BUT_GIVEN),
        # a month named is a date the question did not give
        ("Hvornår i 2023 følges der op?", "Der følges op i juni 2023 [1].", ["Der følges op i juni 2023."], ""),
        ("Hvilken dag i juni 2023 følges der op?", "I juni 2023 [1].", JUNE, NONE_BUT_GIVEN),
    ],
    ids=["new-figure", "only-the-year-asked", "date-only-the-year-asked", "month-named", "only-the-month-asked-of"],
)
def test_a_figure_the_question_gives_does_not_answer_it(
    question: str, answer: str, passages: list[str], reason: str
) -> None:
    verdict = check_answer(answer, passages, "da", require_figure=True, question=question)
    assert (verdict.ok, verdict.reason) == (not reason, reason)


ROW = ["På vej i job | 6 borgere i gennemsnit hele året (52 uger om året) 2325 kr. pr. uge pr. borger"]
KIND = "“2325” is not the kind of figure the question asks for where the passages state it"


@pytest.mark.parametrize(
    ("question", "answer", "reason"),
    [
        # a count asked for, and the amount per week in the same row given as the count
        ("How many citizens does CJU expect on average?", "CJU expects 2325 citizens [1].", KIND),
        ("How many citizens does CJU expect on average?", "CJU expects 6 citizens on average [1].", ""),
        # an amount asked for: the money figure passes, the count does not
        ("Hvad koster forløbet pr. uge i kroner?", "Det koster 2325 kr. pr. uge [1].", ""),
        ("Hvad koster forløbet pr. uge i kroner?", "Det koster 6 [1].", KIND.replace("2325", "6")),
        # no kind asked ("what figure"): any figure stated in the passages passes
        ("Hvilket tal står der for På vej i job?", "Tallet er 2325 [1].", ""),
    ],
)
def test_a_figure_answer_must_be_of_the_kind_asked_where_the_passages_state_it(
    question: str, answer: str, reason: str
) -> None:
    verdict = check_answer(answer, ROW, detect_language(question), require_figure=True, question=question)
    assert (verdict.ok, verdict.reason) == (not reason, reason)
