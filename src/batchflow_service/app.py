"""create_app(settings): wiring only."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from . import heap
from .api import auth, downloads, health, runs, users, weblog, wes, workflows
from .api.dashboard import dashboard_router
from .api.errors import install_error_handlers
from .api.guard import RequestGuard
from .api.limits import BodyLimit
from .auth.authenticator import Authenticator
from .auth.bootstrap import ensure_admin
from .engines import Engine, MockEngine
from .reconciler import Reconciler
from .runs import RunService
from .settings import Settings
from .store import MemoryStore, PostgresStore, RunStore
from .version import installed_version


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
    authenticator = Authenticator(settings, store)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await store.open()
        await authenticator.start()
        if settings.auth == "builtin":
            password = settings.admin_password
            await ensure_admin(store, password.get_secret_value() if password else None)
        loop = asyncio.create_task(reconciler.run())
        heap.settle_after_start()
        yield
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop
        for engine in engines.values():
            await engine.close()
        await authenticator.close()
        await store.close()

    app = FastAPI(
        title="batchflow",
        summary="Run Snakemake and Nextflow workflows on AWS Batch: submit runs, follow their "
        "tasks and logs, fetch their outputs.",
        version=installed_version(),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.engines = engines
    app.state.runs = RunService(store, engines, reconciler.recovered)
    app.state.auth = authenticator
    app.state.metrics = health.RunMetrics()
    app.include_router(auth.router)
    app.include_router(users.router)
    app.include_router(runs.router)
    app.include_router(downloads.router)
    downloads.redact_access_log()
    app.include_router(workflows.router)
    app.include_router(wes.router)
    app.include_router(weblog.router)
    app.include_router(health.router)
    app.include_router(dashboard_router(settings))
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(
        RequestGuard,
        hosts=set(settings.allowed_hosts),
        origins=set(settings.allowed_origins),
        public_url=settings.public_url,
        loopback_clients_only=settings.auth == "none",
    )

    install_error_handlers(app)
    return app
