import re

import pytest
from snakemake.common import mb_to_mib
from snakemake_interface_common.exceptions import WorkflowError

from batchflow_executor.jobspec import (
    check_requests,
    ephemeral_storage_gib,
    job_size,
    mb_for_mib,
    parse_tags,
    retry_strategy,
    rule_override,
    timeout_seconds,
)


def test_ec2_size_maps_threads_memory_and_gpus() -> None:
    size = job_size(4, {"mem_mb": 10_000, "gpu": 1}, "EC2", "round-up")

    assert (size.vcpus, size.memory_mib, size.gpus, size.warnings) == (4, 10_000, 1, [])
    assert size.requirements() == [
        {"type": "VCPU", "value": "4"},
        {"type": "MEMORY", "value": "10000"},
        {"type": "GPU", "value": "1"},
    ]


def test_ec2_memory_is_never_shrunk_to_a_fargate_size() -> None:
    assert job_size(1, {"mem_mb": 10_000}, "EC2", "round-up").memory_mib == 10_000


def test_mem_mib_wins_over_mem_mb_and_a_default_fills_in() -> None:
    assert job_size(1, {"mem_mb": 1000, "mem_mib": 954}, "EC2", "round-up").memory_mib == 954
    assert job_size(1, {}, "EC2", "round-up").memory_mib == 2048


def test_valid_fargate_size_is_kept() -> None:
    size = job_size(1, {"mem_mb": 4096}, "FARGATE", "round-up")

    assert (size.vcpus, size.memory_mib, size.warnings) == (1, 4096, [])


@pytest.mark.parametrize(
    ("threads", "memory", "expected"),
    [(1, 3000, (1, 3072)), (1, 100, (1, 2048)), (3, 1000, (4, 8192)), (1, 9000, (2, 9216))],
)
def test_invalid_fargate_size_rounds_up_with_a_warning(threads, memory, expected) -> None:
    size = job_size(threads, {"mem_mb": memory}, "FARGATE", "round-up")

    assert (size.vcpus, size.memory_mib) == expected
    assert "not a Fargate size" in size.warnings[0]


def as_snakemake_passes(mem_mb: int) -> dict[str, int]:
    """What an executor receives for `mem_mb`: Snakemake adds mem_mib, which the executor reads."""
    return {"mem_mb": mem_mb, "mem_mib": mb_to_mib(mem_mb)}


def test_exact_fargate_sizes_refuse_and_the_advice_followed_literally_is_accepted() -> None:
    with pytest.raises(WorkflowError) as raised:
        job_size(1, as_snakemake_passes(3000), "FARGATE", "exact")

    message = str(raised.value)
    assert "memory 2862 MiB (mem_mb=3000) with 1 vCPU" in message
    assert "2048-8192 MiB in 1024 MiB steps" in message
    threads, mem_mb = re.search(r"use threads=(\d+) and mem_mb=(\d+)", message).groups()
    size = job_size(int(threads), as_snakemake_passes(int(mem_mb)), "FARGATE", "exact")
    assert (size.vcpus, size.memory_mib) == (1, 3072)


@pytest.mark.parametrize("mib", [512, 1024, 2048, 3072, 4096, 30720, 61440, 122880])
def test_the_mem_mb_named_in_advice_is_the_smallest_that_gives_that_mib(mib) -> None:
    assert mb_to_mib(mb_for_mib(mib)) == mib
    assert mb_to_mib(mb_for_mib(mib) - 1) < mib


@pytest.mark.parametrize(
    ("threads", "resources", "named"),
    [
        (0, {}, "threads: 0"),
        (-2, {}, "threads: -2"),
        (1, {"mem_mb": 0, "mem_mib": 0}, "mem_mb=0"),
        (1, {"mem_mb": -5, "mem_mib": -4}, "mem_mb=-5"),
        (1, {"runtime": 0}, "runtime=0"),
        (1, {"disk_mb": 0, "disk_mib": 0}, "disk_mb=0"),
    ],
)
def test_zero_or_negative_requests_are_refused_and_the_advice_works(
    threads, resources, named
) -> None:
    with pytest.raises(WorkflowError) as raised:
        check_requests(threads, resources)

    message = str(raised.value)
    assert message.startswith(named)
    advice = re.search(r"(threads: 1|(\w+)=(\d+))", message.split("such as ")[-1])
    if advice.group(1) == "threads: 1":
        threads = 1
    else:
        name, value = advice.group(2), int(advice.group(3))
        resources = {name: value}
        if name == "mem_mb":
            resources = as_snakemake_passes(value)
    check_requests(threads, resources)


def test_fargate_refuses_what_it_cannot_run() -> None:
    with pytest.raises(WorkflowError, match="larger than any Fargate size"):
        job_size(32, {"mem_mb": 1000}, "FARGATE", "round-up")
    with pytest.raises(WorkflowError, match="no GPUs"):
        job_size(1, {"gpu": 1}, "FARGATE", "round-up")


@pytest.mark.parametrize(
    ("runtime", "seconds"), [(None, None), (0.5, 60), (1, 60), (90, 5400), (2.5, 150)]
)
def test_runtime_minutes_become_an_attempt_timeout(runtime, seconds) -> None:
    resources = {} if runtime is None else {"runtime": runtime}

    assert timeout_seconds(resources) == seconds


def test_disk_becomes_fargate_ephemeral_storage_only_above_the_free_20_gib() -> None:
    assert ephemeral_storage_gib({"disk_mb": 50_000}, "EC2") is None
    assert ephemeral_storage_gib({"disk_mb": 10_000}, "FARGATE") is None
    assert ephemeral_storage_gib({"disk_mb": 50_000}, "FARGATE") == 49
    with pytest.raises(WorkflowError, match="200 GiB"):
        ephemeral_storage_gib({"disk_mb": 300_000}, "FARGATE")


def test_spot_reclaims_retry_and_everything_else_exits() -> None:
    strategy = retry_strategy(3)

    assert strategy["attempts"] == 4
    assert strategy["evaluateOnExit"] == [
        {"onStatusReason": "Host EC2*", "action": "RETRY"},
        {"onReason": "*", "action": "EXIT"},
    ]
    with pytest.raises(WorkflowError):
        retry_strategy(10)


def test_tags_are_parsed_and_bad_ones_named() -> None:
    assert parse_tags(["project=genomics", "owner = ana "]) == {
        "project": "genomics",
        "owner": "ana",
    }
    with pytest.raises(WorkflowError, match="'novalue'"):
        parse_tags(["novalue"])
    with pytest.raises(WorkflowError):
        parse_tags(["=x"])


def test_rule_resources_override_settings() -> None:
    assert rule_override({"batchflow_queue": "gpu"}, "queue", "default") == "gpu"
    assert rule_override({}, "queue", "default") == "default"
