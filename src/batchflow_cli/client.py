"""A small client of the service's REST API, for the command line."""

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from batchflow_service.validation import describe_errors

from .credentials import TOKEN_VARIABLE, Credential

FINAL = frozenset({"COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED"})


class ServiceError(RuntimeError):
    """The service refused or failed a call; the message is its own, on one line."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(" ".join(message.split()))
        self.status_code = status_code


class ServiceUnreachableError(ServiceError):
    """No answer came: nothing listens at the URL, or the connection broke."""


class NotAuthenticatedError(ServiceError):
    """The service answered 401: no token was sent, or it expired or was revoked."""


@dataclass(frozen=True)
class OutputStream:
    size: int | None
    chunks: Iterator[bytes]


def error_message(response: httpx.Response) -> str:
    """What the service said was wrong: its `msg`, or FastAPI's 422 `detail` as `loc: msg`."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        if isinstance(body.get("msg"), str):
            return body["msg"]
        detail = body.get("detail")
        if isinstance(detail, str):
            return detail
        if isinstance(detail, list) and all(
            isinstance(item, dict) and {"loc", "msg"} <= item.keys() for item in detail
        ):
            return describe_errors(detail, limit=len(detail))
    text = response.text[:300]
    return f"HTTP {response.status_code} {response.reason_phrase}" + (f": {text}" if text else "")


class ServiceClient:
    def __init__(
        self,
        url: str,
        timeout: float = 30,
        transport: httpx.BaseTransport | None = None,
        credential: Credential | None = None,
    ) -> None:
        """Sends `credential`'s token as `Authorization: Bearer` on every request (httpx drops
        it when a redirect leads to another host, such as a presigned S3 URL)."""
        self.url = url.rstrip("/")
        self.credential = credential
        headers = {"Authorization": f"Bearer {credential.token}"} if credential else {}
        self._http = httpx.Client(
            base_url=self.url, timeout=timeout, transport=transport, headers=headers
        )

    def __enter__(self) -> "ServiceClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _unreachable(self, error: httpx.TransportError) -> ServiceUnreachableError:
        if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
            return ServiceUnreachableError(
                f"cannot reach the batchflow service at {self.url} ({error}); start one with "
                "`batchflow serve`, or point --url or BATCHFLOW_URL at it"
            )
        return ServiceUnreachableError(
            f"the batchflow service at {self.url} stopped answering "
            f"({type(error).__name__}: {error})"
        )

    def _not_authenticated(self) -> NotAuthenticatedError:
        login = f"`batchflow login --url {self.url}`"
        if self.credential is None:
            message = f"not logged in to {self.url}: run {login}, or set {TOKEN_VARIABLE}"
        elif self.credential.source == TOKEN_VARIABLE:
            message = (
                f"{self.url} refused the token in {TOKEN_VARIABLE} (it expired, was revoked, or "
                f"is not one of its tokens): set a valid one, or unset it and run {login}"
            )
        else:
            message = (
                f"{self.url} refused the token stored in {self.credential.source} (it expired "
                f"or was revoked): run {login}"
            )
        return NotAuthenticatedError(message, 401)

    def _send(
        self,
        method: str,
        path: str,
        stream: bool = False,
        follow_redirects: bool = False,
        logging_in: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        """The response, unless it is an error: then a ServiceError with the service's message
        (a 401 says how to log in, except while `logging_in`)."""
        request = self._http.build_request(method, path, **kwargs)
        try:
            response = self._http.send(request, stream=stream, follow_redirects=follow_redirects)
        except httpx.TransportError as error:
            raise self._unreachable(error) from None
        if response.is_error:
            try:
                response.read()
            except httpx.TransportError as error:
                raise self._unreachable(error) from None
            finally:
                response.close()
            if response.status_code == 401 and not logging_in:
                raise self._not_authenticated()
            message = error_message(response)
            if response.status_code == 429:
                message += f"; {_retry_after(response)}"
            raise ServiceError(message, response.status_code)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._send(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise ServiceError(
                f"{self.url} answered {method} {path} with something that is not JSON; "
                "is it a batchflow service?",
                response.status_code,
            ) from None

    @contextmanager
    def _streamed(self, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        response = self._send("GET", path, stream=True, **kwargs)
        try:
            yield response
        except httpx.TransportError as error:
            raise self._unreachable(error) from None
        finally:
            response.close()

    def log_in(self, username: str, password: str) -> dict[str, Any]:
        """A session token for a user of the service's own (POST /auth/token, OAuth2's password
        form): `access_token`, `token_type`, `expires_in` (seconds)."""
        form = {"username": username, "password": password}
        return self._json("POST", "/auth/token", data=form, logging_in=True)

    def me(self) -> dict[str, Any]:
        """Who the token belongs to: `name`, `role`, `via`."""
        return self._json("GET", "/users/me")

    def submit(
        self, workflow: str, engine: str, params: dict[str, Any], tags: dict[str, str]
    ) -> dict[str, Any]:
        body = {"workflow": workflow, "engine": engine, "params": params, "tags": tags}
        return self._json("POST", "/runs", json=body)

    def submit_files(
        self,
        entry: str,
        files: list[tuple[str, bytes]],
        engine: str,
        params: dict[str, Any],
        tags: dict[str, str],
    ) -> dict[str, Any]:
        """Starts a run of uploaded files; `entry` (the Snakefile) is one of their names."""
        fields = {
            "workflow": entry,
            "engine": engine,
            "params": json.dumps(params),
            "tags": json.dumps(tags),
        }
        parts = [("files", (name, content, "application/octet-stream")) for name, content in files]
        return self._json("POST", "/runs", data=fields, files=parts)

    def run(self, run_id: str) -> dict[str, Any]:
        return self._json("GET", _run_path(run_id))

    def runs(self, state: str | None, tags: list[str], page_size: int) -> dict[str, Any]:
        params: dict[str, Any] = {"page_size": page_size, "tag": tags}
        if state:
            params["state"] = state
        return self._json("GET", "/runs", params=params)

    def tasks(self, run_id: str) -> list[dict[str, Any]]:
        tasks, token = [], ""
        while True:
            page = self._json(
                "GET",
                f"{_run_path(run_id)}/tasks",
                params={"page_size": 500, **({"page_token": token} if token else {})},
            )
            tasks += page["tasks"]
            token = page["next_page_token"]
            if not token:
                return tasks

    def task_log(self, run_id: str, task_id: str) -> list[str]:
        return self._json("GET", f"{_run_path(run_id)}/tasks/{quote(task_id, safe='')}/logs")[
            "lines"
        ]

    def cancel(self, run_id: str) -> dict[str, Any]:
        return self._json("POST", f"{_run_path(run_id)}/cancel")

    def resume(self, run_id: str, params: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
        """Starts a new run that reuses the ended run's work; `params` replace its values."""
        body = {"params": params, "tags": tags}
        return self._json("POST", f"{_run_path(run_id)}/resume", json=body)

    def outputs(self, run_id: str) -> dict[str, Any]:
        return self._json("GET", f"{_run_path(run_id)}/outputs")["outputs"]

    @contextmanager
    def open_output(self, run_id: str, path: str) -> Iterator[OutputStream]:
        """One output file's content, by its path under the run's outputs prefix; follows the
        service's redirect to a presigned URL where it gives one."""
        where = f"{_run_path(run_id)}/outputs/{quote(path)}"
        with self._streamed(where, follow_redirects=True) as response:
            length = response.headers.get("content-length", "")
            yield OutputStream(int(length) if length.isdigit() else None, response.iter_bytes())

    def log_lines(self, run_id: str, follow: bool) -> Iterator[str]:
        if not follow:
            page = self._json("GET", f"{_run_path(run_id)}/logs", params={"limit": 10_000})
            yield from page["lines"]
            return
        with self._streamed(
            f"{_run_path(run_id)}/logs", params={"follow": True}, timeout=None
        ) as stream:
            yield from stream.iter_lines()

    def wait(self, run_id: str, poll_seconds: float = 1.0) -> Iterator[dict[str, Any]]:
        """The run, each time it is polled, until it ends."""
        while True:
            run = self.run(run_id)
            yield run
            if run["state"] in FINAL:
                return
            time.sleep(poll_seconds)


def _retry_after(response: httpx.Response) -> str:
    seconds = response.headers.get("retry-after", "").strip()
    return f"wait {seconds} s before trying again" if seconds.isdigit() else "try again later"


def _run_path(run_id: str) -> str:
    return f"/runs/{quote(run_id, safe='')}"
