"""The answer guard: a generated answer is shown only if all it claims can be traced to a cited passage.

Checks, in order (the first failure is the reason): every citation [n] names a passage that was given; there
is at least one citation; every quote is verbatim (whitespace-normalised) in a cited passage; every number
occurs in a cited passage (by value: "4,5 %" == "4,5 pct."); at least one quote or number is there at all;
the answer is in the question's language; and, when the question asks for a figure, the answer states one the
question does not already give ("Hvornår i 2022 ..." is not answered by "i 2022"; a month named counts as a date),
of the kind asked (an amount, a share, a count) where the passages state it.

"Cited" is decided per sentence: a quote or number must be backed by a passage cited in its own sentence, and
only a sentence without any citation may lean on the passages cited elsewhere in the answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.numbers import NumberMention, find_numbers, same_number
from service.figures import answers_figure, asks_kind, figures_in, months
from service.language import DANISH, ENGLISH, detect_language

_CITATION = re.compile(r"\[\s*(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*\]")
# “…” and "…" (English), »…« and „…“ (Danish), «…» (European). Single quotes are apostrophes too often.
_QUOTE = re.compile(r"“([^”]+)”|\"([^\"]+)\"|«([^»]+)»|»([^«]+)«|„([^“”]+)[“”]")
_ELLIPSIS = re.compile(r"\s*(?:…|\.\.\.|\[\.\.\.\]|\[…\])\s*")
# A sentence ends at . ! ? before a capital letter or a line break; "13.4 mio. kr. i 2023" stays whole.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅ\"“«»„*])|\n+")
# Citations written after the full stop ("... 4,5 %. [1]") belong to the sentence before them; the stop is
# kept on both sides so "kr." stays "kr." in reasons.
_TRAILING_CITATIONS = re.compile(r"([.!?])((?:\s*\[[\d\s,;]+\])+)")
_PLACEHOLDER = re.compile(r"\x00(\d+)\x00")
_LIST_MARKER = re.compile(r"(?m)^\s*\d{1,2}[.)]\s+")
_WORD = re.compile(r"[a-zæøåéü]+")
_LANGUAGE_NAMES = {"da": "Danish", "en": "English"}
# Fewer stopwords than this and a language verdict would be a coin toss ("Måltal: 4,5 % [1]."): no check.
_MIN_LANGUAGE_EVIDENCE = 2


@dataclass(frozen=True)
class GuardResult:
    ok: bool
    reason: str  # "" when ok; otherwise a short sentence saying what failed
    # (passage number, verbatim supporting text from that passage): the answer's quote, else the passage's
    # sentence holding a number the answer uses, else "" (the passage as a whole backs the answer).
    citations: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Sentence:
    text: str  # citations removed
    cites: frozenset[int]


def parse_citations(answer: str) -> list[int]:
    """Passage numbers in order of first appearance: "[2] ... [1, 3]" -> [2, 1, 3]."""
    seen: list[int] = []
    for match in _CITATION.finditer(answer):
        for number in re.split(r"\s*[,;]\s*", match.group(1)):
            if int(number) not in seen:
                seen.append(int(number))
    return seen


def check_answer(
    answer: str,
    passages: Sequence[str],
    question_lang: str,
    *,
    metadata: Sequence[str] | None = None,
    require_evidence: bool = True,
    require_figure: bool = False,
    question: str = "",
) -> GuardResult:
    """Check a generated answer against the numbered passages it was given ([1] is passages[0]).

    `metadata` (optional, one string per passage: document title, section, page) counts as a source of
    numbers such as the agreement's year, but not of quotes, which must come from the passage text.
    `require_evidence`: the answer must carry at least one quote or number found in a cited passage. Without
    it, fluent text with a stray [1] and no checkable claim would pass (small models write exactly that).
    `require_figure`: the question asks for a figure; with `question` too, one the answer states must be of the
    kind the question asks for where a passage states it (service/figures.py), so "2325 citizens" read off
    "2325 kr. pr. uge pr. borger" does not pass for "how many citizens"."""
    answer = unicodedata.normalize("NFC", answer).strip()
    passages = [unicodedata.normalize("NFC", passage) for passage in passages]
    if not answer:
        return GuardResult(False, "the answer is empty")
    cited = parse_citations(answer)
    unknown = [n for n in cited if not 1 <= n <= len(passages)]
    if unknown:
        return GuardResult(False, f"cites passage [{unknown[0]}], but only {len(passages)} were given")
    if not cited:
        return GuardResult(False, "the answer cites no passage")

    sentences = _sentences(answer)
    support: dict[int, str] = {}
    for sentence in sentences:
        sources = sorted(sentence.cites) or cited
        failure = _check_quotes(sentence.text, sources, passages, support)
        if failure:
            return GuardResult(False, failure)
    number_sources = [
        passage + "\n" + (metadata[i] if metadata and i < len(metadata) else "") for i, passage in enumerate(passages)
    ]
    mentions = [find_numbers(source) for source in number_sources]
    for sentence in sentences:
        sources = sorted(sentence.cites) or cited
        failure = _check_numbers(sentence.text, sources, passages, mentions, support)
        if failure:
            return GuardResult(False, failure)
    if require_evidence and not support:
        return GuardResult(False, "the answer neither quotes nor gives a figure from the passages")
    failure = _check_language(answer, question_lang)
    if failure:
        return GuardResult(False, failure)
    failure = _figure_failure(own_words(answer), question, passages) if require_figure else ""
    if failure:
        return GuardResult(False, failure)
    return GuardResult(True, "", [(n, support.get(n, "")) for n in cited])


def _figure_failure(words: str, question: str, passages: Sequence[str]) -> str:
    """Why an answer to a figure question does not answer it ("" when it does). `words`: the answer's own.

    A figure the question itself gives is not its answer: in the first runs of rounds 17-26, 9 answers that passed
    the guard stated only the question's own year or figure: 5 wrong figures, 2 answers to questions the documents
    do not answer, and 2 right ones (one gave its count as the word "two", which no check here reads as a figure;
    one was a list question read as asking for a figure)."""
    stated = find_numbers(words)
    if not stated:
        return "the question asks for a figure and the answer states none"
    given = find_numbers(question)
    new = [n for n in stated if not any(same_number(n, g) for g in given)]
    if not new and not months(words) - months(question):
        return "the question asks for a figure and the answer states none but those the question gives"
    if question and asks_kind(question) and not _of_asked_kind(question, new, passages):
        shown = (new or stated)[0].raw
        return f"“{shown}” is not the kind of figure the question asks for where the passages state it"
    return ""


def _of_asked_kind(question: str, stated: list[NumberMention], passages: Sequence[str]) -> bool:
    """A figure the answer states is, on a line of a passage stating it, of the kind the question asks for."""
    for passage in passages:
        for line in passage.splitlines():
            found = [m for m in figures_in(line) if any(same_number(m, s) for s in stated)]
            if found and answers_figure(question, line, found):
                return True
    return False


def own_words(answer: str) -> str:
    """What an answer says in its own words: its quotes and citations left out."""
    return _CITATION.sub(" ", _QUOTE.sub(" ", answer))


def _sentences(answer: str) -> list[_Sentence]:
    # Quotes are set aside first: a quoted passage may hold line breaks, full stops and "2." at a line start.
    quotes: list[str] = []

    def set_aside(match: re.Match[str]) -> str:
        quotes.append(match.group(0))
        return f"\x00{len(quotes) - 1}\x00"

    text = _QUOTE.sub(set_aside, answer)
    # "1." list markers are layout, not claims, and must go before they read as sentences of their own.
    text = _LIST_MARKER.sub("", text)
    text = _TRAILING_CITATIONS.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(1)}", text)
    sentences = []
    for piece in _SENTENCE_END.split(text):
        if piece.strip():
            cites = frozenset(parse_citations(piece))
            restored = _PLACEHOLDER.sub(lambda m: quotes[int(m.group(1))], piece)
            sentences.append(_Sentence(_CITATION.sub(" ", restored), cites))
    return sentences


def _quotes(text: str) -> list[str]:
    return [next(group for group in match.groups() if group is not None) for match in _QUOTE.finditer(text)]


def _quote_pattern(quote: str) -> re.Pattern[str] | None:
    """Whitespace-tolerant pattern for a quote; "…" inside it may skip text, as in "a … b"."""
    parts = [part.split() for part in _ELLIPSIS.split(quote.strip())]
    parts = [words for words in parts if words]
    if not parts:
        return None
    return re.compile(r".*?".join(r"\s+".join(re.escape(word) for word in words) for words in parts), re.DOTALL)


def _check_quotes(text: str, sources: list[int], passages: Sequence[str], support: dict[int, str]) -> str:
    for quote in _quotes(text):
        pattern = _quote_pattern(quote)
        if pattern is None:
            continue
        for n in sources:
            found = pattern.search(passages[n - 1])
            if found:
                support.setdefault(n, found.group(0))
                break
        else:
            return f"the quote “{_short(quote)}” is not verbatim in passage {_refs(sources)}"
    return ""


def _check_numbers(
    text: str,
    sources: list[int],
    passages: Sequence[str],
    mentions: list[list[NumberMention]],
    support: dict[int, str],
) -> str:
    unquoted = _QUOTE.sub(" ", text)  # quoted text was already matched verbatim
    for number in find_numbers(unquoted):
        backing = next((n for n in sources if any(same_number(number, m) for m in mentions[n - 1])), None)
        if backing is None:
            return f"the number “{number.raw}” is not in passage {_refs(sources)}"
        if backing not in support:
            support[backing] = _sentence_around(passages[backing - 1], number, mentions[backing - 1])
    return ""


def _sentence_around(passage: str, number: NumberMention, mentions: list[NumberMention]) -> str:
    match = next((m for m in mentions if same_number(number, m) and m.end <= len(passage)), None)
    if match is None:
        return ""  # the number came from the passage's metadata, not its text
    start = max(passage.rfind(". ", 0, match.start), passage.rfind("\n", 0, match.start)) + 1
    ends = [i for i in (passage.find(". ", match.end), passage.find("\n", match.end)) if i != -1]
    end = min(ends) + 1 if ends else len(passage)
    return passage[start:end].strip()


def _check_language(answer: str, question_lang: str) -> str:
    # Quotes are Danish by design, even in an English answer: judge only the answer's own words.
    own = own_words(answer)
    words = _WORD.findall(own.lower())
    evidence = sum(word in DANISH for word in words) + sum(word in ENGLISH for word in words)
    if evidence < _MIN_LANGUAGE_EVIDENCE:
        return ""
    found = detect_language(own)
    if found != question_lang:
        expected = _LANGUAGE_NAMES.get(question_lang, question_lang)
        return f"the answer is in {_LANGUAGE_NAMES.get(found, found)}, the question in {expected}"
    return ""


def _refs(numbers: list[int]) -> str:
    return "[" + ", ".join(str(n) for n in numbers) + "]"


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
