"""Liveness, readiness and Prometheus metrics."""

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from ..auth.authenticator import Authenticator
from ..models import ErrorResponse
from .deps import SettingsDep, StoreDep, bearer, current_identity, get_authenticator
from .storable_input import StorableInputRoute

router = APIRouter(tags=["health"], route_class=StorableInputRoute)


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


async def scraper(
    settings: SettingsDep,
    authenticator: Annotated[Authenticator, Depends(get_authenticator)],
    token: Annotated[str | None, Depends(bearer)],
) -> None:
    """BATCHFLOW_METRICS_TOKEN, or an admin's token."""
    scrape_token = settings.metrics_token
    if token and scrape_token:
        expected = scrape_token.get_secret_value().encode()
        if hmac.compare_digest(token.encode(errors="replace"), expected):
            return
    caller = await current_identity(authenticator, token)
    if caller.role != "admin":
        raise HTTPException(403, "metrics are for admins and the metrics token")


@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[Depends(scraper)],
    responses={
        200: {"content": {"text/plain": {}}},
        401: {"model": ErrorResponse, "description": "No valid token"},
        403: {"model": ErrorResponse, "description": "Not an admin"},
    },
)
async def metrics(request: Request, store: StoreDep) -> Response:
    run_metrics: RunMetrics = request.app.state.metrics
    for state, count in (await store.state_counts()).items():
        run_metrics.runs.labels(state=state.value).set(count)
    return Response(generate_latest(run_metrics.registry), media_type=CONTENT_TYPE_LATEST)
