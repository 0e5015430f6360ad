"""`batchflow local`: AWS Batch, CloudWatch Logs and S3 on one loopback port, jobs as processes."""

from .config import LocalAwsConfig
from .embedded import start_local_aws
from .server import LocalAwsServer, NotLoopbackError

__all__ = ["LocalAwsConfig", "LocalAwsServer", "NotLoopbackError", "start_local_aws"]
