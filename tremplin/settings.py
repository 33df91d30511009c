"""Settings in one place (pydantic-settings, ``TREMPLIN_`` environment variables, ``.env``)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

BRUSSELS = ZoneInfo("Europe/Brussels")


class Settings(BaseSettings):
    """Runtime configuration; every value can come from ``TREMPLIN_<NAME>`` or ``.env``."""

    model_config = SettingsConfigDict(env_prefix="TREMPLIN_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path("var"), description="Local state: database, models, index, MLflow."
    )
    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means SQLite at <data_dir>/tremplin.db."
    )
    models_dir: Path | None = Field(
        default=None, description="Converted and fine-tuned models; empty means <data_dir>/models."
    )
    embedding_cache: Path | None = Field(
        default=None,
        description="Embedding cache file; empty means <data_dir>/index/embeddings.sqlite.",
    )
    model_name: str = Field(
        default="multilingual-e5-small", description="Sentence encoder used by the matching engine."
    )
    compute_threads: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Threads of the numerical libraries (BLAS, OpenMP, torch, FAISS) in each "
        "API process: requests and workers already run in parallel, and idle library threads "
        "spinning beside them waste the cores.",
    )
    compute_concurrency: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Shortlists and title links computed at once in each API process; further "
        "ones wait their turn (one core's work shared by many requests makes each slow).",
    )
    batch_compute_slots: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Of those, how many other roles' title-linking batches may hold at once "
        "(the rest stay free for coaches' shortlists).",
    )
    link_titles_per_user_per_minute: int = Field(
        default=600, ge=1, description="Titles one user may link per minute (counted by title)."
    )
    link_titles_per_role_per_minute: int = Field(
        default=3000,
        ge=1,
        description="Titles all users of one role together may link per minute.",
    )
    catalogue_check_s: float = Field(
        default=5.0,
        ge=0,
        description="How often the API checks the opportunity table for other processes' "
        "writes and reloads (0: never).",
    )
    encoder_device: str = Field(
        default="auto",
        pattern=r"^(auto|cpu|cuda(:\d+)?)$",
        description="Where the encoder runs: auto (a CUDA GPU when torch sees one), cpu, cuda.",
    )
    encoder_runtime: Literal["onnx-int8", "torch"] = Field(
        default="onnx-int8",
        description="How the encoder runs on a CPU: onnx-int8 (ONNX Runtime, int8 weights; "
        "about twice as fast, same quality on the external suites) or torch (float32). A GPU "
        "always runs torch.",
    )
    encoder_batch_size: int | None = Field(
        default=None,
        ge=1,
        le=4096,
        description="Texts per forward pass on torch (default: 64 on CPU, 512 on a GPU); "
        "the int8 runtime runs one text per pass.",
    )
    index_factory: str = Field(
        default="IDMap2,Flat",
        description="FAISS factory string of the vector index (exact inner product by default).",
    )
    index_factory_approximate: str = Field(
        default="auto",
        description="FAISS factory string above index_approximate_from vectors ({nlist}: sqrt n); "
        "auto: chosen by size within index_memory_budget_mb (IVF-Flat, IVF-SQ8 or IVF-PQ).",
    )
    index_approximate_from: int = Field(
        default=50_000, ge=1, description="Vector count from which the approximate index is used."
    )
    index_memory_budget_mb: float = Field(
        default=1024.0,
        gt=0,
        description="Memory the approximate vector index may take (auto factory choice).",
    )
    link_titles: bool = Field(
        default=True,
        description="Link free-text wishes, experience titles and offers without an occupation "
        "code to ROME métiers with the title linker (built once per process, with the encoder).",
    )
    use_reranker: bool = Field(
        default=True,
        description="Serve the registry's champion re-ranker when there is one (else the fusion).",
    )
    mlflow_tracking_uri: str = Field(
        default="", description="MLflow tracking store; empty means SQLite at <data_dir>/mlflow.db."
    )
    log_level: str = "INFO"
    # --- service (serving/) ---
    host: str = Field(default="127.0.0.1", description="Address `tremplin serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64, description="uvicorn worker processes.")
    token_ttl_minutes: int = Field(
        default=480, ge=1, le=10_080, description="Lifetime of a bearer token."
    )
    credential_cache_s: float = Field(
        default=5.0,
        ge=0,
        le=60,
        description="How long an API process reuses a resolved token or API key (0: look it up "
        "on every request). Revocations made through a process apply there at once, and "
        "within this delay in the other workers.",
    )
    max_body_bytes: int = Field(
        default=10 * 2**20, ge=1024, description="Larger request bodies get 413."
    )
    max_page_size: int = Field(default=200, ge=1, le=10_000)
    search_rate_per_minute: int = Field(
        default=1200, ge=1, description="Searches (shortlists, links, pool) per user per minute."
    )
    shared_limits: bool = Field(
        default=True,
        description="Count sign-in failures and per-minute budgets in the database, so that "
        "every worker and host counts the same (false: in each process's memory, for a "
        "single-process service only).",
    )
    request_timeout_s: float = Field(default=20.0, gt=0, description="Shortlist time limit.")
    pool_k: int = Field(
        default=5,
        ge=2,
        le=100,
        description="k of the pool's k-anonymity: every profile shown is shared by k members.",
    )
    pool_cards_per_day: int = Field(
        default=300, ge=1, description="Distinct pool cards one user may see in 24 hours."
    )
    as_of: dt.date | None = Field(
        default=None,
        description="The date of every request's hard filters and planning (a demo or a test "
        "on dated sample data); unset: today in Brussels.",
    )
    plan_time_limit_s: float = Field(
        default=30.0, gt=0, le=600, description="Solver time limit of a job-day plan."
    )
    task_heartbeat_s: float = Field(
        default=5.0, gt=0, le=60, description="How often a worker says its page tasks still run."
    )
    task_stale_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="A running page task whose worker has not said so for this long is shown "
        "interrupted (its worker was killed or its host stopped).",
    )
    task_grace_s: float = Field(
        default=40.0,
        ge=0,
        le=3600,
        description="How long a stopping service (SIGTERM) lets running page tasks end before "
        "marking them interrupted (a plan's solver limit, and some).",
    )
    warm_title_linker: bool = Field(
        default=True, description="Build the ESCO title linker in the background at start."
    )
    pseudonym_key: str = Field(
        default="",
        description="Secret for audit pseudonyms; empty means generated in <data_dir>/audit.key.",
    )

    def today(self) -> dt.date:
        """The one date of every request (pages, API, command line, batch): :attr:`as_of` when
        set, else the local date in Brussels (the service's users' day, whatever the server's
        time zone)."""
        return self.as_of or dt.datetime.now(BRUSSELS).date()

    @model_validator(mode="after")
    def _defaults_under_data_dir(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'tremplin.db'}"
        if self.embedding_cache is None:
            self.embedding_cache = self.data_dir / "index" / "embeddings.sqlite"
        if self.task_stale_s <= 2 * self.task_heartbeat_s:
            raise ValueError("task_stale_s must exceed twice task_heartbeat_s")
        if self.models_dir is None:
            self.models_dir = self.data_dir / "models"
        if not self.mlflow_tracking_uri:
            self.mlflow_tracking_uri = f"sqlite:///{self.data_dir / 'mlflow.db'}"
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once from the environment)."""
    return Settings()
