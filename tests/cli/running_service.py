"""A real service in a thread, with admin's password set, and admin's token from it."""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from pydantic import SecretStr

from batchflow_cli.serving import ServiceThread
from batchflow_service.settings import Settings

ADMIN_PASSWORD = secrets.token_urlsafe(16)


@contextmanager
def logged_in_service(**settings: Any) -> Iterator[tuple[str, str]]:
    """The service's URL and a token of its admin, from POST /auth/token."""
    service = ServiceThread(Settings(admin_password=SecretStr(ADMIN_PASSWORD), **settings))
    url = service.start()
    try:
        yield url, session_token(url, "admin", ADMIN_PASSWORD)
    finally:
        service.stop()


def session_token(url: str, name: str, password: str) -> str:
    response = httpx.post(
        f"{url}/auth/token", data={"username": name, "password": password}, timeout=10
    )
    assert response.status_code == 200, f"POST /auth/token: {response.status_code} {response.text}"
    return response.json()["access_token"]
