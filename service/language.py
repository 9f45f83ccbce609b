"""A small Danish/English detector: stopwords and Danish letters. Questions are short, so a model is overkill."""

from __future__ import annotations

import re

from ingest.metrics import METRICS, find_metrics
from service.glossary import danish_terms

_WORD = re.compile(r"[a-zæøåéü]+")

DANISH = frozenset(
    "og i at er det en den til på af for med som har de ikke der om vi vil skal kan hvad hvor hvordan hvilke hvilken "
    "hvem hvornår hvorfor mange meget måltal målet mål sammenlign enhederne aftalen aftalerne fra ved være blev "
    "bliver også eller men så sig her hos deres vores mellem efter inden under".split()
)
ENGLISH = frozenset(
    "the and of to in is are what which who when where why how many much does do for with on at by from target "
    "targets goal goals compare across units agreement agreements this that be was were it its an a as or "
    "there their our between after before under".split()
)


def detect_language(text: str) -> str:
    """'da' or 'en'. Ties go to Danish: the corpus and most users are Danish."""
    lowered = text.lower()
    words = _WORD.findall(lowered)
    danish = sum(word in DANISH for word in words) + 2 * len(re.findall(r"[æøå]", lowered))
    english = sum(word in ENGLISH for word in words)
    # Danish unit names carry æøå into English questions ("What is the target for Bakkegården?"), so letters
    # count only while the stopwords do not clearly say English.
    if english >= 2 and english > sum(word in DANISH for word in words):
        return "en"
    return "da" if danish >= english else "en"


# English names of Danish places: an English question says "Region Zealand", the agreements "Region Sjælland".
EXONYMS = {
    "zealand": "sjælland",
    "jutland": "jylland",
    "funen": "fyn",
    "copenhagen": "københavn",
    "elsinore": "helsingør",
    "greenland": "grønland",
    "faroe": "færøerne",
}
_EXONYM = re.compile(r"\b(" + "|".join(EXONYMS) + r")\b", re.IGNORECASE)


def danish_place_names(text: str) -> str:
    """`text` with English place names replaced by the Danish ones ("Region Zealand" -> "Region Sjælland")."""
    return _EXONYM.sub(lambda m: _same_case(m.group(0), EXONYMS[m.group(0).casefold()]), text)


def _same_case(original: str, replacement: str) -> str:
    return replacement.capitalize() if original[:1].isupper() else replacement


def danish_search_text(text: str) -> str:
    """An English question or query made searchable in Danish text: place names in Danish, and appended the
    Danish name of each metric it asks about and the glossary's words for its domain terms ("sick-leave target"
    -> "... (sygefravær, mål, måltal)"), so the Danish lexical index and the multilingual embedding both see the
    agreements' own words. Danish text is returned unchanged."""
    if detect_language(text) != "en":
        return text
    text = danish_place_names(text)
    extra = danish_words_for(text)
    return f"{text} ({', '.join(extra)})" if extra else text


def danish_words_for(english: str) -> list[str]:
    """The Danish names of the metrics an English text asks about, then the glossary's words for its domain terms."""
    labels = {hit.key for hit in find_metrics(english)}
    words = [metric.label_da.lower() for metric in METRICS if metric.key in labels]
    return words + [term for term in danish_terms(english) if term not in words]
