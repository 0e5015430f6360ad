"""A local AWS that stops, gracefully or by SIGKILL, and starts again on the same work
directory finds its S3 objects, Batch resources and jobs, and logs again."""

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from batchflow_local.app import default_s3_backend
from batchflow_local.config import LocalAwsConfig
from batchflow_local.persistence.orphans import ProcessIdentity, end_orphans, identify
from batchflow_local.scheduler import LOCAL_AWS_STOPPED
from batchflow_local.server import LocalAwsServer

from .conftest import FINAL, log_messages, wait_for

HOSTILE_KEYS = [
    "../../outside-the-state",
    "/absolute/key",
    "..",
    ".",
    "a//b/../c",
    "nul\x00byte",
    "tab\tand ünïcödé ☃",
    "k" * 1024,
]
SHELL_JOB = {
    "image": "busybox",
    "resourceRequirements": [{"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "16"}],
}


LOCAL_COMMAND = (sys.executable, "-m", "batchflow_cli", "local", "--port", "0")


class LocalProcess:
    """`batchflow local` on a work directory, as a separate process, with clients for it."""

    def __init__(self, workdir: Path) -> None:
        self.process = subprocess.Popen(
            [*LOCAL_COMMAND, "--workdir", str(workdir), "--stop-timeout", "2"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        self.exports: dict[str, str] = {}
        for line in self.process.stdout:
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").strip().partition("=")
                self.exports[name] = value
            if "ready" in line:
                break
        assert self.exports, "batchflow local did not start"

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.exports["AWS_ENDPOINT_URL"],
            region_name=self.exports["AWS_DEFAULT_REGION"],
            aws_access_key_id=self.exports["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.exports["AWS_SECRET_ACCESS_KEY"],
        )

    def stop(self) -> None:
        self.process.terminate()
        assert self.process.wait(timeout=30) == 0

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)


@pytest.fixture
def started(tmp_path: Path) -> Iterator[list[LocalProcess]]:
    """Every local AWS a test starts; whatever still runs is killed at the end."""
    processes: list[LocalProcess] = []
    yield processes
    for local in processes:
        if local.process.poll() is None:
            local.kill()


def without_metadata(response: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}


def s3_state(s3: Any, bucket: str) -> dict[str, Any]:
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    return {
        "buckets": [b for b in s3.list_buckets()["Buckets"] if b["Name"] == bucket],
        "listed": listed,
        "heads": {
            o["Key"]: without_metadata(s3.head_object(Bucket=bucket, Key=o["Key"])) for o in listed
        },
        "bodies": {
            o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed
        },
        "tags": {
            o["Key"]: s3.get_object_tagging(Bucket=bucket, Key=o["Key"])["TagSet"] for o in listed
        },
    }


def batch_state(batch: Any, job_ids: list[str]) -> dict[str, Any]:
    return {
        "environments": batch.describe_compute_environments()["computeEnvironments"],
        "queues": batch.describe_job_queues()["jobQueues"],
        "definitions": batch.describe_job_definitions()["jobDefinitions"],
        "jobs": batch.describe_jobs(jobs=job_ids)["jobs"],
        "succeeded": batch.list_jobs(jobQueue="local", jobStatus="SUCCEEDED")["jobSummaryList"],
        "failed": batch.list_jobs(jobQueue="local", jobStatus="FAILED")["jobSummaryList"],
    }


def logs_state(logs: Any, group: str) -> dict[str, Any]:
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    return {
        "groups": logs.describe_log_groups()["logGroups"],
        "streams": streams,
        "events": {
            s["logStreamName"]: logs.get_log_events(
                logGroupName=group, logStreamName=s["logStreamName"], startFromHead=True
            )["events"]
            for s in streams
        },
    }


def fill_s3(s3: Any) -> None:
    s3.create_bucket(Bucket="kept")
    for number, key in enumerate(HOSTILE_KEYS):
        s3.put_object(
            Bucket="kept",
            Key=key,
            Body=f"body {number}".encode() * (number + 1),
            ContentType="text/x-kept",
            Metadata={"Origin": f"test-{number}"},
            CacheControl="no-cache",
        )
    s3.put_object_tagging(
        Bucket="kept", Key="..", Tagging={"TagSet": [{"Key": "stage", "Value": "raw"}]}
    )
    s3.copy_object(Bucket="kept", Key="copied", CopySource={"Bucket": "kept", "Key": "."})
    upload = s3.create_multipart_upload(Bucket="kept", Key="multipart", ContentType="x/parts")
    parts = [
        s3.upload_part(
            Bucket="kept", Key="multipart", UploadId=upload["UploadId"], PartNumber=n, Body=body
        )
        for n, body in ((1, b"1" * 5 * 1024 * 1024), (2, b"tail"))
    ]
    s3.complete_multipart_upload(
        Bucket="kept",
        Key="multipart",
        UploadId=upload["UploadId"],
        MultipartUpload={
            "Parts": [{"PartNumber": n + 1, "ETag": p["ETag"]} for n, p in enumerate(parts)]
        },
    )
    s3.put_object(Bucket="kept", Key="overwritten", Body=b"first")
    s3.put_object(Bucket="kept", Key="overwritten", Body=b"second")
    s3.put_object(Bucket="kept", Key="deleted", Body=b"gone")
    s3.delete_object(Bucket="kept", Key="deleted")
    s3.put_object(Bucket="kept", Key="deleted-in-bulk", Body=b"gone too")
    s3.delete_objects(Bucket="kept", Delete={"Objects": [{"Key": "deleted-in-bulk"}]})
    s3.create_bucket(Bucket="removed")
    s3.delete_bucket(Bucket="removed")


def run_jobs(batch: Any, logs: Any) -> list[str]:
    batch.create_compute_environment(
        computeEnvironmentName="kept-ce",
        type="MANAGED",
        computeResources={"type": "SPOT", "maxvCpus": 4},
        tags={"team": "kept"},
    )
    batch.create_job_queue(
        jobQueueName="kept-queue",
        priority=5,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "kept-ce"}],
    )
    batch.register_job_definition(
        jobDefinitionName="kept-sh", type="container", containerProperties=SHELL_JOB
    )
    revision = batch.register_job_definition(
        jobDefinitionName="kept-sh", type="container", containerProperties=SHELL_JOB
    )
    batch.deregister_job_definition(jobDefinition=revision["jobDefinitionArn"])

    def submit(name: str, script: str, **extra: Any) -> str:
        return batch.submit_job(
            jobName=name,
            jobQueue="local",
            jobDefinition="kept-sh:1",
            containerOverrides={"command": ["sh", "-c", script]},
            **extra,
        )["jobId"]

    succeeded = submit("succeeds", "echo out; echo err >&2", tags={"run": "r1"})
    failed = submit(
        "fails", "echo attempt $AWS_BATCH_JOB_ATTEMPT; exit 3", retryStrategy={"attempts": 2}
    )
    array = submit("array", "echo child $AWS_BATCH_JOB_ARRAY_INDEX", arrayProperties={"size": 2})
    for job_id in (succeeded, failed, array):
        wait_for(batch, job_id, FINAL)
    logs.create_log_group(logGroupName="kept/group")
    logs.create_log_stream(logGroupName="kept/group", logStreamName="main ☃")
    logs.put_log_events(
        logGroupName="kept/group",
        logStreamName="main ☃",
        logEvents=[{"timestamp": 1_700_000_000_000 + n, "message": f"line {n}"} for n in range(3)],
    )
    return [succeeded, failed, array, f"{array}:0", f"{array}:1"]


def test_a_restart_on_the_same_workdir_finds_buckets_objects_jobs_and_logs_again(
    tmp_path: Path, started: list[LocalProcess]
) -> None:
    first = LocalProcess(tmp_path)
    started.append(first)
    s3, batch, logs = first.client("s3"), first.client("batch"), first.client("logs")
    fill_s3(s3)
    job_ids = run_jobs(batch, logs)
    before = (
        s3_state(s3, "kept"),
        batch_state(batch, job_ids),
        logs_state(logs, "/aws/batch/job"),
        logs_state(logs, "kept/group"),
    )
    first.stop()

    second = LocalProcess(tmp_path)
    started.append(second)
    s3, batch, logs = second.client("s3"), second.client("batch"), second.client("logs")
    after = (
        s3_state(s3, "kept"),
        batch_state(batch, job_ids),
        logs_state(logs, "/aws/batch/job"),
        logs_state(logs, "kept/group"),
    )

    assert second.exports["AWS_ACCESS_KEY_ID"] != first.exports["AWS_ACCESS_KEY_ID"]
    assert after == before
    objects, jobs, _, _ = after
    assert set(objects["bodies"]) == {*HOSTILE_KEYS, "copied", "multipart", "overwritten"}
    assert objects["bodies"]["overwritten"] == b"second"
    assert objects["heads"]["multipart"]["ETag"].endswith('-2"')
    assert [job["status"] for job in jobs["jobs"]] == ["SUCCEEDED", "FAILED", *["SUCCEEDED"] * 3]
    assert len(jobs["jobs"][1]["attempts"]) == 2
    assert log_messages(logs, jobs["jobs"][0]) == ["out", "err"]
    assert "removed" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    kept_files = [p for p in (tmp_path / "state").rglob("*") if p.is_file()]
    assert all(
        re.fullmatch(r"[0-9a-f]{32}|lock|\w+\.sqlite3(-wal|-shm)?", p.name) for p in kept_files
    )
    assert not list(tmp_path.rglob("outside-the-state"))


def test_a_second_local_aws_on_a_workdir_in_use_is_refused(tmp_path: Path, started) -> None:
    started.append(LocalProcess(tmp_path))

    second = subprocess.run(
        [*LOCAL_COMMAND, "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert second.returncode == 2
    assert f"work directory {tmp_path} is in use by another batchflow local" in second.stderr


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_jobs_active_when_the_local_aws_is_killed_fail_and_their_processes_end_at_restart(
    tmp_path: Path, started: list[LocalProcess]
) -> None:
    first = LocalProcess(tmp_path)
    started.append(first)
    batch, logs = first.client("batch"), first.client("logs")
    batch.register_job_definition(
        jobDefinitionName="sh", type="container", containerProperties=SHELL_JOB
    )
    script = "sleep 600 & echo $! > child; echo $$ > leader; echo started; wait"
    running = batch.submit_job(
        jobName="running",
        jobQueue="local",
        jobDefinition="sh",
        containerOverrides={"command": ["sh", "-c", script]},
        retryStrategy={
            "attempts": 3,
            "evaluateOnExit": [{"onStatusReason": "Host EC2*", "action": "RETRY"}],
        },
    )["jobId"]
    waiting = batch.submit_job(
        jobName="waiting",
        jobQueue="local",
        jobDefinition="sh",
        containerOverrides={"command": ["true"]},
        dependsOn=[{"jobId": running}],
    )["jobId"]
    job = wait_for(batch, running, ("RUNNING",))
    deadline = time.monotonic() + 30
    while log_messages(logs, job) != ["started"]:
        assert time.monotonic() < deadline, "the job never wrote its first line"
        time.sleep(0.05)
    scratch = tmp_path / "jobs" / running / "attempt-1"
    pids = [int((scratch / name).read_text()) for name in ("leader", "child")]

    first.kill()
    assert all(alive(pid) for pid in pids), "a killed local AWS leaves its job processes behind"

    second = LocalProcess(tmp_path)
    started.append(second)
    batch = second.client("batch")
    ended, pending = batch.describe_jobs(jobs=[running, waiting])["jobs"]

    assert not any(alive(pid) for pid in pids)
    assert (ended["status"], ended["statusReason"]) == ("FAILED", LOCAL_AWS_STOPPED)
    assert [a["statusReason"] for a in ended["attempts"]] == [LOCAL_AWS_STOPPED]
    assert "exitCode" not in ended["attempts"][0]["container"]
    assert (pending["status"], pending["statusReason"], pending["attempts"]) == (
        "FAILED",
        LOCAL_AWS_STOPPED,
        [],
    )
    assert log_messages(second.client("logs"), ended) == ["started"]
    assert batch.list_jobs(jobQueue="local")["jobSummaryList"] == []


def test_a_graceful_stop_fails_active_jobs_with_the_same_reason(tmp_path: Path, started) -> None:
    first = LocalProcess(tmp_path)
    started.append(first)
    batch = first.client("batch")
    batch.register_job_definition(
        jobDefinitionName="sh", type="container", containerProperties=SHELL_JOB
    )
    running = batch.submit_job(
        jobName="running",
        jobQueue="local",
        jobDefinition="sh",
        containerOverrides={"command": ["sleep", "600"]},
    )["jobId"]
    wait_for(batch, running, ("RUNNING",))
    first.stop()

    second = LocalProcess(tmp_path)
    started.append(second)
    [job] = second.client("batch").describe_jobs(jobs=[running])["jobs"]

    assert (job["status"], job["statusReason"]) == ("FAILED", LOCAL_AWS_STOPPED)
    assert [a["statusReason"] for a in job["attempts"]] == [LOCAL_AWS_STOPPED]


def test_an_embedded_restart_with_the_same_credentials_restores_s3_from_disk(
    tmp_path: Path,
) -> None:
    def start() -> tuple[LocalAwsServer, Any]:
        config = LocalAwsConfig(
            workdir=tmp_path,
            port=0,
            access_key_id="BFLPERSISTENCETEST01",
            secret_access_key="s" * 40,
        )
        server = LocalAwsServer(config).start_in_thread()
        environment = server.client_environment()
        s3 = boto3.client(
            "s3",
            endpoint_url=environment["AWS_ENDPOINT_URL"],
            region_name=environment["AWS_DEFAULT_REGION"],
            aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
        )
        return server, s3

    server, s3 = start()
    s3.create_bucket(Bucket="embedded-kept")
    s3.put_object(Bucket="embedded-kept", Key="a/b", Body=b"kept", Metadata={"k": "v"})
    before = s3_state(s3, "embedded-kept")
    server.stop()
    # moto's S3 lives as long as this process: empty it, as a new process would find it.
    backend = default_s3_backend()
    backend.delete_object("embedded-kept", "a/b")
    backend.delete_bucket("embedded-kept")

    server, s3 = start()
    try:
        assert s3_state(s3, "embedded-kept") == before
    finally:
        server.stop()


def test_only_processes_proven_to_be_the_jobs_are_ended() -> None:
    def group(environment: dict[str, str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(60)"],
            start_new_session=True,
            env={**os.environ, **environment},
        )

    leader, stranger, job_member = group({}), group({}), group({"AWS_BATCH_JOB_ID": "job-3"})
    try:
        leader_identity = identify(leader.pid)
        stranger_identity = identify(stranger.pid)
        member_identity = identify(job_member.pid)
        assert leader_identity is not None
        assert stranger_identity is not None
        assert member_identity is not None
        recorded = {
            "job-1": leader_identity,
            "job-2": ProcessIdentity(
                stranger.pid, stranger_identity.start_ticks - 1, stranger_identity.boot_id
            ),
            "job-3": ProcessIdentity(
                job_member.pid, member_identity.start_ticks - 1, member_identity.boot_id
            ),
        }

        ended = end_orphans(recorded)

        assert sorted(ended) == sorted([leader.pid, job_member.pid])
        assert leader.wait(5) == -signal.SIGKILL
        assert job_member.wait(5) == -signal.SIGKILL
        assert stranger.poll() is None
    finally:
        for process in (leader, stranger, job_member):
            process.kill()
            process.wait()
