"""Shared fixtures. `live_server` is one real `aftaler serve` on 127.0.0.1 for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.live_server import LiveServer


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("aftaler-data")
    server = LiveServer(data_dir, data_dir / "server.log")
    server.wait()
    yield server
    server.stop()
