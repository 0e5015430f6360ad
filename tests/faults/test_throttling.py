"""Fault: a fifth of all Batch, CloudWatch Logs and S3 calls throttled, whoever makes them:
the service, the head job's own S3 client, Snakemake's executor, and the S3 storage plugin in
the head job and in every rule job. Guarantee: the run completes, with every task and output."""

from collections import Counter

import pytest

from .conftest import check_fanout, run_fanout, seconds

pytestmark = pytest.mark.slow

SHARDS = 7  # 8 rule jobs and a head job


def test_a_run_completes_with_a_fifth_of_batch_logs_and_s3_calls_throttled(
    start_service, faults, admin, batch, s3, clean_stats
) -> None:
    service = start_service()
    faults(throttle_rate=0.2, throttle_services=["batch", "logs", "s3"], seed=12)

    run = run_fanout(service, SHARDS)
    stats = admin.get("/stats").json()
    faults()  # reading the results back is not part of the experiment

    check_fanout(service, s3, run, SHARDS)
    throttled: Counter[str] = Counter()
    for call, count in stats["throttled"].items():
        throttled[call.split(":")[0]] += count
    print(f"\n20% throttling: {run['state']} in {seconds(run):.0f} s, throttled {dict(throttled)}")
    assert throttled["batch"] > 0
    assert throttled["s3"] > 0
    [head] = batch.describe_jobs(jobs=[run["head_job_id"]])["jobs"]
    environment = {pair["name"]: pair["value"] for pair in head["container"]["environment"]}
    assert environment["AWS_MAX_ATTEMPTS"] == "10"
