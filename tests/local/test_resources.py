import pytest
from botocore.exceptions import ClientError

ONE_VCPU = [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "64"}]


def error_of(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"] | {
        "status": raised.value.response["ResponseMetadata"]["HTTPStatusCode"]
    }


def test_startup_creates_the_local_queue_and_compute_environment(batch, local_aws) -> None:
    [environment] = batch.describe_compute_environments(computeEnvironments=["local"])[
        "computeEnvironments"
    ]
    [queue] = batch.describe_job_queues(jobQueues=["local"])["jobQueues"]

    assert environment["computeResources"]["maxvCpus"] == local_aws.config.vcpus
    assert environment["status"] == "VALID"
    assert queue["computeEnvironmentOrder"] == [
        {"order": 1, "computeEnvironment": environment["computeEnvironmentArn"]}
    ]
    assert queue["state"] == "ENABLED"


def test_compute_environment_names_must_be_unique_and_valid(batch) -> None:
    batch.create_compute_environment(
        computeEnvironmentName="unique-ce",
        type="MANAGED",
        computeResources={"type": "SPOT", "maxvCpus": 4, "subnets": [], "minvCpus": 0},
    )

    duplicate = error_of(
        batch.create_compute_environment,
        computeEnvironmentName="unique-ce",
        type="MANAGED",
        computeResources={"type": "SPOT", "maxvCpus": 4, "subnets": []},
    )
    invalid = error_of(
        batch.create_compute_environment,
        computeEnvironmentName="bad name!",
        type="MANAGED",
        computeResources={"type": "EC2", "maxvCpus": 4, "subnets": []},
    )
    assert duplicate["Code"] == invalid["Code"] == "ClientException"
    assert "already exists" in duplicate["Message"]
    assert "bad name!" in invalid["Message"]


def test_managed_compute_environment_needs_compute_resources(batch) -> None:
    error = error_of(
        batch.create_compute_environment, computeEnvironmentName="no-res", type="MANAGED"
    )

    assert "computeResources" in error["Message"]


def test_describe_compute_environments_pages(batch) -> None:
    for index in range(3):
        batch.create_compute_environment(
            computeEnvironmentName=f"paged-ce-{index}",
            type="MANAGED",
            computeResources={"type": "EC2", "maxvCpus": 1, "subnets": []},
        )

    pages = batch.get_paginator("describe_compute_environments").paginate(
        PaginationConfig={"PageSize": 2}
    )
    names = [ce["computeEnvironmentName"] for page in pages for ce in page["computeEnvironments"]]
    assert {f"paged-ce-{i}" for i in range(3)} <= set(names)
    assert len(names) == len(set(names))


def test_queue_refuses_unknown_and_mixed_compute_environments(batch) -> None:
    batch.create_compute_environment(
        computeEnvironmentName="fargate-ce",
        type="MANAGED",
        computeResources={"type": "FARGATE", "maxvCpus": 4, "subnets": []},
    )

    unknown = error_of(
        batch.create_job_queue,
        jobQueueName="q-unknown",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "nope"}],
    )
    mixed = error_of(
        batch.create_job_queue,
        jobQueueName="q-mixed",
        priority=1,
        computeEnvironmentOrder=[
            {"order": 1, "computeEnvironment": "fargate-ce"},
            {"order": 2, "computeEnvironment": "local"},
        ],
    )
    assert "nope" in unknown["Message"]
    assert "mix Fargate and EC2" in mixed["Message"]


def test_job_definition_revisions_count_up_and_deregister(batch) -> None:
    registered = [
        batch.register_job_definition(
            jobDefinitionName="revised",
            type="container",
            containerProperties={"image": f"busybox:{i}", "resourceRequirements": ONE_VCPU},
        )
        for i in range(2)
    ]
    assert [r["revision"] for r in registered] == [1, 2]

    batch.deregister_job_definition(jobDefinition="revised:1")
    active = batch.describe_job_definitions(jobDefinitionName="revised", status="ACTIVE")
    everything = batch.describe_job_definitions(jobDefinitions=["revised"])

    assert [d["revision"] for d in active["jobDefinitions"]] == [2]
    assert [d["status"] for d in everything["jobDefinitions"]] == ["INACTIVE", "ACTIVE"]
    by_arn = batch.describe_job_definitions(jobDefinitions=[registered[1]["jobDefinitionArn"]])
    assert by_arn["jobDefinitions"][0]["containerProperties"]["image"] == "busybox:1"


def test_deregister_needs_a_revision(batch) -> None:
    error = error_of(batch.deregister_job_definition, jobDefinition="revised")

    assert "name:revision" in error["Message"]


def test_submit_uses_the_latest_active_revision(batch) -> None:
    for image in ("old", "new"):
        batch.register_job_definition(
            jobDefinitionName="latest",
            type="container",
            containerProperties={
                "image": image,
                "command": ["true"],
                "resourceRequirements": ONE_VCPU,
            },
        )
    job = batch.submit_job(jobName="latest", jobQueue="local", jobDefinition="latest")
    described = batch.describe_jobs(jobs=[job["jobId"]])["jobs"][0]

    assert described["jobDefinition"].endswith("job-definition/latest:2")
    assert described["container"]["image"] == "new"


def test_job_definition_needs_an_image(batch) -> None:
    error = error_of(
        batch.register_job_definition,
        jobDefinitionName="no-image",
        type="container",
        containerProperties={"command": ["true"]},
    )

    assert "image" in error["Message"]


def test_reserved_environment_names_are_refused(batch) -> None:
    error = error_of(
        batch.register_job_definition,
        jobDefinitionName="reserved",
        type="container",
        containerProperties={
            "image": "busybox",
            "environment": [{"name": "AWS_BATCH_JOB_ID", "value": "x"}],
        },
    )

    assert "AWS_BATCH" in error["Message"]


def test_fargate_sizes_are_checked(batch) -> None:
    error = error_of(
        batch.register_job_definition,
        jobDefinitionName="bad-fargate",
        type="container",
        platformCapabilities=["FARGATE"],
        containerProperties={
            "image": "busybox",
            "resourceRequirements": [
                {"type": "VCPU", "value": "1"},
                {"type": "MEMORY", "value": "3000"},
            ],
        },
    )

    assert "2048-8192" in error["Message"]


def test_fargate_job_cannot_go_to_an_ec2_queue(batch) -> None:
    batch.register_job_definition(
        jobDefinitionName="fargate-job",
        type="container",
        platformCapabilities=["FARGATE"],
        containerProperties={
            "image": "busybox",
            "resourceRequirements": [
                {"type": "VCPU", "value": "0.5"},
                {"type": "MEMORY", "value": "1024"},
            ],
        },
    )

    error = error_of(batch.submit_job, jobName="f", jobQueue="local", jobDefinition="fargate-job")
    assert "FARGATE" in error["Message"]


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"jobQueue": "no-such-queue"}, "JobQueue no-such-queue not found"),
        ({"jobDefinition": "no-such-definition"}, "no-such-definition does not exist"),
        ({"jobName": "bad name"}, "bad name"),
        ({"jobName": "x" * 129}, "up to 128"),
        ({"arrayProperties": {"size": 1}}, "between 2 and 10000"),
        ({"arrayProperties": {"size": 10_001}}, "between 2 and 10000"),
        ({"timeout": {"attemptDurationSeconds": 59}}, "at least 60"),
        ({"retryStrategy": {"attempts": 11}}, "between 1 and 10"),
        (
            {"retryStrategy": {"attempts": 2, "evaluateOnExit": [{"action": "MAYBE"}]}},
            "RETRY or EXIT",
        ),
        (
            {
                "retryStrategy": {
                    "attempts": 2,
                    "evaluateOnExit": [{"onExitCode": "1?", "action": "EXIT"}],
                }
            },
            "onExitCode",
        ),
        ({"tags": {f"k{i}": "v" for i in range(51)}}, "at most 50"),
        ({"dependsOn": [{"jobId": "no-such-job"}]}, "no-such-job"),
        ({"dependsOn": [{"type": "SEQUENTIAL"}]}, "only valid for array jobs"),
        (
            {"containerOverrides": {"resourceRequirements": [{"type": "VCPU", "value": "1.5"}]}},
            "whole number",
        ),
        (
            {"containerOverrides": {"resourceRequirements": [{"type": "MEMORY", "value": "2"}]}},
            "at least 4 MiB",
        ),
        (
            {"containerOverrides": {"resourceRequirements": [{"type": "VCPU", "value": "-1"}]}},
            "greater than 0",
        ),
    ],
)
def test_submit_job_refuses_bad_requests_like_aws(batch, shell_job, override, expected) -> None:
    request = {"jobName": "bad", "jobQueue": "local", "jobDefinition": shell_job, **override}

    error = error_of(batch.submit_job, **request)

    assert error["Code"] == "ClientException"
    assert error["status"] == 400
    assert expected in error["Message"]


def test_too_many_dependencies_are_refused(batch, run) -> None:
    done = run("true")

    error = error_of(
        batch.submit_job,
        jobName="deps",
        jobQueue="local",
        jobDefinition="shell",
        dependsOn=[{"jobId": done["jobId"]}] * 21,
    )
    assert "at most 20" in error["Message"]


def test_tags_on_every_kind_of_resource(batch, run) -> None:
    job = run("true")
    arns = [
        batch.describe_compute_environments(computeEnvironments=["local"])["computeEnvironments"][
            0
        ]["computeEnvironmentArn"],
        batch.describe_job_queues(jobQueues=["local"])["jobQueues"][0]["jobQueueArn"],
        job["jobDefinition"],
        job["jobArn"],
    ]
    for arn in arns:
        batch.tag_resource(resourceArn=arn, tags={"team": "genomics", "run": "r1"})
        batch.untag_resource(resourceArn=arn, tagKeys=["run"])
        assert batch.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "genomics"}


def test_tags_given_at_submit_are_listed(batch, shell_job) -> None:
    job = batch.submit_job(
        jobName="tagged", jobQueue="local", jobDefinition=shell_job, tags={"rule": "align"}
    )

    assert batch.list_tags_for_resource(resourceArn=job["jobArn"])["tags"] == {"rule": "align"}


def test_tagging_an_unknown_resource_is_a_client_error(batch) -> None:
    error = error_of(
        batch.list_tags_for_resource,
        resourceArn="arn:aws:batch:us-east-1:123456789012:job/nope",
    )

    assert error["Code"] == "ClientException"
