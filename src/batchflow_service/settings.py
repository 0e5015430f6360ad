"""The service's configuration, from BATCHFLOW_* environment variables."""

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .catalog import default_catalog_dir

CATALOG = default_catalog_dir()
ORIGIN_CHARACTERS = re.compile(r"[A-Za-z0-9.:\[\]-]+")


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
    spot_retries: int = Field(
        default=9,
        ge=0,
        le=9,
        description="How often Batch reruns a rule job's attempt lost to a Spot reclaim (the "
        "executor's --batchflow-spot-retries, whose own default is 3): nobody watches a "
        "service's run to resubmit what Spot took",
    )
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

    auth: Literal["builtin", "oidc", "none"] = Field(
        default="builtin",
        description="builtin: users and passwords kept by this service; oidc: tokens from an "
        "OpenID provider; none: no checks at all (tests only, refused beyond loopback)",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="The key that signs the service's own tokens (HS256); generated and kept in "
        "the store when unset",
    )
    admin_password: SecretStr | None = Field(
        default=None,
        description="The password of user admin, created when no user exists; a random one is "
        "generated and logged once when unset",
    )
    token_minutes: int = Field(
        default=60, ge=1, le=24 * 60, description="Lifetime of a token from POST /auth/token"
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="A token a Prometheus scraper may present to GET /metrics"
    )
    oidc_issuer: str | None = Field(
        default=None, description="The OpenID provider's issuer URL (BATCHFLOW_AUTH=oidc)"
    )
    oidc_audience: str | None = Field(
        default=None, description="The audience (aud) tokens must be issued for"
    )
    oidc_role_claim: str = Field(
        default="groups",
        description="The claim naming the caller's roles or groups (Cognito: cognito:groups)",
    )
    oidc_role_map: dict[str, str] = Field(
        default_factory=lambda: {
            role: role for role in ("admin", "maintainer", "launcher", "viewer")
        },
        description="JSON object: a value of the role claim -> admin, maintainer, launcher or "
        "viewer; the most powerful match wins, and a token with none is refused",
    )
    oidc_username_claim: str = Field(
        default="sub", description="The claim that names the caller (owner of their runs)"
    )
    oidc_client_id: str | None = Field(
        default=None,
        description="The provider's public client (authorization code + PKCE, no secret) the "
        "dashboard signs in with; its redirect URI is PUBLIC_URL/ui/callback. Unset: the "
        "dashboard offers no OpenID sign-in",
    )
    oidc_scope: str = Field(
        default="openid profile", description="The scopes the dashboard asks the provider for"
    )
    oidc_provider_name: str | None = Field(
        default=None,
        description="The provider's name on the dashboard's sign-in button; default: the "
        "issuer's host",
    )
    oidc_dashboard_token: Literal["access", "id"] = Field(
        default="access",
        description="The token the dashboard presents: the access token (asked for with the "
        "audience as RFC 8707 resource), or the ID token (aud = the client id; Cognito)",
    )
    oidc_token_origins: list[str] = Field(
        default_factory=list,
        description="Origins (JSON list, https://host) besides the issuer's that the dashboard "
        "calls to sign in: where the provider's token endpoint is elsewhere (Cognito: "
        "https://DOMAIN.auth.REGION.amazoncognito.com)",
    )
    dashboard_dir: Path | None = Field(
        default=None,
        description="The built dashboard (index.html and assets/); default: the one the wheel "
        "carries, else frontend/dist of a checkout",
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names (JSON list) requests may name besides loopback and the public "
        "URL's host",
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Origins (JSON list, scheme://host[:port]) whose pages may send "
        "state-changing requests besides the service's own",
    )

    @field_validator("secret_key")
    @classmethod
    def _long_key(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None and len(key.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (e.g. `openssl rand -hex 32`)")
        return key

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

    @field_validator("oidc_token_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            parsed = urlsplit(origin)
            if (
                parsed.scheme not in ("http", "https")
                or not parsed.hostname
                or f"{parsed.scheme}://{parsed.netloc}" != origin
                or not ORIGIN_CHARACTERS.fullmatch(parsed.netloc)
            ):
                raise ValueError(
                    f"{origin[:100]!r} is not an origin: give scheme://host[:port] only, e.g. "
                    "https://example.auth.eu-west-1.amazoncognito.com"
                )
        return origins

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, url: str | None) -> str | None:
        if url and not url.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return url or None
