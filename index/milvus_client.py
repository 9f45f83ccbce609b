"""Connecting to Milvus: a server URI, or a milvus-lite file served by one process of the deployment, with
Milvus's own failures turned into this layer's SearchEngineUnavailableError (503 at the API, a message at the CLI).
"""

from __future__ import annotations

import re
import time
import warnings
from pathlib import Path
from typing import Any

from index.errors import SearchEngineUnavailableError

# How long a milvus-lite server may take to open its socket (a busy machine, a large file).
LITE_START_SECONDS = 30.0
_SOCKET = re.compile(r"Fail connecting to server on unix:(\S+?\.sock)")


def is_lite(uri: str) -> bool:
    """A milvus-lite file, or the socket of a milvus-lite server another process of this deployment started."""
    return uri.endswith(".db") or uri.startswith("unix:")


def serve_lite(path: str) -> str:
    """Starts milvus-lite on the file in this process and returns the socket URI its other processes (server
    workers, ingest jobs) connect with: a milvus-lite file can be opened by one process only. The lite server stops
    when this process ends, however it ends (it watches a file lock this process holds)."""
    connect(path)  # opens (or creates) the file, or raises with the fix
    from milvus_lite.server_manager import server_manager_instance

    socket = server_manager_instance.start_and_get_uri(path)
    if socket is None:
        raise SearchEngineUnavailableError(f"Cannot start milvus-lite on {path}.")
    return socket


def connect(uri: str, token: str = "") -> Any:
    """A MilvusClient; raises SearchEngineUnavailableError naming the URI and the likely fix."""
    try:
        from pymilvus import MilvusClient
    except ImportError as error:
        raise SearchEngineUnavailableError(
            "AFTALER_SEARCH_BACKEND=milvus needs pymilvus: install with `pip install -e .[milvus]`."
        ) from error
    if uri.endswith(".db"):
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
    try:
        with warnings.catch_warnings():
            # milvus-lite 2.5.1 imports pkg_resources, which warns on every start; nothing for a user to act on.
            warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
            client = _lite_client(uri, token) if uri.endswith(".db") else MilvusClient(uri=uri, token=token)
            return _Guarded(client, uri)
    except Exception as error:  # pymilvus raises several unrelated types for "cannot connect"
        hint = (
            "a milvus-lite file is open in one process only: stop the other process (aftaler serve?) or use a "
            "Milvus server URI"
            if is_lite(uri)
            else "check that the server runs and AFTALER_MILVUS_TOKEN"
        )
        raise SearchEngineUnavailableError(f"Cannot open Milvus at {uri} ({error}): {hint}.") from error


def _lite_client(uri: str, token: str) -> Any:
    """MilvusClient on a milvus-lite file. milvus-lite waits 0.5 s after starting its server process and pymilvus
    then calls it at once: on a busy machine the server's socket is not there yet and the call fails (seen in CI).
    The server runs on, so the call is made again once its socket is there. (Starting the server ahead is no way
    around it: a failed start deletes the lock file of the process that holds the file.)"""
    from pymilvus import MilvusClient

    try:
        return MilvusClient(uri=uri, token=token)
    except Exception as error:
        late = _SOCKET.search(str(error))
        if late is None or Path(late.group(1)).exists():
            raise
        deadline = time.monotonic() + LITE_START_SECONDS
        while not Path(late.group(1)).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return MilvusClient(uri=uri, token=token)


class _Guarded:
    """The client, with Milvus's own errors (server gone, timeouts) turned into SearchEngineUnavailableError, which
    the API answers with 503 and the CLI with its message, instead of a 500."""

    def __init__(self, client: Any, uri: str) -> None:
        self._client = client
        self._uri = uri

    def __getattr__(self, name: str) -> Any:
        from pymilvus.exceptions import MilvusException

        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return attribute(*args, **kwargs)
            except MilvusException as error:
                raise SearchEngineUnavailableError(f"Milvus at {self._uri} failed ({error}); try again.") from error

        return guarded
