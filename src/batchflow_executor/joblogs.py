"""A failed job's CloudWatch log: saved whole under .snakemake/batchflow/logs; its tail shown."""

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .aws import AwsCaller


DEFAULT_LOG_GROUP = "/aws/batch/job"
LOG_DIRECTORY = Path(".snakemake") / "batchflow" / "logs"
MAX_PAGES = 1_000


def read_log(logs: Any, call: "AwsCaller", group: str, stream: str) -> list[str]:
    """Every message of a stream, oldest first (GetLogEvents until its token stops moving)."""
    messages: list[str] = []
    token: str | None = None
    for _ in range(MAX_PAGES):
        page = call(
            f"GetLogEvents {group} {stream}",
            logs.get_log_events,
            logGroupName=group,
            logStreamName=stream,
            startFromHead=True,
            **({"nextToken": token} if token else {}),
        )
        messages.extend(event["message"] for event in page["events"])
        if not page["events"] or page.get("nextForwardToken") == token:
            break
        token = page.get("nextForwardToken")
    return messages


def save_log(name: str, messages: list[str], directory: Path = LOG_DIRECTORY) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.log"
    path.write_text("".join(f"{message}\n" for message in messages))
    return path
