"""Does a text state the figure a question asks for? Figures of the asked kind (an amount, a share, a count),
never section numbers, list numbers, house numbers, law paragraphs, dates or ordinals passing as figures.

The answerer quotes only sentences that pass; a guard on generated answers checks numbers separately.
"""

from __future__ import annotations

import re

from ingest.numbers import NumberMention, find_numbers

# Questions whose answer is an amount of money or a percentage: the quoted figure must be of that kind.
_MONEY_INTENT = re.compile(
    r"\b(kroner|kr\.?|beløb\w*|\w*pris\w*|indtægt\w*|udgift\w*|besparelse\w*|\w*budget\w*|penge|"
    r"money|price|income|cost\w*|saving\w*|dkk)\b",
    re.IGNORECASE,
)
_DURATION = re.compile(
    r"\s*\b(?:dag|dage|dages|døgn|uger?|ugers|måned(?:er)?|år|års|timer?|minutter|days?|weeks?|months?|years?|hours?)\b",
    re.IGNORECASE,
)
# "Hvor mange årsværk ...", "antallet af pladser", "how many places": the thing counted.
COUNTED = re.compile(r"\b(?:hvor mange|antal(?:let)?(?: af)?|how many|number of)\s+([\wæøå-]+)", re.IGNORECASE)
_PERCENT_INTENT = re.compile(r"(procent\w*|\bandel\w*|percent\w*|\bshare\b|\brate\b|%)", re.IGNORECASE)
_MONEY_MEASURES = frozenset({"kr.", "mio. kr.", "mia. kr.", "t. kr."})


# "5.2.1Randers Kommunes ..." or "2.6 Socialområdet": a section number run into the text, not a figure.
_SECTION_NUMBER = re.compile(r"\d{1,2}(?:\.\d{1,2})+\.?")
# "Mål nr. 6", "udviklingsspor nr. 1": a label's number, not a figure.
_NUMBER_LABEL = re.compile(r"\b(?:nr|no)\.?\s*$", re.IGNORECASE)
# "§ 107/108", "§§ 103 og 104": the later numbers of a list of law paragraphs.
_LAW_LIST = re.compile(r"§+\s*\d+(?:\s*(?:/|,|-|og|til)\s*\d+)*\s*(?:/|,|-|og|til)\s*$")
# "Kilen 53, Dimen 10, ... Vej 4E": a house number after a name, ended by a comma, a full stop or the text.
_AFTER_NAME = re.compile(r"\b[A-ZÆØÅ][\wæøå-]* $")
_ADDRESS_END = re.compile(r"[A-Za-z]?(?:[,.;]|\s*$)")
_BEFORE_TITLE = re.compile(r"(?:\.\d{1,2})*\.?\s?[A-ZÆØÅ]")


# "fem fokusområder", "to gange om året", "seven themes": a count written as a word, and the word it counts.
# Not "en"/"et"/"one": they are articles far more often than counts.
_NUMBER_WORD = re.compile(
    r"\b(?:to|tre|fire|fem|seks|syv|otte|ni|ti|elleve|tolv|tyve|halvandet|"
    r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty)\s+([a-zæøå-]+)(?:\s+([a-zæøå-]+))?",
    re.IGNORECASE,
)


# The words after a figure: "26 aktiviteter", "40 nye boliger".
_NEXT_WORDS = re.compile(r"\s+([a-zæøå-]+)(?:\s+([a-zæøå-]+))?", re.IGNORECASE)


def counted_in_words(text: str, figures: list[NumberMention] | None = None) -> list[str]:
    """The words a number, in digits or in words, may count in `text`: the next word, and the one after in case
    the next is an adjective ("to evidensbaserede metoder" -> ["evidensbaserede", "metoder"]). `figures` is
    `figures_in(text)` when the caller has it already."""
    found = [word for match in _NUMBER_WORD.finditer(text) for word in match.groups() if word]
    for mention in figures_in(text) if figures is None else figures:
        if mention.measure.isalpha():  # the parser took the counted noun as the measure: "40 borgere"
            found.append(mention.measure)
        after = _NEXT_WORDS.match(text, mention.end)
        found += [word for word in after.groups() if word] if after else []
    return found


def figures_in(text: str) -> list[NumberMention]:
    """Figures a question can ask for: not bare years, law paragraphs, dates, ordinals ("3. niveau") or section
    numbers."""
    return [
        m
        for m in find_numbers(text)
        if m.measure not in ("§", "dato")
        and not (
            m.measure == ""
            and (
                m.is_year
                or re.match(r"\.\s", text[m.end : m.end + 2])
                or _NUMBER_LABEL.search(text, 0, m.start)
                or text[m.end : m.end + 1] == ")"  # "1) Projektet kickstartes": a list item's number
                or _LAW_LIST.search(text, 0, m.start)
                or (_AFTER_NAME.search(text, 0, m.start) and _ADDRESS_END.match(text, m.end))
                or (_SECTION_NUMBER.fullmatch(m.raw) and _BEFORE_TITLE.match(text, m.end))
            )
        )
    ]


def asks_amount_or_share(question: str) -> bool:
    """ "Intern reguleringspris 2022?", "the share of ...": an amount or a share is asked for, whatever the wording."""
    return bool(_MONEY_INTENT.search(question) or _PERCENT_INTENT.search(question))


def asks_kind(question: str) -> bool:
    """The question asks for a figure of one kind (an amount, a share, a count), not just any figure."""
    return asks_amount_or_share(question) or bool(COUNTED.search(question))


def answers_figure(question: str, text: str, figures: list[NumberMention] | None = None) -> bool:
    """Does `text` state a figure of the kind the question asks for (an amount, a percentage, any figure)?
    `figures` is `figures_in(text)` when the caller has it already."""
    figures = figures_in(text) if figures is None else figures
    # A share is asked for before an amount: "hvor mange procent af stykprisen" wants a percentage of a price.
    if _PERCENT_INTENT.search(question):
        return any(m.measure == "%" or "/" in m.raw for m in figures)
    if _MONEY_INTENT.search(question):
        return any(m.measure in _MONEY_MEASURES for m in figures) or (
            "kr" in text.lower() and any(m.value >= 1000 for m in figures)
        )
    if COUNTED.search(question):
        # "How many residents": a count, not a rate, an amount or (unless time is asked about) a duration.
        durations_asked = bool(_DURATION.search(question))
        return any(
            m.measure not in _MONEY_MEASURES and m.measure != "%" and (durations_asked or not _is_duration(m, text))
            for m in figures
        )
    return bool(figures)


def _is_duration(mention: NumberMention, text: str) -> bool:
    """ "14 dages ophold", "3 måneder": the figure is a length of time."""
    return bool(_DURATION.match(mention.measure) if mention.measure else _DURATION.match(text, mention.end))


_MONTHS = (
    "januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december|"
    "january|february|june|july|october"  # not "may" and "march": English verbs too
)
# "4. december 2015", "1. april", "December 4, 2015".
_DAY_AND_MONTH = re.compile(rf"\b\d{{1,2}}\.?\s*(?:{_MONTHS})\b|\b(?:{_MONTHS})\s+\d{{1,2}}\b", re.IGNORECASE)
_MONTH = re.compile(rf"\b(?:{_MONTHS})\b", re.IGNORECASE)


def months(text: str) -> set[str]:
    """The months a text names ("juni", "November"), casefolded: a date given in words."""
    return {m.casefold() for m in _MONTH.findall(text)}


def states_date(text: str) -> bool:
    """A day is named: "4. december 2015", "1.4.2023"."""
    return bool(_DAY_AND_MONTH.search(text)) or any(m.measure == "dato" for m in find_numbers(text))


def states_period(text: str) -> bool:
    """A length of time ("3 måneder") or the point a period runs to ("til og med juni 2016", "i 2017")."""
    mentions = find_numbers(text)
    return any(_is_duration(m, text) or m.is_year or m.measure == "dato" for m in mentions) or bool(_MONTH.search(text))


# "Hvor ofte ...", "how often ...": the answer is a frequency, not a date or a count.
FREQUENCY_INTENT = re.compile(r"\b(hvor (?:ofte|tit|hyppigt)|how (?:often|frequently))\b", re.IGNORECASE)
_FREQUENCY = re.compile(
    r"\b(?:hver|hvert|hvere|hvers|gange?|årlig\w*|halvårlig\w*|kvartalsvis|månedlig\w*|ugentlig\w*|daglig\w*|"
    r"løbende|every|annual\w*|monthly|weekly|daily|times|once|twice)\b|\b(?:om|pr\.?|per|i) (?:året|år|måneden|måned|"
    r"ugen|uge|dagen|dag|kvartalet)\b",
    re.IGNORECASE,
)


def states_frequency(text: str) -> bool:
    """How often something happens: "hvert andet år", "to gange om året", "månedligt"."""
    return bool(_FREQUENCY.search(text))


def states_time(text: str) -> bool:
    """A point in time: a year, a day or a month."""
    return bool(_MONTH.search(text)) or any(m.is_year or m.measure == "dato" for m in find_numbers(text))
