"""The synthesized stack's security properties and wiring, asserted on the template."""

import os
import sys
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
import aws_cdk
from aws_cdk.assertions import Match, Template

CDK_APP = Path(__file__).resolve().parents[2] / "infra" / "cdk"
sys.path.insert(0, str(CDK_APP))
import app as cdk_app  # noqa: E402


@pytest.fixture(scope="module")
def template() -> Template:
    stack = cdk_app.build(aws_cdk.App(context=cdk_app.context_from_cdk_json()))
    return Template.from_stack(stack)


def resources(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return template.find_resources(kind)


def staging_bucket(template: Template) -> dict[str, Any]:
    [bucket] = [
        r
        for r in resources(template, "AWS::S3::Bucket").values()
        if "LoggingConfiguration" in r["Properties"]
    ]
    return bucket["Properties"]


def test_buckets_block_public_access_and_are_encrypted_and_versioned(template) -> None:
    for bucket in resources(template, "AWS::S3::Bucket").values():
        properties = bucket["Properties"]
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        encryption = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert encryption[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
        assert bucket["DeletionPolicy"] == "Retain"


def test_bucket_policies_refuse_requests_without_tls(template) -> None:
    policies = resources(template, "AWS::S3::BucketPolicy").values()

    assert len(policies) == 2
    for policy in policies:
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements
        )


def test_work_expires_and_results_are_kept(template) -> None:
    rules = staging_bucket(template)["LifecycleConfiguration"]["Rules"]
    expiring = [rule for rule in rules if "ExpirationInDays" in rule]

    assert [(rule["Prefix"], rule["ExpirationInDays"]) for rule in expiring] == [("work/", 30)]


def test_images_are_scanned_and_tags_immutable(template) -> None:
    repositories = resources(template, "AWS::ECR::Repository").values()

    assert sorted(r["Properties"]["RepositoryName"] for r in repositories) == [
        "batchflow/head",
        "batchflow/nextflow-head",
        "batchflow/service",
        "batchflow/task",
    ]
    for repository in repositories:
        assert repository["Properties"]["ImageScanningConfiguration"] == {"ScanOnPush": True}
        assert repository["Properties"]["ImageTagMutability"] == "IMMUTABLE"


def test_task_queue_tries_spot_then_on_demand_and_heads_run_on_fargate(template) -> None:
    environments = resources(template, "AWS::Batch::ComputeEnvironment")
    kind = {
        logical: r["Properties"]["ComputeResources"]["Type"] for logical, r in environments.items()
    }
    queues = {
        r["Properties"]["Priority"]: [
            (entry["Order"], kind[entry["ComputeEnvironment"]["Fn::GetAtt"][0]])
            for entry in r["Properties"]["ComputeEnvironmentOrder"]
        ]
        for r in resources(template, "AWS::Batch::JobQueue").values()
    }

    assert queues == {10: [(1, "FARGATE")], 1: [(1, "SPOT"), (2, "EC2")]}


def test_jobs_run_in_private_subnets_with_endpoints_instead_of_nat(template) -> None:
    template.resource_count_is("AWS::EC2::NatGateway", 0)
    template.has_resource_properties(
        "AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Gateway", "ServiceName": Match.any_value()}
    )
    interface = [
        r
        for r in resources(template, "AWS::EC2::VPCEndpoint").values()
        if r["Properties"].get("VpcEndpointType") == "Interface"
    ]
    assert len(interface) == 8


def _statements(template: Template) -> list[dict[str, Any]]:
    return [
        statement
        for policy in resources(template, "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_no_wildcard_resource_where_aws_allows_scoping(template) -> None:
    from batchflow_infra.compute import UNSCOPED_BATCH_ACTIONS

    # AWS's service authorization reference lists no resource types for these actions.
    unscopable = {*UNSCOPED_BATCH_ACTIONS, "ecr:GetAuthorizationToken"}
    for statement in _statements(template):
        resources_ = statement["Resource"]
        if resources_ == "*" or "*" in (resources_ if isinstance(resources_, list) else []):
            actions = statement["Action"]
            actions = actions if isinstance(actions, list) else [actions]
            assert set(actions) <= unscopable, statement


def test_job_roles_reach_only_the_staging_bucket(template) -> None:
    s3_statements = [
        s
        for s in _statements(template)
        if any(
            str(action).startswith("s3:")
            for action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
        )
    ]

    assert s3_statements
    for statement in s3_statements:
        for resource in statement["Resource"]:
            text = str(resource)
            assert "StorageBucket" in text, statement


def test_job_logs_are_kept_for_three_months(template) -> None:
    template.has_resource_properties(
        "AWS::Logs::LogGroup", {"LogGroupName": "/aws/batch/job", "RetentionInDays": 90}
    )


def test_failed_jobs_of_both_queues_reach_the_alert_topic(template) -> None:
    [rule] = resources(template, "AWS::Events::Rule").values()
    pattern = rule["Properties"]["EventPattern"]

    assert pattern["detail"]["status"] == ["FAILED"]
    assert len(pattern["detail"]["jobQueue"]) == 2
    assert rule["Properties"]["Targets"][0]["Arn"]["Ref"].startswith("ObservabilityAlerts")


def test_the_service_is_internal_until_it_authenticates(template) -> None:
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer", {"Scheme": "internal"}
    )
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup", {"HealthCheckPath": "/readyz"}
    )


def test_the_service_knows_its_queues_bucket_images_and_roles(template) -> None:
    [task] = resources(template, "AWS::ECS::TaskDefinition").values()
    [container] = task["Properties"]["ContainerDefinitions"]
    names = {variable["Name"] for variable in container["Environment"]}

    assert container["Command"] == ["batchflow", "serve", "--no-local-aws", "--host", "0.0.0.0"]
    assert {
        "BATCHFLOW_BUCKET",
        "BATCHFLOW_HEAD_QUEUE",
        "BATCHFLOW_TASK_QUEUE",
        "BATCHFLOW_HEAD_IMAGE",
        "BATCHFLOW_TASK_IMAGE",
        "BATCHFLOW_HEAD_ROLE",
        "BATCHFLOW_TASK_ROLE",
        "BATCHFLOW_EXECUTION_ROLE",
    } <= names


def test_every_repository_has_its_dockerfile() -> None:
    from batchflow_infra.registry import IMAGES

    dockerfiles = sorted(p.name for p in (CDK_APP / "images").glob("*.Dockerfile"))

    assert dockerfiles == sorted(f"{image}.Dockerfile" for image in IMAGES)


def test_cfn_lint_finds_no_error_in_the_synthesized_template(tmp_path) -> None:
    import json
    import subprocess

    environment = {**os.environ, "CDK_OUTDIR": str(tmp_path)}
    subprocess.run(
        [sys.executable, str(CDK_APP / "app.py")], env=environment, check=True, timeout=300
    )
    lint = Path(sys.executable).with_name("cfn-lint")

    result = subprocess.run(
        [str(lint), "--format", "json", str(tmp_path / "Batchflow.template.json")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    findings = json.loads(result.stdout or "[]")
    errors = [f"{f['Rule']['Id']}: {f['Message']}" for f in findings if f["Level"] == "Error"]
    assert errors == []
