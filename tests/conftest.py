"""Shared fixtures. `live_server` is one real `aftaler serve` on 127.0.0.1 for the whole session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live_server import LiveServer, copied_server
from tests.scripted_llm import ScriptedLLM

READ_KEY = "laese-noegle-1"
ADMIN_KEY = "admin-noegle-1"


@pytest.fixture(scope="session")
def live_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("aftaler-data")


@pytest.fixture(scope="session")
def live_server(live_data_dir: Path) -> Iterator[LiveServer]:
    server = LiveServer(live_data_dir, live_data_dir / "server.log")
    server.wait()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def secured_server(live_server: LiveServer, live_data_dir: Path, tmp_path_factory) -> Iterator[LiveServer]:
    """A server with API keys on its own copy of the corpus and index (uploads and deletes land there)."""
    root = tmp_path_factory.mktemp("aftaler-secured")
    env = {"AFTALER_API_KEYS": READ_KEY, "AFTALER_ADMIN_KEYS": ADMIN_KEY, "AFTALER_MAX_UPLOAD_MB": "1"}
    server = copied_server(live_data_dir, root, env)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def llm() -> Iterator[ScriptedLLM]:
    """An OpenAI-compatible server on 127.0.0.1 that answers as each test scripts (tests/scripted_llm.py)."""
    with ScriptedLLM() as server:
        yield server
