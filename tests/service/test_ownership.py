"""Each user's runs are their own, through the native API and WES alike; roles limit the rest."""

import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from batchflow_service import runs as runs_module
from batchflow_service.app import create_app
from batchflow_service.settings import Settings

from .clients import add_user, admin_client
from .serving import wait_until_final

WES = "/ga4gh/wes/v1"


@pytest.fixture
def client(database_url: str | None) -> Iterator[TestClient]:
    with admin_client(create_app(Settings(engines=["mock"], database_url=database_url))) as client:
        yield client


def mock_run(client: TestClient, headers: dict[str, str], **params: object) -> str:
    body = {"workflow": "demo", "engine": "mock", "params": {"delay_seconds": 0, **params}}
    answer = client.post("/runs", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def bobs_routes(run_id: str) -> list[tuple[str, str]]:
    task = f"{run_id}-step-0"
    return [
        ("GET", f"/runs/{run_id}"),
        ("GET", f"/runs/{run_id}/tasks"),
        ("GET", f"/runs/{run_id}/tasks/{task}/logs"),
        ("GET", f"/runs/{run_id}/logs"),
        ("GET", f"/runs/{run_id}/logs?follow=true"),
        ("GET", f"/runs/{run_id}/outputs"),
        ("GET", f"/runs/{run_id}/outputs/result.txt"),
        ("POST", f"/runs/{run_id}/cancel"),
        ("GET", f"{WES}/runs/{run_id}"),
        ("GET", f"{WES}/runs/{run_id}/status"),
        ("GET", f"{WES}/runs/{run_id}/tasks"),
        ("GET", f"{WES}/runs/{run_id}/tasks/{task}"),
        ("POST", f"{WES}/runs/{run_id}/cancel"),
    ]


def test_alice_can_neither_see_nor_touch_bobs_run(client: TestClient) -> None:
    alice = add_user(client, "alice", "maintainer")
    bob = add_user(client, "bob", "maintainer")
    bobs = mock_run(client, bob, steps=1)
    wait_until_final(client, bobs)
    alices = mock_run(client, alice, steps=1)

    for method, path in bobs_routes(bobs):
        answer = client.request(method, path, headers=alice)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json()["msg"].startswith(("no run", "No run")), (method, path)
        # The same request as bob reaches the run: the 404 above is about alice, not the path.
        assert client.request(method, path, headers=bob).status_code != 404 or "outputs/" in path

    assert [r["id"] for r in client.get("/runs", headers=alice).json()["runs"]] == [alices]
    assert [r["run_id"] for r in client.get(f"{WES}/runs", headers=alice).json()["runs"]] == [
        alices
    ]
    assert client.get(f"/runs/{alices}", headers=alice).json()["owner"] == "alice"


def test_an_unknown_run_and_someone_elses_look_the_same(client: TestClient) -> None:
    alice = add_user(client, "alice", "maintainer")
    bobs = mock_run(client, add_user(client, "bob", "maintainer"))
    theirs = client.get(f"/runs/{bobs}", headers=alice)
    missing = client.get("/runs/0123456789abcdef0123456789abcdef", headers=alice)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["msg"].replace(bobs, "ID") == missing.json()["msg"].replace(
        "0123456789abcdef0123456789abcdef", "ID"
    )


def test_admins_and_viewers_see_every_run_but_viewers_change_nothing(client: TestClient) -> None:
    viewer = add_user(client, "vera", "viewer")
    bob = add_user(client, "bob", "maintainer")
    bobs = mock_run(client, bob, delay_seconds=30, steps=1)

    assert [r["id"] for r in client.get("/runs", headers=viewer).json()["runs"]] == [bobs]
    assert client.get(f"{WES}/runs/{bobs}", headers=viewer).status_code == 200
    assert client.get(f"/runs/{bobs}/logs", headers=viewer).status_code == 200

    for method, path, body in [
        ("POST", f"/runs/{bobs}/cancel", None),
        ("POST", f"{WES}/runs/{bobs}/cancel", None),
        ("POST", "/runs", {"workflow": "demo", "engine": "mock"}),
    ]:
        answer = client.request(method, path, json=body, headers=viewer)
        assert answer.status_code == 403, (method, path, answer.text)
        assert "viewer" in answer.json()["msg"]
    wes_submit = client.post(
        f"{WES}/runs",
        data={"workflow_type": "MOCK", "workflow_url": "demo"},
        files=[("workflow_params", (None, "{}"))],
        headers=viewer,
    )
    assert wes_submit.status_code == 403
    assert client.get(f"/runs/{bobs}", headers=bob).json()["state"] != "CANCELED"
    assert len(client.get("/runs").json()["runs"]) == 1

    # An admin may cancel anyone's run.
    assert client.post(f"/runs/{bobs}/cancel").status_code == 202


def test_admins_and_viewers_filter_runs_by_owner_others_see_only_their_own(
    client: TestClient,
) -> None:
    viewer = add_user(client, "vera", "viewer")
    alice = add_user(client, "alice", "maintainer")
    bob = add_user(client, "bob", "maintainer")
    alices = mock_run(client, alice, steps=1)
    bobs = [mock_run(client, bob, steps=1) for _ in range(2)]

    def listed(owner: str, headers: dict[str, str] | None = None) -> list[str]:
        answer = client.get("/runs", params={"owner": owner}, headers=headers)
        assert answer.status_code == 200, answer.text
        return [run["id"] for run in answer.json()["runs"]]

    assert listed("bob") == listed("bob", viewer) == bobs[::-1]
    assert listed("alice", viewer) == [alices]
    assert listed("nobody", viewer) == []
    assert listed("alice", alice) == [alices]
    # Asking for someone else's runs shows a maintainer nothing, not even its own.
    assert listed("bob", alice) == []
    first = client.get("/runs", params={"owner": "bob", "page_size": 1}).json()
    assert first["runs"][0]["id"] == bobs[1]
    assert first["next_page_token"]


def test_a_launcher_runs_catalog_workflows_but_uploads_nothing(client: TestClient) -> None:
    launcher = add_user(client, "lena", "launcher")
    assert mock_run(client, launcher)
    upload = client.post(
        "/runs",
        data={"workflow": "Snakefile", "engine": "mock"},
        files=[("files", ("Snakefile", b"rule all:\n    shell: 'touch /tmp/pwned'\n"))],
        headers=launcher,
    )
    assert upload.status_code == 403
    assert "maintainer" in upload.json()["msg"]
    wes_upload = client.post(
        f"{WES}/runs",
        data={"workflow_type": "MOCK", "workflow_url": "Snakefile"},
        files=[("workflow_attachment", ("Snakefile", b"rule all:\n    shell: 'true'\n"))],
        headers=launcher,
    )
    assert wes_upload.status_code == 403
    assert len(client.get("/runs", headers=launcher).json()["runs"]) == 1


def test_only_admins_manage_users(client: TestClient) -> None:
    alice = add_user(client, "alice", "maintainer")
    for method, path, body in [
        ("GET", "/users", None),
        ("POST", "/users", {"name": "eve", "role": "admin", "password": "p" * 12}),
        ("PATCH", "/users/alice", {"role": "admin"}),
    ]:
        answer = client.request(method, path, json=body, headers=alice)
        assert answer.status_code == 403, (method, path)
    assert client.get("/users/me", headers=alice).json()["role"] == "maintainer"
    assert [u["name"] for u in client.get("/users").json()] == ["admin", "alice"]


def test_a_followed_log_ends_once_its_user_is_disabled(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runs_module, "FOLLOW_RECHECK_SECONDS", 0.2)
    alice = add_user(client, "alice", "maintainer")
    run_id = mock_run(client, alice, delay_seconds=60, steps=1)
    answers: list[str] = []
    follower = threading.Thread(
        target=lambda: answers.append(
            client.get(f"/runs/{run_id}/logs?follow=true", headers=alice).text
        )
    )
    follower.start()
    time.sleep(0.5)
    assert follower.is_alive(), "the stream ended before the user was disabled"

    client.patch("/users/alice", json={"disabled": True})
    follower.join(timeout=10)

    assert not follower.is_alive()
    assert answers[0].endswith("the token that opened this stream is no longer valid\n")
    client.post(f"/runs/{run_id}/cancel")


def test_one_user_follows_a_bounded_number_of_logs(client: TestClient) -> None:
    alice = add_user(client, "alice", "maintainer")
    run_id = mock_run(client, alice, delay_seconds=60, steps=1)
    path = f"/runs/{run_id}/logs?follow=true"
    followers = [
        threading.Thread(target=client.get, args=(path,), kwargs={"headers": alice})
        for _ in range(runs_module.FOLLOWS_PER_USER)
    ]
    for follower in followers:
        follower.start()
    service = client.app.state.runs  # type: ignore[attr-defined]
    deadline = time.monotonic() + 20
    while service.following("alice") < runs_module.FOLLOWS_PER_USER:
        assert time.monotonic() < deadline, "the streams did not all start"
        time.sleep(0.05)
    answer = client.get(path, headers=alice)
    assert answer.status_code == 429
    assert "already follows" in answer.json()["msg"]
    # Another user (the admin) is not limited by alice's streams.
    assert client.get(f"/runs/{run_id}/logs").status_code == 200

    client.post(f"/runs/{run_id}/cancel")
    for follower in followers:
        follower.join(timeout=10)
    assert not any(follower.is_alive() for follower in followers)
