"""Background ingest jobs: an upload returns at once with a job id; one worker thread brings the index up to date.

Jobs run one after another (the index has one writer; `index.lock` also keeps the CLI and other servers out).
Each job is written to `DATA_DIR/jobs/<id>.json` when its state changes, so a job that a crash interrupted is
reported as failed after a restart rather than forgotten."""

from __future__ import annotations

import json
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from service.errors import NotFoundError

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
INTERRUPTED = (
    "the server stopped before this ingest finished; the previous index was kept, and the stored files are "
    "indexed at the next update (restart or `aftaler ingest`)"
)
_ID = set("0123456789abcdef")
SAVE_PROGRESS_SECONDS = 1.0


@dataclass
class FileOutcome:
    name: str
    status: str  # stored -> indexed | failed
    message: str = ""
    document_id: str = ""


@dataclass
class Job:
    id: str
    kind: str
    state: str = QUEUED
    files: list[FileOutcome] = field(default_factory=list)
    stage: str = ""
    done: int = 0
    total: int = 0
    error: str = ""
    created: float = field(default_factory=time.time)
    finished: float | None = None

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Job:
        files = [FileOutcome(**f) for f in data.pop("files", [])]
        return cls(**data, files=files)


# Runs one job: updates the index, reports progress as (stage, done, total), fills in the file outcomes.
Work = Callable[[Job, Callable[[str, int, int], None]], None]


class Jobs:
    def __init__(self, folder: Path, work: Work, still_running: Callable[[str], bool] = lambda job_id: False) -> None:
        self.folder = folder
        self.work = work
        self.still_running = still_running
        self._jobs: dict[str, Job] = {}
        self._queue: queue.Queue[Job] = queue.Queue()
        self._lock = threading.Lock()
        self._fail_interrupted()
        threading.Thread(target=self._run, name="ingest-jobs", daemon=True).start()

    def submit(self, kind: str, files: list[FileOutcome]) -> Job:
        job = Job(id=uuid.uuid4().hex[:16], kind=kind, files=files)
        with self._lock:
            self._jobs[job.id] = job
        self._save(job)
        self._queue.put(job)
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is not None:
            return job
        path = self.folder / f"{job_id}.json"
        if set(job_id) <= _ID and path.is_file():
            return Job.from_json(json.loads(path.read_text(encoding="utf-8")))
        raise NotFoundError(f"no job {job_id!r}; use the job id an upload returned")

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            job.state = RUNNING
            self._save(job)

            saved = [time.monotonic()]

            def progress(stage: str, done: int, total: int, job: Job = job, saved: list[float] = saved) -> None:
                job.stage, job.done, job.total = stage, done, total
                # Other server processes read the job from its file: keep its progress there about once a second.
                if time.monotonic() - saved[0] >= SAVE_PROGRESS_SECONDS:
                    saved[0] = time.monotonic()
                    self._save(job)

            try:
                self.work(job, progress)
                job.state = FAILED if any(f.status == "failed" for f in job.files) else DONE
            except Exception as error:  # the job reports it; the worker lives on for the next job
                job.state, job.error = FAILED, f"{type(error).__name__}: {error}"
                for outcome in job.files:
                    if outcome.status == "stored":
                        outcome.status, outcome.message = "failed", job.error
            job.finished = time.time()
            self._save(job)

    def _save(self, job: Job) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temp = self.folder / f".{job.id}.json.part"
            temp.write_text(json.dumps(job.to_json(), ensure_ascii=False), encoding="utf-8")
            os.replace(temp, self.folder / f"{job.id}.json")
        except OSError:
            pass  # the job still runs and is reported from memory; only its record after a restart is lost

    def _fail_interrupted(self) -> None:
        if not self.folder.is_dir():
            return
        for path in self.folder.glob("*.json"):
            try:
                job = Job.from_json(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError):
                continue
            if job.state in (QUEUED, RUNNING) and not self.still_running(job.id):
                job.state, job.error, job.finished = FAILED, INTERRUPTED, time.time()
                for outcome in job.files:
                    if outcome.status == "stored":
                        outcome.status, outcome.message = "failed", INTERRUPTED
                self._save(job)
