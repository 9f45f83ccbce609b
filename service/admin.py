"""Adding and removing agreements through the API: checked uploads stored in the corpus folder and indexed by a
background job; deletes that take a document's file and index entries out together."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from index.lock import held_by
from ingest.metadata import sidecar_paths
from service.api import Service, indexed_document
from service.config import Settings
from service.jobs import FileOutcome, Job, Jobs
from service.processes import die_with_parent
from service.uploads import Upload, check_upload, remove, restore, storage_error, store

# A delete waits this long for a running ingest before it reports "busy".
DELETE_WAIT = 30.0
# The ingest process yields the CPU to serving under contention.
CHILD_NICENESS = 10


@dataclass
class Admin:
    service: Service
    jobs: Jobs = field(init=False)

    def __post_init__(self) -> None:
        settings = self.service.runtime.settings

        def still_running(job_id: str) -> bool:  # by another server process: the ingest lock is held in its name
            return held_by(settings.index_dir) == f"job {job_id}"

        self.jobs = Jobs(settings.jobs_dir, self._index_job, still_running)

    @property
    def corpus_dir(self) -> Path:
        return self.service.runtime.settings.corpus_dir

    def check(self, name: str, data: bytes) -> Upload:
        return check_upload(name, data, self.service.runtime.settings.max_upload_mb * 1024 * 1024)

    def upload(self, uploads: list[Upload], replace: bool) -> Job:
        """Stores checked uploads (all or none) and queues the job that indexes them."""
        try:
            self.corpus_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise storage_error(error, self.corpus_dir) from None
        stored = store(uploads, self.corpus_dir, replace)
        outcomes = [FileOutcome(path.name, "stored", upload.note) for path, upload in zip(stored, uploads, strict=True)]
        return self.jobs.submit("upload", outcomes)

    def delete(self, document_id: str) -> dict:
        """Removes the document's file (and sidecar) from the corpus and its entries from the index, together:
        if the index cannot be rewritten, the files are put back."""
        document = indexed_document(self.service.index, document_id)
        path = self.corpus_dir / document.path
        with self.service.runtime.writer(f"delete {document_id}", wait=DELETE_WAIT):
            moved = remove(
                [path, *[p for p in sidecar_paths(path) if p.is_file()]],
                self.service.runtime.settings.data_dir / "trash" / f"{int(time.time() * 1000)}",
            )
            try:
                self.service.runtime.update_held()
            except BaseException:
                restore(moved)
                raise
        self.service.reload()
        for _, aside in moved:
            aside.unlink(missing_ok=True)
        return {"deleted": document_id, "path": document.path, "documents": len(self.service.index.documents)}

    def _index_job(self, job: Job, progress: Callable[[str, int, int], None]) -> None:
        """Runs `aftaler ingest` as a child process at a lower CPU priority: it embeds on the other core without
        holding this server's GIL, serving keeps precedence, and it dies with the server (the previous index
        then stays, as after any interrupted ingest)."""
        failures = run_ingest_process(self.service.runtime.settings, f"job {job.id}", progress)
        self.service.reload()
        # Uploads are stored at the top of the corpus folder, so a file's name is its corpus path.
        by_file = {d.path: d.id for d in self.service.index.documents.values()}
        for outcome in job.files:
            if outcome.name in failures:
                outcome.status, outcome.message = "failed", failures[outcome.name]
            elif outcome.name in by_file:
                outcome.status, outcome.document_id = "indexed", by_file[outcome.name]
            else:
                outcome.status, outcome.message = "failed", "the file was not found in the corpus when indexing"


def run_ingest_process(settings: Settings, owner: str, progress: Callable[[str, int, int], None]) -> dict[str, str]:
    """`aftaler ingest --json-progress` for these settings in a child process; returns {path: reason} of the files
    that failed. Raises RuntimeError with the child's last words when it fails as a whole."""
    env = {
        **os.environ,
        "AFTALER_CORPUS_DIR": str(settings.corpus_dir),
        "AFTALER_DATA_DIR": str(settings.data_dir),
        "AFTALER_MODELS_DIR": str(settings.models_dir),
        "AFTALER_MODEL": settings.model,
        "AFTALER_TORCH_THREADS": str(settings.torch_threads),
    }
    command = [sys.executable, "-m", "service.cli", "ingest", "--json-progress", "--owner", owner]
    with tempfile.TemporaryFile("w+") as errors:
        child = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=errors, text=True, env=env, preexec_fn=_child_setup
        )
        report: dict = {}
        assert child.stdout is not None
        for line in child.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if "report" in event:
                report = event["report"]
            elif {"stage", "done", "total"} <= set(event):
                progress(event["stage"], event["done"], event["total"])
        code = child.wait()
        errors.seek(0)
        said = errors.read()[-2000:].strip()
    if code != 0 or not report:
        raise RuntimeError(f"the ingest process ended with code {code}: {said or 'no message'}")
    return {f["path"]: f["reason"] for f in report.get("failures", [])}


def _child_setup() -> None:
    os.nice(CHILD_NICENESS)
    die_with_parent(signal.SIGKILL)
