"""The dependencies routes declare, named once."""

from typing import Annotated

from fastapi import Depends, Request

from ..engines import Engine
from ..runs import RunService
from ..store import RunStore


def get_store(request: Request) -> RunStore:
    return request.app.state.store


def get_engines(request: Request) -> dict[str, Engine]:
    return request.app.state.engines


def get_runs(request: Request) -> RunService:
    return request.app.state.runs


StoreDep = Annotated[RunStore, Depends(get_store)]
EnginesDep = Annotated[dict[str, Engine], Depends(get_engines)]
RunsDep = Annotated[RunService, Depends(get_runs)]
