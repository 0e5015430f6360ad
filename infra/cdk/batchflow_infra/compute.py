"""Batch: a Fargate head queue on demand, a task queue on EC2 Spot with on-demand fallback,
and the roles their jobs run as, scoped to the staging bucket and batchflow's own resources."""

from aws_cdk import Stack
from aws_cdk import aws_batch as batch
from aws_cdk import aws_iam as iam
from constructs import Construct

from .network import Network
from .storage import StagingBucket

ECS_TASKS = iam.ServicePrincipal("ecs-tasks.amazonaws.com")
JOB_LOG_GROUP = "/aws/batch/job"
# These Batch actions take no resource ARN (AWS's service authorization reference).
UNSCOPED_BATCH_ACTIONS = [
    "batch:DescribeJobs",
    "batch:ListJobs",
    "batch:DescribeJobQueues",
    "batch:DescribeComputeEnvironments",
    "batch:DescribeJobDefinitions",
]


class Compute(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        network: Network,
        storage: StagingBucket,
        max_vcpus: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.execution_role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=ECS_TASKS,
            description="Pulls batchflow images and writes job logs",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AmazonECSTaskExecutionRolePolicy"
                )
            ],
        )
        self.task_role = iam.Role(
            self, "TaskRole", assumed_by=ECS_TASKS, description="What rule jobs run as"
        )
        self.head_role = iam.Role(
            self, "HeadRole", assumed_by=ECS_TASKS, description="What Snakemake head jobs run as"
        )
        storage.grant_run_access(self.task_role)
        storage.grant_run_access(self.head_role)

        subnets = dict(vpc=network.vpc, vpc_subnets=network.private_subnets)
        head_environment = batch.FargateComputeEnvironment(
            self, "HeadEnvironment", maxv_cpus=64, spot=False, **subnets
        )
        spot = batch.ManagedEc2EcsComputeEnvironment(
            self,
            "SpotEnvironment",
            spot=True,
            maxv_cpus=max_vcpus,
            allocation_strategy=batch.AllocationStrategy.SPOT_PRICE_CAPACITY_OPTIMIZED,
            use_optimal_instance_classes=True,
            **subnets,
        )
        on_demand = batch.ManagedEc2EcsComputeEnvironment(
            self,
            "OnDemandEnvironment",
            spot=False,
            maxv_cpus=max_vcpus,
            allocation_strategy=batch.AllocationStrategy.BEST_FIT_PROGRESSIVE,
            use_optimal_instance_classes=True,
            **subnets,
        )
        self.head_queue = batch.JobQueue(
            self,
            "HeadQueue",
            priority=10,
            compute_environments=[
                batch.OrderedComputeEnvironment(compute_environment=head_environment, order=1)
            ],
        )
        self.task_queue = batch.JobQueue(
            self,
            "TaskQueue",
            priority=1,
            compute_environments=[
                batch.OrderedComputeEnvironment(compute_environment=spot, order=1),
                batch.OrderedComputeEnvironment(compute_environment=on_demand, order=2),
            ],
        )
        self.grant_task_submission(self.head_role)

    def _arn(self, resource: str, service: str = "batch") -> str:
        stack = Stack.of(self)
        return f"arn:{stack.partition}:{service}:{stack.region}:{stack.account}:{resource}"

    def grant_task_submission(self, grantee: iam.IGrantable) -> None:
        """What a Snakemake head job needs: run rule jobs on the task queue and follow them."""
        self._grant_submission(grantee, self.task_queue, [self.task_role, self.execution_role])

    def grant_head_submission(self, grantee: iam.IGrantable) -> None:
        """What the run service needs: run head jobs on the head queue and follow them."""
        self._grant_submission(
            grantee, self.head_queue, [self.head_role, self.task_role, self.execution_role]
        )

    def _grant_submission(
        self, grantee: iam.IGrantable, queue: batch.IJobQueue, roles: list[iam.IRole]
    ) -> None:
        definitions = self._arn("job-definition/batchflow-*")
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["batch:SubmitJob", "batch:TagResource"],
            resource_arns=[queue.job_queue_arn, definitions],
        )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["batch:RegisterJobDefinition"],
            resource_arns=[definitions],
        )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["batch:TerminateJob", "batch:CancelJob"],
            resource_arns=[self._arn("job/*")],
        )
        iam.Grant.add_to_principal(
            grantee=grantee, actions=UNSCOPED_BATCH_ACTIONS, resource_arns=["*"]
        )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["logs:GetLogEvents"],
            resource_arns=[self._arn(f"log-group:{JOB_LOG_GROUP}:*", service="logs")],
        )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["iam:PassRole"],
            resource_arns=[role.role_arn for role in roles],
        )
