"""A Batch job's CloudWatch log: all of it, from a point on, or its tail."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # botocore loads only when a workflow runs, not on `snakemake --version`
    from .calls import AwsCaller

DEFAULT_LOG_GROUP = "/aws/batch/job"
MAX_PAGES = 1_000


def read_log(logs: Any, call: "AwsCaller", group: str, stream: str) -> list[str]:
    """Every message of a stream, oldest first."""
    return read_log_from(logs, call, group, stream, None)[0]


def read_log_from(
    logs: Any, call: "AwsCaller", group: str, stream: str, token: str | None
) -> tuple[list[str], str | None]:
    """The messages after `token` (from the start if None), and the token to read on from.

    GetLogEvents is called until its forward token stops moving, as AWS documents.
    """
    messages: list[str] = []
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
        moved = page.get("nextForwardToken") != token
        token = page.get("nextForwardToken", token)
        if not page["events"] or not moved:
            break
    return messages, token


def read_log_tail(logs: Any, call: "AwsCaller", group: str, stream: str, lines: int) -> list[str]:
    """The last `lines` messages of a stream, oldest first."""
    page = call(
        f"GetLogEvents {group} {stream}",
        logs.get_log_events,
        logGroupName=group,
        logStreamName=stream,
        startFromHead=False,
        limit=lines,
    )
    return [event["message"] for event in page["events"]]
