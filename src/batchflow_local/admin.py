"""The local AWS's own endpoints under /_batchflow: health, call counts, fault injection, and
the lease and shutdown its owner (`batchflow serve`) uses."""

import base64
import binascii
import os
from collections import Counter
from typing import TYPE_CHECKING

from fastapi import FastAPI, HTTPException, Response
from pydantic import BaseModel, Field
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .faults import FaultSettings
from .lifetime import NoLeaseError
from .signatures import Credentials

if TYPE_CHECKING:
    from .app import LocalAws


class Health(BaseModel):
    status: str
    vcpus: float
    vcpus_free: float
    memory_mib: int
    memory_mib_free: int
    active_jobs: int


class CallStats(BaseModel):
    calls: dict[str, int]
    throttled: dict[str, int]


class Reclaimed(BaseModel):
    jobId: str
    statusReason: str


class Lease(BaseModel):
    pid: int
    """The local AWS's process, so an owner that finds it again knows what it found."""
    grace_seconds: float | None
    """None: no lease (`batchflow local`), it runs until stopped."""
    expires_in_seconds: float | None


class LeaseRenewal(BaseModel):
    grace_seconds: float | None = Field(
        default=None, gt=0, description="A new grace period; default: keep the current one."
    )


class Stopping(BaseModel):
    status: str = "stopping"


def create_admin_app(local: "LocalAws") -> FastAPI:
    app = FastAPI(
        title="batchflow local",
        summary="Health, API call counts and fault injection for the local AWS.",
        docs_url="/_batchflow/docs",
        openapi_url="/_batchflow/openapi.json",
        redoc_url=None,
    )

    @app.get("/_batchflow/health")
    def health() -> Health:
        free, limit = local.scheduler.host_free, local.scheduler.host_limit
        return Health(
            status="ok",
            vcpus=limit.vcpus,
            vcpus_free=free.vcpus,
            memory_mib=limit.memory_mib,
            memory_mib_free=free.memory_mib,
            active_jobs=local.jobs.active_job_count(),
        )

    @app.get("/_batchflow/faults")
    def get_faults() -> FaultSettings:
        return local.faults.settings

    @app.put("/_batchflow/faults")
    def put_faults(settings: FaultSettings) -> FaultSettings:
        local.faults.configure(settings)
        return settings

    @app.post("/_batchflow/jobs/{job_id}/reclaim")
    def reclaim(job_id: str) -> Reclaimed:
        job = local.jobs.jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"No job {job_id!r}")
        if job.is_array_parent:
            raise HTTPException(
                409, f"Job {job_id} is an array parent; reclaim one of its children"
            )
        if not local.scheduler.reclaim(job):
            raise HTTPException(409, f"Job {job_id} is {job.status}, not STARTING or RUNNING")
        stop = local.scheduler.running[job.job_id].stop
        assert stop is not None
        return Reclaimed(jobId=job_id, statusReason=stop.status_reason)

    def lease_state() -> Lease:
        lifetime = local.lifetime
        return Lease(
            pid=os.getpid(),
            grace_seconds=lifetime.grace_seconds,
            expires_in_seconds=lifetime.expires_in(),
        )

    @app.get("/_batchflow/lease")
    def get_lease() -> Lease:
        return lease_state()

    @app.put("/_batchflow/lease")
    def renew_lease(renewal: LeaseRenewal | None = None) -> Lease:
        try:
            local.lifetime.renew(renewal.grace_seconds if renewal else None)
        except NoLeaseError as error:
            raise HTTPException(409, str(error)) from None
        return lease_state()

    @app.post("/_batchflow/shutdown", status_code=202)
    def shutdown() -> Stopping:
        local.lifetime.request_stop("asked to stop (POST /_batchflow/shutdown)")
        return Stopping()

    @app.get("/_batchflow/stats")
    def stats() -> CallStats:
        return CallStats(calls=dict(local.calls), throttled=dict(local.throttled))

    @app.delete("/_batchflow/stats", status_code=204)
    def reset_stats() -> Response:
        local.calls, local.throttled = Counter(), Counter()
        return Response(status_code=204)

    return app


class BasicAuth:
    """Lets through only callers with the local AWS's credentials as HTTP Basic auth: the access
    key id as user name, the secret access key as password."""

    def __init__(self, app: ASGIApp, credentials: Credentials) -> None:
        self.app = app
        self.credentials = credentials

    def authorized(self, header: str | None) -> bool:
        scheme, _, encoded = (header or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, colon, password = decoded.partition(":")
        return bool(colon) and self.credentials.match(user, password)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.authorized(Headers(scope=scope).get("authorization")):
            await self.app(scope, receive, send)
            return
        response = PlainTextResponse(
            "The admin API needs HTTP Basic auth: AWS_ACCESS_KEY_ID as user name, "
            "AWS_SECRET_ACCESS_KEY as password, as batchflow local printed them at start "
            '(curl -u "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" …).',
            401,
            headers={"WWW-Authenticate": 'Basic realm="batchflow local"'},
        )
        await response(scope, receive, send)
