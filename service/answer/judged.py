"""How a question set judges an answer, defined once for the benchmark scripts and for fitting the scorer: the
right statement holds one of the question's evidence strings, and a right direct answer states every figure the
question expects. Matching is deliberately simple and documented in benchmarks/README.md so a score means the same
thing on every run, and the scorer is fitted to the outcome the benchmarks count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def normalise(text: str) -> str:
    """Whitespace-normalised, case-folded; table pipes count as whitespace so a re-flowed table row still matches."""
    return " ".join(text.replace("|", " ").casefold().split())


def holds_evidence(text: str, evidence: list[str]) -> bool:
    """A statement is a right answer when it holds one of the evidence strings, or is a part of one (evidence that
    spans a label and its value)."""
    text = normalise(text)
    return any(normalise(e) in text or (len(text) >= 12 and text in normalise(e)) for e in evidence)


def states_every_figure(text: str, numbers: list[str]) -> bool:
    """The text states each expected figure (each entry may list alternatives separated by '||')."""
    return all(states_figure(text, n) for n in numbers)


_NUMBER_WORDS = {
    "en": 1,
    "et": 1,
    "én": 1,
    "ét": 1,
    "to": 2,
    "tre": 3,
    "fire": 4,
    "fem": 5,
    "seks": 6,
    "syv": 7,
    "otte": 8,
    "ni": 9,
    "ti": 10,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_FIGURE = re.compile(r"(?<![\w/])(\d+(?:[.,]\d+)*)(\s*(?:%|pct\.?|procent|percent|per cent))?", re.IGNORECASE)
_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)


@dataclass(frozen=True)
class Figure:
    values: frozenset[float]  # every reading of the token: Danish "129.441" = 129441, English "13.4" = 13.4
    percent: bool
    raw: str


def _readings(token: str) -> frozenset[float]:
    readings: set[float] = set()
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", token) or re.fullmatch(r"\d+(,\d+)?", token):
        readings.add(float(token.replace(".", "").replace(",", ".")))  # Danish: . thousands, , decimal
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", token) or re.fullmatch(r"\d+(\.\d+)?", token):
        readings.add(float(token.replace(",", "")))  # English: , thousands, . decimal
    return frozenset(readings)


def figures(text: str) -> list[Figure]:
    """Every figure stated in a text (numbers with an optional percent marker)."""
    found = [
        Figure(_readings(match.group(1)), bool(match.group(2)), match.group(0).strip())
        for match in _FIGURE.finditer(text)
    ]
    return [figure for figure in found if figure.values]


def _expected_figure(expected: str) -> Figure | None:
    found = figures(expected)
    if found:
        return found[0]
    word = _WORD.search(expected)
    if word:
        return Figure(frozenset({float(_NUMBER_WORDS[word.group(1).lower()])}), False, expected)
    return None


def _is_textual(option: str) -> bool:
    """Dates and fractions ("1. april 2023", "2/3") are compared as text, not as a number."""
    rest = re.sub(r"mio\.|kr\.|%|procent|percent|pct\.?", " ", option, flags=re.IGNORECASE).strip()
    if _WORD.fullmatch(rest):
        return False
    return "/" in rest or bool(re.search(r"[a-zæøå]", rest, re.IGNORECASE)) or not figures(rest)


def stated_figures(text: str) -> list[Figure]:
    words = [Figure(frozenset({float(_NUMBER_WORDS[w.lower()])}), False, w) for w in _WORD.findall(text)]
    return figures(text) + words


def states_figure(answer: str, expected: str) -> bool:
    """Does the answer state the expected figure? `expected` may list alternatives separated by '||'.

    Plain figures match by value in Danish or English notation ("4,5 %" == "4.5%", "129.441" == "129,441",
    "fem" == "5"); a percentage only matches a percentage, so "8 %" is not found in "8 dage" or "18 %".
    """
    compact_answer = normalise(answer).replace(" ", "")
    for option in (part.strip() for part in expected.split("||")):
        if _is_textual(option):
            if normalise(option).replace(" ", "") in compact_answer:
                return True
            continue
        want = _expected_figure(option)
        if want is not None and any(
            want.values & got.values and (got.percent or not want.percent) for got in stated_figures(answer)
        ):
            return True
    return False
