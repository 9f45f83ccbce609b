"""Shared parts of the benchmark scripts: loading the sets, matching text and figures, a real server.

The sets are written from reading corpus/ by hand, never from system output. Matching is deliberately
simple and documented in benchmarks/README.md so a score means the same thing on every run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from service.answer.judged import normalise, stated_figures, states_figure

__all__ = ["normalise", "stated_figures", "states_figure"]  # the judging notions, re-exported for the scripts

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "benchmarks"
CORPUS_DIR = ROOT / "corpus"
STARTUP_SECONDS = 900  # the first run converts the model and builds the index
REQUEST_SECONDS = 300.0


# ---------------------------------------------------------------- sets


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path.name} line {number}: {exc}") from exc
    return rows


def load_questions(name: str = "questions.jsonl") -> list[dict[str, Any]]:
    """The development set, or another file of the same shape in benchmarks/ (heldout.jsonl)."""
    return load_jsonl(BENCH_DIR / name)


def load_compare() -> list[dict[str, Any]]:
    return load_jsonl(BENCH_DIR / "compare.jsonl")


def load_precedent() -> list[dict[str, Any]]:
    return load_jsonl(BENCH_DIR / "precedent.jsonl")


def corpus_texts() -> dict[str, str]:
    """File name -> normalised text of every corpus document."""
    return {path.name: normalise(path.read_text(encoding="utf-8")) for path in sorted(CORPUS_DIR.glob("*.txt"))}


# ---------------------------------------------------------------- text matching


def is_relevant(passage_text: str, evidence: list[str]) -> bool:
    haystack = normalise(passage_text)
    return any(normalise(item) in haystack for item in evidence)


def first_relevant_rank(passages: list[dict[str, Any]], evidence: list[str], k: int) -> int | None:
    """1-based rank of the first passage (within the top k) that contains an evidence string."""
    for rank, passage in enumerate(passages[:k], 1):
        if is_relevant(str(passage.get("text", "")), evidence):
            return rank
    return None


# ---------------------------------------------------------------- statistics


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def ratio(hits: int, total: int) -> float:
    return hits / total if total else float("nan")


def fmt(value: float) -> str:
    return "  n/a" if value != value else f"{value:5.3f}"


# ---------------------------------------------------------------- server and HTTP


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(
    base: str,
    process: subprocess.Popen,
    timeout: float,
    log: Callable[[], str] = lambda: "",
    interval: float = 0.5,
) -> None:
    """Poll `base`/health until it answers 200. Raises RuntimeError with the tail of `log()` when the process exits
    first or `timeout` seconds pass; stopping the process is the caller's. Shared by the benchmark server, the test
    server and the test LLM server."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{base}: server exited with {process.returncode}:\n{log()}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(interval)
    raise RuntimeError(f"{base}: server not healthy after {timeout:g} s:\n{log()}")


@contextmanager
def server(url: str | None) -> Iterator[str]:
    """Yield a base URL: `url` when given, else a fresh `aftaler serve` that is stopped afterwards."""
    if url:
        yield url.rstrip("/")
        return
    port = free_port()
    command = ["aftaler"] if shutil.which("aftaler") else [sys.executable, "-m", "service.cli"]
    command += ["serve", "--host", "127.0.0.1", "--port", str(port)]
    log = tempfile.NamedTemporaryFile("w+", prefix="aftaler-bench-", suffix=".log", delete=False)
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        print(f"starting server at {base} (log: {log.name}) ...", file=sys.stderr)
        wait_healthy(base, process, STARTUP_SECONDS, lambda: Path(log.name).read_text()[-3000:], interval=1)
        yield base
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # our own session: the server and anything it started
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        log.close()


def post(client: httpx.Client, path: str, body: dict[str, Any]) -> tuple[dict[str, Any], float]:
    """POST and return (json, seconds). A non-200 answer is an error: the contract is fixed."""
    started = time.perf_counter()
    response = client.post(path, json=body, timeout=REQUEST_SECONDS)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"POST {path} {body!r} -> {response.status_code}: {response.text[:500]}")
    return response.json(), elapsed


def base_arguments(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--url", help="use a running server (e.g. http://127.0.0.1:8000) instead of starting one")
    parser.add_argument("--json", dest="json_path", type=Path, help="also write the results to this JSON file")
    return parser


def write_json(path: Path | None, payload: dict[str, Any]) -> None:
    if path is not None:
        path.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"wrote {path}")


def long_agreement(unit: str, paragraphs: int) -> bytes:
    """A synthetic agreement of `paragraphs` numbered sections, long enough that embedding it takes a while on a
    CPU: the upload for load benchmarks and crash tests."""
    lines = [f"Udviklingsaftale for {unit} 2026", ""]
    for n in range(1, paragraphs + 1):
        lines += [
            f"{n}. Indsatsområde {n}",
            "",
            f"{unit} vil i 2026 styrke indsats nummer {n} for borgere med særlige behov, så mindst {n % 90 + 5} % "
            f"oplever bedre trivsel. Opfølgning sker kvartalsvis sammen med {n % 7 + 2} faste samarbejdspartnere.",
            "",
        ]
    return "\n".join(lines).encode()
