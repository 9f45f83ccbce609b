"""The server's edge, before any route runs: a request id, a body size cap, a deadline for slow senders, and one
structured log line per request (JSON: request id, method, route, status, latency, the caller's key id).

Question texts never reach these logs: the path is logged, not the body. `log_question` writes a question only
when the operator opted in (AFTALER_LOG_QUESTIONS), with CPR-like numbers masked."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("aftaler")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# A CPR number: ddmmyy-xxxx, with or without the dash or a space.
_CPR = re.compile(r"(?<!\d)(\d{6})[- ]?(\d{4})(?!\d)")


def mask_cpr(text: str) -> str:
    return _CPR.sub("XXXXXX-XXXX", text)


class JsonLines(logging.Formatter):
    """One JSON object per log record; `extra={"fields": {...}}` adds keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines())
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False


def log_question(enabled: bool, request_id: str, question: str) -> None:
    if enabled:
        log.info("question", extra={"fields": {"request_id": request_id, "question": mask_cpr(question)}})


class Edge:
    """ASGI middleware. `limit(scope)` gives the byte cap of a request's body (uploads get a larger one)."""

    def __init__(self, app: ASGIApp, limit: Callable[[Scope], int], body_timeout: float) -> None:
        self.app = app
        self.limit = limit
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            body, error = await self._read_body(scope, receive)
            if error is not None:
                await _error(send_with_id, *error)
            else:
                await self.app(scope, _replay(body, receive), send_with_id)
        finally:
            route = getattr(scope.get("route"), "path", None) or "(no route)"
            fields = {
                "request_id": request_id,
                "method": scope["method"],
                "route": route,
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "key": scope["state"].get("key_id", ""),
            }
            log.info("request", extra={"fields": fields})

    async def _read_body(self, scope: Scope, receive: Receive) -> tuple[bytes, tuple[int, str, dict] | None]:
        """The whole body, or the error to answer with: 413 over the cap (from Content-Length when given, so
        nothing is read), 408 when the client sends too slowly."""
        cap = self.limit(scope)
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > cap:
            return b"", (413, _too_large(int(declared), cap), {"connection": "close"})
        parts: list[bytes] = []
        size = 0
        deadline = time.monotonic() + self.body_timeout
        while True:
            try:
                message = await asyncio.wait_for(receive(), timeout=max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                return b"", (
                    408,
                    f"the request body was not received within {self.body_timeout:g} s; send it "
                    "faster or in a smaller request (AFTALER_BODY_TIMEOUT)",
                    {"connection": "close"},
                )
            if message["type"] == "http.disconnect":
                return b"", (400, "the client disconnected before sending the whole body", {})
            size += len(message.get("body", b""))
            if size > cap:
                return b"", (413, _too_large(size, cap), {"connection": "close"})
            parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(parts), None


def _too_large(size: int, cap: int) -> str:
    def shown(n: int) -> str:
        return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"

    return (
        f"the request body of {shown(size)} is over the limit of {shown(cap)} "
        "(AFTALER_MAX_BODY_KB, or AFTALER_MAX_UPLOAD_MB for uploads); send less"
    )


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _error(send: Send, status: int, detail: str, headers: dict[str, str]) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
