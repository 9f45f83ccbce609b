"""The structured reply: the passages shown to a model one sentence per line, the JSON it must return, and how
that JSON becomes the answer text the guard checks.

Small models forget to cite (Qwen2.5-1.5B left out "[n]" in 33 of 40 free-text answers). With the reply
constrained by a JSON schema (response_format json_schema) they cannot: they copy the sentences they answer from,
write the short answer, and say whether those sentences answer the question at all. A copy is matched back to the
sentence it was copied from (stored at ingest), which is then quoted exactly as the document has it: a copy
shortened, joined with the next sentence or with a typo still names its sentence, while text found in no sentence
names none. The app, not the model, writes the citations and the quotes, and the guard checks the result with the
quoted sentences as its sources: every number of the answer must be in a sentence it quotes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from service.errors import LLMHTTPError, LLMRefusalError

MAX_QUOTES = 3
# A copy this short names no sentence; one this similar to a sentence (difflib's ratio) is a copy of it with a slip.
MIN_COPY = 12
NEAR_COPY = 0.9
_MARKS = {"da": ("»", "«"), "en": ("“", "”")}
_STRAY = '»«“”"„•*-–. '

# sentence number ("1.2") -> (passage number, the sentence verbatim)
Sentences = dict[str, tuple[int, str]]


def sentences_of(passages: Sequence[Mapping[str, object]]) -> Sentences:
    """The numbered sentences of the passages: a passage's `sentences` when given (the statements stored at
    ingest), else its non-empty lines."""
    numbered: Sentences = {}
    for n, passage in enumerate(passages, start=1):
        given = passage.get("sentences")
        units = list(given) if isinstance(given, list | tuple) else str(passage.get("text", "")).splitlines()
        units = [" ".join(str(unit).split()) for unit in units]
        for k, unit in enumerate((u for u in units if u), start=1):
            numbered[f"{n}.{k}"] = (n, unit)
    return numbered


def sentence_lines(sentences: Sentences, n: int) -> str:
    """Passage n as the model reads it: one sentence per line, so a copy is one line."""
    return "\n".join(text for passage, text in sentences.values() if passage == n)


def matching_sentences(copy: str, sentences: Sentences) -> list[str]:
    """The numbers of the sentences a model's copy was taken from: the sentence holding it, else the sentences it
    holds whole (a copy of two sentences), else the one sentence it nearly equals (a typo, a dropped bullet)."""
    wanted = _plain(copy)
    if len(wanted) < MIN_COPY:
        return []
    plain = {number: _plain(text) for number, (_, text) in sentences.items()}
    holding = [number for number, text in plain.items() if wanted in text]
    if holding:
        return holding[:1]
    held = [number for number, text in plain.items() if len(text) >= MIN_COPY and text in wanted]
    if held:
        return held
    ratios = {number: SequenceMatcher(None, wanted, text, autojunk=False).ratio() for number, text in plain.items()}
    best = max(ratios, key=ratios.__getitem__, default=None)
    return [best] if best is not None and ratios[best] >= NEAR_COPY else []


def _plain(text: str) -> str:
    return " ".join(text.casefold().replace("…", " ").split()).strip(_STRAY)


def answer_schema() -> dict[str, Any]:
    """The JSON the model must return: the answer, the sentences it answers from, copied, and whether those
    sentences answer the question at all. The answer comes first: asked to copy first, Qwen2.5-1.5B copied the first
    passage's sentences whatever the question; answering first, it copies the sentence its answer came from. It
    says last whether that evidence answers (small models copy the nearest sentence and then write "the agreements
    do not say")."""
    return {
        "type": "object",
        "properties": {
            "answer": {"type": "string"},
            "quotes": {"type": "array", "items": {"type": "string"}},
            "answered": {"type": "boolean"},
        },
        "required": ["answer", "quotes", "answered"],
        "additionalProperties": False,
    }


@dataclass(frozen=True)
class Reply:
    text: str  # the answer for the guard: "<answer> [1, 2]", then each quoted sentence, "»...« [n]"
    sources: list[str] | None  # per passage, the sentences quoted from it: what the guard checks against


def read_reply(reply: str, lang: str, sentences: Sentences, passages: int) -> Reply:
    """The answer of a structured reply, with the quoted sentences as the guard's sources.

    A reply that is not a JSON object is returned as it is, to be checked against the whole passages (an endpoint
    that ignored response_format answered in text); a JSON object cut off or of another shape is an LLMHTTPError;
    one with answered false, no answer, or no copy that names a sentence is the model saying the passages do not
    answer (LLMRefusalError)."""
    text = reply.strip()
    if not text.startswith("{"):
        return Reply(reply, None)
    try:
        data = json.loads(text)
    except ValueError as error:
        raise LLMHTTPError(f"the reply is not the JSON asked for: {_short(text)}") from error
    shaped = isinstance(data, dict) and isinstance(data.get("answer"), str) and isinstance(data.get("quotes"), list)
    if not shaped:
        raise LLMHTTPError(f"the reply lacks the fields quotes and answer: {_short(text)}")
    chosen = [number for copy in data["quotes"] for number in matching_sentences(str(copy), sentences)]
    quotes = [sentences[number] for number in dict.fromkeys(chosen)][:MAX_QUOTES]
    answer = " ".join(data["answer"].split())
    if data.get("answered") is False or not answer:
        raise LLMRefusalError("the model found no answer in the passages")
    if not quotes:
        raise LLMRefusalError("the model quoted no sentence of the passages")
    opening, closing = _MARKS.get(lang, _MARKS["en"])
    cites = ", ".join(dict.fromkeys(str(n) for n, _ in quotes))
    lines = [f"{answer} [{cites}]", *(f"{opening}{quoted}{closing} [{n}]" for n, quoted in quotes)]
    sources = ["\n".join(quoted for m, quoted in quotes if m == n) for n in range(1, passages + 1)]
    return Reply("\n".join(lines), sources)


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
