"""Danish numbers as written in agreements: "4,5 %", "13.4 mio. kr.", "129.441 kr.", "2/3", "2017-2021".

The answer guard relies on this module ("every number in an answer must occur in a cited passage"), so a
mention keeps its verbatim `raw` text and offsets, and `same_number` compares values, not spellings:
"8 %" == "8%" == "8 pct." and "13,4 mio. kr." == "13.400.000 kr.".
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

YEAR_MIN, YEAR_MAX = 1990, 2100

# A digit run with separators; its meaning (thousands dot vs decimal) is decided in `parse_number`.
_NUM = r"\d+(?:[.,]\d+)*"

# Measures as written -> canonical spelling. Longest alternatives first so "mio. kr." wins over "mio.".
_MEASURES: tuple[tuple[str, str], ...] = (
    (r"procentpoint|pct\.?-?\s?point|%-point", "procentpoint"),
    (r"%|pct\.?|procent", "%"),
    (r"mia\.?\s?kr\.?|milliarder?\s+kr(?:oner|\.)?|mia\.|mia(?![a-zæøå])|milliarder?", "mia. kr."),
    (r"mio\.?\s?kr\.?|millioner?\s+kr(?:oner|\.)?|mio\.|mio(?![a-zæøå])|millioner?", "mio. kr."),
    (r"t\.\s?kr\.?|tkr\.?|t\.kr", "t. kr."),
    (r"kr\.|kr(?![a-zæøå])|kroner", "kr."),
    (r"døgn", "døgn"),
    (r"dage|dag(?![a-zæøå])", "dage"),
    (r"timer|time(?![a-zæøå])|t\.(?=\s)", "timer"),
    (r"minutter|min\.", "minutter"),
    (r"uger|uge(?![a-zæøå])", "uger"),
    (r"måneder|måned(?![a-zæøå])|mdr\.?", "måneder"),
    (r"år(?![a-zæøå])", "år"),
    (r"pladser|plads(?![a-zæøå])", "pladser"),
    (r"årsværk", "årsværk"),
    (r"borgere|borger(?![a-zæøå])", "borgere"),
    (r"medarbejdere", "medarbejdere"),
    (r"personer", "personer"),
    (r"point", "point"),
)
_MEASURE_RE = "|".join(f"(?:{pattern})" for pattern, _ in _MEASURES)
_SCALE = {"mio. kr.": 1e6, "mia. kr.": 1e9, "t. kr.": 1e3}
# Measures that differ only in scale are one family: "13,4 mio. kr." == "13.400.000 kr.".
_FAMILY = {"mio. kr.": "kr.", "mia. kr.": "kr.", "t. kr.": "kr.", "døgn": "dage"}

# "¾ del af en fuldtidsplads", "1½ time": the vulgar fraction characters.
_VULGAR = "¼½¾⅓⅔⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞"
_DATE = r"\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})(?!\d)"
_TOKEN = re.compile(
    rf"(?<![\w.,])(?:(?P<date>{_DATE})"
    rf"|(?P<frac>\d{{1,2}}/\d{{1,3}})(?![\d/.-])"
    rf"|(?P<vulgar>\d{{0,2}}[{_VULGAR}])"
    rf"|(?P<a>{_NUM})(?:\s?[-–]\s?(?P<b>{_NUM}))?)"
    rf"(?:\s?(?P<measure>{_MEASURE_RE}))?"
    # "5 døgn- og ugeplaner" is a compound, not a measure.
    r"(?![\w]|-(?:[a-zæøå]|\s+(?:og|eller)\b))",
    re.IGNORECASE,
)
_SECTION_SIGN = re.compile(r"§§?\s*$")


@dataclass(frozen=True)
class NumberMention:
    raw: str  # verbatim: text[start:end]
    value: float  # in base units: "13.4 mio. kr." -> 13_400_000.0; the lower bound of a range
    measure: str  # canonical: "%", "mio. kr.", "kr.", "dage", "§", "dato", "" ...
    start: int
    end: int
    value_to: float | None = None  # upper bound when `raw` is a range ("2017-2021", "3-5 %")

    @property
    def is_year(self) -> bool:
        return self.measure == "" and self.value_to is None and _looks_like_year(self.value)

    @property
    def is_range(self) -> bool:
        return self.value_to is not None


def _looks_like_year(value: float) -> bool:
    return value.is_integer() and YEAR_MIN <= value <= YEAR_MAX


def canonical_measure(written: str) -> str:
    """The canonical spelling of a measure as written ("pct." -> "%", "mio." -> "mio. kr."); "" if unknown."""
    text = written.strip()
    for pattern, canonical in _MEASURES:
        if re.fullmatch(pattern, text, re.IGNORECASE):
            return canonical
    return ""


def _parse_plain(raw: str) -> float | None:
    """A bare digit run with Danish separators; None when its shape is ambiguous (section numbers "3.4.2")."""
    if "," in raw:
        whole, _, decimals = raw.rpartition(",")
        if "," in whole or not decimals:
            return None
        whole_value = _parse_plain(whole) if "." in whole else float(whole)
        if whole_value is None or ("." in whole and not _is_thousands(whole)):
            return None
        return whole_value + float(f"0.{decimals}")
    if "." not in raw:
        return float(raw)
    if _is_thousands(raw):
        return float(raw.replace(".", ""))
    if raw.count(".") == 1:
        # "13.4 mio." / "2.5": one or two digits after a single dot are decimals, as the corpus writes them.
        return float(raw)
    return None


def _is_thousands(raw: str) -> bool:
    groups = raw.split(".")
    return 1 <= len(groups[0]) <= 3 and len(groups) > 1 and all(len(g) == 3 for g in groups[1:])


def parse_number(raw: str) -> float | None:
    """Value of one Danish number with optional measure: "4,5 %" -> 4.5, "13.4 mio. kr." -> 13_400_000.0,
    "129.441" -> 129441.0, "2/3 dele" -> 0.666..., "8 pct." -> 8.0. None for ranges, dates and non-numbers."""
    mentions = find_numbers(raw.strip())
    if len(mentions) != 1 or mentions[0].is_range or mentions[0].measure == "dato":
        return None
    return mentions[0].value


def parse_range(raw: str) -> tuple[float, float] | None:
    """("2017-2021") -> (2017.0, 2021.0); "2015-16" -> (2015.0, 2016.0); "3-5 %" -> (3.0, 5.0)."""
    mentions = find_numbers(raw.strip())
    if len(mentions) != 1 or mentions[0].value_to is None:
        return None
    return mentions[0].value, mentions[0].value_to


def _fraction(text: str) -> float | None:
    numerator, denominator = (int(part) for part in text.split("/"))
    # "1/1" and "24/7" are dates and schedules, not shares.
    if denominator == 0 or numerator >= denominator:
        return None
    return numerator / denominator


def _mention(text: str, match: re.Match[str]) -> NumberMention | None:
    start, end = match.start(), match.end()
    measure = canonical_measure(match["measure"] or "")
    if match["date"]:
        return NumberMention(match["date"], _date_value(match["date"]), "dato", start, match.end("date"))
    if match["vulgar"]:
        whole, fraction = match["vulgar"][:-1], match["vulgar"][-1]
        value = (int(whole) if whole else 0) + unicodedata.numeric(fraction)
        return NumberMention(text[start:end], value, measure, start, end)
    if match["frac"]:
        value = _fraction(match["frac"])
        if value is None:
            return None
        return NumberMention(text[start:end], value, measure, start, end)
    scale = _SCALE.get(measure, 1.0)
    low = _parse_plain(match["a"])
    if low is None:
        return None
    if _SECTION_SIGN.search(text[max(0, start - 3) : start]) and not measure:
        return NumberMention(text[start:end], low, "§", start, end)
    high = _parse_plain(match["b"]) if match["b"] else None
    if match["b"] and high is None:
        return None
    if high is not None and _looks_like_year(low) and len(match["b"]) == 2:
        high = low - low % 100 + high  # "2015-16" -> 2016
    if high is not None and high < low:
        # "10-3" is not a range (a score, a date fragment): keep the first number alone.
        end = match.end("a")
        return NumberMention(text[start:end], low, "", start, end)
    if not measure:
        end = match.end("b") if match["b"] else match.end("a")
    return NumberMention(text[start:end], low * scale, measure, start, end, None if high is None else high * scale)


def _date_value(raw: str) -> float:
    day, month, year = (int(part) for part in re.split(r"[./-]", raw))
    if year < 100:
        year += 2000
    return float(year * 10_000 + month * 100 + day)


def find_numbers(text: str) -> list[NumberMention]:
    """Every number in `text`, in order, each with its verbatim span and canonical measure."""
    mentions = []
    for match in _TOKEN.finditer(text):
        mention = _mention(text, match)
        if mention is not None:
            mentions.append(mention)
    return mentions


def _compatible(a: str, b: str) -> bool:
    # A bare number ("4,5") is compatible with any measure: the answer may drop a unit the passage states.
    return not a or not b or _FAMILY.get(a, a) == _FAMILY.get(b, b)


def _close(x: float, y: float) -> bool:
    # abs_tol covers rounded fractions: "2/3" vs 0.6667.
    return math.isclose(x, y, rel_tol=1e-9, abs_tol=5e-5)


def same_number(a: NumberMention, b: NumberMention) -> bool:
    """Same value in a compatible measure. A single number matches either end of a range ("2017" in
    "2017-2021"); two ranges must share both ends."""
    if not _compatible(a.measure, b.measure):
        return False
    if a.value_to is not None and b.value_to is not None:
        return _close(a.value, b.value) and _close(a.value_to, b.value_to)
    a_values = (a.value,) if a.value_to is None else (a.value, a.value_to)
    b_values = (b.value,) if b.value_to is None else (b.value, b.value_to)
    return any(_close(x, y) for x in a_values for y in b_values)
