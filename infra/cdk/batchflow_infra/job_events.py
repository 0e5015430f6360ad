"""AWS Batch's "Batch Job State Change" events for the task queue's jobs, on an SQS queue the
executor long-polls (`--batchflow-events-queue`) instead of polling DescribeJobs."""

from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from .acknowledgments import acknowledge
from .compute import Compute
from .network import Network

RETENTION = Duration.hours(1)
"""An event nobody took within the hour is of no use: the executor's DescribeJobs sweep has
found the job's state by then (every 60 s by default), or its run has ended."""


class JobEvents(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, network: Network, compute: Compute
    ) -> None:
        super().__init__(scope, construct_id)
        # Head jobs run in the private subnets: without a NAT gateway they reach SQS here.
        network.add_interface_endpoint("Sqs", ec2.InterfaceVpcEndpointAwsService.SQS)
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=RETENTION,
        )
        acknowledge(
            self.queue,
            "An event is a hint: a run that misses one finds the job's state with DescribeJobs, "
            "so a message that cannot be handled is dropped rather than kept in a dead-letter "
            "queue",
            nag=["AwsSolutions-SQS3"],
        )
        acknowledge(
            self.queue,
            "The queue is encrypted with SQS-managed keys (SqsManagedSseEnabled); checkov "
            "recognises KMS keys only, and a KMS key would need a key policy for EventBridge",
            checkov=["CKV_AWS_27"],
        )
        self.rule = events.Rule(
            self,
            "StateChanges",
            description="Every status change of a batchflow rule job, for the executors",
            event_pattern=events.EventPattern(
                source=["aws.batch"],
                detail_type=["Batch Job State Change"],
                detail={"jobQueue": [compute.task_queue.job_queue_arn]},
            ),
        )
        self.rule.add_target(targets.SqsQueue(self.queue))

    def grant_consume(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read and delete the events (and the queue's attributes, which the executor checks
        at start)."""
        return self.queue.grant_consume_messages(grantee)
