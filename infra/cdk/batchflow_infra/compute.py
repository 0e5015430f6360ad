"""Batch: a Fargate head queue on demand, a task queue on EC2 Spot with on-demand fallback,
and the roles their jobs run as, scoped to the staging bucket and batchflow's own resources."""

from aws_cdk import Stack
from aws_cdk import aws_batch as batch
from aws_cdk import aws_iam as iam
from constructs import Construct

from .acknowledgments import acknowledge
from .network import Network
from .storage import StagingBucket

ECS_TASKS = iam.ServicePrincipal("ecs-tasks.amazonaws.com")
JOB_LOG_GROUP = "/aws/batch/job"
# batchflow's executor names its job definitions batchflow-<hash>; Nextflow's awsbatch
# executor names its own nf-<container>.
JOB_DEFINITIONS = ("job-definition/batchflow-*", "job-definition/nf-*")
JOBS = "job/*"
JOB_LOG_STREAMS = f"log-group:{JOB_LOG_GROUP}:*"
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
        execution_policy = "AmazonECSTaskExecutionRolePolicy"
        self.execution_role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=ECS_TASKS,
            description="Pulls batchflow images and writes job logs",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(f"service-role/{execution_policy}")
            ],
        )
        acknowledge(
            self.execution_role,
            "A rule may name its own image (the batchflow_image resource) in any ECR repository "
            "of the account; this AWS policy is just ECR pull and log writes",
            nag=[f"AwsSolutions-IAM4[Policy::{managed_policy(execution_policy)}]"],
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
        for environment in (spot, on_demand):
            acknowledge(
                environment.instance_role,
                "The container instance role AWS Batch documents: the ECS agent on each instance "
                "registers it and reports task state with these actions",
                nag=[
                    "AwsSolutions-IAM4"
                    f"[Policy::{managed_policy('AmazonEC2ContainerServiceforEC2Role')}]"
                ],
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

    def grant_task_submission(self, grantee: iam.IRole) -> None:
        """What a Snakemake head job needs: run rule jobs on the task queue and follow them."""
        self._grant_submission(grantee, self.task_queue, [self.task_role, self.execution_role])

    def grant_head_submission(self, grantee: iam.IRole) -> None:
        """What the run service needs: run head jobs on the head queue and follow them."""
        self._grant_submission(
            grantee, self.head_queue, [self.head_role, self.task_role, self.execution_role]
        )

    def _grant_submission(
        self, grantee: iam.IRole, queue: batch.IJobQueue, roles: list[iam.IRole]
    ) -> None:
        definitions = [self._arn(pattern) for pattern in JOB_DEFINITIONS]
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["batch:SubmitJob", "batch:TagResource"],
            resource_arns=[queue.job_queue_arn, *definitions],
        )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["batch:RegisterJobDefinition"],
            resource_arns=definitions,
        )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["batch:TerminateJob", "batch:CancelJob"],
            resource_arns=[self._arn(JOBS)],
        )
        iam.Grant.add_to_principal(
            grantee=grantee, actions=UNSCOPED_BATCH_ACTIONS, resource_arns=["*"]
        )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["logs:GetLogEvents"],
            resource_arns=[self._arn(JOB_LOG_STREAMS, service="logs")],
        )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["iam:PassRole"],
            resource_arns=[role.role_arn for role in roles],
        )
        self._acknowledge_submission_wildcards(grantee)

    def _acknowledge_submission_wildcards(self, grantee: iam.IRole) -> None:
        def wildcard(resource: str) -> str:
            return f"AwsSolutions-IAM5[Resource::{resource}]"

        acknowledge(
            grantee,
            "Job definitions are registered at run time: batchflow-<hash of the job spec> by "
            "the executor, nf-<container> by Nextflow",
            nag=[wildcard(nag_arn(pattern)) for pattern in JOB_DEFINITIONS],
        )
        acknowledge(
            grantee,
            "The jobs to cancel or terminate are submitted at run time; no ARN is known here",
            nag=[wildcard(nag_arn(JOBS))],
        )
        acknowledge(
            grantee,
            "Following a job reads its log stream, which Batch creates when the job starts",
            nag=[wildcard(nag_arn(JOB_LOG_STREAMS, service="logs"))],
        )
        acknowledge(
            grantee,
            "Batch's Describe and List actions take no resource ARN (UNSCOPED_BATCH_ACTIONS)",
            nag=[wildcard("*")],
        )


def nag_arn(resource: str, service: str = "batch") -> str:
    """How cdk-nag writes `Compute._arn(resource, service)` in a finding."""
    return f"arn:<AWS::Partition>:{service}:<AWS::Region>:<AWS::AccountId>:{resource}"


def managed_policy(name: str) -> str:
    """How cdk-nag writes the ARN of an AWS managed service-role policy in a finding."""
    return f"arn:<AWS::Partition>:iam::aws:policy/service-role/{name}"
