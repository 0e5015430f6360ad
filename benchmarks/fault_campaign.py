"""The fault campaign's figures (docs/reliability.md): fan-out runs through the run service on a
local AWS, one after another, each under the faults asked for with a seed of its own.

    python benchmarks/fault_campaign.py --seeds 1 2 3                    # the baseline: no faults
    python benchmarks/fault_campaign.py --seeds 1 2 3 --throttle 0.2     # Batch, Logs and S3
    python benchmarks/fault_campaign.py --seeds 1 2 3 --spot 0.4         # rule jobs' attempts

The workflow is the one tests/faults runs (tests/faults/workflows/fanout): `--shards` jobs that
each write a number, and one that adds them up. Under `--spot`, rule jobs go to a queue on a
Spot compute environment and only that queue's attempts are reclaimed; the head job stays on
the on-demand queue, as in the deployed stack.
"""

import argparse
import os
import secrets
import statistics
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import httpx
import uvicorn

from batchflow_local.config import LocalAwsConfig
from batchflow_local.server import LocalAwsServer
from batchflow_service.app import create_app
from batchflow_service.settings import Settings

WORKFLOWS = Path(__file__).resolve().parents[1] / "tests" / "faults" / "workflows"
SPOT_QUEUE = "spot-tasks"
FINAL = {"COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED"}


def start_local_aws(workdir: Path) -> LocalAwsServer:
    """A local AWS on a free port, and this process's AWS settings pointed at it."""
    config = LocalAwsConfig(workdir=workdir, port=0, vcpus=8, memory_mib=16_384)
    server = LocalAwsServer(config).start_in_thread()
    for name in [name for name in os.environ if name.startswith(("AWS_", "BATCHFLOW_"))]:
        del os.environ[name]
    os.environ.update(server.client_environment())
    return server


def add_spot_queue() -> None:
    batch = boto3.client("batch")
    batch.create_compute_environment(
        computeEnvironmentName=SPOT_QUEUE,
        type="MANAGED",
        computeResources={"type": "SPOT", "maxvCpus": 8},
    )
    batch.create_job_queue(
        jobQueueName=SPOT_QUEUE,
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": SPOT_QUEUE}],
    )


def serve(settings: Settings) -> tuple[uvicorn.Server, str]:
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


def run_once(client: httpx.Client, shards: int) -> dict[str, Any]:
    answer = client.post("/runs", json={"workflow": "fanout", "params": {"shards": shards}})
    run_id = answer.raise_for_status().json()["id"]
    while (run := client.get(f"/runs/{run_id}").json())["state"] not in FINAL:
        time.sleep(1)
    return run


def seconds(run: dict[str, Any]) -> float:
    created, ended = (datetime.fromisoformat(run[key]) for key in ("created_at", "ended_at"))
    return (ended - created).total_seconds()


def reclaimed_attempts(client: httpx.Client, run: dict[str, Any]) -> tuple[int, int]:
    """How many of the run's rule job attempts were reclaimed, of how many."""
    tasks = client.get(f"/runs/{run['id']}/tasks").json()["tasks"]
    jobs = boto3.client("batch").describe_jobs(jobs=[task["batch_job_id"] for task in tasks])
    reasons = [attempt["statusReason"] for job in jobs["jobs"] for attempt in job["attempts"]]
    return sum(reason.startswith("Host EC2") for reason in reasons), len(reasons)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--throttle", type=float, default=0.0, help="on batch, logs and s3")
    parser.add_argument("--spot", type=float, default=0.0, help="rule jobs' attempts reclaimed")
    parser.add_argument("--shards", type=int, default=7)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fault-campaign-") as workdir:
        local_aws = start_local_aws(Path(workdir))
        credentials = (local_aws.config.access_key_id, local_aws.config.secret_access_key)
        admin = httpx.Client(base_url=f"{local_aws.endpoint}/_batchflow", auth=credentials)
        if options.spot:
            add_spot_queue()
        password = secrets.token_urlsafe(16)
        service, url = serve(
            Settings(
                engines=["snakemake"],
                reconcile_seconds=0.5,
                catalog_dir=WORKFLOWS,
                task_queue=SPOT_QUEUE if options.spot else "local",
                admin_password=password,
            )
        )
        client = httpx.Client(base_url=url, timeout=30)
        token = client.post("/auth/token", data={"username": "admin", "password": password})
        token.raise_for_status()
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        runs = []
        for seed in options.seeds:
            admin.delete("/stats").raise_for_status()
            faults = {
                "throttle_rate": options.throttle,
                "throttle_services": ["batch", "logs", "s3"],
                "spot_reclaim_rate": options.spot,
                "spot_reclaim_queues": [SPOT_QUEUE],
                "seed": seed,
            }
            admin.put("/faults", json=faults).raise_for_status()
            run = run_once(client, options.shards)
            stats = admin.get("/stats").json()
            calls, throttled = (sum(stats[key].values()) for key in ("calls", "throttled"))
            admin.put("/faults", json={}).raise_for_status()
            reclaimed, attempts = reclaimed_attempts(client, run)
            runs.append(run)
            print(
                f"seed {seed}: {run['state']} in {seconds(run):.0f} s; {throttled} of {calls} "
                f"calls throttled; {reclaimed} of {attempts} rule job attempts reclaimed"
                + (f"; {run['reason']}" if run["state"] != "COMPLETE" else "")
            )
        complete = [run for run in runs if run["state"] == "COMPLETE"]
        median = statistics.median(map(seconds, runs))
        print(
            f"{len(complete)}/{len(runs)} COMPLETE, median {median:.0f} s (throttle "
            f"{options.throttle}, spot {options.spot}, {options.shards + 1} rule jobs)"
        )
        service.should_exit = True
        local_aws.stop()


if __name__ == "__main__":
    main()
