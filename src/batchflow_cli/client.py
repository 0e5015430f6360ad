"""A small client of the service's REST API, for the command line."""

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx

FINAL = frozenset({"COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED"})


class ServiceError(RuntimeError):
    pass


class ServiceClient:
    def __init__(self, url: str, timeout: float = 30) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout)

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise ServiceError(
                f"cannot reach the batchflow service at {self.url}: {error}"
            ) from None
        if response.is_error:
            try:
                detail = response.json()
                message = detail.get("msg") or json.dumps(detail.get("detail", detail))
            except ValueError:
                message = response.text[:500]
            raise ServiceError(f"{method} {path}: HTTP {response.status_code}: {message}")
        return response.json()

    def submit(
        self, workflow: str, engine: str, params: dict[str, Any], tags: dict[str, str]
    ) -> dict[str, Any]:
        body = {"workflow": workflow, "engine": engine, "params": params, "tags": tags}
        return self._json("POST", "/runs", json=body)

    def run(self, run_id: str) -> dict[str, Any]:
        return self._json("GET", f"/runs/{run_id}")

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
                f"/runs/{run_id}/tasks",
                params={"page_size": 500, **({"page_token": token} if token else {})},
            )
            tasks += page["tasks"]
            token = page["next_page_token"]
            if not token:
                return tasks

    def task_log(self, run_id: str, task_id: str) -> list[str]:
        return self._json("GET", f"/runs/{run_id}/tasks/{task_id}/logs")["lines"]

    def cancel(self, run_id: str) -> dict[str, Any]:
        return self._json("POST", f"/runs/{run_id}/cancel")

    def outputs(self, run_id: str) -> dict[str, Any]:
        return self._json("GET", f"/runs/{run_id}/outputs")["outputs"]

    def log_lines(self, run_id: str, follow: bool) -> Iterator[str]:
        if not follow:
            yield from self._json("GET", f"/runs/{run_id}/logs", params={"limit": 10_000})["lines"]
            return
        with self._http.stream(
            "GET", f"/runs/{run_id}/logs", params={"follow": True}, timeout=None
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
