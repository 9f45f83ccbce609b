"""Background jobs: outcomes, failures, and what a restart says of a job that was running."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from service.errors import NotFoundError
from service.jobs import INTERRUPTED, FileOutcome, Job, Jobs


def finished(jobs: Jobs, job_id: str) -> Job:
    deadline = time.monotonic() + 10
    while (job := jobs.get(job_id)).state in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.01)
    return job


def index_all(job: Job, progress) -> None:
    progress("embed", 1, 1)
    for outcome in job.files:
        outcome.status = "indexed"


def explode(job: Job, progress) -> None:
    raise RuntimeError("the ingest process ended with code 1: disk full")


def test_a_job_whose_files_are_indexed_is_done_and_recorded(tmp_path: Path):
    jobs = Jobs(tmp_path, index_all)
    job = finished(jobs, jobs.submit("upload", [FileOutcome("a.txt", "stored")]).id)
    recorded = json.loads((tmp_path / f"{job.id}.json").read_text())
    assert (job.state, job.files[0].status, recorded["state"], recorded["stage"]) == (
        "done",
        "indexed",
        "done",
        "embed",
    )


def test_a_job_whose_work_fails_is_failed_with_the_reason_on_every_file(tmp_path: Path):
    jobs = Jobs(tmp_path, explode)
    job = finished(jobs, jobs.submit("upload", [FileOutcome("a.txt", "stored"), FileOutcome("b.pdf", "stored")]).id)
    assert (job.state, [f.status for f in job.files], job.error) == (
        "failed",
        ["failed", "failed"],
        "RuntimeError: the ingest process ended with code 1: disk full",
    )


@pytest.mark.parametrize(("still_running", "state"), [(False, "failed"), (True, "running")])
def test_after_a_restart_a_running_job_is_failed_unless_another_process_still_runs_it(
    tmp_path: Path, still_running, state
):
    job = Job(id="0123456789abcdef", kind="upload", state="running", files=[FileOutcome("a.txt", "stored")])
    (tmp_path / f"{job.id}.json").write_text(json.dumps(job.to_json()))
    seen = Jobs(tmp_path, index_all, lambda job_id: still_running).get(job.id)
    assert (seen.state, seen.error == INTERRUPTED) == (state, not still_running)


@pytest.mark.parametrize("job_id", ["0" * 16, "../../etc/passwd", "ABC"])
def test_an_unknown_or_malformed_job_id_is_not_found(tmp_path: Path, job_id):
    with pytest.raises(NotFoundError, match="no job"):
        Jobs(tmp_path, index_all).get(job_id)
