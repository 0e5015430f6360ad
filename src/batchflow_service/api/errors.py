"""How every error the service can name becomes an HTTP answer: `{"msg", "status_code"}`.

No route answers 500 for a failure it can name: a request the service cannot accept is a 4xx,
and AWS failing or refusing a call is a 502 (AWS answered with an error) or a 503 (AWS could
not be reached).
"""

from collections.abc import Awaitable, Callable

import psycopg
from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from batchflow_aws import AwsError

from ..auth.oidc import OidcUnavailableError
from ..engines import EngineError
from ..resume import RunNotResumableError
from ..runs import (
    ForbiddenError,
    NotFoundError,
    RunEndedError,
    RunsRecoveringError,
    TooManyFollowsError,
)
from ..states import InvalidTransitionError
from ..store import RunNotFoundError, UserExistsError, UserNotFoundError, WorkPrefixBusyError
from ..validation import describe_errors
from . import wes
from .pages import BadPageTokenError
from .storable_input import UnstorableInputError

ERROR_STATUSES: dict[type[Exception], int] = {
    RunNotFoundError: 404,
    NotFoundError: 404,
    UserNotFoundError: 404,
    UserExistsError: 409,
    ForbiddenError: 403,
    TooManyFollowsError: 429,
    # A value PostgreSQL cannot store or compare (a NUL character, an unpaired surrogate).
    psycopg.DataError: 400,
    BadPageTokenError: 400,
    EngineError: 400,
    InvalidTransitionError: 409,
    RunEndedError: 409,
    RunNotResumableError: 409,
    WorkPrefixBusyError: 409,
}


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        if request.url.path.startswith(wes.PREFIX):
            status = wes.invalid_request_status(request.url.path)
            return error_response(status, describe_errors(error.errors(), limit=100))
        try:
            return await request_validation_exception_handler(request, error)
        except (UnicodeError, ValueError):  # it echoes an input no JSON answer can carry
            return error_response(422, describe_errors(error.errors(), limit=100))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(app, request.scope))
        return error_response(error.status_code, str(error.detail), headers)

    @app.exception_handler(UnstorableInputError)
    async def unstorable_input(request: Request, error: UnstorableInputError) -> JSONResponse:
        status = 400
        if request.url.path.startswith(wes.PREFIX):
            status = wes.invalid_request_status(request.url.path)
        return error_response(status, str(error.detail))

    @app.exception_handler(AwsError)
    async def aws_error(request: Request, error: AwsError) -> JSONResponse:
        if error.unreachable:
            return error_response(503, f"AWS cannot be reached: {error}", {"Retry-After": "5"})
        return error_response(502, f"AWS refused a call: {error}")

    @app.exception_handler(RunsRecoveringError)
    async def still_recovering(request: Request, error: RunsRecoveringError) -> JSONResponse:
        return error_response(503, str(error), {"Retry-After": "5"})

    @app.exception_handler(OidcUnavailableError)
    async def provider_unreachable(request: Request, error: OidcUnavailableError) -> JSONResponse:
        message = f"the identity provider cannot be reached to check the token: {error}"
        return error_response(503, message, {"Retry-After": "5"})

    for error_type, status in ERROR_STATUSES.items():
        app.add_exception_handler(error_type, _answer_with(status))


def _answer_with(status: int) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handler(request: Request, error: Exception) -> JSONResponse:
        return error_response(status, str(error))

    return handler
