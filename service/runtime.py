"""The composition root: settings in, a ready embedder, index and answerer out. Shared by the app and the CLI."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from functools import cached_property

from index.embed import Embedder, SentenceTransformerEmbedder
from index.errors import IndexMissingError
from index.lock import ingest_lock
from index.milvus import MilvusEngine
from index.milvus_client import connect, is_lite
from index.published import PublishReport, load_published, manifest_version, publish
from index.search import Index
from index.serialize import MANIFEST, read_folder, read_manifest
from index.store import BuildReport, load_index, update_index
from ingest.documents import Document
from ingest.pipeline import CHUNKING_VERSION, ingest_file
from ingest.targets import TARGETS_VERSION, extract_targets, targets_to_records
from service.answer import Answerer, Scorer, Wording, calibration_name, load_scorer
from service.config import Settings

Progress = Callable[[str, int, int], None]
MISSING = "missing"


def document_extras(document: Document) -> dict[str, list[dict]]:
    """Per-document records persisted with the index: the goals and targets for /compare."""
    return {"targets": targets_to_records(extract_targets(document))}


@dataclass
class Runtime:
    settings: Settings

    @cached_property
    def embedder(self) -> Embedder:
        return SentenceTransformerEmbedder(
            self.settings.model, cache_dir=self.settings.models_dir, threads=self.settings.torch_threads
        )

    def update(
        self,
        progress: Progress | None = None,
        rebuild: bool = False,
        owner: str = "aftaler ingest",
        wait: float | None = None,
    ) -> BuildReport:
        """Bring the index in line with the corpus folder: only new or changed files are parsed and embedded.
        Holds the index's ingest lock (waiting at most `wait` seconds, None = as long as it takes)."""
        with self.writer(owner, wait):
            return self.update_held(progress, rebuild)

    def writer(self, owner: str, wait: float | None = None) -> AbstractContextManager[None]:
        """The index's ingest lock: one writer at a time across the CLI, jobs and other servers."""
        return ingest_lock(self.settings.index_dir, owner, wait)

    def update_held(self, progress: Progress | None = None, rebuild: bool = False) -> BuildReport:
        """`update` for a caller that already holds `writer()`."""
        report = update_index(
            corpus_dir=self.settings.corpus_dir,
            index_dir=self.settings.index_dir,
            embedder=lambda: self.embedder,
            ingest_file=ingest_file,
            chunking_version=CHUNKING_VERSION,
            extras_fn=document_extras,
            progress=progress,
            model_name=self.settings.model,
            extras_version=TARGETS_VERSION,
            rebuild=rebuild,
            calibration=calibration_name(self.settings.model),
            ann_from=self.settings.ann_from,
            processes=self.settings.ingest_processes,
        )
        if self.settings.search_backend == "milvus":
            report = replace(report, published=self.publish())
        return report

    @cached_property
    def engine(self) -> MilvusEngine:
        """The shared search engine (AFTALER_SEARCH_BACKEND=milvus); the embedded one belongs to each loaded Index."""
        settings = self.settings
        client = connect(settings.milvus_target, settings.milvus_token)
        return MilvusEngine(client, settings.milvus_prefix, lite=is_lite(settings.milvus_target))

    @property
    def where(self) -> str:
        """Where the served index lives, for messages and /health."""
        if self.settings.search_backend == "milvus":
            return f"Milvus at {self.settings.milvus_target} (collection prefix {self.settings.milvus_prefix!r})"
        return str(self.settings.index_dir)

    def publish(self) -> PublishReport:
        """Makes Milvus hold what the index folder holds (the ingest's working copy): changed documents only."""
        manifest = read_manifest(self.settings.index_dir)
        return publish(self.engine, manifest, lambda: read_folder(self.settings.index_dir, manifest)[0])

    def index_version(self) -> object:
        """Changes when another process replaced the index: the manifest file's identity, or the version of the
        manifest published in Milvus (one primary-key lookup). MISSING when there is none."""
        if self.settings.search_backend == "milvus":
            return manifest_version(self.engine) or MISSING
        try:
            status = (self.settings.index_dir / MANIFEST).stat()
        except OSError:
            return MISSING
        return (status.st_ino, status.st_mtime_ns)

    def answerer(self, index: Index, scorer: Scorer | None = None) -> Answerer:
        """The answer pipeline over `index`, with the calibration its manifest names (or the scorer given)."""
        name = index.manifest.get("calibration") or calibration_name(self.settings.model)
        scorer = scorer or load_scorer(name, [self.settings.data_dir / "calibration"])
        return Answerer(index, self.embedder, scorer, Wording.load(self.settings.prompts_dir / "answers"))

    def load(self) -> Index:
        if self.settings.search_backend == "milvus":
            engine = self.engine
            engine.refresh()
            return load_published(engine, lambda: self.embedder, self.where, CHUNKING_VERSION, self.settings.model)
        return load_index(
            self.settings.index_dir,
            lambda: self.embedder,
            chunking_version=CHUNKING_VERSION,
            model_name=self.settings.model,
        )

    def load_or_build(self, progress: Progress | None = None) -> Index:
        """The persisted index; on a fresh checkout, built from the corpus first."""
        try:
            return self.load()
        except IndexMissingError:
            self.update(progress=progress)
            return self.load()


def tqdm_progress() -> Progress:
    """A progress callback drawing one tqdm bar per stage on stderr."""
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def report(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            for earlier in bars.values():  # a stage that reported no final count is over once the next begins
                earlier.close()
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="", file=sys.stderr, leave=True)
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return report


def json_progress(interval: float = 0.5) -> Progress:
    """A progress callback printing {"stage", "done", "total"} JSON lines on stdout, at most every `interval` s
    within a stage (for a parent process that reports the progress, e.g. an upload job)."""
    last: dict[str, float] = {}

    def report(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage in last and done < total and now - last[stage] < interval:
            return
        last[stage] = now
        print(json.dumps({"stage": stage, "done": done, "total": total}), flush=True)

    return report
