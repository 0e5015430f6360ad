"""The run service on ECS Fargate behind an Application Load Balancer.

The load balancer is internal and admits the VPC only, unless the `publicService` context flag
says otherwise; either way the service authenticates every request (builtin or OIDC).
"""

from collections.abc import Mapping

from aws_cdk import Duration, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_ecs_patterns as patterns
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_logs as logs
from constructs import Construct

from .acknowledgments import LOGS_ENCRYPTED_BY_DEFAULT, acknowledge
from .compute import Compute
from .database import Database
from .network import Network
from .registry import Registry
from .secrets import ServiceSecrets
from .storage import StagingBucket

SERVICE_PORT = 8000


class RunService(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        network: Network,
        storage: StagingBucket,
        registry: Registry,
        compute: Compute,
        image_tag: str,
        certificate_arn: str | None,
        public: bool,
        retention: logs.RetentionDays,
        secrets: ServiceSecrets,
        authentication: Mapping[str, str],
        service_url: str | None = None,
        tasks: int = 1,
        database: Database | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.logs = logs.LogGroup(self, "Logs", retention=retention)
        self.cluster = cluster = ecs.Cluster(
            self, "Cluster", vpc=network.vpc, container_insights_v2=ecs.ContainerInsights.ENABLED
        )
        images = {
            name: f"{repo.repository_uri}:{image_tag}"
            for name, repo in registry.repositories.items()
        }
        environment = {
            "BATCHFLOW_ENGINES": '["snakemake", "nextflow"]',
            "BATCHFLOW_BUCKET": storage.bucket.bucket_name,
            "BATCHFLOW_HEAD_QUEUE": compute.head_queue.job_queue_name,
            "BATCHFLOW_TASK_QUEUE": compute.task_queue.job_queue_name,
            "BATCHFLOW_HEAD_IMAGE": images["head"],
            "BATCHFLOW_NEXTFLOW_HEAD_IMAGE": images["nextflow-head"],
            "BATCHFLOW_TASK_IMAGE": images["task"],
            "BATCHFLOW_HEAD_ROLE": compute.head_role.role_arn,
            "BATCHFLOW_TASK_ROLE": compute.task_role.role_arn,
            "BATCHFLOW_EXECUTION_ROLE": compute.execution_role.role_arn,
            **authentication,
        }
        container_secrets = secrets.container_secrets()
        if database:
            environment["BATCHFLOW_DATABASE_URL"] = database.url
            container_secrets["BATCHFLOW_DATABASE_PASSWORD"] = ecs.Secret.from_secrets_manager(
                database.secret, "password"
            )
        certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn)
            if certificate_arn
            else None
        )
        self.fargate = patterns.ApplicationLoadBalancedFargateService(
            self,
            "Service",
            cluster=cluster,
            cpu=512,
            memory_limit_mib=1024,
            desired_count=max(tasks, 1),
            # A lower-case name gives a lower-case DNS name, the host the service checks
            # requests' Host header against (BATCHFLOW_PUBLIC_URL) when there is no serviceUrl.
            load_balancer_name=f"{Stack.of(self).stack_name.lower()}-service",
            task_subnets=network.private_subnets,
            public_load_balancer=public,
            open_listener=public,
            certificate=certificate,
            ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS if certificate else None,
            redirect_http=certificate is not None,
            protocol=elbv2.ApplicationProtocol.HTTPS
            if certificate
            else elbv2.ApplicationProtocol.HTTP,
            task_image_options=patterns.ApplicationLoadBalancedTaskImageOptions(
                image=ecs.ContainerImage.from_ecr_repository(
                    registry.repositories["service"], image_tag
                ),
                container_port=SERVICE_PORT,
                # Inside its container, behind the load balancer: all interfaces is intended.
                command=["batchflow", "serve", "--no-local-aws", "--host", "0.0.0.0"],  # noqa: S104
                log_driver=ecs.LogDrivers.aws_logs(stream_prefix="service", log_group=self.logs),
                environment=environment,
                secrets=container_secrets,
            ),
        )
        self.load_balancer = self.fargate.load_balancer
        self.target_group = self.fargate.target_group
        self.service = self.fargate.service
        if tasks == 0:
            # The first deploy, before the images are pushed: ecs_patterns refuses 0 tasks, but
            # ECS accepts it, and a service without tasks lets the stack finish creating.
            cfn_service = self.service.node.default_child
            cfn_service.add_property_override("DesiredCount", 0)
        self.target_group.configure_health_check(
            path="/readyz", healthy_http_codes="200", interval=Duration.seconds(30)
        )
        self.load_balancer.set_attribute("routing.http.drop_invalid_header_fields.enabled", "true")
        if not public:
            for listener in (self.fargate.listener, self.fargate.redirect_listener):
                if listener:
                    listener.connections.allow_default_port_from(
                        ec2.Peer.ipv4(network.vpc.vpc_cidr_block), "the VPC"
                    )
        task_role = self.fargate.task_definition.task_role
        storage.grant_run_access(task_role)
        compute.grant_head_submission(task_role)
        if database:
            database.allow_from(self.service)
        scheme = "https" if certificate else "http"
        self.url = service_url or f"{scheme}://{self.load_balancer.load_balancer_dns_name}"
        # The service answers requests naming this host only (and builds its links from it);
        # Nextflow head jobs post their nf-weblog events here, from inside the VPC (with a
        # public load balancer and no NAT gateway they cannot reach it: docs/deploy.md).
        container = self.fargate.task_definition.default_container
        container.add_environment("BATCHFLOW_PUBLIC_URL", self.url)
        self._acknowledge_findings(public=public, https=certificate is not None)

    def _acknowledge_findings(self, *, public: bool, https: bool) -> None:
        acknowledge(
            self.fargate.task_definition,
            "The plain variables are resource names, ARNs and the OIDC issuer and client id, "
            "not secrets; the signing key, the admin password and the database password "
            "arrive as ECS secrets from Secrets Manager",
            nag=["AwsSolutions-ECS2"],
        )
        acknowledge(
            self.fargate.task_definition.obtain_execution_role(),
            "ecr:GetAuthorizationToken takes no resource ARN; the image pull itself is scoped "
            "to the service repository",
            nag=["AwsSolutions-IAM5[Resource::*]"],
        )
        acknowledge(self.logs, LOGS_ENCRYPTED_BY_DEFAULT, checkov=["CKV_AWS_158"])
        acknowledge(
            self.load_balancer,
            "Every request that reaches the service is in its log group (uvicorn's access log); "
            "ELB access logs need the region's log-delivery principal, unknown to this "
            "environment-agnostic stack at synth",
            nag=["AwsSolutions-ELB2"],
            checkov=["CKV_AWS_91"],
        )
        [security_group] = self.load_balancer.connections.security_groups
        if public:
            acknowledge(
                security_group,
                "The publicService context flag asks for a load balancer open to the internet; "
                "the service authenticates every request (synth refuses auth=none)",
                nag=["AwsSolutions-EC23"],
                checkov=["CKV_AWS_260"],
            )
        else:
            acknowledge(
                security_group,
                "The listeners admit the VPC's own CIDR, a token the rule cannot resolve",
                nag=["AwsSolutions-EC23"],
            )
        if not https:
            acknowledge(
                self.fargate.listener,
                "Without a certificate (context certificateArn) there is nothing to terminate "
                "TLS with; given one, the listener is HTTPS and port 80 redirects to it",
                checkov=["CKV_AWS_2", "CKV_AWS_103"],
            )
