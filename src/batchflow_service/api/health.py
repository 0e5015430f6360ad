"""Liveness, readiness and Prometheus metrics."""

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from .deps import StoreDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "The store cannot be reached"}})
async def readyz(store: StoreDep, response: Response) -> dict[str, str]:
    try:
        await store.state_counts()
    except Exception as error:  # any store failure means not ready
        response.status_code = 503
        return {"status": "unavailable", "reason": str(error)[:200]}
    return {"status": "ok"}


class RunMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.runs = Gauge("batchflow_runs", "Runs by state", ["state"], registry=self.registry)


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics(request: Request, store: StoreDep) -> Response:
    run_metrics: RunMetrics = request.app.state.metrics
    for state, count in (await store.state_counts()).items():
        run_metrics.runs.labels(state=state.value).set(count)
    return Response(generate_latest(run_metrics.registry), media_type=CONTENT_TYPE_LATEST)
