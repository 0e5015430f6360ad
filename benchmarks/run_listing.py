"""What listing runs costs the service with many runs stored: GET /runs (the first page and a
deep one) and GET /runs/{id}, through the whole app in this process (routing, the bearer
token check, the store, the JSON), on the in-memory store.

    python benchmarks/run_listing.py --runs 10000 --requests 200

Prints the median and p99 milliseconds per request of each kind; run it under farm-bench
against another checkout (PYTHONPATH=OTHER/src) to compare two versions side by side.
"""

import argparse
import secrets
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from pydantic import SecretStr

from batchflow_service.api import pages
from batchflow_service.app import create_app
from batchflow_service.models import Run
from batchflow_service.settings import Settings
from batchflow_service.states import RunState

STATES = [RunState.COMPLETE, RunState.EXECUTOR_ERROR, RunState.RUNNING, RunState.CANCELED]


def stored_runs(count: int) -> list[Run]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        Run(
            id=f"{index:032x}",
            workflow="quickstart",
            engine="snakemake",
            owner=f"user{index % 20}",
            state=STATES[index % len(STATES)],
            params={"samples": ["a", "b", "c"], "length": 2000},
            tags={"project": f"p{index % 7}"},
            created_at=start + timedelta(seconds=index),
        )
        for index in range(count)
    ]


def timed(requests: int, call: Callable[[], None]) -> tuple[float, float]:
    """Median and p99 of `requests` calls, in milliseconds."""
    seconds = []
    for _ in range(requests):
        begun = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - begun)
    seconds.sort()
    return statistics.median(seconds) * 1000, seconds[int(len(seconds) * 0.99) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    options = parser.parse_args()

    password = secrets.token_urlsafe(16)
    settings = Settings(engines=["mock"], admin_password=SecretStr(password))
    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        runs = stored_runs(options.runs)
        for run in runs:
            client.portal.call(app.state.store.create_run, run)
        token = client.post("/auth/token", data={"username": "admin", "password": password})
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        middle = runs[len(runs) // 2]
        deep_token = pages.encode({"created_at": middle.created_at.isoformat(), "id": middle.id})

        def first_page() -> None:
            assert client.get("/runs", params={"page_size": 50}).status_code == 200

        def deep_page() -> None:
            answer = client.get("/runs", params={"page_size": 50, "page_token": deep_token})
            assert answer.status_code == 200

        def one_run() -> None:
            assert client.get(f"/runs/{runs[len(runs) // 3].id}").status_code == 200

        for name, call in (("first page", first_page), ("deep page", deep_page), ("run", one_run)):
            median, p99 = timed(options.requests, call)
            print(f"{name:>10}: median {median:.2f} ms, p99 {p99:.2f} ms ({options.runs} runs)")


if __name__ == "__main__":
    main()
