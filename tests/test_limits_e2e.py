"""Limits at the edge of a real server: body size (413), slow senders (408), requests per key (429)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.live_server import LiveServer, copied_server

pytestmark = pytest.mark.slow
RATE = 5


@pytest.fixture(scope="module")
def server(live_server, live_data_dir, tmp_path_factory) -> Iterator[LiveServer]:
    env = {
        "AFTALER_API_KEYS": "noegle-a,noegle-b",
        "AFTALER_RATE_LIMIT": str(RATE),
        "AFTALER_MAX_BODY_KB": "4",
        "AFTALER_BODY_TIMEOUT": "2",
    }
    started = copied_server(live_data_dir, tmp_path_factory.mktemp("aftaler-limits"), env)
    yield started
    started.stop()


def test_a_body_over_the_limit_is_refused_with_413_naming_the_limit(server):
    response = httpx.post(
        f"{server.url}/ask",
        json={"question": "x" * 5000},
        headers={"Authorization": "Bearer noegle-a"},
        timeout=30,
    )
    assert (response.status_code, response.json()["detail"]) == (
        413,
        "the request body of 5 KB is over the limit of 4 KB (AFTALER_MAX_BODY_KB, or AFTALER_MAX_UPLOAD_MB for "
        "uploads); send less",
    )


def test_a_chunked_body_over_the_limit_is_refused_while_it_arrives(server):
    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(10):
            yield b"x" * 1024
        yield b'"}'

    response = httpx.post(
        f"{server.url}/ask",
        content=chunks(),
        headers={"Authorization": "Bearer noegle-a", "Content-Type": "application/json"},
        timeout=30,
    )
    assert (response.status_code, "over the limit of 4 KB" in response.json()["detail"]) == (413, True)


def test_a_client_that_sends_its_body_too_slowly_gets_408(server):
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"POST /ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        started = time.monotonic()
        first = sock.recv(65536)
        waited = time.monotonic() - started
        # The server closes the connection after the error: read to the end, headers and body may come apart.
        reply = (first + b"".join(iter(lambda: sock.recv(65536), b""))).decode()
    assert (reply.split("\r\n")[0], "AFTALER_BODY_TIMEOUT" in reply, 1.5 < waited < 10) == (
        "HTTP/1.1 408 Request Timeout",
        True,
        True,
    )


def test_more_requests_than_the_rate_limit_get_429_with_retry_after(server):
    headers = {"Authorization": "Bearer noegle-b"}
    statuses = [httpx.get(f"{server.url}/whoami", headers=headers, timeout=30).status_code for _ in range(RATE)]
    refused = httpx.get(f"{server.url}/whoami", headers=headers, timeout=30)
    retry = int(refused.headers["retry-after"])
    assert (statuses, refused.status_code, 0 < retry <= 60) == ([200] * RATE, 429, True)
    assert refused.json()["detail"].startswith(f"more than {RATE} requests in a minute from this key")


def test_the_rate_limit_of_one_key_leaves_other_keys_alone(server):
    for _ in range(RATE + 1):
        httpx.get(f"{server.url}/whoami", headers={"Authorization": "Bearer noegle-b"}, timeout=30)
    other = httpx.get(f"{server.url}/whoami", headers={"Authorization": "Bearer noegle-a"}, timeout=30)
    assert other.status_code == 200
