"""Fault: two in five attempts of the rule jobs reclaimed as Spot interruptions, each a second
after it starts. Guarantee: with the service's default of 9 Spot retries (10 attempts a job),
the run completes; a rule job fails only if all 10 of its attempts are reclaimed (0.4^10)."""

import pytest

from .conftest import check_fanout, run_fanout, seconds

pytestmark = pytest.mark.slow

SHARDS = 7  # 8 rule jobs on the Spot queue; the head job on the on-demand queue
SPOT_REASON_PREFIX = "Host EC2 (instance i-"


def test_a_run_completes_with_two_in_five_rule_job_attempts_reclaimed(
    start_service, faults, batch, s3, spot_queue
) -> None:
    service = start_service(task_queue=spot_queue)
    faults(spot_reclaim_rate=0.4, spot_reclaim_queues=[spot_queue], seed=4)

    run = run_fanout(service, SHARDS)
    faults()  # reading the results back is not part of the experiment

    check_fanout(service, s3, run, SHARDS)
    tasks = service.get(f"/runs/{run['id']}/tasks").json()["tasks"]
    jobs = batch.describe_jobs(jobs=[task["batch_job_id"] for task in tasks])["jobs"]
    reasons = [attempt["statusReason"] for job in jobs for attempt in job["attempts"]]
    reclaimed = [reason for reason in reasons if reason.startswith(SPOT_REASON_PREFIX)]
    print(
        f"\n40% Spot reclaims: {run['state']} in {seconds(run):.0f} s, "
        f"{len(reclaimed)} of {len(reasons)} attempts reclaimed"
    )
    assert reclaimed, "no attempt was reclaimed: the fault did not happen"
    assert {job["retryStrategy"]["attempts"] for job in jobs} == {10}
    [head] = batch.describe_jobs(jobs=[run["head_job_id"]])["jobs"]
    assert head["jobQueue"].endswith("/local")
    assert len(head["attempts"]) == 1
