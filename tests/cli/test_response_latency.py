"""Both servers answer a small call on loopback in milliseconds: TCP_NODELAY is on for every
connection, so a response written in two parts does not wait ~40 ms for the client's delayed
ACK. Without it every call takes over 40 ms; the lower quartile is what is compared, so that
a loaded machine's slow calls do not decide."""

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from ..service.serving import start_serve

CALLS = 30
LIMIT_SECONDS = 0.010


def lower_quartile_seconds(call: Callable[[], object]) -> float:
    call()  # the connection is opened and kept
    took = []
    for _ in range(CALLS):
        started = time.perf_counter()
        call()
        took.append(time.perf_counter() - started)
    return statistics.quantiles(took, n=4)[0]


def test_a_boto3_call_to_the_local_aws_takes_milliseconds(batch) -> None:
    quartile = lower_quartile_seconds(lambda: batch.describe_job_queues(jobQueues=["local"]))

    assert quartile < LIMIT_SECONDS, f"lower quartile {quartile * 1000:.1f} ms"


@pytest.mark.parametrize("workers", [1, 2])
def test_a_call_to_the_service_takes_milliseconds(
    workers, tmp_path: Path, free_tcp_port, postgres_url
) -> None:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BATCHFLOW_"))},
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "BATCHFLOW_DATABASE_URL": postgres_url,
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    serve = start_serve(
        free_tcp_port, environment, tmp_path / "serve.log", "--workers", str(workers)
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{free_tcp_port}") as client:
            quartile = lower_quartile_seconds(lambda: client.get("/healthz").raise_for_status())
    finally:
        serve.terminate()
        serve.wait(timeout=30)

    assert quartile < LIMIT_SECONDS, f"lower quartile {quartile * 1000:.1f} ms"
