"""POST /auth/token: a user name and password for a short-lived bearer token."""

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException

from ..auth.authenticator import LoginFailedError, LoginThrottledError
from ..auth.models import AccessToken
from ..models import ErrorResponse
from .deps import AuthenticatorDep
from .storable_input import StorableInputRoute

router = APIRouter(prefix="/auth", tags=["auth"], route_class=StorableInputRoute)


@router.post(
    "/token",
    responses={
        400: {"model": ErrorResponse, "description": "This service does not keep passwords"},
        401: {"model": ErrorResponse, "description": "Incorrect username or password"},
        429: {"model": ErrorResponse, "description": "Too many failed logins for this name"},
    },
)
async def issue_token(
    authenticator: AuthenticatorDep,
    username: Annotated[str, Form(min_length=1, max_length=256)],
    password: Annotated[str, Form(min_length=1, max_length=1024)],
    grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
) -> AccessToken:
    """An OAuth2 password grant (a form with `username` and `password`): answers a bearer
    token that expires after BATCHFLOW_TOKEN_MINUTES. An unknown name and a wrong password
    get the same answer; after 5 failures in 15 minutes a name must wait (429)."""
    if authenticator.mode != "builtin":
        raise HTTPException(
            400,
            f"this service authenticates with BATCHFLOW_AUTH={authenticator.mode}: "
            "it keeps no passwords"
            + (
                " (present your OpenID provider's token instead)"
                if authenticator.mode == "oidc"
                else ""
            ),
        )
    try:
        return await authenticator.login(username, password)
    except LoginThrottledError as error:
        raise HTTPException(429, str(error), {"Retry-After": str(error.retry_after)}) from None
    except LoginFailedError:
        raise HTTPException(
            401, "incorrect username or password", {"WWW-Authenticate": "Bearer"}
        ) from None
