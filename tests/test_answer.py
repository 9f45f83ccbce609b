"""The extractive answerer's choice of quote and its refusal rules, on small documents with the fake embedder.

Which sentence wins among the ones that pass the rules depends on the embedder; these tests check the rules that
decide which sentences may be quoted at all, so they hold for any embedder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from index.embed import HashEmbedder
from index.sentences import document_sentences, load_sentence_vectors
from ingest.documents import Chunk, Document, Section
from service import answer as answer_module
from service.answer import CANDIDATES, Answerer
from service.figures import answers_figure, states_date, states_frequency, states_period, states_time
from service.language import danish_place_names, danish_search_text
from tests.test_search import make_document, make_index


def make_answerer(documents: list[Document], tmp_path: Path) -> Answerer:
    index = make_index(documents)
    embedder = HashEmbedder(dimension=64)
    sentences = load_sentence_vectors(documents, tmp_path, lambda: embedder, embedder.name, "test")
    return Answerer(index, embedder, sentences)


def quoted(answerer: Answerer, question: str) -> str | None:
    choice = answerer._best_quote(question, answerer._retrieve(question, CANDIDATES, None))
    return choice.quote.text if choice else None


def test_how_many_places_is_not_answered_by_a_figure_of_days(tmp_path: Path) -> None:
    document = make_document(
        "a", ["Sikrede pladser. Unge indskrevet i mindre end 28 dage er undtaget fra målgruppen."], unit="Åbo"
    )
    assert quoted(make_answerer([document], tmp_path), "Hvor mange pladser har Åbo?") is None


def test_how_many_places_is_answered_by_the_sentence_counting_places(tmp_path: Path) -> None:
    document = make_document(
        "a",
        ["Unge indskrevet i mindre end 28 dage er undtaget. Åbo har i alt 24 døgnpladser til unge."],
        unit="Åbo",
    )
    assert quoted(make_answerer([document], tmp_path), "Hvor mange pladser har Åbo?") == (
        "Åbo har i alt 24 døgnpladser til unge."
    )


def test_a_table_row_counts_what_its_column_header_names(tmp_path: Path) -> None:
    table = "Profession | Antal personer | Årsværk\nPædagoger | 9 | 8,51\nI alt | 12 | 10,2"
    document = make_document("a", [table], unit="Åbo")
    answer = quoted(make_answerer([document], tmp_path), "Hvor mange årsværk er der i alt på Åbo?")
    assert answer == "I alt | 12 | 10,2"


def test_a_total_question_prefers_the_total_over_a_part(tmp_path: Path) -> None:
    document = make_document(
        "a",
        ["Jobforløb | Til indtægt på 898.927 kr.\nKurser | Til indtægt på 100.000 kr.\nSamlet indtægt | 998.927 kr."],
        unit="Åbo",
    )
    assert quoted(make_answerer([document], tmp_path), "Hvad er den samlede indtægt på Åbo?") == (
        "Samlet indtægt | 998.927 kr."
    )


@pytest.mark.parametrize(
    ("question", "language", "unknown"),
    [
        ("Hvad er målet for Solbakken?", "da", ["Solbakken"]),
        ("What is the target for Solbakken?", "en", ["Solbakken"]),
        # A translated unit name beside one the agreements know is a translation, not an unknown unit.
        ("What saving must the Disability Centre (SHC) achieve?", "en", []),
        ("Hvilken besparelse skal Disability Centre (SHC) nå?", "da", ["Disability Centre"]),
        # A hyphenated compound inflected differently from the text is known when each part is.
        ("Hvornår spares SHC-besparelserne?", "da", []),
        ("Hvad spares i SHC-Nordvest?", "da", ["SHC-Nordvest"]),
    ],
)
def test_unknown_names(tmp_path: Path, question: str, language: str, unknown: list[str]) -> None:
    document = make_document("a", ["SHC skal spare 7,3 mio. kr. i 2016. Besparelse på SHC."], unit="SHC")
    assert make_answerer([document], tmp_path).unknown_names(question, language) == unknown


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


def test_sentences_never_cross_a_chunk_boundary() -> None:
    # The chunker ends a chunk at ". 2/3 dele": a sentence running across it would lie in no passage.
    first, second = "Borgerne får et spørgeskema.", "2/3 dele af borgerne skal være tilfredse."
    text = f"{first} {second}"
    start = len(first) + 1
    chunks = (
        Chunk("a:0000", "a", ("Mål",), first, 0, len(first), 1, 1, "", "goal"),
        Chunk("a:0001", "a", ("Mål",), second, start, len(text), 1, 1, "", "goal"),
    )
    section = Section(("Mål",), 0, len(text), 1, 1, text, chunks)
    document = Document("a", "a.txt", "Aftale", "", "", "", "", text, "hash", (0,), (section,))
    assert [s.text for s in document_sentences(document)] == [first, second]


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


def test_a_table_row_answer_quotes_the_header_row_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The fake embedder's cosines are not the real model's: the refusal bar is lowered so the choice shows.
    monkeypatch.setattr(answer_module, "MIN_DENSE_ALONE", {"da": -1.0, "en": -1.0})
    table = "Profession | Antal personer 2021 | Årsværk 2021\nPædagoger | 9 | 8,51\nVærkstedsassistenter | 14 | 13,49"
    answerer = make_answerer([make_document("a", [table], unit="Åbo")], tmp_path)
    answer = answerer.answer("Hvor mange værkstedsassistenter var ansat på Åbo i 2021?")
    assert answer.answered, answer.reason
    assert [q.text for q in answer.quotes] == [
        "Profession | Antal personer 2021 | Årsværk 2021",
        "Værkstedsassistenter | 14 | 13,49",
    ]
    assert "»Profession" in answer.answer and "13,49«" in answer.answer


def test_a_sentence_naming_another_metric_does_not_answer_under_a_heading_naming_the_asked_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(answer_module, "MIN_DENSE_ALONE", {"da": -1.0, "en": -1.0})
    document = make_document(
        "a",
        ["Handleplan for rekruttering og fremmøde. Måltallet for sygefravær på Åbo er 4,5 %."],
        unit="Åbo",
    )
    answer = make_answerer([document], tmp_path).answer("Hvor mange procent af rekrutteringerne lykkes på Åbo?")
    # Refused by the metric rule, or earlier because the sentence shares no word of the subject (recruitment).
    assert not answer.answered and answer.reason in ("no-figure", "weak-evidence")


def test_a_which_year_question_is_answered_by_a_sentence_with_a_year(tmp_path: Path) -> None:
    document = make_document(
        "a", ["Undersøgelsen gentages måske på Åbo for at måle udviklingen. Åbo gentager den i 2018."], unit="Åbo"
    )
    assert quoted(make_answerer([document], tmp_path), "I hvilket år gentages undersøgelsen på Åbo?") == (
        "Åbo gentager den i 2018."
    )


def test_an_english_count_is_checked_through_the_glossary(tmp_path: Path) -> None:
    document = make_document(
        "a", ["Borgerne på Åbo får tilbud. Lægerne tilbyder 2 tjek om året på Åbo. Åbo har 12 årsværk."], unit="Åbo"
    )
    answerer = make_answerer([document], tmp_path)
    assert quoted(answerer, "How many full-time equivalents does Åbo have?") == "Åbo har 12 årsværk."
    assert quoted(answerer, "How many residents does Åbo have?") is None


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
    ("question", "expected"),
    [
        ("Hvor ofte tilbydes sundhedstjek på Åbo?", "Åbo tilbyder sundhedstjek hvert andet år."),
        ("Hvornår begyndte Åbo med sundhedstjek?", "Åbo begyndte med sundhedstjek 1. januar 2022."),
        ("When did Åbo start the health checks?", "Åbo begyndte med sundhedstjek 1. januar 2022."),
        ("Hvor mange temaer har kvalitetsmodellen på Åbo?", "Kvalitetsmodellen på Åbo har syv temaer."),
        ("Intern reguleringspris på Åbo?", None),
    ],
)
def test_the_question_word_decides_what_kind_of_sentence_answers(
    tmp_path: Path, question: str, expected: str | None
) -> None:
    document = make_document(
        "a",
        [
            "Åbo begyndte med sundhedstjek 1. januar 2022. Åbo tilbyder sundhedstjek hvert andet år. "
            "Sundhedstjek på Åbo vurderes af lægen. Kvalitetsmodellen på Åbo har syv temaer. "
            "Kvalitetsmodellen på Åbo bruges i to tilbud. Reguleringsprisen på Åbo er fastsat for 2022:"
        ],
        unit="Åbo",
    )
    assert quoted(make_answerer([document], tmp_path), question) == expected


EMPLOYED = "Af borgerne på Åbo er 40 % i beskyttet beskæftigelse."


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Hvad er ventetiden på Åbo?", None),
        ("Hvor mange procent af borgerne på Åbo er i beskæftigelse?", EMPLOYED),
        ("What share of the citizens at Åbo are in employment?", EMPLOYED),
    ],
)
def test_a_sentence_sharing_nothing_of_what_is_asked_is_not_quoted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, question: str, expected: str | None
) -> None:
    monkeypatch.setattr(answer_module, "MIN_DENSE_ALONE", {"da": -1.0, "en": -1.0})
    document = make_document(
        "a",
        ["Åbo har 12 årsværk fra 1. april 2023. Af borgerne på Åbo er 40 % i beskyttet beskæftigelse."],
        unit="Åbo",
    )
    other = make_document("b", ["Ventetiden på Solbo er 3 uger."], unit="Solbo")
    answer = make_answerer([document, other], tmp_path).answer(question)
    assert (answer.quotes[-1].text if answer.answered else None) == expected


def test_a_unit_named_on_the_first_page_and_throughout_counts_as_what_the_document_is_about(tmp_path: Path) -> None:
    """Real reports often have a generic title ("Tilsynsrapport for ...") and name the unit on the cover only."""
    cover = "Tilsynsrapport for leverandør. Åbo. Relaterede dokumenter: Solbo. Uanmeldt tilsyn på Åbo."
    facts = "Tilsynet omfatter 5 borgere. Åbo har 2 ledere. Åbo blev besøgt i august."
    document = make_document("a", [cover, facts], unit="")
    answerer = make_answerer([document], tmp_path)
    assert quoted(answerer, "Hvor mange borgere omfattede tilsynet hos Åbo?") == "Tilsynet omfatter 5 borgere."
    # Named once in a list of related documents: not what the report is about.
    assert quoted(answerer, "Hvor mange borgere omfattede tilsynet hos Solbo?") is None


def test_a_value_on_its_own_line_is_read_with_the_label_above_it(tmp_path: Path) -> None:
    facts = "Leder\nKlaus Just\nDato og tidspunkt for tilsynsbesøg\n19. august 2013 kl. 8.30\nDatagrundlag\n5 borgere."
    answerer = make_answerer([make_document("a", [facts], unit="Åbo")], tmp_path)
    assert quoted(answerer, "Hvornår var tilsynsbesøget på Åbo?") == "19. august 2013 kl. 8.30"


@pytest.mark.parametrize(
    ("question", "refused"),
    [
        ("What is the state pension age in Denmark?", True),  # pension, alder: no agreement uses them
        ("What is the sick-leave target at Åbo?", False),
    ],
)
def test_a_question_about_nothing_the_agreements_name_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, question: str, refused: bool
) -> None:
    monkeypatch.setattr(answer_module, "MIN_DENSE_ALONE", {"da": -1.0, "en": -1.0})
    document = make_document("a", ["Måltallet for sygefravær på Åbo er 4,5 % i 2022."], unit="Åbo")
    answer = make_answerer([document], tmp_path).answer(question)
    assert (answer.reason == "unknown-subject") == refused and answer.answered != refused
