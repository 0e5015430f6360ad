"""What keeping state on disk costs the local AWS: one boto3 client making sequential calls
against a local AWS in this process, with its state kept in the work directory or not.

    python benchmarks/persistence_overhead.py --persist --requests 2000
    python benchmarks/persistence_overhead.py --no-persist --requests 2000

Each request pair is a PutObject of `--size` bytes under a new key and a GetObject of it; then
`--jobs` Batch jobs (`true`) are submitted and waited for, and `--log-events` events are put in
batches of 100, so the Batch and Logs journals are timed as well.
"""

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3

from batchflow_local.config import LocalAwsConfig
from batchflow_local.server import LocalAwsServer

FINAL = ("SUCCEEDED", "FAILED")


def clients(server: LocalAwsServer) -> tuple[Any, Any, Any]:
    environment = server.client_environment()

    def client(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=environment["AWS_ENDPOINT_URL"],
            region_name=environment["AWS_DEFAULT_REGION"],
            aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
        )

    return client("s3"), client("batch"), client("logs")


def time_s3(s3: Any, requests: int, size: int) -> float:
    body = b"x" * size
    started = time.perf_counter()
    for index in range(requests):
        s3.put_object(Bucket="batchflow-local", Key=f"bench/{index:06d}", Body=body)
        s3.get_object(Bucket="batchflow-local", Key=f"bench/{index:06d}")["Body"].read()
    return time.perf_counter() - started


def time_jobs(batch: Any, jobs: int) -> float:
    batch.register_job_definition(
        jobDefinitionName="bench",
        type="container",
        containerProperties={
            "image": "busybox",
            "command": ["true"],
            "resourceRequirements": [
                {"type": "VCPU", "value": "1"},
                {"type": "MEMORY", "value": "8"},
            ],
        },
    )
    started = time.perf_counter()
    ids = [
        batch.submit_job(jobName=f"bench-{n}", jobQueue="local", jobDefinition="bench")["jobId"]
        for n in range(jobs)
    ]
    while ids:
        described = batch.describe_jobs(jobs=ids[:100])["jobs"]
        done = {job["jobId"] for job in described if job["status"] in FINAL}
        if not done:
            time.sleep(0.05)
        ids = [job_id for job_id in ids if job_id not in done]
    return time.perf_counter() - started


def time_logs(logs: Any, events: int) -> float:
    logs.create_log_group(logGroupName="bench")
    logs.create_log_stream(logGroupName="bench", logStreamName="bench")
    now = int(time.time() * 1000)
    started = time.perf_counter()
    for first in range(0, events, 100):
        batch = [
            {"timestamp": now + n, "message": f"event {n} " + "y" * 80}
            for n in range(first, min(first + 100, events))
        ]
        logs.put_log_events(logGroupName="bench", logStreamName="bench", logEvents=batch)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persist", action=argparse.BooleanOptionalAction, required=True)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--size", type=int, default=1024, help="bytes per object")
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--log-events", type=int, default=10_000)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="batchflow-bench-") as workdir:
        config = LocalAwsConfig(workdir=Path(workdir), port=0, persist=options.persist)
        server = LocalAwsServer(config).start_in_thread()
        s3, batch, logs = clients(server)
        try:
            s3_seconds = time_s3(s3, options.requests, options.size)
            job_seconds = time_jobs(batch, options.jobs)
            log_seconds = time_logs(logs, options.log_events)
        finally:
            server.stop()
    label = "persist" if options.persist else "no-persist"
    print(
        f"{label}: {options.requests} PutObject+GetObject of {options.size} B in "
        f"{s3_seconds:.2f} s ({options.requests / s3_seconds:.0f} pairs/s); "
        f"{options.jobs} jobs in {job_seconds:.2f} s; "
        f"{options.log_events} log events in {log_seconds:.2f} s"
    )


if __name__ == "__main__":
    main()
