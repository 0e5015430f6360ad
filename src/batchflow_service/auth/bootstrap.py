"""The first user: `admin`, created when the store has no user at all."""

import logging
import secrets

from ..store import RunStore, UserExistsError
from .models import User
from .passwords import hash_password
from .roles import Role

log = logging.getLogger(__name__)
ADMIN = "admin"


async def ensure_admin(store: RunStore, password: str | None) -> str | None:
    """Creates user admin if no user exists; returns the password it generated, if it did."""
    if await store.list_users():
        return None
    generated = None
    if password is None:
        password = generated = secrets.token_urlsafe(18)
    user = User(name=ADMIN, role=Role.ADMIN, password_hash=await hash_password(password))
    try:
        await store.create_user(user)
    except UserExistsError:
        return None  # another service process sharing this store created it first
    if generated:
        log.warning(
            "created user %r with password %s (shown once; set BATCHFLOW_ADMIN_PASSWORD to "
            "choose it, and change it with PATCH /users/admin)",
            ADMIN,
            generated,
        )
    return generated
