"""Adding and removing agreements through the API: checked uploads stored in the corpus folder and indexed by a
background job; deletes that take a document's file and index entries out together."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ingest.metadata import sidecar_paths
from service.api import Service, indexed_document
from service.jobs import DONE, FAILED, FileOutcome, Job, Jobs
from service.uploads import Upload, check_upload, remove, restore, storage_error, store

# A delete waits this long for a running ingest before it reports "busy".
DELETE_WAIT = 30.0


@dataclass
class Admin:
    service: Service
    jobs: Jobs = field(init=False)

    def __post_init__(self) -> None:
        self.jobs = Jobs(self.service.runtime.settings.jobs_dir, self._index_job)

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
        runtime = self.service.runtime
        with runtime.writer(f"job {job.id}"):
            report = runtime.update_held(progress=progress)
        self.service.reload()
        # Uploads are stored at the top of the corpus folder, so a file's name is its corpus path.
        failed = {f.path: f.reason for f in report.failures}
        by_file = {d.path: d.id for d in self.service.index.documents.values()}
        for outcome in job.files:
            if outcome.name in failed:
                outcome.status, outcome.message = "failed", failed[outcome.name]
            elif outcome.name in by_file:
                outcome.status, outcome.document_id = "indexed", by_file[outcome.name]
            else:
                outcome.status, outcome.message = "failed", "the file was not found in the corpus when indexing"
        job.state = FAILED if any(o.status == "failed" for o in job.files) else DONE
