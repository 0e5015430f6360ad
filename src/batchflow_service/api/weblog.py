"""Nextflow's weblog events: where the nf-weblog plugin of a Nextflow run posts them.

Each run's nextflow.config names `/nextflow/events/RUN_ID?token=SECRET`; the secret was made
when the run was launched and only its digest is stored. An event is authenticated before its
body is read, the body is bounded, and a malformed event is refused with a 4xx.
"""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import ValidationError

from ..engines.nextflow import NextflowEngine
from ..engines.nextflow.events import EventOutcome, WeblogEvent
from ..engines.nextflow.tokens import token_matches
from ..models import ErrorResponse
from ..validation import describe_errors
from .deps import EnginesDep, StoreDep
from .storable_input import StorableInputRoute, refuse_unstorable

router = APIRouter(prefix="/nextflow", tags=["nextflow"], route_class=StorableInputRoute)
MAX_TOKEN_LENGTH = 256


def _error(description: str) -> dict[str, object]:
    return {"model": ErrorResponse, "description": description}


EVENT_RESPONSES: dict[int | str, dict[str, object]] = {
    400: _error("The event names another Nextflow run"),
    401: _error("The request carries no token"),
    403: _error("The token is not this run's"),
    404: _error("No such run, or not a Nextflow run of this service"),
    413: _error("The body is larger than BATCHFLOW_MAX_EVENT_BYTES"),
    422: _error("The body is not an nf-weblog event"),
}
EVENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": WeblogEvent.model_json_schema(by_alias=True)}},
    }
}


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"the event is larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, f"the event is larger than {limit} bytes")
    return bytes(body)


@router.post("/events/{run_id}", responses=EVENT_RESPONSES, openapi_extra=EVENT_BODY)
async def receive_event(
    run_id: str,
    request: Request,
    store: StoreDep,
    engines: EnginesDep,
    token: Annotated[str | None, Query(description="The run's secret, from its config")] = None,
) -> EventOutcome:
    """One nf-weblog event of a Nextflow run: task progress, or the run's start and end."""
    # uvicorn writes its access log line from this scope after the response: without the
    # query string, the run's secret stays out of the service's logs.
    request.scope["query_string"] = b""
    engine = engines.get("nextflow")
    if not isinstance(engine, NextflowEngine):
        raise HTTPException(404, "this service runs no Nextflow runs (engine not enabled)")
    run = await store.get_run(run_id)
    if run.engine != "nextflow" or run.weblog_token_sha256 is None:
        raise HTTPException(404, f"run {run_id} takes no Nextflow events")
    if not token:
        raise HTTPException(401, "no token: post to the weblog URL in the run's nextflow.config")
    if len(token) > MAX_TOKEN_LENGTH or not token_matches(token, run.weblog_token_sha256):
        raise HTTPException(403, f"the token is not run {run_id}'s")
    body = await read_body(request, request.app.state.settings.max_event_bytes)
    try:
        event = WeblogEvent.model_validate_json(body)
    except ValidationError as error:
        problems = describe_errors(error.errors(), limit=5)
        raise HTTPException(422, f"not an nf-weblog event: {problems}") from None
    refuse_unstorable(event.model_dump(by_alias=True), "")
    return await engine.record_event(run, event)
