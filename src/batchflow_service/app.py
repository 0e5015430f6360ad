"""create_app(settings): wiring only."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import psycopg
from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from .api import health, runs, weblog, wes
from .engines import Engine, EngineError, MockEngine
from .limits import BodyLimit
from .pages import BadPageTokenError
from .reconciler import Reconciler
from .settings import Settings
from .states import InvalidTransitionError
from .store import MemoryStore, PostgresStore, RunNotFoundError, RunStore

ERROR_STATUSES: dict[type[Exception], int] = {
    RunNotFoundError: 404,
    # A value PostgreSQL cannot store or compare (a NUL character, an unpaired surrogate).
    psycopg.DataError: 400,
    BadPageTokenError: 400,
    EngineError: 400,
    InvalidTransitionError: 409,
}


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"msg": message, "status_code": status}, status_code=status, headers=headers
    )


def allowed_methods(app: FastAPI, scope: dict) -> list[str]:
    """Every method any route serves at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches({**scope, "method": "GET"})
        if match != Match.NONE and getattr(route, "methods", None):
            methods |= route.methods
    return sorted(methods)


def build_engines(settings: Settings, store: RunStore) -> dict[str, Engine]:
    unknown = sorted(set(settings.engines) - {"mock", "snakemake", "nextflow"})
    if unknown:
        raise ValueError(f"unknown engines in BATCHFLOW_ENGINES: {', '.join(unknown)}")
    engines: dict[str, Engine] = {}
    if "mock" in settings.engines:
        engines["mock"] = MockEngine(store)
    if "snakemake" in settings.engines:
        from .engines.snakemake import SnakemakeEngine

        engines["snakemake"] = SnakemakeEngine(store, settings)
    if "nextflow" in settings.engines:
        from .engines.nextflow import NextflowEngine

        engines["nextflow"] = NextflowEngine(store, settings)
    return engines


def build_store(settings: Settings) -> RunStore:
    if settings.database_url is None:
        return MemoryStore()
    password = settings.database_password
    return PostgresStore(
        settings.database_url, password=password.get_secret_value() if password else None
    )


def create_app(settings: Settings | None = None, store: RunStore | None = None) -> FastAPI:
    settings = settings or Settings()
    store = store or build_store(settings)
    engines = build_engines(settings, store)
    reconciler = Reconciler(store, engines, settings.reconcile_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await store.open()
        loop = asyncio.create_task(reconciler.run())
        yield
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop
        for engine in engines.values():
            await engine.close()
        await store.close()

    app = FastAPI(
        title="batchflow",
        summary="Run Snakemake workflows on AWS Batch: submit runs, follow their tasks and logs.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.engines = engines
    app.state.metrics = health.RunMetrics()
    app.include_router(runs.router)
    app.include_router(wes.router)
    app.include_router(weblog.router)
    app.include_router(health.router)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        if request.url.path.startswith(wes.PREFIX):
            problems = "; ".join(
                f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors()
            )
            return _error(wes.invalid_request_status(request.url.path), problems)
        return await request_validation_exception_handler(request, error)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(app, request.scope))
        return _error(error.status_code, str(error.detail), headers)

    for error_type, status in ERROR_STATUSES.items():
        app.add_exception_handler(error_type, _answer_with(status))

    return app


def _answer_with(status: int) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handler(request: Request, error: Exception) -> JSONResponse:
        return _error(status, str(error))

    return handler
