"""A failed job's report: its reason, exit code, attempts and the tail of its log, with the whole
log kept on disk where Snakemake's user can open it."""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batchflow_aws import AwsError
from batchflow_aws.logs import DEFAULT_LOG_GROUP

LOG_DIRECTORY = Path(".snakemake") / "batchflow" / "logs"
LOG_TAIL_LINES = 40  # Snakemake's own closing lines after a failed rule take about 18


@dataclass
class Failure:
    summary: str
    event_fields: dict[str, Any]
    aux_logs: list[str] = field(default_factory=list)


def save_log(name: str, messages: list[str], directory: Path = LOG_DIRECTORY) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.log"
    path.write_text("".join(f"{message}\n" for message in messages))
    return path


def describe_failure(
    description: dict[str, Any], log_name: str, read_log: Callable[[str, str], list[str]]
) -> Failure:
    """`description` is the job as DescribeJobs shows it; `read_log(group, stream)` reads a log."""
    container = description.get("container", {})
    reason = description.get("statusReason", "no reason given")
    exit_code = container.get("exitCode")
    stream = container.get("logStreamName")
    options = (container.get("logConfiguration") or {}).get("options") or {}
    group = options.get("awslogs-group", DEFAULT_LOG_GROUP)
    attempts = len(description.get("attempts", []))
    summary = f"AWS Batch job {description['jobId']} failed: {reason}"
    if exit_code is not None:
        summary += f" (exit code {exit_code})"
    if attempts > 1:
        summary += f" after {attempts} attempts"
    failure = Failure(
        summary,
        {
            "status_reason": reason,
            "exit_code": exit_code,
            "log_stream": stream,
            "attempts": attempts,
        },
    )
    if stream:
        try:
            lines = read_log(group, stream)
        except AwsError as error:
            failure.summary += f"\nIts log {group}/{stream} could not be read: {error}"
        else:
            saved = save_log(log_name, lines)
            failure.aux_logs.append(str(saved))
            tail = "\n".join(f"    {line}" for line in lines[-LOG_TAIL_LINES:])
            failure.summary += (
                f"\nLast {min(len(lines), LOG_TAIL_LINES)} lines of its log "
                f"({group}/{stream}):\n{tail}\nWhole log: {saved}\n"
            )
    return failure
