"""The AWS layer the executor and the service share: clients, one retry policy, job
definitions, queues, logs, Fargate sizes, S3 locations; it raises AwsError, nothing else."""

from .errors import AwsError

__all__ = ["AwsError"]
