"""Which requests become array jobs, and how a child finds and runs its own command."""

import os
import random
import shlex
import string
import subprocess
import sys
import uuid

from batchflow_executor.arrays import (
    CHILD_PROGRAM,
    MAX_ARRAY_SIZE,
    MAX_INLINE_MANIFEST_BYTES,
    array_params,
    inline_manifest,
    manifest_body,
    manifest_entry,
    plan_batches,
    stored_manifest,
)
from batchflow_executor.job_command import BOTH_STEPS, SEPARATOR


def request(rule: str, jobid: int, vcpus: str = "1", command: str = "true") -> dict:
    return {
        "jobName": f"bf-run-{rule}-{jobid}",
        "jobQueue": "queue",
        "jobDefinition": "definition:1",
        "containerOverrides": {
            "command": ["/bin/bash", "-c", command],
            "environment": [{"name": "A", "value": "1"}],
            "resourceRequirements": [{"type": "VCPU", "value": vcpus}],
        },
        "tags": {"batchflow:rule": rule, "batchflow:job": str(jobid)},
    }


def plan(requests: list[dict], min_size: int = 2) -> list[tuple[bool, list[str]]]:
    batches = plan_batches(requests, lambda params: params, min_size)
    return sorted((b.is_array, [r["jobName"] for r in b.requests]) for b in batches)


def test_jobs_of_one_rule_asking_the_same_become_one_array() -> None:
    requests = [request("align", i) for i in range(3)] + [request("sort", 9)]

    assert plan(requests) == [
        (False, ["bf-run-sort-9"]),
        (True, ["bf-run-align-0", "bf-run-align-1", "bf-run-align-2"]),
    ]


def test_jobs_asking_for_other_resources_are_other_arrays() -> None:
    requests = [request("align", 1), request("align", 2, vcpus="4"), request("align", 3)]

    assert plan(requests) == [
        (False, ["bf-run-align-2"]),
        (True, ["bf-run-align-1", "bf-run-align-3"]),
    ]


def test_below_the_minimum_size_or_turned_off_jobs_go_alone() -> None:
    requests = [request("align", i) for i in range(3)]

    assert all(not is_array for is_array, _ in plan(requests, min_size=4))
    assert all(not is_array for is_array, _ in plan(requests, min_size=0))


def test_a_request_kept_out_of_arrays_goes_alone() -> None:
    requests = [request("align", i) for i in range(3)]

    batches = plan_batches(requests, lambda r: None if r["jobName"].endswith("-0") else r, 2)

    assert sorted((b.is_array, len(b.requests)) for b in batches) == [(False, 1), (True, 2)]


def test_arrays_hold_at_most_ten_thousand_children() -> None:
    requests = [request("align", i) for i in range(MAX_ARRAY_SIZE + 3)]

    sizes = sorted(len(b.requests) for b in plan_batches(requests, lambda r: r, 2))

    assert sizes == [3, MAX_ARRAY_SIZE]


def test_the_array_request_runs_the_child_program_on_the_manifest() -> None:
    children = [request("align", i) for i in (4, 5)]

    manifest = stored_manifest("s3://bucket/p/m.json")
    params = array_params(children, "bf-run-align-array-4", manifest, 4)

    assert params["arrayProperties"] == {"size": 2}
    assert params["containerOverrides"]["command"] == [
        "python",
        "-c",
        CHILD_PROGRAM,
        "bucket",
        "p/m.json",
    ]
    assert params["containerOverrides"]["resourceRequirements"] == [{"type": "VCPU", "value": "1"}]
    assert "batchflow:job" not in params["tags"]
    assert params["tags"]["batchflow:array-first-job"] == "4"


def test_a_one_start_command_runs_in_the_childs_interpreter() -> None:
    arguments = ["--deploy-sources", "s3://b/x.tar.xz", "hash", SEPARATOR, "--target-jobs", "a:"]
    command = f"python -c {shlex.quote(BOTH_STEPS)} {shlex.join(arguments)}"

    assert manifest_entry(command) == {"argv": arguments}
    assert manifest_entry(f"source env.sh && {command}") == {"shell": f"source env.sh && {command}"}


def run_child(index: int, manifest: list[str], environment: dict[str, str]):
    return subprocess.run(
        [sys.executable, "-c", CHILD_PROGRAM, *manifest],
        env={**environment, "AWS_BATCH_JOB_ARRAY_INDEX": str(index)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_each_child_runs_the_command_at_its_index(aws_environment, s3) -> None:
    one_start = f"python -c {shlex.quote(BOTH_STEPS)} --version {SEPARATOR} --version"
    key = f"work/plans-{uuid.uuid4().hex[:8]}/manifest.json"
    body = manifest_body([one_start, "echo child one; exit 7"])
    s3.put_object(Bucket="batchflow-local", Key=key, Body=body)
    environment = {**os.environ, **aws_environment}

    first = run_child(0, stored_manifest(f"s3://batchflow-local/{key}"), environment)
    second = run_child(1, stored_manifest(f"s3://batchflow-local/{key}"), environment)

    assert first.returncode == 0, first.stderr
    deploy_version, job_version = first.stdout.split()
    assert deploy_version == job_version
    assert second.returncode == 7
    assert second.stdout.strip() == "child one"


def test_a_hundred_commands_of_one_rule_go_inside_the_array_command() -> None:
    command = f"python -c {shlex.quote(BOTH_STEPS)} --deploy-sources s3://b/w.tar.xz {SEPARATOR}"
    commands = [f"{command} --target-jobs part:i={i} --cores all" for i in range(100)]
    commands[42] = "echo the forty-second child; exit 3"

    manifest = inline_manifest(manifest_body(commands))

    assert manifest is not None
    assert sum(map(len, manifest)) <= MAX_INLINE_MANIFEST_BYTES + 10
    no_aws = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    child = run_child(42, manifest, {**no_aws, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert (child.returncode, child.stdout.strip()) == (3, "the forty-second child")


def test_a_manifest_too_large_once_compressed_does_not_go_inline() -> None:
    words = random.Random(7)
    commands = ["echo " + "".join(words.choices(string.ascii_letters, k=200)) for _ in range(40)]

    assert inline_manifest(manifest_body(commands)) is None
