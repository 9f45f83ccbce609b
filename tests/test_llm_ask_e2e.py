"""/ask with a real local LLM behind AFTALER_LLM_URL: a generated answer is shown only when the guard passes it;
otherwise the extractive answer comes back marked as a fallback, with the reason."""

from __future__ import annotations

import json

import httpx
import pytest

from ingest.numbers import find_numbers, same_number

pytestmark = pytest.mark.slow

QUESTIONS = [
    "Hvad er måltallet for sygefravær på Bakkegården?",
    "What is the sick-leave target for CJU?",
    "Hvor mange fuldtidspladser er der på Kilen?",
]


@pytest.fixture(scope="module")
def llm_client(llm_live_server) -> httpx.Client:
    with httpx.Client(base_url=llm_live_server.url, timeout=120) as c:
        yield c


@pytest.fixture(scope="module")
def plain_client(live_server) -> httpx.Client:
    with httpx.Client(base_url=live_server.url, timeout=60) as c:
        yield c


@pytest.mark.parametrize("question", QUESTIONS)
def test_answer_is_guard_passed_or_the_extractive_fallback_with_a_reason(llm_client, plain_client, question):
    body = llm_client.post("/ask", json={"question": question}).json()
    extractive = plain_client.post("/ask", json={"question": question}).json()
    assert body["mode"] in {"generated", "extractive-fallback"}
    if body["mode"] == "extractive-fallback":
        assert body["reason"]
        assert body["answer"] == extractive["answer"]
        return
    cited = {c["passage_id"] for c in body["citations"]}
    texts = [p["text"] for p in body["passages"] if p["id"] in cited]
    assert texts, "a generated answer cites at least one given passage"
    for number in find_numbers(body["answer"]):
        assert any(same_number(number, m) for text in texts for m in find_numbers(text)), number


def test_refusal_for_unknown_unit_is_not_overruled_by_the_model(llm_client):
    body = llm_client.post(
        "/ask", json={"question": "Hvad er måltallet for sygefravær på Solskinsbakken Bosted?"}
    ).json()
    assert body["answered"] is False
    assert body["mode"] == "extractive"


def test_stream_sends_deltas_then_the_full_response(llm_client):
    with llm_client.stream("POST", "/ask/stream", json={"question": QUESTIONS[0]}) as response:
        assert response.status_code == 200
        events = [line.removeprefix("event: ") for line in response.iter_lines() if line.startswith("event: ")]
    assert events[-1] == "done"
    assert set(events[:-1]) <= {"delta"}


def test_stream_without_llm_sends_one_done_event(plain_client):
    with plain_client.stream("POST", "/ask/stream", json={"question": QUESTIONS[0]}) as response:
        lines = list(response.iter_lines())
    data = [json.loads(line.removeprefix("data: ")) for line in lines if line.startswith("data: ")]
    assert [line for line in lines if line.startswith("event: ")] == ["event: done"]
    assert data[-1]["answered"] and data[-1]["mode"] == "extractive"
