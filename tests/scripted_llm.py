"""A scripted OpenAI-compatible chat-completions server for tests: a real HTTP server on 127.0.0.1.

`POST /v1/chat/completions` answers with the next scripted `Reply`, as one JSON body or, when the request
says `"stream": true`, as server-sent events (the shapes llama.cpp and OpenAI send). A test scripts exactly
what the "model" does: a reply text, an API refusal, an HTTP error status, a body that is not the API's shape,
a stall past the client's timeout, a dropped connection, a stream cut halfway, or a reply forwarded from a real
model. Every request is recorded (path and JSON body), so a test can assert what the prompt carried.

A request that finds no scripted reply gets HTTP 500 "unscripted request", so a test that forgot to script (or
a caller that asks more often than expected) fails on a definite reason instead of hanging.

Every response closes its connection: the client opens a fresh connection per request, so `offline()` (stop
listening) gives a refused connection and a dropped or cut response cannot leak into the next request.

    with ScriptedLLM() as llm:
        llm.script(answer("Målet er 4,5 % [1]."))
        ...  # point the client at llm.url
        assert "4,5 %" in llm.requests[0].prompt
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

CHAT_PATH = "/v1/chat/completions"
STREAM_PIECES = 6  # a scripted text is streamed in about this many content deltas


@dataclass(frozen=True)
class Reply:
    """What the scripted model does with one request. Build it with the functions below."""

    kind: str
    text: str = ""  # the reply text (answer, cut, trickle), refusal message, or raw body
    status: int = 200
    seconds: float = 0.0  # stall: how long to wait before answering; trickle: the pause between deltas
    stream_text: str | None = None  # raw: the body sent to a streaming request, when it differs from `text`
    upstream: str = ""  # forward: base URL of a real OpenAI-compatible server
    max_tokens: int | None = None  # forward: cap on the tokens the real model may write


def answer(text: str) -> Reply:
    """A normal completion whose content is `text` (finish_reason "stop")."""
    return Reply("answer", text)


def refusal(message: str) -> Reply:
    """An API-level refusal: `message.refusal` (or `delta.refusal` when streaming) set, no content."""
    return Reply("refusal", message)


def content_filter() -> Reply:
    """No content, finish_reason "content_filter": the endpoint's filter withheld the answer."""
    return Reply("content_filter")


def status(code: int, body: str = "") -> Reply:
    """An HTTP error status with a plain-text body, for both kinds of request."""
    return Reply("status", body, status=code)


def raw(body: str, stream_body: str | None = None) -> Reply:
    """HTTP 200 with `body` as is (malformed JSON, a JSON body that is not a chat completion); a streaming
    request gets `stream_body` (text/event-stream) when given, else the same body."""
    return Reply("raw", body, stream_text=stream_body)


def stall(seconds: float) -> Reply:
    """Send nothing for `seconds` (or until the server stops), then a normal answer: past a shorter client
    timeout the client has given up by then."""
    return Reply("stall", "too late", seconds=seconds)


def trickle(text: str, interval: float) -> Reply:
    """A streamed answer whose deltas arrive `interval` seconds apart (each in time for a per-read timeout,
    all of them not in time for an overall deadline). A non-streaming request gets the body in pieces at the
    same pace."""
    return Reply("trickle", text, seconds=interval)


def drop() -> Reply:
    """Close the connection without sending any response."""
    return Reply("drop")


def cut(text: str) -> Reply:
    """Start a normal response, then close the connection halfway through the body: a streamed reply stops
    after half its events without the final chunk; a JSON body stops after half its declared length."""
    return Reply("cut", text)


def forward(upstream: str, max_tokens: int | None = None) -> Reply:
    """Ask a real OpenAI-compatible server (non-streaming) and send its reply on in the shape the client asked
    for; the reply text is recorded in `Recorded.reply`. `max_tokens` caps the real model's answer."""
    return Reply("forward", upstream=upstream, max_tokens=max_tokens)


@dataclass
class Recorded:
    """One request the server received."""

    method: str
    path: str
    body: Any  # the parsed JSON body, or the raw text when it was not JSON
    reply: Reply | None = None  # the scripted reply it got (None: unscripted)
    forwarded: str | None = None  # forward: the text the real model wrote
    forwarded_error: str = ""  # forward: why the real model gave no text

    @property
    def stream(self) -> bool:
        return isinstance(self.body, dict) and self.body.get("stream") is True

    @property
    def messages(self) -> list[dict[str, str]]:
        return list(self.body.get("messages", [])) if isinstance(self.body, dict) else []

    @property
    def prompt(self) -> str:
        """The last user message: the passages and the question."""
        users = [m.get("content", "") for m in self.messages if m.get("role") == "user"]
        return users[-1] if users else ""


@dataclass
class _State:
    replies: deque[Reply] = field(default_factory=deque)
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)


class ScriptedLLM:
    """The server; a context manager. `url` is "http://127.0.0.1:PORT" (the client adds /v1/...)."""

    def __init__(self, port: int = 0) -> None:
        self._state = _State()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = self._listen(port)
        self.url = f"http://127.0.0.1:{self.port}"

    # -- scripting and inspection --------------------------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        """Replace the queue of replies and forget the recorded requests: one call per test."""
        with self._state.lock:
            self._state.replies = deque(replies)
            self._state.requests = []

    @property
    def requests(self) -> list[Recorded]:
        with self._state.lock:
            return list(self._state.requests)

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        with self._state.lock:
            return len(self._state.replies)

    @contextmanager
    def offline(self) -> Iterator[None]:
        """Stop listening on the port (a client gets "connection refused"), then listen on it again."""
        self._close()
        try:
            yield
        finally:
            self._listen(self.port)

    # -- lifecycle -----------------------------------------------------------------------------------------

    def __enter__(self) -> ScriptedLLM:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._state.stopping.set()  # releases stalled handlers
        self._close()

    def _listen(self, port: int) -> int:
        server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self._state))
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        self._server, self._thread = server, thread
        return server.server_address[1]

    def _close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join(timeout=5)
            self._server = self._thread = None


def _handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(_ScriptedHandler):
        pass

    Handler.state = state
    return Handler


class _ScriptedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # chunked streams; every response still closes its connection
    state: _State

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep pytest's output clean

    def do_GET(self) -> None:
        if self.path in ("/health", "/v1/models"):
            self._send(200, json.dumps({"status": "ok", "data": [{"id": "scripted"}]}), "application/json")
        else:
            self._send(404, "not found", "text/plain")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        text = self.rfile.read(length).decode("utf-8", errors="replace")
        try:
            body: Any = json.loads(text)
        except ValueError:
            body = text
        recorded = Recorded("POST", self.path, body)
        with self.state.lock:
            reply = self.state.replies.popleft() if self.state.replies else None
            recorded.reply = reply
            self.state.requests.append(recorded)
        if self.path != CHAT_PATH:
            self._send(404, f"no route {self.path}", "text/plain")
        elif reply is None:
            self._send(500, "unscripted request", "text/plain")
        else:
            try:
                self._reply(reply, recorded)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a stall past its timeout)

    # -- replies -------------------------------------------------------------------------------------------

    def _reply(self, reply: Reply, recorded: Recorded) -> None:
        stream = recorded.stream
        kind = reply.kind
        if kind == "forward":
            text = _forward(reply, recorded)
            if text is None:
                self._send(502, f"upstream failed: {recorded.forwarded_error}", "text/plain")
                return
            reply = answer(text)
            kind = "answer"
        if kind == "stall":
            self.state.stopping.wait(reply.seconds)
            kind = "answer"
        if kind == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif kind == "status":
            self._send(reply.status, reply.text, "text/plain")
        elif kind == "raw":
            if stream:
                self._send(200, reply.stream_text if reply.stream_text is not None else reply.text, "text/event-stream")
            else:
                self._send(200, reply.text, "application/json")
        elif stream:
            self._stream(kind, reply)
        else:
            self._complete(kind, reply)

    def _complete(self, kind: str, reply: Reply) -> None:
        message: dict[str, Any] = {"role": "assistant", "content": None}
        finish = "stop"
        if kind == "refusal":
            message["refusal"] = reply.text
        elif kind == "content_filter":
            finish = "content_filter"
        else:
            message["content"] = reply.text
        data = json.dumps(_completion({"index": 0, "message": message, "finish_reason": finish}), ensure_ascii=False)
        encoded = data.encode()
        if kind == "cut":
            self._head(200, "application/json", length=len(encoded))
            self.wfile.write(encoded[: len(encoded) // 2])
            self.wfile.flush()
            self._abort()
        elif kind == "trickle":
            self._head(200, "application/json", length=len(encoded))
            step = max(1, len(encoded) // STREAM_PIECES)
            for start in range(0, len(encoded), step):
                self.wfile.write(encoded[start : start + step])
                self.wfile.flush()
                if self.state.stopping.wait(reply.seconds):
                    return
        else:
            self._send(200, data, "application/json")

    def _stream(self, kind: str, reply: Reply) -> None:
        events: list[dict[str, Any]] = [_chunk({"role": "assistant", "content": ""})]
        if kind == "refusal":
            events.append(_chunk({"refusal": reply.text}))
            events.append(_chunk({}, "stop"))
        elif kind == "content_filter":
            events.append(_chunk({}, "content_filter"))
        else:
            events.extend(_chunk({"content": piece}) for piece in _pieces(reply.text))
            events.append(_chunk({}, "stop"))
        lines = [f"data: {json.dumps(event, ensure_ascii=False)}\n\n" for event in events] + ["data: [DONE]\n\n"]
        self._head(200, "text/event-stream", chunked=True)
        if kind == "cut":
            for line in lines[: len(lines) // 2]:
                self._write_chunk(line.encode())
            self._abort()  # no terminating zero-length chunk: the body is incomplete
            return
        for i, line in enumerate(lines):
            if kind == "trickle" and i and self.state.stopping.wait(reply.seconds):
                return
            self._write_chunk(line.encode())
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # -- HTTP plumbing -------------------------------------------------------------------------------------

    def _head(self, code: int, content_type: str, *, length: int | None = None, chunked: bool = False) -> None:
        self.send_response(code)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length or 0))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def _send(self, code: int, text: str, content_type: str) -> None:
        data = text.encode()
        self._head(code, content_type, length=len(data))
        self.wfile.write(data)
        self.wfile.flush()

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _abort(self) -> None:
        self.close_connection = True
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)


def _completion(choice: dict[str, Any]) -> dict[str, Any]:
    return {"id": "scripted", "object": "chat.completion", "model": "scripted", "choices": [choice]}


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return {"id": "scripted", "object": "chat.completion.chunk", "model": "scripted", "choices": [choice]}


def _pieces(text: str) -> list[str]:
    """`text` in about STREAM_PIECES consecutive pieces (at least one), which join to `text`."""
    if not text:
        return [""]
    step = max(1, -(-len(text) // STREAM_PIECES))
    return [text[i : i + step] for i in range(0, len(text), step)]


def _forward(reply: Reply, recorded: Recorded) -> str | None:
    payload = dict(recorded.body)
    payload["stream"] = False
    if reply.max_tokens is not None:
        payload["max_tokens"] = min(int(payload.get("max_tokens") or reply.max_tokens), reply.max_tokens)
    try:
        response = httpx.post(f"{reply.upstream.rstrip('/')}{CHAT_PATH}", json=payload, timeout=600)
        response.raise_for_status()
        text = response.json()["choices"][0]["message"].get("content") or ""
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as error:
        recorded.forwarded_error = f"{type(error).__name__}: {error}"
        return None
    recorded.forwarded = text
    return text


def prompt_passages(prompt: str) -> dict[int, list[str]]:
    """The passages of a prompt by number: the lines under each "[n] Dokument: ..." header."""
    blocks: dict[int, list[str]] = {}
    current: list[str] | None = None
    for line in prompt.splitlines():
        header = re.match(r"\[(\d+)\] (?:Dokument|Document): ", line)
        if header:
            current = blocks.setdefault(int(header.group(1)), [])
        elif not line.strip():
            current = None
        elif current is not None:
            current.append(line)
    return blocks
