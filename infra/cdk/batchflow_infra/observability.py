"""Logs with retention, and an alert topic that hears about every failed batchflow job."""

from aws_cdk import RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from .compute import JOB_LOG_GROUP, Compute


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        compute: Compute,
        retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self.job_logs = logs.LogGroup(
            self,
            "JobLogs",
            log_group_name=JOB_LOG_GROUP,
            retention=retention,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.alerts = sns.Topic(self, "Alerts", display_name="batchflow alerts", enforce_ssl=True)
        failed_jobs = events.Rule(
            self,
            "FailedJobs",
            description="A batchflow head or rule job ended FAILED",
            event_pattern=events.EventPattern(
                source=["aws.batch"],
                detail_type=["Batch Job State Change"],
                detail={
                    "status": ["FAILED"],
                    "jobQueue": [
                        compute.head_queue.job_queue_arn,
                        compute.task_queue.job_queue_arn,
                    ],
                },
            ),
        )
        failed_jobs.add_target(targets.SnsTopic(self.alerts))
