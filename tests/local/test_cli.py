"""`batchflow local` as a user runs it: a separate process, configured by what it prints."""

import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SCENARIO = textwrap.dedent(
    """
    import time, boto3, botocore.exceptions

    batch, logs, s3 = boto3.client("batch"), boto3.client("logs"), boto3.client("s3")

    def wait(job_id, statuses=("SUCCEEDED", "FAILED")):
        while True:
            job = batch.describe_jobs(jobs=[job_id])["jobs"][0]
            if job["status"] in statuses:
                return job
            time.sleep(0.05)

    def submit(name, command, **extra):
        return batch.submit_job(jobName=name, jobQueue="local", jobDefinition="sh",
                                containerOverrides={"command": command}, **extra)["jobId"]

    batch.register_job_definition(jobDefinitionName="sh", type="container", containerProperties={
        "image": "busybox", "resourceRequirements": [
            {"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "64"}]})

    failed = wait(submit("hello", ["sh", "-c", "echo hello; exit 3"]))
    stream = failed["container"]["logStreamName"]
    events = logs.get_log_events(logGroupName="/aws/batch/job", logStreamName=stream)["events"]
    messages = [e["message"] for e in events]
    print("hello", failed["status"], failed["container"]["exitCode"], messages)

    array = submit("array", ["sh", "-c", "echo $AWS_BATCH_JOB_ARRAY_INDEX"],
                   arrayProperties={"size": 3})
    wait(array)
    for index in range(3):
        child = batch.describe_jobs(jobs=[f"{array}:{index}"])["jobs"][0]
        stream = child["container"]["logStreamName"]
        events = logs.get_log_events(logGroupName="/aws/batch/job", logStreamName=stream)["events"]
        print("child", index, events[0]["message"])

    dependent = wait(submit("dependent", ["true"], dependsOn=[{"jobId": failed["jobId"]}]))
    print("dependent", dependent["status"], dependent["statusReason"])

    sleeper = submit("sleeper", ["sleep", "600"])
    wait(sleeper, ("RUNNING",))
    started = time.monotonic()
    batch.terminate_job(jobId=sleeper, reason="Stopped by the scenario")
    stopped = wait(sleeper)
    print("terminated", stopped["status"], stopped["statusReason"],
          time.monotonic() - started < 5)

    try:
        batch.submit_job(jobName="x", jobQueue="nowhere", jobDefinition="sh")
    except botocore.exceptions.ClientError as error:
        print("unknown queue", error.response["Error"]["Code"])

    s3.put_object(Bucket="batchflow-local", Key="round/trip.txt", Body=b"payload")
    print("s3", s3.get_object(Bucket="batchflow-local", Key="round/trip.txt")["Body"].read())

    batch.submit_job(jobName="left-running", jobQueue="local", jobDefinition="sh",
                     containerOverrides={"command": ["sh", "-c", "echo $$ > pid; exec sleep 600"]})
    """
)


def batchflow(*args: str) -> list[str]:
    return [sys.executable, "-m", "batchflow_cli", *args]


def start_local(workdir: Path) -> tuple[subprocess.Popen[str], dict[str, str]]:
    process = subprocess.Popen(
        batchflow("local", "--port", "0", "--workdir", str(workdir)),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    exports: dict[str, str] = {}
    deadline = time.monotonic() + 60
    for line in process.stdout:
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").strip().partition("=")
            exports[name] = value
        if "ready" in line or time.monotonic() > deadline:
            break
    return process, exports


@pytest.fixture
def local_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    process, exports = start_local(tmp_path)
    yield process, exports
    if process.poll() is None:
        process.kill()
        process.wait()


def client_environment(exports: dict[str, str]) -> dict[str, str]:
    """The caller's environment without AWS settings, plus exactly what was printed."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BATCHFLOW_"))}
    return {**base, **exports}


def test_prints_exports_then_ready_and_serves_plain_boto3(local_process, tmp_path) -> None:
    process, exports = local_process

    assert {"AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID"} <= exports.keys()
    assert re.fullmatch(r"BFL[A-Z0-9]{17}", exports["AWS_ACCESS_KEY_ID"])
    assert re.fullmatch(r"[A-Za-z0-9]{40}", exports["AWS_SECRET_ACCESS_KEY"])
    scenario = subprocess.run(
        [sys.executable, "-c", SCENARIO],
        env=client_environment(exports),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert scenario.returncode == 0, scenario.stderr
    assert scenario.stdout.splitlines() == [
        "hello FAILED 3 ['hello']",
        "child 0 0",
        "child 1 1",
        "child 2 2",
        "dependent FAILED Dependent Job failed",
        "terminated FAILED Stopped by the scenario True",
        "unknown queue ClientException",
        "s3 b'payload'",
    ]

    pid_files = list(tmp_path.glob("jobs/*/attempt-1/pid"))
    deadline = time.monotonic() + 10
    while not pid_files and time.monotonic() < deadline:
        time.sleep(0.1)
        pid_files = list(tmp_path.glob("jobs/*/attempt-1/pid"))
    job_pid = int(pid_files[0].read_text())
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    assert not Path(f"/proc/{job_pid}").exists(), "SIGINT must end the jobs still running"


def test_refuses_to_listen_beyond_loopback() -> None:
    result = subprocess.run(
        batchflow("local", "--host", "0.0.0.0", "--port", "0"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert "loopback" in result.stderr


def test_refuses_a_port_in_use(local_process) -> None:
    _, exports = local_process
    port = exports["AWS_ENDPOINT_URL"].rsplit(":", 1)[1]

    result = subprocess.run(
        batchflow("local", "--port", port),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "in use" in result.stderr


def test_sigterm_stops_the_server_and_its_jobs(local_process, tmp_path) -> None:
    process, exports = local_process
    scenario = textwrap.dedent(
        """
        import boto3
        batch = boto3.client("batch")
        command = ["sh", "-c", "echo $$ > pid; exec sleep 600"]
        resources = [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "8"}]
        batch.register_job_definition(jobDefinitionName="sh", type="container",
            containerProperties={"image": "busybox", "command": command,
                                 "resourceRequirements": resources})
        batch.submit_job(jobName="sleeper", jobQueue="local", jobDefinition="sh")
        """
    )
    subprocess.run(
        [sys.executable, "-c", scenario], env=client_environment(exports), check=True, timeout=60
    )
    deadline = time.monotonic() + 10
    while not (pid_files := list(tmp_path.glob("jobs/*/attempt-1/pid"))):
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.1)
    job_pid = int(pid_files[0].read_text())

    process.terminate()

    assert process.wait(timeout=30) == 0
    assert not Path(f"/proc/{job_pid}").exists()


def test_an_embedded_local_aws_in_a_scratch_state_dir_removes_it_when_it_stops(tmp_path) -> None:
    script = textwrap.dedent(
        """
        import os, sys
        from pathlib import Path
        from batchflow_local.embedded import start_local_aws
        local = start_local_aws(Path(sys.argv[1]), 30, scratch=True)
        print(local.endpoint, local.process.pid, (local.state.workdir).is_dir(), flush=True)
        print(os.environ["AWS_ENDPOINT_URL"] == local.endpoint, flush=True)
        local.stop()
        """
    )
    state_dir = tmp_path / "scratch-state"
    printed = subprocess.run(
        [sys.executable, "-c", script, str(state_dir)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()

    endpoint, pid = printed[0], int(printed[1])
    assert printed[2:] == ["True", "True"]
    assert not state_dir.exists()
    assert not Path(f"/proc/{pid}").exists(), "it started the local AWS, and waited for its end"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", int(endpoint.rsplit(":", 1)[1])), timeout=2)
