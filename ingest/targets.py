"""Figures agreements state for a metric (targets, baselines, actuals), each with its verbatim quote.

A statement is a sentence, a bullet or a short table row. Each number in it with a unit of measure becomes a
Target when a metric is named near it (in the statement, in the lead-in line ending with ":" above a bullet
list, or in the section heading). Kind, year and unit come from the words just before the number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace

from ingest.documents import Document
from ingest.metrics import BY_KEY, MetricHit, find_metrics
from ingest.numbers import NumberMention, find_numbers
from ingest.statements import TRIM, Statement, split_statements

# Bump when the extraction rules change: stored targets are then re-derived at the next update (no re-embedding).
TARGETS_VERSION = "8"

# Figures measured in these are never metric values: dates, law paragraphs.
_NOT_FIGURES = frozenset({"dato", "§"})

_TARGET_CUE = re.compile(
    r"(?<![a-zæøå])(?:mål|skal\b|maksim|minimum|min\.|højst|højest|mindst|fastholdes|ønsker|"
    r"nedbringes|reduceres|forventer|indikator|succeskriteri|=)"
)
_DEADLINE = re.compile(r"(?:\binden(?: for)?|\bsenest)\s*$")
_BASELINE_CUE = re.compile(r"\bfra\s*$|udgangspunkt|baseline")
_TO = re.compile(r"\btil\s*$")
_PAST_CUE = re.compile(r"\b(?:seneste|var|blev|er nedbragt|har været|udgjorde|opnåede)\b")
_YEAR_AFTER = re.compile(
    r"\s*(?:i|in|for|år|fra|from|pr\.|ultimo|primo)?\s*((?:19|20)\d\d(?:\s?[-–]\s?(?:19|20)?\d\d)?)(?!\d)"
)

_NAME = r"[A-ZÆØÅ][\wæøå&-]*(?:(?:\s+(?:og|for|&)|,)?\s+[A-ZÆØÅ][\wæøå&-]*)*"
# "det samlede socialområde", "hele Arbejdsmarked og Social"; not "det samlede budget".
_WHOLE_AREA = re.compile(
    r"\b(?:[Dd]et samlede|[Dd]en samlede|[Hh]ele|[Ss]amlede)\s+"
    r"(?:[A-ZÆØÅ][\wæøå&-]*(?:\s+og\s+[A-ZÆØÅ][\wæøå-]*)?"
    r"|[a-zæøå-]*(?:område|kommune|center|afdeling|forvaltning|organisation|enhed|region)[a-zæøå]*)"
)
_NAME_BEFORE_VALUE = re.compile(rf"({_NAME})\s*(?:[a-zæøå]+\s+)?(?:\d{{4}}\s*)?[:=]\s*$")
_NAME_AFTER_PREPOSITION = re.compile(rf"\b(?:på|i|for|ved|hos)\s+({_NAME})")
_AREA_SUBJECT = re.compile(r"[A-ZÆØÅ][a-zæøå]*område(?:t|rne)?\b")
_NEAR = 40
_SCALE_BEFORE = re.compile(r"(?:\bi|\bhele|\bbeløb|\(|-)\s*$", re.IGNORECASE)
# Between a label and its count: separators and the row's earlier counts ("pladser | 42,0 | 70,0").
_LABEL_GAP = re.compile(r"[\s:|=]*(?:[\d.,]+[\s|]*)*")
_NOT_NAMES = frozenset(
    "det der den dette de i vi måltal måltallet målet mål målsætning indikator dua hvilket hvad hvordan "
    "januar februar marts april maj juni juli august september oktober november december min".split()
)


@dataclass(frozen=True)
class Target:
    metric: str  # key in ingest.metrics.METRICS
    value: str  # verbatim, as written: "4,5 %"
    number: float  # parsed: 4.5
    measure: str  # canonical measure: "%", "mio. kr.", "dage"
    kind: str  # "target" | "baseline" | "actual"
    year: str  # "2022", a period "2021-2022", or "" when neither text nor document says
    unit: str  # the unit the figure applies to: a sub-unit, a whole area, else the document's unit
    organisation: str
    quote: str  # the verbatim statement holding `value`
    document_id: str
    document_title: str
    section: str
    page: int | None
    start: int  # offsets of `quote` in Document.text
    end: int
    # The document's own metadata, so document-level filters (unit, year, doc_type) still apply to a row
    # whose figure is for a sub-unit or another year.
    document_unit: str = ""
    document_year: str = ""
    doc_type: str = ""
    label: str = ""  # the words naming what the figure measures, as written: "Rolleklarhed", "sygefravær"


def extract_targets(document: Document) -> list[Target]:
    """Every metric figure the document states, in text order."""
    targets: list[Target] = []
    for statement in split_statements(document):
        targets.extend(_as_baselines(list(_statement_targets(document, statement))))
    # An agreement names its unit in full once ("CJU - Center for Job & Uddannelse") and by its short name after
    # ("CJU"): one unit, under the short name the text itself uses.
    short = next((t.unit for t in targets if short_name_of(t.unit, document.unit)), "")
    return [replace(t, unit=short) if short and t.unit == document.unit else t for t in targets]


def short_name_of(name: str, unit: str) -> bool:
    """ "CJU" is the short name of "CJU - Center for Job & Uddannelse" and of "Center for Job (CJU)"."""
    if not name or not unit or name == unit:
        return False
    head = re.split(r"\s+[-–]\s+|\s*\(", unit, maxsplit=1)[0].strip()
    inner = re.search(r"\(([^)]+)\)", unit)
    return name.casefold() in {head.casefold(), (inner.group(1) if inner else "").casefold()}


def _as_baselines(found: list[Target]) -> list[Target]:
    """A measured figure stated beside a later target for the same unit and metric is the target's starting point
    ("Rolleklarhed ... CJU 2020: 68,3% CJU målsætning 2022: 75%"): a baseline, not just an actual."""
    targets = {(t.unit, t.metric): t.year for t in found if t.kind == "target" and t.year[:4].isdigit()}
    return [
        replace(t, kind="baseline")
        if t.kind == "actual" and t.year[:4].isdigit() and t.year[:4] < targets.get((t.unit, t.metric), "")[:4]
        else t
        for t in found
    ]


def _statement_targets(document: Document, statement: Statement) -> Iterator[Target]:
    text = statement.text
    hits = find_metrics(text)
    heading = " > ".join(statement.heading_path)
    lead_hits = [(hit, statement.lead) for hit in find_metrics(statement.lead)]
    heading_hits = [(hit, heading) for hit in find_metrics(heading)]
    mentions = find_numbers(text)
    previous_end = 0
    for mention in mentions:
        if _is_scale_label(text, mention):
            continue
        found = _metric_for(text, mention, mentions, hits, lead_hits, heading_hits)
        if found is None:
            continue
        metric, label = found
        before = text[previous_end : mention.start]
        year, words_end = _year(text, mention, before)
        kind = _kind(text, mention, before, statement.lead, year, document.year, BY_KEY[metric].descriptive)
        if not year and (kind == "target" or (kind == "actual" and not _PAST_CUE.search(text.lower()))):
            year = document.year  # what an agreement sets or states in the present tense is for its own period
        yield Target(
            metric=metric,
            value=mention.raw,
            number=mention.value,
            measure=mention.measure,
            kind=kind,
            year=year,
            unit=_unit(text, mention, before, mentions, document, statement.preceding),
            label=label,
            organisation=document.organisation,
            quote=text,
            document_id=document.id,
            document_title=document.title,
            section=" > ".join(statement.heading_path),
            page=document.page_at(statement.start),
            start=statement.start,
            end=statement.end,
            document_unit=document.unit,
            document_year=document.year,
            doc_type=document.doc_type,
        )
        previous_end = words_end


def _is_scale_label(text: str, mention: NumberMention) -> bool:
    """ "Beløb i 1.000 kr." / "Område - hele 1.000 kr" declare a table's scale, not an amount."""
    if mention.measure not in ("kr.", "mio. kr.") or mention.value not in (1_000.0, 1_000_000.0):
        return False
    return bool(_SCALE_BEFORE.search(text[: mention.start]))


def _measure_of(mention: NumberMention) -> str | None:
    """The measure a figure is compared in, or None when the number is not a figure (a year, a count)."""
    if mention.measure in _NOT_FIGURES or mention.is_year:
        return None
    if not mention.measure:
        # A bare fraction ("2/3 dele af borgerne") is a share; other bare numbers are counts ("" here), which
        # count only right after their label ("Fuldtidspladser: 20").
        if "/" in mention.raw:
            return "%"
        return "" if mention.value_to is None else None
    return mention.measure


def _metric_for(
    text: str,
    mention: NumberMention,
    mentions: list[NumberMention],
    hits: list[MetricHit],
    lead_hits: list[tuple[MetricHit, str]],
    heading_hits: list[tuple[MetricHit, str]],
) -> tuple[str, str] | None:
    """The metric a figure is for and the words that name it (as written), or None."""
    found = _metric_hit(text, mention, mentions, hits)
    if found is not None:
        return found.key, text[found.start : found.end]
    measure = _measure_of(mention)
    if measure is None or measure == "":
        return None
    for context in (lead_hits, heading_hits):
        fitting = [(hit, source) for hit, source in context if measure in BY_KEY[hit.key].measures]
        if fitting:
            hit, source = fitting[-1]
            return hit.key, source[hit.start : hit.end]
    return None


def _metric_hit(
    text: str, mention: NumberMention, mentions: list[NumberMention], hits: list[MetricHit]
) -> MetricHit | None:
    measure = _measure_of(mention)
    if measure is None:
        return None
    allowed = [hit for hit in hits if measure in BY_KEY[hit.key].measures]
    if measure == "":
        labels = [hit for hit in allowed if hit.end <= mention.start]
        between = text[labels[-1].end : mention.start] if labels else "x"
        return labels[-1] if _LABEL_GAP.fullmatch(between) else None
    preceding = [hit for hit in allowed if hit.end <= mention.start]
    following = [hit for hit in allowed if hit.start >= mention.end]
    if preceding and any(preceding[-1].end <= other.start < mention.start and _measure_of(other) for other in mentions):
        # A series of figures after one label ("Rolleklarhed ... 2020: 70% ... 2022: 75%") keeps the label.
        return preceding[-1]
    if preceding and following:
        # The nearer name wins, with a bias to the preceding one: Danish states the metric first.
        before_distance = mention.start - preceding[-1].end
        after_distance = following[0].start - mention.end
        return preceding[-1] if before_distance <= 2 * after_distance + 20 else following[0]
    if preceding or following:
        return (preceding[-1:] or following)[0]
    return None


def _year(text: str, mention: NumberMention, before: str) -> tuple[str, int]:
    """The year a figure applies to, and where the words about this figure end: a year right after it
    ("8 % i 2022") belongs to it and not to the next figure ("... og 4,1 mio. kr. i overslagsårene")."""
    after = _YEAR_AFTER.match(text, mention.end)
    if after and after.end() - mention.end <= 12:
        return after.group(1), after.end()
    years = [m for m in find_numbers(before) if m.is_year or (m.is_range and m.measure == "" and m.value > 1900)]
    return (years[-1].raw if years else ""), mention.end


def _kind(
    text: str, mention: NumberMention, before: str, lead: str, year: str, document_year: str, descriptive: bool
) -> str:
    lowered = before.lower()
    if _BASELINE_CUE.search(lowered):
        return "baseline"
    if _TO.search(lowered) and re.search(r"\bfra\b", text[: mention.start].lower()):
        if _PAST_CUE.search(text.lower()) or _before_year(year, document_year):
            return "actual"
        return "target"
    if _DEADLINE.search(lowered) or _TARGET_CUE.search(lowered) or _TARGET_CUE.search(lead.lower()):
        return "target"
    if _PAST_CUE.search(text.lower()) or _before_year(year, document_year):
        return "actual"
    # No wording either way: a capacity or budget figure ("Fuldtidspladser: 20") describes how things are; a
    # figure for a goal metric in an agreement is what the agreement sets.
    return "actual" if descriptive else "target"


def _before_year(year: str, document_year: str) -> bool:
    return bool(year[:4].isdigit() and document_year[:4].isdigit() and year[:4] < document_year[:4])


def _unit(
    text: str,
    mention: NumberMention,
    before: str,
    mentions: list[NumberMention],
    doc: Document,
    preceding: str,
) -> str:
    candidates = _unit_candidates(before, doc)
    if candidates:
        return max(candidates, key=lambda c: (c[0], len(c[1])))[1]
    following = [m.start for m in mentions if m.start > mention.end and _measure_of(m)]
    after = text[mention.end : following[0] if following else len(text)]
    # After the figure only a short phrase ("er 8 % i 2022 på Bakkegården") or a whole area names the unit.
    candidates = [(end, name) for end, name in _unit_candidates(after, doc) if end <= _NEAR or _is_area(name)]
    if candidates:
        return min(candidates, key=lambda c: (c[0], -len(c[1])))[1]
    # A table row led by a name ("Kilen | Servicelovens §103 | Fuldtidspladser: 20").
    cells = [cell.strip() for cell in text.split("|")]
    if len(cells) >= 3 and re.fullmatch(r"[A-ZÆØÅ][\wæøå/&., -]{0,39}", cells[0]) and _is_name(cells[0]):
        return cells[0]
    # The paragraph's subject, when it is an area ("Socialområdet har ... Sygefraværet er nedbragt fra ...").
    subject = _AREA_SUBJECT.match(preceding.lstrip(TRIM))
    if subject:
        return subject.group(0)
    return doc.unit


def _is_area(name: str) -> bool:
    return _WHOLE_AREA.fullmatch(name) is not None


def _unit_candidates(segment: str, doc: Document) -> list[tuple[int, str]]:
    """(end position, unit name) for every unit named in `segment`."""
    found: list[tuple[int, str]] = []
    for match in _WHOLE_AREA.finditer(segment):
        phrase = match.group(0)
        rest = phrase.split(None, 2)[-1] if phrase.lower().startswith(("det ", "den ")) else phrase.split(None, 1)[1]
        same_as_document = rest.lower() in {doc.unit.lower(), doc.organisation.lower()} - {""}
        found.append((match.end(), rest if same_as_document else phrase))
    for pattern in (_NAME_BEFORE_VALUE, _NAME_AFTER_PREPOSITION):
        for match in pattern.finditer(segment):
            name = match.group(1).strip(" ,")
            if _is_name(name):
                found.append((match.end(1), name))
    return found


def _is_name(name: str) -> bool:
    first = name.split()[0].lower().strip(",")
    return first not in _NOT_NAMES and not find_metrics(name)


def targets_to_records(targets: list[Target]) -> list[dict]:
    """JSON-ready dicts, one per target (the index stores them per document as JSON lines)."""
    return [asdict(target) for target in targets]


def targets_from_records(records: list[dict]) -> list[Target]:
    """Inverse of `targets_to_records`; unknown keys (from a newer writer) are ignored."""
    fields = set(Target.__dataclass_fields__)
    return [Target(**{key: value for key, value in record.items() if key in fields}) for record in records]
