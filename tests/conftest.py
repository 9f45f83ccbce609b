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
