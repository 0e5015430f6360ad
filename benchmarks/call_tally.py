"""What the calls a `CallProxy` recorded say about a run: calls per operation, SubmitJob calls
per job, DescribeJobs calls per poll cycle against ⌈active jobs / 100⌉, and the detection lag
(when the first response showing a job SUCCEEDED or FAILED reached the proxy, minus the
job's `stoppedAt`), from DescribeJobs responses and from "Batch Job State Change" events
received from SQS."""

import json
import math
import statistics
from collections import Counter
from collections.abc import Iterator

from call_proxy import Call

TERMINAL = {"SUCCEEDED", "FAILED"}
DESCRIBE_LIMIT = 100
CYCLE_GAP_SECONDS = 0.5
"""A DescribeJobs call sent this long after the previous one's answer starts a new poll cycle
(within a cycle a client sends the next call at once; between cycles it sleeps >= 1 s), as
does one asking again about a job already asked about in the current cycle."""


def loads(body: bytes) -> dict:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def is_array_parent(job: dict) -> bool:
    return "size" in (job.get("arrayProperties") or {})


def described_jobs(call: Call) -> Iterator[dict]:
    """The jobs a DescribeJobs response or an SQS event delivery shows, in Batch's shape."""
    if call.name == "batch.DescribeJobs":
        yield from loads(call.response_body).get("jobs", [])
    elif call.name == "sqs.ReceiveMessage":
        for message in loads(call.response_body).get("Messages", []):
            event = loads(message.get("Body", "").encode())
            if event.get("detail-type") == "Batch Job State Change":
                yield event.get("detail", {})


def jobs_submitted(call: Call) -> int:
    size = (loads(call.request_body).get("arrayProperties") or {}).get("size")
    return int(size) if size else 1


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


class Tally:
    def __init__(self, calls: list[Call]) -> None:
        self.calls = calls
        self.counts = Counter(call.name for call in calls)
        self.submitted = 0
        self.lags: list[float] = []
        self.cycles: list[tuple[int, int]] = []
        """Per poll cycle: DescribeJobs calls made, ⌈active jobs / 100⌉ at its start."""
        self._walk()

    def _walk(self) -> None:
        finished: set[str] = set()
        asked: set[str] = set()
        last_answer = 0.0
        for call in self.calls:
            if call.name == "batch.SubmitJob" and call.status == 200:
                self.submitted += jobs_submitted(call)
            if call.name == "batch.DescribeJobs":
                ids = set(loads(call.request_body).get("jobs", []))
                if ids & asked or call.sent - last_answer > CYCLE_GAP_SECONDS:
                    active = self.submitted - len(finished)
                    self.cycles.append((0, math.ceil(active / DESCRIBE_LIMIT)))
                    asked = set()
                asked |= ids
                self.cycles[-1] = (self.cycles[-1][0] + 1, self.cycles[-1][1])
                last_answer = call.at
            for job in described_jobs(call):
                job_id = job.get("jobId")
                if job.get("status") not in TERMINAL or is_array_parent(job):
                    continue
                if job_id in finished:
                    continue
                finished.add(job_id)
                if job.get("stoppedAt"):
                    self.lags.append(call.at - job["stoppedAt"] / 1000)

    def summary(self, jobs: int) -> dict:
        describe_calls = [made for made, _ in self.cycles]
        bounds = [bound for _, bound in self.cycles]
        return {
            "calls": dict(sorted(self.counts.items())),
            "batch_jobs_submitted": self.submitted,
            "submit_calls_per_job": round(self.counts["batch.SubmitJob"] / jobs, 3),
            "describe_cycles": len(self.cycles),
            "describe_calls_per_cycle": mean(describe_calls),
            "describe_bound_per_cycle": mean(bounds),
            "describe_cycles_over_bound": sum(made > bound for made, bound in self.cycles),
            "lag_jobs": len(self.lags),
            "lag_median_s": round(statistics.median(self.lags), 2) if self.lags else None,
            "lag_p90_s": round(percentile(self.lags, 0.9), 2) if self.lags else None,
        }


def mean(values: list[int]) -> float | None:
    return round(statistics.fmean(values), 2) if values else None
