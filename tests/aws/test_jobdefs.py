from batchflow_aws.jobdefs import DefinitionSpec


def test_definition_spec_hash_is_stable_and_content_addressed() -> None:
    one = DefinitionSpec(image="repo/task:1", platform="EC2")
    same = DefinitionSpec(image="repo/task:1", platform="EC2")
    other = DefinitionSpec(image="repo/task:2", platform="EC2")

    assert one.name == same.name
    assert one.name != other.name
    assert one.name.startswith("batchflow-")


def test_fargate_definition_carries_network_roles_and_storage() -> None:
    spec = DefinitionSpec(
        image="repo/task:1",
        platform="FARGATE",
        job_role="arn:aws:iam::1:role/job",
        execution_role="arn:aws:iam::1:role/exec",
        log_group="/batchflow/jobs",
        assign_public_ip=True,
        ephemeral_storage_gib=50,
    )

    container = spec.registration()["containerProperties"]
    assert container["networkConfiguration"] == {"assignPublicIp": "ENABLED"}
    assert container["executionRoleArn"] == "arn:aws:iam::1:role/exec"
    assert container["ephemeralStorage"] == {"sizeInGiB": 50}
    assert container["logConfiguration"]["options"] == {"awslogs-group": "/batchflow/jobs"}
