"""What happens to a job after SubmitJob: dependencies, placement, attempts, retries, arrays."""

import asyncio
import contextlib
import logging
import os
import re
import secrets
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .batch_models import Attempt, Capacity, ComputeEnvironment, Job, JobQueue, now_ms
from .config import LocalAwsConfig
from .errors import AwsError
from .faults import FaultInjector
from .logs import LogsBackend
from .recording import JobRecorder
from .retry import should_retry
from .runner import AttemptProcess

log = logging.getLogger(__name__)

CONTAINER_EXITED = "Essential container in task exited"
DEPENDENCY_FAILED = "Dependent Job failed"
ARRAY_CHILD_FAILED = "Array Child Job failed"
TIMED_OUT = "Job attempt duration exceeded timeout"
START_FAILED = "Task failed to start"
MISCONFIGURED = (
    "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - The job resource requirement "
    "(vCPU/memory/GPU) is higher than that can be met by the CE(s) attached to the job queue."
)
LOCAL_AWS_STOPPED = (
    "Local AWS stopped: the job was still active when batchflow local stopped, and jobs do "
    "not carry on across its restarts"
)
DEFAULT_LOG_GROUP = "/aws/batch/job"
PLACEMENT_WINDOW = 100
PARAMETER_REF = re.compile(r"Ref::([A-Za-z0-9_]+)")


def spot_reclaim_reason() -> str:
    return f"Host EC2 (instance i-{secrets.token_hex(8)[:17]}) terminated."


def substitute_parameters(command: list[str], parameters: dict[str, str]) -> list[str]:
    def replace(match: re.Match[str]) -> str:
        return parameters.get(match.group(1), match.group(0))

    return [PARAMETER_REF.sub(replace, argument) for argument in command]


@dataclass
class StopRequest:
    status_reason: str
    retryable: bool
    graceful: bool
    keep_exit_code: bool = True


@dataclass
class RunningAttempt:
    number: int
    process: AttemptProcess | None = None
    stop: StopRequest | None = None
    timers: list[asyncio.TimerHandle] = field(default_factory=list)


class JobScheduler:
    def __init__(
        self,
        config: LocalAwsConfig,
        logs: LogsBackend,
        faults: FaultInjector,
        client_environment: dict[str, str],
    ) -> None:
        self.config = config
        self.logs = logs
        self.faults = faults
        self.client_environment = client_environment
        self.host_limit = Capacity(config.vcpus, config.memory_mib)
        self.host_free = Capacity(config.vcpus, config.memory_mib)
        self.runnable: dict[str, tuple[JobQueue, dict[str, Job]]] = {}
        self.blockers: dict[str, set[str]] = {}
        self.dependents: dict[str, list[Job]] = {}
        self.unfinished_children: dict[str, int] = {}
        self.failed_children: dict[str, int] = {}
        self.failed_ids: set[str] = set()
        self.running: dict[str, RunningAttempt] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._placement_requested = False
        self._stopping = False
        self.recorder = JobRecorder()

    # Admission: SUBMITTED -> PENDING -> RUNNABLE

    def accept(self, job: Job, blockers: list[Job]) -> None:
        self.recorder.job_changed(job)
        waiting = {b.job_id for b in blockers if not b.is_final or b.status == "FAILED"}
        self.blockers[job.job_id] = waiting
        for blocker in blockers:
            if not blocker.is_final:
                self.dependents.setdefault(blocker.job_id, []).append(job)
        if job.is_array_parent:
            self.unfinished_children[job.job_id] = len(job.children)
            self.failed_children[job.job_id] = 0
        asyncio.get_running_loop().call_soon(self._admit, job)

    def _admit(self, job: Job) -> None:
        if job.is_final:
            return
        if job.is_array_parent:
            job.status = "PENDING"
            self.recorder.job_changed(job)
            return
        waiting = self.blockers.get(job.job_id, set())
        if waiting & self.failed_ids:
            self._finalize(job, "FAILED", DEPENDENCY_FAILED)
        elif waiting:
            job.status = "PENDING"
            self.recorder.job_changed(job)
        else:
            self._make_runnable(job)

    def _make_runnable(self, job: Job) -> None:
        job.status = "RUNNABLE"
        job.status_reason = None
        self.recorder.job_changed(job)
        self.runnable.setdefault(job.queue.arn, (job.queue, {}))[1][job.job_id] = job
        self._request_placement()

    def _leave_runnable(self, job: Job) -> None:
        entry = self.runnable.get(job.queue.arn)
        if entry:
            entry[1].pop(job.job_id, None)

    # Placement: RUNNABLE -> STARTING

    def _request_placement(self) -> None:
        if not self._placement_requested:
            self._placement_requested = True
            asyncio.get_running_loop().call_soon(self._place)

    def _place(self) -> None:
        self._placement_requested = False
        if self._stopping:
            return
        for queue, jobs in sorted(self.runnable.values(), key=lambda entry: -entry[0].priority):
            misses = 0
            for job in list(jobs.values()):
                if self.host_free.vcpus < 0.25 or self.host_free.memory_mib < 1:
                    return
                environment = self._environment_with_room(queue, job.need)
                if environment is not None:
                    self._start(job, environment)
                    misses = 0
                    continue
                if not self._could_ever_fit(queue, job.need):
                    job.status_reason = MISCONFIGURED
                misses += 1
                if misses >= PLACEMENT_WINDOW:
                    break

    def _environment_with_room(self, queue: JobQueue, need: Capacity) -> ComputeEnvironment | None:
        if queue.state != "ENABLED" or not self.host_free.fits(need):
            return None
        return next(
            (
                ce
                for ce in queue.compute_environments
                if ce.state == "ENABLED" and ce.free.fits(need)
            ),
            None,
        )

    def _could_ever_fit(self, queue: JobQueue, need: Capacity) -> bool:
        return self.host_limit.fits(need) and any(
            ce.limit.fits(need) for ce in queue.compute_environments
        )

    def _start(self, job: Job, environment: ComputeEnvironment) -> None:
        self._leave_runnable(job)
        environment.free.take(job.need)
        self.host_free.take(job.need)
        job.placed_on = environment
        job.status = "STARTING"
        self.recorder.job_changed(job)
        attempt = RunningAttempt(number=len(job.attempts) + 1)
        self.running[job.job_id] = attempt
        task = asyncio.create_task(self._run_attempt(job, attempt))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # Attempts: STARTING -> RUNNING -> (retry | SUCCEEDED | FAILED)

    async def _run_attempt(self, job: Job, attempt: RunningAttempt) -> None:
        started_at: int | None = None
        try:
            started_at = await self._launch(job, attempt)
            if attempt.process is None:
                return
            exit_code = await attempt.process.wait()
            stop = attempt.stop
            if stop is None:
                self._finish_attempt(job, started_at, exit_code, CONTAINER_EXITED, None, True)
            else:
                code = exit_code if stop.keep_exit_code else None
                self._finish_attempt(
                    job, started_at, code, stop.status_reason, None, stop.retryable
                )
        except Exception as error:
            log.exception("attempt of job %s failed inside batchflow local", job.job_id)
            if attempt.process is not None:
                attempt.process.kill()
            reason = f"batchflow local could not run the attempt: {error}"
            self._finish_attempt(job, started_at, None, reason, None, False)
        finally:
            for timer in attempt.timers:
                timer.cancel()

    async def _launch(self, job: Job, attempt: RunningAttempt) -> int | None:
        """Starts the process; on failure records the failed attempt and returns None."""
        task_id = uuid.uuid4().hex
        environment = job.placed_on
        assert environment is not None
        job.task_arn = (
            f"arn:aws:ecs:{self.config.region}:{self.logs.account}:task/"
            f"AWSBatch-{environment.name}-{environment.uuid[:8]}/{task_id}"
        )
        job.log_stream_name = None
        try:
            emit = self._log_writer(job, task_id)
        except AwsError as error:
            self._finish_attempt(job, None, None, START_FAILED, f"{error.code}: {error}", True)
            return None
        if attempt.stop is not None:
            self._finish_attempt(job, None, None, attempt.stop.status_reason, None, False)
            return None
        command = substitute_parameters(job.container.get("command", []), job.parameters)
        if not command:
            reason = (
                "CannotStartContainerError: no command given, and batchflow local runs no images"
            )
            self._finish_attempt(job, None, None, START_FAILED, reason, True)
            return None
        scratch = (
            Path(self.config.workdir)
            / "jobs"
            / job.job_id.replace(":", "-")
            / f"attempt-{attempt.number}"
        )
        process = AttemptProcess(command, self._environment(job, attempt.number), scratch, emit)
        try:
            await process.start()
        except OSError as error:
            reason = f'CannotStartContainerError: exec: "{command[0]}": {error.strerror}'
            self._finish_attempt(job, None, None, START_FAILED, reason, True)
            return None
        attempt.process = process
        job.status = "RUNNING"
        job.started_at = now_ms()
        self.recorder.process_started(job, process.pid)
        self.recorder.job_changed(job)
        if attempt.stop is not None:
            self._signal(attempt)
        self._arm_timers(job, attempt)
        return job.started_at

    def _log_writer(self, job: Job, task_id: str) -> Callable[[str], None]:
        config = job.container.get("logConfiguration") or {"logDriver": "awslogs"}
        if config.get("logDriver") != "awslogs":
            return lambda message: None
        options = config.get("options") or {}
        group = options.get("awslogs-group", DEFAULT_LOG_GROUP)
        prefix = options.get("awslogs-stream-prefix", job.definition.name)
        missing = group not in self.logs.groups and group != DEFAULT_LOG_GROUP
        if missing and options.get("awslogs-create-group") != "true":
            raise AwsError(
                "ResourceInitializationError",
                f"failed to validate logger args: The specified log group {group} does not exist",
            )
        stream_name = f"{prefix}/default/{task_id}"
        stream = self.logs.ensure_stream(group, stream_name)
        job.log_stream_name = stream_name
        return lambda message: self.logs.append(stream, message)

    def _environment(self, job: Job, attempt_number: int) -> dict[str, str]:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        environment.update(self.client_environment)
        environment.update({e["name"]: e["value"] for e in job.container.get("environment", [])})
        assert job.placed_on is not None
        environment.update(
            AWS_BATCH_JOB_ID=job.job_id,
            AWS_BATCH_JOB_ATTEMPT=str(attempt_number),
            AWS_BATCH_JQ_NAME=job.queue.name,
            AWS_BATCH_CE_NAME=job.placed_on.name,
        )
        if job.array_index is not None:
            environment["AWS_BATCH_JOB_ARRAY_INDEX"] = str(job.array_index)
        return environment

    def _arm_timers(self, job: Job, attempt: RunningAttempt) -> None:
        loop = asyncio.get_running_loop()
        if job.timeout_seconds:
            timeout = StopRequest(TIMED_OUT, retryable=False, graceful=True)
            seconds = job.timeout_seconds * self.config.timeout_scale
            attempt.timers.append(loop.call_later(seconds, self._request_stop, job, timeout))
        if self.faults.reclaims_attempt(job.queue.name):
            after = self.faults.settings.spot_reclaim_after_seconds
            attempt.timers.append(loop.call_later(after, self.reclaim, job))

    def _finish_attempt(
        self,
        job: Job,
        started_at: int | None,
        exit_code: int | None,
        status_reason: str,
        reason: str | None,
        retryable: bool,
    ) -> None:
        environment = job.placed_on
        if environment is not None:
            environment.free.give(job.need)
            self.host_free.give(job.need)
            job.placed_on = None
        if self.running.pop(job.job_id, None) is not None:
            self.recorder.process_ended(job)
        job.attempts.append(
            Attempt(
                started_at=started_at,
                stopped_at=now_ms(),
                status_reason=status_reason,
                exit_code=exit_code,
                reason=reason,
                log_stream_name=job.log_stream_name,
                task_arn=job.task_arn or "",
            )
        )
        job.exit_code, job.reason = exit_code, reason
        succeeded = exit_code == 0 and status_reason == CONTAINER_EXITED
        if succeeded:
            self._finalize(job, "SUCCEEDED", status_reason)
        elif retryable and should_retry(
            job.retry_strategy, len(job.attempts), status_reason, reason, exit_code
        ):
            self._make_runnable(job)
        else:
            self._finalize(job, "FAILED", status_reason)
        self._request_placement()

    # Endings: cancel, terminate, reclaim, and what a final status sets off

    def cancel(self, job: Job, reason: str) -> None:
        for target in job.children or [job]:
            if target.status in ("SUBMITTED", "PENDING", "RUNNABLE"):
                self._finalize(target, "FAILED", reason)

    def terminate(self, job: Job, reason: str) -> None:
        for target in job.children or [job]:
            if target.status in ("STARTING", "RUNNING"):
                self._request_stop(target, StopRequest(reason, retryable=False, graceful=True))
            else:
                self.cancel(target, reason)

    def reclaim(self, job: Job) -> bool:
        """Ends the running attempt as a Spot interruption would; False if nothing is running."""
        if job.status not in ("STARTING", "RUNNING"):
            return False
        stop = StopRequest(
            spot_reclaim_reason(), retryable=True, graceful=False, keep_exit_code=False
        )
        self._request_stop(job, stop)
        return True

    def _request_stop(self, job: Job, stop: StopRequest) -> None:
        attempt = self.running.get(job.job_id)
        if attempt is None or attempt.stop is not None:
            return
        attempt.stop = stop
        self._signal(attempt)

    def _signal(self, attempt: RunningAttempt) -> None:
        if attempt.process is None or attempt.stop is None:
            return
        if attempt.stop.graceful:
            attempt.process.stop(self.config.stop_timeout_seconds)
        else:
            attempt.process.kill()

    def _finalize(self, job: Job, status: str, reason: str | None) -> None:
        work = deque([(job, status, reason)])
        while work:
            job, status, reason = work.popleft()
            if job.is_final:
                continue
            self._leave_runnable(job)
            job.status, job.status_reason, job.stopped_at = status, reason, now_ms()
            self.recorder.job_changed(job)
            if status == "FAILED":
                self.failed_ids.add(job.job_id)
            self.blockers.pop(job.job_id, None)
            for dependent in self.dependents.pop(job.job_id, []):
                if dependent.is_final:
                    continue
                if status == "FAILED":
                    work.append((dependent, "FAILED", DEPENDENCY_FAILED))
                    continue
                waiting = self.blockers.get(dependent.job_id, set())
                waiting.discard(job.job_id)
                if not waiting and dependent.status == "PENDING":
                    self._make_runnable(dependent)
            parent = job.parent
            if parent is not None:
                self.unfinished_children[parent.job_id] -= 1
                self.failed_children[parent.job_id] += status == "FAILED"
                if self.unfinished_children[parent.job_id] == 0:
                    failed = self.failed_children[parent.job_id] > 0
                    work.append(
                        (
                            parent,
                            *(("FAILED", ARRAY_CHILD_FAILED) if failed else ("SUCCEEDED", None)),
                        )
                    )

    async def shutdown(self, active: list[Job]) -> None:
        """Kills every running attempt and fails every job in `active` (the jobs not yet
        final) with LOCAL_AWS_STOPPED; nothing is retried or started any more."""
        self._stopping = True
        stop = StopRequest(LOCAL_AWS_STOPPED, retryable=False, graceful=False, keep_exit_code=False)
        for attempt in list(self.running.values()):
            attempt.stop = attempt.stop or stop
            if attempt.process is not None:
                attempt.process.kill()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for job in active:
            self._finalize(job, "FAILED", LOCAL_AWS_STOPPED)
