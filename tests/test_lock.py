"""The ingest lock: one writer at a time across processes, released when its holder dies (even by kill -9)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.errors import IndexBusyError
from index.lock import holder, ingest_lock

HOLD = """
import sys, time
from pathlib import Path
from index.lock import ingest_lock
with ingest_lock(Path(sys.argv[1]), "job 1234"):
    print("held", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def held(tmp_path: Path):
    """A child process holding the lock of tmp_path/index."""
    index_dir = tmp_path / "index"
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(index_dir)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert child.stdout.readline().strip() == "held"
    yield index_dir, child
    child.kill()
    child.wait()


def test_a_second_writer_is_told_who_is_busy(held):
    index_dir, child = held
    with pytest.raises(IndexBusyError) as busy:
        with ingest_lock(index_dir, "aftaler ingest", wait=0.3):
            pass
    assert str(busy.value) == (
        f"another ingest is running (job 1234, process {child.pid}); wait for it to finish and try again"
    )


def test_the_lock_is_free_as_soon_as_its_holder_is_killed(held):
    index_dir, child = held
    child.send_signal(signal.SIGKILL)
    child.wait()
    started = time.monotonic()
    with ingest_lock(index_dir, "aftaler ingest", wait=5):
        waited = time.monotonic() - started
        who = holder(index_dir)
    assert (who["owner"], waited < 1) == ("aftaler ingest", True)


def test_a_writer_that_waits_gets_the_lock_when_the_holder_finishes(tmp_path: Path):
    index_dir = tmp_path / "index"
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD.replace("time.sleep(60)", "time.sleep(1)"), str(index_dir)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert child.stdout.readline().strip() == "held"
    started = time.monotonic()
    with ingest_lock(index_dir, "second", wait=30):
        waited = time.monotonic() - started
    child.wait()
    assert 0.5 < waited < 30
