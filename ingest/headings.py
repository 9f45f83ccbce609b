"""Heading detection: find where a document's own sections begin, and how deep each heading sits.

Recognised from their shape rather than from a list of known titles: numbered headings ("2.6.1. Nedbringelse af
sygefravær", also inside run-together scraped lines) and goal table rows ("Mål nr. 6 | Fortsat arbejde ...").
The headings the file itself marks come first: a web page's heading tags and Word's heading styles are the
structure outright; a PDF's larger type (ingest/layout.py) where the document has no numbering the layout confirms.
Else, in documents without numbering, short title lines of a recurring template ("Baggrund og formål",
"Aktiviteter:").
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

_NUMBERED = re.compile(
    r"(?P<prefix>[A-ZÆØÅ][a-zæøå]+ [a-zæøå]+ )?(?P<num>\d{1,2}(?:\.\d{1,2}){0,4})(?P<dot>\.?)[ \t]+(?=[A-ZÆØÅ])"
)
_SENTENCE_END = re.compile(r"(?:[.!?][\"”’')]?|\))[ \t]+")
# In run-together lines a multi-level number that continues the numbering is a heading wherever it stands.
_MULTI_LEVEL = re.compile(r"(?<![\w.,])\d{1,2}(?:\.\d{1,2})+\.?[ \t]+(?=[A-ZÆØÅ])")
_GOAL_ROW = re.compile(
    r"(?:Mål|Delmål|Udviklingsmål|Indsatsmål|Indsatsområde|Fokusområde|Tema|Goal)[ \t]*(?:nr\.?)?[ \t]*\d{1,2}[ \t]*\|",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"\S+")
_SECTION_NUMBER = re.compile(r"\d{1,2}(?:\.\d{1,2})*\.?")
_BULLET = re.compile(r"^[-•▪–*o]\s")

# A title does not end on these, so a capitalised name after them is still part of it ("Revitalisering
# af Sensum One").
_FUNCTION_WORDS = frozenset("af for i på og med til om ved fra en et de den det eller samt som mellem".split())
# Words that open a Danish sentence; after a one-word title ("2. Brugerundersøgelse Målet skal ...").
_SENTENCE_STARTERS = frozenset("Det Der Den De Dette Disse Vi Vores Målet Formålet Man Her Når Hvis I".split())
_FINITE_VERBS = frozenset("er har skal kan vil bliver blev var".split())

_MAX_TITLE = 110  # longer than this it is a sentence, not a heading
_LONG_LINE = 300  # lines this long are run-together pages: look for headings after sentence ends too
_MAX_NUMBER_PART = 40  # "2022 Bakkegården" is a year, not section 2022
_MAX_NUMBER_STEP = 3  # sections may be skipped ("2.4.2" then "2.4.5")
_MAX_LABEL_CHARS = 100
_MAX_LABEL_WORDS = 14
_MIN_NUMBERED_HEADINGS = 3  # fewer than this and the document is treated as unnumbered
_MIN_MARKED_HEADINGS = 2  # a file marking fewer headings than this in its text says nothing of its structure
_KEY_DROP = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Heading:
    start: int  # where the section begins (a kicker line above the title is included)
    text: str  # verbatim heading text
    level: int


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    text: str


def _lines(text: str) -> list[_Line]:
    lines, offset = [], 0
    for raw in text.split("\n"):
        lines.append(_Line(offset, offset + len(raw), raw))
        offset += len(raw) + 1
    return lines


def _parse_number(num: str) -> tuple[int, ...] | None:
    parts = tuple(int(p) for p in num.split("."))
    if any(p == 0 or p > _MAX_NUMBER_PART for p in parts):
        return None
    return parts


def follows(number: tuple[int, ...], current: tuple[int, ...] | None) -> bool:
    """True when `number` can come next after `current` in a section numbering (first child or later sibling)."""
    if current is None:
        return number[0] <= _MAX_NUMBER_STEP and all(p == 1 for p in number[1:])
    if len(number) == len(current) + 1 and number[:-1] == current and number[-1] <= _MAX_NUMBER_STEP:
        return True  # first child, or a later one when the first was not recognised
    for depth in range(len(current)):
        if len(number) == depth + 1 and number[:depth] == current[:depth]:
            if 1 <= number[depth] - current[depth] <= _MAX_NUMBER_STEP:
                return True
    return False


def _title_end(text: str, start: int, line_end: int, at_line_start: bool, multi_level: bool) -> int | None:
    """End of a heading title that starts at `start`, or None when what follows reads as a sentence.

    A short line is a title to its end. In a run-together line the title ends where a capitalised word
    follows a lowercase word ("... ramme for arbejdet Virksomhedsplanen samler"), or at the next section
    number, since Danish titles are written in sentence case. A multi-level number ("3.2") is strong enough
    evidence to fall back on the first capitalised word ("3.2 Frivillighed Socialområdet i ...").
    """
    rest = text[start:line_end]
    stripped = rest.rstrip()
    ends_like_title = not stripped.endswith((".", ",", ";"))
    if at_line_start and len(stripped) <= _MAX_TITLE:
        return start + len(stripped) if ends_like_title else None
    previous, previous_end = "", 0
    fallback: int | None = None
    for token in _TOKEN.finditer(rest):
        word = token.group()
        if token.start() > _MAX_TITLE:
            break
        if previous and _starts_new_text(previous, word) and previous.lower() not in _FUNCTION_WORDS:
            return start + previous_end
        if previous and fallback is None and word[0].isupper() and previous.lower() not in _FUNCTION_WORDS:
            fallback = start + previous_end
        if word.endswith((".", ":", ";")) and not _is_section_number(word):
            break
        if word.lower() in _FINITE_VERBS:
            break  # "3 Definitionen er fra ...": a sentence, not a title
        previous, previous_end = word, token.end()
    else:
        if ends_like_title and len(stripped) <= _MAX_TITLE:
            return start + len(stripped)
    return fallback if multi_level else None


def _is_section_number(word: str) -> bool:
    return _SECTION_NUMBER.fullmatch(word) is not None and _parse_number(word.rstrip(".")) is not None


def _starts_new_text(previous: str, word: str) -> bool:
    previous_lower = previous[0].islower() and previous[-1] not in ".:;,"
    if _is_section_number(word):
        # "Bilag 1 Effektstyring" keeps its number; "... rehabilitering 2 Faglig ..." starts the next one.
        return "." in word or previous_lower
    if not word[0].isupper():
        return False
    return previous_lower or previous.endswith(("!", "?")) or word in _SENTENCE_STARTERS


def numbered_headings(text: str) -> list[Heading]:
    """Numbered headings in document order, validated against the numbering seen so far."""
    lines = _lines(text)
    found: list[Heading] = []
    current: tuple[int, ...] | None = None
    top_style: str | None = None  # the first top-level heading's style ("1." or "1") binds the rest
    for index, line in enumerate(lines):
        stripped_start = line.start + len(line.text) - len(line.text.lstrip())
        positions = [stripped_start]
        if len(line.text) > _LONG_LINE:
            positions += [line.start + m.end() for m in _SENTENCE_END.finditer(line.text)]
            positions += [line.start + m.start() for m in _MULTI_LEVEL.finditer(line.text)]
        pending = sorted(set(positions))
        while pending:
            pos = pending.pop(0)
            match = _NUMBERED.match(text, pos, line.end)
            if match is None:
                continue
            heading = _numbered_at(text, match, line, current, lines, index, pos == stripped_start)
            if heading is None:
                continue
            number, found_heading, end = heading
            if len(number) == 1:
                # "7 Elever i gennemsnit" in a document numbered "5. Økonomi" is a line of a list, not a heading.
                top_style = match.group("dot") if top_style is None else top_style
                if match.group("dot") != top_style:
                    continue
            found.append(found_heading)
            current = number
            # The next heading may follow the title directly: "2 Faglig ramme 2.1 Faglig ramme for ...".
            after = end + len(text[end : line.end]) - len(text[end : line.end].lstrip())
            pending = sorted({p for p in pending if p > end} | ({after} if after < line.end else set()))
    return found


def _numbered_at(
    text: str,
    match: re.Match[str],
    line: _Line,
    current: tuple[int, ...] | None,
    lines: list[_Line],
    index: int,
    at_line_start: bool,
) -> tuple[tuple[int, ...], Heading, int] | None:
    number = _parse_number(match.group("num"))
    if number is None:
        return None
    prefix = match.group("prefix")
    if prefix and not (number == (1,) and match.group("dot")):
        return None  # a label before a number only marks a new numbered group starting at 1
    end = _title_end(text, match.end(), line.end, at_line_start, multi_level=len(number) > 1)
    if end is None:
        return None
    if prefix:
        return number, Heading(match.start(), text[match.start() : end].strip(), 1), end
    if not follows(number, current):
        return None
    if at_line_start and _in_numbered_list(lines, index, number):
        return None
    return number, Heading(match.start(), text[match.start() : end].strip(), len(number)), end


def _line_number(line: _Line) -> tuple[int, ...] | None:
    match = _NUMBERED.match(line.text.lstrip())
    if match is None or match.group("prefix"):
        return None
    return _parse_number(match.group("num"))


def _in_numbered_list(lines: list[_Line], index: int, number: tuple[int, ...]) -> bool:
    """A line directly next to a numbered sibling (n-1 or n+1) is a list item, not a heading."""
    for step in (-1, 1):
        j = index + step
        while 0 <= j < len(lines) and not lines[j].text.strip():
            j += step
        if 0 <= j < len(lines):
            other = _line_number(lines[j])
            if other and len(other) == len(number) and other[:-1] == number[:-1] and abs(other[-1] - number[-1]) == 1:
                return True
    return False


def goal_row_headings(text: str, numbered: list[Heading]) -> list[Heading]:
    """Goal-table rows ("Mål nr. 6 | ...") as headings one level below the numbered heading above them."""
    found: list[Heading] = []
    for line in _lines(text):
        stripped = line.text.strip()
        if not _GOAL_ROW.match(stripped):
            continue
        above = [h for h in numbered if h.start <= line.start]
        level = (above[-1].level + 1) if above else 1
        start = line.start + len(line.text) - len(line.text.lstrip())
        found.append(Heading(start, stripped.rstrip(" |"), level))
    return found


def _is_label_candidate(stripped: str) -> bool:
    return (
        1 < len(stripped) <= _MAX_LABEL_CHARS
        and stripped[0].isupper()
        and not stripped.endswith((".", ",", ";"))
        and "|" not in stripped
        and not _BULLET.match(stripped)
        and len(stripped.split()) <= _MAX_LABEL_WORDS
    )


def _label_key(stripped: str) -> str:
    return stripped.rstrip(": ").lower()


def label_headings(text: str) -> list[Heading]:
    """Template headings of an unnumbered document: recurring short lines, and titles right after a kicker.

    A short line that recurs ("Baggrund og formål", "Aktiviteter:") is a level-2 heading. A one-off short
    line directly after a recurring one ("Udviklingsmål" / "God modtagelse") is a level-1 title, and its
    section starts at the kicker line.
    """
    lines = [line for line in _lines(text) if line.text.strip()]
    counts = Counter(_label_key(line.text.strip()) for line in lines if _is_label_candidate(line.text.strip()))
    recurring = {key for key, n in counts.items() if n >= 2}
    found: list[Heading] = []
    skip_next = False
    for i, line in enumerate(lines):
        stripped = line.text.strip()
        if skip_next:
            skip_next = False
            continue
        if not _is_label_candidate(stripped) or _label_key(stripped) not in recurring:
            continue
        start = line.start + len(line.text) - len(line.text.lstrip())
        nxt = lines[i + 1].text.strip() if i + 1 < len(lines) else ""
        kicker = not stripped.endswith(":")  # "Aktiviteter:" introduces content, "Udviklingsmål" a title
        if kicker and nxt and _is_label_candidate(nxt) and _label_key(nxt) not in recurring and not nxt.endswith(":"):
            found.append(Heading(start, nxt, 1))
            skip_next = True
        else:
            found.append(Heading(start, stripped, 2))
    return found


def _key(text: str) -> str:
    """Letters and digits only, casefolded, accents dropped: a heading as the file's layout reports it ("Delingaf
    kommunale social-og ...", runs joined without their spaces) against the same line of the cleaned text."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return _KEY_DROP.sub("", "".join(c for c in decomposed if not unicodedata.combining(c)))


def marked_headings(text: str, marked: tuple[tuple[str, int], ...]) -> list[Heading]:
    """The headings the file marks (text, level), found in order as whole lines of the cleaned text (or two
    lines, for a heading wrapped in the text but not in the layout). One not found (a running header removed by
    cleaning, a line cleaning changed) is left out."""
    lines = [line for line in _lines(text) if line.text.strip()]
    keys = [_key(line.text) for line in lines]
    found: list[Heading] = []
    position = 0
    for heading_text, level in marked:
        key = _key(heading_text)
        if not key:
            continue
        for n in range(position, len(lines)):
            one = keys[n] == key
            if one or (n + 1 < len(lines) and keys[n] and keys[n] + keys[n + 1] == key):
                line = lines[n]
                start = line.start + len(line.text) - len(line.text.lstrip())
                words = line.text if one else f"{line.text} {lines[n + 1].text}"
                found.append(Heading(start, " ".join(words.split()), level))
                position = n + (1 if one else 2)
                break
    return found


def find_headings(text: str, marked: tuple[tuple[str, int], ...] = (), marked_up: bool = False) -> list[Heading]:
    """All headings of a cleaned document text, sorted by position; `marked`: the lines its file sets as
    headings, with their level. Headings marked up by the author (`marked_up`: HTML tags, Word heading styles) are
    the structure outright; headings read from type size defer to a numbering the layout confirms, whose levels
    are surer."""
    numbered = numbered_headings(text)
    from_file = marked_headings(text, marked)
    if marked_up and len(from_file) >= _MIN_MARKED_HEADINGS:
        top = min(h.level for h in from_file)
        if [h.level for h in from_file].count(top) == 1 and from_file[0].level == top:
            from_file = from_file[1:]  # one heading above all the others is the page's title, not a section
        return sorted(from_file + goal_row_headings(text, []), key=lambda h: h.start)
    if len(from_file) >= _MIN_MARKED_HEADINGS and not _set_as_headings(text, numbered, from_file):
        numbered = []  # numbered lines the file does not set as headings: footnotes, numbered lists
    headings = numbered + goal_row_headings(text, numbered)
    if len(numbered) < _MIN_NUMBERED_HEADINGS:
        taken = {h.start for h in headings}
        unnumbered = from_file if len(from_file) >= _MIN_MARKED_HEADINGS else label_headings(text)
        headings += [h for h in unnumbered if h.start not in taken]
    return sorted(headings, key=lambda h: h.start)


def _set_as_headings(text: str, numbered: list[Heading], marked: list[Heading]) -> bool:
    """At least half of the numbered headings are on (or next to: a kicker line) a line the file sets as a
    heading."""
    if not numbered:
        return False
    marked_lines = {text.count("\n", 0, h.start) for h in marked}
    confirmed = sum(
        any(line in marked_lines for line in (text.count("\n", 0, h.start) + step for step in (0, 1))) for h in numbered
    )
    return 2 * confirmed >= len(numbered)
