"""`batchflow serve` with its local AWS, as real processes: what a signal to serve stops, what
survives serve's SIGKILL for a restarted serve to take over, and what ends by itself when no
serve comes back."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from ..service.serving import FINAL, admin_session, wait_for
from .serve_processes import (
    alive,
    endpoint_record,
    left_behind,
    processes_using,
    serve_environment,
    start_serve,
    wait_until,
)

pytestmark = pytest.mark.slow


def running_task(client, run_id: str, tmp_path: Path) -> dict:
    try:
        return wait_for(
            lambda: client.get(f"/runs/{run_id}/tasks").json(),
            lambda page: any(t["state"] == "RUNNING" for t in page["tasks"]),
            timeout=180,
        )
    except AssertionError as error:
        logs = [tmp_path / "serve.log", tmp_path / "state" / "local-aws.log"]
        tails = "\n".join(f"{log}:\n{log.read_text()[-3000:]}" for log in logs)
        raise AssertionError(f"{error}\n{tails}") from None


def test_sigterm_stops_serve_its_local_aws_and_every_job_and_a_second_serve_is_refused(
    tmp_path, free_tcp_port
) -> None:
    environment = serve_environment(tmp_path)
    state_dir, log = tmp_path / "state", tmp_path / "serve.log"
    serve = start_serve(free_tcp_port, state_dir, environment, log)
    try:
        client = admin_session(f"http://127.0.0.1:{free_tcp_port}")
        run = client.post(
            "/runs", json={"workflow": "sleepy", "params": {"count": 2, "seconds": 600}}
        ).json()
        running_task(client, run["id"], tmp_path)
        local_aws = endpoint_record(state_dir)
        jobs = processes_using(local_aws["endpoint"])
        second = subprocess.run(
            [sys.executable, "-m", "batchflow_cli", "serve", "--state-dir", str(state_dir)],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        started = time.monotonic()
        serve.send_signal(signal.SIGTERM)
        code = serve.wait(timeout=60)
        took = time.monotonic() - started
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()

    assert len(jobs) >= 2, "the head job and a rule job were running"
    assert second.returncode == 1
    assert (
        f"batchflow serve: the state dir {state_dir} is in use by another batchflow serve "
        f"(pid {serve.pid}); stop that one, or pass another --state-dir"
    ) in second.stderr
    assert code == 0, log.read_text()[-3000:]
    assert took < 20
    assert left_behind(local_aws["endpoint"], local_aws["pid"]) == {}


def test_a_run_survives_sigkill_of_serve_and_completes_under_the_restarted_serve(
    tmp_path, free_tcp_port
) -> None:
    environment = serve_environment(tmp_path)
    state_dir, log = tmp_path / "state", tmp_path / "serve.log"
    url = f"http://127.0.0.1:{free_tcp_port}"
    first = start_serve(free_tcp_port, state_dir, environment, log)
    try:
        client = admin_session(url)
        run = client.post(
            "/runs", json={"workflow": "sleepy", "params": {"count": 2, "seconds": 5}}
        ).json()
        running_task(client, run["id"], tmp_path)
        local_aws = endpoint_record(state_dir)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    jobs_after_kill = processes_using(local_aws["endpoint"])

    second = start_serve(free_tcp_port, state_dir, environment, log)
    try:
        client = admin_session(url)
        done = wait_for(
            lambda: client.get(f"/runs/{run['id']}").json(), lambda r: r.get("state") in FINAL
        )
        tasks = client.get(f"/runs/{run['id']}/tasks").json()["tasks"]
    finally:
        second.send_signal(signal.SIGTERM)
        code = second.wait(timeout=60)

    assert jobs_after_kill, "the local AWS kept its jobs running after serve's SIGKILL"
    assert f"(pid {local_aws['pid']}, already running, taken over)" in log.read_text()
    assert done["state"] == "COMPLETE", done.get("reason")
    assert sorted(t["name"] for t in tasks) == ["nap"] * 2
    assert {t["state"] for t in tasks} == {"COMPLETE"}
    assert code == 0
    assert left_behind(local_aws["endpoint"], local_aws["pid"]) == {}


def test_a_local_aws_whose_serve_died_ends_its_jobs_and_exits_after_the_grace_period(
    tmp_path, free_tcp_port
) -> None:
    state_dir, log = tmp_path / "state", tmp_path / "serve.log"
    serve = start_serve(
        free_tcp_port, state_dir, serve_environment(tmp_path), log, "--lease-grace", "3"
    )
    try:
        local_aws = endpoint_record(state_dir)
        batch = boto3.client(
            "batch",
            endpoint_url=local_aws["endpoint"],
            region_name=local_aws["region"],
            aws_access_key_id=local_aws["access_key_id"],
            aws_secret_access_key=local_aws["secret_access_key"],
        )
        batch.register_job_definition(
            jobDefinitionName="sleeper",
            type="container",
            containerProperties={
                "image": "busybox",
                "command": ["sleep", "600"],
                "resourceRequirements": [
                    {"type": "VCPU", "value": "1"},
                    {"type": "MEMORY", "value": "16"},
                ],
            },
        )
        batch.submit_job(jobName="sleeper", jobQueue="local", jobDefinition="sleeper")
        jobs = wait_until(lambda: processes_using(local_aws["endpoint"]), 30, "the job to run")
        time.sleep(4)
        renewed = alive(local_aws["pid"]) and processes_using(local_aws["endpoint"]) == jobs
    finally:
        serve.send_signal(signal.SIGKILL)
        serve.wait()
    killed_at = time.monotonic()

    wait_until(lambda: not alive(local_aws["pid"]), 30, "the local AWS to exit")

    assert renewed, "while serve ran, its lease kept the local AWS and the job going"
    assert 1.5 < time.monotonic() - killed_at < 10
    assert left_behind(local_aws["endpoint"], local_aws["pid"]) == {}
    assert "nobody renewed the lease for 3 s" in (state_dir / "local-aws.log").read_text()
