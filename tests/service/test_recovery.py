"""A restarted service rebuilds its runs from their records in S3; any record it could not keep
(not UTF-8, not JSON, unstorable values, a folder that is no run id, a record naming another
run) is skipped with a log line, and every other run still comes back."""

import json
import logging
import time
import uuid
from typing import Any

import pytest

from batchflow_aws.calls import AwsCaller
from batchflow_service.app import create_app
from batchflow_service.engines.recovery import recorded_runs, restore_missing
from batchflow_service.engines.staging import RunStaging
from batchflow_service.models import Run
from batchflow_service.settings import Settings
from batchflow_service.storable import MAX_DEPTH
from batchflow_service.store import MemoryStore

from .clients import admin_client

ONE_ATTEMPT = AwsCaller(max_attempts=1)


def run_id() -> str:
    return uuid.uuid4().hex


def record(identifier: str, **fields: Any) -> dict[str, Any]:
    return {"id": identifier, "workflow": "quickstart", "engine": "snakemake"} | fields


def deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


@pytest.fixture
def bucket(s3) -> str:
    name = f"recovery-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def staging(s3, bucket: str) -> RunStaging:
    return RunStaging(s3, bucket, ONE_ATTEMPT)


def good_run() -> Run:
    return Run(
        id=run_id(),
        workflow="quickstart",
        engine="snakemake",
        params={"samples": ["é", "😀"], "length": 10**30, "ratio": 0.5},
        tags={"team": "genomics"},
    )


def inject_bad_records(s3, bucket: str) -> int:
    """Records a job sharing the bucket could write; how many."""
    bodies = [
        (run_id(), b"\xff\xfe not UTF-8"),
        (run_id(), b'{"id": "truncated'),
        (run_id(), b"[1, 2, 3]"),
        (run_id(), json.dumps(record(run_id())).encode()),  # names another run
        ("injected/../weird", json.dumps(record("injected/../weird")).encode()),
        ("not-a-run-id", json.dumps(record("not-a-run-id")).encode()),
    ]
    unstorable = [
        {"tags": {"x": "\ud800"}},
        {"workflow": "quick\x00start"},
        {"params": {"x": float("nan")}},
        {"params": {"x": "TOO LARGE A NUMBER"}},
        {"params": {"x": deep(300)}},
        {"request": {"workflow_engine_parameters": {"x": "\udc00"}}},
    ]
    for fields in unstorable:
        identifier = run_id()
        body = json.dumps(record(identifier, **fields)).replace('"TOO LARGE A NUMBER"', "1e400")
        bodies.append((identifier, body.encode()))
    for folder, body in bodies:
        s3.put_object(Bucket=bucket, Key=f"runs/{folder}/run.json", Body=body)
    return len(bodies)


def test_only_the_believable_records_are_recovered_and_each_bad_one_is_logged(
    s3, bucket: str, staging: RunStaging, caplog: pytest.LogCaptureFixture
) -> None:
    good = good_run()
    staging.write_record(good)
    injected = inject_bad_records(s3, bucket)

    with caplog.at_level(logging.WARNING, logger="batchflow_service.engines.recovery"):
        recovered = recorded_runs(staging)

    assert [run.id for run in recovered] == [good.id]
    assert recovered[0].params == good.params
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == injected
    assert any("runs/injected/: not a run id" in line for line in warnings)
    assert any("runs/not-a-run-id/: not a run id" in line for line in warnings)
    assert sum("ignoring the malformed record" in line for line in warnings) == 9


def test_a_run_nested_as_deep_as_a_request_may_comes_back_from_its_record(
    staging: RunStaging,
) -> None:
    deepest = {"x": deep(MAX_DEPTH - 1)}  # a form field's JSON object, as deep as accepted
    run = good_run().model_copy(update={"params": deepest, "request": {"workflow_params": deepest}})
    staging.write_record(run)

    assert [found.request for found in recorded_runs(staging)] == [run.request]


class RefusingStore(MemoryStore):
    """A store that refuses one run, as PostgreSQL refuses a value it cannot hold."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused

    async def create_run(self, run: Run) -> Run:
        if run.id == self.refused:
            raise ValueError(f"cannot keep run {run.id}")
        return await super().create_run(run)


@pytest.mark.anyio
async def test_a_run_the_store_refuses_does_not_keep_the_others_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs = [good_run() for _ in range(3)]
    store = RefusingStore(refused=runs[0].id)

    restored = await restore_missing(store, runs)

    assert restored == 2
    assert {run.id for run in await store.list_runs()} == {runs[1].id, runs[2].id}
    assert f"could not restore run {runs[0].id}" in caplog.text


def test_a_service_starting_over_bad_records_lists_the_good_runs(
    aws_environment, s3, bucket: str, staging: RunStaging, database_url: str | None
) -> None:
    good = [good_run(), good_run()]
    for run in good:
        staging.write_record(run)
    inject_bad_records(s3, bucket)
    settings = Settings(
        engines=["snakemake"], bucket=bucket, database_url=database_url, aws_max_attempts=1
    )

    with admin_client(create_app(settings)) as client:
        deadline = time.monotonic() + 30
        while len(client.get("/runs").json()["runs"]) < len(good):
            assert time.monotonic() < deadline, "the good runs were not recovered"
            time.sleep(0.1)
        listed = client.get("/runs").json()["runs"]
        shown = [client.get(f"/runs/{run.id}") for run in good]

    assert sorted(run["id"] for run in listed) == sorted(run.id for run in good)
    assert all(answer.status_code == 200 for answer in shown)
    assert [answer.json()["params"] for answer in shown] == [run.params for run in good]
