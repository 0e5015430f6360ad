"""The staging bucket: private, TLS only, encrypted, versioned; `work/` expires, results stay."""

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .acknowledgments import acknowledge

PRIVATE = {
    "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
    "encryption": s3.BucketEncryption.S3_MANAGED,
    "enforce_ssl": True,
    "versioned": True,
    "removal_policy": RemovalPolicy.RETAIN,
}

# The wildcard actions of Bucket.grant_read_write.
READ_WRITE_WILDCARDS = ("GetObject*", "GetBucket*", "List*", "DeleteObject*", "Abort*")


class StagingBucket(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, work_expiry_days: int) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            **PRIVATE,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(id="expire-logs", expiration=Duration.days(365))],
        )
        acknowledge(
            self.access_logs,
            "This is the access-log bucket: logging its own access would log the logging",
            checkov=["CKV_AWS_18"],
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            **PRIVATE,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="staging/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-work",
                    prefix="work/",
                    expiration=Duration.days(work_expiry_days),
                    noncurrent_version_expiration=Duration.days(1),
                ),
                s3.LifecycleRule(
                    id="tidy",
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                    noncurrent_version_expiration=Duration.days(30),
                ),
            ],
        )

    def grant_run_access(self, grantee: iam.IRole) -> iam.Grant:
        """Read and write objects of this bucket, and nothing else."""
        grant = self.bucket.grant_read_write(grantee)
        bucket = Stack.of(self).get_logical_id(self.bucket.node.default_child)
        acknowledge(
            grantee,
            "Runs write and read files anywhere in the staging bucket (runs/<id>/, work/...), "
            "under keys made at run time; this is CDK's read-write grant on that one bucket",
            nag=[
                *(f"AwsSolutions-IAM5[Action::s3:{action}]" for action in READ_WRITE_WILDCARDS),
                f"AwsSolutions-IAM5[Resource::<{bucket}.Arn>/*]",
            ],
        )
        return grant
