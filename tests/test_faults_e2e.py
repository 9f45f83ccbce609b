"""Faults on a real server: kill -9 during an upload's ingest, a full disk, a read-only corpus folder."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks.common import long_agreement
from tests.live_server import LiveServer, copied_server

pytestmark = pytest.mark.slow


# Under the server's request limit (300 a minute from one key), however long the job takes on a busy machine.
POLL_SECONDS = 0.25


def poll(server: LiveServer, job_id: str, until, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = httpx.get(f"{server.url}/jobs/{job_id}", timeout=30).json()
        if until(job):
            return job
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"job {job_id} never reached the expected state; last: {job}")


def test_kill_9_during_an_upload_ingest_keeps_the_previous_index_and_reports_the_job_failed(
    live_server, live_data_dir, tmp_path
):
    server = copied_server(live_data_dir, tmp_path, {})
    manifest = Path(server.env["AFTALER_DATA_DIR"]) / "index" / "manifest.json"
    before = json.loads(manifest.read_text())
    accepted = httpx.post(
        f"{server.url}/documents", files={"files": ("skovbrynet.txt", long_agreement("Skovbrynet", 150))}, timeout=60
    ).json()
    poll(server, accepted["id"], lambda job: job["stage"] == "embed" and job["done"] > 0)
    server.kill()
    assert json.loads(manifest.read_text()) == before, "the index on disk is the one from before the upload"

    restarted = LiveServer(Path(server.env["AFTALER_DATA_DIR"]), tmp_path / "restarted.log", server.env)
    try:
        restarted.wait()
        job = httpx.get(f"{restarted.url}/jobs/{accepted['id']}", timeout=30).json()
        answer = httpx.post(
            f"{restarted.url}/ask", json={"question": "Hvad er måltallet for sygefravær på Bakkegården?"}, timeout=60
        ).json()
        titles = {d["title"] for d in httpx.get(f"{restarted.url}/documents", timeout=30).json()}
    finally:
        restarted.stop()
    assert (job["state"], job["files"][0]["status"], "server stopped" in job["error"]) == ("failed", "failed", True)
    assert answer["lead"] == "8 %"
    # The stored file was not lost either: the restart's update indexed it.
    assert (len(titles), "Udviklingsaftale for Skovbrynet 2026" in titles) == (len(before["documents"]) + 1, True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 400 KB tmpfs for the corpus folder (needs root, as CI has); unmounted afterwards."""
    mount_point = tmp_path / "corpus"
    mount_point.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount_point)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({made.stderr.decode().strip()}); run as root")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_disk_gives_507_and_a_read_only_corpus_503_and_nothing_is_left_behind(
    live_server, live_data_dir, tmp_path, small_disk
):
    server = copied_server(live_data_dir, tmp_path, {}, corpus=small_disk)
    try:
        before = sorted(p.name for p in small_disk.iterdir())
        full = httpx.post(
            f"{server.url}/documents", files={"files": ("stor.txt", long_agreement("Skovbrynet", 2500))}, timeout=60
        )
        subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
        read_only = httpx.post(
            f"{server.url}/documents", files={"files": ("lille.txt", long_agreement("Skovbrynet", 2))}, timeout=60
        )
        after = sorted(p.name for p in small_disk.iterdir())
    finally:
        server.stop()
    assert (full.status_code, "no space left" in full.json()["detail"]) == (507, True)
    assert (read_only.status_code, "must be writable" in read_only.json()["detail"]) == (503, True)
    assert after == before


def test_with_two_workers_an_upload_is_served_by_both_and_kill_9_takes_the_workers_down(
    live_server, live_data_dir, tmp_path
):
    server = copied_server(live_data_dir, tmp_path, {}, workers=2)
    try:
        accepted = httpx.post(
            f"{server.url}/documents", files={"files": ("skovbrynet.txt", long_agreement("Skovbrynet", 3))}, timeout=60
        ).json()
        job = poll(server, accepted["id"], lambda job: job["state"] in ("done", "failed"))
        # A new connection each time, so both workers answer some of these.
        titles = [
            httpx.post(f"{server.url}/search", json={"query": "Skovbrynet indsatsområde trivsel"}, timeout=60).json()[
                "passages"
            ][0]["document_title"]
            for _ in range(12)
        ]
    finally:
        server.kill()
    assert (job["state"], set(titles)) == ("done", {"Udviklingsaftale for Skovbrynet 2026"})
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{server.url}/health", timeout=2)
        except httpx.TransportError:
            break
        time.sleep(0.5)
    else:
        raise AssertionError("a worker kept serving after its supervisor was killed")
