"""The synthesized stack's security properties and wiring, asserted on the template, and what
cdk-nag (AwsSolutions), checkov and cfn-lint find in it: by default, with the database on, and
with Cognito behind a public load balancer."""

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
from aws_cdk.assertions import Match, Template

from ..prerequisites import missing

REPO = Path(__file__).resolve().parents[2]
CDK_APP = REPO / "infra" / "cdk"
sys.path.insert(0, str(CDK_APP))


@dataclass
class Synthesis:
    """The cloud assembly one `python app.py` wrote."""

    outdir: Path

    @property
    def template_file(self) -> Path:
        return self.outdir / "Batchflow.template.json"

    @cached_property
    def template(self) -> Template:
        return Template.from_json(json.loads(self.template_file.read_text()))

    @cached_property
    def nag_report(self) -> dict[str, Any]:
        reports = json.loads((self.outdir / "validation-report.json").read_text())
        [report] = [r for r in reports["pluginReports"] if r["pluginName"] == "AwsSolutions"]
        return report


# Each variant's context; the database one is also the first step of a deploy (no task yet).
VARIANTS = {
    "default": {},
    "database": {"database": "true", "serviceTasks": "0"},
    "cognito": {"cognito": "true", "natGateways": "1", "publicService": "true"},
}


def synth_process(context: dict[str, str], outdir: Path) -> subprocess.Popen:
    environment = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps(context),
    }
    return subprocess.Popen(
        [sys.executable, str(CDK_APP / "app.py")],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Synthesis]:
    """`python app.py` with cdk-nag on, once per variant; they run at once."""
    runs = {}
    for variant, context in VARIANTS.items():
        outdir = tmp_path_factory.mktemp(variant)
        process = synth_process({**context, "nag": "true"}, outdir)
        runs[variant] = (Synthesis(outdir), process)
    for variant, (synthesis, process) in runs.items():
        output, _ = process.communicate(timeout=300)
        # Unacknowledged cdk-nag findings fail the synth once it wrote the template and the
        # report; test_cdk_nag_finds_nothing_unacknowledged lists them.
        reported = (synthesis.outdir / "validation-report.json").exists()
        if not synthesis.template_file.exists() or (process.returncode and not reported):
            pytest.fail(f"python app.py ({variant}) failed:\n{output}")
    return {variant: synthesis for variant, (synthesis, _) in runs.items()}


@pytest.fixture(scope="module")
def template(synthesized: dict[str, Synthesis]) -> Template:
    return synthesized["default"].template


@pytest.fixture(scope="module")
def database_template(synthesized: dict[str, Synthesis]) -> Template:
    return synthesized["database"].template


@pytest.fixture(scope="module")
def cognito_template(synthesized: dict[str, Synthesis]) -> Template:
    return synthesized["cognito"].template


def resources(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return template.find_resources(kind)


def staging_bucket(template: Template) -> dict[str, Any]:
    [bucket] = [
        r
        for r in resources(template, "AWS::S3::Bucket").values()
        if "LoggingConfiguration" in r["Properties"]
    ]
    return bucket["Properties"]


def logical_id(template: Template, kind: str) -> str:
    [logical] = resources(template, kind)
    return logical


def service_container(template: Template) -> dict[str, Any]:
    [task] = resources(template, "AWS::ECS::TaskDefinition").values()
    [container] = task["Properties"]["ContainerDefinitions"]
    return container


def service_environment(template: Template) -> dict[str, Any]:
    return {v["Name"]: v["Value"] for v in service_container(template)["Environment"]}


def service_secrets(template: Template) -> dict[str, Any]:
    return {s["Name"]: s["ValueFrom"] for s in service_container(template).get("Secrets", [])}


def secret_named(template: Template, description_start: str) -> str:
    [logical] = [
        logical
        for logical, r in resources(template, "AWS::SecretsManager::Secret").items()
        if r["Properties"].get("Description", "").startswith(description_start)
    ]
    return logical


def database_secret(template: Template) -> str:
    [logical] = [
        logical
        for logical, r in resources(template, "AWS::SecretsManager::Secret").items()
        if "GenerateStringKey" in r["Properties"]["GenerateSecretString"]
    ]
    return logical


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
    assert len(interface) == 10


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


FAILED_JOBS_RULE = "A batchflow head or rule job ended FAILED"
STATE_CHANGES_RULE = "Every status change of a batchflow rule job"


def event_rule_id(template: Template, description_start: str) -> str:
    [logical] = [
        logical
        for logical, r in resources(template, "AWS::Events::Rule").items()
        if r["Properties"]["Description"].startswith(description_start)
    ]
    return logical


def event_rule(template: Template, description_start: str) -> dict[str, Any]:
    return resources(template, "AWS::Events::Rule")[event_rule_id(template, description_start)]


def test_failed_jobs_of_both_queues_reach_the_alert_topic(template) -> None:
    rule = event_rule(template, FAILED_JOBS_RULE)
    pattern = rule["Properties"]["EventPattern"]

    assert pattern["detail"]["status"] == ["FAILED"]
    assert len(pattern["detail"]["jobQueue"]) == 2
    assert rule["Properties"]["Targets"][0]["Arn"]["Ref"].startswith("ObservabilityAlerts")


def test_rule_job_state_changes_reach_an_encrypted_queue_the_head_jobs_read(template) -> None:
    rule = event_rule(template, STATE_CHANGES_RULE)
    pattern = rule["Properties"]["EventPattern"]
    queue = logical_id(template, "AWS::SQS::Queue")
    [target] = rule["Properties"]["Targets"]

    assert pattern["source"] == ["aws.batch"]
    assert pattern["detail-type"] == ["Batch Job State Change"]
    [job_queue] = pattern["detail"]["jobQueue"]
    assert "ComputeTaskQueue" in json.dumps(job_queue)
    assert target["Arn"] == {"Fn::GetAtt": [queue, "Arn"]}
    template.has_resource_properties(
        "AWS::SQS::Queue", {"SqsManagedSseEnabled": True, "MessageRetentionPeriod": 3600}
    )
    [head_role] = [
        r for r in resources(template, "AWS::IAM::Role") if r.startswith("ComputeHeadRole")
    ]
    consumers = [
        s
        for s in _statements(template)
        if "sqs:ReceiveMessage" in s["Action"] and s["Resource"] == {"Fn::GetAtt": [queue, "Arn"]}
    ]
    assert consumers
    assert {"sqs:DeleteMessage", "sqs:GetQueueAttributes"} <= set(consumers[0]["Action"])
    policies = resources(template, "AWS::IAM::Policy").values()
    readers = [
        role["Ref"]
        for policy in policies
        if any(s in consumers for s in policy["Properties"]["PolicyDocument"]["Statement"])
        for role in policy["Properties"]["Roles"]
    ]
    assert readers == [head_role]
    template.has_output("EventsQueueUrl", {"Value": {"Ref": queue}})


def test_the_service_is_internal_unless_made_public(template, cognito_template) -> None:
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer", {"Scheme": "internal"}
    )
    cognito_template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer", {"Scheme": "internet-facing"}
    )
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup", {"HealthCheckPath": "/readyz"}
    )


def test_the_service_knows_its_queues_bucket_images_and_roles(template) -> None:
    container = service_container(template)
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


def test_the_internal_load_balancer_admits_the_vpc_only_and_drops_invalid_headers(
    template,
) -> None:
    [group] = [
        r["Properties"]
        for logical, r in resources(template, "AWS::EC2::SecurityGroup").items()
        if logical.startswith("RunServiceLBSecurityGroup")
    ]

    assert [(rule["CidrIp"], rule["FromPort"]) for rule in group["SecurityGroupIngress"]] == [
        ({"Fn::GetAtt": [logical_id(template, "AWS::EC2::VPC"), "CidrBlock"]}, 80)
    ]
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        {
            "LoadBalancerAttributes": Match.array_with(
                [{"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"}]
            )
        },
    )


def test_there_is_no_database_unless_asked_for(template) -> None:
    template.resource_count_is("AWS::RDS::DBInstance", 0)
    assert "DatabaseSecretArn" not in template.find_outputs("*")
    assert "BATCHFLOW_DATABASE_URL" not in service_environment(template)
    assert "BATCHFLOW_DATABASE_PASSWORD" not in service_secrets(template)


def test_the_database_is_private_encrypted_backed_up_and_kept(database_template) -> None:
    [database] = resources(database_template, "AWS::RDS::DBInstance").values()
    properties = database["Properties"]

    assert properties["Engine"] == "postgres"
    assert properties["EngineVersion"].startswith("17.")
    assert properties["StorageEncrypted"] is True
    assert properties["PubliclyAccessible"] is False
    assert properties["DeletionProtection"] is True
    assert properties["BackupRetentionPeriod"] == 7
    assert properties["DBName"] == "batchflow"
    assert properties["EnableCloudwatchLogsExports"] == ["postgresql"]
    assert database["DeletionPolicy"] == database["UpdateReplacePolicy"] == "Snapshot"
    [subnets] = resources(database_template, "AWS::RDS::DBSubnetGroup").values()
    assert all("private" in ref["Ref"] for ref in subnets["Properties"]["SubnetIds"])


def test_the_database_refuses_connections_without_tls(database_template) -> None:
    [parameters] = resources(database_template, "AWS::RDS::DBParameterGroup").values()
    [database] = resources(database_template, "AWS::RDS::DBInstance").values()

    assert parameters["Properties"]["Parameters"] == {"rds.force_ssl": "1"}
    assert database["Properties"]["DBParameterGroupName"] == {
        "Ref": logical_id(database_template, "AWS::RDS::DBParameterGroup")
    }


def test_the_database_password_is_generated_into_secrets_manager(database_template) -> None:
    secret = resources(database_template, "AWS::SecretsManager::Secret")[
        database_secret(database_template)
    ]
    generated = secret["Properties"]["GenerateSecretString"]

    assert json.loads(generated["SecretStringTemplate"]) == {"username": "batchflow"}
    assert generated["GenerateStringKey"] == "password"
    assert database_template.find_outputs("DatabaseSecretArn")
    database_template.resource_count_is("AWS::SecretsManager::SecretTargetAttachment", 1)


def test_only_the_run_service_reaches_the_database_on_5432(database_template) -> None:
    [database] = resources(database_template, "AWS::RDS::DBInstance").values()
    [group_ref] = database["Properties"]["VPCSecurityGroups"]
    group = group_ref["Fn::GetAtt"][0]
    [service] = resources(database_template, "AWS::ECS::Service").values()
    [service_group] = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"][
        "SecurityGroups"
    ]

    assert (
        "SecurityGroupIngress"
        not in resources(database_template, "AWS::EC2::SecurityGroup")[group]["Properties"]
    )
    ingress = [
        r["Properties"]
        for r in resources(database_template, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [group, "GroupId"]}
    ]
    assert ingress == [
        {
            "IpProtocol": "tcp",
            "Description": "PostgreSQL",
            "FromPort": 5432,
            "ToPort": 5432,
            "GroupId": {"Fn::GetAtt": [group, "GroupId"]},
            "SourceSecurityGroupId": service_group,
        }
    ]


def test_the_service_gets_the_database_url_and_password(database_template) -> None:
    url = service_environment(database_template)["BATCHFLOW_DATABASE_URL"]
    secret = database_secret(database_template)

    separator, parts = url["Fn::Join"]
    assert separator == ""
    assert parts[0] == "postgresql://batchflow@"
    assert parts[-1] == "/batchflow?sslmode=require"
    database = logical_id(database_template, "AWS::RDS::DBInstance")
    assert parts[1:-1] == [
        {"Fn::GetAtt": [database, "Endpoint.Address"]},
        ":",
        {"Fn::GetAtt": [database, "Endpoint.Port"]},
    ]
    assert service_secrets(database_template)["BATCHFLOW_DATABASE_PASSWORD"] == {
        "Fn::Join": ["", [{"Ref": secret}, ":password::"]]
    }


def test_failed_jobs_and_server_errors_alarm_the_alert_topic(template) -> None:
    alarms = resources(template, "AWS::CloudWatch::Alarm").values()
    alerts = {"Ref": logical_id(template, "AWS::SNS::Topic")}

    assert len(alarms) == 2
    for alarm in alarms:
        assert alarm["Properties"]["AlarmActions"] == [alerts]
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching"
        assert alarm["Properties"]["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "AWS/Events",
            "MetricName": "TriggeredRules",
            "Dimensions": [
                {"Name": "RuleName", "Value": {"Ref": event_rule_id(template, FAILED_JOBS_RULE)}}
            ],
            "Threshold": 1,
            "Period": 300,
        },
    )
    [errors] = [a["Properties"] for a in alarms if "Metrics" in a["Properties"]]
    metric_names = {
        m["MetricStat"]["Metric"]["MetricName"] for m in errors["Metrics"] if "MetricStat" in m
    }
    assert metric_names == {"HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count"}


def _dashboard_body(template: Template) -> str:
    [dashboard] = resources(template, "AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == "Batchflow"
    return json.dumps(dashboard["Properties"]["DashboardBody"])


def test_the_dashboard_shows_requests_errors_latency_load_and_failed_jobs(template) -> None:
    body = _dashboard_body(template)

    for metric in (
        "RequestCount",
        "HTTPCode_ELB_5XX_Count",
        "HTTPCode_Target_5XX_Count",
        "TargetResponseTime",
        "CPUUtilization",
        "MemoryUtilization",
        "TriggeredRules",
    ):
        assert metric in body
    assert "DatabaseConnections" not in body


def test_the_dashboard_shows_the_database_when_there_is_one(database_template) -> None:
    body = _dashboard_body(database_template)

    for metric in ("DatabaseConnections", "FreeStorageSpace", "AWS/RDS"):
        assert metric in body


@pytest.mark.parametrize("variant", VARIANTS)
def test_cdk_nag_finds_nothing_unacknowledged(synthesized, variant) -> None:
    report = synthesized[variant].nag_report

    findings = [
        f"{v['ruleName']} at {c['constructPath']}: {v['description']}"
        for v in report["violations"]
        for c in v["violatingConstructs"]
    ]
    assert findings == []
    assert report["conclusion"] == "success"


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_nag_acknowledgment_still_silences_a_finding(synthesized, variant) -> None:
    synthesis = synthesized[variant]
    metadata = json.loads((synthesis.outdir / "Batchflow.metadata.json").read_text())
    acknowledged = {
        (path.lstrip("/"), rule)
        for path, entries in metadata.items()
        for entry in entries
        if entry["type"] == "aws:cdk:acknowledged-rules"
        for rule in entry["data"]
        if rule.startswith("AwsSolutions::")
    }
    used = {
        (v["acknowledgedAt"], v["acknowledgedId"])
        for v in synthesis.nag_report["suppressedViolations"]
    }

    assert acknowledged
    assert acknowledged - used == set()


CHECKOV_OPTIONS = ["--framework", "cloudformation", "--skip-download", "-o", "json", "--quiet"]


def checkov_executable() -> Path | None:
    configured = os.environ.get("BATCHFLOW_CHECKOV")
    executable = Path(configured) if configured else REPO / ".venv-checkov" / "bin" / "checkov"
    return executable if executable.exists() else None


def test_checkov_fails_no_check(synthesized) -> None:
    checkov = checkov_executable()
    if checkov is None:
        missing("checkov is missing: bash tests/run.sh installs it into .venv-checkov")
    files = [arg for s in synthesized.values() for arg in ("-f", str(s.template_file))]

    result = subprocess.run(
        [str(checkov), *files, *CHECKOV_OPTIONS],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    report = json.loads(result.stdout)
    failed = [
        f"{f['check_id']} ({f['check_name']}) at {f['resource']} in {f['file_path']}"
        for f in report["results"]["failed_checks"]
    ]
    assert failed == []
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["resource_count"] > 0


def test_cfn_lint_finds_no_error(synthesized) -> None:
    lint = Path(sys.executable).with_name("cfn-lint")

    result = subprocess.run(
        [str(lint), "--format", "json", *(str(s.template_file) for s in synthesized.values())],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    findings = json.loads(result.stdout or "[]")
    errors = [f"{f['Rule']['Id']}: {f['Message']}" for f in findings if f["Level"] == "Error"]
    assert errors == []


def test_the_service_runs_one_task_unless_told_to_wait_for_its_images(
    template: Template, database_template: Template
) -> None:
    template.has_resource_properties("AWS::ECS::Service", {"DesiredCount": 1})
    database_template.has_resource_properties("AWS::ECS::Service", {"DesiredCount": 0})


def test_services_and_jobs_use_the_tagged_images_from_their_repositories(template) -> None:
    [definition] = template.find_resources("AWS::ECS::TaskDefinition").values()
    [container] = definition["Properties"]["ContainerDefinitions"]
    image = json.dumps(container["Image"])
    assert ":0.1.0" in image
    assert "ServiceRepository" in image or "RegistryService" in image


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"certificate_arn": "arn:aws:acm:x", "service_url": None}, "needs serviceUrl"),
        ({"service_url": "batchflow.example.org"}, "must be an http(s):// URL"),
        ({"service_tasks": 2, "database": False}, "serviceTasks=2 needs database=true"),
        ({"auth": "none"}, "auth=none lets anyone who reaches the service do anything"),
        (
            {"auth": "none", "public_service": True},
            "never behind an internet-facing load balancer (publicService=true)",
        ),
        ({"auth": "password"}, "auth must be builtin or oidc, got 'password'"),
        ({"auth": "builtin", "cognito": True}, "cognito=true makes the stack's user pool"),
        ({"auth": "oidc"}, "auth=oidc needs an OpenID provider"),
        ({"auth": "oidc", "cognito": True, "nat_gateways": 0}, "needs natGateways=1 or more"),
        (
            {"auth": "oidc", "cognito": True, "oidc_issuer": "https://idp.example.org"},
            "with cognito=true the stack sets them to its own user pool",
        ),
        ({"oidc_issuer": "https://idp.example.org"}, "read with auth=oidc only"),
        (
            {"auth": "oidc", "oidc_issuer": "idp.example.org", "oidc_audience": "batchflow"},
            "oidcIssuer must be an https:// URL, got 'idp.example.org'",
        ),
    ],
)
def test_flags_that_cannot_work_together_are_refused_at_synth(flags, message) -> None:
    from batchflow_infra.stack import ConfigurationError, check_configuration

    settings = {
        "certificate_arn": None,
        "service_url": None,
        "service_tasks": 1,
        "database": True,
        "auth": "builtin",
        "nat_gateways": 1,
    }

    with pytest.raises(ConfigurationError, match=re.escape(message)):
        check_configuration(**{**settings, **flags})


def test_synth_refuses_a_public_service_without_authentication(tmp_path) -> None:
    process = synth_process({"auth": "none", "publicService": "true"}, tmp_path)
    output, _ = process.communicate(timeout=120)

    assert process.returncode == 1
    assert "batchflow stack: auth=none" in output
    assert "(publicService=true); use auth=builtin" in output
    assert not (tmp_path / "Batchflow.template.json").exists()


def test_auth_left_empty_means_builtin_or_oidc_with_cognito() -> None:
    from batchflow_infra.stack import resolve_auth

    assert resolve_auth(None, cognito=False) == "builtin"
    assert resolve_auth(None, cognito=True) == "oidc"
    assert resolve_auth("builtin", cognito=True) == "builtin"  # and check_configuration refuses


def test_the_signing_key_and_admin_password_are_generated_into_secrets_manager(
    template,
) -> None:
    key = secret_named(template, "batchflow: the HS256 key")
    password = secret_named(template, "batchflow: the password user admin")
    generated = {
        logical: r["Properties"]["GenerateSecretString"]
        for logical, r in resources(template, "AWS::SecretsManager::Secret").items()
    }

    assert generated[key] == {"ExcludePunctuation": True, "PasswordLength": 64}
    assert generated[password] == {
        "ExcludePunctuation": True,
        "PasswordLength": 32,
        "RequireEachIncludedType": True,
    }
    outputs = template.find_outputs("*")
    assert outputs["AdminPasswordSecretArn"]["Value"] == {"Ref": password}
    assert outputs["SigningKeySecretArn"]["Value"] == {"Ref": key}


def test_the_service_gets_its_secrets_from_secrets_manager_not_its_environment(
    template,
) -> None:
    secrets = service_secrets(template)

    assert secrets == {
        "BATCHFLOW_SECRET_KEY": {"Ref": secret_named(template, "batchflow: the HS256 key")},
        "BATCHFLOW_ADMIN_PASSWORD": {
            "Ref": secret_named(template, "batchflow: the password user admin")
        },
    }
    assert not set(secrets) & set(service_environment(template))


def test_only_the_service_tasks_execution_role_reads_the_service_secrets(template) -> None:
    [task] = resources(template, "AWS::ECS::TaskDefinition").values()
    execution_role = task["Properties"]["ExecutionRoleArn"]["Fn::GetAtt"][0]
    service_secret_refs = [
        {"Ref": secret_named(template, "batchflow: the HS256 key")},
        {"Ref": secret_named(template, "batchflow: the password user admin")},
    ]
    readers = [
        (policy["Properties"]["Roles"], statement["Resource"])
        for policy in resources(template, "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "secretsmanager:GetSecretValue" in statement["Action"]
    ]

    assert {json.dumps(roles) for roles, _ in readers} == {json.dumps([{"Ref": execution_role}])}
    readable = [
        r
        for _, resource in readers
        for r in (resource if isinstance(resource, list) else [resource])
    ]
    assert sorted(map(json.dumps, readable)) == sorted(map(json.dumps, service_secret_refs))


def test_without_cognito_the_service_keeps_its_own_users(template) -> None:
    environment = service_environment(template)

    template.resource_count_is("AWS::Cognito::UserPool", 0)
    assert environment["BATCHFLOW_AUTH"] == "builtin"
    assert not [name for name in environment if name.startswith("BATCHFLOW_OIDC_")]
    assert not {"UserPoolId", "UserPoolClientId", "OidcIssuer"} & set(template.find_outputs("*"))


def test_the_service_names_the_load_balancer_as_its_public_url(template) -> None:
    [(logical, balancer)] = resources(template, "AWS::ElasticLoadBalancingV2::LoadBalancer").items()

    # Lower case: the DNS name is the host the service compares requests' Host header with.
    assert balancer["Properties"]["Name"] == "batchflow-service"
    assert service_environment(template)["BATCHFLOW_PUBLIC_URL"] == {
        "Fn::Join": ["", ["http://", {"Fn::GetAtt": [logical, "DNSName"]}]]
    }


def test_cognito_keeps_admin_created_users_in_four_role_groups(cognito_template) -> None:
    [pool] = resources(cognito_template, "AWS::Cognito::UserPool").values()
    properties = pool["Properties"]

    assert properties["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    policy = properties["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 14
    assert all(
        policy[f"Require{kind}"] for kind in ("Lowercase", "Uppercase", "Numbers", "Symbols")
    )
    assert properties["MfaConfiguration"] == "OPTIONAL"
    assert properties["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert properties["UserPoolTier"] == "PLUS"
    assert properties["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}
    assert properties["DeletionProtection"] == "ACTIVE"
    assert pool["DeletionPolicy"] == "Retain"
    groups = resources(cognito_template, "AWS::Cognito::UserPoolGroup").values()
    assert sorted(g["Properties"]["GroupName"] for g in groups) == [
        "admin",
        "launcher",
        "maintainer",
        "viewer",
    ]
    cognito_template.resource_count_is("AWS::Cognito::UserPoolDomain", 1)


def test_cognito_client_is_public_and_signs_in_with_a_code_or_srp(cognito_template) -> None:
    [client] = resources(cognito_template, "AWS::Cognito::UserPoolClient").values()
    properties = client["Properties"]

    assert properties["GenerateSecret"] is False
    assert properties["AllowedOAuthFlows"] == ["code"]
    assert "openid" in properties["AllowedOAuthScopes"]
    assert "ALLOW_USER_SRP_AUTH" in properties["ExplicitAuthFlows"]
    assert "ALLOW_USER_PASSWORD_AUTH" not in properties["ExplicitAuthFlows"]


def test_with_cognito_the_service_accepts_the_pools_id_tokens(cognito_template) -> None:
    pool = logical_id(cognito_template, "AWS::Cognito::UserPool")
    client = logical_id(cognito_template, "AWS::Cognito::UserPoolClient")
    environment = service_environment(cognito_template)
    issuer = {
        "Fn::Join": [
            "",
            [
                "https://cognito-idp.",
                {"Ref": "AWS::Region"},
                ".",
                {"Ref": "AWS::URLSuffix"},
                "/",
                {"Ref": pool},
            ],
        ]
    }

    assert environment["BATCHFLOW_AUTH"] == "oidc"
    assert environment["BATCHFLOW_OIDC_ISSUER"] == issuer
    assert environment["BATCHFLOW_OIDC_AUDIENCE"] == {"Ref": client}
    assert environment["BATCHFLOW_OIDC_ROLE_CLAIM"] == "cognito:groups"
    assert environment["BATCHFLOW_OIDC_USERNAME_CLAIM"] == "cognito:username"
    # Cognito keeps the users: the service creates no admin of its own.
    assert set(service_secrets(cognito_template)) == {"BATCHFLOW_SECRET_KEY"}
    outputs = cognito_template.find_outputs("*")
    assert outputs["UserPoolId"]["Value"] == {"Ref": pool}
    assert outputs["UserPoolClientId"]["Value"] == {"Ref": client}
    assert outputs["OidcIssuer"]["Value"] == issuer
    assert "AdminPasswordSecretArn" not in outputs
