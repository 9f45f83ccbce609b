"""What counts as a figure, a date, a period or a frequency (features of the answer scorer), and how English
questions are searched in Danish text."""

from __future__ import annotations

import pytest

from service.figures import answers_figure, counted_in_words, states_date, states_frequency, states_period, states_time
from service.language import danish_place_names, danish_search_text


@pytest.mark.parametrize(
    ("question", "added"),
    [
        ("What is the unit price in sheltered employment?", ["stykpris", "beskyttet beskæftigelse"]),
        ("What is the sick-leave target for CJU?", ["sygefravær", "mål", "måltal"]),
        ("How many full-time places are there?", ["pladser", "fuldtid", "fuldtidspladser"]),
    ],
)
def test_english_questions_are_searched_with_danish_words(question: str, added: list[str]) -> None:
    assert danish_search_text(question) == f"{question} ({', '.join(added)})"


def test_danish_questions_are_searched_as_asked() -> None:
    question = "Hvad er stykprisen for en plads i beskyttet beskæftigelse?"
    assert danish_search_text(question) == question


def test_english_place_names_become_danish() -> None:
    assert danish_place_names("the social services of Region Zealand and Jutland") == (
        "the social services of Region Sjælland and Jylland"
    )


@pytest.mark.parametrize(
    ("text", "states"),
    [
        ("5.2 Tværgående projekter 5.2.1Randers Kommunes udviklingsmodel arbejder med standarder.", False),
        ("2.6.1. Nedbringelse af sygefravær", False),
        ("Arbejdet tager afsæt i udviklingsspor nr. 1 og Mål nr. 6.", False),
        ("Modellen rummer i alt 1.200 standarder.", True),
        ("CJU er placeret på flere adresser: Kilen 53, Dimen 10, Xxxx Vej 4E, Næstmark 17.", False),
        ("Kilen har 20 standarder.", True),
        ("Planen: 1) Projektet kickstartes med en workshop.", False),
        ("Tilbud efter servicelovens § 107/108 og §§ 103 og 104.", False),
        ("De 10 standarder i modellen er:", True),
    ],
)
def test_section_numbers_are_not_figures(text: str, states: bool) -> None:
    assert answers_figure("Hvor mange standarder er der?", text) is states


@pytest.mark.parametrize(
    ("question", "text", "states"),
    [
        (
            "Hvor mange procent af stykprisen udgør reguleringsprisen?",
            "Reguleringsprisen udgør 81,48 % af stykprisen.",
            True,
        ),
        ("Hvor mange procent af stykprisen udgør reguleringsprisen?", "Stykprisen er 129.441 kr.", False),
        ("Hvad er stykprisen?", "Stykprisen er 129.441 kr.", True),
        ("Hvad er stykprisen?", "Prisen stiger med 3 %.", False),
        ("What share of the budget is saved?", "2/3 dele af budgettet", True),
        ("How many residents did Åbo have?", "Måltallet for sygefravær på Åbo er 8 % i 2022.", False),
        ("Hvor mange pladser har Åbo?", "Åbo har 24 pladser.", True),
        ("How many residents did Åbo have?", "Skemaet udfyldes efter 14 dages ophold.", False),
        ("Hvor mange dage må opholdet vare?", "Skemaet udfyldes efter 14 dages ophold.", True),
    ],
)
def test_the_figure_must_be_of_the_asked_kind(question: str, text: str, states: bool) -> None:
    assert answers_figure(question, text) is states


@pytest.mark.parametrize(
    ("text", "date", "period"),
    [
        ("Dato: 4. december 2015", True, True),
        ("Aftale for 2016 mellem direktør og centerchef", False, True),
        ("Fasen løber til og med juni 2016.", False, True),
        ("Forløbet varer 3 måneder.", False, True),
        ("1) Projektet kickstartes med en workshop.", False, False),
    ],
)
def test_date_and_period_questions_need_a_day_or_a_time(text: str, date: bool, period: bool) -> None:
    assert (states_date(text), states_period(text)) == (date, period)


@pytest.mark.parametrize(
    ("text", "frequency", "time"),
    [
        ("Sundhedstjekket gentages som udgangspunkt hvert andet år.", True, False),
        ("Der følges op to gange årligt.", True, False),
        ("Lederne følger sygefraværet månedligt.", True, False),
        ("Med virkning fra 1. januar 2022 skal lægerne tilbyde tjek.", False, True),
        ("Først i 2017 vil der være materiale nok.", False, True),
        ("Materialet vurderes af centerchefen.", False, False),
    ],
)
def test_frequency_and_when_questions_need_a_frequency_or_a_point_in_time(
    text: str, frequency: bool, time: bool
) -> None:
    assert (states_frequency(text), states_time(text)) == (frequency, time)


@pytest.mark.parametrize(
    ("text", "counted"),
    [
        ("Afdelingen har 26 aktiviteter.", ["aktiviteter"]),
        ("Tilbuddet bygges til 40 borgere.", ["borgere"]),
        ("Der er fem fokusområder i planen.", ["fokusområder", "i"]),
        ("Møderne holdes 4 gange om måneden.", ["gange", "om"]),
        ("Budgettet er 8,5 mio. kr.", []),
    ],
)
def test_the_words_a_number_may_count_follow_it_in_digits_or_in_words(text: str, counted: list[str]) -> None:
    assert counted_in_words(text) == counted
