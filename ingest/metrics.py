"""The metrics agreements set figures for, with Danish and English names, and topic matching.

A topic or a sentence matches a metric through its terms: lowercase stems matched at a word start, so Danish
inflection and compounds work ("sygefraværsmålene", "trivselsmål"); long stems also match inside a compound
("medarbejdertrivsel"). English terms let an English topic find Danish text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Stems this long are specific enough to match inside a compound word; shorter ones ("møde") would match
# unrelated compounds ("fremmøde").
_COMPOUND_MIN = 7


@dataclass(frozen=True)
class Metric:
    key: str
    label_da: str
    label_en: str
    terms: tuple[str, ...]  # found in agreement text and in topics
    topic_terms: tuple[str, ...] = ()  # broader words that only select the metric in a topic ("fravær")
    measures: tuple[str, ...] = ("%",)  # canonical measures a figure for this metric can have
    # Figures that describe how things are (capacity, budget) unless target wording says otherwise; for the other
    # metrics an agreement states a figure as a goal unless it says it was measured.
    descriptive: bool = False


METRICS: tuple[Metric, ...] = (
    Metric(
        "sygefravaer",
        "Sygefravær",
        "Sick leave",
        ("sygefravær", "sygdomsfravær", "sick leave", "sickness absence", "sick-leave"),
        ("fravær", "absence", "absenteeism", "sygdom", "sickness"),
        ("%", "dage"),
    ),
    Metric(
        "samlet_fravaer",
        "Samlet fravær",
        "Total absence",
        ("samlet fravær", "samlede fravær", "total absence", "fremmøde", "attendance"),
        ("fravær", "absence", "absenteeism"),
        ("%", "dage"),
    ),
    Metric(
        "trivsel",
        "Trivsel",
        "Well-being",
        (
            "trivsel",
            "trives",
            "følelsesmæssige krav",
            "udviklingsmuligheder",
            "social kapital",
            "well-being",
            "wellbeing",
            "well being",
            "job satisfaction",
            "emotional demands",
        ),
        ("arbejdsmiljø", "work environment", "trivselsundersøgelse"),
        ("%", "point"),
    ),
    Metric(
        "rolleklarhed",
        "Rolleklarhed",
        "Role clarity",
        ("rolleklarhed", "role clarity"),
        # The well-being survey measures role clarity too: a topic naming the survey covers it.
        ("trivselsundersøgelse", "trivselsmåling", "well-being survey", "wellbeing survey"),
        ("%", "point"),
    ),
    Metric(
        "personaleomsaetning",
        "Personaleomsætning",
        "Staff turnover",
        ("personaleomsætning", "medarbejderomsætning", "turnover"),
        ("omsætning", "fastholdelse", "retention"),
    ),
    Metric(
        "rekruttering",
        "Rekruttering",
        "Recruitment",
        ("rekruttering", "stillingsopslag", "besættes", "recruitment", "vacancies"),
        ("recruit", "hiring"),
    ),
    Metric(
        "tilfredshed",
        "Bruger- og kundetilfredshed",
        "User satisfaction",
        ("tilfredshed", "brugerundersøgelse", "kundeundersøgelse", "satisfaction", "satisfied"),
        ("tilfredse", "tilfreds"),
        ("%", "point"),
    ),
    Metric(
        "budget",
        "Budget og økonomisk ramme",
        "Budget",
        ("budget", "økonomisk ramme", "økonomiske ramme", "indtægt", "budget frame", "revenue"),
        ("økonomi", "finances", "funding"),
        ("kr.", "mio. kr.", "mia. kr.", "t. kr."),
        descriptive=True,
    ),
    Metric(
        "besparelse",
        "Besparelse",
        "Savings",
        ("besparelse", "budgetreduktion", "reduktion på", "effektivisering", "savings", "budget cut"),
        ("spare", "saving", "cuts"),
        ("kr.", "mio. kr.", "mia. kr.", "t. kr.", "%"),
    ),
    Metric(
        "pladser",
        "Pladser",
        "Places",
        ("pladser", "belægning", "kapacitet", "places", "capacity", "occupancy"),
        ("beds", "senge"),
        ("pladser", "%", ""),
        descriptive=True,
    ),
    Metric(
        "moeder",
        "Møder og tidsforbrug",
        "Meetings",
        ("møder", "mødeaktivitet", "tidsforbrug", "meetings", "meeting time"),
        ("meeting", "møde"),
        ("%", "timer", "minutter"),
    ),
    Metric(
        "uth",
        "Utilsigtede hændelser (UTH)",
        "Adverse events",
        ("uth", "utilsigtede hændelser", "utilsigtet hændelse", "adverse event", "incident"),
        ("patientsikkerhed", "patient safety"),
        ("dage", "%"),
    ),
    Metric(
        "sundhedstjek",
        "Sundhedstjek",
        "Health check",
        ("sundhedstjek", "health check", "helbredstjek"),
        ("sundhed", "health"),
        ("%",),
    ),
    Metric(
        "klagesager",
        "Klagesager",
        "Complaints",
        ("klagesag", "klager", "klage", "complaint"),
        (),
        ("%", "dage"),
    ),
    Metric(
        "hjemloeshed",
        "Hjemløshed",
        "Homelessness",
        ("hjemløs", "herberg", "forsorgshjem", "homeless", "homeless shelter"),
        (),
        ("%",),
    ),
    Metric(
        "dokumentation",
        "Dokumentation og indsatsmål",
        "Documentation and goals in cases",
        ("dagbogsnotat", "bestillinger", "documentation"),
        ("dokumentation", "smart", "indsatsmål"),
        ("%",),
    ),
    Metric(
        "kompetenceudvikling",
        "Kompetenceudvikling",
        "Skills development",
        ("kompetenceudvikling", "sundhedskurser", "training", "skills development"),
        ("uddannelse", "competence"),
        ("%",),
    ),
)

BY_KEY = {metric.key: metric for metric in METRICS}


def _pattern(term: str) -> re.Pattern[str]:
    words = [re.escape(word) for word in re.split(r"[\s-]+", term.lower())]
    body = r"[\s-]+".join(words)
    # A word start, unless the stem is long enough to end a compound ("medarbejdertrivsel").
    start = "" if len(term) >= _COMPOUND_MIN and " " not in term else r"(?<![a-zæøå])"
    return re.compile(start + body)


_TEXT_PATTERNS = tuple((m.key, term, _pattern(term)) for m in METRICS for term in m.terms)
_TOPIC_PATTERNS = tuple((m.key, term, _pattern(term)) for m in METRICS for term in (*m.terms, *m.topic_terms))


@dataclass(frozen=True)
class MetricHit:
    key: str
    start: int
    end: int


def _hits(text: str, patterns: tuple[tuple[str, str, re.Pattern[str]], ...]) -> list[MetricHit]:
    lowered = text.lower()
    hits = [
        MetricHit(key, match.start(), match.end())
        for key, _, pattern in patterns
        for match in pattern.finditer(lowered)
    ]
    # A term inside a longer term of another metric is not a mention: "satisfaction" in "job satisfaction".
    kept = [
        hit
        for hit in hits
        if not any(
            other.key != hit.key
            and other.start <= hit.start
            and hit.end <= other.end
            and other.end - other.start > hit.end - hit.start
            for other in hits
        )
    ]
    return sorted(kept, key=lambda hit: (hit.start, -hit.end))


def find_metrics(text: str) -> list[MetricHit]:
    """Every metric term in `text` (agreement text), in order of position."""
    return _hits(text, _TEXT_PATTERNS)


def match_topic(topic: str) -> list[str]:
    """Metric keys a topic names, in table order: "sygefraværsmålene" -> ["sygefravaer"], "fravær" ->
    ["sygefravaer", "samlet_fravaer"], "sick-leave targets" -> ["sygefravaer"]. Empty when none."""
    # A specific term wins over a broader word inside it: "sygefravær" names sick leave only, though it contains
    # "fravær". A broader word around a specific term names more: "trivselsundersøgelse" is the survey that
    # measures well-being and role clarity, not only the "trivsel" it starts with.
    specific = _hits(topic, _TEXT_PATTERNS)
    broad = _hits(topic, _TOPIC_PATTERNS)
    if specific:
        broad = [b for b in broad if any(_extends(b, s) for s in specific)]
    keys = {hit.key for hit in (*specific, *broad)}
    return [m.key for m in METRICS if m.key in keys]


def _extends(outer: MetricHit, inner: MetricHit) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end and outer.end - outer.start > inner.end - inner.start


# The imperative or the noun asks for a comparison; "CJU sammenligner sig med ..." / "compares itself with" describes
# what one unit does.
_COMPARISON_CUES = re.compile(
    # "På tværs af hvor mange regioner ...?" asks for a count, not a comparison.
    r"\bsammenlign(?:ing\w*)?\b|på tværs(?! af hvor)|mellem (?:enhed|tilbud|afdeling|institution)|"
    r"\b(?:alle|hver|de enkelte) (?:enhed|tilbud|afdeling|institution|aftale)(?:er|erne|en|et|s)?\b|"
    r"\bhvilke\b.*\bhar (?:enhederne|tilbuddene|afdelingerne|institutionerne)|"
    r"enhedernes|tilbuddenes|afdelingernes|"
    # "the unit price" is not a comparison; "the units" and "each unit" are. "Across" compares when units follow
    # ("across units", "across all the agreements"), not when a scope does ("across the regional social area").
    r"\bcompare\b|\bcomparison|\bversus\b|\bvs\.?\s|"
    r"\bacross (?:(?:all|each|every|the) )*(?:units?|agreements?|services|cent(?:re|er)s|departments|institutions)\b|"
    r"\b(?:each|every|all) (?:units?|agreements?|services?)\b|"
    r"\bthe (?:units|agreements)\b",
    re.IGNORECASE,
)
_FILLER = frozenset(
    "hvad er hvilke hvilken har de det den og i på af for mellem tværs sammenlign sammenligne enhederne "
    "enheder enhed tilbuddene tilbud alle hver enkelte aftalerne aftaler målene mål måltal måltallene "
    "what are is the of for across compare comparison between units unit all each every agreements "
    "targets target goals goal show me list please vs versus".split()
)
_WORD = re.compile(r"[\wæøå-]+", re.IGNORECASE)


def comparison_topic(question: str) -> str | None:
    """The topic of a question that compares units ("Sammenlign sygefraværsmålene" -> "sygefraværsmålene"),
    else None. A question about one unit is not a comparison."""
    if not _COMPARISON_CUES.search(question):
        return None
    lowered = question.lower()
    spans = sorted(
        _whole_words(lowered, match.start(), match.end())
        for _, _, pattern in _TOPIC_PATTERNS
        for match in pattern.finditer(lowered)
    )
    named: list[str] = []
    for start, end in spans:
        if not named or question[start:end] not in named:
            named.append(question[start:end])
    if named:
        return " ".join(named)
    # Keep an unknown topic ("parking targets"): the comparison is then empty and says so.
    rest = [word for word in _WORD.findall(question) if word.lower() not in _FILLER]
    return " ".join(rest) or None


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "-"):
        start -= 1
    while end < len(text) and (text[end].isalnum() or text[end] == "-"):
        end += 1
    return start, end
