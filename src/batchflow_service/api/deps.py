"""The dependencies routes declare, named once."""

from typing import Annotated

from fastapi import Depends, Request

from ..engines import Engine
from ..store import RunStore


def get_store(request: Request) -> RunStore:
    return request.app.state.store


def get_engines(request: Request) -> dict[str, Engine]:
    return request.app.state.engines


StoreDep = Annotated[RunStore, Depends(get_store)]
EnginesDep = Annotated[dict[str, Engine], Depends(get_engines)]
