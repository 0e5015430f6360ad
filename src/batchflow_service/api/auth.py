"""How to sign in: POST /auth/token trades a user name and password for a short-lived bearer
token; GET /auth/config tells a browser which way this service signs people in."""

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, HTTPException

from ..auth.authenticator import LoginFailedError, LoginThrottledError
from ..auth.models import AccessToken, OidcSignIn, SignInOptions
from ..models import ErrorResponse
from .deps import AuthenticatorDep, SettingsDep
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


@router.get("/config")
async def sign_in_options(settings: SettingsDep) -> SignInOptions:
    """Public: how the dashboard signs a visitor in (a password form, or an OpenID provider's
    authorization-code flow with PKCE)."""
    if settings.auth != "oidc" or not settings.oidc_client_id:
        return SignInOptions(mode=settings.auth)
    issuer = settings.oidc_issuer or ""
    presented = settings.oidc_dashboard_token
    return SignInOptions(
        mode=settings.auth,
        oidc=OidcSignIn(
            issuer=issuer,
            client_id=settings.oidc_client_id,
            scope=settings.oidc_scope,
            token=presented,
            resource=settings.oidc_audience if presented == "access" else None,
            name=settings.oidc_provider_name or urlsplit(issuer).hostname or issuer,
        ),
    )
