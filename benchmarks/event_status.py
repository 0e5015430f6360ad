"""Job status by events against polling, on `batchflow local`: the 100-way fan-out run with the
local profile (DescribeJobs every second), then with `--batchflow-events-queue`, on one local
AWS behind the counting proxy; prints DescribeJobs calls and the detection lag of each.

    .venv/bin/python benchmarks/event_status.py [--workload fanout|chain]

Two lags: call_tally's, when the first DescribeJobs answer or SQS delivery showing a job
ended reached the proxy, minus the job's stoppedAt; and the executor's own, when it reported
the job's end to Snakemake (its `succeeded` or `failed` task event) minus the job's stoppedAt.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import uuid
from datetime import datetime
from pathlib import Path

import boto3
from call_proxy import CallProxy
from call_tally import Tally
from side_by_side import WORKFLOWS, WORKLOADS, ProxiedLocalAws, run_snakemake, runner_command

from batchflow_local.config import LocalAwsConfig

EVENTS_QUEUE = "batchflow-events"


def noticed_lags(task_events: Path) -> dict[str, float | None]:
    """Median and p90 of the executor's reports of a job's end, after the job's stoppedAt."""
    lags = []
    for line in task_events.read_text().splitlines():
        event = json.loads(line)
        if event["event"] in ("succeeded", "failed") and event.get("stopped_at"):
            noticed = datetime.fromisoformat(event["time"]).timestamp()
            lags.append(noticed - event["stopped_at"] / 1000)
    if len(lags) < 2:
        return {"noticed_lag_median_s": None, "noticed_lag_p90_s": None}
    return {
        "noticed_lag_median_s": round(statistics.median(lags), 2),
        "noticed_lag_p90_s": round(statistics.quantiles(lags, n=10)[-1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", choices=list(WORKLOADS), default="fanout")
    parser.add_argument("--timeout", type=float, default=1500, help="seconds per run")
    options = parser.parse_args()
    results = Path(tempfile.mkdtemp(prefix="bench-events-"))
    job_extras = {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}
    proxy = CallProxy(upstream_host="::1", upstream_port=0).start_in_thread()
    proxy.upstream = ("::1", proxy.port)
    config = LocalAwsConfig(
        workdir=results / "aws",
        host="::1",
        port=proxy.port,
        persist=False,
        events_queue=EVENTS_QUEUE,
    )
    server = ProxiedLocalAws(config, proxy.endpoint, job_extras)
    server.start_in_thread()
    environment = server.client_environment()
    queue_url = environment.pop("SNAKEMAKE_BATCHFLOW_EVENTS_QUEUE")
    sqs = boto3.client(
        "sqs",
        endpoint_url=environment["AWS_ENDPOINT_URL"],
        region_name=environment["AWS_DEFAULT_REGION"],
        aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
    )
    records = []
    try:
        for mode in ("polling", "events"):
            workdir = results / mode
            shutil.copytree(WORKFLOWS / options.workload, workdir)
            prefix = f"s3://batchflow-local/work/bench-{uuid.uuid4().hex[:8]}"
            task_events = workdir / "task-events.jsonl"
            options_ = argparse.Namespace(
                batchflow_arg=["--batchflow-events-file", str(task_events)]
            )
            command = runner_command("batchflow", prefix, options_)
            if mode == "events":
                # The polling run's events: nobody took them, and they are not this run's.
                sqs.purge_queue(QueueUrl=queue_url)
                command += ["--batchflow-events-queue", queue_url]
            proxy.take_calls()
            print(f"{mode} {options.workload} ...", file=sys.stderr, flush=True)
            record = {"mode": mode, "workload": options.workload}
            record |= run_snakemake(
                command, workdir, {**os.environ, **environment}, results / f"{mode}.log",
                options.timeout,
            )  # fmt: skip
            summary = Tally(proxy.take_calls()).summary(WORKLOADS[options.workload])
            record |= {
                "describe_jobs_calls": summary["calls"].get("batch.DescribeJobs", 0),
                "sqs_receive_calls": summary["calls"].get("sqs.ReceiveMessage", 0),
                "lag_jobs": summary["lag_jobs"],
                "lag_median_s": summary["lag_median_s"],
                "lag_p90_s": summary["lag_p90_s"],
                **noticed_lags(task_events),
            }
            records.append(record)
            print(json.dumps(record), flush=True)
    finally:
        server.stop()
        proxy.stop()
    polling, events = (r["describe_jobs_calls"] for r in records)
    if polling:
        print(f"DescribeJobs calls: {polling} polling, {events} with events "
              f"({100 * (1 - events / polling):.0f}% fewer)")  # fmt: skip


if __name__ == "__main__":
    main()
