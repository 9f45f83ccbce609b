"""One writer at a time: the ingest lock of an index folder, shared by every process (CLI, server, replicas).

An OS file lock (flock) rather than a marker file: the kernel releases it when its holder dies, even by
`kill -9`, so a crashed ingest never leaves the index locked. The lock file records who holds it, for the
"busy" message."""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from index.errors import IndexBusyError

LOCK_NAME = ".ingest.lock"


def lock_path(index_dir: Path) -> Path:
    # Beside the folder, not in it: the folder itself is replaced wholesale by every commit.
    return index_dir.parent / f"{index_dir.name}{LOCK_NAME}"


def holder(index_dir: Path) -> dict:
    """Who holds (or last held) the lock: {"pid", "owner", "since"}; empty when never taken."""
    try:
        return json.loads(lock_path(index_dir).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}


def held_by(index_dir: Path) -> str | None:
    """The owner named by whoever holds the lock now, or None when it is free."""
    path = lock_path(index_dir)
    if not path.is_file():
        return None
    handle = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return str(holder(index_dir).get("owner", "unknown"))
    else:
        fcntl.flock(handle, fcntl.LOCK_UN)
        return None
    finally:
        os.close(handle)


@contextmanager
def ingest_lock(index_dir: Path, owner: str, wait: float | None = None) -> Iterator[None]:
    """Holds the write lock of `index_dir` for the block. `wait=None` waits as long as it takes; a number waits
    at most that many seconds, then raises IndexBusyError naming the holder."""
    path = lock_path(index_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(handle, index_dir, wait)
        os.ftruncate(handle, 0)
        os.pwrite(handle, json.dumps({"pid": os.getpid(), "owner": owner, "since": time.time()}).encode(), 0)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


def _acquire(handle: int, index_dir: Path, wait: float | None) -> None:
    if wait is None:
        fcntl.flock(handle, fcntl.LOCK_EX)
        return
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                who = holder(index_dir)
                raise IndexBusyError(
                    f"another ingest is running ({who.get('owner', 'unknown')}, process {who.get('pid', '?')}); "
                    "wait for it to finish and try again"
                ) from None
            time.sleep(0.1)
