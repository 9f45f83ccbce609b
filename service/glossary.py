"""English -> Danish words of the social-services agreements, for searching Danish text with English questions.

The multilingual embedding bridges languages only loosely (English recall trails Danish), and the lexical index
matches nothing across languages. Appending the Danish words of an English question's domain terms gives both
sides the agreements' own vocabulary. The list is the domain's general vocabulary (staffing, economy, goals,
follow-up, target groups, law, health, systems), not words picked from any one agreement; extend it as users ask.

The data lives in `glossary.tsv` next to this module (shipped as package data): one entry a line,
`english term<TAB>danish1; danish2; ...`, with `#` comment lines and blank lines between sections.
"""

from __future__ import annotations

import re
from importlib import resources

GLOSSARY_FILE = "glossary.tsv"


class GlossaryError(ValueError):
    """A line of the glossary file that does not parse."""


def parse_glossary(text: str, source: str = GLOSSARY_FILE) -> dict[str, tuple[str, ...]]:
    """English term (casefolded) -> its Danish words, from the text of a glossary file.

    Raises `GlossaryError` naming the line for a line without a tab, an empty side, an empty Danish word or an
    English term given twice: a broken entry should stop the service at start, not silently match nothing."""
    glossary: dict[str, tuple[str, ...]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        english, tab, danish = line.partition("\t")
        english = " ".join(english.split()).casefold()
        words = tuple(" ".join(word.split()) for word in danish.split(";"))
        where = f"{source}:{number}"
        if not tab:
            raise GlossaryError(f"{where}: no tab between the English term and its Danish words: {line!r}")
        if not english:
            raise GlossaryError(f"{where}: empty English term: {line!r}")
        if not all(words):
            raise GlossaryError(f"{where}: empty Danish word for {english!r}: {line!r}")
        if english in glossary:
            raise GlossaryError(f"{where}: {english!r} is listed twice")
        glossary[english] = words
    return glossary


def _read_glossary() -> dict[str, tuple[str, ...]]:
    text = resources.files(__package__).joinpath(GLOSSARY_FILE).read_text(encoding="utf-8")
    return parse_glossary(text)


def _compile(glossary: dict[str, tuple[str, ...]]) -> re.Pattern[str]:
    # Longest phrases first, so "unit price" wins over "price". A term is a whole word: not inside a longer word
    # and not part of a hyphenated compound ("sick-leave" does not fire "leave").
    alternatives = "|".join(re.escape(term) for term in sorted(glossary, key=len, reverse=True))
    return re.compile(r"(?<![\w-])(" + alternatives + r")(?![\w-])", re.IGNORECASE)


GLOSSARY: dict[str, tuple[str, ...]] = _read_glossary()
_PATTERN = _compile(GLOSSARY)


def danish_terms(text: str) -> list[str]:
    """The Danish words for the domain terms in an English text, in order, without repeats.

    A capitalised word inside the text that is also a Danish word is part of a Danish name ("Center for Job og
    Uddannelse"): its synonyms ("stilling" for "job") would only search for something not asked."""
    terms: dict[str, None] = {}
    for match in _PATTERN.finditer(text):
        word = match.group(1)
        danish = GLOSSARY[word.casefold()]
        if word[0].isupper() and not word.isupper() and text[: match.start()].strip() and word.casefold() in danish:
            continue
        for term in danish:
            terms[term] = None
    return list(terms)


def glossary_words_at(text: str, position: int) -> list[str]:
    """The Danish words for the glossary term that starts at `position` of `text`, or [] if none does."""
    match = _PATTERN.match(text, position)
    return list(GLOSSARY[match.group(1).casefold()]) if match else []
