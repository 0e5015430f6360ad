"""BatchflowStack: the constructs composed, and the outputs a client needs."""

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_logs as logs
from constructs import Construct

from .compute import Compute
from .database import Database
from .network import Network
from .observability import Observability
from .registry import Registry
from .service import RunService
from .storage import StagingBucket


class ConfigurationError(ValueError):
    """Context flags that cannot work together; the message says which and why."""


def check_configuration(
    *, certificate_arn: str | None, service_url: str | None, service_tasks: int, database: bool
) -> None:
    if certificate_arn and not service_url:
        raise ConfigurationError(
            "certificateArn needs serviceUrl, the https:// address its certificate names "
            "(and a DNS record pointing it at the load balancer): Nextflow head jobs post "
            "their events there, and TLS to the load balancer's own name would fail"
        )
    if service_url and not service_url.startswith(("http://", "https://")):
        raise ConfigurationError(f"serviceUrl must be an http(s):// URL, got {service_url!r}")
    if service_tasks > 1 and not database:
        raise ConfigurationError(
            f"serviceTasks={service_tasks} needs database=true: without it each service task "
            "keeps its own runs in memory, and requests would reach the wrong one"
        )


class BatchflowStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        nat_gateways: int = 0,
        image_tag: str = "0.1.0",
        certificate_arn: str | None = None,
        service_url: str | None = None,
        public_service: bool = False,
        work_expiry_days: int = 30,
        max_vcpus: int = 256,
        service_tasks: int = 1,
        database: bool = False,
        **kwargs: object,
    ) -> None:
        check_configuration(
            certificate_arn=certificate_arn,
            service_url=service_url,
            service_tasks=service_tasks,
            database=database,
        )
        super().__init__(scope, construct_id, **kwargs)
        network = Network(self, "Network", nat_gateways=nat_gateways)
        storage = StagingBucket(self, "Storage", work_expiry_days=work_expiry_days)
        registry = Registry(self, "Registry")
        compute = Compute(self, "Compute", network=network, storage=storage, max_vcpus=max_vcpus)
        retention = logs.RetentionDays.THREE_MONTHS
        observability = Observability(self, "Observability", compute=compute, retention=retention)
        postgres = (
            Database(self, "Database", network=network, retention=retention) if database else None
        )
        service = RunService(
            self,
            "RunService",
            tasks=service_tasks,
            network=network,
            storage=storage,
            registry=registry,
            compute=compute,
            image_tag=image_tag,
            certificate_arn=certificate_arn,
            service_url=service_url,
            public=public_service,
            retention=retention,
            database=postgres,
        )
        observability.watch_service(service)
        if postgres:
            observability.watch_database(postgres)

        outputs = {
            "Region": self.region,
            "Bucket": storage.bucket.bucket_name,
            "HeadQueue": compute.head_queue.job_queue_name,
            "TaskQueue": compute.task_queue.job_queue_name,
            "TaskRoleArn": compute.task_role.role_arn,
            "HeadRoleArn": compute.head_role.role_arn,
            "ExecutionRoleArn": compute.execution_role.role_arn,
            "JobLogGroup": observability.job_logs.log_group_name,
            "AlertsTopicArn": observability.alerts.topic_arn,
            "ServiceUrl": service.url,
            **{
                f"{image.title().replace('-', '')}Repository": repository.repository_uri
                for image, repository in registry.repositories.items()
            },
        }
        if postgres:
            outputs["DatabaseSecretArn"] = postgres.secret.secret_arn
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)
