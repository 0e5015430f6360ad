"""The executor's settings: `--batchflow-*` flags, profile keys, or SNAKEMAKE_BATCHFLOW_* variables.

Imported by Snakemake on every start, so nothing heavy is imported here. Snakemake's settings
parser understands `Optional[X]` but not `X | None`, hence the older spelling.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from snakemake_interface_common.exceptions import WorkflowError
from snakemake_interface_executor_plugins.settings import CommonSettings, ExecutorSettingsBase

MAX_ARRAY_SIZE = 10_000

common_settings = CommonSettings(
    non_local_exec=True,
    implies_no_shared_fs=True,
    job_deploy_sources=True,
    pass_default_storage_provider_args=True,
    pass_default_resources_args=True,
    pass_envvar_declarations_to_cmd=False,
    auto_deploy_default_storage_provider=False,
    init_seconds_before_status_checks=0,
)


@dataclass
class ExecutorSettings(ExecutorSettingsBase):
    job_queue: Optional[str] = field(
        default=None,
        metadata={
            "help": "AWS Batch job queue (name or ARN) for rule jobs; a rule's "
            "batchflow_queue resource overrides it.",
            "env_var": True,
            "required": True,
        },
    )
    image: Optional[str] = field(
        default=None,
        metadata={
            "help": "Container image for rule jobs; it must provide python with snakemake and "
            "snakemake-storage-plugin-s3. Default: Snakemake's --container-image. A rule's "
            "batchflow_image resource overrides it.",
            "env_var": True,
        },
    )
    region: Optional[str] = field(
        default=None,
        metadata={"help": "AWS region; default: the standard AWS configuration.", "env_var": True},
    )
    job_role: Optional[str] = field(
        default=None,
        metadata={
            "help": "IAM role ARN the jobs run as (their S3 credentials come from it).",
            "env_var": True,
        },
    )
    execution_role: Optional[str] = field(
        default=None,
        metadata={
            "help": "IAM role ARN ECS uses to pull the image and write logs; required on Fargate.",
            "env_var": True,
        },
    )
    tags: list[str] = field(
        default_factory=list,
        metadata={
            "help": "Tags for every job, as key=value pairs (repeatable).",
            "nargs": "+",
        },
    )
    log_group: Optional[str] = field(
        default=None,
        metadata={
            "help": "CloudWatch Logs group for job output; default: Batch's /aws/batch/job.",
        },
    )
    spot_retries: int = field(
        default=3,
        metadata={
            "help": "How often Batch reruns an attempt lost to a Spot reclaim (0-9). Real "
            "failures are not retried by Batch; Snakemake's --retries handles them. Rules "
            "in --preemptible-rules use --preemptible-retries instead.",
            "type": int,
        },
    )
    fargate_sizes: str = field(
        default="round-up",
        metadata={
            "help": "What to do when threads/mem_mb is not a valid Fargate size: 'round-up' "
            "to the next valid size (with a warning) or 'exact' (refuse the job).",
            "choices": ["round-up", "exact"],
        },
    )
    assign_public_ip: bool = field(
        default=False,
        metadata={
            "help": "Give Fargate jobs a public IP (needed in public subnets without NAT).",
        },
    )
    missing_job_grace: int = field(
        default=120,
        metadata={
            "help": "Seconds a submitted job may be missing from DescribeJobs before it is "
            "reported failed.",
            "type": int,
        },
    )
    submit_concurrency: int = field(
        default=8,
        metadata={
            "help": "How many SubmitJob (and, on cancel, TerminateJob) calls run at once.",
            "type": int,
        },
    )
    submit_rate: float = field(
        default=40,
        metadata={
            "help": "SubmitJob calls per second at most, evenly spaced. AWS Batch accepts 50 "
            "per second per account and throttles the rest (which are retried, later).",
            "type": float,
        },
    )
    array_jobs: str = field(
        default="on",
        metadata={
            "help": "'on': ready jobs of one rule with the same resources go out as one array "
            "job (one SubmitJob call; each child's command is read from a manifest written "
            "under the default storage prefix). 'off': one Batch job per Snakemake job.",
            "choices": ["on", "off"],
        },
    )
    array_min_size: int = field(
        default=2,
        metadata={
            "help": "The fewest alike ready jobs that go out as an array job (2-10000); "
            "fewer go out one by one.",
            "type": int,
        },
    )
    events_queue: Optional[str] = field(
        default=None,
        metadata={
            "help": "URL of an SQS queue that an EventBridge rule fills with AWS Batch's "
            "'Batch Job State Change' events: job status then comes from events, within a "
            "second, and DescribeJobs only sweeps jobs not heard about for a while.",
            "env_var": True,
        },
    )
    events_sweep_seconds: int = field(
        default=60,
        metadata={
            "help": "With an events queue: seconds without an event for a job before "
            "DescribeJobs asks about it (100 jobs per call).",
            "type": int,
        },
    )
    events_file: Optional[Path] = field(
        default=None,
        metadata={
            "help": "Append task events (submitted, running, succeeded, failed) as JSON lines "
            "to this file.",
            "env_var": True,
        },
    )
    run_id: Optional[str] = field(
        default=None,
        metadata={
            "help": "Run identifier for job names, tags and events; default: a new UUID.",
            "env_var": True,
        },
    )


def check_ranges(settings: ExecutorSettings) -> None:
    """A WorkflowError naming the flag, for a setting outside what its help promises."""
    if not settings.submit_rate > 0:
        raise WorkflowError(
            f"--batchflow-submit-rate must be more than 0 calls per second, got "
            f"{settings.submit_rate}"
        )
    if not 2 <= settings.array_min_size <= MAX_ARRAY_SIZE:
        raise WorkflowError(
            f"--batchflow-array-min-size must be between 2 and {MAX_ARRAY_SIZE}, got "
            f"{settings.array_min_size}"
        )
