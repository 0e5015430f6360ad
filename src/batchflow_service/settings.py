"""The service's configuration, from BATCHFLOW_* environment variables."""

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .catalog import default_catalog_dir

CATALOG = default_catalog_dir()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BATCHFLOW_", extra="ignore")

    engines: list[str] = Field(
        default=["mock", "snakemake"], description="Engines this service accepts runs for"
    )
    bucket: str = Field(default="batchflow-local", description="Staging bucket for runs")
    head_queue: str = Field(default="local", description="Job queue for head jobs")
    task_queue: str = Field(default="local", description="Job queue for rule jobs")
    head_image: str = Field(default="batchflow-local", description="Image of head jobs")
    nextflow_head_image: str = Field(
        default="batchflow-local", description="Image of Nextflow head jobs"
    )
    task_image: str = Field(default="batchflow-local", description="Image of rule jobs")
    head_role: str | None = Field(default=None, description="IAM role ARN head jobs run as")
    task_role: str | None = Field(default=None, description="IAM role ARN rule jobs run as")
    execution_role: str | None = Field(
        default=None, description="IAM role ARN ECS uses to pull images and write logs"
    )
    head_vcpus: int = Field(default=1, ge=1, le=16)
    head_memory_mib: int = Field(default=2048, ge=512)
    max_jobs: int = Field(default=20, ge=1, le=10_000, description="Rule jobs in flight per run")
    catalog_dir: Path = Field(default=CATALOG, description="Folder of catalog workflows")
    reconcile_seconds: float = Field(default=5.0, gt=0, description="Reconciler interval")
    aws_max_attempts: int = Field(
        default=6,
        ge=1,
        le=20,
        description="Attempts of an AWS call that is throttled or cannot connect (a request "
        "waits for at most 3)",
    )
    aws_max_wait_seconds: float = Field(
        default=5.0, gt=0, le=60, description="Longest backoff between two attempts"
    )
    max_request_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="Largest request body accepted"
    )
    max_workflow_files: int = Field(default=200, ge=1)
    max_params_bytes: int = Field(default=64 * 1024, ge=2)
    max_event_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest Nextflow weblog event accepted"
    )
    public_url: str | None = Field(
        default=None,
        description="The URL at which head jobs reach this service (Nextflow posts its weblog "
        "events there); the nextflow engine needs it",
    )
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL (postgresql://user@host:port/db); runs stay in memory if unset",
    )
    database_password: SecretStr | None = Field(
        default=None, description="The database password, kept out of the URL"
    )

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if not url:
            return None
        parsed = urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"must be an http:// or https:// URL with a host, got {url!r}")
        if parsed.query or parsed.fragment:
            raise ValueError("must not carry a query or fragment")
        return url.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, url: str | None) -> str | None:
        if url and not url.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return url or None
