"""What every engine offers the service."""

from typing import Any, Protocol

from ..models import Run


class EngineError(ValueError):
    """A run request this engine cannot accept; the message says why (HTTP 400)."""


class Engine(Protocol):
    name: str

    def check_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """The run's parameters, validated and normalised; raises EngineError."""
        ...

    async def launch(self, run: Run) -> None: ...

    async def cancel(self, run: Run) -> None: ...

    async def close(self) -> None: ...
