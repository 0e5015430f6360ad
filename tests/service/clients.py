"""In-process clients of the service, signed in as a user the way a real client would be."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

ADMIN_PASSWORD = "admin-password-for-tests"
BASE_URL = "http://127.0.0.1"
"""The service answers only its own host names: loopback, unless configured otherwise."""


def client_of(app: FastAPI, **options: Any) -> TestClient:
    return TestClient(app, base_url=BASE_URL, **options)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(client: httpx.Client, name: str, password: str) -> dict[str, str]:
    """Logs in through POST /auth/token; the headers that send the token it gave."""
    answer = client.post("/auth/token", data={"username": name, "password": password})
    assert answer.status_code == 200, answer.text
    return bearer(answer.json()["access_token"])


@contextmanager
def admin_client(app: FastAPI, **options: Any) -> Iterator[TestClient]:
    """The app started (its lifespan run) with a client signed in as its first admin; build
    the app from settings with `admin_password=ADMIN_PASSWORD`."""
    with client_of(app, **options) as client:
        client.headers.update(login(client, "admin", ADMIN_PASSWORD))
        yield client


def add_user(admin: TestClient, name: str, role: str) -> dict[str, str]:
    """Creates a user through the API; the headers that act as that user."""
    password = f"{name}-password-123"
    answer = admin.post("/users", json={"name": name, "role": role, "password": password})
    assert answer.status_code == 201, answer.text
    return login(admin, name, password)
