"""The run service on ECS Fargate behind an Application Load Balancer.

The service does not authenticate yet, so its load balancer is internal (reachable from the
VPC only) unless the `publicService` context flag says otherwise.
"""

from aws_cdk import Duration
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_ecs_patterns as patterns
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_logs as logs
from constructs import Construct

from .compute import Compute
from .network import Network
from .registry import Registry
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
    ) -> None:
        super().__init__(scope, construct_id)
        self.logs = logs.LogGroup(self, "Logs", retention=retention)
        cluster = ecs.Cluster(
            self, "Cluster", vpc=network.vpc, container_insights_v2=ecs.ContainerInsights.ENABLED
        )
        images = {
            name: f"{repo.repository_uri}:{image_tag}"
            for name, repo in registry.repositories.items()
        }
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
            desired_count=1,
            task_subnets=network.private_subnets,
            public_load_balancer=public,
            certificate=certificate,
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
                environment={
                    "BATCHFLOW_ENGINES": '["snakemake"]',
                    "BATCHFLOW_BUCKET": storage.bucket.bucket_name,
                    "BATCHFLOW_HEAD_QUEUE": compute.head_queue.job_queue_name,
                    "BATCHFLOW_TASK_QUEUE": compute.task_queue.job_queue_name,
                    "BATCHFLOW_HEAD_IMAGE": images["head"],
                    "BATCHFLOW_TASK_IMAGE": images["task"],
                    "BATCHFLOW_HEAD_ROLE": compute.head_role.role_arn,
                    "BATCHFLOW_TASK_ROLE": compute.task_role.role_arn,
                    "BATCHFLOW_EXECUTION_ROLE": compute.execution_role.role_arn,
                },
            ),
        )
        self.fargate.target_group.configure_health_check(
            path="/readyz", healthy_http_codes="200", interval=Duration.seconds(30)
        )
        task_role = self.fargate.task_definition.task_role
        storage.grant_run_access(task_role)
        compute.grant_head_submission(task_role)
        scheme = "https" if certificate else "http"
        self.url = f"{scheme}://{self.fargate.load_balancer.load_balancer_dns_name}"
