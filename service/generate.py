"""Generated answers: prompt an LLM with numbered passages, then let the guard decide whether it may be shown.

Anything short of a guard-passing answer (guard failure, timeout, connection error, refusal, empty reply)
gives mode "extractive-fallback" with the reason; the caller's extractive answer is shown instead.

Streaming choice: `stream_answer` streams only AFTER the guard has passed. The model's tokens are collected
(over the streaming endpoint, so the overall deadline applies), the complete answer is checked, and only then
is it sent on in pieces. Token-by-token display with a check at the end would put unchecked numbers on the
user's screen and then take them back; in a product whose promise is "every number is sourced", a retracted
number is worse than a second of waiting. The pieces still let the page render progressively.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from service.errors import LLMError, LLMRefusalError, LLMTimeoutError
from service.guard import check_answer
from service.language import detect_language
from service.llm import LLMClient, Message
from service.prompts import PromptSet
from service.reply import Reply, Sentences, answer_schema, read_reply, sentence_lines, sentences_of

GENERATED = "generated"
FALLBACK = "extractive-fallback"
MAX_HISTORY_TURNS = 4
MAX_TURN_CHARS = 600
_STREAM_PIECE = re.compile(r"\S+\s*|\s+")
_REWRITE_LABEL = re.compile(r"^\s*(?:standalone question|selvstændigt spørgsmål|spørgsmål|question)\s*:\s*", re.I)


@dataclass(frozen=True)
class Generated:
    text: str
    citations: list[tuple[int, str]] = field(default_factory=list)  # (passage number, verbatim support)
    mode: str = GENERATED  # "generated" | "extractive-fallback"
    reason: str = ""  # why it fell back; "" when generated


@dataclass(frozen=True)
class StreamEvent:
    kind: Literal["delta", "done"]
    text: str = ""  # a piece of the checked answer (delta)
    result: Generated | None = None  # the full outcome (done)

    def to_sse(self) -> str:
        """One server-sent event: `event: delta|done`, JSON data."""
        if self.kind == "delta":
            data: dict[str, object] = {"text": self.text}
        else:
            assert self.result is not None
            data = {
                "text": self.result.text,
                "mode": self.result.mode,
                "reason": self.result.reason,
                "citations": [[n, quote] for n, quote in self.result.citations],
            }
        return f"event: {self.kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def format_passages(
    prompts: PromptSet, lang: str, passages: Sequence[Mapping[str, object]], sentences: Sentences | None = None
) -> str:
    """Numbered passages [1] ... [n] for the prompt; each dict has text and, if known, document_title
    (or document_id), section and page, as in the API's passage shape. With `sentences`, each passage is shown as
    its sentences, one per line, instead of its text."""
    missing = "–" if lang == "da" else "n/a"
    blocks = [
        prompts.render(
            "passage",
            lang,
            n=i,
            document=_field(passage, "document_title", "document_id") or missing,
            section=_field(passage, "section") or missing,
            page=_field(passage, "page") or missing,
            text=sentence_lines(sentences, i) if sentences is not None else str(passage.get("text", "")).strip(),
        )
        for i, passage in enumerate(passages, start=1)
    ]
    return "\n\n".join(blocks)


def _field(passage: Mapping[str, object], *keys: str) -> str:
    for key in keys:
        value = passage.get(key)
        if value not in (None, ""):
            return str(value)
    return ""


def _history_messages(history: Sequence[Mapping[str, str]] | None) -> list[Message]:
    turns = list(history or [])[-MAX_HISTORY_TURNS:]
    return [
        {"role": turn["role"], "content": str(turn.get("content", ""))[:MAX_TURN_CHARS]}
        for turn in turns
        if turn.get("role") in ("user", "assistant")
    ]


def answer_messages(
    prompts: PromptSet,
    question: str,
    lang: str,
    passages: Sequence[Mapping[str, object]],
    history: Sequence[Mapping[str, str]] | None = None,
    *,
    compare: bool = False,
    sentences: Sentences | None = None,
) -> list[Message]:
    """The chat messages for one answer: system rules, recent turns, then passages and question; with
    `sentences`, the passages one sentence per line and the instructions for a structured reply."""
    user = prompts.render(
        "compare" if compare else "answer_json" if sentences is not None else "answer",
        lang,
        passages=format_passages(prompts, lang, passages, sentences),
        question=question.strip(),
    )
    return [
        {"role": "system", "content": prompts.render("system", lang)},
        *_history_messages(history),
        {"role": "user", "content": user},
    ]


def fallback_reason(error: LLMError) -> str:
    if isinstance(error, LLMTimeoutError):
        return f"timeout: {error}"
    if isinstance(error, LLMRefusalError):
        return f"refusal: {error}"
    return f"{type(error).__name__.removeprefix('LLM').removesuffix('Error').lower()} error: {error}"


def judge(
    text: str,
    lang: str,
    passages: Sequence[Mapping[str, object]],
    fallback: str,
    sources: list[str] | None = None,
    needs_figure: bool = False,
    question: str = "",
) -> Generated:
    """The guard's verdict on a generated text: the answer with its citations, or the fallback with the reason.
    `sources`: per passage, the text the answer may draw on (default: the passages' text); `needs_figure`: the
    question asks for a figure, a date or a length of time; `question`: what is asked, for the figure's kind."""
    texts = sources if sources is not None else [str(passage.get("text", "")) for passage in passages]
    metadata = [" ".join(_field(passage, key) for key in ("document_title", "section", "page")) for passage in passages]
    verdict = check_answer(text, texts, lang, metadata=metadata, require_figure=needs_figure, question=question)
    if not verdict.ok:
        return Generated(fallback, [], FALLBACK, f"guard: {verdict.reason}")
    return Generated(text.strip(), verdict.citations, GENERATED, "")


def _reply(
    client: LLMClient,
    prompts: PromptSet,
    question: str,
    lang: str,
    passages: Sequence[Mapping[str, object]],
    history: Sequence[Mapping[str, str]] | None,
    compare: bool,
    stream: bool,
) -> Reply:
    """The model's answer for the guard; LLMError when there is none. A comparison stays free text (a table); an
    answer is asked for as schema-constrained JSON when the client is set to, and written out here."""
    sentences = sentences_of(passages) if client.structured and not compare else None
    messages = answer_messages(prompts, question, lang, passages, history, compare=compare, sentences=sentences)
    schema = answer_schema() if sentences is not None else None
    text = "".join(client.stream(messages, schema)) if stream else client.chat(messages, schema)
    return read_reply(text, lang, sentences, len(passages)) if sentences is not None else Reply(text, None)


def generate_answer(
    client: LLMClient,
    prompts: PromptSet,
    question: str,
    lang: str,
    passages: Sequence[Mapping[str, object]],
    history: Sequence[Mapping[str, str]] | None = None,
    *,
    fallback: str = "",
    compare: bool = False,
    needs_figure: bool = False,
) -> Generated:
    """A guard-checked generated answer, or `fallback` (the caller's extractive answer) with the reason."""
    if not passages:
        return Generated(fallback, [], FALLBACK, "no passages to answer from")
    try:
        reply = _reply(client, prompts, question, lang, passages, history, compare, stream=False)
    except LLMError as error:
        return Generated(fallback, [], FALLBACK, fallback_reason(error))
    return judge(reply.text, lang, passages, fallback, reply.sources, needs_figure, question)


def stream_answer(
    client: LLMClient,
    prompts: PromptSet,
    question: str,
    lang: str,
    passages: Sequence[Mapping[str, object]],
    history: Sequence[Mapping[str, str]] | None = None,
    *,
    fallback: str = "",
    compare: bool = False,
    needs_figure: bool = False,
) -> Iterator[StreamEvent]:
    """Delta events of the answer that will be shown (checked, or the fallback), then one done event."""
    if not passages:
        result = Generated(fallback, [], FALLBACK, "no passages to answer from")
    else:
        try:
            reply = _reply(client, prompts, question, lang, passages, history, compare, stream=True)
        except LLMError as error:
            result = Generated(fallback, [], FALLBACK, fallback_reason(error))
        else:
            result = judge(reply.text, lang, passages, fallback, reply.sources, needs_figure, question)
    for piece in _STREAM_PIECE.findall(result.text):
        yield StreamEvent("delta", text=piece)
    yield StreamEvent("done", result=result)


def rewrite_followup(
    client: LLMClient, prompts: PromptSet, history: Sequence[Mapping[str, str]] | None, question: str
) -> str:
    """The follow-up as a standalone question ("Og for Bakkegården?" -> "Hvad er målet for sygefravær for
    Bakkegården?"). Without history, or when the model fails or strays, the question is returned unchanged:
    a poor rewrite only costs retrieval quality, so it never blocks an answer."""
    turns = _history_messages(history)
    if not turns:
        return question
    lang = detect_language(question)
    transcript = "\n".join(f"{turn['role']}: {' '.join(turn['content'].split())}" for turn in turns)
    messages: list[Message] = [
        {
            "role": "user",
            "content": prompts.render("rewrite", lang, history=transcript, question=question.strip()),
        }
    ]
    try:
        reply = client.chat(messages)
    except LLMError:
        return question
    rewritten = _REWRITE_LABEL.sub("", reply.strip().splitlines()[0] if reply.strip() else "").strip(" \"'“”»«")
    if not rewritten or len(rewritten) > 3 * len(question) + 200 or detect_language(rewritten) != lang:
        return question
    return rewritten
