"""Argon2 password hashes, computed off the event loop (each costs tens of milliseconds)."""

from fastapi.concurrency import run_in_threadpool
from pwdlib import PasswordHash

HASHER = PasswordHash.recommended()
# Checked when the user does not exist, so an unknown name costs what a wrong password does.
DUMMY_HASH = HASHER.hash("batchflow: no such user")


async def hash_password(password: str) -> str:
    return await run_in_threadpool(HASHER.hash, password)


async def password_matches(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        await run_in_threadpool(HASHER.verify, password, DUMMY_HASH)
        return False
    return await run_in_threadpool(HASHER.verify, password, password_hash)
