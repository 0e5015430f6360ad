"""The optional PostgreSQL of the run service: private, encrypted, TLS only, backed up daily.

Its password is generated into Secrets Manager; only the run service may connect, on 5432.
"""

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from constructs import Construct

from .acknowledgments import LOGS_ENCRYPTED_BY_DEFAULT, acknowledge
from .network import Network

USERNAME = "batchflow"
DATABASE_NAME = "batchflow"
PORT = 5432
ENGINE = rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_17_9)


class Database(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        network: Network,
        retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self.secret = rds.DatabaseSecret(self, "Secret", username=USERNAME)
        # A fixed identifier names the log group RDS exports to, so it can be created here with
        # a retention (rather than by RDS without one, or by a log-retention Lambda).
        identifier = f"{Stack.of(self).stack_name.lower()}-database"
        self.logs = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/rds/instance/{identifier}/postgresql",
            retention=retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=network.vpc,
            description="batchflow database: PostgreSQL from the run service only",
            allow_all_outbound=False,
        )
        self.instance = rds.DatabaseInstance(
            self,
            "Instance",
            instance_identifier=identifier,
            engine=ENGINE,
            port=PORT,
            instance_type=ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
            vpc=network.vpc,
            vpc_subnets=network.private_subnets,
            security_groups=[self.security_group],
            publicly_accessible=False,
            credentials=rds.Credentials.from_secret(self.secret),
            database_name=DATABASE_NAME,
            parameter_group=rds.ParameterGroup(
                self, "Parameters", engine=ENGINE, parameters={"rds.force_ssl": "1"}
            ),
            storage_encrypted=True,
            storage_type=rds.StorageType.GP3,
            allocated_storage=20,
            max_allocated_storage=100,
            backup_retention=Duration.days(7),
            deletion_protection=True,
            removal_policy=RemovalPolicy.SNAPSHOT,
            cloudwatch_logs_exports=["postgresql"],
        )
        self.instance.node.add_dependency(self.logs)
        self._acknowledge_findings()

    @property
    def url(self) -> str:
        """Where to connect, TLS required; the password is in `secret`, field `password`."""
        host = self.instance.db_instance_endpoint_address
        port = self.instance.db_instance_endpoint_port
        return f"postgresql://{USERNAME}@{host}:{port}/{DATABASE_NAME}?sslmode=require"

    def allow_from(self, peer: ec2.IConnectable) -> None:
        """Let `peer` (and nothing else) connect to PostgreSQL."""
        self.instance.connections.allow_from(peer, ec2.Port.tcp(PORT), "PostgreSQL")

    def _acknowledge_findings(self) -> None:
        acknowledge(
            self.instance,
            "Single-AZ by choice: the run service's records can be restored to another AZ from "
            "the 7-day point-in-time backups; a standby would double the cost",
            nag=["AwsSolutions-RDS3"],
            checkov=["CKV_AWS_157"],
        )
        acknowledge(
            self.instance,
            "The port hides nothing: the security group admits only the run service on 5432",
            nag=["AwsSolutions-RDS11"],
        )
        acknowledge(
            self.instance,
            "The run service signs in with the generated password from Secrets Manager; "
            "no IAM principal connects with tokens",
            checkov=["CKV_AWS_161"],
        )
        acknowledge(
            self.instance,
            "The standard RDS metrics (CPU, connections, free storage) on the dashboard suffice "
            "for a db.t4g.micro; OS-level Enhanced Monitoring is not needed",
            checkov=["CKV_AWS_118"],
        )
        acknowledge(
            self.secret,
            "ECS hands the password to the run service when a task starts: a rotation would "
            "lock out running tasks until they restart",
            nag=["AwsSolutions-SMG4"],
        )
        acknowledge(
            self.secret,
            "Secrets Manager encrypts it with the AWS-managed key; IAM alone decides who reads "
            "it (the run service's execution role), no key policy is needed as a second gate",
            checkov=["CKV_AWS_149"],
        )
        acknowledge(self.logs, LOGS_ENCRYPTED_BY_DEFAULT, checkov=["CKV_AWS_158"])
