"""Job definitions, queue platforms and SubmitJob requests against moto's Batch (no Docker)."""

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.backends import get_backend

from batchflow_aws import AwsError
from batchflow_aws.calls import AwsCaller
from batchflow_aws.jobdefs import DefinitionSpec, JobDefinitions
from batchflow_aws.queues import JobQueues
from batchflow_executor.jobspec import job_size, retry_strategy

REGION = "eu-west-1"
MOCKED_SERVICES = ("batch", "ec2", "ecs", "iam", "logs", "sts")


@pytest.fixture
def moto_batch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    # The session's local AWS serves S3 from moto's backends in this same process: a plain
    # `with mock_aws()` would wipe its bucket on the way in and out, so only what these tests
    # create is removed.
    mock = mock_aws(config={"batch": {"use_docker": False}})
    mock.start(reset=False)
    try:
        yield boto3.client("batch", region_name=REGION)
    finally:
        mock.stop(remove_data=False)
        for service in MOCKED_SERVICES:
            for account in get_backend(service).values():
                account.reset()


def make_queue(batch: Any, name: str, compute_type: str) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    iam = boto3.client("iam", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=name, Description="batch", VpcId=vpc)["GroupId"]
    role = iam.create_role(RoleName=f"{name}-service", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    profile = iam.create_instance_profile(InstanceProfileName=f"{name}-instances")
    resources: dict[str, Any] = {
        "type": compute_type,
        "maxvCpus": 16,
        "subnets": [subnet],
        "securityGroupIds": [group],
    }
    if compute_type in ("EC2", "SPOT"):
        resources |= {
            "minvCpus": 0,
            "instanceTypes": ["optimal"],
            "instanceRole": profile["InstanceProfile"]["Arn"],
        }
    environment = batch.create_compute_environment(
        computeEnvironmentName=name, type="MANAGED", computeResources=resources, serviceRole=role
    )
    batch.create_job_queue(
        jobQueueName=name,
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[
            {"order": 1, "computeEnvironment": environment["computeEnvironmentArn"]}
        ],
    )


def test_a_spec_is_registered_once_and_found_again_by_a_later_run(moto_batch) -> None:
    spec = DefinitionSpec(image="repo/task:1", platform="EC2")
    first_run = JobDefinitions(moto_batch, AwsCaller())

    arn = first_run.arn_for(spec)
    again = first_run.arn_for(spec)
    later_run = JobDefinitions(moto_batch, AwsCaller()).arn_for(spec)

    revisions = moto_batch.describe_job_definitions(jobDefinitionName=spec.name)
    assert arn == again == later_run
    assert len(revisions["jobDefinitions"]) == 1


def test_distinct_specs_get_distinct_definitions(moto_batch) -> None:
    definitions = JobDefinitions(moto_batch, AwsCaller())

    arns = {
        definitions.arn_for(DefinitionSpec(image=image, platform="EC2"))
        for image in ("repo/a:1", "repo/b:1", "repo/a:1")
    }

    assert len(arns) == 2


@pytest.mark.parametrize(("compute_type", "platform"), [("SPOT", "EC2"), ("FARGATE", "FARGATE")])
def test_queue_platform_is_read_from_its_compute_environments(
    moto_batch, compute_type, platform
) -> None:
    make_queue(moto_batch, f"queue-{compute_type.lower()}", compute_type)

    found = JobQueues(moto_batch, AwsCaller()).platform(f"queue-{compute_type.lower()}")

    assert found == platform


def test_a_queue_is_described_with_its_state_and_largest_environment_once(moto_batch) -> None:
    make_queue(moto_batch, "tasks", "SPOT")
    queues = JobQueues(moto_batch, AwsCaller())
    calls: list[str] = []
    moto_batch.meta.events.register(
        "before-call.batch.*", lambda model, **kwargs: calls.append(model.name)
    )

    described = queues.describe("tasks")
    again = queues.describe("tasks")

    assert described is again
    assert (described.name, described.state, described.platform) == ("tasks", "ENABLED", "EC2")
    assert described.max_vcpus == 16
    assert [ce.compute_type for ce in described.compute_environments] == ["SPOT"]
    assert calls == ["DescribeJobQueues", "DescribeComputeEnvironments"]


def test_unknown_queue_is_a_clear_error_asked_for_once(moto_batch) -> None:
    queues = JobQueues(moto_batch, AwsCaller())
    calls: list[str] = []
    moto_batch.meta.events.register(
        "before-call.batch.*", lambda model, **kwargs: calls.append(model.name)
    )

    for _ in range(3):
        with pytest.raises(AwsError, match="does not exist in this account and region"):
            queues.platform("no-such-queue")

    assert calls == ["DescribeJobQueues"]


def test_submit_request_is_accepted_by_the_batch_api(moto_batch) -> None:
    make_queue(moto_batch, "tasks", "EC2")
    arn = JobDefinitions(moto_batch, AwsCaller()).arn_for(
        DefinitionSpec(image="repo/task:1", platform="EC2")
    )
    size = job_size(2, {"mem_mb": 4000}, "EC2", "round-up")

    submitted = moto_batch.submit_job(
        jobName="align-1-abcdef12",
        jobQueue="tasks",
        jobDefinition=arn,
        containerOverrides={
            "command": ["/bin/bash", "-c", "python -m snakemake --version"],
            "environment": [{"name": "AWS_DEFAULT_REGION", "value": REGION}],
            "resourceRequirements": size.requirements(),
        },
        retryStrategy=retry_strategy(3),
        timeout={"attemptDurationSeconds": 600},
        propagateTags=True,
        tags={"batchflow:run": "r1", "batchflow:rule": "align"},
    )

    [job] = moto_batch.describe_jobs(jobs=[submitted["jobId"]])["jobs"]
    assert job["jobDefinition"] == arn
    assert job["tags"] == {"batchflow:run": "r1", "batchflow:rule": "align"}


def test_a_transient_failure_to_describe_a_queue_is_tried_again(moto_batch) -> None:
    make_queue(moto_batch, "tasks", "EC2")
    failures = [AwsError("DescribeJobQueues for tasks", "Rate exceeded", "ThrottlingException")]

    def call(what, operation, **kwargs):
        if failures:
            raise failures.pop()
        return operation(**kwargs)

    queues = JobQueues(moto_batch, call)

    with pytest.raises(AwsError, match="Rate exceeded"):
        queues.platform("tasks")
    assert queues.platform("tasks") == "EC2"
