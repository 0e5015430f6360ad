"""BatchflowStack: the constructs composed, and the outputs a client needs."""

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_logs as logs
from constructs import Construct

from .cognito import CognitoUsers
from .compute import Compute
from .database import Database
from .job_events import JobEvents
from .network import Network
from .observability import Observability
from .registry import Registry
from .secrets import ServiceSecrets
from .service import RunService
from .storage import StagingBucket


class ConfigurationError(ValueError):
    """Context flags that cannot work together; the message says which and why."""


AUTH_MODES = ("builtin", "oidc")


def resolve_auth(auth: str | None, *, cognito: bool) -> str:
    """The `auth` context value, or when it is empty: oidc with Cognito, else builtin."""
    return auth or ("oidc" if cognito else "builtin")


def check_configuration(
    *,
    certificate_arn: str | None,
    service_url: str | None,
    service_tasks: int,
    database: bool,
    auth: str = "builtin",
    cognito: bool = False,
    public_service: bool = False,
    nat_gateways: int = 0,
    oidc_issuer: str | None = None,
    oidc_audience: str | None = None,
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
    _check_authentication(
        auth=auth,
        cognito=cognito,
        public_service=public_service,
        nat_gateways=nat_gateways,
        oidc_issuer=oidc_issuer,
        oidc_audience=oidc_audience,
    )


def _check_authentication(
    *,
    auth: str,
    cognito: bool,
    public_service: bool,
    nat_gateways: int,
    oidc_issuer: str | None,
    oidc_audience: str | None,
) -> None:
    if auth == "none":
        where = (
            "behind an internet-facing load balancer (publicService=true)"
            if public_service
            else "in a deployed stack"
        )
        raise ConfigurationError(
            f"auth=none lets anyone who reaches the service do anything, and the service "
            f"allows it on loopback only, never {where}; use auth=builtin (users kept by the "
            "service) or auth=oidc (cognito=true, or oidcIssuer and oidcAudience)"
        )
    if auth not in AUTH_MODES:
        raise ConfigurationError(f"auth must be builtin or oidc, got {auth!r}")
    other_provider = bool(oidc_issuer or oidc_audience)
    if cognito and auth != "oidc":
        raise ConfigurationError(
            f"cognito=true makes the stack's user pool issue the service's tokens, which needs "
            f"auth=oidc (or auth left empty), got auth={auth}"
        )
    if cognito and other_provider:
        raise ConfigurationError(
            "oidcIssuer and oidcAudience name another OpenID provider; with cognito=true the "
            "stack sets them to its own user pool, so leave them empty"
        )
    if auth == "builtin" and other_provider:
        raise ConfigurationError(
            "oidcIssuer and oidcAudience are read with auth=oidc only, got auth=builtin"
        )
    if auth == "oidc" and not cognito and not (oidc_issuer and oidc_audience):
        raise ConfigurationError(
            "auth=oidc needs an OpenID provider: cognito=true for the stack's own user pool, "
            "or both oidcIssuer (its https:// issuer URL) and oidcAudience (the client id "
            "its ID tokens name in aud)"
        )
    if oidc_issuer and not oidc_issuer.startswith("https://"):
        raise ConfigurationError(f"oidcIssuer must be an https:// URL, got {oidc_issuer!r}")
    if auth == "oidc" and nat_gateways < 1:
        provider = oidc_issuer or "cognito-idp.<region>.amazonaws.com"
        raise ConfigurationError(
            f"auth=oidc needs natGateways=1 or more: the service fetches the provider's "
            f"signing keys from {provider}, and without a NAT gateway its private subnets "
            "reach nothing beyond the stack's VPC endpoints (and Cognito's endpoint refuses "
            "user pools with a hosted-UI domain)"
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
        auth: str | None = None,
        cognito: bool = False,
        oidc_issuer: str | None = None,
        oidc_audience: str | None = None,
        **kwargs: object,
    ) -> None:
        auth = resolve_auth(auth, cognito=cognito)
        check_configuration(
            certificate_arn=certificate_arn,
            service_url=service_url,
            service_tasks=service_tasks,
            database=database,
            auth=auth,
            cognito=cognito,
            public_service=public_service,
            nat_gateways=nat_gateways,
            oidc_issuer=oidc_issuer,
            oidc_audience=oidc_audience,
        )
        super().__init__(scope, construct_id, **kwargs)
        network = Network(self, "Network", nat_gateways=nat_gateways)
        storage = StagingBucket(self, "Storage", work_expiry_days=work_expiry_days)
        registry = Registry(self, "Registry")
        compute = Compute(self, "Compute", network=network, storage=storage, max_vcpus=max_vcpus)
        job_events = JobEvents(self, "JobEvents", network=network, compute=compute)
        job_events.grant_consume(compute.head_role)
        retention = logs.RetentionDays.THREE_MONTHS
        observability = Observability(self, "Observability", compute=compute, retention=retention)
        postgres = (
            Database(self, "Database", network=network, retention=retention) if database else None
        )
        secrets = ServiceSecrets(self, "Secrets", admin_password=auth == "builtin")
        users = CognitoUsers(self, "Users") if cognito else None
        if users:
            authentication = users.service_environment()
        elif auth == "oidc":
            authentication = {
                "BATCHFLOW_AUTH": "oidc",
                "BATCHFLOW_OIDC_ISSUER": oidc_issuer,
                "BATCHFLOW_OIDC_AUDIENCE": oidc_audience,
            }
        else:
            authentication = {"BATCHFLOW_AUTH": "builtin"}
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
            secrets=secrets,
            authentication=authentication,
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
            "EventsQueueUrl": job_events.queue.queue_url,
            "AlertsTopicArn": observability.alerts.topic_arn,
            "ServiceUrl": service.url,
            "ServiceCluster": service.cluster.cluster_name,
            "ServiceName": service.service.service_name,
            "SigningKeySecretArn": secrets.signing_key.secret_arn,
            **{
                f"{image.title().replace('-', '')}Repository": repository.repository_uri
                for image, repository in registry.repositories.items()
            },
        }
        if postgres:
            outputs["DatabaseSecretArn"] = postgres.secret.secret_arn
        if secrets.admin_password:
            outputs["AdminPasswordSecretArn"] = secrets.admin_password.secret_arn
        if users:
            outputs["UserPoolId"] = users.user_pool.user_pool_id
            outputs["UserPoolClientId"] = users.client.user_pool_client_id
            outputs["OidcIssuer"] = users.issuer
            outputs["LoginUrl"] = users.login_url
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)
