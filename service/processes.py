"""Child processes that do not outlive their parent: an ingest child of a server, a server worker of its
supervisor. Without this a `kill -9` of the parent leaves them running, still writing the index or serving."""

from __future__ import annotations

import ctypes
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Linux: deliver `sig` to this process when its parent dies. Elsewhere a no-op."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, sig)
    except (OSError, AttributeError):
        pass
