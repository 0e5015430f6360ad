"""Users (admins manage them) and each user's personal access tokens."""

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, HTTPException, Response, status

from ..auth import personal
from ..auth.models import IssuedToken, Me, NewToken, NewUser, PersonalToken, User, UserChange
from ..auth.passwords import hash_password
from ..auth.roles import Role
from ..models import ErrorResponse
from ..store import RunStore
from .deps import AdminUser, AuthenticatorDep, CurrentUser, StoreDep
from .storable_input import StorableInputRoute

router = APIRouter(
    prefix="/users",
    route_class=StorableInputRoute,
    tags=["users"],
    responses={
        400: {"model": ErrorResponse, "description": "A body that is not JSON"},
        401: {"model": ErrorResponse, "description": "No valid bearer token"},
    },
)
ADMIN_ONLY = {403: {"model": ErrorResponse, "description": "The caller is not an admin"}}
MAX_TOKENS_PER_USER = 100


@router.get("/me")
async def who_am_i(caller: CurrentUser) -> Me:
    return Me(name=caller.name, role=caller.role, via=caller.via)


def _keeps_passwords(mode: str) -> None:
    if mode != "builtin":
        raise HTTPException(
            400, f"users and tokens are kept by the identity provider (BATCHFLOW_AUTH={mode})"
        )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={**ADMIN_ONLY, 409: {"model": ErrorResponse, "description": "The name is taken"}},
)
async def create_user(
    new: NewUser, caller: AdminUser, store: StoreDep, authenticator: AuthenticatorDep
) -> User:
    _keeps_passwords(authenticator.mode)
    user = User(name=new.name, role=new.role, password_hash=await hash_password(new.password))
    return await store.create_user(user)


@router.get("", responses=ADMIN_ONLY)
async def list_users(caller: AdminUser, store: StoreDep) -> list[User]:
    return await store.list_users()


@router.patch(
    "/{name}",
    responses={
        **ADMIN_ONLY,
        404: {"model": ErrorResponse, "description": "No such user"},
        409: {"model": ErrorResponse, "description": "It would leave no enabled admin"},
    },
)
async def change_user(
    name: str,
    change: UserChange,
    caller: AdminUser,
    store: StoreDep,
    authenticator: AuthenticatorDep,
) -> User:
    """A new role, a password, or `disabled`: a disabled user's tokens stop working at once."""
    _keeps_passwords(authenticator.mode)
    if (change.role not in (None, Role.ADMIN) or change.disabled) and await _last_admin(
        store, name
    ):
        raise HTTPException(409, f"{name} is the last enabled admin; make another admin first")
    password_hash = await hash_password(change.password) if change.password else None
    return await store.update_user(
        name, role=change.role, disabled=change.disabled, password_hash=password_hash
    )


async def _last_admin(store: RunStore, name: str) -> bool:
    admins = [u.name for u in await store.list_users() if u.role == Role.ADMIN and not u.disabled]
    return admins == [name]


@router.post("/me/tokens", status_code=status.HTTP_201_CREATED)
async def create_token(
    new: NewToken, caller: CurrentUser, store: StoreDep, authenticator: AuthenticatorDep
) -> IssuedToken:
    """A personal access token for scripts and CI, shown once; it acts as its owner, with the
    owner's role at the time of each request."""
    _keeps_passwords(authenticator.mode)
    if len(await store.list_tokens(caller.name)) >= MAX_TOKENS_PER_USER:
        raise HTTPException(409, f"{caller.name} has {MAX_TOKENS_PER_USER} tokens; revoke some")
    token_id, token, secret_sha256 = personal.new_token()
    kept = await store.create_token(
        PersonalToken(
            id=token_id,
            owner=caller.name,
            name=new.name,
            secret_sha256=secret_sha256,
            expires_at=datetime.now(UTC) + timedelta(days=new.expires_in_days),
        )
    )
    return IssuedToken(id=kept.id, name=kept.name, token=token, expires_at=kept.expires_at)


@router.get("/me/tokens")
async def list_tokens(caller: CurrentUser, store: StoreDep) -> list[PersonalToken]:
    return await store.list_tokens(caller.name)


@router.delete(
    "/me/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"model": ErrorResponse, "description": "The caller has no such token"}},
)
async def revoke_token(token_id: str, caller: CurrentUser, store: StoreDep) -> Response:
    """Revokes the token: it stops working at once."""
    if not await store.delete_token(caller.name, token_id[:64]):
        raise HTTPException(404, f"{caller.name} has no token {token_id[:64]!r}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
