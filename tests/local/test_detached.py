"""The local AWS as a process of its own in a state directory: its lease, its files, and how an
owner finds it again."""

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from batchflow_local.lifetime import Lifetime, NoLeaseError
from batchflow_local.state_dir import EndpointRecord, StateDir, StateDirError
from batchflow_local.supervisor import LocalAwsProcess, find_or_start, start


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_lease_lasts_its_grace_period_from_the_last_renewal() -> None:
    clock = Clock()
    lifetime = Lifetime(10, clock)

    clock.now += 8
    lifetime.renew()
    clock.now += 8
    before = lifetime.stop_reason(), lifetime.expires_in()
    clock.now += 2
    after = lifetime.stop_reason()

    assert before == (None, 2)
    assert after == (
        "nobody renewed the lease for 10 s (the batchflow serve that owns this local AWS is gone)"
    )


def test_a_renewal_may_change_the_grace_period_and_a_stop_request_ends_at_once() -> None:
    clock = Clock()
    lifetime = Lifetime(10, clock)

    lifetime.renew(300)
    clock.now += 200
    renewed = lifetime.stop_reason()
    lifetime.request_stop("asked to stop")

    assert renewed is None
    assert lifetime.stop_reason() == "asked to stop"


def test_without_a_lease_nothing_expires_and_a_renewal_is_refused() -> None:
    clock = Clock()
    lifetime = Lifetime(None, clock)
    clock.now += 10**9

    with pytest.raises(NoLeaseError, match="it runs until stopped"):
        lifetime.renew()
    assert lifetime.stop_reason() is None
    assert lifetime.expires_in() is None


def test_batchflow_local_has_no_lease_to_renew(admin) -> None:
    shown = admin.get("/lease")
    renewed = admin.put("/lease", json={"grace_seconds": 5})

    assert shown.json() == {"pid": os.getpid(), "grace_seconds": None, "expires_in_seconds": None}
    assert renewed.status_code == 409
    assert "has no lease (it was started by `batchflow local`)" in renewed.text


def test_the_state_dir_and_its_endpoint_file_are_for_this_user_only(tmp_path) -> None:
    state = StateDir(tmp_path / "a" / "state").prepare()
    state.write_endpoint(EndpointRecord(1, "http://127.0.0.1:1", "us-east-1", "AK", "SECRET"))

    assert stat.S_IMODE(state.path.stat().st_mode) == 0o700
    assert stat.S_IMODE(state.endpoint_file.stat().st_mode) == 0o600
    assert state.read_endpoint() == EndpointRecord(
        1, "http://127.0.0.1:1", "us-east-1", "AK", "SECRET"
    )


def test_a_state_dir_open_to_other_users_is_refused_with_the_fix(tmp_path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)

    with pytest.raises(StateDirError) as refused:
        StateDir(shared).prepare()

    assert str(refused.value) == (
        f"state dir {shared} is open to other users (mode 755) and would hold the local AWS's "
        f"credentials; run `chmod 700 {shared}`, or pass another --state-dir"
    )


@pytest.fixture
def detached(tmp_path) -> Iterator[tuple[StateDir, LocalAwsProcess]]:
    state = StateDir(tmp_path / "state").prepare()
    process = start(state, 60)
    yield state, process
    process.stop()


def test_an_owner_finds_the_running_local_aws_again_and_no_second_one_starts(detached) -> None:
    state, started = detached

    found = find_or_start(state, 60)
    command = [sys.executable, "-m", "batchflow_local.detached", "--lease-grace", "60"]
    second = subprocess.run(
        [*command, "--state-dir", str(state.path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert started.adopted is False
    assert (found.adopted, found.pid, found.endpoint) == (True, started.pid, started.endpoint)
    assert second.returncode == 3
    assert f"another local AWS (pid {started.pid}) already runs in {state.path}" in second.stderr


def test_a_restarted_local_aws_keeps_its_port_and_credentials(detached) -> None:
    state, first = detached
    first.stop()

    second = find_or_start(state, 60)
    try:
        assert second.adopted is False
        assert second.pid != first.pid
        assert second.record.endpoint == first.record.endpoint
        assert second.record.secret_access_key == first.record.secret_access_key
    finally:
        second.stop()


def test_an_endpoint_file_whose_process_is_gone_is_not_believed(tmp_path) -> None:
    state = StateDir(tmp_path / "state").prepare()
    stale = {"pid": 999_999_999, "endpoint": "http://127.0.0.1:9", "region": "us-east-1"}
    stale |= {"access_key_id": "BFLSTALE", "secret_access_key": "stale"}
    state.endpoint_file.write_text(json.dumps(stale))

    process = find_or_start(state, 60)
    try:
        assert process.adopted is False
        assert process.pid != stale["pid"]
        assert process.answers()
    finally:
        process.stop()


def test_the_local_aws_runs_without_the_callers_aws_or_batchflow_settings(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "the caller's own")
    monkeypatch.setenv("BATCHFLOW_ADMIN_PASSWORD", "the service's secret")
    process = start(StateDir(tmp_path / "state").prepare(), 60)
    try:
        environment = Path(f"/proc/{process.pid}/environ").read_bytes().split(b"\0")
    finally:
        process.stop()

    names = {entry.partition(b"=")[0].decode() for entry in environment if entry}
    assert "PATH" in names
    assert not {name for name in names if name.startswith(("AWS_", "BATCHFLOW_"))}
