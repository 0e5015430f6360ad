"""The dependencies routes declare, named once."""

import logging
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer

from ..auth.authenticator import Authenticator
from ..auth.identity import Identity, InvalidTokenError
from ..engines import Engine
from ..models import Run
from ..runs import RunService
from ..settings import Settings
from ..store import RunStore

log = logging.getLogger(__name__)
bearer = OAuth2PasswordBearer(tokenUrl="auth/token", auto_error=False)

# The getters below are `async def` although they never wait: FastAPI runs a plain `def`
# dependency in a worker thread, a thread hop per dependency on every request.


async def get_store(request: Request) -> RunStore:
    return request.app.state.store


async def get_engines(request: Request) -> dict[str, Engine]:
    return request.app.state.engines


async def get_runs(request: Request) -> RunService:
    return request.app.state.runs


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_authenticator(request: Request) -> Authenticator:
    return request.app.state.auth


def unauthorized(message: str, error: str | None = None) -> HTTPException:
    challenge = f'Bearer error="{error}"' if error else "Bearer"
    return HTTPException(401, message, headers={"WWW-Authenticate": challenge})


async def current_identity(
    authenticator: Annotated[Authenticator, Depends(get_authenticator)],
    token: Annotated[str | None, Depends(bearer)],
) -> Identity:
    if authenticator.mode == "none":
        return await authenticator.identify("")
    if not token:
        raise unauthorized(
            "this route needs a bearer token: get one from POST /auth/token "
            "(or `batchflow login`) and send `Authorization: Bearer TOKEN`"
        )
    try:
        return await authenticator.identify(token)
    except InvalidTokenError as error:
        log.info("refused a token: %s", error)
        raise unauthorized(
            "the token is invalid, expired or revoked; log in again", "invalid_token"
        ) from None


StoreDep = Annotated[RunStore, Depends(get_store)]
EnginesDep = Annotated[dict[str, Engine], Depends(get_engines)]
RunsDep = Annotated[RunService, Depends(get_runs)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
AuthenticatorDep = Annotated[Authenticator, Depends(get_authenticator)]
CurrentUser = Annotated[Identity, Depends(current_identity)]


async def admin_identity(caller: CurrentUser) -> Identity:
    if caller.role != "admin":
        raise HTTPException(403, f"only an admin may do this; {caller.name} is a {caller.role}")
    return caller


async def visible_run(run_id: str, caller: CurrentUser, runs: RunsDep) -> Run:
    return await runs.get(caller, run_id)


AdminUser = Annotated[Identity, Depends(admin_identity)]
RunDep = Annotated[Run, Depends(visible_run)]
