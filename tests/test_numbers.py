"""Danish number parsing: the answer guard's notion of "the same number"."""

from __future__ import annotations

import pytest

from ingest.numbers import NumberMention, find_numbers, parse_number, parse_range, same_number


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("4,5 %", 4.5),
        ("4,5%", 4.5),
        ("8 pct.", 8.0),
        ("8 procent", 8.0),
        ("6,75 %", 6.75),
        ("129.441", 129_441.0),
        ("129.441 kr.", 129_441.0),
        ("1.234.567", 1_234_567.0),
        ("2.561.942 kr.", 2_561_942.0),
        ("1.234,5", 1_234.5),
        ("13.4 mio.", 13_400_000.0),
        ("13.4 mio. kr.", 13_400_000.0),
        ("13,4 mio. kr.", 13_400_000.0),
        ("0,300 mio.", 300_000.0),
        ("4,6 mio", 4_600_000.0),
        ("1,2 mia. kr.", 1_200_000_000.0),
        ("2900 kr", 2_900.0),
        ("2/3", 2 / 3),
        ("2/3 dele", 2 / 3),
        ("90 dage", 90.0),
        ("2021", 2021.0),
        ("1,5 årsværk", 1.5),
    ],
)
def test_danish_numbers_parse_to_their_value(raw: str, value: float) -> None:
    assert parse_number(raw) == pytest.approx(value)


@pytest.mark.parametrize("raw", ["", "ingen tal", "2017-2021", "12.03.2021", "1.2.2", "24/7"])
def test_non_single_numbers_do_not_parse(raw: str) -> None:
    assert parse_number(raw) is None


@pytest.mark.parametrize(
    ("raw", "bounds"),
    [("2017-2021", (2017.0, 2021.0)), ("2015-16", (2015.0, 2016.0)), ("3-5 %", (3.0, 5.0))],
)
def test_ranges_keep_both_ends(raw: str, bounds: tuple[float, float]) -> None:
    assert parse_range(raw) == bounds


@pytest.mark.parametrize(
    ("raw", "measure"),
    [
        ("8 %", "%"),
        ("8%", "%"),
        ("8 pct.", "%"),
        ("13.4 mio.", "mio. kr."),
        ("129.441 kr.", "kr."),
        ("90 dage", "dage"),
        ("12 pladser", "pladser"),
        ("2 %-point", "procentpoint"),
        ("2022", ""),
    ],
)
def test_measure_is_canonical(raw: str, measure: str) -> None:
    [mention] = find_numbers(raw)
    assert mention.measure == measure


def test_mentions_are_verbatim_spans_of_the_text() -> None:
    text = "Sygefraværet er nedbragt fra 8,1% i 2017 til 6,8% i 2021 (§ 103), budget 13.4 mio. kr."
    mentions = find_numbers(text)
    assert [m.raw for m in mentions] == ["8,1%", "2017", "6,8%", "2021", "103", "13.4 mio. kr."]
    assert all(text[m.start : m.end] == m.raw for m in mentions)


def test_law_paragraphs_dates_and_years_are_told_apart() -> None:
    by_raw = {m.raw: m for m in find_numbers("jf. §103 den 12.03.2021 i 2022")}
    assert by_raw["103"].measure == "§"
    assert by_raw["12.03.2021"].measure == "dato"
    assert by_raw["2022"].is_year
    assert not by_raw["103"].is_year


def test_section_numbers_with_several_dots_are_not_numbers() -> None:
    assert find_numbers("se afsnit 2.4.5. nedenfor") == []


def _one(raw: str) -> NumberMention:
    [mention] = find_numbers(raw)
    return mention


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("8 %", "8%", True),
        ("8 %", "8 pct.", True),
        ("8 %", "8 procent", True),
        ("4,5 %", "4,50 %", True),
        ("13,4 mio. kr.", "13.4 mio.", True),
        ("13,4 mio. kr.", "13.400.000 kr.", True),
        ("4,5", "4,5 %", True),
        ("2017", "2017-2021", True),
        ("2017-2021", "2017-2021", True),
        ("8 %", "8 dage", False),
        ("8 %", "8,1 %", False),
        ("2017-2021", "2017-2022", False),
        ("13,4 mio. kr.", "13,4 kr.", False),
    ],
)
def test_same_number_compares_values_in_compatible_measures(a: str, b: str, same: bool) -> None:
    assert same_number(_one(a), _one(b)) is same
    assert same_number(_one(b), _one(a)) is same


@pytest.mark.parametrize(
    ("text", "raws"),
    [("3 ud af 5 døgn- og ugeplaner", ["3", "5"]), ("et 90 dage-forløb", ["90"])],
)
def test_a_unit_word_starting_a_compound_is_not_a_measure(text: str, raws: list[str]) -> None:
    mentions = find_numbers(text)
    assert [m.raw for m in mentions] == raws
    assert all(m.measure == "" for m in mentions)


@pytest.mark.parametrize(
    ("text", "raw", "value"),
    [
        ("En deltidsplads vægtes til ¾ del af en fuldtidsplads", "¾", 0.75),
        ("Mødet varer 1½ time", "1½ time", 1.5),
        ("½ dag om ugen", "½ dag", 0.5),
    ],
)
def test_vulgar_fractions_are_numbers(text: str, raw: str, value: float) -> None:
    [mention] = find_numbers(text)
    assert (mention.raw, mention.value) == (raw, value)
    assert text[mention.start : mention.end] == raw


def test_a_vulgar_fraction_and_its_slash_form_are_the_same_number() -> None:
    assert same_number(find_numbers("¾ del")[0], find_numbers("3/4 del")[0])
