"""A small client for OpenAI-compatible /v1/chat/completions endpoints (llama.cpp, vLLM, Ollama, OpenAI).

Every failure surfaces as one `LLMError` subclass, so callers need a single `except LLMError` to fall back to
the extractive answer. httpx's timeouts apply per network operation; a streamed answer that trickles in
forever is cut off by an overall deadline of the same length.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

import httpx

from service.errors import (
    LLMConnectionError,
    LLMEmptyResponseError,
    LLMHTTPError,
    LLMRefusalError,
    LLMTimeoutError,
)

Message = dict[str, str]


def chat_completions_url(base_url: str) -> str:
    """Accept both "http://host:8080" and "http://host:8080/v1", as people paste either."""
    base = base_url.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    if not base.endswith("/v1"):
        base += "/v1"
    return base + "/chat/completions"


class LLMClient:
    def __init__(
        self,
        base_url: str,
        model: str = "default",
        api_key: str | None = None,
        timeout: float = 30.0,
        *,
        max_tokens: int = 320,  # a short answer with its quotes; small models otherwise ramble to the limit
        temperature: float = 0.0,
        structured: bool = True,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        self.url = chat_completions_url(base_url)
        self.model = model
        self.timeout = timeout
        self.max_tokens = max_tokens
        # Deterministic by default: the same question over the same passages should give the same answer.
        self.temperature = temperature
        # Answers as JSON constrained by a schema (response_format json_schema: llama.cpp, vLLM, Ollama, OpenAI):
        # a small model then cannot forget the citation. Off for endpoints that reject response_format.
        self.structured = structured
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(timeout=httpx.Timeout(timeout), headers=headers)

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _payload(self, messages: list[Message], stream: bool, schema: dict[str, Any] | None) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "stream": stream,
        }
        if schema is not None:
            payload["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "strict": True, "schema": schema},
            }
        return payload

    def chat(self, messages: list[Message], schema: dict[str, Any] | None = None) -> str:
        """The assistant's reply as one string, within `timeout` in all: httpx's timeout is per read, so a body
        sent slowly would otherwise be waited for as long as it keeps coming."""
        deadline = time.monotonic() + self.timeout
        with _translated_errors(self.timeout):
            with self._http.stream("POST", self.url, json=self._payload(messages, False, schema)) as response:
                body = bytearray()
                for piece in response.iter_bytes():
                    if time.monotonic() > deadline:
                        raise LLMTimeoutError(f"the answer took longer than {self.timeout:g} s")
                    body += piece
            response = httpx.Response(response.status_code, content=bytes(body), request=response.request)
            _raise_for_status(response)
            try:
                choice = response.json()["choices"][0]
            except (ValueError, KeyError, IndexError, TypeError) as error:
                raise LLMHTTPError(f"not a chat completion: {response.text[:200]!r}") from error
        message = choice.get("message") or {}
        _raise_for_refusal(message.get("refusal"), choice.get("finish_reason"))
        text = message.get("content") or ""
        if not text.strip():
            raise LLMEmptyResponseError("the model returned an empty answer")
        return text

    def stream(self, messages: list[Message], schema: dict[str, Any] | None = None) -> Iterator[str]:
        """The reply as text fragments, as the server sends them (server-sent events)."""
        deadline = time.monotonic() + self.timeout
        produced = False
        with _translated_errors(self.timeout):
            with self._http.stream("POST", self.url, json=self._payload(messages, True, schema)) as response:
                if response.is_error:
                    response.read()
                    _raise_for_status(response)
                for line in response.iter_lines():
                    if time.monotonic() > deadline:
                        raise LLMTimeoutError(f"the answer took longer than {self.timeout:g} s")
                    data = _sse_data(line)
                    if data is None:
                        continue
                    if data == "[DONE]":
                        break
                    fragment = _delta_text(data)
                    if fragment:
                        produced = True
                        yield fragment
        if not produced:
            raise LLMEmptyResponseError("the model returned an empty answer")


def _sse_data(line: str) -> str | None:
    # Comments (":"), "event:" and "id:" lines carry nothing we use.
    if not line.startswith("data:"):
        return None
    return line[5:].strip()


def _delta_text(data: str) -> str:
    try:
        chunk = json.loads(data)
    except ValueError as error:
        raise LLMHTTPError(f"malformed stream event: {data[:200]!r}") from error
    if "error" in chunk:
        raise LLMHTTPError(f"stream error: {str(chunk['error'])[:200]}")
    choices = chunk.get("choices") or []
    if not choices:
        return ""
    delta = choices[0].get("delta") or {}
    _raise_for_refusal(delta.get("refusal"), choices[0].get("finish_reason"))
    return delta.get("content") or ""


def _raise_for_refusal(refusal: object, finish_reason: object) -> None:
    if refusal:
        raise LLMRefusalError(f"the model refused: {str(refusal)[:200]}")
    if finish_reason == "content_filter":
        raise LLMRefusalError("the answer was withheld by the endpoint's content filter")


def _raise_for_status(response: httpx.Response) -> None:
    if response.is_error:
        raise LLMHTTPError(f"HTTP {response.status_code} from {response.url}: {response.text[:200]!r}")


@contextmanager
def _translated_errors(timeout: float) -> Iterator[None]:
    """Turn httpx's exceptions into LLMError subclasses; our own LLMErrors pass through untouched."""
    try:
        yield
    except httpx.TimeoutException as error:
        raise LLMTimeoutError(f"no answer within {timeout:g} s") from error
    except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.NetworkError) as error:
        raise LLMConnectionError(f"cannot reach the language model: {error}") from error
    except httpx.HTTPError as error:
        raise LLMHTTPError(str(error)) from error
