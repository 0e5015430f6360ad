"""Real Snakemake runs for the tests: a workflow of tests/executor/workflows copied to a fresh
directory and run with `--profile workflows/profiles/local` against the session's local AWS."""

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[2]
PROFILE = REPOSITORY / "workflows" / "profiles" / "local"
WORKFLOWS = Path(__file__).parent / "workflows"
ACTIVE = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING")
POLL_SECONDS = 1  # the local profile's seconds-between-status-checks


class Run:
    """One workflow copied to a fresh directory, run with the local profile."""

    def __init__(self, name: str, tmp_path: Path, environment: dict[str, str]) -> None:
        self.workdir = tmp_path / name
        shutil.copytree(WORKFLOWS / name, self.workdir)
        self.prefix = f"work/{name}-{uuid.uuid4().hex[:8]}"
        self.events_file = self.workdir / "events.jsonl"
        base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.environment = {**base, **environment}

    def command(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "snakemake",
            "--profile",
            str(PROFILE),
            "--default-storage-prefix",
            f"s3://batchflow-local/{self.prefix}",
            "--batchflow-events-file",
            str(self.events_file),
            *args,
        ]

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*args),
            cwd=self.workdir,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        """Runs in the background; its output goes to `output.log` (a pipe could fill up)."""
        with (self.workdir / "output.log").open("w") as output:
            return subprocess.Popen(
                self.command(*args),
                cwd=self.workdir,
                env=self.environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
            )

    def output(self, tail: int | None = 3000) -> str:
        text = (self.workdir / "output.log").read_text()
        return text[-tail:] if tail else text

    def events(self) -> list[dict[str, Any]]:
        if not self.events_file.exists():
            return []
        return [json.loads(line) for line in self.events_file.read_text().splitlines()]

    def wait_for_events(self, kind: str, count: int, timeout: float = 120) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.events() if e["event"] == kind]
            if len(found) >= count:
                return found
            assert time.monotonic() < deadline, f"only {len(found)} {kind} events after {timeout} s"
            time.sleep(0.2)
