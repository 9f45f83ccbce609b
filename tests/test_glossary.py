"""The English -> Danish glossary: its data file parses, and terms match as whole words, longest phrase first."""

from __future__ import annotations

from importlib import resources

import pytest

from service import glossary as glossary_module
from service.glossary import GLOSSARY, GlossaryError, danish_terms, glossary_words_at, parse_glossary
from service.language import danish_search_text


def glossary_lines() -> list[tuple[int, str]]:
    text = resources.files("service").joinpath("glossary.tsv").read_text(encoding="utf-8")
    return [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip() and not line.startswith("#")]


def test_every_line_of_the_file_is_an_entry() -> None:
    seen: set[str] = set()
    for number, line in glossary_lines():
        assert line.count("\t") == 1, f"line {number}: one tab between English and Danish: {line!r}"
        english, danish = line.split("\t")
        assert english == english.strip() and english, f"line {number}: English term {english!r}"
        assert english.casefold() not in seen, f"line {number}: {english!r} is listed twice"
        seen.add(english.casefold())
        words = [word.strip() for word in danish.split(";")]
        assert all(words), f"line {number}: empty Danish word in {danish!r}"
        assert len(set(words)) == len(words), f"line {number}: a Danish word repeated in {danish!r}"
    assert len(seen) == len(GLOSSARY)


def test_the_file_is_loaded_into_the_glossary() -> None:
    assert 800 <= len(GLOSSARY) <= 1100
    assert GLOSSARY["sick leave"] == ("sygefravær",)
    assert GLOSSARY["full-time equivalents"] == ("årsværk",)
    assert all(key == key.casefold() for key in GLOSSARY)
    assert all(isinstance(words, tuple) and words for words in GLOSSARY.values())


def test_no_entry_fires_on_words_nearly_every_question_has() -> None:
    for word in ("what", "is", "the", "number", "how", "many", "which", "of", "agreement", "unit", "units"):
        assert word not in GLOSSARY


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("sick leave sygefravær", "no tab"),
        ("\tsygefravær", "empty English"),
        ("sick leave\t", "empty Danish"),
        ("sick leave\tsygefravær; ", "empty Danish"),
        ("sick leave\tsygefravær\nSick leave\tfravær", "listed twice"),
    ],
)
def test_a_broken_line_is_refused_with_its_line_number(text: str, problem: str) -> None:
    with pytest.raises(GlossaryError, match=problem) as error:
        parse_glossary(text, "test.tsv")
    assert "test.tsv:" in str(error.value)


def test_comments_and_blank_lines_are_skipped() -> None:
    text = "# Economy\n\nunit price\tstykpris\nprice\tpris; takst\n"
    assert parse_glossary(text) == {"unit price": ("stykpris",), "price": ("pris", "takst")}


def test_a_phrase_beats_its_single_word() -> None:
    assert danish_terms("What is the unit price?") == ["stykpris"]
    assert danish_terms("What is the price?") == ["pris", "takst"]
    assert danish_terms("Is the staff turnover falling?") == ["personaleomsætning"]
    assert "ventetid" in danish_terms("What is the waiting time?")


def test_hyphenated_and_case_variants_match() -> None:
    assert danish_terms("What is the sick-leave target?") == ["sygefravær", "mål", "måltal"]
    assert danish_terms("What is the SICK LEAVE?") == ["sygefravær"]
    assert danish_terms("Follow-up and follow up") == ["opfølgning", "følge op"]
    assert danish_terms("The Well-Being survey") == ["trivselsundersøgelse", "trivselsmåling"]


def test_a_capitalised_word_that_is_danish_too_is_part_of_a_name_and_not_translated() -> None:
    assert "stilling" not in danish_terms("What is the budget of Center for Job og Uddannelse?")
    assert "stilling" in danish_terms("How many job openings are there?")
    assert danish_terms("Full-Time Equivalents at Åbo") == ["årsværk"]


def test_words_inside_other_words_do_not_match() -> None:
    assert danish_terms("What are the targets?") == ["mål", "måltal"]
    assert glossary_words_at("targets", 0) == ["mål", "måltal"]
    assert danish_terms("Is it separate?") == []
    assert danish_terms("a separated rate") == ["takst"]
    assert danish_terms("overrated") == []
    # A word that is part of a hyphenated compound is not the word: "leave" in "sick-leave", "time" in "full-time".
    assert "sygefravær" not in danish_terms("self-absence-free")
    assert danish_terms("co-staff") == []


def test_glossary_words_at_a_position() -> None:
    question = "How many full-time equivalents does Åbo have?"
    assert glossary_words_at(question, question.index("full-time")) == ["årsværk"]
    assert glossary_words_at(question, question.index("time")) == []
    assert glossary_words_at(question, question.index("Åbo")) == []
    assert glossary_words_at("Number of places", 10) == ["pladser"]


def test_domain_terms_reach_the_danish_search_text() -> None:
    assert "budgetramme" in danish_search_text("What is the budget frame for 2022?")
    assert "arbejdsvederlag" in danish_search_text("What is the work pay in sheltered employment?")
    assert "økonomisystem" in danish_search_text("Which finance system is used?")
    assert "klagesagsbehandling" in danish_search_text("How is complaint handling followed up?")
    assert danish_search_text("Hvad er måltallet for sygefravær?") == "Hvad er måltallet for sygefravær?"


def test_the_pattern_comes_from_the_parsed_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    glossary = parse_glossary("price\tpris\nunit price\tstykpris\n")
    monkeypatch.setattr(glossary_module, "GLOSSARY", glossary)
    monkeypatch.setattr(glossary_module, "_PATTERN", glossary_module._compile(glossary))
    assert glossary_module.danish_terms("unit price and price") == ["stykpris", "pris"]
