"""Load with a concurrent upload: N clients for S seconds on loopback mixing ask, search, compare and similar against a
real `aftaler serve` with API keys, while an admin uploads an agreement that is ingested in the background.

Reports requests/s, errors by kind, p50/p95 per route, /ask latency while the ingest ran and after it, and the
upload job's outcome. The server runs on a copy of the corpus and of an existing index (data/index by default), so
nothing of yours changes. Run: python benchmarks/load.py [--clients 32] [--seconds 60] [--out F]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx

from benchmarks.common import free_port, long_agreement, wait_healthy

ROOT = Path(__file__).resolve().parents[1]
READ_KEY, ADMIN_KEY = "load-laeser", "load-admin"
MIX = [("ask", 0.5), ("search", 0.2), ("compare", 0.15), ("similar", 0.15)]
TOPICS = ["sygefravær", "trivsel", "beskæftigelse", "magtanvendelse", "budget", "pladser"]
DRAFTS = [
    "Vi vil nedbringe sygefraværet gennem tidlig dialog med medarbejderne.",
    "Borgerne skal opleve en sammenhængende indsats på tværs af afdelinger.",
    "Institutionen skal arbejde systematisk med at forebygge magtanvendelse.",
]


def questions() -> list[str]:
    lines = (ROOT / "benchmarks" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def request_for(kind: str, rng: random.Random, asked: list[str]) -> tuple[str, dict]:
    if kind == "ask":
        return "/ask", {"question": rng.choice(asked)}
    if kind == "search":
        return "/search", {"query": rng.choice(asked), "top_k": 5}
    if kind == "compare":
        return "/compare", {"topic": rng.choice(TOPICS)}
    return "/similar", {"text": rng.choice(DRAFTS), "top_k": 5}


async def client(n: int, base: str, until: float, asked: list[str], samples: list, errors: Counter) -> None:
    rng = random.Random(n)
    kinds, weights = zip(*MIX, strict=True)
    headers = {"Authorization": f"Bearer {READ_KEY}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
        while time.monotonic() < until:
            kind = rng.choices(kinds, weights)[0]
            path, body = request_for(kind, rng, asked)
            started = time.monotonic()
            try:
                response = await http.post(path, json=body)
                status = response.status_code
            except httpx.HTTPError as error:
                status = type(error).__name__
            ended = time.monotonic()
            samples.append((kind, started, ended - started))
            if status != 200:
                errors[f"{kind}: {status}"] += 1


async def uploader(base: str, delay: float, paragraphs: int) -> dict:
    await asyncio.sleep(delay)
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as http:
        started = time.monotonic()
        accepted = await http.post(
            "/documents", files={"files": ("ellehuset.txt", long_agreement("Ellehuset", paragraphs))}
        )
        job = accepted.json()
        while job.get("state") in ("queued", "running"):
            await asyncio.sleep(0.5)
            job = (await http.get(f"/jobs/{job['id']}")).json()
        return {"status": accepted.status_code, "job": job, "started": started, "ended": time.monotonic()}


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 3),
        "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 3),
        "max": round(ordered[-1], 3),
    }


async def run(base: str, clients: int, seconds: float, paragraphs: int, warmup: float) -> dict:
    """`warmup` seconds of load first (not counted: the first requests fill the server's caches), then `seconds`
    counted, with the upload sent as the counted part begins."""
    asked = questions()
    samples: list[tuple[str, float, float]] = []
    errors: Counter = Counter()
    began = time.monotonic() + warmup
    until = began + seconds
    upload = asyncio.create_task(uploader(base, warmup, paragraphs)) if paragraphs else None
    await asyncio.gather(*(client(n, base, until, asked, samples, errors) for n in range(clients)))
    uploaded = await upload if upload else {"status": None, "job": {}, "started": until, "ended": until}
    samples = [sample for sample in samples if sample[1] >= began]
    by_route: dict[str, list[float]] = defaultdict(list)
    during, outside = [], []
    for kind, started, latency in samples:
        by_route[kind].append(latency)
        if kind == "ask":
            (during if uploaded["started"] <= started <= uploaded["ended"] else outside).append(latency)
    return {
        "clients": clients,
        "seconds": seconds,
        "warmup_seconds": warmup,
        "requests": len(samples),
        "requests_per_s": round(len(samples) / seconds, 1),
        "errors": dict(errors),
        "routes": {kind: percentiles(values) for kind, values in sorted(by_route.items())},
        "ask_during_ingest": percentiles(during),
        "ask_after_ingest": percentiles(outside),
        "upload": {
            "status": uploaded["status"],
            "state": uploaded["job"].get("state"),
            "files": uploaded["job"].get("files"),
            "ingest_seconds": round(uploaded["ended"] - uploaded["started"], 1),
            "ended_before_load_stopped": uploaded["ended"] <= until,
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=5, help="seconds of load before counting")
    parser.add_argument("--paragraphs", type=int, default=150, help="size of the uploaded agreement (0: no upload)")
    parser.add_argument("--workers", type=int, default=2, help="server processes (`aftaler serve --workers`)")
    parser.add_argument("--index", type=Path, default=ROOT / "data" / "index", help="an index of corpus/ to copy")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "load.json")
    args = parser.parse_args()
    if not (args.index / "manifest.json").is_file():
        print(f"no index at {args.index}; run `aftaler ingest` first", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="aftaler-load-") as scratch:
        root = Path(scratch)
        shutil.copytree(ROOT / "corpus", root / "corpus")
        shutil.copytree(args.index, root / "data" / "index")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "AFTALER_CORPUS_DIR": str(root / "corpus"),
            "AFTALER_DATA_DIR": str(root / "data"),
            "AFTALER_MODELS_DIR": os.environ.get("AFTALER_MODELS_DIR", str(ROOT / "data" / "models")),
            "AFTALER_API_KEYS": READ_KEY,
            "AFTALER_ADMIN_KEYS": ADMIN_KEY,
            "AFTALER_RATE_LIMIT": "0",
        }
        log = (root / "server.log").open("w")
        server = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", str(args.workers)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_healthy(base, server, 600, lambda: (root / "server.log").read_text(errors="replace")[-3000:])
            # Every worker must be up before the clients connect: kept-alive connections stay with the worker that
            # accepted them, so a worker still loading when the load starts would get none for the whole run.
            deadline = time.monotonic() + 600
            while (root / "server.log").read_text(errors="replace").count("Application startup complete") < (
                args.workers
            ):
                if time.monotonic() > deadline:
                    raise RuntimeError("not every server worker started")
                time.sleep(0.5)
            result = asyncio.run(run(base, args.clients, args.seconds, args.paragraphs, args.warmup))
            server_errors = sum(
                1 for line in (root / "server.log").read_text(errors="replace").splitlines() if '"status": 5' in line
            )
            result["server_5xx_logged"] = server_errors
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
    result["workers"] = args.workers
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
