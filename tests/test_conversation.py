"""Follow-ups, language detection, names in questions and precedent highlights: the service's pure parts."""

from __future__ import annotations

import pytest

from ingest.danish import names_in as question_names
from service.conversation import is_follow_up, standalone_question
from service.language import detect_language
from service.similar import highlight_spans

HISTORY = [
    ("user", "Hvad er måltallet for sygefravær på Bakkegården?"),
    ("assistant", "Ifølge aftalen: »... 8 % i 2022.«"),
]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Og for CJU?", "Hvad er måltallet for sygefravær på CJU?"),
        ("And for CJU?", "Hvad er måltallet for sygefravær på CJU?"),
        ("Hvad med Team Myndighed?", "Hvad er måltallet for sygefravær på Team Myndighed?"),
    ],
)
def test_follow_up_with_a_new_name_asks_the_earlier_question_about_it(question, expected):
    assert standalone_question(question, HISTORY) == expected


def test_follow_up_without_a_name_carries_the_earlier_names():
    rewritten = standalone_question("Hvad med trivsel?", HISTORY)
    assert "trivsel" in rewritten and "Bakkegården" in rewritten


@pytest.mark.parametrize(
    "question",
    ["Hvad er budgettet for CJU i 2022?", "Hvilke aktiviteter er der for at mindske sygefraværet i CJU?"],
)
def test_self_contained_question_is_left_as_asked(question):
    assert not is_follow_up(question)
    assert standalone_question(question, HISTORY) == question


def test_follow_up_without_history_is_left_as_asked():
    assert standalone_question("Og for CJU?", []) == "Og for CJU?"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hvad er måltallet for sygefravær på Bakkegården?", "da"),
        ("What is the sick-leave target for Bakkegården?", "en"),
        ("Sammenlign sygefraværsmålene", "da"),
        ("Compare the sick leave targets across units", "en"),
        ("sygefravær", "da"),
        ("How many places does Kilen have?", "en"),
    ],
)
def test_detect_language(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("Hvad er måltallet for sygefravær på Bakkegården?", ["Bakkegården"]),
        ("CJU: hvor mange pladser?", ["CJU"]),
        ("What is the target for Team Myndighed SHC?", ["Team Myndighed SHC"]),
        ("Hvad er målet i Region Sjælland?", ["Sjælland"]),
        ("hvad er målet?", []),
    ],
)
def test_question_names_are_capitalised_words_and_acronyms_after_the_first_word(question, names):
    assert question_names(question) == names


def test_highlights_mark_passage_words_that_share_a_stem_with_the_draft():
    passage = "Vi vil nedbringe sygefraværet, og tiden brugt på møder skal falde med 10 %."
    spans = highlight_spans("Vi ønsker at nedbringe tid brugt til møder", passage)
    marked = [passage[start:end] for start, end in spans]
    assert "nedbringe" in marked and any("møder" in m for m in marked)
    assert all(0 <= start < end <= len(passage) for start, end in spans)
    assert "sygefraværet" not in " ".join(marked)


def test_highlights_are_empty_when_nothing_is_shared():
    assert highlight_spans("budget og økonomi", "Trivsel blandt medarbejderne måles årligt.") == []
