"""The loop that brings the store in line with where each run's work really is."""

import asyncio
import logging

from .engines import Engine
from .store import RunStore

log = logging.getLogger(__name__)


class Reconciler:
    def __init__(self, store: RunStore, engines: dict[str, Engine], interval: float) -> None:
        self._store = store
        self._engines = engines
        self._interval = interval
        self.recovered = asyncio.Event()
        """Set once every engine has put back the runs the store lost (or failed to)."""

    async def run(self) -> None:
        """At start, finds runs in flight that the store lost; then reconciles forever."""
        for engine in self._engines.values():
            try:
                await engine.recover()
            except Exception:
                log.exception("recovering %s runs failed", engine.name)
        self.recovered.set()
        while True:
            await self.reconcile_once()
            await asyncio.sleep(self._interval)

    async def reconcile_once(self) -> None:
        active = await self._store.active_runs()
        for name, engine in self._engines.items():
            runs = [run for run in active if run.engine == name]
            if not runs:
                continue
            try:
                await engine.reconcile(runs)
            except Exception:
                log.exception("reconciling %d %s runs failed", len(runs), name)
