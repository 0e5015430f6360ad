"""Job processes a killed local AWS left behind: found by process group, proven to be ours by
their start time or environment, and ended at the next start. Linux only (it reads /proc)."""

import contextlib
import logging
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PROC = Path("/proc")
BOOT_ID = PROC / "sys/kernel/random/boot_id"


@dataclass(frozen=True)
class ProcessIdentity:
    """A process group leader as recorded when it started: its pid, when it started (clock
    ticks after boot) and which boot that was, so a reused pid is never mistaken for it."""

    pid: int
    start_ticks: int
    boot_id: str


@dataclass(frozen=True)
class ProcessStatus:
    pid: int
    state: str
    group: int
    start_ticks: int


def boot_id() -> str:
    try:
        return BOOT_ID.read_text().strip()
    except OSError:
        return ""


def status_of(pid: int) -> ProcessStatus | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return ProcessStatus(pid, fields[0], int(fields[2]), int(fields[19]))


def identify(pid: int) -> ProcessIdentity | None:
    """How to recognise the process `pid` later; None where /proc cannot say."""
    status = status_of(pid)
    if status is None:
        return None
    return ProcessIdentity(pid, status.start_ticks, boot_id())


def _living_processes() -> list[ProcessStatus]:
    found = []
    for entry in PROC.iterdir() if PROC.is_dir() else []:
        if entry.name.isdigit():
            status = status_of(int(entry.name))
            if status is not None and status.state != "Z":
                found.append(status)
    return found


def _runs_job(pid: int, job_id: str) -> bool:
    try:
        environment = (PROC / str(pid) / "environ").read_bytes()
    except OSError:
        return False
    return f"AWS_BATCH_JOB_ID={job_id}".encode() in environment.split(b"\0")


def end_orphans(recorded: dict[str, ProcessIdentity], wait_seconds: float = 5.0) -> list[int]:
    """SIGKILL to what is left of each job's process group (`recorded` maps job id to the
    group's leader). A process counts as the job's if it is in the group and is the leader
    with the recorded start time, or has the job's AWS_BATCH_JOB_ID in its environment.
    Returns the pids ended, once they are gone (or after `wait_seconds`)."""
    current_boot = boot_id()
    processes = _living_processes()
    ended: list[int] = []
    for job_id, leader in recorded.items():
        if leader.boot_id != current_boot:
            continue
        members = [p for p in processes if p.group == leader.pid]
        if any(p.pid == leader.pid and p.start_ticks == leader.start_ticks for p in members):
            targets = [p.pid for p in members]
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(leader.pid, signal.SIGKILL)
        else:
            targets = [p.pid for p in members if _runs_job(p.pid, job_id)]
            for pid in targets:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
        if targets:
            log.warning(
                "ended %d process(es) job %s left running: %s", len(targets), job_id, targets
            )
        ended += targets
    deadline = time.monotonic() + wait_seconds
    while any(_alive(pid) for pid in ended) and time.monotonic() < deadline:
        time.sleep(0.05)
    return ended


def _alive(pid: int) -> bool:
    status = status_of(pid)
    return status is not None and status.state != "Z"
