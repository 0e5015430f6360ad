"""The staging bucket: private, TLS only, encrypted, versioned; `work/` expires, results stay."""

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

PRIVATE = {
    "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
    "encryption": s3.BucketEncryption.S3_MANAGED,
    "enforce_ssl": True,
    "versioned": True,
    "removal_policy": RemovalPolicy.RETAIN,
}


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

    def grant_run_access(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read and write objects of this bucket, and nothing else."""
        return self.bucket.grant_read_write(grantee)
