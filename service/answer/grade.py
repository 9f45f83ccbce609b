"""Scored candidates -> a graded answer: a direct answer, evidence, or nothing; worded from template files.

- direct (`answered`): the best statement's probability of answering is at or above the calibrated direct
  threshold. The answer leads with the answer itself, copied from the quote (the figures of the asked kind, the
  dates, the items of a list), then the verbatim quote and its source. No figure is ever written by the program.
- evidence: below that, when the probability that the answer is among the best three (the third stage) reaches
  the evidence threshold, the 1-3 best statements are shown as "the closest the agreements say", stating no figure
  as *the* answer.
- nothing: a plain "not in the agreements" when nothing relevant was retrieved.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.search import Hit
from ingest.danish import YEAR
from service.answer.analyse import Analysis, Intent
from service.errors import PromptError
from service.figures import figures_in
from service.prompts import LANGUAGES, template_variables

DIRECT, EVIDENCE, NOTHING = "direct", "evidence", "nothing"
MAX_EVIDENCE = 3
# The best statements kept, as quoted, for a reader that weighs them itself (a configured language model).
RANKED = 6

# The wording files and the placeholders each entry must use.
WORDING_VARIABLES: dict[str, frozenset[str]] = {
    "direct": frozenset({"lead", "source", "quotes"}),
    "lead": frozenset({"value"}),
    "source": frozenset({"title", "where"}),
    "page": frozenset({"page"}),
    "quote": frozenset({"text"}),
    "joiner": frozenset(),
    "evidence": frozenset(),
    "nothing": frozenset(),
    "unknown_name": frozenset({"names"}),
    "closest": frozenset(),
    "uncalibrated": frozenset(),
}


@dataclass(frozen=True)
class Quote:
    hit: Hit
    text: str
    start: int  # offsets in the document's cleaned text
    end: int
    score: float  # the scorer's probability that this statement answers


@dataclass(frozen=True)
class Answer:
    question: str
    language: str
    answered: bool  # a direct answer
    answer: str
    quotes: tuple[Quote, ...]  # what the direct answer quotes
    hits: tuple[Hit, ...]
    reason: str = ""
    grade: str = NOTHING
    evidence: tuple[Quote, ...] = ()  # the closest statements when there is no direct answer
    ranked: tuple[Quote, ...] = ()  # the RANKED best statements as quoted, best first, whatever the grade
    lead: str = ""  # the answer itself, copied from the quote
    confidence: float = 0.0  # probability that the best statement is the answer
    relevance: float = 0.0  # probability that the answer is among the three best statements
    extra: dict[str, Any] = field(default_factory=dict)
    trace: dict[str, Any] | None = None


@dataclass(frozen=True)
class Wording:
    templates: dict[str, dict[str, str]]  # language -> entry -> template

    @classmethod
    def load(cls, folder: Path) -> Wording:
        """Reads prompts/answers/<lang>.toml; PromptError names a missing file, entry or placeholder."""
        templates: dict[str, dict[str, str]] = {}
        for language in LANGUAGES:
            path = folder / f"{language}.toml"
            try:
                entries = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as error:
                raise PromptError(f"{path}: cannot read the answer wording ({error})") from error
            for name, expected in WORDING_VARIABLES.items():
                if name not in entries:
                    raise PromptError(f"{path}: entry {name!r} is missing")
                found = template_variables(entries[name], f"{path}:{name}")
                if found != expected:
                    raise PromptError(f"{path}:{name} uses {sorted(found)}; it must use exactly {sorted(expected)}")
            templates[language] = {name: str(entries[name]) for name in WORDING_VARIABLES}
        return cls(templates)

    def __call__(self, language: str, name: str, **values: Any) -> str:
        return self.templates[language if language in self.templates else "da"][name].format(**values)


def lead_of(analysis: Analysis, quotes: tuple[Quote, ...]) -> str:
    """The answer itself, copied verbatim from the quoted statement: its figures for a figure question, its
    dates for a time question; "" when the quote as a whole is the answer."""
    text = quotes[-1].text
    if analysis.intent in (Intent.FIGURE, Intent.COUNT) or analysis.amount_or_share:
        figures = [m.raw for m in figures_in(text) if not m.is_year]
        return ", ".join(dict.fromkeys(figures))
    if analysis.intent == Intent.DATE:
        dates = [m.raw for m in figures_in(text) if m.measure == "dato"] or YEAR.findall(text)
        return ", ".join(dict.fromkeys(dates))
    return ""


def direct_text(wording: Wording, language: str, lead: str, quotes: tuple[Quote, ...]) -> str:
    hit = quotes[-1].hit
    page = wording(language, "page", page=hit.page) if hit.page else ""
    # A passage before the first heading has no section; its source is then the page alone, or the title alone.
    where = ", ".join(part for part in (hit.section, page) if part)
    source = wording(language, "source", title=hit.document_title, where=where) if where else hit.document_title
    quoted = wording(language, "joiner").join(wording(language, "quote", text=q.text) for q in quotes)
    value = wording(language, "lead", value=lead) if lead else ""
    return wording(language, "direct", lead=value, source=source, quotes=quoted)


def not_answered_text(wording: Wording, language: str, grade: str, unknown: tuple[str, ...], calibrated: bool) -> str:
    text = wording(language, "evidence") if grade == EVIDENCE else wording(language, "nothing")
    if unknown:
        text += wording(language, "unknown_name", names=", ".join(unknown))
    elif grade == NOTHING:
        text += wording(language, "closest")
    if not calibrated:
        text += wording(language, "uncalibrated")
    return text
