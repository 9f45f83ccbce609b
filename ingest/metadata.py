"""Document metadata from the text itself (title, organisation, unit, year, type), plus sidecar overrides.

Everything is inferred from general patterns ("X Kommune", "Region X", "Institutionsaftale for X"); what the
text does not say is "". A `NAME.meta.json` (or `.yaml` when PyYAML is installed) next to a file overrides
any field, for documents whose text names things badly.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from ingest.danish import nfc
from ingest.errors import MetadataError
from ingest.titles import is_title

FIELDS = ("title", "organisation", "unit", "year", "doc_type")

# Most specific first: "Drifts- og udviklingsaftale" is not just an "aftale".
_DOC_TYPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("drifts- og udviklingsaftale", re.compile(r"drifts-\s*og\s+udviklingsaftale\w*", re.IGNORECASE)),
    ("institutionsaftale", re.compile(r"institutionsaftale\w*", re.IGNORECASE)),
    ("udviklingsaftale", re.compile(r"udviklingsaftale\w*", re.IGNORECASE)),
    ("driftsaftale", re.compile(r"driftsaftale\w*", re.IGNORECASE)),
    ("virksomhedsplan", re.compile(r"virksomhedsplan\w*", re.IGNORECASE)),
    ("aftale", re.compile(r"\baftale\b", re.IGNORECASE)),
)
_TITLE_WORDS = re.compile(r"aftale|plan|strategi|rapport|politik|ramme|notat|vejledning|guide|referat", re.IGNORECASE)
_MAX_TITLE = 160
_MIN_TITLE_LETTERS = 4
_LETTERS = re.compile(r"[^\W\d_]")
_NOT_TITLE = re.compile(
    r"www\.|https?:|@|\||^(side|page)\s+\d|^(indholdsfortegnelse|indhold|contents|table of contents)\W*$", re.IGNORECASE
)
_OPEN_ENDINGS = frozenset("for af i og til om med på ved fra".split())
_TITLE_LOOKAHEAD = 10  # lines at the top where a title is looked for

_NAME = r"[A-ZÆØÅ][a-zæøå]+(?:-[A-ZÆØÅ][a-zæøå]+)?"
_KOMMUNE = re.compile(rf"\b({_NAME}) Kommunes?\b")
_REGION = re.compile(rf"\bRegion(?:en)? ({_NAME})\b")
# Capitalised words that can stand before "Kommune" without being its name ("Hele Kommune", "Den Kommune").
_NOT_NAMES = frozenset("Hele Den Det De Hver Denne Samme Egen Din Vores Jeres Anden Ny Nye Anden Enhver".split())

_PERIOD = re.compile(r"\b(20\d\d|19\d\d)\s*[-–/]\s*(\d{4}|\d{2})\b")
_YEAR = re.compile(r"\b(20\d\d|19\d\d)\b")
_YEAR_WINDOW = 5000
_PERIOD_WINDOW = 400  # the opening pages say which year an agreement is for
_ABBREVIATION = re.compile(r"^[A-ZÆØÅ]{2,6}$")
# "Rigsarkivet → Vejledning ...": a breadcrumb in a running header, its steps from publisher to document.
_BREADCRUMB = re.compile(r"\s+[→➢›»>]\s+")
_CONNECTORS = r"(?:\s+(?:for|og|&|i|til|med|af))*\s+"
_UNIT_LEADS = re.compile(r"^(?:\s|for\b|mellem\b|med\b|[-–:,])+", re.IGNORECASE)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def _title_candidate(line: str) -> bool:
    return (
        len(line) <= _MAX_TITLE
        and len(_LETTERS.findall(line)) >= _MIN_TITLE_LETTERS
        and not _NOT_TITLE.search(line)
        and is_title(line)
    )


def find_title(text: str) -> str:
    """The first line near the top that names a kind of document; else the first title-like line.

    A title broken over two lines ("Tilsynsrapport for" / "Clara Service Gruppen") is joined again.
    """
    lines = _lines(text)[:_TITLE_LOOKAHEAD]
    candidates = [i for i, line in enumerate(lines) if _title_candidate(line)]
    named = [i for i in candidates if _TITLE_WORDS.search(lines[i]) and not lines[i].endswith(":")]
    index = (named or candidates or [None])[0]
    if index is None:
        return ""  # no line near the top reads as a title; the caller names the document after its file
    title = lines[index].lstrip("#").strip()  # a Markdown heading's marks are not part of its title
    if title.rsplit(" ", 1)[-1].lower() in _OPEN_ENDINGS and index + 1 < len(lines):
        title = f"{title} {lines[index + 1]}"[:_MAX_TITLE]
    return title


def find_doc_type(title: str, text: str) -> str:
    """The agreement type the title names; the opening text counts only for the specific types, since a
    bare "aftale" is mentioned in all kinds of documents."""
    for name, pattern in _DOC_TYPES:
        if pattern.search(title):
            return name
    for name, pattern in _DOC_TYPES[:-1]:
        if pattern.search(text[:_PERIOD_WINDOW]):
            return name
    return "dokument"


def find_organisation(text: str) -> str:
    """The municipality or region the text names most often (earliest on a tie)."""
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for pattern, shape in ((_KOMMUNE, "{} Kommune"), (_REGION, "Region {}")):
        for match in pattern.finditer(text):
            if match.group(1) in _NOT_NAMES:
                continue
            name = shape.format(match.group(1))
            counts[name] += 1
            first.setdefault(name, match.start())
    if not counts:
        return ""
    return min(counts, key=lambda name: (-counts[name], first[name]))


def find_year(title: str, text: str) -> str:
    """A period ("2015-2016") or year from the title or top lines, else the opening pages' most frequent year."""
    # A period is only trusted near the top: further down "2021-2024" names some other strategy's period.
    for source in (title, text[:_PERIOD_WINDOW]):
        period = _PERIOD.search(source)
        if period:
            start, end = period.group(1), period.group(2)
            end = start[:2] + end if len(end) == 2 else end
            if 0 < int(end) - int(start) <= 10:
                return f"{start}-{end}"
        if source is title and _YEAR.search(title):
            return _YEAR.search(title).group(1)  # type: ignore[union-attr]
    years = Counter(_YEAR.findall(text[:_YEAR_WINDOW]))
    if not years:
        return ""
    return min(years, key=lambda year: (-years[year], text.index(year)))


def find_unit(title: str, text: str) -> str:
    """What follows the document type in the title ("Institutionsaftale for CJU" -> "CJU"), spelled out if the
    text expands an abbreviation ("CJU - Center for Job & Uddannelse")."""
    for _, pattern in _DOC_TYPES:
        match = pattern.search(title)
        if match:
            rest = _YEAR.sub("", title[match.end() :])
            unit = _UNIT_LEADS.sub("", rest).strip(" -–,.")
            break
    else:
        return ""
    unit = re.sub(r"\s{2,}", " ", unit)
    if _ABBREVIATION.match(unit):
        expansion = expand_abbreviation(unit, text)
        if expansion:
            return f"{unit} - {expansion}"
    return unit


def expand_abbreviation(abbreviation: str, text: str) -> str:
    """The most frequent run of capitalised words whose initials spell `abbreviation`, or ""."""
    parts = [rf"{re.escape(letter)}[\wæøå]*" for letter in abbreviation]
    pattern = re.compile(r"\b" + _CONNECTORS.join(parts) + r"\b")
    found = Counter(match.group() for match in pattern.finditer(text))
    if not found:
        return ""
    return min(found, key=lambda phrase: (-found[phrase], len(phrase)))


def extract_metadata(text: str, title: str = "", running: Sequence[str] = ()) -> dict[str, str]:
    """title, organisation, unit, year and doc_type of a cleaned text; "" for what it does not say. `title`: the
    file's own title when it has one (ingest/titles.py), else one is looked for in the text, else in the running
    headers of its pages (`running`, most pages first)."""
    document, publisher = running_names(running)
    title = title or find_title(text) or document
    return {
        "title": title,
        "organisation": publisher or find_organisation(text),
        "unit": find_unit(title, text),
        "year": find_year(title, text),
        "doc_type": find_doc_type(title, text),
    }


def running_names(running: Sequence[str]) -> tuple[str, str]:
    """(document, publisher) named by the running header of the pages: "Rigsarkivet → Vejledning til
    bekendtgørelse om arkiveringsversioner" -> its last breadcrumb step and its first. A header that only names
    the municipality or region ("Københavns Kommune") names the publisher, not the document."""
    for text in running:
        steps = [step.strip() for step in _BREADCRUMB.split(text)]
        if is_title(steps[-1]) and find_organisation(steps[-1]) != steps[-1]:
            return nfc(steps[-1]), nfc(steps[0]) if len(steps) > 1 else ""
    return "", ""


def sidecar_paths(path: Path) -> list[Path]:
    """Where a sidecar for `path` may live: "NAME.meta.json" or "NAME.ext.meta.json" (and .yaml/.yml)."""
    names = [path.stem, path.name]
    return [path.with_name(f"{name}.meta.{ext}") for name in names for ext in ("json", "yaml", "yml")]


def is_sidecar(path: Path) -> bool:
    return re.search(r"\.meta\.(json|ya?ml)$", path.name, re.IGNORECASE) is not None


def read_sidecar(path: Path) -> dict[str, str]:
    """Field overrides from the sidecar next to `path`; {} without one. Raises MetadataError when malformed."""
    sidecar = next((p for p in sidecar_paths(path) if p.is_file()), None)
    if sidecar is None:
        return {}
    raw = sidecar.read_text(encoding="utf-8", errors="replace")
    try:
        if sidecar.suffix == ".json":
            data = json.loads(raw)
        else:
            data = _load_yaml(sidecar, raw)
    except (ValueError, MetadataError) as exc:
        raise MetadataError(f"{sidecar}: malformed metadata sidecar ({exc})") from exc
    if not isinstance(data, dict):
        raise MetadataError(f"{sidecar}: metadata sidecar must be a mapping of fields, got {type(data).__name__}")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise MetadataError(f"{sidecar}: unknown metadata field(s) {unknown}; allowed: {', '.join(FIELDS)}")
    bad = sorted(key for key, value in data.items() if not isinstance(value, str | int))
    if bad:
        raise MetadataError(f"{sidecar}: metadata field(s) {bad} must be text")
    return {key: str(value) for key, value in data.items()}


def _load_yaml(sidecar: Path, raw: str) -> object:
    try:
        import yaml
    except ImportError as exc:
        raise MetadataError(f"{sidecar}: YAML sidecars need PyYAML; use NAME.meta.json instead") from exc
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise MetadataError(str(exc)) from exc
