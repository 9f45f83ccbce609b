"""English -> Danish words of the social-services agreements, for searching Danish text with English questions.

The multilingual embedding bridges languages only loosely (English recall trails Danish), and the lexical index
matches nothing across languages. Appending the Danish words of an English question's domain terms gives both
sides the agreements' own vocabulary. The list is the domain's general vocabulary (staffing, economy, goals,
follow-up, target groups), not words picked from any one agreement; extend it as users ask.
"""

from __future__ import annotations

import re

GLOSSARY: dict[str, tuple[str, ...]] = {
    # places, people, organisation
    "place": ("plads",),
    "places": ("pladser",),
    "full-time": ("fuldtid", "fuldtidspladser"),
    "part-time": ("deltid", "deltidspladser"),
    "staff": ("medarbejdere", "personale"),
    "employee": ("medarbejder",),
    "employees": ("medarbejdere",),
    "manager": ("leder",),
    "managers": ("ledere",),
    "head": ("chef", "leder"),
    "director": ("direktør", "chef"),
    "citizen": ("borger",),
    "citizens": ("borgere",),
    "resident": ("beboer", "borger"),
    "residents": ("beboere", "borgere"),
    "user": ("bruger",),
    "users": ("brugere",),
    "relatives": ("pårørende",),
    "young": ("unge",),
    "youth": ("unge",),
    "children": ("børn",),
    "students": ("elever",),
    "pupils": ("elever",),
    "disability": ("handicap",),
    "homeless": ("hjemløse",),
    "homelessness": ("hjemløshed",),
    "positions": ("stillinger",),
    "position": ("stilling",),
    "jobs": ("job", "stillinger"),
    "full-time equivalents": ("årsværk",),
    "fte": ("årsværk",),
    "municipality": ("kommune",),
    "council": ("byråd", "udvalg"),
    "department": ("afdeling", "område"),
    "team": ("team",),
    "centre": ("center",),
    "center": ("center",),
    # economy
    "price": ("pris", "takst"),
    "unit price": ("stykpris",),
    "rate": ("takst",),
    "tariff": ("takst",),
    "income": ("indtægt",),
    "revenue": ("indtægt",),
    "costs": ("udgifter",),
    "expenditure": ("udgifter",),
    "rent": ("husleje",),
    "reduction": ("reduktion",),
    "deficit": ("underskud",),
    "surplus": ("overskud",),
    "account": ("konto",),
    "weighted": ("vægtede",),
    "average": ("gennemsnit", "gennemsnitlige"),
    "total": ("samlet", "i alt"),
    "share": ("andel",),
    "week": ("uge",),
    "month": ("måned",),
    "year": ("år",),
    # goals and follow-up
    "goal": ("mål",),
    "goals": ("mål",),
    "target": ("mål", "måltal"),
    "targets": ("mål", "måltal"),
    "objective": ("mål", "målsætning"),
    "indicator": ("indikator",),
    "activities": ("aktiviteter",),
    "follow-up": ("opfølgning",),
    "follow up": ("opfølgning", "følge op"),
    "evaluation": ("evaluering",),
    "survey": ("undersøgelse",),
    "questionnaire": ("spørgeskema",),
    "satisfaction": ("tilfredshed",),
    "documentation": ("dokumentation",),
    "supervision": ("tilsyn",),
    "inspection": ("tilsyn",),
    "quality": ("kvalitet",),
    "method": ("metode",),
    "research": ("forskning",),
    "project": ("projekt",),
    "strategy": ("strategi",),
    "plan": ("plan", "handleplan"),
    "vision": ("vision",),
    "complaint": ("klage",),
    "complaints": ("klager", "klagesager"),
    "training": ("uddannelse", "kompetenceudvikling"),
    "education": ("uddannelse",),
    "employment": ("beskæftigelse",),
    "sheltered employment": ("beskyttet beskæftigelse",),
    "job centre": ("jobcenter",),
    "health": ("sundhed",),
    "medication": ("medicin",),
    "welfare technology": ("velfærdsteknologi",),
    "rehabilitation": ("rehabilitering",),
    "recovery": ("recovery",),
    "vacancies": ("stillinger", "stillingsopslag"),
    "advertisement": ("stillingsopslag",),
    "meetings": ("møder",),
}
# Longest phrases first, so "unit price" wins over "price".
_PATTERN = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(k) for k in sorted(GLOSSARY, key=len, reverse=True)) + r")(?![\w-])",
    re.IGNORECASE,
)


def danish_terms(text: str) -> list[str]:
    """The Danish words for the domain terms in an English text, in order, without repeats."""
    terms: dict[str, None] = {}
    for match in _PATTERN.finditer(text):
        for term in GLOSSARY[match.group(1).casefold()]:
            terms[term] = None
    return list(terms)


def glossary_words_at(text: str, position: int) -> list[str]:
    """The Danish words for the glossary term that starts at `position` of `text`, or [] if none does."""
    match = _PATTERN.match(text, position)
    return list(GLOSSARY[match.group(1).casefold()]) if match else []
