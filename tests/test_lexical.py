from pathlib import Path

import pytest

from index.lexical import LexicalIndex, tokenize
from ingest.danish import ends_with_abbreviation, names_in, references


def test_danish_inflections_share_a_stem() -> None:
    assert tokenize("sygefraværet") == tokenize("sygefravær") == tokenize("Sygefraværets")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4,5 %", ["4,5", "4", "5"]),
        ("13.4 mio. kr.", ["13.4", "13", "4"]),
        ("129.441 borgere", ["129.441", "129", "441"]),
        ("i 2022.", ["2022"]),
    ],
)
def test_numbers_are_kept_whole_and_in_parts(text: str, expected: list[str]) -> None:
    tokens = tokenize(text)
    assert all(token in tokens for token in expected)
    assert "." not in tokens and "" not in tokens


def test_decimal_comma_and_point_forms_meet() -> None:
    assert "4.5" in tokenize("4,5 %")
    assert "4.5" in tokenize("4.5 percent")


def test_danish_letters_survive_lowercasing() -> None:
    tokens = tokenize("ÆBLEHAVEN Ølstykke Åbo")
    assert [token[0] for token in tokens] == ["æ", "ø", "å"]


def test_stopwords_are_dropped() -> None:
    assert tokenize("hvad er det for en og at i på") == []
    assert tokenize("what is the target") == tokenize("target")


@pytest.mark.parametrize(
    ("text", "also"),
    [
        ("Samlet budget- ramme", "budgetramme"),
        ("Arbejds- vederlag", "arbejdsvederlag"),
        ("PLO- overenskomstperioden", "PLO-overenskomstperiode"),
    ],
)
def test_a_word_broken_by_a_hyphen_at_a_line_end_also_counts_as_the_whole_word(text: str, also: str) -> None:
    assert set(tokenize(also)) <= set(tokenize(text))


@pytest.mark.parametrize("text", ["døgn- og ugeplaner", "Social- og Handicapcentret", "mål - næste skridt"])
def test_suspended_compounds_and_dashes_are_not_broken_words(text: str) -> None:
    assert tokenize(text) == tokenize(text.replace("-", " "))


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("Hvad besluttede Sundheds- og Omsorgsudvalget?", ["Sundheds- og Omsorgsudvalget"]),
        ("Fik Greve penge fra Social- og Boligstyrelsen?", ["Greve", "Social- og Boligstyrelsen"]),
        ("Hvad er målet for CJU og Bakkegården?", ["CJU", "Bakkegården"]),
        ("Hvilke mål har Team Myndighed SHC?", ["Team Myndighed SHC"]),
        ("Hvem leder Clara Service Gruppen?", ["Clara Service Gruppen"]),
    ],
)
def test_names_in_a_question_are_whole_names(question: str, names: list[str]) -> None:
    assert names_in(question) == names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sagsbehandlingstiden for § 108 i 2023", {("§", "108")}),
        ("Boliger efter §§ 107 og 108", {("§", "107"), ("§", "108")}),
        ("Mål 6: Trivsel", {("mål", "6")}),
        ("mål 3-5 i lokalplan 411", {("mål", "3"), ("mål", "4"), ("mål", "5"), ("lokalplan", "411")}),
        ("Indsats 2 og 3", {("indsat", "2"), ("indsat", "3")}),
        ("stk. 2", {("stk", "2")}),
        ("i 12 måneder", set()),  # a measure after a function word
        ("4,5 % af 129.441 borgere", set()),  # decimals and shares measure
        ("budgettet for år 2023", set()),  # a year is a date
        ("døgn- og ugeplaner i KOS2", set()),  # a number written onto a word is part of a name
        ("§108 og nr.3", {("§", "108"), ("nr", "3")}),
    ],
)
def test_numbered_references_pair_the_number_with_its_marker(text: str, expected: set[tuple[str, str]]) -> None:
    assert references(text) == expected


@pytest.mark.parametrize(
    ("text", "abbreviation"),
    [
        ("Vi deltager i gruppen vedr.", True),
        ("forskningsprojektet (v.", True),
        ("bl.a.", True),
        ("som f.eks.", True),
        ("13,4 mio.", True),
        ("Ældre m.fl.", True),
        ("jf.", True),
        ("Det er aftalt.", False),
        ("Målet er nået i 2023.", False),
        ("Vi følger op hvert kvartal.", False),
        ("Mål 6.", False),
    ],
)
def test_a_full_stop_after_a_danish_abbreviation_is_not_a_sentence_end(text: str, abbreviation: bool) -> None:
    assert ends_with_abbreviation(text) is abbreviation


def test_punctuation_and_table_pipes_are_not_tokens() -> None:
    assert tokenize("Mål | Indikator | Måltal") == tokenize("mål indikator måltal")


@pytest.fixture
def lexical() -> LexicalIndex:
    return LexicalIndex.build(
        [
            "Målet er at sygefravær nedbringes til 4,5 % i 2022.",
            "Borgerne skal opleve trivsel og medindflydelse.",
            "Budgettet er 13.4 mio. kr. for botilbuddet.",
        ]
    )


def test_inflected_query_scores_the_matching_chunk(lexical: LexicalIndex) -> None:
    scores = lexical.scores(tokenize("sygefraværet"))
    assert scores.argmax() == 0 and scores[0] > 0 and scores[1] == scores[2] == 0


def test_number_query_scores_the_chunk_with_that_number(lexical: LexicalIndex) -> None:
    scores = lexical.scores(tokenize("13.4 mio"))
    assert scores.argmax() == 2


def test_terms_absent_from_the_corpus_score_zero(lexical: LexicalIndex) -> None:
    assert not lexical.scores(tokenize("sickness absence")).any()
    assert not lexical.scores([]).any()


def test_coverage_is_full_for_danish_and_low_for_english(lexical: LexicalIndex) -> None:
    assert lexical.coverage(tokenize("Hvad er målet for sygefravær i 2022?")) > 0.9
    assert lexical.coverage(tokenize("What is the target for sickness absence in 2022?")) < 0.35
    assert lexical.coverage([]) == 0.0


def test_save_and_load_give_the_same_scores(lexical: LexicalIndex, tmp_path: Path) -> None:
    lexical.save(tmp_path / "lexical")
    loaded = LexicalIndex.load(tmp_path / "lexical")
    query = tokenize("sygefravær trivsel 4,5")
    assert loaded.size == 3
    assert loaded.scores(query).tolist() == pytest.approx(lexical.scores(query).tolist())
    assert loaded.coverage(query) == pytest.approx(lexical.coverage(query))


def test_empty_index_scores_nothing_and_survives_a_round_trip(tmp_path: Path) -> None:
    empty = LexicalIndex.build([])
    empty.save(tmp_path / "lexical")
    loaded = LexicalIndex.load(tmp_path / "lexical")
    assert loaded.size == 0 and len(loaded.scores(tokenize("sygefravær"))) == 0
