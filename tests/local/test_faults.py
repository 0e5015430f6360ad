import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ..conftest import NO_RETRIES
from .conftest import wait_for

SPOT_REASON_PREFIX = "Host EC2 (instance i-"


def test_throttled_batch_call_is_too_many_requests_429(client_factory, faults) -> None:
    batch = client_factory("batch", NO_RETRIES)
    faults(throttle_rate=1.0)

    with pytest.raises(ClientError) as raised:
        batch.describe_job_queues()

    response = raised.value.response
    assert response["Error"]["Code"] == "TooManyRequestsException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_throttled_logs_call_is_a_throttling_exception(client_factory, faults) -> None:
    logs = client_factory("logs", NO_RETRIES)
    faults(throttle_rate=1.0)

    with pytest.raises(ClientError) as raised:
        logs.describe_log_groups()
    assert raised.value.response["Error"]["Code"] == "ThrottlingException"


def test_s3_is_throttled_only_when_asked(client_factory, faults) -> None:
    s3 = client_factory("s3", NO_RETRIES)
    faults(throttle_rate=1.0)
    s3.head_bucket(Bucket="batchflow-local")

    faults(throttle_rate=1.0, throttle_services=["s3"])
    with pytest.raises(ClientError) as raised:
        s3.head_bucket(Bucket="batchflow-local")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503


def test_botocore_retries_ride_out_a_fifth_of_calls_throttled(client_factory, faults, admin):
    batch = client_factory("batch", Config(retries={"mode": "standard", "max_attempts": 10}))
    admin.delete("/stats")
    faults(throttle_rate=0.2, seed=7)

    for _ in range(50):
        batch.describe_job_queues(jobQueues=["local"])

    stats = admin.get("/stats").json()
    assert stats["throttled"]["batch:DescribeJobQueues"] > 0
    assert (
        stats["calls"]["batch:DescribeJobQueues"]
        == 50 + stats["throttled"]["batch:DescribeJobQueues"]
    )


def test_reclaim_ends_the_attempt_as_a_spot_interruption_and_it_is_retried(
    batch, admin, submit
) -> None:
    submitted = submit(
        "spot",
        ["sh", "-c", '[ "$AWS_BATCH_JOB_ATTEMPT" = 2 ] || sleep 600'],
        retryStrategy={
            "attempts": 2,
            "evaluateOnExit": [
                {"onStatusReason": "Host EC2*", "action": "RETRY"},
                {"onReason": "*", "action": "EXIT"},
            ],
        },
    )
    wait_for(batch, submitted["jobId"], ("RUNNING",))

    reply = admin.post(f"/jobs/{submitted['jobId']}/reclaim")
    job = wait_for(batch, submitted["jobId"])

    assert reply.status_code == 200
    assert reply.json()["statusReason"].startswith(SPOT_REASON_PREFIX)
    assert job["status"] == "SUCCEEDED"
    first, second = job["attempts"]
    assert first["statusReason"] == reply.json()["statusReason"]
    assert first["statusReason"].endswith(") terminated.")
    assert "exitCode" not in first["container"]
    assert second["container"]["exitCode"] == 0


def test_reclaim_without_retries_fails_the_job(batch, admin, submit) -> None:
    submitted = submit("spot-final", ["sleep", "600"])
    wait_for(batch, submitted["jobId"], ("RUNNING",))
    admin.post(f"/jobs/{submitted['jobId']}/reclaim").raise_for_status()
    job = wait_for(batch, submitted["jobId"])

    assert job["status"] == "FAILED"
    assert job["statusReason"].startswith(SPOT_REASON_PREFIX)


def test_reclaim_refuses_unknown_and_finished_jobs(admin, run) -> None:
    done = run("true")

    assert admin.post("/jobs/no-such-job/reclaim").status_code == 404
    assert admin.post(f"/jobs/{done['jobId']}/reclaim").status_code == 409


def test_spot_reclaim_rate_interrupts_attempts_after_the_delay(batch, faults, submit) -> None:
    faults(spot_reclaim_rate=1.0, spot_reclaim_after_seconds=0.3)
    started = time.monotonic()
    submitted = submit(
        "doomed",
        ["sleep", "600"],
        retryStrategy={"attempts": 2},
    )
    job = wait_for(batch, submitted["jobId"], timeout=10)

    assert time.monotonic() - started < 10
    assert [a["statusReason"][: len(SPOT_REASON_PREFIX)] for a in job["attempts"]] == [
        SPOT_REASON_PREFIX
    ] * 2


def test_spot_reclaims_hit_only_the_queues_named(batch, faults, shell_job, spot_queue) -> None:
    faults(spot_reclaim_rate=1.0, spot_reclaim_after_seconds=0.2, spot_reclaim_queues=[spot_queue])
    jobs = {
        queue: batch.submit_job(
            jobName=f"on-{queue}",
            jobQueue=queue,
            jobDefinition=shell_job,
            containerOverrides={"command": ["sleep", "1"]},
        )["jobId"]
        for queue in ("local", spot_queue)
    }

    on_demand = wait_for(batch, jobs["local"], timeout=10)
    spot = wait_for(batch, jobs[spot_queue], timeout=10)

    assert on_demand["status"] == "SUCCEEDED"
    assert spot["status"] == "FAILED"
    assert spot["statusReason"].startswith(SPOT_REASON_PREFIX)


def test_fault_settings_are_validated(admin) -> None:
    bad_rate = admin.put("/faults", json={"throttle_rate": 2})
    unknown = admin.put("/faults", json={"explode": True})

    assert bad_rate.status_code == 422
    assert unknown.status_code == 422
    assert admin.get("/faults").json()["throttle_rate"] == 0


def test_health_reports_capacity(admin, local_aws) -> None:
    health = admin.get("/health").json()

    assert health["status"] == "ok"
    assert health["vcpus"] == local_aws.config.vcpus
