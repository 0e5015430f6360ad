"""Fault injection for tests: throttled API calls and Spot reclaims. Off unless switched on."""

import random
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Service = Literal["batch", "logs", "s3"]


class FaultSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    throttle_rate: float = Field(0.0, ge=0.0, le=1.0, description="Fraction of calls throttled")
    throttle_services: set[Service] = Field(
        default={"batch", "logs"}, description="Services whose calls may be throttled"
    )
    spot_reclaim_rate: float = Field(
        0.0, ge=0.0, le=1.0, description="Fraction of job attempts reclaimed as Spot interruptions"
    )
    spot_reclaim_after_seconds: float = Field(
        1.0, ge=0.0, le=86_400, description="How long a doomed attempt runs before its reclaim"
    )
    spot_reclaim_queues: set[str] = Field(
        default_factory=set,
        description="Job queues whose attempts may be reclaimed (a head queue on on-demand "
        "capacity is never reclaimed); empty: every queue",
    )
    seed: int | None = Field(None, description="Seed for reproducible fault sequences")


class FaultInjector:
    def __init__(self, settings: FaultSettings | None = None) -> None:
        self.configure(settings or FaultSettings())

    def configure(self, settings: FaultSettings) -> None:
        self.settings = settings
        self._random = random.Random(settings.seed)

    def throttles(self, service: str) -> bool:
        rate = self.settings.throttle_rate
        return service in self.settings.throttle_services and self._draw(rate)

    def reclaims_attempt(self, queue: str) -> bool:
        queues = self.settings.spot_reclaim_queues
        return (not queues or queue in queues) and self._draw(self.settings.spot_reclaim_rate)

    def _draw(self, rate: float) -> bool:
        return rate > 0 and self._random.random() < rate
