"""A real `aftaler serve` on 127.0.0.1 over the bundled corpus, for end-to-end and browser tests.

One server per test session: the index is built once into a temporary data folder; the converted embedding
model is cached in the repository's data/models (or AFTALER_MODELS_DIR) so later runs skip the conversion.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import free_port, wait_healthy

REPO = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 900  # a fresh machine converts the model and embeds the corpus first


class LiveServer:
    def __init__(
        self, data_dir: Path, log_path: Path, extra_env: dict[str, str] | None = None, workers: int = 1
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "AFTALER_DATA_DIR": str(data_dir),
            "AFTALER_MODELS_DIR": os.environ.get("AFTALER_MODELS_DIR", str(REPO / "data" / "models")),
            "AFTALER_CORPUS_DIR": str(REPO / "corpus"),
        }
        env.pop("AFTALER_LLM_URL", None)
        env.update(extra_env or {})
        self.env = env
        self.workers = workers
        self.log_path = log_path
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
            + ["--workers", str(workers)],
            cwd=REPO,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait(self) -> None:
        try:
            wait_healthy(self.url, self.process, STARTUP_SECONDS, self.log)
            # With several workers, /health answering means one is up; wait for all.
            deadline = time.monotonic() + STARTUP_SECONDS
            while self.log_path.read_text(errors="replace").count("Application startup complete") < self.workers:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"not all {self.workers} workers started:\n{self.log()}")
                time.sleep(0.2)
        except RuntimeError:
            self.stop()
            raise

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-5000:]

    def kill(self) -> None:
        """kill -9: no shutdown code runs, as when the machine or the OOM killer stops the server."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=20)
        self._log.close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


def copied_server(
    built_data_dir: Path, root: Path, env: dict[str, str], corpus: Path | None = None, workers: int = 1
) -> LiveServer:
    """A server of its own (its own corpus folder and data folder, so uploads and deletes change nothing shared)
    that starts from a copy of an index already built from the bundled corpus: no re-embedding."""
    corpus = corpus or root / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for path in (REPO / "corpus").iterdir():
        shutil.copy2(path, corpus / path.name)
    data = root / "data"
    shutil.copytree(built_data_dir / "index", data / "index")
    server = LiveServer(data, root / "server.log", {"AFTALER_CORPUS_DIR": str(corpus), **env}, workers)
    server.wait()
    return server
