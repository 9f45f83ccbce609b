"""The structured reply (service/reply.py): the sentences a model reads, the JSON it is asked for, and the answer
text made of its reply, with the sentences it quoted as what the guard checks."""

from __future__ import annotations

import json

import pytest

from service.errors import LLMHTTPError, LLMRefusalError
from service.generate import judge
from service.reply import MAX_QUOTES, answer_schema, matching_sentences, read_reply, sentence_lines, sentences_of

GOAL = "Målet for sygefravær på Bakkegården er 8 % i 2022."
BEFORE = "Sygefraværet var 9,4 % i 2021."
PLACES = "Bakkegården har 24 pladser fordelt på to afdelinger."
PASSAGES = [
    {"text": f"{GOAL} {BEFORE}", "sentences": [GOAL, BEFORE]},
    {"text": f"Tilbud\n{PLACES}\n"},  # no stored sentences: its lines
]
SENTENCES = sentences_of(PASSAGES)


def reply(answer: str, *quotes: str, answered: bool = True) -> str:
    return json.dumps({"answer": answer, "quotes": list(quotes), "answered": answered}, ensure_ascii=False)


def test_passages_are_read_as_their_stored_sentences_or_else_their_lines() -> None:
    assert SENTENCES == {"1.1": (1, GOAL), "1.2": (1, BEFORE), "2.1": (2, "Tilbud"), "2.2": (2, PLACES)}
    assert sentence_lines(SENTENCES, 1) == f"{GOAL}\n{BEFORE}"


@pytest.mark.parametrize(
    ("copy", "numbers"),
    [
        (GOAL, ["1.1"]),
        ("Bakkegården har 24 pladser", ["2.2"]),  # a part names the sentence holding it
        (f"{GOAL} {BEFORE}", ["1.1", "1.2"]),  # two sentences copied as one
        (f"• {GOAL}", ["1.1"]),  # a bullet the model added
        ("Målet for sygefravær på Bakkegaarden er 8 % i 2022.", ["1.1"]),  # a slip in copying
        ("Målet for trivsel på Bakkegården er 90 % i 2022.", []),  # another claim
        ("Tilbud", []),  # too short to name anything
        ("Dokument: Driftsaftale | Afsnit: Mål | Side: 3", []),  # the passage's header is no sentence
    ],
)
def test_a_copy_names_the_sentence_it_was_taken_from(copy: str, numbers: list[str]) -> None:
    assert matching_sentences(copy, SENTENCES) == numbers


@pytest.mark.parametrize(
    ("raw", "lang", "text", "sources"),
    [
        (reply("Målet er 8 % i 2022.", GOAL), "da", f"Målet er 8 % i 2022. [1]\n»{GOAL}« [1]", [GOAL, ""]),
        (reply("24 places.", "har 24 pladser"), "en", f"24 places. [2]\n“{PLACES}” [2]", ["", PLACES]),
        (
            reply("8 % og 24 pladser.", GOAL, PLACES, GOAL),
            "da",
            f"8 % og 24 pladser. [1, 2]\n»{GOAL}« [1]\n»{PLACES}« [2]",
            [GOAL, PLACES],
        ),
        # not JSON: an endpoint that ignored response_format answered in text, checked against whole passages
        ("Målet er 8 % [1].", "da", "Målet er 8 % [1].", None),
    ],
)
def test_a_reply_becomes_the_answer_with_each_sentence_quoted_and_cited(raw, lang, text, sources) -> None:
    read = read_reply(raw, lang, SENTENCES, len(PASSAGES))
    assert (read.text, read.sources) == (text, sources)


def test_at_most_three_sentences_are_quoted() -> None:
    read = read_reply(reply("Svar.", GOAL, BEFORE, PLACES, "Tilbud på Bakkegården"), "da", SENTENCES, 2)
    assert read.text.count("»") == MAX_QUOTES


@pytest.mark.parametrize(
    ("raw", "error", "message"),
    [
        (reply("Det fremgår ikke af aftalerne.", GOAL, answered=False), LLMRefusalError, "found no answer"),
        (reply("", GOAL), LLMRefusalError, "found no answer"),
        (reply("Målet er 8 %."), LLMRefusalError, "quoted no sentence"),
        (reply("Målet er 5 %.", "Målet er 5 % for alle tilbud i regionen."), LLMRefusalError, "quoted no sentence"),
        ('{"answer": "Målet er 8 %", "quotes": ["Målet for syge', LLMHTTPError, "not the JSON asked for"),
        ('{"svar": "8 %"}', LLMHTTPError, "lacks the fields quotes and answer"),
        ('{"quotes": "Målet", "answer": "8 %"}', LLMHTTPError, "lacks the fields quotes and answer"),
    ],
)
def test_a_reply_without_an_answer_or_of_another_shape_is_an_error(raw: str, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        read_reply(raw, "da", SENTENCES, len(PASSAGES))


@pytest.mark.parametrize(
    ("answer", "quote", "reason"),
    [
        ("Målet er 8 % i 2022.", GOAL, ""),
        ("Målet er 7 % i 2022.", GOAL, "guard: the number “7 %” is not in passage [1]"),
        # 9,4 % is in the passage, but not in the sentence quoted
        ("Sygefraværet var 9,4 %.", GOAL, "guard: the number “9,4 %” is not in passage [1]"),
    ],
)
def test_the_answer_may_state_only_figures_of_the_sentences_it_quotes(answer: str, quote: str, reason: str) -> None:
    read = read_reply(reply(answer, quote), "da", SENTENCES, len(PASSAGES))
    assert judge(read.text, "da", PASSAGES, "X", read.sources).reason == reason


def test_the_schema_asks_for_the_answer_then_the_copies_then_whether_they_answer() -> None:
    schema = answer_schema()
    assert list(schema["properties"]) == schema["required"] == ["answer", "quotes", "answered"]
