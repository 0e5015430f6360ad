"""The service's configuration, from BATCHFLOW_* environment variables."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BATCHFLOW_", extra="ignore")

    engines: list[str] = Field(
        default=["mock"], description="Engines this service accepts runs for"
    )
    max_request_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="Largest request body accepted"
    )
