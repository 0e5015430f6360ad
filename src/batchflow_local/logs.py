"""CloudWatch Logs: the groups, streams and events jobs write, and the API that reads them."""

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from .batch_models import now_ms
from .errors import AwsError
from .pagination import listing, paginate
from .recording import LogRecorder

GROUP_NAME = re.compile(r"[.\-_/#A-Za-z0-9]{1,512}")
STREAM_NAME = re.compile(r"[^:*]{1,512}")
MAX_EVENTS = 10_000


def invalid_parameter(message: str) -> AwsError:
    return AwsError("InvalidParameterException", message)


def not_found(message: str) -> AwsError:
    return AwsError("ResourceNotFoundException", message)


@dataclass
class LogEvent:
    timestamp: int
    message: str
    ingestion_time: int


@dataclass
class LogStream:
    name: str
    arn: str
    created: int
    events: list[LogEvent] = field(default_factory=list)
    last_ingestion: int | None = None

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "logStreamName": self.name,
            "creationTime": self.created,
            "arn": self.arn,
            "storedBytes": 0,
        }
        if self.events:
            described["firstEventTimestamp"] = self.events[0].timestamp
            described["lastEventTimestamp"] = self.events[-1].timestamp
            described["lastIngestionTime"] = self.last_ingestion
        return described


@dataclass
class LogGroup:
    name: str
    arn: str
    created: int
    streams: dict[str, LogStream] = field(default_factory=dict)
    retention_days: int | None = None

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "logGroupName": self.name,
            "creationTime": self.created,
            "arn": self.arn,
            "logGroupArn": self.arn.removesuffix(":*"),
            "storedBytes": 0,
            "metricFilterCount": 0,
            "logGroupClass": "STANDARD",
        }
        if self.retention_days:
            described["retentionInDays"] = self.retention_days
        return described


class FilterPattern:
    """CloudWatch's term syntax: all plain terms, no `-term`, and one `?term` if any are given."""

    def __init__(self, pattern: str | None) -> None:
        pattern = (pattern or "").strip()
        if pattern.startswith(("{", "[")):
            raise invalid_parameter(
                "JSON and space-delimited filter patterns are not supported by batchflow local; "
                "use terms, quoted phrases, ?term and -term"
            )
        try:
            terms = shlex.split(pattern)
        except ValueError as error:
            raise invalid_parameter(f"Invalid filter pattern {pattern!r}: {error}") from None
        self.required = [t for t in terms if not t.startswith(("-", "?"))]
        self.excluded = [t[1:] for t in terms if t.startswith("-") and len(t) > 1]
        self.any_of = [t[1:] for t in terms if t.startswith("?") and len(t) > 1]

    def matches(self, message: str) -> bool:
        return (
            all(term in message for term in self.required)
            and not any(term in message for term in self.excluded)
            and (not self.any_of or any(term in message for term in self.any_of))
        )


def _in_window(event: LogEvent, start: int | None, end: int | None) -> bool:
    return (start is None or event.timestamp >= start) and (end is None or event.timestamp <= end)


def _event_index(token: str, direction: str, size: int) -> int:
    if not re.fullmatch(rf"{direction}/\d{{1,56}}", token):
        raise invalid_parameter("The specified nextToken is invalid.")
    return min(int(token[2:]), size)


class LogsBackend:
    def __init__(self, region: str, account: str) -> None:
        self.region = region
        self.account = account
        self.groups: dict[str, LogGroup] = {}
        self.recorder = LogRecorder()

    def _group(self, name: str) -> LogGroup:
        group = self.groups.get(name)
        if group is None:
            raise not_found("The specified log group does not exist.")
        return group

    def _group_named_in(self, params: dict[str, Any]) -> LogGroup:
        """The group a read names by logGroupName or logGroupIdentifier (its name or ARN)."""
        name, identifier = params.get("logGroupName"), params.get("logGroupIdentifier")
        if name is not None and identifier is not None:
            raise invalid_parameter(
                "LogGroup name and LogGroup ARN are mutually exclusive parameters."
            )
        if name is None and identifier is None:
            raise invalid_parameter("Either logGroupName or logGroupIdentifier must be given.")
        if identifier is not None and identifier.startswith("arn:"):
            identifier = identifier.removesuffix(":*").partition(":log-group:")[2]
        return self._group(name if name is not None else identifier)

    def _stream(self, group_name: str, stream_name: str) -> LogStream:
        return self._stream_in(self._group(group_name), stream_name)

    def _stream_in(self, group: LogGroup, stream_name: str) -> LogStream:
        stream = group.streams.get(stream_name)
        if stream is None:
            raise not_found("The specified log stream does not exist.")
        return stream

    def ensure_group(self, name: str) -> LogGroup:
        if name not in self.groups:
            self.create_log_group({"logGroupName": name})
        return self.groups[name]

    def ensure_stream(self, group_name: str, stream_name: str) -> LogStream:
        group = self.ensure_group(group_name)
        if stream_name not in group.streams:
            self.create_log_stream({"logGroupName": group_name, "logStreamName": stream_name})
        return group.streams[stream_name]

    def append(self, stream: LogStream, message: str, timestamp: int | None = None) -> None:
        ingested = now_ms()
        event = LogEvent(timestamp or ingested, message, ingested)
        stream.events.append(event)
        self.recorder.event_added(stream, event)
        stream.last_ingestion = ingested

    def create_log_group(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["logGroupName"]
        if not GROUP_NAME.fullmatch(name):
            raise invalid_parameter(
                f"Log group name {name[:80]!r} is invalid: 1-512 characters of letters, numbers, "
                "'_', '-', '/', '.' and '#'"
            )
        if name in self.groups:
            raise AwsError(
                "ResourceAlreadyExistsException", "The specified log group already exists"
            )
        arn = f"arn:aws:logs:{self.region}:{self.account}:log-group:{name}:*"
        self.groups[name] = LogGroup(name, arn, now_ms())
        self.recorder.group_created(self.groups[name])
        return {}

    def create_log_stream(self, params: dict[str, Any]) -> dict[str, Any]:
        group = self._group(params["logGroupName"])
        name = params["logStreamName"]
        if not STREAM_NAME.fullmatch(name):
            raise invalid_parameter(
                f"Log stream name {name[:80]!r} is invalid: 1-512 characters, no ':' or '*'"
            )
        if name in group.streams:
            raise AwsError(
                "ResourceAlreadyExistsException", "The specified log stream already exists"
            )
        arn = group.arn.removesuffix(":*") + f":log-stream:{name}"
        group.streams[name] = LogStream(name, arn, now_ms())
        self.recorder.stream_created(group, group.streams[name])
        return {}

    def put_log_events(self, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._stream(params["logGroupName"], params["logStreamName"])
        for event in sorted(params["logEvents"], key=lambda e: e["timestamp"]):
            self.append(stream, event["message"], event["timestamp"])
        return {}

    def describe_log_groups(self, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("logGroupNamePrefix", "")
        groups = sorted(
            (g for g in self.groups.values() if g.name.startswith(prefix)), key=lambda g: g.name
        )
        page, token = paginate(
            groups,
            lambda g: g.name,
            params.get("nextToken"),
            params.get("limit", 50),
            error=invalid_parameter,
        )
        return listing("logGroups", [g.describe() for g in page], token)

    def describe_log_streams(self, params: dict[str, Any]) -> dict[str, Any]:
        group = self._group_named_in(params)
        prefix = params.get("logStreamNamePrefix")
        by_time = params.get("orderBy", "LogStreamName") == "LastEventTime"
        if prefix and by_time:
            raise invalid_parameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
        limit = params.get("limit", 50)
        if not 1 <= limit <= 50:
            raise invalid_parameter(f"limit must be between 1 and 50, got {limit}")

        def key(stream: LogStream) -> str:
            last = stream.events[-1].timestamp if stream.events else 0
            return f"{last:015d}/{stream.name}" if by_time else stream.name

        descending = bool(params.get("descending"))
        streams = sorted(
            (s for s in group.streams.values() if s.name.startswith(prefix or "")),
            key=key,
            reverse=descending,
        )
        page, token = paginate(
            streams,
            key,
            params.get("nextToken"),
            limit,
            descending=descending,
            error=invalid_parameter,
        )
        return listing("logStreams", [s.describe() for s in page], token)

    def get_log_events(self, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._stream_in(self._group_named_in(params), params["logStreamName"])
        start, end = params.get("startTime"), params.get("endTime")
        events = [e for e in stream.events if _in_window(e, start, end)]
        limit = params.get("limit", MAX_EVENTS)
        if not 1 <= limit <= MAX_EVENTS:
            raise invalid_parameter(f"limit must be between 1 and {MAX_EVENTS}, got {limit}")
        token = params.get("nextToken")
        if token and token.startswith("b/"):
            stop = _event_index(token, "b", len(events))
            first = max(0, stop - limit)
        elif token:
            first = _event_index(token, "f", len(events))
            stop = min(len(events), first + limit)
        elif params.get("startFromHead"):
            first, stop = 0, min(len(events), limit)
        else:
            stop = len(events)
            first = max(0, stop - limit)
        return {
            "events": [
                {"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion_time}
                for e in events[first:stop]
            ],
            "nextForwardToken": f"f/{stop:056d}",
            "nextBackwardToken": f"b/{first:056d}",
        }

    def filter_log_events(self, params: dict[str, Any]) -> dict[str, Any]:
        group = self._group_named_in(params)
        names = params.get("logStreamNames")
        prefix = params.get("logStreamNamePrefix")
        if names and prefix:
            raise invalid_parameter("logStreamNames and logStreamNamePrefix are exclusive")
        limit = params.get("limit", MAX_EVENTS)
        if not 1 <= limit <= MAX_EVENTS:
            raise invalid_parameter(f"limit must be between 1 and {MAX_EVENTS}, got {limit}")
        pattern = FilterPattern(params.get("filterPattern"))
        streams = [
            s
            for s in group.streams.values()
            if (names is None or s.name in names) and s.name.startswith(prefix or "")
        ]
        start, end = params.get("startTime"), params.get("endTime")
        matches = sorted(
            (
                (f"{e.timestamp:015d}/{s.name}/{i:09d}", s.name, e)
                for s in streams
                for i, e in enumerate(s.events)
                if _in_window(e, start, end) and pattern.matches(e.message)
            ),
            key=lambda match: match[0],
        )
        page, token = paginate(
            matches,
            lambda match: match[0],
            params.get("nextToken"),
            limit,
            error=invalid_parameter,
        )
        result: dict[str, Any] = {
            "events": [
                {
                    "logStreamName": stream_name,
                    "timestamp": e.timestamp,
                    "message": e.message,
                    "ingestionTime": e.ingestion_time,
                    "eventId": event_key.replace("/", "-"),
                }
                for event_key, stream_name, e in page
            ],
            "searchedLogStreams": [
                {"logStreamName": s.name, "searchedCompletely": token is None} for s in streams
            ],
        }
        if token:
            result["nextToken"] = token
        return result
