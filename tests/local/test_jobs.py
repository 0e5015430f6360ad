import itertools
import time

import pytest
from botocore.exceptions import ClientError

from .conftest import log_messages, wait_for


def test_failing_command_ends_failed_with_its_exit_code_and_log(run, logs) -> None:
    job = run("echo hello; exit 3")

    assert job["status"] == "FAILED"
    assert job["statusReason"] == "Essential container in task exited"
    assert job["container"]["exitCode"] == 3
    assert log_messages(logs, job) == ["hello"]


def test_successful_job_records_one_attempt_with_timestamps(run) -> None:
    job = run("echo done")

    assert job["status"] == "SUCCEEDED"
    assert job["container"]["exitCode"] == 0
    assert job["createdAt"] <= job["startedAt"] <= job["stoppedAt"]
    [attempt] = job["attempts"]
    assert attempt["container"]["exitCode"] == 0
    assert attempt["container"]["logStreamName"] == job["container"]["logStreamName"]


def test_log_stream_is_named_as_aws_names_it(run) -> None:
    job = run("true")

    prefix, container, task_id = job["container"]["logStreamName"].split("/")
    assert (prefix, container) == ("shell", "default")
    assert len(task_id) == 32
    assert job["container"]["taskArn"].endswith(task_id)


def test_stdout_and_stderr_both_reach_the_log_in_order(run, logs) -> None:
    job = run("echo out; echo err >&2; printf 'no newline'")

    assert log_messages(logs, job) == ["out", "err", "no newline"]


def test_job_sees_the_batch_environment(run, logs) -> None:
    job = run(
        'echo "$AWS_BATCH_JOB_ID|$AWS_BATCH_JOB_ATTEMPT|$AWS_BATCH_JQ_NAME|$AWS_BATCH_CE_NAME"'
    )

    assert log_messages(logs, job) == [f"{job['jobId']}|1|local|local"]


def test_job_gets_credentials_and_endpoint_like_a_job_role(run, logs, local_aws) -> None:
    job = run('echo "$AWS_ENDPOINT_URL $AWS_ACCESS_KEY_ID"')

    environment = local_aws.client_environment()
    assert log_messages(logs, job) == [
        f"{environment['AWS_ENDPOINT_URL']} {environment['AWS_ACCESS_KEY_ID']}"
    ]


def test_environment_merges_definition_and_overrides(batch, logs, run) -> None:
    batch.register_job_definition(
        jobDefinitionName="with-env",
        type="container",
        containerProperties={
            "image": "busybox",
            "environment": [{"name": "A", "value": "from-def"}, {"name": "B", "value": "kept"}],
            "resourceRequirements": [
                {"type": "VCPU", "value": "1"},
                {"type": "MEMORY", "value": "32"},
            ],
        },
    )
    job = run(
        'echo "$A $B"',
        jobDefinition="with-env",
        containerOverrides={"environment": [{"name": "A", "value": "override"}]},
    )

    assert log_messages(logs, job) == ["override kept"]


def test_parameters_substitute_ref_placeholders(batch, logs) -> None:
    batch.register_job_definition(
        jobDefinitionName="greeter",
        type="container",
        parameters={"who": "world", "greeting": "hello"},
        containerProperties={
            "image": "busybox",
            "command": ["echo", "Ref::greeting", "Ref::who", "Ref::unknown"],
            "resourceRequirements": [
                {"type": "VCPU", "value": "1"},
                {"type": "MEMORY", "value": "32"},
            ],
        },
    )
    submitted = batch.submit_job(
        jobName="greet", jobQueue="local", jobDefinition="greeter", parameters={"who": "batch"}
    )
    job = wait_for(batch, submitted["jobId"])

    assert log_messages(logs, job) == ["hello batch Ref::unknown"]


def test_each_attempt_runs_in_a_fresh_scratch_directory(run, logs) -> None:
    job = run(
        'ls; touch leftover; pwd; [ "$AWS_BATCH_JOB_ATTEMPT" = 2 ]',
        retryStrategy={"attempts": 2},
    )

    assert job["status"] == "SUCCEEDED"
    outputs = [
        [
            event["message"]
            for event in logs.get_log_events(
                logGroupName="/aws/batch/job",
                logStreamName=attempt["container"]["logStreamName"],
                startFromHead=True,
            )["events"]
        ]
        for attempt in job["attempts"]
    ]
    assert len(outputs) == 2
    assert [len(output) for output in outputs] == [1, 1], "ls must find no leftover file"
    assert outputs[0][0].endswith("attempt-1")
    assert outputs[1][0].endswith("attempt-2")


def test_missing_executable_fails_to_start_like_aws(run) -> None:
    job = run("unused", containerOverrides={"command": ["/no/such/binary"]})

    assert job["status"] == "FAILED"
    assert job["statusReason"] == "Task failed to start"
    assert job["container"]["reason"].startswith("CannotStartContainerError")
    assert "exitCode" not in job["container"]


def test_array_children_see_their_own_index(batch, logs, submit) -> None:
    submitted = submit(
        "array",
        ["sh", "-c", "echo $AWS_BATCH_JOB_ARRAY_INDEX"],
        arrayProperties={"size": 3},
    )
    parent = wait_for(batch, submitted["jobId"])

    assert parent["status"] == "SUCCEEDED"
    assert parent["arrayProperties"]["size"] == 3
    assert parent["arrayProperties"]["statusSummary"]["SUCCEEDED"] == 3
    ids = [f"{submitted['jobId']}:{i}" for i in range(3)]
    children = {job["jobId"]: job for job in batch.describe_jobs(jobs=ids)["jobs"]}
    for index, child_id in enumerate(ids):
        assert children[child_id]["arrayProperties"] == {"index": index}
        assert log_messages(logs, children[child_id]) == [str(index)]


def test_array_parent_fails_when_any_child_fails(batch, submit) -> None:
    submitted = submit(
        "array-fail",
        ["sh", "-c", '[ "$AWS_BATCH_JOB_ARRAY_INDEX" != 2 ]'],
        arrayProperties={"size": 4},
    )
    parent = wait_for(batch, submitted["jobId"])

    assert parent["status"] == "FAILED"
    summary = parent["arrayProperties"]["statusSummary"]
    assert (summary["SUCCEEDED"], summary["FAILED"]) == (3, 1)


def test_list_jobs_by_array_id_lists_children_in_index_order(batch, submit) -> None:
    submitted = submit(
        "array-list",
        ["true"],
        arrayProperties={"size": 5},
    )
    wait_for(batch, submitted["jobId"])

    pages = batch.get_paginator("list_jobs").paginate(
        arrayJobId=submitted["jobId"], jobStatus="SUCCEEDED", PaginationConfig={"PageSize": 2}
    )
    indexes = [s["arrayProperties"]["index"] for page in pages for s in page["jobSummaryList"]]
    assert indexes == [0, 1, 2, 3, 4]


def test_sequential_array_runs_children_one_after_another(batch, logs, submit) -> None:
    submitted = submit(
        "sequential",
        arrayProperties={"size": 4},
        dependsOn=[{"type": "SEQUENTIAL"}],
        containerOverrides={
            "command": [
                "sh",
                "-c",
                "sleep 0.$((4 - AWS_BATCH_JOB_ARRAY_INDEX)); echo $AWS_BATCH_JOB_ARRAY_INDEX",
            ]
        },
    )
    wait_for(batch, submitted["jobId"])

    ids = [f"{submitted['jobId']}:{i}" for i in range(4)]
    jobs = {j["jobId"]: j for j in batch.describe_jobs(jobs=ids)["jobs"]}
    for earlier, later in itertools.pairwise(ids):
        assert jobs[earlier]["stoppedAt"] <= jobs[later]["startedAt"]


def test_n_to_n_child_waits_only_for_its_partner(batch, submit) -> None:
    first = submit(
        "first",
        ["sh", "-c", '[ "$AWS_BATCH_JOB_ARRAY_INDEX" = 0 ] || sleep 1'],
        arrayProperties={"size": 2},
    )
    second = submit(
        "second",
        ["true"],
        arrayProperties={"size": 2},
        dependsOn=[{"jobId": first["jobId"], "type": "N_TO_N"}],
    )
    wait_for(batch, second["jobId"])

    jobs = {
        j["jobId"]: j
        for j in batch.describe_jobs(
            jobs=[f"{first['jobId']}:1", f"{second['jobId']}:0", f"{second['jobId']}:1"]
        )["jobs"]
    }
    slow_partner = jobs[f"{first['jobId']}:1"]
    assert jobs[f"{second['jobId']}:0"]["stoppedAt"] < slow_partner["stoppedAt"]
    assert jobs[f"{second['jobId']}:1"]["startedAt"] >= slow_partner["stoppedAt"]


def test_dependent_job_runs_after_its_dependency_succeeds(batch, submit) -> None:
    first = submit("first", ["sleep", "0.5"])
    second = submit(
        "second",
        ["true"],
        dependsOn=[{"jobId": first["jobId"]}],
    )
    pending = batch.describe_jobs(jobs=[second["jobId"]])["jobs"][0]
    done = wait_for(batch, second["jobId"])
    before = wait_for(batch, first["jobId"])

    assert pending["status"] in ("SUBMITTED", "PENDING")
    assert done["status"] == "SUCCEEDED"
    assert done["startedAt"] >= before["stoppedAt"]


def test_job_depending_on_a_failed_job_fails(batch, run, submit) -> None:
    failed = run("exit 1")
    dependent = submit(
        "dependent",
        dependsOn=[{"jobId": failed["jobId"]}],
    )
    job = wait_for(batch, dependent["jobId"])

    assert job["status"] == "FAILED"
    assert job["statusReason"] == "Dependent Job failed"
    assert job["attempts"] == []


def test_failure_cascades_down_a_chain_of_dependencies(batch, submit) -> None:
    head = submit("head", ["sh", "-c", "sleep 0.3; exit 1"])
    chain = [head["jobId"]]
    for index in range(3):
        chain.append(
            submit(
                f"link{index}",
                dependsOn=[{"jobId": chain[-1]}],
            )["jobId"]
        )
    last = wait_for(batch, chain[-1])

    assert last["status"] == "FAILED"
    statuses = [j["statusReason"] for j in batch.describe_jobs(jobs=chain[1:])["jobs"]]
    assert statuses == ["Dependent Job failed"] * 3


def test_jobs_wait_runnable_while_the_compute_environment_is_full(batch, shell_job) -> None:
    batch.create_compute_environment(
        computeEnvironmentName="one-vcpu",
        type="MANAGED",
        computeResources={"type": "EC2", "maxvCpus": 1, "subnets": [], "minvCpus": 0},
    )
    batch.create_job_queue(
        jobQueueName="one-vcpu",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "one-vcpu"}],
    )
    first, second = (
        batch.submit_job(
            jobName=f"busy{i}",
            jobQueue="one-vcpu",
            jobDefinition=shell_job,
            containerOverrides={"command": ["sleep", "1"]},
        )["jobId"]
        for i in range(2)
    )
    wait_for(batch, first, ("RUNNING",))
    time.sleep(0.3)

    assert batch.describe_jobs(jobs=[second])["jobs"][0]["status"] == "RUNNABLE"
    done_first, done_second = wait_for(batch, first), wait_for(batch, second)
    assert done_second["startedAt"] >= done_first["stoppedAt"]


def test_job_larger_than_any_compute_environment_stays_runnable_with_a_reason(
    batch, submit
) -> None:
    submitted = submit(
        "too-big",
        containerOverrides={"resourceRequirements": [{"type": "VCPU", "value": "64"}]},
    )
    time.sleep(0.3)
    job = batch.describe_jobs(jobs=[submitted["jobId"]])["jobs"][0]

    assert job["status"] == "RUNNABLE"
    assert job["statusReason"].startswith("MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT")
    batch.cancel_job(jobId=submitted["jobId"], reason="too big")
    assert wait_for(batch, submitted["jobId"])["statusReason"] == "too big"


def test_terminate_ends_a_running_job_and_its_whole_process_group(batch, submit, tmp_path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    submitted = submit("sleeper", ["sh", "-c", f"sleep 600 & echo $! > {pid_file}; sleep 600"])
    wait_for(batch, submitted["jobId"], ("RUNNING",))
    deadline = time.monotonic() + 5
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    grandchild = int(pid_file.read_text())
    started = time.monotonic()
    batch.terminate_job(jobId=submitted["jobId"], reason="Terminated by test")
    job = wait_for(batch, submitted["jobId"], timeout=5)

    assert time.monotonic() - started < 5
    assert job["status"] == "FAILED"
    assert job["statusReason"] == "Terminated by test"
    assert not _alive(grandchild)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_terminate_escalates_to_sigkill_after_the_stop_timeout(batch, submit) -> None:
    submitted = submit("stubborn", ["sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"])
    wait_for(batch, submitted["jobId"], ("RUNNING",))
    time.sleep(0.2)
    batch.terminate_job(jobId=submitted["jobId"], reason="stop")
    job = wait_for(batch, submitted["jobId"], timeout=10)

    assert job["container"]["exitCode"] == 137
    assert job["stoppedAt"] - job["startedAt"] >= 2000


def test_cancel_ends_a_pending_job_but_not_a_running_one(batch, submit) -> None:
    running = submit("running", ["sleep", "1"])
    pending = submit(
        "pending",
        dependsOn=[{"jobId": running["jobId"]}],
    )
    wait_for(batch, running["jobId"], ("RUNNING",))
    batch.cancel_job(jobId=running["jobId"], reason="ignored")
    batch.cancel_job(jobId=pending["jobId"], reason="not needed")

    assert wait_for(batch, pending["jobId"])["statusReason"] == "not needed"
    assert wait_for(batch, running["jobId"])["status"] == "SUCCEEDED"


def test_cancel_array_parent_cancels_children_not_yet_started(batch, submit) -> None:
    blocker = submit("blocker", ["sleep", "1"])
    array = submit(
        "blocked-array",
        arrayProperties={"size": 3},
        dependsOn=[{"jobId": blocker["jobId"]}],
    )
    batch.cancel_job(jobId=array["jobId"], reason="cancel all")
    parent = wait_for(batch, array["jobId"])

    assert parent["status"] == "FAILED"
    assert parent["arrayProperties"]["statusSummary"]["FAILED"] == 3


def test_timeout_fails_the_attempt_and_is_not_retried(run) -> None:
    # The suite's local AWS runs timeouts at 0.05x, so 60 s is 3 s here.
    job = run(
        "sleep 600",
        timeout={"attemptDurationSeconds": 60},
        retryStrategy={"attempts": 3},
    )

    assert job["status"] == "FAILED"
    assert job["statusReason"] == "Job attempt duration exceeded timeout"
    assert len(job["attempts"]) == 1


def test_retry_strategy_retries_until_attempts_run_out(run) -> None:
    job = run("exit 1", retryStrategy={"attempts": 3})

    assert job["status"] == "FAILED"
    assert [a["container"]["exitCode"] for a in job["attempts"]] == [1, 1, 1]


def test_retry_stops_when_an_attempt_succeeds(run) -> None:
    job = run('[ "$AWS_BATCH_JOB_ATTEMPT" = 2 ]', retryStrategy={"attempts": 5})

    assert job["status"] == "SUCCEEDED"
    assert len(job["attempts"]) == 2


def test_evaluate_on_exit_exits_on_matching_exit_code(run) -> None:
    job = run(
        "exit 2",
        retryStrategy={
            "attempts": 5,
            "evaluateOnExit": [
                {"onExitCode": "2", "action": "EXIT"},
                {"onReason": "*", "action": "RETRY"},
            ],
        },
    )

    assert job["status"] == "FAILED"
    assert len(job["attempts"]) == 1


def test_evaluate_on_exit_retries_only_what_matches(run) -> None:
    strategy = {
        "attempts": 3,
        "evaluateOnExit": [
            {"onExitCode": "4*", "action": "retry"},
            {"onExitCode": "*", "action": "exit"},
        ],
    }
    retried = run("exit 42", retryStrategy=strategy)
    not_retried = run("exit 3", retryStrategy=strategy)

    assert len(retried["attempts"]) == 3
    assert len(not_retried["attempts"]) == 1


def test_retry_strategy_from_the_job_definition_applies(batch, logs) -> None:
    batch.register_job_definition(
        jobDefinitionName="retrying",
        type="container",
        retryStrategy={"attempts": 2},
        containerProperties={
            "image": "busybox",
            "command": ["sh", "-c", "echo attempt $AWS_BATCH_JOB_ATTEMPT; exit 1"],
            "resourceRequirements": [
                {"type": "VCPU", "value": "1"},
                {"type": "MEMORY", "value": "32"},
            ],
        },
    )
    submitted = batch.submit_job(jobName="r", jobQueue="local", jobDefinition="retrying")
    job = wait_for(batch, submitted["jobId"])

    assert len(job["attempts"]) == 2
    assert job["retryStrategy"]["attempts"] == 2


def test_list_jobs_defaults_to_running_and_filters_by_status(batch, run, submit) -> None:
    done = run("true", jobName="listed-done")
    sleeper = submit("listed-running", ["sleep", "600"])
    wait_for(batch, sleeper["jobId"], ("RUNNING",))
    try:
        running_ids = {s["jobId"] for s in batch.list_jobs(jobQueue="local")["jobSummaryList"]}
        succeeded = batch.list_jobs(jobQueue="local", jobStatus="SUCCEEDED")["jobSummaryList"]

        assert sleeper["jobId"] in running_ids
        assert done["jobId"] not in running_ids
        assert done["jobId"] in {s["jobId"] for s in succeeded}
    finally:
        batch.terminate_job(jobId=sleeper["jobId"], reason="cleanup")


def test_list_jobs_filters_by_name_and_pages_newest_first(batch, run) -> None:
    ids = [run("true", jobName=f"paged-{i}")["jobId"] for i in range(5)]

    pages = batch.get_paginator("list_jobs").paginate(
        jobQueue="local",
        filters=[{"name": "JOB_NAME", "values": ["paged-*"]}],
        PaginationConfig={"PageSize": 2},
    )
    listed = [s["jobId"] for page in pages for s in page["jobSummaryList"]]
    assert listed == list(reversed(ids))


def test_list_jobs_filters_by_creation_time(batch, run) -> None:
    before = run("true", jobName="early")
    after = run("true", jobName="late")

    newer = batch.list_jobs(
        jobQueue="local",
        filters=[{"name": "AFTER_CREATED_AT", "values": [str(before["createdAt"])]}],
    )["jobSummaryList"]
    ids = {s["jobId"] for s in newer}
    assert after["jobId"] in ids
    assert before["jobId"] not in ids


def test_describe_jobs_skips_unknown_ids_and_refuses_more_than_100(batch, run) -> None:
    job = run("true")

    found = batch.describe_jobs(jobs=[job["jobId"], "no-such-job"])["jobs"]
    assert [j["jobId"] for j in found] == [job["jobId"]]
    with pytest.raises(ClientError) as error:
        batch.describe_jobs(jobs=[f"id-{i}" for i in range(101)])
    assert error.value.response["Error"]["Code"] == "ClientException"


def test_dependency_on_an_array_waits_for_every_child(batch, submit) -> None:
    array = submit(
        "array-dep",
        ["sh", "-c", "sleep 0.$AWS_BATCH_JOB_ARRAY_INDEX"],
        arrayProperties={"size": 3},
    )
    after = submit(
        "after-array",
        ["true"],
        dependsOn=[{"jobId": array["jobId"]}],
    )
    job = wait_for(batch, after["jobId"])

    children = batch.describe_jobs(jobs=[f"{array['jobId']}:{i}" for i in range(3)])["jobs"]
    assert job["status"] == "SUCCEEDED"
    assert job["startedAt"] >= max(child["stoppedAt"] for child in children)


def test_terminate_before_start_cancels_and_on_a_parent_reaches_every_child(batch, submit) -> None:
    blocker = submit("blocker", ["sleep", "600"])
    waiting = submit(
        "waiting",
        dependsOn=[{"jobId": blocker["jobId"]}],
    )
    array = submit(
        "running-array",
        ["sleep", "600"],
        arrayProperties={"size": 2},
    )
    wait_for(batch, f"{array['jobId']}:1", ("RUNNING",))

    batch.terminate_job(jobId=waiting["jobId"], reason="not needed")
    batch.terminate_job(jobId=array["jobId"], reason="stop the array")
    batch.terminate_job(jobId=blocker["jobId"], reason="cleanup")

    assert wait_for(batch, waiting["jobId"])["statusReason"] == "not needed"
    parent = wait_for(batch, array["jobId"], timeout=10)
    assert parent["arrayProperties"]["statusSummary"]["FAILED"] == 2
    child = batch.describe_jobs(jobs=[f"{array['jobId']}:0"])["jobs"][0]
    assert child["statusReason"] == "stop the array"


def _definition_logging_to(batch, name: str, options: dict[str, str]) -> str:
    batch.register_job_definition(
        jobDefinitionName=name,
        type="container",
        containerProperties={
            "image": "busybox",
            "command": ["echo", "logged"],
            "logConfiguration": {"logDriver": "awslogs", "options": options},
            "resourceRequirements": [
                {"type": "VCPU", "value": "1"},
                {"type": "MEMORY", "value": "32"},
            ],
        },
    )
    return name


def test_awslogs_options_choose_group_and_stream_prefix(batch, logs) -> None:
    name = _definition_logging_to(
        batch,
        "custom-logs",
        {
            "awslogs-group": "/custom/jobs",
            "awslogs-stream-prefix": "tool",
            "awslogs-create-group": "true",
        },
    )
    submitted = batch.submit_job(jobName="logs", jobQueue="local", jobDefinition=name)
    job = wait_for(batch, submitted["jobId"])

    assert job["container"]["logStreamName"].startswith("tool/default/")
    assert log_messages(logs, job, group="/custom/jobs") == ["logged"]


def test_missing_log_group_fails_the_attempt_to_start(batch) -> None:
    name = _definition_logging_to(batch, "missing-group", {"awslogs-group": "/never/created"})
    submitted = batch.submit_job(jobName="logs", jobQueue="local", jobDefinition=name)
    job = wait_for(batch, submitted["jobId"])

    assert job["status"] == "FAILED"
    assert job["statusReason"] == "Task failed to start"
    assert "/never/created" in job["container"]["reason"]
