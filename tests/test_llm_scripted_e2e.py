"""/ask and /ask/stream of a real `aftaler serve` whose AFTALER_LLM_URL is a scripted model (tests/scripted_llm.py).

Each case scripts what the model does and asserts the one outcome that must follow: the generated answer, or the
extractive answer marked "extractive-fallback" with exactly that reason. Every guard rejection, the timeout
(no answer; a stream trickling past the deadline), refused, dropped and cut connections, HTTP errors, bodies that
are not the API's shape, refusals and empty answers are covered, over both endpoints. Every case also checks the
request the model received: one chat completion (streamed for /ask/stream) whose prompt carried the question and
every passage the response shows, numbered as the answer must cite them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import httpx
import pytest

from ingest.numbers import find_numbers
from service.llm_answer import model_passages
from service.schemas import AskResponse
from tests.live_server import LiveServer
from tests.scripted_llm import (
    CHAT_PATH,
    Reply,
    ScriptedLLM,
    answer,
    content_filter,
    cut,
    drop,
    prompt_passages,
    raw,
    refusal,
    stall,
    status,
    trickle,
)

pytestmark = pytest.mark.slow

TIMEOUT = 2  # AFTALER_LLM_TIMEOUT of the server under test: the stall cases wait this long
Q_DA = "Hvad er måltallet for sygefravær på Bakkegården?"
Q_EN = "What is CJU's target for sick leave in 2022?"
Q_UNKNOWN_UNIT = "Hvad er måltallet for sygefravær på Solskinsbakken Bosted?"
Q_NOTHING = "Hvordan bager man et godt surdejsbrød?"  # nothing relevant in any agreement
ENDPOINTS = ["ask", "stream"]
GENERATED = "generated"
FALLBACK = "extractive-fallback"
CONNECTION = "connection error: cannot reach the language model: "


@pytest.fixture(scope="module")
def served(live_server: LiveServer, live_data_dir: Path, llm: ScriptedLLM) -> Iterator[str]:
    """A second `aftaler serve` over the session's index (built by `live_server`), answering with the scripted
    model; its base URL."""
    env = {"AFTALER_LLM_URL": f"{llm.url}/v1", "AFTALER_LLM_TIMEOUT": str(TIMEOUT)}
    server = LiveServer(live_data_dir, live_data_dir / "scripted-llm-server.log", env)
    try:
        server.wait()
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def extractive(live_server: LiveServer) -> Callable[[str], dict]:
    """The plain server's /ask response (no LLM): the passages the model must be given and the answer a
    fallback must show."""

    @cache
    def get(question: str) -> str:
        response = httpx.post(f"{live_server.url}/ask", json={"question": question}, timeout=60)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["mode"] == "extractive" and body["passages"], body
        return json.dumps(body)

    return lambda question: json.loads(get(question))


def ask(url: str, endpoint: str, question: str, history: list[dict] | None = None, *, deltas: bool = True) -> dict:
    """The AskResponse from /ask, or from /ask/stream's done event after checking the stream's shape: delta
    events that spell out the answer, then exactly one done event (`deltas=False`: the done event alone, as
    when the model is not asked)."""
    payload = {"question": question, "history": history or []}
    if endpoint == "ask":
        response = httpx.post(f"{url}/ask", json=payload, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()
    with httpx.stream("POST", f"{url}/ask/stream", json=payload, timeout=60) as response:
        assert response.status_code == 200
        body = response.read().decode()
    events = [block.split("\n", 1) for block in body.split("\n\n") if block.strip()]
    kinds = [head.removeprefix("event: ") for head, _ in events]
    data = [json.loads(rest.removeprefix("data: ")) for _, rest in events]
    assert kinds == ["delta"] * (len(kinds) - 1) + ["done"], kinds
    assert (len(kinds) > 1) is deltas, kinds
    done = data[-1]
    if deltas:
        assert "".join(d["text"] for d in data[:-1]) == done["answer"]
    return done


def assert_model_asked(llm: ScriptedLLM, endpoint: str, question: str, passages: list[dict], *, calls: int = 1):
    """`calls` requests reached the model, all scripted replies were used, and the last one was the answer
    request: streamed for /ask/stream, carrying the question and every passage as [1] ... [n]."""
    requests = llm.requests
    assert len(requests) == calls, [r.body for r in requests]
    assert llm.pending == 0
    request = requests[-1]
    assert request.path == CHAT_PATH
    assert request.stream is (endpoint == "stream")
    assert request.messages[0]["role"] == "system"
    prompt = request.prompt
    assert question in prompt
    shown = prompt_passages(prompt)
    assert sorted(shown) == list(range(1, len(passages) + 1))
    for n, passage in enumerate(passages, start=1):
        # one sentence per line (a structured reply), each verbatim from the passage, or the passage's text as is
        text = " ".join(passage["text"].split())
        assert shown[n] and all(" ".join(line.split()) in text for line in shown[n]), f"passage [{n}] not shown"
    return request


def assert_fallback(body: dict, plain: dict, reason: str) -> None:
    """The plain extractive response, unchanged but for the mode and the reason."""
    assert (body["mode"], body["reason"]) == (FALLBACK, reason)
    assert body == {**plain, "mode": FALLBACK, "reason": reason}


# -- scripted replies built from the passages the server gives --------------------------------------------------

_NOT_QUOTABLE = re.compile(r"[\"“”«»„\[\]…|]|\.\.\.")


def given(plain: dict) -> list[dict]:
    """The passages the model is given for a response: the best ones, cut to a window around the quoted statement."""
    return [p.model_dump() for p in model_passages(AskResponse(**plain))]


# A passage's sentences, lines and table cells.
_PIECES = re.compile(r"(?<=[.!?])\s+|\n+|\s\|\s")


def sentences(passages: list[dict]) -> list[str]:
    """The sentences, lines and table cells of the passages, stripped, in order."""
    return [s.strip() for p in passages for s in _PIECES.split(p["text"]) if s.strip()]


def evidence(passages: list[dict]) -> tuple[int, str, str]:
    """(n, quote, figure): the first sentence of the passages that holds a figure with a unit, verbatim, and
    that figure as written there."""
    for n, passage in enumerate(passages, start=1):
        for sentence in _PIECES.split(passage["text"]):
            sentence = sentence.strip()
            if not 20 <= len(sentence) <= 200 or _NOT_QUOTABLE.search(sentence):
                continue
            figures = [m for m in find_numbers(sentence) if m.measure not in ("", "dato", "§")]
            if figures:
                return n, sentence, figures[0].raw
    raise AssertionError("no passage states a figure with a unit")


def correct_answer(passages: list[dict], lang: str) -> tuple[str, int, str]:
    """A right answer in `lang`: the figure, cited, and the sentence stating it quoted verbatim; with the
    passage number and the quote."""
    n, quote, figure = evidence(passages)
    if lang == "da":
        return f"Måltallet er {figure} [{n}]. Det står i aftalen: »{quote}« [{n}].", n, quote
    return f"The target is {figure} [{n}]. The agreement says: “{quote}” [{n}].", n, quote


# -- generated ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("question", [Q_DA, Q_EN])
def test_a_cited_answer_with_a_verbatim_quote_and_its_figure_is_shown(served, llm, extractive, endpoint, question):
    plain = extractive(question)
    passages = given(plain)
    text, n, quote = correct_answer(passages, plain["language"])
    llm.script(answer(text))

    body = ask(served, endpoint, question)

    assert_model_asked(llm, endpoint, question, passages)
    assert (body["mode"], body["reason"], body["answer"]) == (GENERATED, "", text)
    cited = passages[n - 1]
    start = cited["start"] + cited["text"].index(quote)
    citations = [{"passage_id": cited["id"], "quote": quote, "start": start, "end": start + len(quote)}]
    # the extractive response with the generated answer and its citation in place of the extractive ones
    assert body == {**plain, "answered": True, "answer": text, "citations": citations, "mode": GENERATED, "reason": ""}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_followup_is_rewritten_by_the_model_then_answered(served, llm, extractive, endpoint):
    history = [
        {"role": "user", "content": "Hvad er måltallet for sygefravær i CJU?"},
        {"role": "assistant", "content": "Måltallet for sygefravær i CJU er 4,5 % [1]."},
    ]
    passages = given(extractive(Q_DA))
    text, _, _ = correct_answer(passages, "da")
    llm.script(answer(Q_DA), answer(text))

    body = ask(served, endpoint, "Og på Bakkegården?", history)

    rewrite, answering = llm.requests[0], assert_model_asked(llm, endpoint, Q_DA, passages, calls=2)
    assert not rewrite.stream and "Og på Bakkegården?" in rewrite.prompt and history[0]["content"] in rewrite.prompt
    assert answering.messages[1:3] == history
    assert (body["mode"], body["standalone_question"], body["answer"]) == (GENERATED, Q_DA, text)


# -- structured replies (response_format json_schema) ------------------------------------------------------------


def structured_reply(passages: list[dict], lang: str, copy: Callable[[str], str] = str) -> tuple[str, str, int, str]:
    """(the JSON a model returns, its answer line, the passage number, the sentence copied): the figure and the
    sentence stating it, copied as `copy` makes of it."""
    n, quote, figure = evidence(passages)
    answer_ = f"Måltallet er {figure}." if lang == "da" else f"The target is {figure}."
    raw_ = json.dumps({"answer": answer_, "quotes": [copy(quote)], "answered": True}, ensure_ascii=False)
    return raw_, f"{answer_} [{n}]", n, quote


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    ("question", "copy"),
    [(Q_DA, str), (Q_EN, str), (Q_DA, lambda quote: f"• {quote[:-1]}")],  # a copy with a slip names its sentence
    ids=["danish", "english", "copy-with-a-slip"],
)
def test_a_structured_reply_is_shown_with_the_stored_sentence_it_copied(
    served, llm, extractive, endpoint, question, copy
):
    plain = extractive(question)
    passages = given(plain)
    reply, answer_line, n, quote = structured_reply(passages, plain["language"], copy)
    llm.script(answer(reply))

    body = ask(served, endpoint, question)

    request = assert_model_asked(llm, endpoint, question, passages)
    assert request.body["response_format"]["type"] == "json_schema"
    lines = body["answer"].splitlines()
    assert (body["mode"], lines[0]) == (GENERATED, answer_line)
    # the stored sentences (statements) the copy was taken from, quoted and cited to its passage: the one holding
    # it, or those it holds whole when it spans several
    quoted = [line.removesuffix(f" [{n}]")[1:-1] for line in lines[1:] if line.endswith(f" [{n}]")]
    assert len(quoted) == len(lines) - 1 >= 1
    assert all(text in quote for text in quoted) or quoted == [next(t for t in quoted if quote in t)]
    assert [c["passage_id"] for c in body["citations"]] == [passages[n - 1]["id"]]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_structured_answer_with_a_figure_its_sentence_lacks_falls_back(served, llm, extractive, endpoint):
    plain = extractive(Q_DA)
    passages = given(plain)
    n, quote, _ = evidence(passages)
    llm.script(answer(json.dumps({"answer": "Måltallet er 987,6 %.", "quotes": [quote], "answered": True})))

    body = ask(served, endpoint, Q_DA)

    assert_fallback(body, plain, f"guard: the number “987,6 %” is not in passage [{n}]")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_structured_answer_without_the_asked_figure_falls_back(served, llm, extractive, endpoint):
    # the question asks for a figure; the answer quotes the sentence stating it but states none itself
    plain = extractive(Q_DA)
    _, quote, _ = evidence(given(plain))
    llm.script(answer(json.dumps({"answer": "Det står i aftalen.", "quotes": [quote], "answered": True})))

    body = ask(served, endpoint, Q_DA)

    assert_fallback(body, plain, "guard: the question asks for a figure and the answer states none")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_structured_answer_stating_only_the_questions_year_falls_back(served, llm, extractive, endpoint):
    # "... i 2022?" is not answered by "2022": the figure asked is one the question does not give
    question = "Hvad er måltallet for sygefravær på Bakkegården i 2022?"
    plain = extractive(question)
    quote = next(s for s in sentences(given(plain)) if "2022" in s and 20 <= len(s) <= 200)
    llm.script(answer(json.dumps({"answer": "Måltallet gælder for 2022.", "quotes": [quote], "answered": True})))

    body = ask(served, endpoint, question)

    reason = "guard: the question asks for a figure and the answer states none but those the question gives"
    assert_fallback(body, plain, reason)


CUT_JSON = '{"answer": "Måltallet er 8 %", "quotes": ["Målet'


def _json(quotes: list[str], answer_: str, answered: bool) -> str:
    return json.dumps({"answer": answer_, "quotes": quotes, "answered": answered}, ensure_ascii=False)


STRUCTURED_CASES: dict[str, tuple[str, str]] = {
    # case: (the JSON the model returns, the fallback's reason)
    "the model says the passages do not answer": (
        _json([], "Det fremgår ikke af aftalerne.", False),
        "refusal: the model found no answer in the passages",
    ),
    "a quote that is in no sentence of the passages": (
        _json(["Sygefraværet skal halveres inden udgangen af året"], "Det halveres.", True),
        "refusal: the model quoted no sentence of the passages",
    ),
    "JSON cut off": (CUT_JSON, f"http error: the reply is not the JSON asked for: {CUT_JSON!r}"),
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("case", list(STRUCTURED_CASES))
def test_a_structured_reply_without_a_checked_answer_falls_back_with_its_reason(
    served, llm, extractive, endpoint, case
):
    reply, reason = STRUCTURED_CASES[case]
    plain = extractive(Q_DA)
    llm.script(answer(reply))

    body = ask(served, endpoint, Q_DA)

    assert_model_asked(llm, endpoint, Q_DA, given(plain))
    assert_fallback(body, plain, reason)


# -- guard rejections ----------------------------------------------------------------------------------------------

GUARD_CASES: dict[str, tuple[str, Callable[[list[dict]], str], Callable[[list[dict]], str]]] = {
    # case: (question, scripted reply from the passages, the fallback's reason from the passages)
    "invented number": (
        Q_DA,
        lambda ps: "Måltallet er 987,6 % [1].",
        lambda ps: "guard: the number “987,6 %” is not in passage [1]",
    ),
    "quote not in the passage": (
        Q_DA,
        lambda ps: "Det står i aftalen: »Sygefraværet skal halveres inden udgangen af året« [1].",
        lambda ps: (
            "guard: the quote “Sygefraværet skal halveres inden udgangen af året” is not verbatim in passage [1]"
        ),
    ),
    "citation of a passage not given": (
        Q_DA,
        lambda ps: f"Måltallet er {evidence(ps)[2]} [{len(ps) + 1}].",
        lambda ps: f"guard: cites passage [{len(ps) + 1}], but only {len(ps)} were given",
    ),
    "no citation (the prompt's 'not in the agreements')": (
        Q_DA,
        lambda ps: "Det fremgår ikke af aftalerne.",
        lambda ps: "guard: the answer cites no passage",
    ),
    "neither quote nor figure": (
        Q_DA,
        lambda ps: "Det står i aftalen om sygefravær på Bakkegården [1].",
        lambda ps: "guard: the answer neither quotes nor gives a figure from the passages",
    ),
    "English answer to a Danish question": (
        Q_DA,
        lambda ps: correct_answer(ps, "en")[0],
        lambda ps: "guard: the answer is in English, the question in Danish",
    ),
    "Danish answer to an English question": (
        Q_EN,
        lambda ps: correct_answer(ps, "da")[0],
        lambda ps: "guard: the answer is in Danish, the question in English",
    ),
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("case", list(GUARD_CASES))
def test_a_reply_the_guard_rejects_falls_back_with_its_reason(served, llm, extractive, endpoint, case):
    question, reply, reason = GUARD_CASES[case]
    plain = extractive(question)
    passages = given(plain)
    llm.script(answer(reply(passages)))

    body = ask(served, endpoint, question)

    assert_model_asked(llm, endpoint, question, passages)
    assert_fallback(body, plain, reason(passages))


# -- the model or its endpoint fails ------------------------------------------------------------------------------

NOT_JSON = '{"choices": [{"message"'
NOT_THE_API = '{"answer": "Måltallet er 8 % [1]."}'


def _llm_url(llm: ScriptedLLM) -> str:
    return f"{llm.url}{CHAT_PATH}"


# case: (scripted reply, {endpoint: exact reason}); the reason may depend on the scripted server's URL.
FAILURE_CASES: dict[str, tuple[Reply, Callable[[ScriptedLLM], dict[str, str]]]] = {
    "stall past the timeout": (
        stall(TIMEOUT + 8),
        lambda llm: dict.fromkeys(ENDPOINTS, f"timeout: no answer within {TIMEOUT} s"),
    ),
    "HTTP 500": (
        status(500, "model crashed"),
        lambda llm: dict.fromkeys(ENDPOINTS, f"http error: HTTP 500 from {_llm_url(llm)}: 'model crashed'"),
    ),
    "HTTP 503 with an empty body": (
        status(503),
        lambda llm: dict.fromkeys(ENDPOINTS, f"http error: HTTP 503 from {_llm_url(llm)}: ''"),
    ),
    "malformed JSON": (
        raw(NOT_JSON, f"data: {NOT_JSON}\n\n"),
        lambda llm: {
            "ask": f"http error: not a chat completion: {NOT_JSON!r}",
            "stream": f"http error: malformed stream event: {NOT_JSON!r}",
        },
    ),
    "a body that is not a chat completion": (
        raw(NOT_THE_API, f"data: {NOT_THE_API}\n\ndata: [DONE]\n\n"),
        lambda llm: {
            "ask": f"http error: not a chat completion: {NOT_THE_API!r}",
            # events without "choices" carry no text: the stream ends with nothing said
            "stream": "emptyresponse error: the model returned an empty answer",
        },
    ),
    "refusal": (
        refusal("I can't help with that."),
        lambda llm: dict.fromkeys(ENDPOINTS, "refusal: the model refused: I can't help with that."),
    ),
    "content filter": (
        content_filter(),
        lambda llm: dict.fromkeys(ENDPOINTS, "refusal: the answer was withheld by the endpoint's content filter"),
    ),
    "empty answer": (
        answer(""),
        lambda llm: dict.fromkeys(ENDPOINTS, "emptyresponse error: the model returned an empty answer"),
    ),
    "blank answer": (
        answer("  \n"),
        lambda llm: {
            "ask": "emptyresponse error: the model returned an empty answer",
            # the client passes streamed whitespace on; the guard rejects it
            "stream": "guard: the answer is empty",
        },
    ),
    "connection dropped without a response": (
        drop(),
        lambda llm: dict.fromkeys(ENDPOINTS, CONNECTION + "Server disconnected without sending a response."),
    ),
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("case", list(FAILURE_CASES))
def test_a_failing_model_falls_back_with_the_reason(served, llm, extractive, endpoint, case):
    reply, reasons = FAILURE_CASES[case]
    plain = extractive(Q_DA)
    llm.script(reply)

    body = ask(served, endpoint, Q_DA)

    assert_model_asked(llm, endpoint, Q_DA, given(plain))
    assert_fallback(body, plain, reasons(llm)[endpoint])


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_reply_cut_halfway_falls_back_with_a_connection_error(served, llm, extractive, endpoint):
    plain = extractive(Q_DA)
    llm.script(cut(correct_answer(given(plain), "da")[0]))

    body = ask(served, endpoint, Q_DA)

    assert_model_asked(llm, endpoint, Q_DA, given(plain))
    # httpx says how much of the body came: "(incomplete chunked read)", "(received 310 bytes, expected 620)"
    detail = "(incomplete chunked read)" if endpoint == "stream" else "(received "
    assert body["reason"].startswith(
        CONNECTION + "peer closed connection without sending complete message body " + detail
    )
    assert_fallback(body, plain, body["reason"])


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_an_answer_trickling_past_the_deadline_falls_back_with_a_timeout(served, llm, extractive, endpoint):
    # Every piece comes within the per-read timeout; all of them would take 3.5 s, past the 2 s deadline.
    plain = extractive(Q_DA)
    llm.script(trickle(correct_answer(given(plain), "da")[0], interval=0.5))

    body = ask(served, endpoint, Q_DA)

    assert_model_asked(llm, endpoint, Q_DA, given(plain))
    assert_fallback(body, plain, f"timeout: the answer took longer than {TIMEOUT} s")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_model_that_is_not_listening_falls_back_with_a_connection_error(served, llm, extractive, endpoint):
    plain = extractive(Q_DA)
    llm.script()
    with llm.offline():
        body = ask(served, endpoint, Q_DA)
    assert llm.requests == []
    assert body["reason"].startswith(CONNECTION) and "refused" in body["reason"].lower()
    assert_fallback(body, plain, body["reason"])


# -- the model is not asked ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    ("question", "reason"),
    [(Q_UNKNOWN_UNIT, "unknown-name"), (Q_NOTHING, "no-evidence")],
    ids=["unknown-unit", "nothing"],
)
def test_a_final_refusal_stands_and_the_model_is_not_asked(served, llm, endpoint, question, reason):
    llm.script(answer("Måltallet er 4,5 % [1]."))
    body = ask(served, endpoint, question, deltas=False)
    assert llm.requests == [] and llm.pending == 1
    assert (body["mode"], body["answered"], body["reason"]) == ("extractive", False, reason)
